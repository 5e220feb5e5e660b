// The guarded mimetic adapter (deps.md §2; DESIGN.md §5): what IMAP needs to know about a stored message, computed
// once: the MIME part tree by byte offsets (for BODY[section], BINARY and body search), the ENVELOPE, the
// BODYSTRUCTURE, and the header text SEARCH and SORT use.
//
// How the guards are kept:
// - The part tree is found by one linear pass of our own over the raw bytes (RFC 2046 §5.1.1 delimiters, checked
//   against every open multipart, innermost first): mimetic never sees a multipart body, so its recursion (stack
//   overflow near 60,000 levels) and its quadratic multipart cases cannot be reached.
// - mimetic parses each entity's header block alone, and only the part of it within the limits: lines up to
//   max_header_line octets and max_header_size octets in all. What lies beyond still counts for offsets and sizes.
// - At most max_parts entities and max_depth nesting levels: past them, content is kept as the body of the
//   entity being read (`truncated` says so). A BODYSTRUCTURE is therefore never deeper than max_depth, which the
//   recursive writers of imap/proto rely on.
// - Every mimetic call is inside try/catch(...); an exception gives that entity the RFC 2045 defaults.
// - The typed address accessors of mimetic are never called (they crash on "To: :"): addresses are parsed by
//   address.hpp from the raw field values.
//
// Offsets are 32-bit: callers never store messages of 4 GiB or more (APPENDLIMIT and SMTP SIZE are far below).
// Pure functions; thread-safe; time linear in the message size (times the depth for delimiter lines only).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "imap/proto/message_model.hpp"

namespace mssgw::imap::mime {

struct limits {
  std::size_t max_header_line = 8 * 1024;     // RFC 5322 allows 998; a little slack (deps.md §2 guards)
  std::size_t max_header_size = 256 * 1024;   // per entity
  std::size_t max_parts = 1000;               // entities, the message included
  std::size_t max_depth = 40;                 // nesting of multiparts and encapsulated messages
};

enum class encoding : std::uint8_t { seven_bit, eight_bit, binary, base64, quoted_printable, other };

// One MIME entity: the message itself, a body part, or an encapsulated message (RFC 2045 §2.4).
struct entity {
  enum class kind : std::uint8_t {
    leaf,       // a body that is not divided further
    multipart,  // children: its body parts
    message,    // message/rfc822 or message/global: its only child is the encapsulated message
  };
  std::uint32_t header_begin = 0;
  std::uint32_t body_begin = 0;   // end of the header, blank line included
  std::uint32_t body_end = 0;     // the CRLF before a delimiter belongs to the delimiter (RFC 2046 §5.1.1)
  std::uint32_t first_child = 0;  // index in the table; 0 = none (entity 0, the message, is nobody's child)
  std::uint32_t next_sibling = 0;
  kind k = kind::leaf;
  encoding enc = encoding::seven_bit;
  bool text = false;    // text/*: body searched as text
  std::string charset;  // text parts: the charset parameter (lowercased), may be empty

  friend bool operator==(const entity&, const entity&) = default;
};

struct analysis {
  std::vector<entity> entities;  // [0] is the message
  bool truncated = false;        // a limit was reached: the tree is simplified below some entity
  proto::envelope envelope;      // of the message (encapsulated messages' are inside `structure`)
  proto::body_structure structure;

  // Decoded (RFC 2047) header text of the message, for SEARCH (not folded here).
  std::string from, to, cc, bcc, subject;
  // The Date field, when it parses (RFC 5322 §3.3).
  bool has_date = false;
  std::int64_t sent_unix = 0;
  std::int64_t sent_day = 0;
};

analysis analyse(std::string_view raw, const limits& lim = {});

}  // namespace mssgw::imap::mime
