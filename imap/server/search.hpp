// SEARCH evaluation (RFC 3501 §6.4.4 keys, RFC 7162 MODSEQ, RFC 5182 "$") over the selected mailbox's view.
//
// Approach, for header and body text on large mailboxes (issue 5; measured in bench/imap_search_compare.py):
// - The key tree is compiled once: needles folded (text.hpp fold()), sets normalised, AND children ordered by
//   cost, so that cheap keys (flags, UIDs, sequence numbers: from the view, no storage read) reject a message before
//   expensive ones run.
// - Costs by what they load: the view (flags, UID, MODSEQ) < the message record (size, internal date) < the MIME
//   cache (FROM, TO, CC, BCC, SUBJECT, SENT*: decoded and folded once at APPEND or first use) < the stored body
//   (HEADER, BODY, TEXT).
// - BODY and TEXT scan the stored bytes with a case-folding Boyer-Moore-Horspool search (a 256-entry skip table,
//   no copy of the body) and stop at the first hit. Messages whose text parts are base64 or quoted-printable, or in
//   a charset other than UTF-8/US-ASCII, have those parts decoded and converted to UTF-8 first (the cache says which
//   messages need it, so plain messages never pay for it).
//
// Not thread-safe; one per SEARCH, within one read transaction.
#pragma once
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "imap/mailbox/view.hpp"
#include "imap/mime/cache.hpp"
#include "imap/proto/command.hpp"
#include "storage/kv.hpp"

namespace mssgw::imap::server {

// Case-folding substring search (text.hpp fold()); the needle is given unfolded.
class folded_searcher {
 public:
  explicit folded_searcher(std::string_view needle);
  bool find(std::string_view haystack) const;
  const std::string& needle() const { return needle_; }

 private:
  std::string needle_;  // folded
  std::size_t skip_[256];
};

class searcher {
 public:
  searcher(const mailbox::view& box, const storage::read_txn& txn, const mime::limits& lim,
           std::span<const std::uint32_t> saved_uids);
  ~searcher();

  void compile(const proto::search_key& key);
  // Whether message `seq` (1-based) matches. Ghosts (expunged, not yet told) never match.
  bool matches(std::uint32_t seq);
  // Whether the compiled key uses MODSEQ (the response then carries the highest MODSEQ, RFC 7162 §3.1.5).
  bool uses_modseq() const { return uses_modseq_; }
  // Caches computed on the way (message id, encoded cache) for the caller to store.
  std::vector<std::pair<std::uint64_t, std::string>> take_computed() { return std::move(computed_); }

  struct node;

 private:
  bool eval(const node& n, std::uint32_t seq);

  const mailbox::view& box_;
  const storage::read_txn& txn_;
  const mime::limits& limits_;
  std::vector<std::uint32_t> saved_;
  std::unique_ptr<node> root_;
  bool uses_modseq_ = false;
  struct message_state;
  std::unique_ptr<message_state> current_;
  std::vector<std::pair<std::uint64_t, std::string>> computed_;
};

// The text of a message's text parts, decoded (transfer encoding, charset to UTF-8), for BODY/TEXT searches on
// messages whose cache says they need it.
std::string decoded_text(std::string_view raw, const mime::message_cache& cache);

}  // namespace mssgw::imap::server
