// Messages and mailboxes: what IMAP reads and delivery writes (DESIGN.md §4; RFC 3501 §2.3.1.1 UIDs,
// RFC 7162 MODSEQ).
//
// A message record holds one stored body (a blob reference) plus facts computed once at delivery (size, internal
// date, an opaque cache such as the IMAP BODYSTRUCTURE). A message may sit in several mailboxes (one delivery to
// several local recipients, IMAP COPY): each placement holds a reference, and the last one released frees the record
// and its blob.
//
// Invariants kept by every write function here:
// - UIDs in a mailbox strictly increase and are never reused while UIDVALIDITY stays the same; UIDNEXT > every UID.
// - MODSEQ values in a mailbox strictly increase; HIGHESTMODSEQ is the largest ever assigned; each live UID has
//   exactly one entry in mailbox_modseq; each expunge leaves a trace in `expunged` (for QRESYNC VANISHED).
// - `exists`, `unseen` and `size` equal what the UID table holds.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "storage/blob_store.hpp"
#include "storage/kv.hpp"

namespace mssgw::storage {

struct message_record {
  std::uint64_t id = 0;
  content_hash blob{};
  std::uint64_t size = 0;
  std::int64_t internal_date = 0;  // unix seconds (RFC 3501 INTERNALDATE)
  std::uint32_t refs = 0;          // mailbox placements
  std::string cache;               // opaque, owned by imap/ (envelope, bodystructure)
};

// A message record as stored, its cache a view into the read transaction (valid until it ends): what readers that
// only look at the record use, without copying the cache.
struct message_view {
  std::uint64_t id = 0;
  content_hash blob{};
  std::uint64_t size = 0;
  std::int64_t internal_date = 0;
  std::uint32_t refs = 0;
  std::string_view cache;
};

namespace messages {
// Stores the body (deduplicated) and creates a record with no placement yet.
std::uint64_t create(write_txn& txn, std::string_view raw, std::int64_t internal_date, std::string cache);
// The same with the body's hash computed by the caller before submitting (see blobs::put).
std::uint64_t create(write_txn& txn, std::string_view raw, const content_hash& hash, std::int64_t internal_date,
                     std::string cache);
std::optional<message_record> get(const read_txn& txn, std::uint64_t id);
std::optional<message_view> view(const read_txn& txn, std::uint64_t id);
// Replaces the opaque cache of a record (IMAP computes it lazily for messages delivered without one).
// errc::not_found if the message is gone.
std::error_code set_cache(write_txn& txn, std::uint64_t id, std::string cache);
}  // namespace messages

// IMAP system flags (RFC 3501 §2.3.2) as bits; keywords kept as text.
enum flag_bits : std::uint32_t {
  flag_seen = 1u << 0,
  flag_answered = 1u << 1,
  flag_flagged = 1u << 2,
  flag_deleted = 1u << 3,
  flag_draft = 1u << 4,
};

struct message_flags {
  std::uint32_t system = 0;
  std::vector<std::string> keywords;
  bool operator==(const message_flags&) const = default;
};

struct mailbox_info {
  std::uint64_t id = 0;
  std::string account;
  std::string name;
  std::uint32_t uidvalidity = 0;
  std::uint32_t uidnext = 1;
  std::uint64_t highestmodseq = 1;
  std::uint32_t exists = 0;
  std::uint32_t unseen = 0;
  std::uint64_t size = 0;
  std::string special_use;  // "\\Sent", "\\Trash", ... or empty (RFC 6154)
  bool subscribed = true;
};

struct uid_entry {
  std::uint32_t uid = 0;
  std::uint64_t message_id = 0;
  std::uint64_t modseq = 0;
  message_flags flags;
};

struct appended {
  std::uint32_t uid = 0;
  std::uint64_t modseq = 0;
};

struct appended;

namespace messages {
// Local delivery in one step: stores the body once and places it in each mailbox (new UID each, unseen, no
// keyword). Writes the message record once, with its final reference count. `placed` gets one entry per mailbox.
// errc::not_found if a mailbox does not exist (the unit then writes nothing).
std::error_code deliver(write_txn& txn, std::string_view raw, const content_hash& hash, std::int64_t internal_date,
                        std::string cache, std::span<const std::uint64_t> mailbox_ids,
                        std::vector<appended>* placed = nullptr);
}  // namespace messages

namespace mailboxes {
inline constexpr std::size_t max_name_size = 255;

std::error_code create(write_txn& txn, std::string_view account, std::string_view name, std::string_view special_use,
                       mailbox_info* out = nullptr);
std::optional<mailbox_info> get(const read_txn& txn, std::string_view account, std::string_view name);
std::optional<mailbox_info> get(const read_txn& txn, std::uint64_t mailbox_id);
std::vector<mailbox_info> list(const read_txn& txn, std::string_view account);
// Deletes a mailbox and releases every message in it.
std::error_code remove(write_txn& txn, std::string_view account, std::string_view name);
// Renames a mailbox and every mailbox below it in the hierarchy (`from` + delimiter + ...), keeping their ids,
// UIDVALIDITY and messages (RFC 3501 §6.3.5). errc::not_found, errc::already_exists (the new name, or one of the
// new names of its children, is taken), errc::invalid_argument (a name too long, or `to` inside `from`).
std::error_code rename(write_txn& txn, std::string_view account, std::string_view from, std::string_view to,
                       char delimiter = '/');
// Sets the subscription flag (RFC 3501 §6.3.6). errc::not_found.
std::error_code set_subscribed(write_txn& txn, std::string_view account, std::string_view name, bool subscribed);

// Places message `message_id` in the mailbox with the next UID.
std::error_code append(write_txn& txn, std::uint64_t mailbox_id, std::uint64_t message_id, const message_flags& flags,
                       appended* out = nullptr);
// Replaces the flags of `uid`. A change assigns a new MODSEQ (returned); no change keeps the old one.
std::error_code set_flags(write_txn& txn, std::uint64_t mailbox_id, std::uint32_t uid, const message_flags& flags,
                          std::uint64_t* modseq = nullptr);
// Removes `uid` from the mailbox and releases its message.
std::error_code expunge(write_txn& txn, std::uint64_t mailbox_id, std::uint32_t uid);

std::optional<uid_entry> get_uid(const read_txn& txn, std::uint64_t mailbox_id, std::uint32_t uid);
// Visits UIDs in [first, last] in order until `visit` returns false.
void scan_uids(const read_txn& txn, std::uint64_t mailbox_id, std::uint32_t first, std::uint32_t last,
               const std::function<bool(const uid_entry&)>& visit);
// Visits live UIDs whose MODSEQ is > `since`, in MODSEQ order (RFC 7162 CHANGEDSINCE).
void changed_since(const read_txn& txn, std::uint64_t mailbox_id, std::uint64_t since,
                   const std::function<bool(std::uint32_t uid, std::uint64_t modseq)>& visit);
// Visits UIDs expunged with MODSEQ > `since` (RFC 7162 QRESYNC VANISHED).
void expunged_since(const read_txn& txn, std::uint64_t mailbox_id, std::uint64_t since,
                    const std::function<bool(std::uint32_t uid, std::uint64_t modseq)>& visit);
}  // namespace mailboxes

// Per-user \Seen on shared mailboxes (DESIGN.md §5, issue 5): a BAL opened by several people through delegations
// keeps one \Seen state per person, apart from the flags of the UID record (which hold the shared flags). A change
// gives the message a new MODSEQ and tells the watchers, so every session of every user re-reads it (CONDSTORE
// clients of other users see a MODSEQ change without a flag change, which RFC 7162 allows). Marks of expunged
// messages and removed mailboxes are erased by mailboxes::expunge and mailboxes::remove.
namespace seen {
// The user key of an identity id (schema.hpp: 16 bytes of SHA-256).
std::string user_of(std::string_view identity_id);
// Marks or unmarks `uid` as seen by `user`; a change assigns a new MODSEQ (returned), no change keeps the old one.
// errc::not_found if the UID does not exist.
std::error_code set(write_txn& txn, std::uint64_t mailbox_id, std::string_view user, std::uint32_t uid, bool value,
                    std::uint64_t* modseq = nullptr);
bool is_seen(const read_txn& txn, std::uint64_t mailbox_id, std::string_view user, std::uint32_t uid);
// Visits the UIDs `user` has seen, ascending, from `first_uid`, until `visit` returns false.
void scan(const read_txn& txn, std::uint64_t mailbox_id, std::string_view user, std::uint32_t first_uid,
          const std::function<bool(std::uint32_t uid)>& visit);
// How many live messages of the mailbox `user` has seen (one read).
std::uint32_t count(const read_txn& txn, std::uint64_t mailbox_id, std::string_view user);
}  // namespace seen

}  // namespace mssgw::storage
