// What an authenticated identity sees (issue 5; RFC 2342 NAMESPACE): its BALs, each mapped to a part of the
// mailbox name space, and the translation between the names a client uses and (BAL, stored mailbox name).
//
// Presentation:
// - The personal namespace ("" with delimiter "/") holds the mailboxes of one BAL, the primary one, at the top
//   level: INBOX, Sent, Drafts, Trash, Junk, Archive and the user's folders. The primary BAL is, in this order:
//   the BAL the SASL authorization identity named (XOAUTH2 user=, OAUTHBEARER a=, PLAIN authzid, or the BAL of a
//   local user); else the identity's own PER BAL (the first by address when it owns several); else the only BAL
//   it may open, when there is exactly one (an application certificate opening its APP BAL); else none (the
//   personal namespace is then NIL and INBOX does not exist).
// - Every other BAL the identity may open (delegated ORG/APP/CAB/PER BALs, and further PER BALs it owns) is in the
//   shared namespace "Shared/" as "Shared/<bal address>/<mailbox>", e.g. "Shared/secretariat@x.mssante.fr/INBOX".
//   "Shared" and "Shared/<bal address>" are \Noselect nodes.
// - Rights are those granted (auth/rights.hpp): read opens read-only (EXAMINE semantics, NO [NOPERM] for
//   writes), write adds flags, APPEND, EXPUNGE, COPY/MOVE into, and folder management.
// - \Seen is per user on every BAL the identity does not own (delegated BALs): storage namespace seen.
//
// Pure; thread-compatible (one per session).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/identity.hpp"
#include "auth/rights.hpp"

namespace mssgw::imap::server {

inline constexpr char delimiter = '/';
inline constexpr std::string_view shared_root = "Shared";

struct bal_entry {
  auth::bal_access access;
  bool primary = false;
  std::string prefix;  // "" for the primary BAL, "Shared/<address>/" otherwise
  bool per_user_seen() const { return !access.owned; }
  bool may_write() const { return access.rights & storage::right_write; }
  bool may_read() const { return access.rights & storage::right_read; }
};

// A client-visible mailbox name resolved.
struct location {
  std::size_t bal = 0;       // index into account::bals()
  std::string name;          // stored mailbox name ("INBOX", "Archive/2024"); empty for a BAL's own node
};

class account {
 public:
  account() = default;
  // `bals` from auth::bals_for; `requested_bal`: the BAL the SASL exchange named (may be empty).
  account(auth::identity who, std::vector<auth::bal_access> bals, std::string_view requested_bal);

  const auth::identity& who() const { return who_; }
  const std::vector<bal_entry>& bals() const { return bals_; }
  const bal_entry* primary() const;
  const std::string& seen_user() const { return seen_user_; }  // storage::seen::user_of(who.id)

  // Resolves a decoded, INBOX-normalised client name. Nothing for names outside every BAL ("Shared", unknown
  // BALs). A shared BAL's node "Shared/<bal>" gives an empty `name`.
  std::optional<location> locate(std::string_view visible) const;
  // The client-visible name of a stored mailbox of BAL `bal`.
  std::string visible(std::size_t bal, std::string_view stored) const;
  // Whether `visible` is a name the personal namespace may not take (it would hide the shared namespace).
  static bool reserved(std::string_view visible);
  // Whether a stored name may be created: at most `max` octets, no empty level ("a//b", leading or trailing "/"),
  // no "." or ".." level, no LIST wildcard ('*', '%') that would make the name unmatchable.
  static bool acceptable_name(std::string_view stored, std::size_t max);

  // Updates a BAL's rights (re-read at SELECT: a revoked delegation takes effect at once).
  void set_rights(std::size_t bal, std::uint32_t rights) { bals_[bal].access.rights = rights; }

 private:
  auth::identity who_;
  std::vector<bal_entry> bals_;
  std::string seen_user_;
};

}  // namespace mssgw::imap::server
