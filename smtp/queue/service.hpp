// The outbound queue's scheduler (DESIGN.md §3 step 4, §6): a background service on the server's io_context that
// delivers queue entries to other operators and reports on them (RFC 3464 DSNs).
//
// Every scan_interval, and at once after poke(): it reads the entries due (queue_due index), claims up to
// max_active of them with a lease through the writer (owner = node_id, until now + lease; the entry's due time
// moves to the lease's end, so nobody else sees it due while we hold it), groups each entry's pending recipients by
// destination domain, and runs one delivery per (entry, domain) with at most `concurrency` sessions overall and
// `per_destination` per domain (round robin between domains). Routing: a [queue] route, else the MX hosts (c-ares,
// resolver.hpp). Delivery: smtp/client (mutual TLS, trust-space check of the server's DN).
//
// Each delivery's result is committed at once (one write unit: recipient statuses, plus the DSN it calls for, so a
// status and its notice are durable together); the last delivery of an entry's run also counts the attempt, then
// removes the entry (nothing pending), bounces what is left (lifetime over), or sets the next due time (backoff),
// with a one-time DELAY notice past delay_warning_time. retry.hpp holds these decisions as pure functions.
// A DSN goes from MAILER-DAEMON with the null sender: into the sender's INBOX when the sender is a local BAL, else
// into the queue as a new entry. Never a DSN about a message whose sender is null.
//
// Restarts: start() first releases the leases this node held (a previous run that died): they are due at once.
// Entries leased by another node become claimable when that lease expires. A delivery interrupted by stop() writes
// nothing, so it is retried (a message may then be delivered twice, never lost).
//
// Metrics: mssgw_queue_size, mssgw_queue_oldest_age_seconds (gauges, refreshed each scan),
// mssgw_deliveries_total{result="delivered|deferred|bounced"} (per recipient and attempt), mssgw_queue_dsn_total.
//
// Threading: public functions may be called from any thread. Internally one strand owns the scheduler state; each
// delivery runs on its own strand. Boost.Asio stays out of this header.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "smtp/queue/config.hpp"

namespace boost::asio {
class io_context;
}
namespace mssgw::common::tls {
class manager;
}
namespace mssgw::storage {
class kv_store;
class writer;
}  // namespace mssgw::storage
namespace mssgw::trustspace {
class whitelist;
}

namespace mssgw::smtp::queue {

class resolver;

struct service_deps {
  storage::kv_store& store;
  storage::writer& writer;
  common::tls::manager& tls;                // client context: current()->client()
  trustspace::whitelist& whitelist;         // outbound_server verdicts, and where DSNs go
  std::string hostname;                     // EHLO name, Reporting-MTA, MAILER-DAEMON@hostname ([server] hostname)
  std::vector<std::string> local_domains;   // [server] local_domains: DSNs to senders there go to their INBOX
  std::shared_ptr<resolver> dns = nullptr;  // null: c-ares with [queue] dns_servers
  std::function<std::int64_t()> now_ms = nullptr;  // unix ms; null: the system clock (tests inject)
};

class service {
 public:
  service(boost::asio::io_context& io, config cfg, service_deps deps);
  ~service();
  service(const service&) = delete;
  service& operator=(const service&) = delete;

  // Releases this node's stale leases, then scans now and every scan_interval.
  void start();
  // Stops scanning and aborts deliveries in progress (their entries stay leased to this node and are retried at
  // the next start, or by another node when the lease ends). Idempotent; does not block.
  void stop();
  // Scan now (an entry was enqueued, or `mssgw queue retry` made one due). Cheap; coalesces.
  void poke();

  struct status {
    std::size_t active_entries = 0;  // claimed, in memory
    std::size_t deliveries = 0;      // sessions running
    std::uint64_t scans = 0;
    std::uint64_t writes = 0;        // results committed
  };
  status current_status() const;
  const std::string& node_id() const;

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace mssgw::smtp::queue
