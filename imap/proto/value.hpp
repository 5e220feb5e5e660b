// The generic IMAP argument syntax (RFC 3501 §4, §9; RFC 9051 §4) as a small tree of owned values.
//
// parse_values() turns the arguments of a framed command (everything after "tag SP name SP") into values:
//   atom     any run of ATOM-CHARs, plus "%" "*" (list-wildcards, sequence sets) and "]" (ASTRING-CHAR), and a
//            leading "\" (flags: "\Seen", "\*"). Special form: after BODY, BODY.PEEK, BINARY, BINARY.PEEK or
//            BINARY.SIZE, a "[...]" section is part of the atom even with spaces, parentheses, quoted strings
//            or literals inside, and so is a following "<partial>": `BODY[HEADER.FIELDS (From To)]<0.1024>` is
//            one atom, parsed further by parse_fetch_att (command.hpp). Elsewhere "[" and "]" are ordinary.
//   number   an atom of digits that fits in 64 bits (`text` keeps the digits: "007" stays "007")
//   nil      the atom NIL, any case (still usable as the astring "NIL")
//   quoted   a quoted string, unescaped (only \" and \\ are escapes; UTF-8 allowed, NUL/CR/LF never)
//   literal  {n}CRLF, {n+}CRLF, ~{n}CRLF (binary = true); NUL only in a literal8 (RFC 3516 §4.3)
//   list     "(" [value *(SP value)] ")", nested at most max_depth deep
// Values are separated by exactly one SP (RFC 3501 §9 has no optional white space).
//
// write_value() writes a value back (strings quoted or as a literal, by content): parse_values(write(v)) gives v
// back, up to quoted <-> literal. Values own their bytes; nothing points into the input.
//
// Pure functions; thread-safe.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "imap/proto/errc.hpp"

namespace mssgw::imap::proto {

struct value {
  enum class kind : std::uint8_t { atom, number, nil, quoted, literal, list };
  kind k = kind::atom;
  bool binary = false;       // literal8
  std::string text;          // atom, number, nil: as sent; quoted: unescaped; literal: the octets
  std::uint64_t number = 0;  // kind::number
  std::vector<value> items;  // kind::list

  bool is_string() const { return k == kind::quoted || k == kind::literal; }
  bool is_atom() const { return k == kind::atom || k == kind::number || k == kind::nil; }
  // astring = 1*ASTRING-CHAR / string: any atom form or a string.
  bool is_astring() const { return is_atom() || is_string(); }
  bool is_list() const { return k == kind::list; }

  friend bool operator==(const value&, const value&) = default;
};

struct values_result {
  errc error = errc::ok;
  std::size_t offset = 0;  // where the error was found (for logs)
  std::vector<value> values;
};

inline constexpr std::size_t default_max_depth = 64;

// Parses `value *(SP value)` covering all of `text`; empty text gives no values. `response_syntax`: also accept a
// list right after a list without SP, as server responses have them (RFC 3501 §9 env-from "(" 1*address ")",
// body-type-mpart 1*body); commands never do. For tests and fuzzers of the response writer.
values_result parse_values(std::string_view text, std::size_t max_depth = default_max_depth,
                           bool response_syntax = false);

// Character classes of RFC 3501 §9.
bool is_atom_char(unsigned char c);     // ATOM-CHAR
bool is_astring_char(unsigned char c);  // ATOM-CHAR / "]"

// Serialises a value (strings through write_string, response.hpp rules; `utf8`: UTF-8 may go in quoted strings).
void write_value(std::string& out, const value& v, bool utf8 = false);

}  // namespace mssgw::imap::proto
