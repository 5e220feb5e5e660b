#include "common/asio.hpp"

// g++ 12 reports -Wmismatched-new-delete inside Asio's awaitable frame allocator wherever a coroutine is
// instantiated: a false positive in the headers (bench/smtp_load.cpp has the same note), silenced for this file.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include "smtp/client/delivery.hpp"

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <array>
#include <optional>

#include "common/tls.hpp"
#include "trustspace/dn.hpp"
#include "trustspace/verdict.hpp"
#include "trustspace/whitelist.hpp"

namespace mssgw::smtp::client {

using tcp = asio::ip::tcp;

// The socket of one session and its deadline. Timer handlers hold a shared_ptr and check the generation, so a
// deadline that fired just as its operation completed cannot cancel the next operation.
struct outbound_connection : std::enable_shared_from_this<outbound_connection> {
  explicit outbound_connection(const asio::any_io_executor& ex) : socket(ex), timer(ex) {}
  tcp::socket socket;
  std::optional<asio::ssl::stream<tcp::socket>> tls;  // after STARTTLS (the socket is moved into it)
  tcp::socket* active = &socket;  // the lowest layer in use; lives as long as the connection
  asio::steady_timer timer;  // bound to the executor of the coroutine using the connection (rebound at reuse)
  std::chrono::steady_clock::time_point opened = std::chrono::steady_clock::now();
  std::uint64_t generation = 0;
  bool timed_out = false;
  bool cancelled = false;

  void arm(std::chrono::milliseconds limit) {
    timed_out = false;
    timer.expires_after(limit);
    timer.async_wait([self = shared_from_this(), gen = ++generation](const boost::system::error_code& ec) {
      if (ec || gen != self->generation) return;
      self->timed_out = true;
      boost::system::error_code ignored;
      self->active->cancel(ignored);
    });
  }
  void disarm() {
    ++generation;
    timer.cancel();
  }
  void abort() {
    cancelled = true;
    boost::system::error_code ignored;
    active->cancel(ignored);
    active->close(ignored);
  }
};

namespace {

// What the last I/O failure means for the conversation.
io_error classify(const boost::system::error_code& ec, const outbound_connection& c) {
  if (c.timed_out) return io_error::timeout;
  if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) return io_error::closed;
  return io_error::other;
}

std::string describe(const boost::system::error_code& ec, const outbound_connection& c) {
  if (c.cancelled) return "delivery cancelled (shutdown)";
  if (c.timed_out) return "timed out";
  return ec.message();
}

enum class drive_end { close, start_tls, park };

// Runs the conversation over `stream` until it closes or asks for TLS.
template <class Stream>
asio::awaitable<drive_end> drive(Stream& stream, conversation& conv, std::string& in, std::string& out,
                                 outbound_connection& conn, const timeouts& limits) {
  std::array<char, 16 * 1024> chunk;
  for (;;) {
    step s = conv.feed(in, out);
    in.erase(0, s.consumed);
    // Writes go in pieces of at most 64 KB, each under the data block timeout (RFC 5321 §4.5.3.2.5).
    std::size_t sent = 0;
    while (sent < out.size()) {
      std::size_t n = std::min<std::size_t>(out.size() - sent, 64 * 1024);
      boost::system::error_code ec;
      conn.arm(limits.data_block);
      co_await asio::async_write(stream, asio::buffer(out.data() + sent, n), asio::redirect_error(asio::use_awaitable, ec));
      conn.disarm();
      if (ec) {
        out.clear();
        conv.io_failed(classify(ec, conn), describe(ec, conn));
        co_return drive_end::close;
      }
      sent += n;
    }
    out.clear();
    if (s.next == step::kind::close) co_return drive_end::close;
    if (s.next == step::kind::start_tls) co_return drive_end::start_tls;
    if (s.next == step::kind::park) co_return drive_end::park;
    boost::system::error_code ec;
    conn.arm(limits.of(s.timeout));
    std::size_t n = co_await stream.async_read_some(asio::buffer(chunk), asio::redirect_error(asio::use_awaitable, ec));
    conn.disarm();
    if (ec) {
      conv.io_failed(classify(ec, conn), describe(ec, conn));
      co_return drive_end::close;
    }
    in.append(chunk.data(), n);
  }
}

std::string verify_error(SSL* ssl) {
  long v = SSL_get_verify_result(ssl);
  if (v == X509_V_OK) return {};
  return X509_verify_cert_error_string(v);
}

}  // namespace

// A TLS session between transactions. Everything it does while parked (the idle deadline, the QUIT) runs on the
// executor of its socket; the delivery that takes it rebinds the connection's timer to its own.
struct parked_session {
  parked_session(std::shared_ptr<outbound_connection> c, target t, server_extensions e, std::optional<trustspace::dn> dn)
      : conn(std::move(c)), where(std::move(t)), ext(e), server_dn(std::move(dn)), idle(conn->active->get_executor()) {}

  std::shared_ptr<outbound_connection> conn;  // conn->tls engaged
  target where;
  server_extensions ext;  // from the EHLO over TLS
  std::optional<trustspace::dn> server_dn;
  std::string tls_version, tls_cipher, peer_subject;
  std::chrono::steady_clock::time_point parked_at{};
  asio::steady_timer idle;
  bool closed = false;

  void shut() {
    if (closed) return;
    closed = true;
    boost::system::error_code ignored;
    idle.cancel();
    conn->active->close(ignored);
  }
};

namespace {

// Ends a parked (or parkable) session politely: QUIT, then close once written or after a second.
void close_parked(std::shared_ptr<parked_session> ps) {
  auto text = std::make_shared<const std::string>("QUIT\r\n");
  ps->idle.expires_after(std::chrono::seconds(1));
  ps->idle.async_wait([ps](const boost::system::error_code& ec) {
    if (!ec) ps->shut();
  });
  asio::async_write(*ps->conn->tls, asio::buffer(*text),
                    [ps, text](const boost::system::error_code&, std::size_t) { ps->shut(); });
}

// After the conversation over TLS: parks the session in the cache when it ended clean (RSET answered), else
// closes it.
void finish_tls_session(const delivery_request& req, const std::shared_ptr<outbound_connection>& conn, const target& where,
                        const conversation& conv, drive_end end, const std::string& unread,
                        const delivery_result& result, std::optional<trustspace::dn> server_dn) {
  if (end != drive_end::park) {
    boost::system::error_code ignored;
    conn->active->close(ignored);
    return;
  }
  auto ps = std::make_shared<parked_session>(conn, where, conv.extensions(), std::move(server_dn));
  ps->tls_version = result.tls_version;
  ps->tls_cipher = result.tls_cipher;
  ps->peer_subject = result.peer_subject;
  if (req.cache && !conn->cancelled && unread.empty()) {
    req.cache->put(req.domain, std::move(ps));
  } else {
    close_parked(std::move(ps));
  }
}

// While alive, cancel_scope::cancel() aborts the connection, on the executor of the coroutine using it.
class cancel_binding {
 public:
  cancel_binding(cancel_scope& scope, std::shared_ptr<outbound_connection> conn, const asio::any_io_executor& ex)
      : scope_(scope) {
    scope_.on_cancel([conn = std::move(conn), ex] { asio::post(ex, [conn] { conn->abort(); }); });
  }
  ~cancel_binding() { scope_.on_cancel(nullptr); }
  cancel_binding(const cancel_binding&) = delete;
  cancel_binding& operator=(const cancel_binding&) = delete;

 private:
  cancel_scope& scope_;
};

void note_remote(delivery_result& result, const target& t) {
  result.remote_mta = t.host;
  result.remote_address = t.address + ":" + std::to_string(t.port);
}

// One session with one address. Fills `result` from the conversation.
asio::awaitable<void> session(const delivery_request& req, const target& t, conversation& conv,
                              delivery_result& result, const std::shared_ptr<cancel_scope>& cancel) {
  auto ex = co_await asio::this_coro::executor;
  auto conn = std::make_shared<outbound_connection>(ex);
  const cancel_binding bound(*cancel, conn, ex);
  note_remote(result, t);
  const log::context& log = req.log;

  boost::system::error_code ec;
  auto address = asio::ip::make_address(t.address, ec);
  if (ec) {
    conv.io_failed(io_error::connect, "invalid address " + t.address);
    co_return;
  }
  conn->arm(req.limits.connect);
  co_await conn->socket.async_connect(tcp::endpoint(address, t.port), asio::redirect_error(asio::use_awaitable, ec));
  conn->disarm();
  if (ec) {
    conv.io_failed(io_error::connect, t.host + "[" + result.remote_address + "]: " + describe(ec, *conn));
    log.info("queue.connect.failed", {{"host", t.host}, {"address", result.remote_address}, {"reason", describe(ec, *conn)}});
    co_return;
  }

  std::string in, out;
  drive_end end = co_await drive(conn->socket, conv, in, out, *conn, req.limits);
  if (end == drive_end::close) {
    boost::system::error_code ignored;
    conn->socket.close(ignored);
    co_return;
  }

  // STARTTLS accepted (the conversation refused any byte after the 220). No TLS context: the operator's
  // certificate is not configured, so no delivery can happen (decision 3).
  if (!req.tls) {
    conv.io_failed(io_error::tls_handshake, "no TLS client context ([tls] certificate and trust anchors)");
    boost::system::error_code ignored;
    conn->socket.close(ignored);
    co_return;
  }
  conn->tls.emplace(std::move(conn->socket), *req.tls);
  auto& tls = *conn->tls;
  conn->active = &tls.next_layer();
  boost::system::error_code address_check;
  asio::ip::make_address(t.host, address_check);
  if (address_check) {  // SNI for names only (SSL_set_tlsext_host_name, without its C cast)
    SSL_ctrl(tls.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
             const_cast<char*>(t.host.c_str()));
  }
  conn->arm(req.limits.tls_handshake);
  co_await tls.async_handshake(asio::ssl::stream_base::client, asio::redirect_error(asio::use_awaitable, ec));
  conn->disarm();
  if (ec) {
    std::string why = describe(ec, *conn);
    if (auto v = verify_error(tls.native_handle()); !v.empty()) why += " (certificate: " + v + ")";
    // With TLS 1.2 the server's verdict on our certificate comes as an alert inside the handshake (OpenSSL names
    // received alerts "... alert ..."; our own verification failures are "certificate verify failed").
    if (why.find(" alert ") != std::string::npos &&
        (why.find("certificate") != std::string::npos || why.find("unknown ca") != std::string::npos)) {
      result.certificate_refused = true;
      why = "the server refused our client certificate: " + why;
      log.error("queue.tls.client_certificate_refused",
                {{"host", t.host}, {"address", result.remote_address}, {"domain", req.domain}, {"detail", why},
                 {"hint", "the server refused our certificate: check [tls] certificate, its chain and validity"}});
    }
    conv.io_failed(io_error::tls_handshake, why);
    log.warn("queue.tls.failed", {{"host", t.host}, {"address", result.remote_address}, {"reason", why}});
    boost::system::error_code ignored;
    tls.next_layer().close(ignored);
    co_return;
  }
  auto facts = common::tls::session_facts_of(tls.native_handle());
  result.tls_version = facts.version;
  result.tls_cipher = facts.cipher;

  // Decision 3: the server's certificate (already verified against the anchors) must carry a DN listed for the
  // recipient's domain.
  std::optional<trustspace::dn> server_dn;
  if (X509* cert = SSL_get1_peer_certificate(tls.native_handle())) {
    server_dn = trustspace::dn::from_x509(X509_get_subject_name(cert));
    X509_free(cert);
  }
  result.peer_subject = server_dn ? server_dn->to_string() : std::string();
  auto v = trustspace::outbound_server(server_dn ? &*server_dn : nullptr, req.domain, *req.whitelist);
  tls_verdict verdict;
  verdict.accept = v.accept;
  if (!v.accept) {
    verdict.code = v.code;
    verdict.enhanced = std::string(v.enhanced);
    verdict.reason = "server certificate not accepted for " + req.domain + ": " + v.log_reason;
    log.warn("queue.tls.server_refused", {{"host", t.host}, {"address", result.remote_address}, {"domain", req.domain},
                                          {"subject", result.peer_subject}, {"reason", v.log_reason}});
  }
  step s = conv.tls_ready(verdict, out);
  (void)s;  // drive() feeds again with the empty input: the conversation answers "read" after sending `out`
  end = co_await drive(tls, conv, in, out, *conn, req.limits);
  if (conv.client_certificate_refused()) {
    result.certificate_refused = true;
    log.error("queue.tls.client_certificate_refused",
              {{"host", t.host}, {"address", result.remote_address}, {"domain", req.domain},
               {"detail", conv.results().empty() ? std::string() : conv.results().front().diagnostic},
               {"hint", "the server refused our certificate: check [tls] certificate, its chain and validity"}});
  }
  finish_tls_session(req, conn, t, conv, end, in, result, std::move(server_dn));
}

// A transaction on a parked session (the conversation was built from its extensions).
asio::awaitable<void> resumed_session(const delivery_request& req, std::shared_ptr<parked_session> ps,
                                      conversation& conv, delivery_result& result,
                                      const std::shared_ptr<cancel_scope>& cancel) {
  auto ex = co_await asio::this_coro::executor;
  auto conn = ps->conn;
  conn->timer = asio::steady_timer(ex);  // its handlers must run where this coroutine runs
  conn->timed_out = false;
  const cancel_binding bound(*cancel, conn, ex);
  note_remote(result, ps->where);
  result.tls_version = ps->tls_version;
  result.tls_cipher = ps->tls_cipher;
  result.peer_subject = ps->peer_subject;
  std::string in, out;
  drive_end end = co_await drive(*conn->tls, conv, in, out, *conn, req.limits);
  finish_tls_session(req, conn, ps->where, conv, end, in, result, std::move(ps->server_dn));
}

}  // namespace

connection_cache::~connection_cache() { close_all(); }

std::shared_ptr<parked_session> connection_cache::take(const std::string& domain) {
  for (;;) {
    std::shared_ptr<parked_session> ps;
    {
      std::lock_guard lock(mutex_);
      auto range = parked_.equal_range(domain);
      if (range.first == range.second) return nullptr;
      auto newest = std::prev(range.second);
      ps = std::move(newest->second);
      parked_.erase(newest);
    }
    // Its idle deadline may have passed with the handler not run yet: such a session is closed, not used.
    if (std::chrono::steady_clock::now() - ps->parked_at < limits_.idle) {
      ps->idle.cancel();
      return ps;
    }
    close_parked(std::move(ps));
  }
}

void connection_cache::put(const std::string& domain, std::shared_ptr<parked_session> s) {
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mutex_);
    if (!closed_ && now - s->conn->opened < limits_.lifetime && parked_.count(domain) < limits_.per_domain) {
      s->parked_at = now;
      s->idle.expires_after(limits_.idle);
      s->idle.async_wait([weak = weak_from_this(), domain, raw = s.get()](const boost::system::error_code& ec) {
        if (ec) return;
        if (auto self = weak.lock()) self->expire(domain, raw);
      });
      parked_.emplace(domain, std::move(s));
      return;
    }
  }
  close_parked(std::move(s));
}

void connection_cache::expire(const std::string& domain, const parked_session* s) {
  std::shared_ptr<parked_session> ps;
  {
    std::lock_guard lock(mutex_);
    auto range = parked_.equal_range(domain);
    for (auto it = range.first; it != range.second; ++it) {
      if (it->second.get() == s) {
        ps = std::move(it->second);
        parked_.erase(it);
        break;
      }
    }
  }
  if (ps) close_parked(std::move(ps));  // else taken meanwhile
}

void connection_cache::close_all() {
  std::multimap<std::string, std::shared_ptr<parked_session>> all;
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
    all.swap(parked_);
  }
  for (auto& [domain, ps] : all) close_parked(std::move(ps));
}

void cancel_scope::cancel() {
  std::function<void()> fn;
  {
    std::lock_guard lock(mutex_);
    if (cancelled_) return;
    cancelled_ = true;
    fn = fn_;
  }
  if (fn) fn();
}

bool cancel_scope::cancelled() const {
  std::lock_guard lock(mutex_);
  return cancelled_;
}

void cancel_scope::on_cancel(std::function<void()> fn) {
  bool run_now = false;
  {
    std::lock_guard lock(mutex_);
    fn_ = fn;
    run_now = cancelled_ && fn_;
  }
  if (run_now) fn();
}

asio::awaitable<delivery_result> deliver(delivery_request req, std::shared_ptr<cancel_scope> cancel) {
  if (!cancel) cancel = std::make_shared<cancel_scope>();
  delivery_result result;
  conversation::settings settings;
  settings.helo_name = req.helo_name;
  settings.park = req.cache != nullptr;
  std::optional<conversation> last;
  // A parked session to the same domain first; the trust-space verdict is taken again on today's whitelist.
  while (req.cache && !cancel->cancelled()) {
    auto ps = req.cache->take(req.domain);
    if (!ps) break;
    auto v = trustspace::outbound_server(ps->server_dn ? &*ps->server_dn : nullptr, req.domain, *req.whitelist);
    if (!v.accept) {
      req.log.info("queue.reuse.refused", {{"domain", req.domain}, {"peer", ps->peer_subject}, {"reason", v.log_reason}});
      close_parked(std::move(ps));
      continue;
    }
    const target where = ps->where;
    last.emplace(settings, req.env, req.body, ps->ext);
    co_await resumed_session(req, std::move(ps), *last, result, cancel);
    if (last->stale()) {  // closed by the server while parked: nothing was delivered on it
      req.log.debug("queue.reuse.stale", {{"domain", req.domain}, {"address", result.remote_address},
                                          {"reason", last->results().front().diagnostic}});
      last.reset();
      result = delivery_result{};
      continue;
    }
    result.reused = true;
    result.sessions = 1;
    result.remote_dsn = last->extensions().dsn;
    req.log.info("queue.session", {{"host", where.host}, {"address", where.address},
                                   {"port", static_cast<unsigned>(where.port)}, {"reused", true},
                                   {"tls", result.tls_version}, {"peer", result.peer_subject},
                                   {"first_result", last->results().front().diagnostic}});
    break;
  }
  for (const auto& t : req.targets) {  // a new connection, unless a parked one carried the message
    if (result.reused || result.sessions >= req.max_addresses || cancel->cancelled()) break;
    ++result.sessions;
    last.emplace(settings, req.env, req.body);
    result.remote_dsn = false;
    co_await session(req, t, *last, result, cancel);
    result.remote_dsn = last->extensions().dsn && last->tls_active();
    const auto& first = last->results().front();
    req.log.info("queue.session", {{"host", t.host}, {"address", t.address}, {"port", static_cast<unsigned>(t.port)},
                                   {"tls", result.tls_version}, {"cipher", result.tls_cipher},
                                   {"peer", result.peer_subject}, {"first_result", first.diagnostic},
                                   {"next_address", last->retry_elsewhere()}});
    if (!last->retry_elsewhere()) break;
  }
  if (!last) {
    conversation none(settings, req.env, req.body);
    none.io_failed(io_error::connect, cancel->cancelled() ? "delivery cancelled (shutdown)" : "no address to try");
    result.recipients = none.results();
  } else {
    result.recipients = last->results();
  }
  // A recipient the conversation left open (it should not) is deferred: unknown errors count as temporary.
  for (auto& r : result.recipients) {
    if (!r.final) r = {outcome::deferred, 451, "4.4.2", "x-mssgw; session ended without a result", true};
  }
  co_return result;
}

}  // namespace mssgw::smtp::client
