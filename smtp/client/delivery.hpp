// The outbound delivery driver: one coroutine that delivers one message to the recipients of one destination
// domain, trying the destination's addresses in order (RFC 5321 §5.1) until a session gets as far as MAIL FROM.
//
// Per address: TCP connect (timeout), the conversation in plaintext up to STARTTLS, the TLS handshake with the
// operator's client context (it presents our SERV SSL certificate and verifies the server's chain against the trust
// anchors and CRLs, TLS >= 1.2: common/tls.hpp), then the trust-space verdict on the server certificate's subject DN
// for the recipient domain (trustspace::outbound_server; a refusal defers), then the rest of the conversation over
// TLS. Timeouts are steady timers that cancel the socket (Asio 1.18 has no per-operation cancellation, deps.md §1).
// Every failure is reported per recipient by the conversation (conversation.hpp); nothing here throws on I/O errors.
//
// Connection reuse (request.cache, as Postfix's connection cache): a session whose transaction is over sends RSET
// and, on 250, is parked in the cache under the recipient domain; the next delivery to that domain takes it and
// starts at MAIL FROM, without TCP connect, TLS handshake and EHLO. The trust-space verdict on the server's DN is
// checked again at each reuse against the request's whitelist. A parked connection that proves dead before MAIL
// is answered is dropped and the delivery goes on over a new one (nothing was delivered on it).
//
// Includes Asio: include it only where deliveries are run (the queue service, tests).
// Threading: run the coroutine on a strand (its timer handlers and the coroutine share the connection state).
// cancel_scope::cancel() may be called from any thread.
#pragma once
#include "common/asio.hpp"

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/log.hpp"
#include "smtp/client/conversation.hpp"

namespace mssgw::trustspace {
class snapshot;
}

namespace mssgw::smtp::client {

// One address to try.
struct target {
  std::string host;     // the MX host name (or the route's host), for SNI, logs and Remote-MTA
  std::string address;  // IPv4 or IPv6, textual
  std::uint16_t port = 25;
};

struct parked_session;  // a connection between transactions (delivery.cpp)

// Parked outbound sessions, by recipient domain. A parked session is closed (QUIT) after `idle` without use, and
// not parked again once it has been open for `lifetime` (Postfix: smtp_connection_cache_time_limit 2 s,
// smtp_connection_reuse_time_limit 300 s). Thread-safe; share it between deliveries with a shared_ptr.
class connection_cache : public std::enable_shared_from_this<connection_cache> {
 public:
  struct limits {
    std::chrono::milliseconds idle{2000};
    std::chrono::milliseconds lifetime{300000};
    std::size_t per_domain = 20;  // parked sessions kept per domain; more are closed
  };
  explicit connection_cache(limits l) : limits_(l) {}
  ~connection_cache();
  connection_cache(const connection_cache&) = delete;
  connection_cache& operator=(const connection_cache&) = delete;

  // The most recently parked session for `domain`, or null.
  std::shared_ptr<parked_session> take(const std::string& domain);
  // Parks `s` (or closes it: cache closed, full for the domain, or open for longer than `lifetime`).
  void put(const std::string& domain, std::shared_ptr<parked_session> s);
  // Shutdown: closes every parked session (QUIT) and parks nothing more.
  void close_all();

  const limits& settings() const { return limits_; }

 private:
  void expire(const std::string& domain, const parked_session* s);

  const limits limits_;
  mutable std::mutex mutex_;
  bool closed_ = false;
  std::multimap<std::string, std::shared_ptr<parked_session>> parked_;
};

struct delivery_request {
  std::string domain;           // the recipient domain: whose whitelisted DNs the server must present
  std::vector<target> targets;  // in the order to try
  envelope env;
  std::shared_ptr<const std::string> body;
  std::shared_ptr<asio::ssl::context> tls;                  // client context; null: no TLS configured (deferred)
  std::shared_ptr<const trustspace::snapshot> whitelist;    // never null
  std::string helo_name;
  timeouts limits;
  std::size_t max_addresses = 5;
  log::context log{log::module::queue};
  std::shared_ptr<connection_cache> cache;  // null: one connection per delivery, closed with QUIT
};

struct delivery_result {
  std::vector<recipient_result> recipients;  // one per envelope recipient, in order
  std::string remote_mta;     // host name of the server of the last session (empty: none reached)
  std::string remote_address; // "addr:port" of that session
  bool remote_dsn = false;    // that server advertised DSN
  bool certificate_refused = false;  // a server refused our client certificate (first read after the handshake)
  std::string tls_version, tls_cipher, peer_subject;
  std::size_t sessions = 0;   // addresses tried
  bool reused = false;        // the transaction went over a parked connection
};

// Lets the owner abort deliveries in progress (shutdown): closes the current socket; the conversation then reports
// every open recipient as deferred.
class cancel_scope {
 public:
  void cancel();
  bool cancelled() const;
  // Installs what cancel() runs (the driver: close the current socket, on its strand); runs it at once if
  // already cancelled. Pass an empty function to uninstall.
  void on_cancel(std::function<void()> fn);

 private:
  mutable std::mutex mutex_;
  bool cancelled_ = false;
  std::function<void()> fn_;
};

asio::awaitable<delivery_result> deliver(delivery_request request, std::shared_ptr<cancel_scope> cancel);

}  // namespace mssgw::smtp::client
