#include "common/asio.hpp"

#include "smtp/server/service.hpp"


#include <openssl/ssl.h>

#include "common/listener.hpp"
#include "common/metrics.hpp"
#include "common/tls.hpp"
#include "smtp/server/delivery.hpp"
#include "smtp/server/session.hpp"
#include "storage/async_writer.hpp"

namespace mssgw::smtp::server {
namespace {

using tcp = asio::ip::tcp;
using steady = std::chrono::steady_clock;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string new_session_id() {
  // Short and unique enough to grep logs: 12 hex digits of the message-id generator.
  return new_message_id().substr(4);
}

// A connection's cancellable state, shared with the timer handler and the service's registry.
struct connection_state {
  explicit connection_state(tcp::socket s) : socket(std::move(s)), timer(socket.get_executor()) {}
  tcp::socket socket;
  asio::steady_timer timer;
  bool timed_out = false;
  bool shutting_down = false;

  // Arms the deadline: when it fires, pending I/O on the socket fails with operation_aborted.
  void arm(std::chrono::seconds limit, const std::shared_ptr<connection_state>& self) {
    timer.expires_after(limit);
    timer.async_wait([self](const boost::system::error_code& ec) {
      if (ec) return;
      self->timed_out = true;
      boost::system::error_code ignored;
      self->socket.cancel(ignored);
    });
  }
};

}  // namespace

struct service::impl : std::enable_shared_from_this<service::impl> {
  impl(asio::io_context& io_, config cfg_, service_deps deps_) : io(io_), cfg(std::move(cfg_)), deps(std::move(deps_)) {}

  asio::io_context& io;
  config cfg;
  service_deps deps;
  log::context log{log::module::smtp};
  net::listener_set<listener_kind> listeners;

  metrics::counter& connections_total =
      metrics::get_counter("mssgw_smtp_connections_total", "SMTP connections accepted");
  metrics::counter& refused_busy =
      metrics::get_counter("mssgw_smtp_connections_refused_total", "SMTP connections refused by limits");
  metrics::counter& messages_total = metrics::get_counter("mssgw_smtp_messages_total", "messages accepted (250)");
  metrics::gauge& active_gauge = metrics::get_gauge("mssgw_smtp_sessions", "SMTP sessions in progress");
  net::session_registry<connection_state> registry{cfg.max_sessions, cfg.max_sessions_per_ip, active_gauge};

  session_settings settings_for(listener_kind kind) const {
    session_settings s;
    s.kind = kind;
    s.hostname = deps.hostname;
    s.max_message_size = cfg.max_message_size;
    s.max_recipients = static_cast<std::size_t>(cfg.max_recipients);
    s.max_errors = cfg.max_errors;
    s.max_auth_failures = cfg.max_auth_failures;
    s.chunking = cfg.chunking;
    s.tls_offered = deps.tls.current() != nullptr;
    return s;
  }

  template <class Stream>
  static asio::awaitable<void> write_all(Stream& stream, std::string& out) {
    if (out.empty()) co_return;
    co_await asio::async_write(stream, asio::buffer(out), asio::use_awaitable);
    out.clear();
  }

  // Runs the session over `stream` until it closes or asks for TLS. Returns true when TLS was asked for.
  template <class Stream>
  asio::awaitable<bool> drive(Stream& stream, session& s, std::string& in, connection_state& conn,
                              const std::shared_ptr<connection_state>& state) {
    std::string out;
    std::array<char, 16 * 1024> chunk;
    for (;;) {
      step st = s.feed(in, out);
      in.erase(0, st.consumed);
      switch (st.next) {
        case step::kind::read: {
          co_await write_all(stream, out);
          conn.arm(s.in_message_data() ? cfg.data_timeout : cfg.command_timeout, state);
          boost::system::error_code ec;
          std::size_t n = co_await stream.async_read_some(asio::buffer(chunk), asio::redirect_error(asio::use_awaitable, ec));
          conn.timer.cancel();
          if (ec) {
            if (conn.timed_out) {
              s.log().info("smtp.timeout", {});
              out = s.timeout_reply();
              boost::system::error_code ignored;
              co_await asio::async_write(stream, asio::buffer(out), asio::redirect_error(asio::use_awaitable, ignored));
            } else if (conn.shutting_down) {
              out = s.shutdown_reply();
              boost::system::error_code ignored;
              co_await asio::async_write(stream, asio::buffer(out), asio::redirect_error(asio::use_awaitable, ignored));
            } else if (ec != asio::error::eof) {
              s.log().debug("smtp.read.failed", {{"reason", ec.message()}});
            }
            co_return false;
          }
          in.append(chunk.data(), n);
          break;
        }
        case step::kind::start_tls:
          co_await write_all(stream, out);
          co_return true;
        case step::kind::commit: {
          co_await write_all(stream, out);
          auto message = s.pending();
          auto hash = storage::hash_content(message->content);
          storage::write_unit unit = make_commit_unit(message, hash, now_ms());
          std::error_code ec = co_await storage::async_commit(deps.writer, std::move(unit), asio::use_awaitable);
          if (!ec) {
            messages_total.inc();
            bool remote = false;
            for (const auto& r : message->recipients) remote = remote || r.route.where == destination::remote;
            if (remote && deps.remote_enqueued) deps.remote_enqueued();
          }
          s.committed(ec, out);
          break;
        }
        case step::kind::delay: {
          co_await write_all(stream, out);
          asio::steady_timer wait(stream.get_executor());
          wait.expires_after(st.delay);
          boost::system::error_code ignored;
          co_await wait.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
          s.resume(out);
          break;
        }
        case step::kind::close:
          co_await write_all(stream, out);
          co_return false;
      }
    }
  }

  static tls_facts facts_of(SSL* ssl) {
    tls_facts f;
    f.active = true;
    auto sf = common::tls::session_facts_of(ssl);
    f.version = sf.version;
    f.cipher = sf.cipher;
    if (auto peer = common::tls::peer_identity_of(ssl)) {
      f.peer_subject = peer->subject;
      f.peer_verified = peer->verified;
      if (!peer->idnat.empty()) f.peer_idnat = peer->idnat;
    }
    return f;
  }

  // A connection's coroutine, keeping the service alive until it ends (the accept loops hold no reference: the
  // service may go while an accept is pending).
  static asio::awaitable<void> serve_connection(std::shared_ptr<impl> self, listener_kind kind,
                                                std::shared_ptr<connection_state> c) {
    co_await self->run_connection(kind, std::move(c));
  }

  asio::awaitable<void> run_connection(listener_kind kind, std::shared_ptr<connection_state> state) {
    boost::system::error_code ec;
    auto remote = state->socket.remote_endpoint(ec);
    if (ec) co_return;
    const std::string ip = remote.address().to_string();
    connections_total.inc();
    peer_facts peer{ip, remote.port(), new_session_id()};
    session s(settings_for(kind), deps.pol, peer);
    if (!registry.admit(ip, state)) {
      refused_busy.inc();
      s.log().warn("smtp.refused.busy", {{"client", ip}});
      std::string busy = proto::format_reply(421, "4.7.0", deps.hostname + " Error: too many connections");
      co_await asio::async_write(state->socket, asio::buffer(busy), asio::redirect_error(asio::use_awaitable, ec));
      co_return;
    }
    struct release_guard {
      impl* self;
      std::string ip;
      std::shared_ptr<connection_state> state;
      ~release_guard() { self->registry.release(ip, state); }
    } guard{this, ip, state};
    s.log().info("smtp.connect", {{"client", ip}, {"port", remote.port()}, {"listener", name(kind)}});

    std::string in;
    bool want_tls = false;
    if (kind != listener_kind::submissions) {
      std::string greeting = s.greeting();
      co_await asio::async_write(state->socket, asio::buffer(greeting), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      want_tls = co_await drive(state->socket, s, in, *state, state);
      if (!want_tls) co_return;
      in.clear();  // never carry plaintext over the handshake (the session refused pipelined bytes already)
    }
    auto contexts = deps.tls.current();
    if (!contexts) co_return;
    // A client certificate is asked for on every listener: on the MX it is the peer operator's identity; on
    // submission it is optional and, when verified, offers SASL EXTERNAL (a CPS card, a practice software's
    // organisation certificate).
    auto ctx = contexts->server(common::tls::client_certificates::request);
    asio::ssl::stream<tcp::socket&> tls(state->socket, *ctx);
    state->arm(cfg.tls_handshake_timeout, state);
    co_await tls.async_handshake(asio::ssl::stream_base::server, asio::redirect_error(asio::use_awaitable, ec));
    state->timer.cancel();
    if (ec) {
      s.log().info("smtp.tls.failed", {{"client", ip}, {"reason", ec.message()}});
      co_return;
    }
    s.tls_started(facts_of(tls.native_handle()));
    if (kind == listener_kind::submissions) {
      std::string greeting = s.greeting();
      co_await asio::async_write(tls, asio::buffer(greeting), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
    }
    co_await drive(tls, s, in, *state, state);
    co_await tls.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
  }
};

service::service(asio::io_context& io, config cfg, service_deps deps)
    : impl_(std::make_shared<impl>(io, std::move(cfg), std::move(deps))) {}

service::~service() { stop(); }

std::string service::start() {
  auto& l = impl_->listeners;
  for (const auto& e : impl_->cfg.mx)
    if (auto err = l.add(impl_->io, listener_kind::mx, name(listener_kind::mx), e.host, e.port); !err.empty()) return err;
  for (const auto& e : impl_->cfg.submission) {
    auto err = l.add(impl_->io, listener_kind::submission, name(listener_kind::submission), e.host, e.port);
    if (!err.empty()) return err;
  }
  for (const auto& e : impl_->cfg.submissions) {
    auto err = l.add(impl_->io, listener_kind::submissions, name(listener_kind::submissions), e.host, e.port);
    if (!err.empty()) return err;
  }
  if (!impl_->deps.tls.current()) {
    return "SMTP needs [tls] certificate and key: STARTTLS is mandatory on every listener";
  }
  l.start(impl_->io, impl_->log, "smtp", [self = impl_.get()](listener_kind kind, net::tcp::socket socket) {
    return impl::serve_connection(self->shared_from_this(), kind, std::make_shared<connection_state>(std::move(socket)));
  });
  return {};
}

void service::stop() {
  if (impl_->registry.stop()) impl_->listeners.close();
}

std::vector<service::bound_endpoint> service::bound() const {
  std::vector<bound_endpoint> out;
  for (const auto& b : impl_->listeners.bound()) out.push_back({b.label, b.address, b.port});
  return out;
}

}  // namespace mssgw::smtp::server
