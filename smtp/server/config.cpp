#include "smtp/server/config.hpp"

#include <charconv>

#include "common/config.hpp"

namespace mssgw::smtp::server {

bool parse_endpoint(std::string_view text, endpoint& out) {
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return false;
  std::string_view host = text.substr(0, colon), port = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc{} || end != port.data() + port.size() || value == 0 || value > 65535) return false;
  out.host = host.empty() ? "0.0.0.0" : std::string(host);
  out.port = static_cast<std::uint16_t>(value);
  return true;
}

void config::read(common::config_section& section) {
  auto listeners = [&](std::string_view key, std::vector<endpoint>& out) {
    common::config_section sub = section.sub(key);
    std::vector<std::string> texts;
    sub.string_list("listen", texts, 64);
    for (const auto& t : texts) {
      endpoint e;
      if (parse_endpoint(t, e)) {
        out.push_back(e);
      } else {
        sub.error("listen", "\"" + t + "\" is not host:port");
      }
    }
    sub.finish();
  };
  listeners("mx", mx);
  listeners("submission", submission);
  listeners("submissions", submissions);
  section.byte_size("max_message_size", max_message_size, 1024, 1ull << 31);
  section.integer("max_recipients", max_recipients, 1, 100000);
  section.integer("max_errors", max_errors, 1, 1000);
  section.integer("max_auth_failures", max_auth_failures, 1, 100);
  section.integer("max_sessions", max_sessions, 1, 1000000);
  section.integer("max_sessions_per_ip", max_sessions_per_ip, 1, 1000000);
  section.duration("command_timeout", command_timeout, std::chrono::seconds(1), std::chrono::hours(1));
  section.duration("data_timeout", data_timeout, std::chrono::seconds(1), std::chrono::hours(1));
  section.duration("tls_handshake_timeout", tls_handshake_timeout, std::chrono::seconds(1), std::chrono::minutes(10));
  section.boolean("chunking", chunking);
}

}  // namespace mssgw::smtp::server
