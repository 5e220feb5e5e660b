// The narrow storage interface every store is built on (DESIGN.md §4, §6): an ordered key-value store made of
// named tables, read through consistent snapshots and written through transactional units.
//
// Contracts:
// - Keys are at most max_key_size bytes and compare as unsigned bytes (schema.hpp encodes integers big-endian, so
//   ranges scan in numeric order).
// - A `read_txn` is a consistent snapshot. Views it returns stay valid until it is destroyed. Keep it short and
//   never hold it across a co_await (it pins a reader slot and, for LMDB, old pages).
// - A `write_txn` also reads its own writes. It is only ever seen by a write unit running on the writer thread.
// - A write unit is a function run inside a transaction. It may be run more than once (the backend retries a whole
//   group after growing a full map), so it must have no side effects outside the transaction except writing its
//   own results. A unit that returns an error (or throws) has all its writes undone; other units of the same group
//   are unaffected.
// - commit_group() makes every unit that succeeded durable before it returns (fdatasync for LMDB).
//
// Thread-safety: begin_read() may be called from any thread, concurrently. commit_group() is called by one thread
// at a time (the writer, writer.hpp).
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace mssgw::storage {

// Every table of the schema (schema.hpp documents keys and values). Backends map each to a named database.
enum class table : std::uint8_t {
  meta,             // counters and schema version
  blobs,            // content hash -> raw RFC 5322 bytes
  blob_refs,        // content hash -> reference count
  messages,         // message id -> message record
  mailboxes,        // (account, name) -> mailbox record
  mailbox_ids,      // mailbox id -> (account, name)
  mailbox_uids,     // (mailbox id, uid) -> uid record
  mailbox_modseq,   // (mailbox id, modseq) -> uid
  expunged,         // (mailbox id, modseq) -> uid
  queue,            // queue id -> queue record
  queue_due,        // (due time, queue id) -> empty
  accounts,         // BAL address -> account record
  conversations,    // (patient INS, BAL) -> conversation record
  directory,        // directory entries and their indexes (owned by directory/)
  directory_index,  //
  whitelist,        // last good whitelist copy and its metadata (owned by trustspace/)
  seen,             // per-user \Seen of shared mailboxes (mailbox_store.hpp namespace seen; owned by imap/)
  account_index,    // (identity bucket, BAL address) -> empty: who owns or was granted which BAL
  count_
};
inline constexpr std::size_t table_count = static_cast<std::size_t>(table::count_);
std::string_view table_name(table t);

inline constexpr std::size_t max_key_size = 511;  // LMDB's compiled-in limit (deps.md §3)

class read_txn {
 public:
  virtual ~read_txn() = default;
  // The value stored under `key`, or nothing.
  virtual std::optional<std::string_view> get(table t, std::string_view key) const = 0;
  // Visits keys in [from, to) in order (an empty `to` means "to the end") until `visit` returns false.
  virtual void scan(table t, std::string_view from, std::string_view to,
                    const std::function<bool(std::string_view key, std::string_view value)>& visit) const = 0;
  // Visits keys in (to, from] in reverse order; an empty `from` means "from the end".
  virtual void scan_reverse(table t, std::string_view from, std::string_view to,
                            const std::function<bool(std::string_view key, std::string_view value)>& visit) const = 0;
  // Visits every key that starts with `prefix`.
  void scan_prefix(table t, std::string_view prefix,
                   const std::function<bool(std::string_view key, std::string_view value)>& visit) const;
};

class write_txn : public read_txn {
 public:
  virtual void put(table t, std::string_view key, std::string_view value) = 0;
  // Returns whether the key existed.
  virtual bool erase(table t, std::string_view key) = 0;

  // Records that a mailbox changed (new message, flags, expunge) so that the writer tells its watchers after the
  // commit (IMAP IDLE and NOOP, DESIGN.md §3 step 5). Forgotten if the unit fails.
  void mailbox_changed(std::uint64_t mailbox_id) { changed_.push_back(mailbox_id); }
  // For backends: the changes recorded since the last call, and a reset before each unit.
  std::vector<std::uint64_t> take_changes() { return std::exchange(changed_, {}); }

 private:
  std::vector<std::uint64_t> changed_;
};

using write_unit = std::function<std::error_code(write_txn&)>;

// Outcome of one unit of a group, in the order given.
struct unit_result {
  std::error_code error;
  std::vector<std::uint64_t> changed_mailboxes;  // recorded by a successful unit (write_txn::mailbox_changed)
};

class kv_store {
 public:
  virtual ~kv_store() = default;
  virtual std::unique_ptr<read_txn> begin_read() = 0;
  // Runs `units` in one transaction, each isolated from the others' failures, and commits durably.
  // `results` has one entry per unit. Throws std::system_error only when the whole group could not be committed
  // (disk error); then no unit's writes are visible.
  virtual void commit_group(std::span<const write_unit> units, std::span<unit_result> results) = 0;
  // Convenience for admin commands and tests: one unit, one commit.
  std::error_code commit_one(const write_unit& unit);
};

// Errors of the storage layer, as values (STYLE.md habit 8).
enum class errc {
  not_found = 1,
  already_exists,
  corrupt_record,
  key_too_large,
  map_full,
  io_error,
  unit_failed,     // a unit threw an exception
  conflict,        // a precondition inside a unit did not hold (e.g. mailbox renamed concurrently)
  invalid_argument,
  shutting_down,
};
const std::error_category& error_category();
inline std::error_code make_error_code(errc e) { return {static_cast<int>(e), error_category()}; }

}  // namespace mssgw::storage

template <>
struct std::is_error_code_enum<mssgw::storage::errc> : std::true_type {};
