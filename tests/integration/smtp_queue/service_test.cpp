// The outbound queue end to end on 127.0.0.1: the real scheduler, c-ares-free static routes, the SMTP client with
// mutual TLS (test PKI, alpha as the sending operator), the trust-space check, DSNs into the sender's INBOX, and
// scripted servers playing the remote operator (scripted_server.hpp). The state lives in an in-memory store shared
// across "restarts" (a new io_context and service over the same store, as a new process over the same LMDB).
#include "common/asio.hpp"

#pragma GCC diagnostic ignored "-Wmismatched-new-delete"  // Asio's awaitable frames with g++ 12 (a false positive)

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <unistd.h>

#include "common/log.hpp"
#include "common/metrics.hpp"
#include "common/tls.hpp"
#include "scripted_server.hpp"
#include "smtp/queue/resolver.hpp"
#include "smtp/queue/service.hpp"
#include "storage/account_store.hpp"
#include "storage/mailbox_store.hpp"
#include "storage/memory/memory_store.hpp"
#include "storage/queue_store.hpp"
#include "storage/writer.hpp"
#include "trustspace/whitelist.hpp"

using namespace mssgw;
using namespace std::chrono_literals;
using testing::scripted_server;

namespace {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The shared test PKI ($MSSGW_BUILD_DIR/test-pki), made once (deploy/pki/make-test-pki.sh is idempotent).
const std::filesystem::path& pki() {
  static const std::filesystem::path dir = [] {
    std::filesystem::path d = MSSGW_TEST_PKI_DIR;
    std::string cmd = "bash '" MSSGW_SOURCE_DIR "/deploy/pki/make-test-pki.sh' '" + d.string() + "' >/dev/null";
    if (std::system(cmd.c_str()) != 0) throw std::runtime_error("make-test-pki.sh failed");
    return d;
  }();
  return dir;
}
std::string pki_file(std::string_view rel) { return (pki() / rel).string(); }

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

template <class Pred>
bool wait_until(Pred pred, std::chrono::milliseconds limit = 15s) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return pred();
}

const std::string alice = "alice@alpha.mssante.test";  // a local BAL: DSNs to her go to her INBOX

// The sending operator's state: store, writer, TLS contexts (alpha's certificate), whitelist, alice's BAL.
struct world {
  std::unique_ptr<storage::kv_store> store = storage::make_memory_store();
  storage::writer writer{*store};
  common::tls::manager tls;
  trustspace::whitelist whitelist;

  world() {
    common::tls::config c;
    c.certificate = pki_file("operators/alpha-chain.pem");
    c.key = pki_file("operators/alpha.key");
    c.trust_anchors = pki_file("trust/anchors.pem");
    c.crl_files = {pki_file("crl/all.crl.pem")};
    auto error = tls.start(c);
    REQUIRE(error.empty());
    auto parsed = trustspace::parse_whitelist(read_file(pki() / "whitelist.xml"));
    REQUIRE(parsed);
    whitelist.publish(parsed.value, std::chrono::system_clock::now());
    storage::account_record bal;
    bal.address = alice;
    bal.type = storage::bal_type::ORG;
    REQUIRE_FALSE(writer.run([bal](storage::write_txn& txn) { return storage::accounts::create(txn, bal); }));
  }

  struct rcpt {
    rcpt(std::string a, std::uint8_t n = 0, std::string o = "")  // NOLINT: implicit from an address
        : address(std::move(a)), notify(n), orcpt(std::move(o)) {}
    rcpt(const char* a) : rcpt(std::string(a)) {}  // NOLINT
    std::string address;
    std::uint8_t notify = 0;
    std::string orcpt;
  };
  std::uint64_t enqueue(std::string sender, std::vector<rcpt> rcpts, std::string body, std::int64_t created_ms = 0,
                        std::string envid = "", bool ret_full = false) {
    storage::queue_entry e;
    e.sender = std::move(sender);
    e.envid = std::move(envid);
    e.ret_full = ret_full;
    e.created_ms = created_ms ? created_ms : now_ms();
    e.next_due_ms = now_ms();
    for (auto& r : rcpts) {
      storage::queue_recipient q;
      q.address = r.address;
      q.notify = r.notify;
      q.orcpt = r.orcpt;
      e.recipients.push_back(q);
    }
    auto id = std::make_shared<std::uint64_t>(0);
    REQUIRE_FALSE(writer.run([e, body, id](storage::write_txn& txn) mutable {
      *id = storage::queue::enqueue(txn, e, body);
      return std::error_code();
    }));
    return *id;
  }
  // Rewrites an entry (to simulate what a crashed run left behind).
  void modify(std::uint64_t id, const std::function<void(storage::queue_entry&)>& f) {
    REQUIRE_FALSE(writer.run([id, f](storage::write_txn& txn) -> std::error_code {
      auto e = storage::queue::get(txn, id);
      if (!e) return storage::errc::not_found;
      f(*e);
      return storage::queue::update(txn, *e);
    }));
  }
  std::optional<storage::queue_entry> entry(std::uint64_t id) {
    return storage::queue::get(*store->begin_read(), id);
  }
  std::vector<storage::queue_entry> all_entries() {
    std::vector<storage::queue_entry> out;
    storage::queue::scan_all(*store->begin_read(), [&](const storage::queue_entry& e) {
      out.push_back(e);
      return true;
    });
    return out;
  }
  // The messages in alice's INBOX (the DSNs she got).
  std::vector<std::string> inbox() {
    std::vector<std::string> out;
    auto txn = store->begin_read();
    auto box = storage::mailboxes::get(*txn, alice, "INBOX");
    if (!box) return out;
    storage::mailboxes::scan_uids(*txn, box->id, 1, UINT32_MAX, [&](const storage::uid_entry& u) {
      if (auto m = storage::messages::get(*txn, u.message_id)) {
        if (auto b = storage::blobs::get(*txn, m->blob)) out.emplace_back(*b);
      }
      return true;
    });
    return out;
  }
};

smtp::queue::config test_config(std::uint16_t port) {
  smtp::queue::config c;
  c.node_id = "node-test";
  c.scan_interval = 1s;
  c.minimal_backoff = 1s;
  c.maximal_backoff = 4s;
  c.lifetime = 3600s;
  c.delay_warning_time = 0s;
  c.lease = 60s;
  c.timeouts.connect = 3s;
  c.timeouts.greeting = 3s;
  c.timeouts.command = 3s;
  c.timeouts.tls_handshake = 3s;
  c.timeouts.data_init = 3s;
  c.timeouts.data_block = 3s;
  c.timeouts.data_end = 3s;
  c.routes["beta.mssante.test"] = {"127.0.0.1", port, true};
  return c;
}

// A running queue service: its own io_context and threads, like `mssgw serve`.
struct running_queue {
  running_queue(world& w, smtp::queue::config cfg) {
    smtp::queue::service_deps deps{*w.store, w.writer, w.tls, w.whitelist, "mx.alpha.mssante.test",
                                   {"alpha.mssante.test"}};
    svc = std::make_unique<smtp::queue::service>(io, std::move(cfg), std::move(deps));
    svc->start();
    for (int i = 0; i < 2; ++i) threads.emplace_back([this] { io.run(); });
  }
  ~running_queue() {
    svc->stop();
    guard.reset();
    io.stop();
    for (auto& t : threads) t.join();
    svc.reset();
  }
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> guard = asio::make_work_guard(io);
  std::unique_ptr<smtp::queue::service> svc;
  std::vector<std::thread> threads;
};

scripted_server::options beta_server() {
  scripted_server::options o;
  o.cert_chain = pki_file("operators/beta-chain.pem");
  o.key = pki_file("operators/beta.key");
  o.client_ca = pki_file("trust/anchors.pem");
  return o;
}

const std::string body =
    "From: Alice <alice@alpha.mssante.test>\r\n"
    "To: bob@beta.mssante.test\r\n"
    "Subject: compte rendu\r\n"
    "X-MSS-NIL: DEV935997\r\n"
    "\r\n"
    "line one\r\n"
    ".a line that starts with a dot\r\n"
    "last line\r\n";

}  // namespace

TEST_CASE("delivers over mutual TLS with the trust-space check, then removes the entry", "[queue][integration]") {
  scripted_server server(beta_server());
  world w;
  auto& delivered = metrics::get_counter("mssgw_deliveries_total", "", "result=\"delivered\"");
  const auto before = delivered.value();
  auto id = w.enqueue(alice, {{"bob@beta.mssante.test"}}, body);
  running_queue q(w, test_config(server.port()));
  REQUIRE(wait_until([&] { return !w.entry(id); }));
  auto got = server.messages();
  REQUIRE(got.size() == 1);
  CHECK(got[0].mail_from == "MAIL FROM:<alice@alpha.mssante.test> SIZE=" + std::to_string(body.size()));
  CHECK(got[0].rcpt_lines == std::vector<std::string>{"RCPT TO:<bob@beta.mssante.test>"});
  CHECK(got[0].data == body);  // dot-stuffed on the wire, unstuffed by the server
  CHECK(got[0].peer_subject.starts_with("CN=mx.alpha.mssante.test,"));  // our certificate was presented
  CHECK(got[0].tls_version == "TLSv1.3");
  CHECK(w.inbox().empty());  // no NOTIFY=SUCCESS: no notice
  CHECK(delivered.value() == before + 1);
  CHECK(metrics::render_prometheus().find("mssgw_queue_size") != std::string::npos);
}

TEST_CASE("250, 451 and 550 per recipient: delivered, deferred with backoff, bounced with a DSN",
          "[queue][integration]") {
  scripted_server server(beta_server());
  server.set_rcpt_reply([](const std::string& a) -> std::string {
    if (a.starts_with("busy")) return "451 4.2.1 Mailbox busy, try later";
    if (a.starts_with("bad")) return "550 5.1.1 No such user";
    return "250 2.1.5 Ok";
  });
  world w;
  auto id = w.enqueue(alice, {{"ok@beta.mssante.test"}, {"busy@beta.mssante.test"}, {"bad@beta.mssante.test"}}, body,
                      0, "ENV-42");
  const auto start = now_ms();
  running_queue q(w, test_config(server.port()));
  REQUIRE(wait_until([&] {
    auto e = w.entry(id);
    return e && e->attempts == 1 && e->lease_owner.empty();
  }));
  auto e = *w.entry(id);
  CHECK(e.recipients[0].status == storage::rcpt_status::delivered);
  CHECK(e.recipients[1].status == storage::rcpt_status::pending);
  CHECK(e.recipients[1].last_code == 451);
  CHECK(e.recipients[1].last_status == "4.2.1");
  CHECK(e.recipients[1].last_reply == "smtp; 451 4.2.1 Mailbox busy, try later");
  CHECK(e.recipients[2].status == storage::rcpt_status::failed);
  // Backoff: the next attempt is minimal_backoff (1 s) after this one.
  CHECK(e.next_due_ms >= start + 1000);
  CHECK(e.next_due_ms <= now_ms() + 1000);
  // The failure notice is in alice's INBOX, from MAILER-DAEMON, about bad@ only.
  REQUIRE(wait_until([&] { return w.inbox().size() == 1; }));
  const std::string dsn = w.inbox()[0];
  CHECK(dsn.starts_with("From: MAILER-DAEMON@mx.alpha.mssante.test"));
  CHECK(dsn.find("Original-Envelope-Id: ENV-42\r\n") != std::string::npos);
  CHECK(dsn.find("Final-Recipient: rfc822; bad@beta.mssante.test\r\nAction: failed\r\nStatus: 5.1.1\r\n"
                 "Remote-MTA: dns; 127.0.0.1\r\nDiagnostic-Code: smtp; 550 5.1.1 No such user\r\n") !=
        std::string::npos);
  CHECK(dsn.find("busy@beta") == std::string::npos);
  CHECK(dsn.find("Subject: compte rendu") != std::string::npos);  // the original's header (RET=HDRS default)
  CHECK(dsn.find("a line that starts with a dot") == std::string::npos);

  // The busy mailbox frees up: the retry delivers to it alone, and the entry goes.
  server.set_rcpt_reply([](const std::string&) -> std::string { return "250 2.1.5 Ok"; });
  REQUIRE(wait_until([&] { return !w.entry(id); }));
  auto got = server.messages();
  REQUIRE(got.size() == 2);
  CHECK(got[1].rcpt_lines == std::vector<std::string>{"RCPT TO:<busy@beta.mssante.test>"});
  CHECK(w.inbox().size() == 1);
}

TEST_CASE("a server whose DN is not listed for the domain: deferred, nothing sent", "[queue][integration]") {
  auto o = beta_server();
  o.cert_chain = pki_file("operators/gamma-chain.pem");  // valid IGC chain, but listed for gamma only
  o.key = pki_file("operators/gamma.key");
  scripted_server server(o);
  world w;
  auto id = w.enqueue(alice, {{"bob@beta.mssante.test"}}, body);
  running_queue q(w, test_config(server.port()));
  REQUIRE(wait_until([&] {
    auto e = w.entry(id);
    return e && e->attempts >= 1 && e->lease_owner.empty();
  }));
  auto e = *w.entry(id);
  CHECK(e.recipients[0].status == storage::rcpt_status::pending);
  CHECK(e.recipients[0].last_status == "4.7.1");
  CHECK(e.recipients[0].last_reply.find("server certificate not accepted for beta.mssante.test") != std::string::npos);
  CHECK(server.messages().empty());
  for (const auto& line : server.transcript()) CHECK_FALSE(line.starts_with("MAIL"));
  CHECK(w.inbox().empty());
}

TEST_CASE("a server certificate from an untrusted CA: TLS fails, deferred", "[queue][integration]") {
  auto o = beta_server();
  o.cert_chain = pki_file("rogue/alpha-impostor.pem");
  o.key = pki_file("rogue/alpha-impostor.key");
  scripted_server server(o);
  world w;
  auto id = w.enqueue(alice, {{"bob@beta.mssante.test"}}, body);
  running_queue q(w, test_config(server.port()));
  REQUIRE(wait_until([&] {
    auto e = w.entry(id);
    return e && e->attempts >= 1 && e->lease_owner.empty();
  }));
  auto e = *w.entry(id);
  CHECK(e.recipients[0].status == storage::rcpt_status::pending);
  CHECK(e.recipients[0].last_status == "4.7.5");
  CHECK(e.recipients[0].last_reply.find("TLS handshake failed") != std::string::npos);
  CHECK(server.messages().empty());
}

TEST_CASE("a server without STARTTLS: deferred, never plaintext", "[queue][integration]") {
  auto o = beta_server();
  o.starttls = false;
  scripted_server server(o);
  world w;
  auto id = w.enqueue(alice, {{"bob@beta.mssante.test"}}, body);
  running_queue q(w, test_config(server.port()));
  REQUIRE(wait_until([&] {
    auto e = w.entry(id);
    return e && e->attempts >= 1 && e->lease_owner.empty();
  }));
  auto e = *w.entry(id);
  CHECK(e.recipients[0].last_status == "4.7.4");
  for (const auto& line : server.transcript()) CHECK_FALSE(line.starts_with("MAIL"));
}

TEST_CASE("our client certificate refused (TLS 1.3, first read): deferred and logged", "[queue][integration]") {
  const auto log_file = std::filesystem::temp_directory_path() / ("mssgw-queue-test-" + std::to_string(getpid()) + ".log");
  std::filesystem::remove(log_file);
  log::config lc;
  lc.file = log_file;
  log::init(lc);
  auto o = beta_server();
  o.client_ca = pki_file("rogue/rogue-ca.pem");  // the server trusts another CA for clients
  o.tls13_only = true;
  scripted_server server(o);
  world w;
  auto id = w.enqueue(alice, {{"bob@beta.mssante.test"}}, body);
  {
    running_queue q(w, test_config(server.port()));
    REQUIRE(wait_until([&] {
      auto e = w.entry(id);
      return e && e->attempts >= 1 && e->lease_owner.empty();
    }));
  }
  auto e = *w.entry(id);
  CHECK(e.recipients[0].status == storage::rcpt_status::pending);
  CHECK(e.recipients[0].last_status == "4.7.5");
  CHECK(e.recipients[0].last_reply.find("refused our client certificate") != std::string::npos);
  log::flush();
  const std::string logged = read_file(log_file);
  CHECK(logged.find("queue.tls.client_certificate_refused") != std::string::npos);
  log::init(log::config{});
  std::filesystem::remove(log_file);
}

TEST_CASE("our client certificate refused (TLS 1.2, alert in the handshake): deferred", "[queue][integration]") {
  auto o = beta_server();
  o.client_ca = pki_file("rogue/rogue-ca.pem");
  o.tls12_only = true;
  scripted_server server(o);
  world w;
  auto id = w.enqueue(alice, {{"bob@beta.mssante.test"}}, body);
  running_queue q(w, test_config(server.port()));
  REQUIRE(wait_until([&] {
    auto e = w.entry(id);
    return e && e->attempts >= 1 && e->lease_owner.empty();
  }));
  auto e = *w.entry(id);
  CHECK(e.recipients[0].status == storage::rcpt_status::pending);
  CHECK(e.recipients[0].last_status == "4.7.5");
  CHECK(e.recipients[0].last_reply.find("the server refused our client certificate") != std::string::npos);
  CHECK(server.messages().empty());
}

TEST_CASE("lifetime over: the pending recipients bounce, DSN to a local or a remote sender", "[queue][integration]") {
  scripted_server server(beta_server());
  server.set_rcpt_reply([](const std::string&) -> std::string { return "451 4.3.0 Temporary failure"; });
  world w;
  auto cfg = test_config(server.port());
  cfg.lifetime = 3600s;
  cfg.routes["gamma.mssante.test"] = {"127.0.0.1", 1, true};  // the remote sender's operator: unreachable here
  const std::int64_t old = now_ms() - 3600'000 - 1000;
  auto local_id = w.enqueue(alice, {{"bob@beta.mssante.test"}}, body, old);
  auto remote_id = w.enqueue("carol@gamma.mssante.test", {{"dave@beta.mssante.test"}}, body, old);
  running_queue q(w, cfg);
  REQUIRE(wait_until([&] { return !w.entry(local_id) && !w.entry(remote_id); }));
  REQUIRE(wait_until([&] { return w.inbox().size() == 1; }));
  const std::string dsn = w.inbox()[0];
  CHECK(dsn.find("Final-Recipient: rfc822; bob@beta.mssante.test\r\nAction: failed\r\nStatus: 5.4.7\r\n") !=
        std::string::npos);
  CHECK(dsn.find("Diagnostic-Code: smtp; 451 4.3.0 Temporary failure") != std::string::npos);
  // Carol is not local: her notice is a new queue entry from the null sender, never bounced itself.
  std::optional<storage::queue_entry> notice;
  REQUIRE(wait_until([&] {
    for (auto& e : w.all_entries()) {
      if (e.sender.empty() && e.recipients.size() == 1 && e.recipients[0].address == "carol@gamma.mssante.test") {
        notice = e;
      }
    }
    return notice.has_value();
  }));
  CHECK(notice->recipients[0].notify == storage::notify_never);
  std::string bytes(*storage::blobs::get(*w.store->begin_read(), notice->blob));
  CHECK(bytes.find("Final-Recipient: rfc822; dave@beta.mssante.test") != std::string::npos);
}

TEST_CASE("retry after restart: this node's stale lease is released at start", "[queue][integration]") {
  scripted_server server(beta_server());
  world w;
  auto id = w.enqueue(alice, {{"bob@beta.mssante.test"}}, body);
  // What a run of this node killed during the delivery leaves behind: a lease for an hour, due at its end.
  const auto until = now_ms() + 3600'000;
  w.modify(id, [until](storage::queue_entry& e) {
    e.lease_owner = "node-test";
    e.lease_until_ms = until;
    e.next_due_ms = until;
  });
  running_queue q(w, test_config(server.port()));
  REQUIRE(wait_until([&] { return !w.entry(id); }, 10s));
  CHECK(server.messages().size() == 1);
}

TEST_CASE("retry after restart: another node's lease is honoured until it expires", "[queue][integration]") {
  scripted_server server(beta_server());
  world w;
  auto id = w.enqueue(alice, {{"bob@beta.mssante.test"}}, body);
  const auto until = now_ms() + 3000;
  w.modify(id, [until](storage::queue_entry& e) {
    e.lease_owner = "dead-node";
    e.lease_until_ms = until;
    e.next_due_ms = until;
  });
  running_queue q(w, test_config(server.port()));
  std::this_thread::sleep_for(1500ms);
  CHECK(w.entry(id));  // still leased by the other node
  CHECK(server.connections() == 0);
  REQUIRE(wait_until([&] { return !w.entry(id); }, 10s));
  CHECK(now_ms() >= until);
  CHECK(server.messages().size() == 1);
}

TEST_CASE("the queue survives a restart between attempts", "[queue][integration]") {
  scripted_server server(beta_server());
  server.set_rcpt_reply([](const std::string&) -> std::string { return "451 4.3.0 Not now"; });
  world w;
  auto id = w.enqueue(alice, {{"bob@beta.mssante.test"}}, body);
  {
    running_queue q(w, test_config(server.port()));
    REQUIRE(wait_until([&] {
      auto e = w.entry(id);
      return e && e->attempts >= 1 && e->lease_owner.empty();
    }));
  }  // stopped: a new process starts over the same store
  server.set_rcpt_reply([](const std::string&) -> std::string { return "250 Ok"; });
  running_queue again(w, test_config(server.port()));
  REQUIRE(wait_until([&] { return !w.entry(id); }));
  CHECK(server.messages().size() == 1);
}

TEST_CASE("NOTIFY=SUCCESS: 'relayed' notice from a server without DSN, passed on to one with DSN",
          "[queue][integration]") {
  {
    auto o = beta_server();
    o.dsn = false;
    scripted_server server(o);
    world w;
    auto id = w.enqueue(alice, {{"bob@beta.mssante.test", storage::notify_success, "rfc822;Bob@beta.mssante.test"}},
                        body, 0, "ENV-7", true);
    running_queue q(w, test_config(server.port()));
    REQUIRE(wait_until([&] { return !w.entry(id) && w.inbox().size() == 1; }));
    const std::string dsn = w.inbox()[0];
    CHECK(dsn.find("Original-Recipient: rfc822; Bob@beta.mssante.test\r\nFinal-Recipient: rfc822; "
                   "bob@beta.mssante.test\r\nAction: relayed\r\nStatus: 2.0.0\r\n") != std::string::npos);
    CHECK(dsn.find("Content-Type: message/rfc822") != std::string::npos);  // RET=FULL
    CHECK(dsn.find("a line that starts with a dot") != std::string::npos);
    auto got = server.messages();
    REQUIRE(got.size() == 1);
    CHECK(got[0].rcpt_lines[0] == "RCPT TO:<bob@beta.mssante.test>");  // no DSN parameters to a non-DSN server
  }
  {
    scripted_server server(beta_server());
    world w;
    auto id = w.enqueue(alice, {{"bob@beta.mssante.test", storage::notify_success, "rfc822;Bob+x@beta.mssante.test"}},
                        body, 0, "ENV 7", true);
    running_queue q(w, test_config(server.port()));
    REQUIRE(wait_until([&] { return !w.entry(id); }));
    auto got = server.messages();
    REQUIRE(got.size() == 1);
    CHECK(got[0].mail_from.ends_with(" RET=FULL ENVID=ENV+207"));
    CHECK(got[0].rcpt_lines[0] == "RCPT TO:<bob@beta.mssante.test> NOTIFY=SUCCESS ORCPT=rfc822;Bob+2Bx@beta.mssante.test");
    std::this_thread::sleep_for(300ms);
    CHECK(w.inbox().empty());  // the final MTA reports the success (RFC 3461 §5.2.1)
  }
}

TEST_CASE("one DELAY notice once the message is older than delay_warning_time", "[queue][integration]") {
  scripted_server server(beta_server());
  server.set_rcpt_reply([](const std::string&) -> std::string { return "451 4.2.2 Mailbox full"; });
  world w;
  auto cfg = test_config(server.port());
  cfg.delay_warning_time = 1s;
  auto id = w.enqueue(alice, {{"bob@beta.mssante.test", storage::notify_delay | storage::notify_failure}}, body,
                      now_ms() - 2000);
  running_queue q(w, cfg);
  REQUIRE(wait_until([&] { return w.inbox().size() == 1; }));
  const std::string dsn = w.inbox()[0];
  CHECK(dsn.find("Subject: Delayed Mail (still being retried)") != std::string::npos);
  CHECK(dsn.find("Action: delayed\r\nStatus: 4.2.2\r\n") != std::string::npos);
  CHECK(dsn.find("Will-Retry-Until: ") != std::string::npos);
  // Further deferrals send nothing more.
  REQUIRE(wait_until([&] {
    auto e = w.entry(id);
    return e && e->attempts >= 3;
  }));
  CHECK(w.inbox().size() == 1);
  CHECK(w.entry(id)->recipients[0].delay_notified);
}

TEST_CASE("per-destination concurrency limit", "[queue][integration]") {
  auto o = beta_server();
  o.data_delay = 400ms;
  scripted_server server(o);
  world w;
  std::vector<std::uint64_t> ids;
  for (int i = 0; i < 6; ++i) ids.push_back(w.enqueue(alice, {{"r" + std::to_string(i) + "@beta.mssante.test"}}, body));
  auto cfg = test_config(server.port());
  cfg.per_destination = 2;
  running_queue q(w, cfg);
  REQUIRE(wait_until([&] { return w.all_entries().empty(); }, 20s));
  CHECK(server.messages().size() == 6);
  CHECK(server.max_concurrent() <= 2);
  CHECK(server.max_concurrent() >= 1);
}

namespace {

std::size_t count_lines(const std::vector<std::string>& transcript, std::string_view verb) {
  return static_cast<std::size_t>(std::count_if(transcript.begin(), transcript.end(),
                                                [&](const std::string& l) { return l.starts_with(verb); }));
}

}  // namespace

TEST_CASE("connection reuse: messages to one destination share one mutual-TLS session", "[queue][integration][reuse]") {
  scripted_server server(beta_server());
  world w;
  auto cfg = test_config(server.port());
  cfg.per_destination = 1;
  cfg.connection_cache_time = 3s;  // the scan that finds the next entry comes within scan_interval (1 s)
  running_queue q(w, cfg);
  for (int i = 0; i < 5; ++i) {
    w.enqueue(alice, {{"r" + std::to_string(i) + "@beta.mssante.test"}}, body);
    REQUIRE(wait_until([&] { return w.all_entries().empty(); }, 10s));  // one after the other, each while parked
  }
  CHECK(server.messages().size() == 5);
  CHECK(server.connections() == 1);
  for (const auto& m : server.messages()) CHECK(m.peer_subject.find("CN=mx.alpha.mssante.test") != std::string::npos);
  auto t = server.transcript();
  CHECK(count_lines(t, "MAIL FROM") == 5);
  CHECK(count_lines(t, "EHLO") == 2);  // before and after STARTTLS, once
  CHECK(count_lines(t, "RSET") == 5);
  // Unused for connection_cache_time: QUIT, and the server sees the session end.
  CHECK(wait_until([&] { return count_lines(server.transcript(), "CLOSED") == 1; }, 8s));
  CHECK(count_lines(server.transcript(), "QUIT") == 1);
}

TEST_CASE("connection reuse off (connection_cache_time = 0): QUIT after each message", "[queue][integration][reuse]") {
  scripted_server server(beta_server());
  world w;
  auto cfg = test_config(server.port());
  cfg.per_destination = 1;
  cfg.connection_cache_time = 0s;
  running_queue q(w, cfg);
  for (int i = 0; i < 3; ++i) {
    w.enqueue(alice, {{"r" + std::to_string(i) + "@beta.mssante.test"}}, body);
    REQUIRE(wait_until([&] { return w.all_entries().empty(); }, 10s));
  }
  CHECK(server.connections() == 3);
  CHECK(count_lines(server.transcript(), "RSET") == 0);
  CHECK(count_lines(server.transcript(), "QUIT") == 3);
}

TEST_CASE("connection reuse: a parked session the server timed out is replaced, the message is not deferred",
          "[queue][integration][reuse]") {
  auto o = beta_server();
  o.idle_timeout = 200ms;
  scripted_server server(o);
  world w;
  auto& deferred = metrics::get_counter("mssgw_deliveries_total", "", "result=\"deferred\"");
  auto cfg = test_config(server.port());
  cfg.connection_cache_time = 5s;
  running_queue q(w, cfg);
  w.enqueue(alice, {{"first@beta.mssante.test"}}, body);
  REQUIRE(wait_until([&] { return w.all_entries().empty(); }, 10s));
  REQUIRE(wait_until([&] { return count_lines(server.transcript(), "IDLE-TIMEOUT") == 1; }, 5s));
  const auto deferred_before = deferred.value();
  w.enqueue(alice, {{"second@beta.mssante.test"}}, body);
  REQUIRE(wait_until([&] { return w.all_entries().empty(); }, 10s));
  CHECK(deferred.value() == deferred_before);
  CHECK(server.messages().size() == 2);
  CHECK(server.connections() == 2);
}

TEST_CASE("connection reuse: the trust-space verdict is taken again at reuse", "[queue][integration][reuse]") {
  scripted_server server(beta_server());
  world w;
  auto cfg = test_config(server.port());
  cfg.connection_cache_time = 10s;
  running_queue q(w, cfg);
  w.enqueue(alice, {{"first@beta.mssante.test"}}, body);
  REQUIRE(wait_until([&] { return w.all_entries().empty(); }, 10s));
  // The whitelist now binds beta.mssante.test to another DN: the parked session must not carry the next message.
  std::string xml = read_file(pki() / "whitelist.xml");
  const std::string listed = "CN=mx.beta.mssante.test";
  REQUIRE(xml.find(listed) != std::string::npos);
  for (auto at = xml.find(listed); at != std::string::npos; at = xml.find(listed, at)) {
    xml.replace(at, listed.size(), "CN=mx.other.mssante.test");
  }
  auto parsed = trustspace::parse_whitelist(xml);
  REQUIRE(parsed);
  w.whitelist.publish(parsed.value, std::chrono::system_clock::now());
  auto id = w.enqueue(alice, {{"second@beta.mssante.test"}}, body);
  REQUIRE(wait_until(
      [&] {
        auto e = w.entry(id);
        return e && e->recipients[0].last_code / 100 == 4;
      },
      10s));
  CHECK(server.messages().size() == 1);
  CHECK(count_lines(server.transcript(), "MAIL FROM") == 1);
}
