// Local mailboxes (BALs) and their delegations (DESIGN.md §4, §5; MSSanté facts: mssante/README §3).
//
// A BAL has an address (the key, lowercased, never changes), a type (PER personal, ORG organisational, APP
// applicative, CAB practice), the owner's national id (idNat) for PER, and delegations: an identity (an idNat, or
// "dn:" + an organisation certificate's subject DN) with a set of rights. Creating a BAL also creates its INBOX
// and the RFC 6154 special-use mailboxes.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/kv.hpp"

namespace mssgw::storage {

enum class bal_type : std::uint8_t { PER = 0, ORG = 1, APP = 2, CAB = 3 };
std::string_view to_string(bal_type t);
std::optional<bal_type> parse_bal_type(std::string_view text);  // case-insensitive

// Delegated rights, as bits.
enum right_bits : std::uint32_t {
  right_read = 1u << 0,   // open the BAL, read messages
  right_write = 1u << 1,  // change flags, append, move, expunge
  right_send = 1u << 2,   // send as the BAL
  right_admin = 1u << 3,  // manage the BAL's delegations
};
std::string rights_to_string(std::uint32_t rights);                   // "read,write"
std::optional<std::uint32_t> parse_rights(std::string_view text);     // "read,write,send,admin" or "all"

struct delegation {
  std::string identity;
  std::uint32_t rights = 0;
};

struct account_record {
  std::string address;  // lowercased
  bal_type type = bal_type::PER;
  std::string owner_idnat;  // PER: the professional's idNat; others: optional
  std::string display_name;
  std::int64_t created = 0;  // unix seconds
  std::vector<delegation> delegations;
};

// The mailboxes every BAL gets, with their RFC 6154 attributes.
struct default_mailbox {
  std::string_view name;
  std::string_view special_use;
};
inline constexpr default_mailbox default_mailboxes[] = {
    {"INBOX", ""},          {"Sent", "\\Sent"}, {"Drafts", "\\Drafts"},
    {"Trash", "\\Trash"},   {"Junk", "\\Junk"}, {"Archive", "\\Archive"},
};

// Lowercases and checks an address (RFC 5321 §4.1.2 dot-string local part, LDH domain with at least one dot).
// Returns the normalised address, or nothing.
std::optional<std::string> normalise_bal_address(std::string_view address);
// idNat: "8" + 11-digit RPPS, "0" + ADELI (9 digits), or other national prefixes: 2 to 30 alphanumerics.
bool valid_idnat(std::string_view idnat);
bool valid_identity(std::string_view identity);

namespace accounts {
// errc::already_exists, errc::invalid_argument.
std::error_code create(write_txn& txn, account_record record);
std::optional<account_record> get(const read_txn& txn, std::string_view address);
std::vector<account_record> list(const read_txn& txn);
// Deletes the BAL, its mailboxes and their messages.
std::error_code remove(write_txn& txn, std::string_view address);
// Adds rights for `identity` (merging with existing ones).
std::error_code grant(write_txn& txn, std::string_view address, std::string_view identity, std::uint32_t rights);
// Removes rights; the delegation disappears when no right is left. errc::not_found if none existed.
std::error_code revoke(write_txn& txn, std::string_view address, std::string_view identity, std::uint32_t rights);

// The identity index (schema.hpp account_index), kept by the functions above. A store written before the index
// existed gets it built by the first account write, or by ensure_index() (serve calls it at start).
void ensure_index(write_txn& txn);
// Whether the index is complete; readers scan the accounts table while it is not.
bool index_ready(const read_txn& txn);
// The BALs indexed under `bucket` (a lowercased idNat/INS, or schema::account_index_dn_bucket), in address order.
std::vector<std::string> indexed(const read_txn& txn, std::string_view bucket);
}  // namespace accounts

}  // namespace mssgw::storage
