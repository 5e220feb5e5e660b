// What IMAP computes once per message and keeps in storage::message_record::cache (DESIGN.md §4 "cached
// envelope/bodystructure, search fields"), and how FETCH BODY[section] / BINARY[part] find their bytes with it.
//
// make_cache(raw) runs the guarded adapter (message.hpp) and keeps:
// - the ENVELOPE, BODY and BODYSTRUCTURE already in IMAP wire form, written without UTF-8 in quoted strings
//   (8-bit text goes in literals), which is valid whatever the client enabled: FETCH appends them as they are;
// - the decoded, folded header text SEARCH compares (FROM, TO, CC, BCC, SUBJECT), the sent date, and the SORT keys
//   of RFC 5256 / RFC 5957;
// - the part table (byte offsets), for section fetches and body search without parsing again.
// encode()/decode_cache() give the stored bytes (a version byte first; decode_cache() returns nothing for an empty,
// corrupt or older record, and the caller recomputes).
//
// section_content() implements RFC 3501 §6.4.5 sections (and RFC 9051 §6.4.5): "" (the whole message), HEADER,
// HEADER.FIELDS[.NOT], TEXT, part numbers, and MIME; binary_content() the decoded part of RFC 3516. Both return
// nothing for a part that does not exist (FETCH then answers NIL).
//
// Pure functions; thread-safe.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "imap/mime/message.hpp"
#include "imap/proto/command.hpp"

namespace mssgw::imap::mime {

struct message_cache {
  std::string envelope;       // "(" ... ")" as FETCH ENVELOPE writes it
  std::string body;           // BODY (non-extensible)
  std::string bodystructure;  // BODYSTRUCTURE
  bool has_date = false;
  std::int64_t sent_unix = 0;
  std::int64_t sent_day = 0;
  // SEARCH (RFC 3501 §6.4.4): decoded header text, folded (text.hpp fold()).
  std::string from, to, cc, bcc, subject;
  // SORT (RFC 5256 §3, RFC 5957): folded.
  std::string sort_subject, sort_from, sort_to, sort_cc, display_from, display_to;
  std::vector<entity> entities;
  bool truncated = false;

  // Whether body search must decode some text part (base64 or quoted-printable, or a charset converted to UTF-8)
  // rather than scan the raw bytes.
  bool needs_decoding_for_search() const;
};

message_cache make_cache(std::string_view raw, const limits& lim = {});
std::string encode(const message_cache& c);
std::optional<message_cache> decode_cache(std::string_view stored);

// What SEARCH reads of a cache, as views (no allocation): into the stored bytes (decode_search_fields, which reads
// only as far as the first entity) or into a decoded cache (search_fields_of).
struct search_fields {
  bool has_date = false;
  std::int64_t sent_unix = 0;
  std::int64_t sent_day = 0;
  std::string_view from, to, cc, bcc, subject;  // decoded, folded
  std::uint32_t header_end = 0;                  // the root entity's body_begin: where the header block ends
};
std::optional<search_fields> decode_search_fields(std::string_view stored);
search_fields search_fields_of(const message_cache& c);

// The entity a section's part numbers name, or nothing. `message_context`: the entity is a message (the root, or
// the message inside a message/rfc822 part), so HEADER and TEXT apply to it.
struct resolved_part {
  std::uint32_t entity = 0;
  bool message_context = true;
};
std::optional<resolved_part> resolve_part(std::span<const entity> entities, std::span<const std::uint32_t> part);

// BODY[section] content before any <partial>. `owned` is used when the content had to be built (HEADER.FIELDS);
// otherwise `view` points into `raw`.
struct section_result {
  std::string_view view;
  std::string owned;
  bool from_owned = false;
  std::string_view bytes() const { return from_owned ? std::string_view(owned) : view; }
};
std::optional<section_result> section_content(std::string_view raw, std::span<const entity> entities,
                                              const proto::section& sec);

// BINARY[part] (RFC 3516 §4.2): the part's content with its transfer encoding removed. `unknown_encoding` is set
// when the part's Content-Transfer-Encoding is not one we can decode (the server answers NO [UNKNOWN-CTE]).
struct binary_result {
  std::string data;
  bool unknown_encoding = false;
};
std::optional<binary_result> binary_content(std::string_view raw, std::span<const entity> entities,
                                            std::span<const std::uint32_t> part);

// Header lines of `header` (a header block) whose field names are (or, with `exclude`, are not) in `names`,
// compared case-insensitively, then the blank line (RFC 3501 §6.4.5 HEADER.FIELDS).
std::string filter_header(std::string_view header, std::span<const std::string> names, bool exclude);

// The unfolded value of the first field `name` in a header block, or nothing (SEARCH HEADER).
std::optional<std::string> header_field(std::string_view header, std::string_view name);
// Every field of a header block with its unfolded value, in order (SEARCH HEADER on several occurrences).
void for_each_field(std::string_view header,
                    const std::function<bool(std::string_view name, std::string_view raw_value)>& visit);

}  // namespace mssgw::imap::mime
