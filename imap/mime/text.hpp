// Text of header fields and bodies as SEARCH and SORT need it (RFC 3501 §6.4.4, RFC 5256): case folding, RFC 5322
// dates and RFC 5256 base subjects. RFC 2047 encoded words, charsets to UTF-8 and the transfer decodings are in
// common/mime_text.hpp (routing reads subjects too). ENVELOPE and BODYSTRUCTURE never go through these: IMAP sends
// header text raw.
//
// Folding (fold()): ASCII letters to lower case, and the UTF-8 continuation bytes 0x80..0x9E to 0xA0..0xBE. The
// second rule folds the Latin-1 Supplement (É -> é: C3 89 -> C3 A9) and the basic Cyrillic capitals byte by byte,
// so a folded search stays a plain byte search; in other two-byte blocks it may make distinct letters match
// (a search then finds a little more, never less).
//
// Pure functions; thread-safe; linear in their input.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/mime_text.hpp"

namespace mssgw::imap::mime {

// RFC 2047 decoding, charsets and transfer decodings: common/mime_text.hpp (routing reads subjects too).
using common::decode_header_text;
using common::to_utf8;
using common::decode_base64;
using common::decode_quoted_printable;

inline unsigned char fold_byte(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return static_cast<unsigned char>(c + 32);
  if (c >= 0x80 && c <= 0x9e) return static_cast<unsigned char>(c + 0x20);
  return c;
}
std::string fold(std::string_view s);

// RFC 5322 §3.3 date-time, with the obsolete forms of §4.3 (two-digit years, named zones) and without the
// day name or seconds. `unix`: the instant (UTC); `day`: days since 1970-01-01 of the date as written, time and
// zone disregarded (RFC 3501 SENTBEFORE/SENTON/SENTSINCE).
struct sent_date {
  std::int64_t unix = 0;
  std::int64_t day = 0;
};
std::optional<sent_date> parse_rfc5322_date(std::string_view text);

// RFC 5256 §2.1 base subject, from the decoded UTF-8 subject, folded for i;ascii-casemap comparisons.
std::string base_subject(std::string_view subject);

}  // namespace mssgw::imap::mime
