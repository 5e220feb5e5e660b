// The queue's pure decisions (STYLE.md habit 5): the retry delay, which recipients of an entry go to which
// destination, what a delivery attempt's results do to an entry (statuses, next due time, expiry, removal), and
// which recipients a DSN reports on (RFC 3461 §4.1 NOTIFY).
//
// Nothing here does I/O or reads a clock: every function takes `now_ms` (unix milliseconds). Thread-safe.
#pragma once
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "smtp/queue/dsn.hpp"
#include "storage/queue_store.hpp"

namespace mssgw::smtp::queue {

struct retry_policy {
  std::chrono::milliseconds minimal_backoff{300'000};
  std::chrono::milliseconds maximal_backoff{3'600'000};
  std::chrono::milliseconds lifetime{5LL * 86'400'000};
  std::chrono::milliseconds delay_warning{4LL * 3'600'000};  // 0: never
};

// Delay before the next attempt after the `attempts`-th attempt (1-based) ended with a deferral: minimal_backoff
// doubled per previous attempt, capped at maximal_backoff (Postfix's minimal/maximal_backoff_time).
std::chrono::milliseconds backoff(std::uint32_t attempts, const retry_policy& policy);

// Pending recipients grouped by destination domain (lowercased), in order of first appearance; indexes point into
// entry.recipients.
struct destination_group {
  std::string domain;
  std::vector<std::size_t> recipients;
};
std::vector<destination_group> group_by_destination(const storage::queue_entry& entry);

// The result of one recipient in one attempt.
enum class outcome : std::uint8_t { delivered, deferred, failed };

struct recipient_outcome {
  std::size_t index = 0;    // into entry.recipients
  outcome result = outcome::deferred;
  std::uint16_t code = 0;   // SMTP code (remote, or chosen locally: 451, 550...)
  std::string enhanced;     // "2.0.0", "4.4.1", "5.1.1"
  std::string diagnostic;   // "smtp; 550 5.1.1 No such user" (remote) or "x-mssgw; connection refused" (local)
};

// One destination's attempt: what the delivery reported.
struct attempt_report {
  std::vector<recipient_outcome> outcomes;
  std::string remote_mta;   // host name of the server that answered (for Remote-MTA), or empty
  bool remote_dsn = false;  // that server advertised DSN (RFC 3464 §2.3.3: "delivered", else "relayed")
};

struct counts {
  std::size_t delivered = 0, deferred = 0, bounced = 0;
};

struct applied {
  storage::queue_entry entry;                // updated statuses (and, when `last`, attempts / due / lease)
  bool remove = false;                       // nothing is pending any more (or the lifetime ended)
  bool expired = false;                      // the lifetime ended with recipients still pending
  std::vector<dsn_recipient> notifications;  // what one DSN to the sender must report (empty: no DSN)
  counts tally;
};

// Applies one destination's report to `entry`. `last` says that this was the last destination of the entry's
// current run: then attempts grows by one, the lease is released, and the entry is removed (nothing pending), or
// expires (lifetime over: pending recipients fail with 5.4.7), or gets its next due time (now + backoff, never after
// the end of its lifetime), plus a one-time DELAY notice once it is older than delay_warning.
// DSN rules (RFC 3461 §4.1): never for a null sender; failures unless NOTIFY was given without FAILURE (or NEVER);
// successes only with NOTIFY=SUCCESS; delays only when NOTIFY includes DELAY or was not given.
applied apply_attempt(storage::queue_entry entry, const attempt_report& report, bool last, std::int64_t now_ms,
                      const retry_policy& policy);

// Finalises a run in which no destination was attempted (e.g. every recipient already final): the `last` part of
// apply_attempt alone.
applied finish_run(storage::queue_entry entry, std::int64_t now_ms, const retry_policy& policy);

// Whether a recipient's NOTIFY asks for a DSN with this action.
bool wants_notification(std::uint8_t notify, dsn_action action);

}  // namespace mssgw::smtp::queue
