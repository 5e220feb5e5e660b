// A session's view of its selected mailbox (RFC 3501 §2.3.1, §7.4.1; RFC 7162): UIDs in sequence-number order with
// their flags and MODSEQ, as last told to the client, plus what changed in storage since and is not told yet.
//
//   auto v = view::open(txn, mailbox_id, seen_user);   // SELECT: one scan of the UID table
//   v->refresh(txn);                                   // between commands, on watcher wake-ups: reads changes only
//   v->announce(out, {.allow_expunge = ...});          // the untagged EXISTS / EXPUNGE or VANISHED / FETCH owed
//
// Sequence numbers stay stable until announce() is allowed to send expunges (RFC 3501 §7.4.1: never while
// answering FETCH, STORE or SEARCH): an expunged message stays in the view as a ghost (`gone`) until then, so the
// client's numbers keep meaning the same messages. New messages are appended in UID order and announced with EXISTS
// at any time. Flag changes made by others are announced as FETCH (FLAGS ...) with UID and MODSEQ when the client
// enabled QRESYNC / CONDSTORE. refresh() costs one mailbox record read when nothing changed, else a scan of the
// MODSEQ index from the last MODSEQ seen (storage::mailboxes::changed_since / expunged_since).
//
// Per-user \Seen (shared mailboxes): with a non-empty `seen_user` the \Seen flag shown is that user's mark
// (storage namespace seen), not the shared record's.
//
// Memory: 16 bytes per message plus the distinct keyword sets. Not thread-safe: owned by one session.
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "imap/proto/sequence_set.hpp"
#include "storage/kv.hpp"
#include "storage/mailbox_store.hpp"

namespace mssgw::imap::mailbox {

// System flags in the view (storage::flag_bits) and the view's own marks.
inline constexpr std::uint16_t system_mask = 0x1f;

class view {
 public:
  struct entry {
    std::uint32_t uid = 0;
    std::uint16_t bits = 0;      // storage flag bits, plus gone / changed below
    std::uint16_t keywords = 0;  // index into keyword_sets(); 0 = none
    std::uint64_t modseq = 0;
  };
  static constexpr std::uint16_t gone_bit = 0x100;     // expunged in storage, not yet announced
  static constexpr std::uint16_t changed_bit = 0x200;  // flags changed by someone else, not yet announced

  struct announce_options {
    bool allow_expunge = true;  // false while answering FETCH, STORE, SEARCH (non-UID forms)
    bool qresync = false;       // VANISHED instead of EXPUNGE; UID in FETCH (RFC 7162 §3.2.10, §3.2.4)
    bool condstore = false;     // MODSEQ in FETCH (RFC 7162 §3.1.4)
  };

  // Loads the mailbox. Nothing if it does not exist.
  static std::optional<view> open(const storage::read_txn& txn, std::uint64_t mailbox_id, std::string seen_user);

  // Reads what changed since the last refresh. Returns false when the mailbox is gone (deleted, or re-created
  // with another UIDVALIDITY): the session must leave it.
  bool refresh(const storage::read_txn& txn);
  // Appends the untagged responses owed to the client and forgets them. Returns whether anything was written.
  bool announce(std::string& out, const announce_options& o);
  // Whether announce() would write something now (for IDLE).
  bool has_pending(bool allow_expunge) const;

  std::uint64_t mailbox_id() const { return mailbox_id_; }
  std::uint32_t uidvalidity() const { return uidvalidity_; }
  std::uint32_t uidnext() const { return uidnext_; }
  std::uint64_t highestmodseq() const { return modseq_; }
  const std::string& seen_user() const { return seen_user_; }
  bool per_user_seen() const { return !seen_user_.empty(); }

  // Messages as the client knows them (ghosts included): the message count of EXISTS.
  std::uint32_t exists() const { return static_cast<std::uint32_t>(entries_.size()); }
  const entry& at(std::uint32_t seq) const { return entries_[seq - 1]; }  // 1-based
  // Sequence number of a UID, or 0.
  std::uint32_t seq_of(std::uint32_t uid) const;
  std::uint32_t highest_uid() const { return entries_.empty() ? 0 : entries_.back().uid; }
  // Sequence numbers of a normalised set of UIDs, in order (UIDs not in the view are skipped).
  std::vector<std::uint32_t> seqs_of_uids(std::span<const proto::seq_range> uids) const;

  storage::message_flags flags(std::uint32_t seq) const;
  std::vector<std::string> flag_names(std::uint32_t seq) const;  // "\Seen", keywords
  bool has_flag(std::uint32_t seq, std::uint32_t system_bit) const { return at(seq).bits & system_bit; }
  bool has_keyword(std::uint32_t seq, std::string_view keyword) const;
  // The keywords in use in the mailbox (FLAGS / PERMANENTFLAGS).
  const std::vector<std::string>& keywords() const { return all_keywords_; }
  // First unseen sequence number (RFC 3501 [UNSEEN n]), 0 if none; count of unseen messages.
  std::uint32_t first_unseen() const;

  // The session's own STORE or \Seen change, already committed: updates the entry without announcing it.
  void set_flags(std::uint32_t seq, const storage::message_flags& flags, std::uint64_t modseq);

  // "* FLAGS (...)" and "* OK [PERMANENTFLAGS (...)]" for SELECT and when new keywords appear.
  void write_flag_lists(std::string& out, bool read_only) const;

 private:
  std::uint16_t intern(const std::vector<std::string>& keywords);
  storage::message_flags stored_flags(const storage::read_txn& txn, const storage::uid_entry& u) const;
  entry make_entry(const storage::uid_entry& u, const storage::message_flags& f);
  std::uint32_t index_of(std::uint32_t uid) const;  // entries_ index, or size() if absent

  std::uint64_t mailbox_id_ = 0;
  std::uint32_t uidvalidity_ = 0;
  std::uint32_t uidnext_ = 1;
  std::uint64_t modseq_ = 0;
  std::string seen_user_;
  std::vector<entry> entries_;
  std::vector<std::vector<std::string>> keyword_sets_{{}};
  std::vector<std::string> all_keywords_;
  bool keywords_changed_ = false;
  bool exists_changed_ = false;
  std::uint32_t announced_exists_ = 0;
  std::size_t pending_gone_ = 0;
  std::size_t pending_changed_ = 0;
};

}  // namespace mssgw::imap::mailbox
