#include "common/asio.hpp"

#include "imap/server/service.hpp"

#include <map>
#include <mutex>

#include <openssl/ssl.h>

#include "auth/service.hpp"
#include "common/log.hpp"
#include "common/listener.hpp"
#include "common/metrics.hpp"
#include "common/tls.hpp"
#include "imap/server/session.hpp"
#include "storage/async_writer.hpp"
#include "storage/watchers.hpp"

namespace mssgw::imap::server {
namespace {

using tcp = asio::ip::tcp;

// A connection's cancellable state, shared with timer handlers, the IDLE notifier, the storage watchers (weakly)
// and the service's registry. Everything here is touched on the connection's strand only.
struct connection {
  explicit connection(tcp::socket s)
      : socket(std::move(s)), timer(socket.get_executor()), wake(socket.get_executor()),
        notifier_done(socket.get_executor()) {}
  tcp::socket socket;
  asio::steady_timer timer;          // deadline of the current read, handshake or write
  asio::steady_timer wake;           // IDLE: the notifier's wait (cancelled by a watcher)
  asio::steady_timer notifier_done;  // IDLE: cancelled when the notifier has finished
  bool timed_out = false;
  bool shutting_down = false;
  bool idle = false;
  bool changed = false;            // a watcher reported a commit since the notifier last polled
  bool notifier_running = false;
  bool notifier_close = false;     // the selected mailbox went away during IDLE: BYE written, close
  std::string idle_out;            // the notifier's pending write
  storage::mailbox_watchers::subscription watch;
  std::uint64_t watched = 0;

  void arm(std::chrono::seconds limit, const std::shared_ptr<connection>& self) {
    timer.expires_after(limit);
    timer.async_wait([self](const boost::system::error_code& ec) {
      if (ec) return;
      self->timed_out = true;
      boost::system::error_code ignored;
      self->socket.cancel(ignored);
    });
  }
};

bool is_loopback(const asio::ip::address& a) {
  if (a.is_loopback()) return true;
  return a.is_v6() && a.to_v6().is_v4_mapped() &&
         asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6()).is_loopback();
}

}  // namespace

struct service::impl : std::enable_shared_from_this<service::impl> {
  impl(asio::io_context& io_, config cfg_, service_deps deps_) : io(io_), cfg(std::move(cfg_)), deps(std::move(deps_)) {}

  asio::io_context& io;
  config cfg;
  service_deps deps;
  log::context log{log::module::imap};
  net::listener_set<bool> listeners;
  std::mutex mutex;  // per_identity
  std::map<std::string, int> per_identity;

  metrics::counter& connections_total =
      metrics::get_counter("mssgw_imap_connections_total", "IMAP connections accepted");
  metrics::counter& refused_busy =
      metrics::get_counter("mssgw_imap_connections_refused_total", "IMAP connections refused by limits");
  metrics::gauge& active_gauge = metrics::get_gauge("mssgw_imap_sessions", "IMAP sessions in progress");
  net::session_registry<connection> registry{cfg.max_sessions, cfg.max_sessions_per_ip, active_gauge};
  metrics::gauge& idle_gauge = metrics::get_gauge("mssgw_imap_idle_sessions", "IMAP sessions in IDLE");

  session_settings settings_for(bool loopback, bool implicit_tls) const {
    session_settings s;
    s.hostname = deps.hostname;
    s.starttls_offered = !implicit_tls && deps.tls.current() != nullptr;
    s.plaintext_auth = cfg.plaintext_auth_loopback && loopback;
    s.preauth_limits.max_line = 8 * 1024;
    s.preauth_limits.max_literal = cfg.max_literal_preauth;
    s.preauth_limits.max_nonsync_literal = cfg.max_literal_preauth;
    s.preauth_limits.max_command = 2 * cfg.max_literal_preauth + 8 * 1024;
    s.preauth_limits.max_depth = 8;
    s.limits.max_line = cfg.max_line;
    s.limits.max_literal = cfg.max_literal;
    s.limits.max_nonsync_literal = cfg.max_literal;
    s.limits.max_command = cfg.max_literal + cfg.max_line;
    s.max_mailbox_name = static_cast<std::size_t>(cfg.max_mailbox_name);
    s.max_bad_commands = cfg.max_bad_commands;
    s.max_auth_failures = cfg.max_auth_failures;
    return s;
  }

  session_deps deps_for(const std::shared_ptr<connection>& c) {
    session_deps d;
    d.store = &deps.store;
    d.sasl = [this](const std::optional<auth::certificate_facts>& cert) {
      return deps.auth.context_for(cert, auth::sasl::storage_authorizer(deps.store));
    };
    d.limiter = &deps.auth.limiter();
    d.acquire = [this](const auth::identity& who) {
      std::lock_guard lock(mutex);
      int& n = per_identity[who.id];
      if (n >= cfg.max_sessions_per_identity) return false;
      ++n;
      return true;
    };
    d.release = [this](const auth::identity& who) {
      std::lock_guard lock(mutex);
      if (--per_identity[who.id] <= 0) per_identity.erase(who.id);
    };
    d.background = [this](storage::write_unit unit) { deps.writer.submit(std::move(unit), {}); };
    (void)c;
    return d;
  }

  // Subscribes the connection to the storage watchers of its selected mailbox (or unsubscribes).
  void update_watch(const std::shared_ptr<connection>& c, const session& s) {
    const std::uint64_t id = s.watched_mailbox();
    if (id == c->watched) return;
    c->watched = id;
    c->watch.reset();
    if (id == 0 || !deps.watchers) return;
    std::weak_ptr<connection> weak = c;
    auto executor = c->socket.get_executor();
    // Runs on the writer thread: post to the strand and return (watchers.hpp). Only a weak reference crosses, so
    // the connection is never destroyed on the writer thread.
    c->watch = deps.watchers->watch(id, [weak, executor](std::uint64_t) {
      asio::post(executor, [weak] {
        auto conn = weak.lock();
        if (!conn) return;
        conn->changed = true;
        if (conn->idle) conn->wake.cancel();
      });
    });
  }

  // ---- IDLE notifier: a chain of handlers on the connection's strand ------------------------------------------
  static void notifier_finish(const std::shared_ptr<connection>& c) {
    c->notifier_running = false;
    c->notifier_done.cancel();
  }

  template <class Stream>
  void notifier_wait(std::shared_ptr<connection> c, Stream& stream, session& s) {
    if (c->changed) {
      c->wake.expires_after(std::chrono::seconds(0));
    } else {
      c->wake.expires_after(cfg.idle_check);
    }
    c->wake.async_wait([this, c, &stream, &s](const boost::system::error_code&) {
      if (!c->idle) return notifier_finish(c);
      c->changed = false;
      c->idle_out.clear();
      if (!s.poll(c->idle_out)) c->notifier_close = true;
      if (c->idle_out.empty()) {
        if (c->notifier_close) {
          boost::system::error_code ignored;
          c->socket.cancel(ignored);
          return notifier_finish(c);
        }
        return notifier_wait(c, stream, s);
      }
      asio::async_write(stream, asio::buffer(c->idle_out),
                        [this, c, &stream, &s](const boost::system::error_code& ec, std::size_t) {
                          if (ec || c->notifier_close) {
                            boost::system::error_code ignored;
                            c->socket.cancel(ignored);  // the reader sees it and ends the session
                            c->notifier_close = true;
                            return notifier_finish(c);
                          }
                          if (!c->idle) return notifier_finish(c);
                          notifier_wait(c, stream, s);
                        });
    });
  }

  // ---- reading and writing ---------------------------------------------------------------------------------------
  template <class Stream>
  static asio::awaitable<void> write_all(Stream& stream, std::string& out, boost::system::error_code& ec) {
    if (out.empty()) co_return;
    co_await asio::async_write(stream, asio::buffer(out), asio::redirect_error(asio::use_awaitable, ec));
    out.clear();
    if (out.capacity() > 256 * 1024) std::string().swap(out);  // a large FETCH does not stay resident
  }

  // Appends what the peer sent to `in`. Plaintext: waits for readability with no buffer, then reads what is there
  // (an idle connection holds no read buffer). TLS: a small buffer while idling.
  template <class Stream>
  static asio::awaitable<void> read_some(Stream& stream, std::string& in, bool idling, boost::system::error_code& ec) {
    if constexpr (std::is_same_v<Stream, tcp::socket>) {
      for (;;) {
        co_await stream.async_wait(tcp::socket::wait_read, asio::redirect_error(asio::use_awaitable, ec));
        if (ec) co_return;
        std::size_t available = stream.available(ec);
        if (ec) co_return;
        available = std::clamp<std::size_t>(available, 1, 256 * 1024);
        const std::size_t old = in.size();
        in.resize(old + available);
        const std::size_t n = stream.read_some(asio::buffer(in.data() + old, available), ec);
        in.resize(old + n);
        if (ec == asio::error::would_block || ec == asio::error::try_again) {
          ec = {};
          continue;
        }
        co_return;
      }
    } else {
      const std::size_t chunk = idling ? 512 : 16 * 1024;
      const std::size_t old = in.size();
      in.resize(old + chunk);
      const std::size_t n = co_await stream.async_read_some(asio::buffer(in.data() + old, chunk),
                                                            asio::redirect_error(asio::use_awaitable, ec));
      in.resize(old + n);
    }
  }

  // Runs the session over `stream` until it closes or asks for TLS. Returns true when TLS was asked for.
  template <class Stream>
  asio::awaitable<bool> drive(Stream& stream, session& s, std::string& in, const std::shared_ptr<connection>& c) {
    std::string out;
    boost::system::error_code ec;
    for (;;) {
      step st = s.feed(in, out);
      in.erase(0, st.consumed);
      if (in.empty() && in.capacity() > 4096) std::string().swap(in);
      update_watch(c, s);
      switch (st.next) {
        case step::kind::read: {
          co_await write_all(stream, out, ec);
          if (ec) co_return false;
          const bool idling = s.idling();
          if (idling) {
            c->idle = true;
            c->changed = true;  // a commit between the session's last check and now is not missed
            c->notifier_close = false;
            c->notifier_running = true;
            c->notifier_done.expires_at(asio::steady_timer::time_point::max());
            idle_gauge.add(1);
            notifier_wait(c, stream, s);
          }
          c->arm(s.logged_in() ? cfg.timeout : cfg.preauth_timeout, c);
          co_await read_some(stream, in, idling, ec);
          c->timer.cancel();
          if (idling) {
            c->idle = false;
            c->wake.cancel();
            idle_gauge.add(-1);
            if (c->notifier_running) {
              boost::system::error_code ignored;
              co_await c->notifier_done.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
            }
            if (c->notifier_close) co_return false;
          }
          if (ec) {
            if (c->timed_out || c->shutting_down) {
              std::string bye = c->timed_out ? s.timeout_reply() : s.shutdown_reply();
              if (c->timed_out) s.log().info("imap.timeout", {});
              boost::system::error_code ignored;
              co_await asio::async_write(stream, asio::buffer(bye), asio::redirect_error(asio::use_awaitable, ignored));
            } else if (ec != asio::error::eof && ec != asio::ssl::error::stream_truncated) {
              s.log().debug("imap.read.failed", {{"reason", ec.message()}});
            }
            co_return false;
          }
          break;
        }
        case step::kind::flush:
          co_await write_all(stream, out, ec);
          if (ec) co_return false;
          break;
        case step::kind::start_tls:
          co_await write_all(stream, out, ec);
          co_return !ec;
        case step::kind::commit: {
          co_await write_all(stream, out, ec);
          if (ec) co_return false;
          storage::write_unit unit = s.take_unit();
          std::error_code result = co_await storage::async_commit(deps.writer, std::move(unit), asio::use_awaitable);
          s.committed(result, out);
          break;
        }
        case step::kind::delay: {
          co_await write_all(stream, out, ec);
          if (ec) co_return false;
          asio::steady_timer wait(stream.get_executor());
          wait.expires_after(st.delay);
          boost::system::error_code ignored;
          co_await wait.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
          s.resume(out);
          break;
        }
        case step::kind::close:
          co_await write_all(stream, out, ec);
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
    if (auto peer = common::tls::peer_identity_of(ssl); peer && peer->verified) {
      auth::certificate_facts cert;
      cert.subject_dn = peer->subject;
      if (!peer->idnat.empty()) cert.idnat = peer->idnat;
      cert.verified = true;
      f.certificate = std::move(cert);
    }
    return f;
  }

  // A connection's coroutine, keeping the service alive until it ends (the accept loops hold no reference: the
  // service may go while an accept is pending).
  static asio::awaitable<void> serve_connection(std::shared_ptr<impl> self, bool implicit_tls,
                                                std::shared_ptr<connection> c) {
    co_await self->run_connection(implicit_tls, std::move(c));
  }

  asio::awaitable<void> run_connection(bool implicit_tls, std::shared_ptr<connection> c) {
    boost::system::error_code ec;
    auto remote = c->socket.remote_endpoint(ec);
    if (ec) co_return;
    const std::string ip = remote.address().to_string();
    connections_total.inc();
    c->socket.set_option(tcp::no_delay(true), ec);
    c->socket.non_blocking(true, ec);
    peer_facts peer{ip, remote.port(), new_session_id(), is_loopback(remote.address())};
    session s(settings_for(peer.loopback, implicit_tls), deps_for(c), peer);
    if (!registry.admit(ip, c)) {
      refused_busy.inc();
      s.log().warn("imap.refused.busy", {{"client", ip}});
      std::string busy = "* BYE [UNAVAILABLE] Too many connections.\r\n";
      if (!implicit_tls) {
        co_await asio::async_write(c->socket, asio::buffer(busy), asio::redirect_error(asio::use_awaitable, ec));
      }
      co_return;
    }
    struct release_guard {
      impl* self;
      std::string ip;
      std::shared_ptr<connection> c;
      ~release_guard() {
        c->watch.reset();
        self->registry.release(ip, c);
      }
    } guard{this, ip, c};
    s.log().info("imap.connect", {{"client", ip}, {"port", remote.port()}, {"tls", implicit_tls}});

    std::string in;
    if (!implicit_tls) {
      std::string greeting = s.greeting();
      co_await asio::async_write(c->socket, asio::buffer(greeting), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      const bool want_tls = co_await drive(c->socket, s, in, c);
      if (!want_tls) co_return;
      in.clear();  // never carry plaintext over the handshake (the session refused pipelined bytes already)
    }
    auto contexts = deps.tls.current();
    if (!contexts) co_return;
    auto ctx = contexts->server(cfg.client_certificates == "request" ? common::tls::client_certificates::request
                                                                     : common::tls::client_certificates::none);
    if (!ctx) co_return;
    asio::ssl::stream<tcp::socket&> tls(c->socket, *ctx);
    // Idle TLS connections give their OpenSSL record buffers back (SSL_MODE_RELEASE_BUFFERS).
    SSL_set_mode(tls.native_handle(), SSL_MODE_RELEASE_BUFFERS);
    c->arm(cfg.tls_handshake_timeout, c);
    co_await tls.async_handshake(asio::ssl::stream_base::server, asio::redirect_error(asio::use_awaitable, ec));
    c->timer.cancel();
    if (ec) {
      s.log().info("imap.tls.failed", {{"client", ip}, {"reason", ec.message()}});
      co_return;
    }
    s.tls_started(facts_of(tls.native_handle()));
    if (implicit_tls) {
      std::string greeting = s.greeting();
      co_await asio::async_write(tls, asio::buffer(greeting), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
    }
    co_await drive(tls, s, in, c);
    c->arm(std::chrono::seconds(5), c);
    co_await tls.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
    c->timer.cancel();
  }
};

service::service(asio::io_context& io, config cfg, service_deps deps)
    : impl_(std::make_shared<impl>(io, std::move(cfg), std::move(deps))) {}

service::~service() { stop(); }

std::string service::start() {
  auto& l = impl_->listeners;
  for (const auto& e : impl_->cfg.listen)
    if (auto err = l.add(impl_->io, false, "imap", e.host, e.port); !err.empty()) return err;
  for (const auto& e : impl_->cfg.listen_tls)
    if (auto err = l.add(impl_->io, true, "imaps", e.host, e.port); !err.empty()) return err;
  if (!impl_->cfg.listen_tls.empty() && !impl_->deps.tls.current()) {
    return "IMAP listen_tls needs [tls] certificate and key";
  }
  l.start(impl_->io, impl_->log, "imap", [self = impl_.get()](bool implicit_tls, net::tcp::socket socket) {
    return impl::serve_connection(self->shared_from_this(), implicit_tls, std::make_shared<connection>(std::move(socket)));
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

}  // namespace mssgw::imap::server
