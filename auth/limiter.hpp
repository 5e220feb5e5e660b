// Authentication failure throttling (DESIGN.md §5; issue 4: "auth failures delayed and counted per IP and per
// identity"), shared by SMTP submission and IMAP.
//
// Counts failures per client address and per identity over a sliding window. From the counts it gives:
// - a delay to apply before answering a failure: none for the first `free_failures` in the window, then
//   base_delay doubling per further failure, capped at max_delay (defaults: 0, 0, 1 s, 2 s, 4 s, 8 s, 15 s, 15 s...);
//   the larger of the address's and the identity's delays applies;
// - a blocked state once a key reaches its hard limit (ip_block, identity_block failures in the window): the
//   session then refuses AUTH without checking credentials (SMTP 454 4.7.0, IMAP NO [UNAVAILABLE]) after
//   max_delay, until enough failures leave the window.
// A success resets the identity's counter (not the address's: one valid account must not launder an address that
// guesses others' passwords).
//
// Which identity to count: the caller passes sasl::outcome::throttle_identity (sasl::conclude() does it), which
// names an identity only where a failure is evidence of guessing or probing: PLAIN's user name (known or not), and
// an authenticated identity asking for a BAL it may not open. Token failures (forged, expired, wrong audience)
// count per address only: a token names someone without proving the sender is them (nobody can lock a professional
// out by sending bad tokens in their name), and mail clients retry stale tokens on their own.
//
// Memory is bounded: at most max_keys addresses and max_keys identities are tracked, each with at most its hard
// limit of timestamps; when full, the key touched least recently is evicted. IPv6 addresses should be counted per
// /64 (address_key() does it), since one host gets a whole /64.
//
// Thread-safe (one mutex; failures are rare and each call is a hash lookup). Time is a parameter.
#pragma once
#include <chrono>
#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace mssgw::auth {

struct throttle_config {
  std::chrono::seconds window{15 * 60};
  int free_failures = 2;
  std::chrono::milliseconds base_delay{1000};
  std::chrono::milliseconds max_delay{15000};
  int ip_block = 30;
  int identity_block = 10;
  std::size_t max_keys = 50000;  // per table (addresses, identities)
};

struct throttle_decision {
  std::chrono::milliseconds delay{0};
  bool blocked = false;
  int ip_failures = 0;        // in the window, this one included for record_failure()
  int identity_failures = 0;  // idem (0 when no identity was given)
};

class failure_limiter {
 public:
  using clock = std::chrono::system_clock;
  explicit failure_limiter(throttle_config cfg = {});

  // Before an attempt. `identity` may be empty (not known yet). Blocked: delay is max_delay.
  throttle_decision check(std::string_view ip, std::string_view identity, clock::time_point now);
  // After a failure: counts it, returns the delay to wait before answering and whether a limit is now reached.
  throttle_decision record_failure(std::string_view ip, std::string_view identity, clock::time_point now);
  // After a success: forgets the identity's failures.
  void record_success(std::string_view identity);

  // Applies new limits (SIGHUP); trims the tables to the new max_keys.
  void reconfigure(const throttle_config& cfg);
  throttle_config config() const;
  std::size_t tracked_ips() const;
  std::size_t tracked_identities() const;

  // The key to count a client address under: IPv4 as is; IPv6 as its /64 prefix ("2001:db8:1:2::/64");
  // IPv4-mapped IPv6 as the IPv4 address; anything unparsable as given.
  static std::string address_key(std::string_view ip);
  // The delay for `failures` in the window under `cfg` (exposed for tests and documentation).
  static std::chrono::milliseconds delay_for(const throttle_config& cfg, int failures);

 private:
  struct entry {
    std::string key;
    std::vector<std::int64_t> failures;  // unix ms, ascending, at most the table's limit
  };
  struct table {
    std::list<entry> lru;                                                    // front: most recently touched
    std::unordered_map<std::string_view, std::list<entry>::iterator> index;  // views into lru entries' keys
  };
  // Drops failures older than the window; returns the count left (and removes an emptied entry).
  int count(table& t, std::string_view key, std::int64_t now_ms);
  int add(table& t, std::string_view key, std::int64_t now_ms, int limit);
  void trim(table& t, std::size_t max);

  mutable std::mutex mutex_;
  throttle_config cfg_;
  table ips_, identities_;
};

}  // namespace mssgw::auth
