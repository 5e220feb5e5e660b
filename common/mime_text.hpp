// Header and body text as MIME encodes it: RFC 2047 encoded words, a few charsets to UTF-8, and the base64 and
// quoted-printable transfer decodings (RFC 2045 §6.7, §6.8). Used by IMAP SEARCH/SORT (imap/mime/text.hpp) and by
// routing, which reads subjects ([FIN], routing/citizen.hpp).
//
// Charsets converted to UTF-8: UTF-8 and US-ASCII (kept), ISO-8859-1, ISO-8859-15 and Windows-1252 (what French
// mail holds besides UTF-8); others are kept as decoded bytes (a search for ASCII text still finds them).
//
// Pure functions; thread-safe; linear in their input.
#pragma once
#include <string>
#include <string_view>

namespace mssgw::common {

// RFC 2047 encoded words (Q and B) decoded and converted to UTF-8; white space between adjacent encoded words
// dropped (§6.2); malformed words left as they are. Runs of CR, LF and TAB become single spaces.
std::string decode_header_text(std::string_view raw);

// `bytes` in `charset` (case-insensitive name) to UTF-8; unknown charsets give the bytes unchanged.
std::string to_utf8(std::string_view bytes, std::string_view charset);

// Transfer decodings. Invalid input is decoded as far as it makes sense (base64: non-alphabet octets skipped;
// quoted-printable: a malformed "=" kept as it is), as mail readers do.
std::string decode_base64(std::string_view in);
std::string decode_quoted_printable(std::string_view in, bool header_q = false);  // header_q: "_" is a space

}  // namespace mssgw::common
