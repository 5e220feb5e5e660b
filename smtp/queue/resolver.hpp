// Where a destination's mail goes (RFC 5321 §5.1): the MX hosts of a domain, by preference, with their addresses;
// a domain without MX records is its own host (the "implicit MX", its A/AAAA records); a null MX (RFC 7505: one MX
// of preference 0 and exchange ".") means the domain accepts no mail (a permanent failure). Any other lookup
// failure, NXDOMAIN included, is temporary: the whitelist says the domain is an MSSanté domain, so a missing record
// is more likely a DNS incident than a typo, and the lifetime bounds the wait.
//
// `resolver` is the interface the queue uses (tests give their own); make_ares_resolver() builds the c-ares one,
// which runs its own thread: requests are handed over under a lock, c-ares sockets are polled there (poll() plus
// an eventfd to wake it), and completions are called on that thread, so they must only post to an executor.
// No blocking call ever runs on an I/O thread.
//
// order_mx() is the pure part: preference order, equal preferences shuffled (RFC 5321 §5.1 "SHOULD pick one at
// random"), null MX recognised. Thread-safe (the resolver: any thread may call resolve()).
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace mssgw::smtp::queue {

struct mx_host {
  std::string name;
  std::uint16_t preference = 0;
  std::vector<std::string> addresses;  // textual IPv4 / IPv6, in the order to try
  std::uint16_t port = 25;

  friend bool operator==(const mx_host&, const mx_host&) = default;
};

struct resolution {
  enum class status : std::uint8_t { ok, temporary, no_mail };
  status st = status::temporary;
  std::vector<mx_host> hosts;  // ok: in the order to try, each with at least one address
  std::string error;           // temporary / no_mail: what happened (for the diagnostic)
};

class resolver {
 public:
  virtual ~resolver() = default;
  // MX lookup of `domain`, then the addresses of each host. `done` is called exactly once, on any thread.
  virtual void resolve_mx(std::string domain, std::function<void(resolution)> done) = 0;
  // A/AAAA lookup of one host (a static route), no MX. `done` as above.
  virtual void resolve_host(std::string host, std::uint16_t port, std::function<void(resolution)> done) = 0;
  // Fails every lookup in progress (temporary) and joins any thread. Idempotent.
  virtual void stop() {}
};

struct mx_record {
  std::string host;
  std::uint16_t preference = 0;
};
struct mx_order {
  bool null_mx = false;            // RFC 7505
  std::vector<mx_record> records;  // by preference, equal ones shuffled; null entries removed
};
mx_order order_mx(std::vector<mx_record> records, std::mt19937& rng);

// `servers`: "ip[:port]" entries (empty: /etc/resolv.conf). `timeout`: per query try (c-ares retries 3 times).
// Throws std::runtime_error when c-ares cannot be initialised (start-up).
std::unique_ptr<resolver> make_ares_resolver(const std::vector<std::string>& servers,
                                             std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));

}  // namespace mssgw::smtp::queue
