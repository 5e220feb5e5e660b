// [queue]: the outbound queue's scheduling, retry policy, timeouts and routes (DESIGN.md §3 step 4, §6).
//
// Defaults follow Postfix where it has an equivalent (minimal_backoff_time 300 s, maximal_backoff_time 1 h,
// maximal_queue_lifetime 5 d, default_destination_concurrency_limit 20, smtp_connect_timeout 30 s, connection cache
// 2 s and reuse 300 s) and RFC 5321
// §4.5.3.2 for the SMTP client timeouts. Every value is bounded; tests use seconds.
//
// Routes: `routes = { "beta.mssante.test" = "127.0.0.1:2526", "*" = "relay.example:25" }`: a domain (compared
// case-insensitively) maps to one "host[:port]" (host: an IPv4 address, "[IPv6]", or a name resolved with A/AAAA,
// no MX lookup, like Postfix's "[host]" next hops). "*" is the route of every domain without its own route (a smart
// host). Every other domain goes to its MX hosts (RFC 5321 §5.1).
//
// Pure data plus its reader; not thread-safe while reading (start-up and reload only).
#pragma once
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "smtp/client/timeouts.hpp"

namespace mssgw::common {
class config_section;
}

namespace mssgw::smtp::queue {

// One next hop: a host (IP address or name) and a port.
struct next_hop {
  std::string host;  // "127.0.0.1", "::1" (brackets removed), or a host name
  std::uint16_t port = 25;
  bool literal = false;  // host is an IP address (no lookup)

  friend bool operator==(const next_hop&, const next_hop&) = default;
};
// "127.0.0.1:2526", "[::1]:25", "relay.example", "relay.example:587". False on a malformed value.
bool parse_next_hop(std::string_view text, next_hop& out);

struct config {
  std::string node_id;  // lease owner name; empty: the host name (gethostname) at start
  int concurrency = 100;      // outbound sessions in flight, overall
  int per_destination = 20;   // outbound sessions in flight per destination domain
  int max_active = 1000;      // queue entries held in memory (claimed) at once
  int max_addresses = 5;      // addresses tried per delivery attempt (Postfix smtp_mx_address_limit)
  std::chrono::seconds minimal_backoff{300};          // first retry delay, doubled each deferral
  std::chrono::seconds maximal_backoff{3600};         // cap of the retry delay
  std::chrono::seconds lifetime{5 * 86400};           // then pending recipients bounce (5.4.7)
  std::chrono::seconds delay_warning_time{4 * 3600};  // one DELAY DSN after this; 0 = never
  std::chrono::seconds scan_interval{10};             // how often due entries are read (plus poke())
  std::chrono::seconds lease{3600};                   // a claim's duration; renewed while an entry waits
  // Connection reuse (client/delivery.hpp connection_cache): a session stays open this long after a transaction
  // for the next message to the same domain; 0 turns reuse off (Postfix smtp_connection_cache_time_limit).
  std::chrono::seconds connection_cache_time{2};
  std::chrono::seconds connection_reuse_time{300};  // then the session is closed (smtp_connection_reuse_time_limit)
  client::timeouts timeouts;
  std::map<std::string, next_hop> routes;  // lowercased domain (or "*") -> next hop
  std::vector<std::string> dns_servers;    // "ip[:port]" for c-ares; empty: /etc/resolv.conf

  void read(common::config_section& section);
  // The route of `domain` (exact match, else "*"), or nothing: MX lookup.
  std::optional<next_hop> route_for(std::string_view domain) const;
};

}  // namespace mssgw::smtp::queue
