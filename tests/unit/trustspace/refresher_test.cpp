// The refresher (trustspace/refresher.hpp) with a scripted fetcher, the in-memory store and a fake clock: every kind
// of failure leaves the running snapshot and the stored copy alone; validators are sent; the copy survives a
// restart; the age alarm fires and clears; file sources; the background loop.
#include <catch2/catch.hpp>

#include <deque>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/config.hpp"
#include "common/metrics.hpp"
#include "storage/memory/memory_store.hpp"
#include "storage/writer.hpp"
#include "tests/unit/trustspace/whitelist_gen.hpp"
#include "trustspace/error.hpp"
#include "trustspace/refresher.hpp"

using namespace mssgw::trustspace;
using namespace std::chrono_literals;
using mssgw::test::domaine_xml;
using mssgw::test::whitelist_xml;

namespace {

std::string list_with(std::initializer_list<std::string> domains) {
  std::string body;
  for (const auto& d : domains) body += domaine_xml(d, "CN=mx." + d + ",O=OP,C=FR");
  return whitelist_xml(body);
}

class scripted_fetcher : public fetcher {
 public:
  fetch_response fetch(const fetch_request& request) override {
    std::lock_guard lock(mutex);
    requests.push_back(request);
    REQUIRE_FALSE(responses.empty());
    auto r = responses.front();
    responses.pop_front();
    return r;
  }
  void push(fetch_response r) {
    std::lock_guard lock(mutex);
    responses.push_back(std::move(r));
  }
  std::mutex mutex;
  std::deque<fetch_response> responses;
  std::vector<fetch_request> requests;
};

fetch_response ok(std::string body, std::string etag = {}, std::string last_modified = {}) {
  fetch_response r;
  r.result = fetch_response::outcome::ok;
  r.http_status = 200;
  r.body = std::move(body);
  r.etag = std::move(etag);
  r.last_modified = std::move(last_modified);
  return r;
}
fetch_response not_modified() {
  fetch_response r;
  r.result = fetch_response::outcome::not_modified;
  r.http_status = 304;
  return r;
}
fetch_response failed(errc e, std::string message, long status = 0) {
  fetch_response r;
  r.error = e;
  r.message = std::move(message);
  r.http_status = status;
  return r;
}

struct fake_clock {
  std::mutex mutex;
  clock::time_point now = clock::time_point(std::chrono::seconds(1'760'000'000));
  clock::time_point get() {
    std::lock_guard lock(mutex);
    return now;
  }
  void advance(clock::duration d) {
    std::lock_guard lock(mutex);
    now += d;
  }
};

double gauge(std::string_view name) { return mssgw::metrics::get_gauge(name, "").value(); }

struct temp_dir {
  std::filesystem::path path;
  temp_dir() {
    char tmpl[] = "/tmp/mssgw-refresher-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~temp_dir() { std::filesystem::remove_all(path); }
};

void write_file(const std::filesystem::path& p, std::string_view bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << bytes;
}

}  // namespace

TEST_CASE("refresher: URL source, every failure keeps the running copy", "[refresher]") {
  auto store = mssgw::storage::make_memory_store();
  mssgw::storage::writer writer(*store);
  auto http = std::make_shared<scripted_fetcher>();
  fake_clock fc;
  whitelist_config cfg;
  cfg.url = "https://lists.example/listeblanchemssante.xml";
  cfg.max_age = 48h;
  whitelist holder;
  refresher::options opts;
  opts.http = http;
  opts.now = [&] { return fc.get(); };
  refresher r(holder, cfg, store.get(), &writer, opts);

  CHECK(r.check_age());  // no copy yet: stale
  CHECK(gauge("mssgw_whitelist_stale") == 1);
  CHECK(gauge("mssgw_whitelist_age_seconds") == -1);

  // 1. A first download: unconditional.
  http->push(ok(list_with({"a.fr", "b.fr"}), "\"v1\"", "Thu, 13 Mar 2025 14:54:10 GMT"));
  auto o = r.refresh_once();
  REQUIRE(o.result == refresh_outcome::kind::updated);
  CHECK(http->requests.back().etag.empty());
  CHECK(http->requests.back().last_modified.empty());
  CHECK(http->requests.back().url == cfg.url);
  CHECK(http->requests.back().max_bytes == cfg.max_size);
  auto v1 = holder.current();
  CHECK(v1->listed("a.fr"));
  CHECK(r.meta().etag == "\"v1\"");
  CHECK_FALSE(r.check_age());
  CHECK(gauge("mssgw_whitelist_stale") == 0);
  CHECK(gauge("mssgw_whitelist_entries") == 2);

  // 2. 304: conditional headers sent, copy kept, verified time moves.
  fc.advance(1h);
  http->push(not_modified());
  o = r.refresh_once();
  CHECK(o.result == refresh_outcome::kind::unchanged);
  CHECK(http->requests.back().etag == "\"v1\"");
  CHECK(http->requests.back().last_modified == "Thu, 13 Mar 2025 14:54:10 GMT");
  CHECK(holder.current() == v1);
  CHECK(*holder.verified_at() == fc.get());

  // 3. Failures of every kind: 500, timeout, truncated body, oversize, garbage, a valid XML that is not a whitelist.
  const std::vector<std::pair<std::string, fetch_response>> failures = {
      {"HTTP 500", failed(errc::http_status, "HTTP status 500", 500)},
      {"timeout", failed(errc::fetch_failed, "Operation timed out after 2000 milliseconds")},
      {"truncated body", failed(errc::fetch_failed, "transfer closed with 1000 bytes remaining to read")},
      {"oversize", failed(errc::too_large, "the response is over 67108864 bytes")},
      {"garbage", ok("\x89PNG\r\n\x1a\n garbage garbage", "\"g\"")},
      {"HTML error page with 200", ok("<html><body>maintenance</body></html>", "\"h\"")},
      {"truncated XML with 200", ok(list_with({"a.fr", "b.fr", "c.fr"}).substr(0, 400), "\"t\"")},
      {"a list with a broken DN", ok(whitelist_xml(domaine_xml("x.fr", "CN=x,")), "\"d\"")},
  };
  for (const auto& [name, response] : failures) {
    INFO(name);
    fc.advance(1h);
    http->push(response);
    o = r.refresh_once();
    CHECK(o.result == refresh_outcome::kind::failed);
    CHECK(o.error);
    CHECK_FALSE(o.message.empty());
    CHECK(holder.current() == v1);           // the snapshot survives
    CHECK(r.meta().etag == "\"v1\"");        // and so do the validators of the running copy
    CHECK(http->requests.back().etag == "\"v1\"");
  }
  // The stored copy is still the good one.
  {
    whitelist fresh;
    refresher again(fresh, cfg, store.get(), &writer, opts);
    REQUIRE(again.load_stored());
    CHECK(fresh.current()->sha256() == v1->sha256());
    CHECK(again.meta().etag == "\"v1\"");
  }

  // 4. The alarm: 8 failed hours since the 304; at 48 h + 1 s the copy is stale.
  fc.advance(48h - 8h + 1s);
  CHECK(r.check_age());
  CHECK(gauge("mssgw_whitelist_stale") == 1);
  CHECK(gauge("mssgw_whitelist_age_seconds") == 48 * 3600 + 1);
  CHECK(holder.current() == v1);  // stale, but still used

  // 5. A 304 clears it; a new version replaces it.
  http->push(not_modified());
  CHECK(r.refresh_once().result == refresh_outcome::kind::unchanged);
  CHECK_FALSE(r.check_age());
  CHECK(gauge("mssgw_whitelist_stale") == 0);
  http->push(ok(list_with({"c.fr"}), "\"v2\""));
  o = r.refresh_once();
  REQUIRE(o.result == refresh_outcome::kind::updated);
  CHECK(holder.current()->listed("c.fr"));
  CHECK_FALSE(holder.current()->listed("a.fr"));
  CHECK(r.meta().etag == "\"v2\"");
  CHECK(r.meta().last_modified.empty());

  // 6. The same bytes from a server without validators: unchanged.
  http->push(ok(list_with({"c.fr"})));
  CHECK(r.refresh_once().result == refresh_outcome::kind::unchanged);
  // force: no conditional headers, and the bytes are parsed again.
  http->push(ok(list_with({"c.fr"}), "\"v2\""));
  CHECK(r.refresh_once(true).result == refresh_outcome::kind::updated);
  CHECK(http->requests.back().etag.empty());
}

TEST_CASE("refresher: the stored copy is loaded at start and its age carries over", "[refresher]") {
  auto store = mssgw::storage::make_memory_store();
  auto http = std::make_shared<scripted_fetcher>();
  fake_clock fc;
  whitelist_config cfg;
  cfg.url = "https://lists.example/l.xml";
  cfg.max_age = 10s;
  refresher::options opts;
  opts.http = http;
  opts.now = [&] { return fc.get(); };
  {
    whitelist holder;
    refresher r(holder, cfg, store.get(), nullptr, opts);  // no writer: commits go to the store
    http->push(ok(list_with({"kept.fr"}), "\"e1\""));
    REQUIRE(r.refresh_once().result == refresh_outcome::kind::updated);
  }
  fc.advance(11s);
  whitelist holder;
  refresher r(holder, cfg, store.get(), nullptr, opts);
  REQUIRE(r.load_stored());
  CHECK(holder.current()->listed("kept.fr"));
  CHECK(r.check_age());  // verified 11 s ago in the previous "process"
  // The next refresh is conditional on the stored validators.
  http->push(not_modified());
  CHECK(r.refresh_once().result == refresh_outcome::kind::unchanged);
  CHECK(http->requests.back().etag == "\"e1\"");
  CHECK_FALSE(r.check_age());

  // Another URL: the validators of the old source are not sent.
  cfg.url = "https://mirror.example/l.xml";
  r.reconfigure(cfg);
  http->push(ok(list_with({"mirror.fr"}), "\"m1\""));
  CHECK(r.refresh_once().result == refresh_outcome::kind::updated);
  CHECK(http->requests.back().etag.empty());
  CHECK(r.meta().source == cfg.url);

  // A corrupt stored record is ignored, not trusted.
  REQUIRE_FALSE(store->commit_one([](mssgw::storage::write_txn& txn) {
    txn.put(mssgw::storage::table::whitelist, "meta", "\x07garbage");
    return std::error_code{};
  }));
  whitelist other;
  refresher r2(other, cfg, store.get(), nullptr, opts);
  CHECK_FALSE(r2.load_stored());
  CHECK_FALSE(other.loaded());
}

TEST_CASE("refresher: stored metadata round-trips", "[refresher]") {
  stored_meta m{"https://x/l.xml", "\"e\"", "Thu, 13 Mar 2025 14:54:10 GMT", 1700000000, 1700000000123, "ab", 42};
  auto back = decode_meta(encode_meta(m));
  REQUIRE(back);
  CHECK(back->source == m.source);
  CHECK(back->etag == m.etag);
  CHECK(back->last_modified == m.last_modified);
  CHECK(back->fetched_at == m.fetched_at);
  CHECK(back->verified_ms == m.verified_ms);
  CHECK(back->sha256 == m.sha256);
  CHECK(back->size == 42);
  auto rec = encode_meta(m);
  CHECK_FALSE(decode_meta(rec.substr(0, rec.size() - 1)));
  CHECK_FALSE(decode_meta(rec + "x"));
  CHECK_FALSE(decode_meta(""));
  rec[0] = 9;
  CHECK_FALSE(decode_meta(rec));
}

TEST_CASE("refresher: file source", "[refresher]") {
  temp_dir dir;
  auto file = dir.path / "listeblanche.xml";
  auto store = mssgw::storage::make_memory_store();
  fake_clock fc;
  whitelist_config cfg;
  cfg.file = file;
  cfg.max_size = 1 << 20;
  cfg.max_age = 48h;
  refresher::options opts;
  opts.now = [&] { return fc.get(); };
  whitelist holder;
  refresher r(holder, cfg, store.get(), nullptr, opts);

  auto o = r.refresh_once();
  CHECK(o.result == refresh_outcome::kind::failed);
  CHECK(o.error == errc::io_error);
  CHECK_FALSE(holder.loaded());

  write_file(file, list_with({"f1.fr"}));
  REQUIRE(r.refresh_once().result == refresh_outcome::kind::updated);
  auto v1 = holder.current();
  CHECK(v1->listed("f1.fr"));
  // The copy is as current as the file: its modification time.
  struct stat st {};
  REQUIRE(::stat(file.c_str(), &st) == 0);
  CHECK(std::chrono::duration_cast<std::chrono::seconds>(holder.verified_at()->time_since_epoch()).count() ==
        st.st_mtim.tv_sec);
  CHECK(r.refresh_once().result == refresh_outcome::kind::unchanged);

  // A file 30 days old makes the copy stale.
  struct timespec times[2] = {{0, UTIME_OMIT}, {::time(nullptr) - 30 * 86400, 0}};
  REQUIRE(::utimensat(AT_FDCWD, file.c_str(), times, 0) == 0);
  fc.now = clock::now();
  CHECK(r.refresh_once().result == refresh_outcome::kind::unchanged);
  CHECK(r.check_age());

  // A broken file: refused, the running copy stays.
  write_file(file, "<ListeBlancheMSSante><ListeDomaines>");
  o = r.refresh_once();
  CHECK(o.result == refresh_outcome::kind::failed);
  CHECK(o.message.find("listeblanche.xml") != std::string::npos);
  CHECK(holder.current() == v1);

  // A 500 MB file (sparse): refused from its size, without reading it.
  {
    int fd = ::open(file.c_str(), O_WRONLY | O_TRUNC);
    REQUIRE(fd >= 0);
    REQUIRE(::ftruncate(fd, 500ll << 20) == 0);
    ::close(fd);
  }
  auto t0 = std::chrono::steady_clock::now();
  o = r.refresh_once();
  CHECK(std::chrono::steady_clock::now() - t0 < 1s);
  CHECK(o.error == errc::too_large);
  CHECK(holder.current() == v1);

  write_file(file, list_with({"f2.fr"}));
  REQUIRE(r.refresh_once().result == refresh_outcome::kind::updated);
  CHECK(holder.current()->listed("f2.fr"));
  CHECK_FALSE(r.check_age());
}

TEST_CASE("refresher: no source", "[refresher]") {
  whitelist holder;
  refresher r(holder, whitelist_config{}, nullptr, nullptr);
  auto o = r.refresh_once();
  CHECK(o.result == refresh_outcome::kind::failed);
  CHECK(o.error == errc::no_source);
  CHECK_FALSE(r.load_stored());
}

TEST_CASE("refresher: background loop refreshes, triggers and stops", "[refresher]") {
  temp_dir dir;
  auto file = dir.path / "l.xml";
  write_file(file, list_with({"loop1.fr"}));
  whitelist_config cfg;
  cfg.file = file;
  cfg.refresh = 3600s;
  cfg.max_age = 2s;
  whitelist holder;
  auto store = mssgw::storage::make_memory_store();
  refresher r(holder, cfg, store.get(), nullptr);
  r.start();  // a file source is read synchronously at start
  CHECK(holder.current()->listed("loop1.fr"));

  write_file(file, list_with({"loop2.fr"}));
  r.trigger();
  for (int i = 0; i < 100 && !holder.current()->listed("loop2.fr"); ++i) std::this_thread::sleep_for(20ms);
  CHECK(holder.current()->listed("loop2.fr"));

  // The loop checks the age by itself (every max_age/4, at least every second).
  struct timespec times[2] = {{0, UTIME_OMIT}, {::time(nullptr) - 60, 0}};
  REQUIRE(::utimensat(AT_FDCWD, file.c_str(), times, 0) == 0);
  r.trigger();
  for (int i = 0; i < 150 && gauge("mssgw_whitelist_stale") != 1; ++i) std::this_thread::sleep_for(20ms);
  CHECK(gauge("mssgw_whitelist_stale") == 1);

  auto t0 = std::chrono::steady_clock::now();
  r.stop();
  CHECK(std::chrono::steady_clock::now() - t0 < 2s);
}

TEST_CASE("refresher: [whitelist] config", "[refresher]") {
  auto read = [](std::string_view text, whitelist_config& out) {
    mssgw::common::config_errors errors;
    mssgw::common::config_document doc(text, "test.toml", errors);
    auto root = doc.root();
    auto s = root.sub("whitelist");
    out.read(s);
    s.finish();
    std::vector<std::string> messages;
    for (const auto& e : errors.all()) messages.push_back(e.to_string());
    return messages;
  };
  whitelist_config c;
  CHECK(read("[whitelist]\nurl = \"https://espacedeconfiance.mssante.fr/listeblanchemssante.xml\"\n"
             "refresh = \"1h\"\nmax_age = \"48h\"\ntimeout = \"30s\"\nmax_size = \"64MB\"\n",
             c)
            .empty());
  CHECK(c.configured());
  CHECK(c.refresh == 3600s);
  CHECK(c.timeout == 30s);
  CHECK(c.max_size == 64'000'000);
  whitelist_config d;
  CHECK(read("[whitelist]\nmax_age = \"2s\"\n", d).empty());
  CHECK(d.max_age == 2s);
  CHECK_FALSE(d.configured());
  whitelist_config e;
  auto errors = read("[whitelist]\nurl = \"http://insecure/l.xml\"\nfile = \"/tmp/x\"\nmax_age = \"0s\"\nbogus = 1\n", e);
  CHECK(errors.size() == 4);
}
