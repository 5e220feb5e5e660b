// The directory entry model (mssante/README §3, decision 6): one MSSanté mailbox (BAL) of the Annuaire Santé, as
// the ANS extraction file and the operator's LDAP replica describe it, plus the bookkeeping the mirror needs.
//
// - The address is the key: lowercased, never changes. Type and address come first; the 29 other columns of the
//   extraction are the text fields below, in file order (`field` enumerates them so that the extraction parser,
//   the LDIF writer and the LDAP attribute map share one table).
// - Content (everything an update can change) is encoded compactly by encode_content(); two entries with equal
//   content encode to equal bytes, which is how diffs compare entries without decoding them.
// - Bookkeeping (source, updated, last_seen, local) is not content: `source` and `updated` are stored beside the
//   content in the mirror's record; `last_seen` and `local` are computed by lookups.
//
// Also here: the text folding used by the name search (UTF-8 Latin accents to ASCII, lowercase) and the index
// tokens derived from an entry. Pure functions; no I/O, no shared state.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "storage/account_store.hpp"

namespace mssgw::directory {

using storage::bal_type;

// Where an entry came from. Precedence when two sources list one address: ldap > extraction (the operator's LDAP
// replica is incremental and authoritative; the extraction fills in when there is no replica). `local` is only
// ever synthesised by lookups from a local BAL that no source lists.
enum class source_kind : std::uint8_t { extraction = 1, ldap = 2, local = 3 };
std::string_view to_string(source_kind s);
std::optional<source_kind> parse_source(std::string_view text);
int precedence(source_kind s);

// The text fields, in the order of the extraction's columns 3..31.
enum class field : std::uint8_t {
  pp_id_type,                 // Type Identifiant PP
  pp_id,                      // Identifiant PP
  idnat,                      // Identification nationale PP
  structure_id_type,          // Type identifiant structure
  structure_id,               // Identification Structure
  service,                    // Service de rattachement
  civility,                   // Civilité d'exercice
  surname,                    // Nom d'exercice
  given_name,                 // Prénom d'exercice
  profession_category,        // Catégorie profession
  profession_category_label,  // Libellé de catégorie profession
  profession_code,            // Code Profession
  profession_label,           // Libellé Profession
  savoir_faire_code,          // Code savoir-faire
  savoir_faire_label,         // Libellé savoir-faire
  dematerialisation,          // Dématérialisation
  structure_name,             // Raison Sociale structure BAL
  structure_brand,            // Enseigne commerciale structure BAL
  location,                   // L2COMPLEMENTLOCALISATION structure BAL
  distribution,               // L3COMPLEMENTDISTRIBUTION structure BAL
  street_number,              // L4NUMEROVOIE structure BAL
  street_number_complement,   // L4COMPLEMENTNUMEROVOIE structure BAL
  street_type,                // NL4TYPEVOIE structure BAL
  street_name,                // L4LIBELLEVOIE structure BAL
  place,                      // L5LIEUDITMENTION structure BAL
  delivery,                   // L6LIGNEACHEMINEMENT structure BAL
  postal_code,                // Code postal structure BAL
  departement,                // Département structure BAL
  country,                    // Pays structure BAL
  count_
};
inline constexpr std::size_t field_count = static_cast<std::size_t>(field::count_);
// A short snake_case name ("structure_id"), used in JSON output.
std::string_view field_name(field f);

// The structure's postal address (extraction columns 21..31).
struct postal_address {
  std::string location, distribution, street_number, street_number_complement, street_type, street_name, place,
      delivery, postal_code, departement, country;
  bool operator==(const postal_address&) const = default;
};

struct entry {
  std::string address;  // the key, lowercased
  bal_type type = bal_type::PER;
  std::string pp_id_type, pp_id, idnat;
  std::string structure_id_type, structure_id;
  std::string service, civility, surname, given_name;
  std::string profession_category, profession_category_label, profession_code, profession_label;
  std::string savoir_faire_code, savoir_faire_label, dematerialisation;
  std::string structure_name, structure_brand;
  postal_address structure_address;
  bool liste_rouge = false;  // hidden from the public directory
  std::string entry_uuid;    // LDAP entryUUID as 16 raw bytes; empty for other sources

  // Bookkeeping, not content.
  source_kind source = source_kind::extraction;
  std::int64_t updated = 0;    // unix seconds: when the mirror last changed this entry's content
  std::int64_t last_seen = 0;  // unix seconds: the last successful run of its source (filled by lookups)
  bool local = false;          // hosted by this operator (filled by lookups)

  std::string& text(field f);
  const std::string& text(field f) const;
};

// Content equality: every field but the bookkeeping ones.
bool same_content(const entry& a, const entry& b);

// The compact content encoding: a version byte, type, flags, then each text field and the UUID as a varint length
// and its bytes. Equal content gives equal bytes.
std::string encode_content(const entry& e);
// The same from views of the text fields (in `field` order), for parsers that avoid building an entry per row.
using field_views = std::array<std::string_view, field_count>;
std::string encode_content(bal_type type, bool liste_rouge, std::string_view entry_uuid, const field_views& fields);

// address -> encoded content, with lookups by string_view (no temporary string per probe).
struct string_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};
using content_map = std::unordered_map<std::string, std::string, string_hash, std::equal_to<>>;
// Fills every content field of `out` (address and bookkeeping untouched). False on malformed bytes.
bool decode_content(std::string_view bytes, entry& out);

// A view of the few content fields the indexes need, decoded without allocating.
struct index_view {
  bal_type type = bal_type::PER;
  bool liste_rouge = false;
  std::string_view idnat, structure_id, surname, given_name, entry_uuid;
};
bool decode_index_view(std::string_view content, index_view& out);

// Folds UTF-8 text for searching: Latin letters with diacritics become their ASCII base letters (é -> e, œ -> oe,
// ß -> ss), ASCII letters are lowercased, every other ASCII character and invalid byte is a separator, and other
// code points are kept as they are. Tokens come out separated by single spaces, without leading or trailing space.
std::string fold(std::string_view utf8);
// Splits folded text on spaces.
std::vector<std::string_view> split_tokens(std::string_view folded);

// The name-index tokens of an entry: every folded token of the surname and of the given name, plus each name with
// its tokens joined ("Le Goff" -> "le", "goff", "legoff"), each at most max_token_size bytes, without duplicates.
inline constexpr std::size_t max_token_size = 64;
std::vector<std::string> name_tokens(std::string_view surname, std::string_view given_name);

// "8a72288a-7a6c-1041-96aa-234e87f38e0c" <-> 16 raw bytes (RFC 4122 text form; case-insensitive on input).
std::optional<std::string> parse_uuid(std::string_view text);
std::string format_uuid(std::string_view raw);

// True when `text` is valid UTF-8 without control characters (U+0000..U+001F, U+007F).
bool clean_text(std::string_view text);

}  // namespace mssgw::directory
