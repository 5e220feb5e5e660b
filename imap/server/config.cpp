#include "imap/server/config.hpp"

#include <charconv>

#include "common/config.hpp"

namespace mssgw::imap::server {

bool parse_endpoint(std::string_view text, endpoint& out) {
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return false;
  std::string_view host = text.substr(0, colon), port = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc{} || end != port.data() + port.size() || value > 65535) return false;
  out.host = host.empty() ? "0.0.0.0" : std::string(host);
  out.port = static_cast<std::uint16_t>(value);  // 0: any free port (tests)
  return true;
}

void config::read(common::config_section& section) {
  auto endpoints = [&](std::string_view key, std::vector<endpoint>& out) {
    std::vector<std::string> texts;
    section.string_list(key, texts, 64);
    for (const auto& t : texts) {
      endpoint e;
      if (parse_endpoint(t, e)) {
        out.push_back(e);
      } else {
        section.error(key, "\"" + t + "\" is not host:port");
      }
    }
  };
  endpoints("listen", listen);
  endpoints("listen_tls", listen_tls);
  section.byte_size("max_line", max_line, 8 * 1024, 16ull * 1024 * 1024);
  section.byte_size("max_literal", max_literal, 64 * 1024, 2ull * 1024 * 1024 * 1024);
  section.byte_size("max_literal_preauth", max_literal_preauth, 1024, 1024 * 1024);
  section.integer("max_mailbox_name", max_mailbox_name, 16, 255);
  section.integer("max_sessions", max_sessions, 1, 10000000);
  section.integer("max_sessions_per_ip", max_sessions_per_ip, 1, 10000000);
  section.integer("max_sessions_per_identity", max_sessions_per_identity, 1, 100000);
  section.integer("max_bad_commands", max_bad_commands, 1, 1000);
  section.integer("max_auth_failures", max_auth_failures, 1, 100);
  // RFC 9051 §5.4: the autologout timer of an authenticated session is at least 30 minutes.
  section.duration("timeout", timeout, std::chrono::minutes(30), std::chrono::hours(24));
  section.duration("preauth_timeout", preauth_timeout, std::chrono::seconds(5), std::chrono::minutes(30));
  section.duration("tls_handshake_timeout", tls_handshake_timeout, std::chrono::seconds(1), std::chrono::minutes(10));
  section.duration("idle_check", idle_check, std::chrono::seconds(1), std::chrono::minutes(30));
  section.one_of("client_certificates", client_certificates, {"request", "none"});
  section.boolean("plaintext_auth_loopback", plaintext_auth_loopback);
}

}  // namespace mssgw::imap::server
