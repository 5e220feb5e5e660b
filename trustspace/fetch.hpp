// HTTPS download of the whitelist with libcurl (mssante/README §2 and §7 decision 4): a conditional GET
// (If-None-Match / If-Modified-Since), TLS ≥ 1.2 verified against configured CA roots, https only (redirects too),
// connect and total timeouts, and a size cap enforced while receiving (a larger body is aborted, never buffered).
//
// Blocking. Call it only from the refresher's own thread or from the CLI, never from an I/O thread. A transfer can be
// cancelled from another thread through `cancel` (checked about once a second by libcurl's progress callback).
// `fetcher` is an interface so that tests can script responses.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>

namespace mssgw::trustspace {

struct fetch_request {
  std::string url;
  std::string etag;           // sent as If-None-Match when non-empty
  std::string last_modified;  // sent as If-Modified-Since, verbatim (RFC 9110 §13.1.3)
  std::filesystem::path ca_file;  // PEM roots for the server; empty: the system store
  std::chrono::milliseconds connect_timeout{15'000};
  std::chrono::milliseconds timeout{60'000};
  std::uint64_t max_bytes = 64ull << 20;
  const std::atomic<bool>* cancel = nullptr;
};

struct fetch_response {
  enum class outcome { ok, not_modified, failed };
  outcome result = outcome::failed;
  long http_status = 0;
  std::string body;  // outcome::ok only
  std::string etag;
  std::string last_modified;
  std::error_code error;  // errc::fetch_failed, http_status or too_large when failed
  std::string message;    // e.g. "Operation timed out after 2001 milliseconds with 0 bytes received"
};

class fetcher {
 public:
  virtual ~fetcher() = default;
  virtual fetch_response fetch(const fetch_request& request) = 0;
};

// libcurl (OpenSSL flavour). Thread-compatible: one fetch at a time per instance.
std::unique_ptr<fetcher> make_curl_fetcher();

}  // namespace mssgw::trustspace
