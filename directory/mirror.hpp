// The directory mirror in the kv store: records, indexes, and how a source's changes become visible all at once.
//
// Why generations. An import or a full LDAP reload changes up to every entry; it must go through the writer in
// batches (a single 550,000-entry transaction would stall every mail commit behind it), yet "lookups never see a
// half-imported state". So each record keeps up to two versions tagged with a generation number, and one meta key
// holds the committed generation G. Readers see, per record, the newest version whose generation <= G.
// A change (a "build") takes generation B = G + 1 and:
//   1. writes the new versions (or tombstones) tagged B in sorted batches, with a change-list key per updated or
//      deleted address, and one range key per batch for the inserted ones (inserts need no cleanup, only a
//      rollback after a crash);
//   2. writes the new versions' index keys, in sorted batches (indexes are hints checked against the visible
//      version, so new keys are invisible until the flip and old keys harmless until the cleanup);
//   3. flips: one unit sets G = B (and whatever must commit with it: the LDAP cookie, run statistics);
//   4. cleans up: for each change-list key, keeps only the visible version (erasing tombstoned records) and erases
//      the index keys of the versions it dropped; range keys of a committed build are simply erased.
// The cost is proportional to the size of the change, not of the mirror, so a 1% diff stays small; a crash before
// the flip leaves versions tagged B > G that no reader sees, and the next build rolls them back first ("settle").
//
// One build at a time, across processes (a running `serve` syncing LDAP, an admin `import`): a lease in the meta
// table names the owner (host, pid, a per-process nonce) and expires unless renewed by each batch. A lease whose
// owner is gone (same host, no such process) or expired is taken over and its build settled.
//
// Threading: a build_session is used by one thread, which blocks on writer.run(); never an I/O thread. Every unit
// it submits can be run again by the store (storage/kv.hpp contract): units only read the transaction and their
// captured, unchanging inputs.
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <vector>

#include "directory/entry.hpp"
#include "storage/kv.hpp"
#include "storage/writer.hpp"

namespace mssgw::directory {

enum class errc {
  busy = 1,           // another build holds the lease
  lease_lost,         // our lease was taken over (we stalled past its expiry)
  header_invalid,     // extraction header unusable
  too_many_errors,    // extraction errors above the ceiling: nothing applied
  too_many_deletes,   // a replacement would delete more than allowed: nothing applied
  corrupt_record,
  not_configured,     // no LDAP url
  ldap_connect,       // cannot reach or set up the connection (transient)
  ldap_bind,
  ldap_search,        // the server ended a search with an error (includes a refused sync)
  ldap_size_limit,    // rc=4: an incomplete result, never applied
  ldap_protocol,      // malformed controls or responses
  ldap_timeout,
  stopped,            // the service is stopping
};
const std::error_category& error_category();
inline std::error_code make_error_code(errc e) { return {static_cast<int>(e), error_category()}; }

// ---- record format (exposed for tests and tools) ----

struct record_version {
  std::uint64_t generation = 0;
  bool tombstone = false;
  source_kind source = source_kind::extraction;
  std::int64_t updated = 0;
  std::string_view content;  // empty for a tombstone
};

// Decodes a record into its versions (views into `bytes`), ascending by generation. False on malformed bytes.
bool decode_record(std::string_view bytes, std::vector<record_version>& out);
std::string encode_record(const std::vector<record_version>& versions);
// The version a reader at committed generation `g` sees: the newest with generation <= g; null if none or if it is
// a tombstone.
const record_version* visible_version(const std::vector<record_version>& versions, std::uint64_t g);

// The directory_index keys of one version (idNat, structure id, name tokens, entryUUID).
void index_keys(std::string_view address, std::string_view content, std::vector<std::string>& out);
// The same keys with their values: a name-token key carries all the entry's name tokens, space-separated, so that
// a multi-word search can discard a candidate without reading its record. Other values are empty.
void index_entries(std::string_view address, std::string_view content,
                   std::vector<std::pair<std::string, std::string>>& out);

// How many of `uuids` (entryUUIDs, 16 raw bytes) no visible LDAP entry carries. A present phase naming entries we
// do not have means the server's state is not a successor of ours (e.g. restored from an older backup).
std::size_t unknown_uuids(const storage::read_txn& txn, const std::vector<std::string>& uuids);

// The committed generation in a snapshot (0 for an empty mirror).
std::uint64_t committed_generation(const storage::read_txn& txn);

// ---- statistics and the LDAP cookie, in the meta table ----

enum class run_mode : std::uint8_t { none = 0, full = 1, incremental = 2 };
struct run_stats {
  std::int64_t last_success = 0;  // unix seconds
  std::uint64_t entries = 0;      // records the source owns after the run
  std::uint64_t added = 0, updated = 0, deleted = 0;
  run_mode mode = run_mode::none;
};
std::optional<run_stats> read_run_stats(const storage::read_txn& txn, source_kind source);
void write_run_stats(storage::write_txn& txn, source_kind source, const run_stats& stats);

struct stored_cookie {
  std::string fingerprint;  // which server/base/filter it belongs to
  std::string cookie;
};
std::optional<stored_cookie> read_cookie(const storage::read_txn& txn);
void write_cookie(storage::write_txn& txn, const stored_cookie& cookie);
void erase_cookie(storage::write_txn& txn);

// What a lease looks like to an observer (`mssgw directory status`).
struct lease_info {
  std::string host;
  std::uint32_t pid = 0;
  source_kind source = source_kind::extraction;
  std::uint64_t generation = 0;
  std::int64_t started = 0, expires = 0;
};
std::optional<lease_info> read_lease(const storage::read_txn& txn);

// ---- plans ----

// The changes one source makes, sorted by address, as computed under the lease.
struct plan {
  source_kind source = source_kind::extraction;
  std::vector<std::pair<std::string, std::string>> upserts;  // address -> encoded content
  std::vector<std::string> deletes;                          // addresses
  std::size_t added = 0, updated = 0, deleted = 0, unchanged = 0;
  std::size_t taken_over = 0;      // records of a lower-precedence source that this one now owns
  std::size_t shadowed = 0;        // listed, but owned by a source of higher precedence: left alone
  std::size_t owned_before = 0;    // records the source owned before
  std::size_t owned_after() const { return owned_before + added + taken_over - deleted; }
  bool empty() const { return upserts.empty() && deletes.empty(); }
  // A copy with the counts only (for reports).
  plan counts() const {
    plan c;
    c.source = source, c.added = added, c.updated = updated, c.deleted = deleted, c.unchanged = unchanged;
    c.taken_over = taken_over, c.shadowed = shadowed, c.owned_before = owned_before;
    return c;
  }
};

// What an LDAP refresh reported (RFC 4533 §3.3): changed entries (full content and entryUUID), deleted entryUUIDs,
// and, when the server ran a present phase (refreshDeletes FALSE at the end), the entryUUIDs it named present.
struct sync_delta {
  std::vector<entry> changed;
  std::vector<std::string> deleted_uuids;  // 16 raw bytes each
  std::vector<std::string> present_uuids;
  bool present_phase = false;  // true: every LDAP entry neither changed nor present is gone
};

struct build_options {
  std::size_t batch_keys = 20000;              // keys written per write unit
  std::chrono::seconds lease{300};             // renewed by every unit
};

// Runs one build with the lease held. Construct, check ok(), plan, apply; the destructor releases the lease.
class build_session {
 public:
  build_session(storage::kv_store& store, storage::writer& writer, source_kind source, build_options options = {});
  ~build_session();
  build_session(const build_session&) = delete;
  build_session& operator=(const build_session&) = delete;

  // errc::busy when another live owner holds the lease; storage errors otherwise. Leftovers of an earlier build
  // (crashed, or interrupted cleanup) are settled before ok() turns true.
  std::error_code status() const { return status_; }
  bool ok() const { return !status_; }
  std::optional<lease_info> holder() const { return holder_; }  // the other owner, when busy

  // Replaces everything `source` owns with `desired` (address -> encoded content), honouring precedence.
  // Consumes `desired`.
  plan plan_replace(content_map&& desired, std::int64_t now);
  // Applies an LDAP delta: upserts by entryUUID (a changed address is a rename), deletions by entryUUID, and the
  // present phase's implicit deletions.
  plan plan_delta(sync_delta&& delta, std::int64_t now);

  // Writes `p` as a build, flips (running `at_flip` in the flip unit), cleans up. An empty plan only runs
  // `at_flip`. On error before the flip nothing is visible; the next build rolls back what was written.
  std::error_code apply(const plan& p, std::int64_t now,
                        std::function<void(storage::write_txn&)> at_flip = {});

  // Test hook: stops apply() after `units` data units, as a crash would (the lease is left in place).
  void fail_after_units_for_tests(std::size_t units) { fail_after_ = units; }
  // Test hook: apply() returns right after the flip, as a crash before the cleanup would.
  void skip_cleanup_for_tests() { skip_cleanup_ = true; }
  // Test hook: forgets the lease without releasing it, as a crashed process would.
  void abandon_for_tests() { released_ = true; }

 private:
  std::error_code acquire();
  std::error_code settle();
  std::error_code run(storage::write_unit unit);
  void release();

  storage::kv_store& store_;
  storage::writer& writer_;
  source_kind source_;
  build_options options_;
  std::uint64_t token_ = 0;
  std::error_code status_;
  std::optional<lease_info> holder_;
  bool released_ = false;
  std::size_t fail_after_ = static_cast<std::size_t>(-1);
  std::size_t units_run_ = 0;
  bool skip_cleanup_ = false;
};

}  // namespace mssgw::directory

template <>
struct std::is_error_code_enum<mssgw::directory::errc> : std::true_type {};
