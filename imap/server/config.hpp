// [imap]: listeners, limits and timeouts of the IMAP server (issue 5), read through common/config.hpp (defaults
// below; every bound checked; every error reported with file:line).
//
//   [imap]
//   listen = ["0.0.0.0:143"]        # IMAP with STARTTLS (RFC 3501 §6.2.1); LOGINDISABLED until TLS
//   listen_tls = ["0.0.0.0:993"]    # implicit TLS (RFC 8314)
//   max_line = "64KiB"              # command text outside literals (RFC 7162 §4 asks for 8192 at least)
//   max_literal = "50MiB"           # APPENDLIMIT (RFC 7889): the largest message APPEND accepts
//   max_literal_preauth = "8KiB"    # before login: what a stranger can make us buffer
//   max_mailbox_name = 255          # octets of a stored mailbox name (storage limit: 255)
//   max_sessions = 10000            # then "* BYE" at once
//   max_sessions_per_ip = 200
//   max_sessions_per_identity = 20  # LOGIN/AUTHENTICATE answered NO [LIMIT] past it
//   max_bad_commands = 20           # then BYE
//   max_auth_failures = 3           # per connection, then BYE (the limiter also delays and blocks per IP/identity)
//   timeout = "30m"                 # autologout once authenticated, IDLE included (RFC 9051 §5.4: >= 30 min)
//   preauth_timeout = "60s"         # before login
//   tls_handshake_timeout = "30s"
//   idle_check = "10s"              # in IDLE, re-read HIGHESTMODSEQ this often (changes by another process);
//                                   # commits of this process wake IDLE at once through the storage watchers
//   client_certificates = "request" # "request": EXTERNAL with a client certificate; "none": never ask
//   plaintext_auth_loopback = false # allow LOGIN/AUTHENTICATE without TLS from 127.0.0.0/8 and ::1 only
//                                   # (tests and benchmarks; never for real clients)
//
// Not thread-safe (start-up and reload only).
#pragma once
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mssgw::common {
class config_section;
}

namespace mssgw::imap::server {

struct endpoint {
  std::string host;  // an IP address ("[::1]:143" in the config gives "::1")
  std::uint16_t port = 0;
};
// "127.0.0.1:143", "[::1]:993", ":143" (all addresses). False on a malformed value.
bool parse_endpoint(std::string_view text, endpoint& out);

struct config {
  std::vector<endpoint> listen;
  std::vector<endpoint> listen_tls;
  std::uint64_t max_line = 64 * 1024;
  std::uint64_t max_literal = 50ull * 1024 * 1024;
  std::uint64_t max_literal_preauth = 8 * 1024;
  int max_mailbox_name = 255;
  int max_sessions = 10000;
  int max_sessions_per_ip = 200;
  int max_sessions_per_identity = 20;
  int max_bad_commands = 20;
  int max_auth_failures = 3;
  std::chrono::seconds timeout{30 * 60};
  std::chrono::seconds preauth_timeout{60};
  std::chrono::seconds tls_handshake_timeout{30};
  std::chrono::seconds idle_check{10};
  std::string client_certificates = "request";
  bool plaintext_auth_loopback = false;

  void read(common::config_section& section);
  bool enabled() const { return !listen.empty() || !listen_tls.empty(); }
};

}  // namespace mssgw::imap::server
