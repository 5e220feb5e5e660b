// Mirroring the operator's LDAP replica into the directory (mssante/README decision 6).
//
// One run (sync_once):
// - With a stored cookie for this server/base/filter: an RFC 4533 refreshOnly from it. Changed entries are upserts
//   keyed by entryUUID (a new address for a known entryUUID is a rename), deleted entryUUIDs are deletions, and a
//   present phase deletes what the server did not name. Applied as one build, with the new cookie written in the
//   flip, so the cookie never runs ahead of the data.
// - Without a cookie, or when the server refuses it (e-syncRefreshRequired, "consumer state is newer", an empty
//   cookie back, any result error): a full reload. First a refreshOnly with no cookie and a filter that matches
//   nothing yields a cookie for "now"; then an RFC 2696 paged search reads everything; the mirror's LDAP entries
//   are replaced by a diff (one build, atomic for readers), and that cookie is stored. Changes made between the
//   two steps come again with the next refresh: upserts and deletes are idempotent.
// - Network work happens before the build lease is taken; any failure (connection, bind, rc=4 size limit, a
//   referral, a timeout) leaves the mirror and the cookie as they were.
//
// sync_service runs sync_once on its own thread: at start, then every `interval`; after a failure it retries
// with exponential backoff from retry_min to retry_max while the old mirror keeps serving. Metrics:
// mssgw_directory_sync_runs_total{result}, mssgw_directory_sync_age_seconds, mssgw_directory_sync_full_reloads_total.
//
// Threading: sync_once blocks (libldap and writer.run); call it from the service thread or a CLI command, never
// from an I/O thread.
#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <system_error>
#include <thread>

#include "directory/config.hpp"
#include "directory/mirror.hpp"
#include "storage/kv.hpp"
#include "storage/writer.hpp"

namespace mssgw::directory::ldap {

struct sync_options {
  bool force_full = false;                    // ignore the stored cookie
  bool force = false;                         // skip the delete guard
  std::optional<std::string> cookie;          // use this cookie instead of the stored one (diagnostics, tests)
  const std::atomic<bool>* stop = nullptr;
};

struct sync_report {
  run_mode mode = run_mode::none;
  bool cookie_refused = false;
  std::size_t received = 0;  // entries received from the server
  std::size_t skipped = 0;   // unusable entries (no mail, unknown type): not applied
  plan changes;              // counts only
  std::string detail;        // why it failed, or what the server said when it refused the cookie
  std::optional<lease_info> busy_with;
  std::chrono::milliseconds fetch_time{0}, apply_time{0};
};

std::error_code sync_once(storage::kv_store& store, storage::writer& writer, const config& cfg,
                          const sync_options& options, sync_report& report);

class sync_service {
 public:
  sync_service(storage::kv_store& store, storage::writer& writer, config cfg);
  ~sync_service();
  sync_service(const sync_service&) = delete;
  sync_service& operator=(const sync_service&) = delete;

  void start();
  // Stops the thread (an LDAP operation in progress is abandoned within a quarter second) and joins.
  void stop();

 private:
  void loop();

  storage::kv_store& store_;
  storage::writer& writer_;
  config config_;
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::condition_variable wake_;
  std::thread thread_;
};

}  // namespace mssgw::directory::ldap
