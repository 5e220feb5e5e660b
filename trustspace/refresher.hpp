// Keeping the whitelist current (mssante/README §7 decision 4): [whitelist] config, the last good copy in the state
// store, and the refresher that fetches, parses, swaps and persists.
//
// Sources: an HTTPS URL (conditional GET with the stored ETag / Last-Modified, see fetch.hpp) or a file (tests and
// air-gapped sites; its modification time counts as the time it was last known current). A fetch error, an HTTP
// error, a truncated or oversize body, or a parse error never replaces the running snapshot: it is logged, counted,
// and retried after `retry`. A good new copy is swapped in, then persisted (bytes + validators, one transaction in
// the `whitelist` table: storage/schema.hpp), so that a restart starts from it.
//
// Age and alarm: age = now - the last time the copy was known current (a 200 or 304, or the file's mtime). When it
// exceeds `max_age` (default 48 h) the refresher logs `whitelist.stale` (warn, repeated hourly) and sets the gauge
// mssgw_whitelist_stale to 1; mssgw_whitelist_age_seconds carries the age (-1 before any copy). Other metrics:
// mssgw_whitelist_entries, mssgw_whitelist_domains, mssgw_whitelist_refresh_total{result=updated|unchanged|failed}.
//
// Threading: start() runs the loop on its own thread (libcurl never runs on an I/O thread); refresh_once() and
// check_age() may also be called directly (CLI, tests); calls are serialised. stop() cancels a transfer in progress
// and joins. The store and writer, when given, must outlive the refresher.
#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <system_error>
#include <thread>

#include "trustspace/fetch.hpp"
#include "trustspace/whitelist.hpp"

namespace mssgw::common {
class config_section;
}
namespace mssgw::storage {
class kv_store;
class read_txn;
class write_txn;
class writer;
}  // namespace mssgw::storage

namespace mssgw::trustspace {

// [whitelist]
struct whitelist_config {
  std::string url;                   // https://espacedeconfiance.mssante.fr/listeblanchemssante.xml in production
  std::filesystem::path file;        // or a file (exclusive with url)
  std::filesystem::path ca_file;     // PEM roots that verify the URL's server; empty: the system store
  std::chrono::seconds refresh{3600};       // decision 4: hourly
  std::chrono::seconds retry{300};          // after a failed refresh
  std::chrono::seconds max_age{48 * 3600};  // alarm threshold
  std::chrono::seconds timeout{60};         // whole transfer
  std::chrono::seconds connect_timeout{15};
  std::uint64_t max_size = 64ull << 20;     // bytes, checked before parsing (and while downloading)
  std::size_t max_entries = 1'000'000;

  void read(common::config_section& section);
  bool configured() const { return !url.empty() || !file.empty(); }
  std::string source() const { return url.empty() ? file.string() : url; }
  parse_options parsing() const { return {max_size, max_entries}; }
};

// The metadata stored with the last good copy.
struct stored_meta {
  std::string source;         // the URL or file it came from
  std::string etag;           // validators of that response (URL sources)
  std::string last_modified;
  std::int64_t fetched_at = 0;   // unix seconds: when these bytes were obtained
  std::int64_t verified_ms = 0;  // unix ms: when they were last known current
  std::string sha256;
  std::uint64_t size = 0;
};
std::string encode_meta(const stored_meta& m);
std::optional<stored_meta> decode_meta(std::string_view record);
// Reads the stored copy (bytes and meta); nothing when absent or corrupt.
std::optional<std::pair<stored_meta, std::string>> read_stored(const storage::read_txn& txn);
// Writes bytes and meta in the caller's transaction (bytes empty: meta only).
void write_stored(storage::write_txn& txn, const stored_meta& meta, std::string_view bytes);

struct refresh_outcome {
  enum class kind { updated, unchanged, failed };
  kind result = kind::failed;
  std::error_code error;  // when failed
  std::string message;    // when failed: what and where (e.g. "line 12: <Domaine> has no <Nom>")
  std::shared_ptr<const snapshot> snap;  // when updated
};
std::string_view to_string(refresh_outcome::kind k);

class refresher {
 public:
  struct options {
    std::function<clock::time_point()> now = [] { return clock::now(); };  // tests age the copy with a fake clock
    std::shared_ptr<fetcher> http;  // default: libcurl
  };

  // `store` and `writer` may be null (nothing persisted); with a store and no writer, commits go to the store.
  refresher(whitelist& target, whitelist_config cfg, storage::kv_store* store, storage::writer* writer);
  refresher(whitelist& target, whitelist_config cfg, storage::kv_store* store, storage::writer* writer,
            options opts);
  ~refresher();
  refresher(const refresher&) = delete;
  refresher& operator=(const refresher&) = delete;

  // Publishes the stored copy, if any. Returns whether one was loaded.
  bool load_stored();
  // One refresh from the configured source, on the calling thread. `force`: no conditional headers, and a file is
  // re-parsed even when unchanged. Never throws.
  refresh_outcome refresh_once(bool force = false);
  // Updates the age gauges and logs the alarm's transitions. Returns whether the copy is stale (or absent).
  bool check_age();

  // For `serve`: loads the stored copy, refreshes synchronously when there is none (or the source is a file), then
  // starts the background loop.
  void start();
  void stop();
  // Refresh as soon as possible (SIGHUP).
  void trigger();
  // New settings (SIGHUP); used from the next refresh on.
  void reconfigure(whitelist_config cfg);

  // The metadata of the running copy (source, validators, times).
  stored_meta meta() const;

 private:
  refresh_outcome refresh_url(const whitelist_config& cfg, bool force);
  refresh_outcome refresh_file(const whitelist_config& cfg, bool force);
  refresh_outcome accept_bytes(const whitelist_config& cfg, std::string bytes, stored_meta meta);
  void confirm(stored_meta meta);
  void persist(const stored_meta& meta, std::string_view bytes);
  void loop(std::chrono::seconds first_delay);
  whitelist_config config() const;

  whitelist& target_;
  storage::kv_store* store_;
  storage::writer* writer_;
  options opts_;

  mutable std::mutex mutex_;  // cfg_, meta_, loop state
  whitelist_config cfg_;
  stored_meta meta_;
  std::mutex refresh_mutex_;  // one refresh at a time
  std::condition_variable wake_;
  bool stopping_ = false;
  bool triggered_ = false;
  std::atomic<bool> cancel_{false};
  bool stale_ = false;
  std::optional<clock::time_point> last_alarm_;
  std::thread thread_;
};

}  // namespace mssgw::trustspace
