#include "smtp/queue/config.hpp"

#include <arpa/inet.h>

#include <charconv>

#include "common/config.hpp"
#include "smtp/proto/address.hpp"
#include "smtp/proto/codec.hpp"

namespace mssgw::smtp::queue {
namespace {

bool is_ip(const std::string& host, int family) {
  unsigned char buf[16];
  return inet_pton(family, host.c_str(), buf) == 1;
}

void read_ms(common::config_section& s, std::string_view key, std::chrono::milliseconds& out, std::chrono::seconds min,
             std::chrono::seconds max) {
  auto v = std::chrono::duration_cast<std::chrono::seconds>(out);
  s.duration(key, v, min, max);
  out = v;
}

}  // namespace

bool parse_next_hop(std::string_view text, next_hop& out) {
  next_hop hop;
  std::string_view port_text;
  bool has_port = false;
  if (text.starts_with('[')) {
    auto close = text.find(']');
    if (close == std::string_view::npos) return false;
    hop.host = std::string(text.substr(1, close - 1));
    auto rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return false;
      port_text = rest.substr(1);
      has_port = true;
    }
    if (!is_ip(hop.host, AF_INET6) && !is_ip(hop.host, AF_INET)) return false;
    hop.literal = true;
  } else {
    auto colon = text.rfind(':');
    if (colon != std::string_view::npos) {
      if (text.find(':') != colon) return false;  // a bare IPv6 address needs brackets
      port_text = text.substr(colon + 1);
      text = text.substr(0, colon);
      has_port = true;
    }
    hop.host = std::string(text);
    if (is_ip(hop.host, AF_INET)) {
      hop.literal = true;
    } else if (proto::check_domain(hop.host, false, false) != proto::errc::ok) {
      return false;
    } else {
      hop.host = proto::to_lower(hop.host);
    }
  }
  if (hop.host.empty()) return false;
  if (has_port) {
    unsigned p = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), p);
    if (ec != std::errc{} || end != port_text.data() + port_text.size() || p == 0 || p > 65535) return false;
    hop.port = static_cast<std::uint16_t>(p);
  }
  out = std::move(hop);
  return true;
}

void config::read(common::config_section& s) {
  using std::chrono::seconds;
  s.string("node_id", node_id, 255);
  s.integer("concurrency", concurrency, 1, 10000);
  s.integer("per_destination", per_destination, 1, 10000);
  s.integer("max_active", max_active, 1, 1000000);
  s.integer("max_addresses", max_addresses, 1, 50);
  s.duration("minimal_backoff", minimal_backoff, seconds(1), seconds(86400));
  s.duration("maximal_backoff", maximal_backoff, seconds(1), seconds(7 * 86400));
  s.duration("lifetime", lifetime, seconds(1), seconds(100 * 86400));
  s.duration("delay_warning_time", delay_warning_time, seconds(0), seconds(100 * 86400));
  s.duration("scan_interval", scan_interval, seconds(1), seconds(3600));
  s.duration("lease", lease, seconds(10), seconds(7 * 86400));
  s.duration("connection_cache_time", connection_cache_time, seconds(0), seconds(300));
  s.duration("connection_reuse_time", connection_reuse_time, seconds(1), seconds(86400));
  read_ms(s, "connect_timeout", timeouts.connect, seconds(1), seconds(3600));
  read_ms(s, "greeting_timeout", timeouts.greeting, seconds(1), seconds(3600));
  read_ms(s, "command_timeout", timeouts.command, seconds(1), seconds(3600));
  read_ms(s, "tls_timeout", timeouts.tls_handshake, seconds(1), seconds(3600));
  read_ms(s, "data_init_timeout", timeouts.data_init, seconds(1), seconds(3600));
  read_ms(s, "data_block_timeout", timeouts.data_block, seconds(1), seconds(3600));
  read_ms(s, "data_end_timeout", timeouts.data_end, seconds(1), seconds(3600));
  if (maximal_backoff < minimal_backoff) s.error("maximal_backoff", "queue.maximal_backoff: less than minimal_backoff");
  if (per_destination > concurrency) per_destination = concurrency;

  common::config_section r = s.sub("routes");
  for (const auto& key : r.keys()) {
    std::string value;
    r.string(key, value, 300);
    std::string domain = proto::to_lower(key);
    if (domain != "*" && proto::check_domain(domain, false, false) != proto::errc::ok) {
      r.error(key, "queue.routes: \"" + key + "\" is not a domain name (or \"*\")");
      continue;
    }
    next_hop hop;
    if (!parse_next_hop(value, hop)) {
      r.error(key, "queue.routes." + key + ": expected \"host[:port]\" (IPv6 in brackets), got \"" + value + "\"");
      continue;
    }
    routes[domain] = hop;
  }
  r.finish();

  s.string_list("dns_servers", dns_servers, 16);
  for (const auto& server : dns_servers) {
    next_hop hop;
    if (!parse_next_hop(server, hop) || !hop.literal) {
      s.error("dns_servers", "queue.dns_servers: expected \"ip[:port]\" (IPv6 in brackets), got \"" + server + "\"");
    }
  }
}

std::optional<next_hop> config::route_for(std::string_view domain) const {
  if (auto it = routes.find(proto::to_lower(domain)); it != routes.end()) return it->second;
  if (auto it = routes.find("*"); it != routes.end()) return it->second;
  return std::nullopt;
}

}  // namespace mssgw::smtp::queue
