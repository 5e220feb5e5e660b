// TCP listeners and connection admission, shared by the SMTP and IMAP services.
//
// A service binds its listeners with bind_listener(), runs accept_loop() on each (every connection on a strand of
// its own), and counts sessions with an admission object under its own lock, so that a limit refuses a connection
// before any protocol byte is exchanged (RFC 5321 §4.3.2 421 / RFC 3501 §7.1.5 BYE is the service's business).
#pragma once
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/asio.hpp"
#include "common/log.hpp"
#include "common/metrics.hpp"

namespace mssgw::net {

using tcp = asio::ip::tcp;

struct bound_listener {
  std::unique_ptr<tcp::acceptor> acceptor;  // null on error
  std::string error;                        // "<label> listener <host>:<port>: <reason>"
};

// Opens a listening socket on host:port (an IP address, not a name; SO_REUSEADDR; the system's backlog).
bound_listener bind_listener(asio::io_context& io, std::string_view label, const std::string& host, std::uint16_t port);

// A completion handler for co_spawn that logs an escaped exception as `event` (co_spawn with detached would
// swallow it: common/asio.hpp).
inline auto log_exception(log::context log, std::string_view event) {
  return [log = std::move(log), event = std::string(event)](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      log.error(event, {{"reason", ex.what()}});
    }
  };
}

// Accepts until the acceptor is closed. Each socket is accepted on a new strand of `io` and handed to
// `start(socket)`, which returns the connection's awaitable; it is spawned on that strand, an escaped exception
// logged as `<prefix>.session.crashed`. An accept error other than closing is logged as `<prefix>.accept.failed`
// and the loop goes on (EMFILE and the like are transient).
template <class Start>
asio::awaitable<void> accept_loop(asio::io_context& io, tcp::acceptor& acceptor, log::context log, std::string prefix,
                                  Start start) {
  for (;;) {
    auto strand = asio::make_strand(io);
    boost::system::error_code ec;
    tcp::socket socket = co_await acceptor.async_accept(strand, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
      log.warn(prefix + ".accept.failed", {{"reason", ec.message()}});
      continue;
    }
    asio::co_spawn(strand, start(std::move(socket)), log_exception(log, prefix + ".session.crashed"));
  }
}

// Session counting for admission: at most max_sessions in all and max_per_ip from one client address.
// Not thread-safe: the owner calls it under the lock that also guards its set of live sessions.
class admission {
 public:
  admission(int max_sessions, int max_per_ip) : max_sessions_(max_sessions), max_per_ip_(max_per_ip) {}

  // Counts a session from `ip`; false (and nothing counted) when a limit is reached.
  bool admit(const std::string& ip);
  // Uncounts a session admitted from `ip`.
  void release(const std::string& ip);

  int sessions() const { return sessions_; }
  // Client addresses with at least one session (entries are removed at zero, so refusals never grow the map).
  std::size_t addresses() const { return per_ip_.size(); }

 private:
  int max_sessions_;
  int max_per_ip_;
  int sessions_ = 0;
  std::unordered_map<std::string, int> per_ip_;
};

// A service's listening sockets, each tagged with what it is to the service (`Kind`: an enum, a bool…).
template <class Kind>
class listener_set {
 public:
  struct endpoint_info {
    std::string label;
    std::string address;
    std::uint16_t port;
  };

  // Binds host:port (bind_listener). Returns empty, or the error text naming the listener.
  std::string add(asio::io_context& io, Kind kind, std::string_view label, const std::string& host,
                  std::uint16_t port) {
    auto bound = bind_listener(io, label, host, port);
    if (bound.acceptor) listeners_.push_back({kind, std::string(label), std::move(bound.acceptor)});
    return bound.error;
  }

  // Logs `<prefix>.listening` for each listener and runs accept_loop on it; `start(kind, socket)` returns the
  // connection's awaitable.
  template <class Start>
  void start(asio::io_context& io, const log::context& log, const std::string& prefix, Start start) {
    for (auto& l : listeners_) {
      const auto ep = l.acceptor->local_endpoint();
      log.info(prefix + ".listening", {{"listener", l.label}, {"address", ep.address().to_string()}, {"port", ep.port()}});
      auto on_socket = [start, kind = l.kind](tcp::socket socket) { return start(kind, std::move(socket)); };
      asio::co_spawn(io, accept_loop(io, *l.acceptor, log, prefix, std::move(on_socket)),
                     log_exception(log, prefix + ".accept_loop.crashed"));
    }
  }

  // Stops accepting (the accept loops end).
  void close() {
    for (auto& l : listeners_) {
      boost::system::error_code ignored;
      l.acceptor->close(ignored);
    }
  }

  // Endpoints as bound (a configured port 0 shows the port the system chose).
  std::vector<endpoint_info> bound() const {
    std::vector<endpoint_info> out;
    for (const auto& l : listeners_) {
      boost::system::error_code ec;
      auto ep = l.acceptor->local_endpoint(ec);
      if (!ec) out.push_back({l.label, ep.address().to_string(), ep.port()});
    }
    return out;
  }

 private:
  struct listener {
    Kind kind;
    std::string label;
    std::unique_ptr<tcp::acceptor> acceptor;
  };
  std::vector<listener> listeners_;
};

// The live sessions of a service: admission limits, the set that stop() cancels, and the gauge of sessions in
// progress. Thread-safe. `Connection` has a `socket` (tcp::socket) and a `bool shutting_down` that only its own
// strand reads.
template <class Connection>
class session_registry {
 public:
  session_registry(int max_sessions, int max_per_ip, metrics::gauge& in_progress)
      : admission_(max_sessions, max_per_ip), in_progress_(in_progress) {}

  // Registers a session from `ip`; false when stopping or a limit refuses it.
  bool admit(const std::string& ip, const std::shared_ptr<Connection>& c) {
    std::lock_guard lock(mutex_);
    if (stopping_ || !admission_.admit(ip)) return false;
    active_.insert(c);
    in_progress_.set(admission_.sessions());
    return true;
  }
  void release(const std::string& ip, const std::shared_ptr<Connection>& c) {
    std::lock_guard lock(mutex_);
    admission_.release(ip);
    active_.erase(c);
    in_progress_.set(admission_.sessions());
  }

  // Refuses further sessions and cancels every live one's socket on its own executor: its coroutine sees
  // operation_aborted with `shutting_down` set and says goodbye. False if already stopped.
  bool stop() {
    std::set<std::shared_ptr<Connection>> live;
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return false;
      stopping_ = true;
      live = active_;
    }
    for (const auto& c : live) {
      asio::post(c->socket.get_executor(), [c] {
        c->shutting_down = true;
        boost::system::error_code ignored;
        c->socket.cancel(ignored);
      });
    }
    return true;
  }

 private:
  std::mutex mutex_;
  admission admission_;
  std::set<std::shared_ptr<Connection>> active_;
  bool stopping_ = false;
  metrics::gauge& in_progress_;
};

}  // namespace mssgw::net
