// Identity -> the BALs it may open, and with which rights (DESIGN.md §5; issue 5: "an identity opens its own BALs
// and the ORG/APP BALs it was granted, with the rights granted"; issue 4: "MAIL FROM must be a BAL the identity may
// send as").
//
// Rules:
// - professional (idNat) and patient (INS): every PER BAL whose owner is that id, with all rights (read, write,
//   send, admin); plus every BAL with a delegation naming that id, with the delegated rights. Ownership of ORG, APP
//   and CAB BALs (their optional owner idNat) gives nothing by itself: those are opened through delegations only.
// - organisation ("dn:<subject DN>"): every BAL with a delegation "dn:<DN>" whose DN equals the certificate's. DNs
//   are compared in a canonical form (canonical_dn below: RFC 4514 parsed, attribute types and values case-folded,
//   spaces trimmed and collapsed, multi-valued RDNs sorted), never as raw strings (mssante/README §7 decision 2).
// - local_user (a BAL address, PLAIN): that BAL only, with read, write and send (not admin), if it exists.
// Rights of several grants add up (own BAL and a delegation on it: the union).
//
// Cost: may_open / rights_on / may_send_as / authorize read one record (the BAL named). bals_for() reads the BALs
// of the identity's bucket in the account index (storage/schema.hpp account_index): linear in the BALs the
// identity owns or was granted (an organisation: in the BALs delegated to any DN), not in the operator's BALs.
//
// Pure functions over a read snapshot; thread-safe as read_txn is (one txn per thread or coroutine step).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "auth/identity.hpp"
#include "storage/account_store.hpp"
#include "storage/kv.hpp"

namespace mssgw::auth {

inline constexpr std::uint32_t all_rights =
    storage::right_read | storage::right_write | storage::right_send | storage::right_admin;
inline constexpr std::uint32_t local_user_rights = storage::right_read | storage::right_write | storage::right_send;

struct bal_access {
  std::string address;  // lowercased
  storage::bal_type type = storage::bal_type::PER;
  std::uint32_t rights = 0;  // storage::right_* bits
  bool owned = false;        // the identity's own PER BAL (IMAP: personal namespace; others: shared namespace)
  friend bool operator==(const bal_access&, const bal_access&) = default;
};

// Every BAL the identity may open, sorted by address.
std::vector<bal_access> bals_for(const storage::read_txn& txn, const identity& who);

// The identity's rights on one BAL (0 when none, or when the BAL does not exist or the address is invalid).
std::uint32_t rights_on(const storage::read_txn& txn, const identity& who, std::string_view bal);
std::uint32_t rights_on(const storage::account_record& bal, const identity& who);

// Whether the identity holds every bit of `rights` on `bal` (default: may open it to read).
bool may_open(const storage::read_txn& txn, const identity& who, std::string_view bal,
              std::uint32_t rights = storage::right_read);
// MAIL FROM: own PER BAL (or a local user's BAL) always; a delegated BAL only with right_send.
bool may_send_as(const storage::read_txn& txn, const identity& who, std::string_view address);

// MAIL FROM on submission (issue 4): the reverse-path must be a BAL the identity may send as, else 553 5.7.1.
// `address` is the reverse-path without brackets; empty for the null reverse-path "<>", which is accepted: RFC 8098
// §2.1 sends read receipts (MDNs, which practice software sends) with a null MAIL FROM. Pure verdict (STYLE.md
// habit 5): generic client text, precise log reason.
struct sender_verdict {
  bool accept = false;
  int code = 250;
  std::string_view enhanced;  // "2.1.0" or "5.7.1"
  std::string_view client_text;
  std::string log_reason;  // empty when accepted
};
sender_verdict mail_from(const storage::read_txn& txn, const identity& who, std::string_view address);

// The SASL authorization identity (PLAIN authzid, XOAUTH2 user=, OAUTHBEARER a=, EXTERNAL authzid): allowed when
// empty, equal to the identity itself (its idNat, its address, or its DN compared canonically), or a BAL the
// identity may open. `bal` is the normalised BAL address when the request named one (the session may start there).
struct authz_verdict {
  bool allowed = false;
  std::string bal;
  std::string log_reason;  // why not, for the log
};
authz_verdict authorize(const storage::read_txn& txn, const identity& who, std::string_view requested);
// Whether `requested` names the identity itself (its id case-insensitively; for an organisation its DN, with or
// without the "dn:" prefix, compared canonically).
bool is_self(const identity& who, std::string_view requested);

// Canonical form of an RFC 4514 DN for equality: "cn=lgc alpha,o=hopital,c=fr". Attribute types: known names
// lowercased, OIDs mapped to their usual names (2.5.4.3 -> cn, ...); values: escapes resolved, leading and trailing
// spaces trimmed, inner runs of spaces collapsed, ASCII lowercased; RDNs of several attributes sorted. Returns an
// empty string when `dn` does not parse (an unparsable DN never equals anything).
std::string canonical_dn(std::string_view dn);
bool same_dn(std::string_view a, std::string_view b);

}  // namespace mssgw::auth
