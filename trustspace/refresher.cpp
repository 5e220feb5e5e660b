#include "trustspace/refresher.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <openssl/evp.h>
#include <sys/stat.h>

#include "common/config.hpp"
#include "common/log.hpp"
#include "common/metrics.hpp"
#include "storage/kv.hpp"
#include "storage/schema.hpp"
#include "storage/writer.hpp"
#include "trustspace/error.hpp"

namespace mssgw::trustspace {
namespace {

using namespace std::chrono_literals;
namespace schema = storage::schema;

constexpr std::uint8_t meta_version = 1;

log::context tlog() { return log::context(log::module::trustspace); }

metrics::gauge& age_gauge() {
  static metrics::gauge& g = metrics::get_gauge("mssgw_whitelist_age_seconds",
                                                "Seconds since the whitelist copy was last known current (-1: no copy)");
  return g;
}
metrics::gauge& stale_gauge() {
  static metrics::gauge& g =
      metrics::get_gauge("mssgw_whitelist_stale", "1 when the whitelist copy is older than [whitelist] max_age");
  return g;
}
metrics::gauge& entries_gauge() {
  static metrics::gauge& g = metrics::get_gauge("mssgw_whitelist_entries", "Domaine entries in the running whitelist");
  return g;
}
metrics::gauge& domains_gauge() {
  static metrics::gauge& g = metrics::get_gauge("mssgw_whitelist_domains", "Domains in the running whitelist");
  return g;
}
metrics::counter& refresh_counter(refresh_outcome::kind k) {
  static constexpr std::string_view help = "Whitelist refreshes by result";
  static metrics::counter& updated = metrics::get_counter("mssgw_whitelist_refresh_total", help, "result=\"updated\"");
  static metrics::counter& unchanged =
      metrics::get_counter("mssgw_whitelist_refresh_total", help, "result=\"unchanged\"");
  static metrics::counter& failed = metrics::get_counter("mssgw_whitelist_refresh_total", help, "result=\"failed\"");
  switch (k) {
    case refresh_outcome::kind::updated: return updated;
    case refresh_outcome::kind::unchanged: return unchanged;
    case refresh_outcome::kind::failed: break;
  }
  return failed;
}

std::int64_t unix_ms(clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
std::int64_t unix_s(clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}
clock::time_point from_ms(std::int64_t ms) {
  return clock::time_point(std::chrono::duration_cast<clock::duration>(std::chrono::milliseconds(ms)));
}

std::string sha256_hex(std::string_view bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha256(), nullptr) != 1) return {};
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out.push_back(hex[md[i] >> 4]);
    out.push_back(hex[md[i] & 15]);
  }
  return out;
}

refresh_outcome failure(std::error_code ec, std::string message) {
  refresh_outcome r;
  r.result = refresh_outcome::kind::failed;
  r.error = ec;
  r.message = std::move(message);
  return r;
}

void set_size_gauges(const snapshot& s) {
  entries_gauge().set(static_cast<double>(s.entries().size()));
  domains_gauge().set(static_cast<double>(s.domain_count()));
}

}  // namespace

// ---- config ----

void whitelist_config::read(common::config_section& s) {
  s.string("url", url, 2048);
  s.path("file", file);  // may appear later (a cron job drops it): a missing file is a failed refresh, not a config error
  s.path("ca_file", ca_file, common::path_check::file_exists);
  s.duration("refresh", refresh, 1s, std::chrono::hours(24 * 7));
  s.duration("retry", retry, 1s, std::chrono::hours(24));
  s.duration("max_age", max_age, 1s, std::chrono::hours(24 * 365));
  s.duration("timeout", timeout, 1s, std::chrono::hours(1));
  s.duration("connect_timeout", connect_timeout, 1s, std::chrono::minutes(10));
  s.byte_size("max_size", max_size, 1024, 1ull << 30);
  std::int64_t entries = static_cast<std::int64_t>(max_entries);
  s.integer("max_entries", entries, 1, 100'000'000);
  max_entries = static_cast<std::size_t>(entries);
  if (!url.empty() && !file.empty()) s.error("file", "url and file are two sources: configure one");
  if (!url.empty()) {
    std::string scheme = url.substr(0, 8);
    std::transform(scheme.begin(), scheme.end(), scheme.begin(), [](unsigned char c) { return std::tolower(c); });
    if (scheme != "https://") s.error("url", "must be an https:// URL (mssante/README §2)");
  }
}

// ---- stored copy (storage/schema.hpp: table whitelist) ----

std::string encode_meta(const stored_meta& m) {
  return schema::encoder(meta_version)
      .str(m.source)
      .str(m.etag)
      .str(m.last_modified)
      .i64(m.fetched_at)
      .i64(m.verified_ms)
      .str(m.sha256)
      .u64(m.size)
      .take();
}

std::optional<stored_meta> decode_meta(std::string_view record) {
  schema::decoder d(record);
  if (!d.ok() || d.version() != meta_version) return std::nullopt;
  stored_meta m;
  m.source = d.str();
  m.etag = d.str();
  m.last_modified = d.str();
  m.fetched_at = d.i64();
  m.verified_ms = d.i64();
  m.sha256 = d.str();
  m.size = d.u64();
  if (!d.ok() || !d.at_end()) return std::nullopt;
  return m;
}

std::optional<std::pair<stored_meta, std::string>> read_stored(const storage::read_txn& txn) {
  auto meta = txn.get(storage::table::whitelist, schema::whitelist_meta_key);
  auto copy = txn.get(storage::table::whitelist, schema::whitelist_copy_key);
  if (!meta || !copy) return std::nullopt;
  auto m = decode_meta(*meta);
  if (!m) return std::nullopt;
  return std::make_pair(std::move(*m), std::string(*copy));
}

void write_stored(storage::write_txn& txn, const stored_meta& meta, std::string_view bytes) {
  if (!bytes.empty()) txn.put(storage::table::whitelist, schema::whitelist_copy_key, bytes);
  txn.put(storage::table::whitelist, schema::whitelist_meta_key, encode_meta(meta));
}

std::string_view to_string(refresh_outcome::kind k) {
  switch (k) {
    case refresh_outcome::kind::updated: return "updated";
    case refresh_outcome::kind::unchanged: return "unchanged";
    case refresh_outcome::kind::failed: return "failed";
  }
  return "failed";
}

// ---- refresher ----

refresher::refresher(whitelist& target, whitelist_config cfg, storage::kv_store* store, storage::writer* writer)
    : refresher(target, std::move(cfg), store, writer, options{}) {}

refresher::refresher(whitelist& target, whitelist_config cfg, storage::kv_store* store, storage::writer* writer,
                     options opts)
    : target_(target), store_(store), writer_(writer), opts_(std::move(opts)), cfg_(std::move(cfg)) {
  if (!opts_.http) opts_.http = make_curl_fetcher();
  if (!opts_.now) opts_.now = [] { return clock::now(); };
}

refresher::~refresher() { stop(); }

whitelist_config refresher::config() const {
  std::lock_guard lock(mutex_);
  return cfg_;
}

stored_meta refresher::meta() const {
  std::lock_guard lock(mutex_);
  return meta_;
}

void refresher::reconfigure(whitelist_config cfg) {
  std::lock_guard lock(mutex_);
  cfg_ = std::move(cfg);
}

bool refresher::load_stored() {
  if (!store_) return false;
  std::optional<std::pair<stored_meta, std::string>> stored;
  {
    auto txn = store_->begin_read();
    stored = read_stored(*txn);
  }  // never keep a read transaction longer than needed
  if (!stored) return false;
  auto r = parse_whitelist(stored->second, config().parsing());
  if (!r) {
    tlog().error("whitelist.stored.invalid", {{"reason", r.issue.to_string()}, {"source", stored->first.source}});
    return false;
  }
  target_.publish(r.value, from_ms(stored->first.verified_ms));
  set_size_gauges(*r.value);
  {
    std::lock_guard lock(mutex_);
    meta_ = stored->first;
  }
  tlog().info("whitelist.loaded", {{"from", "state"}, {"source", stored->first.source},
                                   {"entries", r.value->entries().size()}, {"domains", r.value->domain_count()},
                                   {"verified_at", format_iso8601(from_ms(stored->first.verified_ms))}});
  return true;
}

refresh_outcome refresher::refresh_once(bool force) {
  std::lock_guard serial(refresh_mutex_);
  auto cfg = config();
  refresh_outcome r;
  if (!cfg.configured()) {
    r = failure(errc::no_source, "no [whitelist] url or file configured");
  } else if (!cfg.url.empty()) {
    r = refresh_url(cfg, force);
  } else {
    r = refresh_file(cfg, force);
  }
  refresh_counter(r.result).inc();
  if (r.result == refresh_outcome::kind::failed) {
    // Decision 4: a failed fetch or a parse error never empties the list.
    tlog().warn("whitelist.refresh.failed",
                {{"source", cfg.source()}, {"reason", r.message}, {"action", "keeping the running copy"}});
  }
  return r;
}

refresh_outcome refresher::refresh_url(const whitelist_config& cfg, bool force) {
  fetch_request req;
  req.url = cfg.url;
  req.ca_file = cfg.ca_file;
  req.connect_timeout = cfg.connect_timeout;
  req.timeout = cfg.timeout;
  req.max_bytes = cfg.max_size;
  req.cancel = &cancel_;
  stored_meta current = meta();
  bool have_copy = target_.loaded() && current.source == cfg.url;
  if (!force && have_copy) {
    req.etag = current.etag;
    req.last_modified = current.last_modified;
  }
  fetch_response resp = opts_.http->fetch(req);
  auto now = opts_.now();
  switch (resp.result) {
    case fetch_response::outcome::failed:
      return failure(resp.error, cfg.url + ": " + resp.message);
    case fetch_response::outcome::not_modified: {
      if (!have_copy) return failure(errc::http_status, cfg.url + ": 304 Not Modified, but there is no copy to keep");
      stored_meta m = current;
      if (!resp.etag.empty()) m.etag = resp.etag;
      if (!resp.last_modified.empty()) m.last_modified = resp.last_modified;
      m.verified_ms = unix_ms(now);
      confirm(std::move(m));
      tlog().info("whitelist.unchanged", {{"source", cfg.url}, {"status", 304}});
      refresh_outcome r;
      r.result = refresh_outcome::kind::unchanged;
      return r;
    }
    case fetch_response::outcome::ok: break;
  }
  stored_meta m;
  m.source = cfg.url;
  m.etag = resp.etag;
  m.last_modified = resp.last_modified;
  m.fetched_at = unix_s(now);
  m.verified_ms = unix_ms(now);
  m.sha256 = sha256_hex(resp.body);
  m.size = resp.body.size();
  if (!force && have_copy && m.sha256 == current.sha256) {
    confirm(std::move(m));  // a server without validators sent the same bytes again
    tlog().info("whitelist.unchanged", {{"source", cfg.url}, {"status", 200}});
    refresh_outcome r;
    r.result = refresh_outcome::kind::unchanged;
    return r;
  }
  return accept_bytes(cfg, std::move(resp.body), std::move(m));
}

refresh_outcome refresher::refresh_file(const whitelist_config& cfg, bool force) {
  struct stat st {};
  if (::stat(cfg.file.c_str(), &st) != 0) {
    return failure(errc::io_error, cfg.file.string() + ": " + std::error_code(errno, std::generic_category()).message());
  }
  if (static_cast<std::uint64_t>(st.st_size) > cfg.max_size) {
    return failure(errc::too_large, cfg.file.string() + ": " + std::to_string(st.st_size) + " bytes, over the limit of " +
                                        std::to_string(cfg.max_size) + " ([whitelist] max_size)");
  }
  std::ifstream in(cfg.file, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  if (!in && !in.eof()) return failure(errc::io_error, cfg.file.string() + ": read error");
  std::string bytes = ss.str();
  if (bytes.size() > cfg.max_size) return failure(errc::too_large, cfg.file.string() + ": grew over the size limit");

  // A file is as current as its last modification (an air-gapped site copies the day's list in).
  auto mtime = clock::time_point(std::chrono::seconds(st.st_mtim.tv_sec)) +
               std::chrono::duration_cast<clock::duration>(std::chrono::nanoseconds(st.st_mtim.tv_nsec));
  stored_meta m;
  m.source = cfg.file.string();
  m.fetched_at = unix_s(opts_.now());
  m.verified_ms = unix_ms(mtime);
  m.sha256 = sha256_hex(bytes);
  m.size = bytes.size();
  stored_meta current = meta();
  if (!force && target_.loaded() && current.source == m.source && current.sha256 == m.sha256) {
    m.fetched_at = current.fetched_at;
    if (m.verified_ms != current.verified_ms) confirm(std::move(m));
    refresh_outcome r;
    r.result = refresh_outcome::kind::unchanged;
    return r;
  }
  return accept_bytes(cfg, std::move(bytes), std::move(m));
}

refresh_outcome refresher::accept_bytes(const whitelist_config& cfg, std::string bytes, stored_meta m) {
  auto parsed = parse_whitelist(bytes, cfg.parsing());
  if (!parsed) return failure(parsed.error, cfg.source() + ": " + parsed.issue.to_string());
  auto previous = target_.current();
  target_.publish(parsed.value, from_ms(m.verified_ms));
  set_size_gauges(*parsed.value);
  {
    std::lock_guard lock(mutex_);
    meta_ = m;
  }
  persist(m, bytes);
  const snapshot& s = *parsed.value;
  tlog().info("whitelist.updated", {{"source", m.source}, {"entries", s.entries().size()}, {"domains", s.domain_count()},
                                    {"dns", s.dns().size()}, {"operators", s.operator_count()},
                                    {"generated", s.generated()}, {"sha256", m.sha256}});
  std::size_t shown = 0;
  for (const auto& w : s.warnings()) {
    if (shown++ == 10) {
      tlog().warn("whitelist.warning", {{"reason", "and " + std::to_string(s.warnings().size() - 10) + " more"}});
      break;
    }
    tlog().warn("whitelist.warning", {{"reason", w.to_string()}});
  }
  if (previous && previous->domain_count() > 0 && s.domain_count() * 2 < previous->domain_count()) {
    tlog().warn("whitelist.shrunk", {{"domains_before", previous->domain_count()}, {"domains_now", s.domain_count()}});
  }
  refresh_outcome r;
  r.result = refresh_outcome::kind::updated;
  r.snap = parsed.value;
  return r;
}

void refresher::confirm(stored_meta m) {
  target_.confirm(from_ms(m.verified_ms));
  {
    std::lock_guard lock(mutex_);
    meta_ = m;
  }
  persist(m, {});
}

void refresher::persist(const stored_meta& meta, std::string_view bytes) {
  if (!store_) return;
  // The writer runs the unit before run() returns, so the views stay valid; a unit may run twice (map growth):
  // it only writes.
  storage::write_unit unit = [&meta, bytes](storage::write_txn& txn) -> std::error_code {
    write_stored(txn, meta, bytes);
    return {};
  };
  std::error_code ec;
  try {
    ec = writer_ ? writer_->run(unit) : store_->commit_one(unit);
  } catch (const std::exception& e) {
    tlog().error("whitelist.persist.failed", {{"reason", e.what()}});
    return;
  }
  if (ec) tlog().error("whitelist.persist.failed", {{"reason", ec.message()}});
}

bool refresher::check_age() {
  auto now = opts_.now();
  auto verified = target_.verified_at();
  auto cfg = config();
  std::int64_t age = verified ? std::chrono::duration_cast<std::chrono::seconds>(now - *verified).count() : -1;
  bool stale = !verified || (now - *verified) > cfg.max_age;
  age_gauge().set(static_cast<double>(age));
  stale_gauge().set(stale ? 1.0 : 0.0);
  std::lock_guard lock(mutex_);
  if (stale && (!stale_ || !last_alarm_ || now - *last_alarm_ >= 1h)) {
    tlog().warn("whitelist.stale",
                {{"age_seconds", age}, {"max_age_seconds", static_cast<std::int64_t>(cfg.max_age.count())},
                 {"verified_at", verified ? format_iso8601(*verified) : std::string("never")},
                 {"source", cfg.configured() ? cfg.source() : std::string("none")}});
    last_alarm_ = now;
  } else if (!stale && stale_) {
    tlog().info("whitelist.fresh", {{"age_seconds", age}});
    last_alarm_.reset();
  }
  stale_ = stale;
  return stale;
}

void refresher::start() {
  bool had_copy = load_stored();
  auto cfg = config();
  std::chrono::seconds first_delay = 0s;  // a stored copy from a URL: check it at once, in the background
  if (!cfg.configured()) {
    tlog().warn("whitelist.no_source", {{"reason", had_copy ? "using the stored copy, which will age"
                                                            : "no whitelist: every inbound sender will be refused"}});
    first_delay = cfg.refresh;
  } else if (!had_copy || !cfg.file.empty()) {
    auto r = refresh_once();
    first_delay = r.result == refresh_outcome::kind::failed ? cfg.retry : cfg.refresh;
  }
  check_age();
  {
    std::lock_guard lock(mutex_);
    stopping_ = false;
  }
  cancel_ = false;
  thread_ = std::thread([this, first_delay] { loop(first_delay); });
}

void refresher::loop(std::chrono::seconds first_delay) {
  using steady = std::chrono::steady_clock;
  auto next = steady::now() + first_delay;
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (triggered_ || steady::now() >= next) {
      triggered_ = false;
      bool configured = cfg_.configured();
      lock.unlock();
      bool ok = true;
      if (configured) ok = refresh_once().result != refresh_outcome::kind::failed;
      lock.lock();
      next = steady::now() + (ok ? cfg_.refresh : cfg_.retry);
      if (stopping_) break;
    }
    lock.unlock();
    check_age();
    lock.lock();
    // Check the age often enough that the alarm fires within a quarter of max_age (tests use seconds).
    auto every = std::clamp<std::chrono::seconds>(cfg_.max_age / 4, 1s, 60s);
    auto wake = std::min(next, steady::now() + every);
    wake_.wait_until(lock, wake, [this] { return stopping_ || triggered_; });
  }
}

void refresher::trigger() {
  {
    std::lock_guard lock(mutex_);
    triggered_ = true;
  }
  wake_.notify_all();
}

void refresher::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cancel_ = true;  // aborts a transfer in progress within about a second
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace mssgw::trustspace
