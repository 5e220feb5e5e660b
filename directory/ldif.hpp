// The LDAP side of the entry model: the attribute names of deploy/ldap/mssgw-directory.schema, and LDIF (RFC 2849)
// output for `mssgw directory export-ldif`, which is how an operator builds its LDAP replica of the Annuaire from
// the ANS extraction. Pure functions; no I/O.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "directory/entry.hpp"

namespace mssgw::directory {

inline constexpr std::string_view ldap_object_class = "mssgwMailbox";
inline constexpr std::string_view ldap_address_attribute = "mail";  // also the RDN
inline constexpr std::string_view ldap_type_attribute = "mssgwBalType";
inline constexpr std::string_view ldap_liste_rouge_attribute = "mssgwListeRouge";
inline constexpr std::string_view ldap_uuid_attribute = "entryUUID";

// The schema attribute that carries `f` ("mssgwIdNat", "sn", "givenName", ...).
std::string_view ldap_attribute(field f);
// The field an attribute name (case-insensitive) carries, if it is one of the text fields.
std::optional<field> field_for_attribute(std::string_view name);

// RFC 4514 §2.4: escapes an attribute value for use in a DN.
std::string escape_dn_value(std::string_view value);
// The DN of an entry's address under `base`: "mail=<address>,<base>".
std::string entry_dn(std::string_view address, std::string_view base);

// One LDIF record (RFC 2849) for `e` under `base`, ending with an empty line. Empty fields are left out; values
// that are not SAFE-STRINGs (non-ASCII, leading space, colon or '<', trailing space) are base64-encoded.
std::string format_ldif_entry(const entry& e, std::string_view base);
// "attr: value\n" or "attr:: base64\n".
void append_ldif_line(std::string& out, std::string_view attribute, std::string_view value);

}  // namespace mssgw::directory
