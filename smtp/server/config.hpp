// [smtp]: listeners and limits of the SMTP server (MX for operators, submission for clients).
#pragma once
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace mssgw::common {
class config_section;
}

namespace mssgw::smtp::server {

struct endpoint {
  std::string host;  // an IP address (IPv6 in brackets in the config: "[::1]:25")
  std::uint16_t port = 0;
};
// "127.0.0.1:25", "[::1]:587", ":2525" (all addresses). Returns false on a malformed value.
bool parse_endpoint(std::string_view text, endpoint& out);

struct config {
  std::vector<endpoint> mx;           // port 25 (other operators): STARTTLS, client certificate
  std::vector<endpoint> submission;   // port 587: STARTTLS then AUTH
  std::vector<endpoint> submissions;  // port 465: implicit TLS then AUTH (RFC 8314)
  std::uint64_t max_message_size = 25ull * 1024 * 1024;
  int max_recipients = 100;
  int max_errors = 10;
  int max_auth_failures = 3;
  int max_sessions = 1000;
  int max_sessions_per_ip = 50;
  std::chrono::seconds command_timeout{300};  // RFC 5321 §4.5.3.2.7: 5 minutes
  std::chrono::seconds data_timeout{180};     // RFC 5321 §4.5.3.2.5: 3 minutes per data block
  std::chrono::seconds tls_handshake_timeout{60};
  bool chunking = true;

  void read(common::config_section& section);
  bool enabled() const { return !mx.empty() || !submission.empty() || !submissions.empty(); }
};

}  // namespace mssgw::smtp::server
