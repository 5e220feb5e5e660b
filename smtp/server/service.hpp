// The SMTP listeners of a running gateway: accept loops for the MX, submission (STARTTLS) and submissions
// (implicit TLS) endpoints of [smtp], one coroutine per connection driving a `session`.
//
// Per connection (on its own strand): the greeting, reads with the RFC 5321 §4.5.3.2 timeouts, STARTTLS with the
// MX context (client certificate requested and verified) or the submission context, the durable commit through
// the group-commit writer before any 250, and throttling delays for failed authentications.
// Limits: max_sessions overall and max_sessions_per_ip (both answered 421 4.7.0 before the greeting is sent).
// stop(): no new connections; every session is told 421 4.3.2 and closed.
//
// Boost.Asio stays out of this header; the io_context is forward-declared.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "smtp/server/config.hpp"

namespace boost::asio {
class io_context;
}
namespace mssgw::common::tls {
class manager;
}
namespace mssgw::storage {
class writer;
}

namespace mssgw::smtp::server {

class policy;

struct service_deps {
  storage::writer& writer;
  common::tls::manager& tls;
  policy& pol;
  std::string hostname;
  // Called after a commit that queued remote recipients (the outbound queue's poke()). May be empty.
  std::function<void()> remote_enqueued = nullptr;
};

class service {
 public:
  service(boost::asio::io_context& io, config cfg, service_deps deps);
  ~service();
  service(const service&) = delete;
  service& operator=(const service&) = delete;

  // Binds every configured endpoint. Returns an error naming the endpoint, or empty on success.
  std::string start();
  // Stops accepting and closes every session with 421.
  void stop();
  // Endpoints as bound (a configured port 0 shows the port the system chose).
  struct bound_endpoint {
    std::string kind;
    std::string host;
    std::uint16_t port;
  };
  std::vector<bound_endpoint> bound() const;

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace mssgw::smtp::server
