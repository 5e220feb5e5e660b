// The durable outbound queue (DESIGN.md §3 step 4, §4, §6).
//
// A queue entry holds the envelope (sender, RFC 3461 DSN parameters, recipients with their own status) and a
// reference to the stored body. `queue_due` indexes entries by next due time so the scheduler reads only what is
// due. An entry can be leased by a delivery worker until a deadline (so several workers, or later several nodes,
// never deliver the same entry at once); an expired lease makes the entry claimable again.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "storage/blob_store.hpp"
#include "storage/kv.hpp"

namespace mssgw::storage {

enum class rcpt_status : std::uint8_t { pending = 0, delivered = 1, failed = 2 };

// RFC 3461 §4.1 NOTIFY, as bits; none set means the default (FAILURE and DELAY, per RFC 3461 §4.1).
enum notify_bits : std::uint8_t { notify_never = 1, notify_success = 2, notify_failure = 4, notify_delay = 8 };

struct queue_recipient {
  std::string address;
  std::string orcpt;  // RFC 3461 ORCPT, "type;xtext" as received, or empty
  std::uint8_t notify = 0;
  rcpt_status status = rcpt_status::pending;
  std::uint16_t last_code = 0;      // last SMTP reply code (e.g. 451)
  std::string last_status;          // enhanced status code (e.g. "4.4.1")
  std::string last_reply;           // diagnostic text, for the DSN and `queue show`
  std::int64_t updated_ms = 0;
  bool delay_notified = false;
};

struct queue_entry {
  std::uint64_t id = 0;
  std::string sender;   // empty for the null reverse-path (a bounce)
  std::string envid;    // RFC 3461 ENVID
  bool ret_full = false;  // RFC 3461 RET=FULL (else headers only)
  content_hash blob{};
  std::uint64_t size = 0;
  std::int64_t created_ms = 0;
  std::int64_t next_due_ms = 0;
  std::uint32_t attempts = 0;
  std::string lease_owner;
  std::int64_t lease_until_ms = 0;
  std::vector<queue_recipient> recipients;

  std::string display_id() const;  // 16 hex digits, as shown to clients ("250 2.0.0 Ok: queued as ...")
};

namespace queue {
// Stores the body if needed, takes a reference, and indexes the entry by due time. A non-zero `entry.id` that is
// free is kept (the SMTP session chooses it before the commit); otherwise the next counter value is assigned.
std::uint64_t enqueue(write_txn& txn, queue_entry& entry, std::string_view raw);
// As enqueue, for a body already stored (one blob reference taken).
std::error_code enqueue_stored(write_txn& txn, queue_entry& entry);
std::optional<queue_entry> get(const read_txn& txn, std::uint64_t id);
// Rewrites an entry (status, attempts, next due, lease) and moves its due-index key.
std::error_code update(write_txn& txn, const queue_entry& entry);
// Deletes the entry and releases its body.
std::error_code remove(write_txn& txn, std::uint64_t id);
// Visits entries due at or before `now_ms`, earliest first.
void scan_due(const read_txn& txn, std::int64_t now_ms, const std::function<bool(std::uint64_t id, std::int64_t due_ms)>& visit);
// Visits every entry in id order.
void scan_all(const read_txn& txn, const std::function<bool(const queue_entry&)>& visit);
// Takes a lease on `id` for `owner` until `until_ms`, unless another owner holds an unexpired one.
std::error_code claim(write_txn& txn, std::uint64_t id, std::string_view owner, std::int64_t now_ms, std::int64_t until_ms);
std::optional<std::uint64_t> parse_display_id(std::string_view text);
}  // namespace queue

}  // namespace mssgw::storage
