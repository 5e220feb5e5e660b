#include "trustspace/fetch.hpp"

#include <mutex>

#include <curl/curl.h>

#include "common/ascii.hpp"
#include "trustspace/error.hpp"

namespace mssgw::trustspace {
namespace {

struct transfer {
  std::string body;
  std::uint64_t max = 0;
  bool too_large = false;
  std::string etag;
  std::string last_modified;
  const std::atomic<bool>* cancel = nullptr;
};

using common::iequals;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

extern "C" size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<transfer*>(user);
  size_t len = size * count;
  // Enforced while receiving: a hostile or broken server cannot make us buffer more than max_bytes.
  if (t->body.size() + len > t->max) {
    t->too_large = true;
    return 0;  // libcurl aborts with CURLE_WRITE_ERROR
  }
  t->body.append(data, len);
  return len;
}

extern "C" size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<transfer*>(user);
  size_t len = size * count;
  std::string_view line(data, len);
  if (line.size() >= 5 && line.substr(0, 5) == "HTTP/") {  // a new response (after a redirect): forget the old one
    t->etag.clear();
    t->last_modified.clear();
    return len;
  }
  auto colon = line.find(':');
  if (colon == std::string_view::npos) return len;
  auto name = trim(line.substr(0, colon));
  auto value = trim(line.substr(colon + 1));
  if (value.size() > 1024) return len;  // validators are short; ignore absurd ones
  if (iequals(name, "etag")) t->etag = std::string(value);
  if (iequals(name, "last-modified")) t->last_modified = std::string(value);
  return len;
}

extern "C" int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* t = static_cast<transfer*>(user);
  return (t->cancel && t->cancel->load(std::memory_order_relaxed)) ? 1 : 0;
}

class curl_fetcher final : public fetcher {
 public:
  fetch_response fetch(const fetch_request& req) override {
    fetch_response out;
    CURL* h = curl_easy_init();
    if (!h) {
      out.error = errc::fetch_failed;
      out.message = "curl_easy_init failed";
      return out;
    }
    transfer t;
    t.max = req.max_bytes;
    t.cancel = req.cancel;
    char errbuf[CURL_ERROR_SIZE] = {};
    curl_slist* headers = nullptr;
    if (!req.etag.empty()) headers = curl_slist_append(headers, ("If-None-Match: " + req.etag).c_str());
    if (!req.last_modified.empty()) {
      headers = curl_slist_append(headers, ("If-Modified-Since: " + req.last_modified).c_str());
    }

    curl_easy_setopt(h, CURLOPT_URL, req.url.c_str());
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);  // threads: no SIGALRM for DNS timeouts
    // https only, redirects included (mssante/README §2: served over HTTPS).
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(h, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    if (!req.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, req.ca_file.c_str());
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(req.connect_timeout.count()));
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(req.timeout.count()));
    curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(req.max_bytes));  // from Content-Length
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");  // gzip/deflate/br if offered; the cap applies to decoded bytes
    curl_easy_setopt(h, CURLOPT_USERAGENT, "mssgw/0.1 (whitelist refresh)");
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &t);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, &t);

    CURLcode rc = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(h);

    out.http_status = status;
    out.etag = std::move(t.etag);
    out.last_modified = std::move(t.last_modified);
    if (rc != CURLE_OK) {
      if (t.too_large || rc == CURLE_FILESIZE_EXCEEDED) {
        out.error = errc::too_large;
        out.message = "the response is over " + std::to_string(req.max_bytes) + " bytes ([whitelist] max_size)";
      } else {
        out.error = errc::fetch_failed;
        out.message = errbuf[0] ? errbuf : curl_easy_strerror(rc);
        if (rc == CURLE_ABORTED_BY_CALLBACK) out.message = "cancelled";
      }
      return out;
    }
    if (status == 304) {
      out.result = fetch_response::outcome::not_modified;
      return out;
    }
    if (status != 200) {
      out.error = errc::http_status;
      out.message = "HTTP status " + std::to_string(status);
      return out;
    }
    out.result = fetch_response::outcome::ok;
    out.body = std::move(t.body);
    return out;
  }
};

}  // namespace

std::unique_ptr<fetcher> make_curl_fetcher() {
  // curl_global_init is not thread-safe in every libcurl build: do it once, before the first handle.
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  return std::make_unique<curl_fetcher>();
}

}  // namespace mssgw::trustspace
