// The IMAP listeners of a running gateway ([imap] listen: STARTTLS; listen_tls: implicit TLS), one coroutine per
// connection driving a `session` (session.hpp), on the connection's own strand.
//
// Per connection: limits (max_sessions, max_sessions_per_ip: "* BYE" before the greeting), the greeting, reads with
// the autologout timeout (30 minutes once authenticated, RFC 9051 §5.4; preauth_timeout before), STARTTLS or an
// implicit TLS handshake (with a client certificate requested for EXTERNAL), commits through the group-commit
// writer, throttling delays for failed authentications (auth::failure_limiter, shared with SMTP submission), and
// sessions per identity.
//
// IDLE: while the session idles, the connection's coroutine keeps reading (for DONE) and a notifier on the same
// strand writes the updates: it wakes when the storage watchers report a commit on the selected mailbox (within
// milliseconds of a delivery) and every idle_check otherwise (changes made by another process, DESIGN.md §3 step 5).
// The reader and the writer of one ssl::stream both run on the connection's strand (deps.md §1 item 9), and the
// reader waits for the notifier to finish before the session answers DONE.
//
// stop(): no new connections; every session is told "* BYE" and closed. Boost.Asio stays out of this header.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "imap/server/config.hpp"

namespace boost::asio {
class io_context;
}
namespace mssgw::common::tls {
class manager;
}
namespace mssgw::storage {
class kv_store;
class writer;
class mailbox_watchers;
}  // namespace mssgw::storage
namespace mssgw::auth {
class service;
}

namespace mssgw::imap::server {

struct service_deps {
  storage::kv_store& store;
  storage::writer& writer;
  storage::mailbox_watchers* watchers = nullptr;  // the writer's (writer::options::watchers); null: polling only
  common::tls::manager& tls;
  auth::service& auth;
  std::string hostname;
};

class service {
 public:
  service(boost::asio::io_context& io, config cfg, service_deps deps);
  ~service();
  service(const service&) = delete;
  service& operator=(const service&) = delete;

  // Binds every configured endpoint. Returns an error naming the endpoint, or empty on success.
  std::string start();
  // Stops accepting and closes every session with "* BYE".
  void stop();
  struct bound_endpoint {
    std::string kind;  // "imap" or "imaps"
    std::string host;
    std::uint16_t port;
  };
  std::vector<bound_endpoint> bound() const;

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace mssgw::imap::server
