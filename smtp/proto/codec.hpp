// Small codecs used by the SMTP protocol core: xtext (RFC 3461 §4), strict base64 for SASL (RFC 4648 §4, as
// RFC 4954 uses it), and UTF-8 validation (RFC 3629).
//
// Decoders return std::nullopt on any invalid input; they never skip characters. Pure and thread-safe.
//
// Why not OpenSSL's EVP_DecodeBlock for base64: measured on OpenSSL 3.0, it writes the padding as zero bytes
// ("dGVzdA==" gives 6 bytes, the caller must subtract), accepts '=' in the middle ("dGVzdA=A"), accepts
// non-canonical trailing bits ("dGVzdB=="), trims leading and trailing whitespace and CRLF, and decodes "====" to
// three NUL bytes. A SASL response must be exactly one canonical base64 string, so we decode it ourselves.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace mssgw::smtp::proto {

// xtext: "+XX" (two hex digits) for '+', '=', and any octet outside "!".."~"; other octets as themselves.
std::string xtext_encode(std::string_view raw);
// Refuses octets outside "!".."~", '=' and a '+' not followed by two hex digits. Upper case hex is what RFC 3461
// §4 specifies; lower case is accepted too (it is unambiguous and some clients send it).
std::optional<std::string> xtext_decode(std::string_view text);

// Canonical base64 with padding, no line breaks.
std::string base64_encode(std::string_view raw);
// Strict: length a multiple of 4, alphabet A-Z a-z 0-9 + /, '=' only as the last one or two characters, unused
// trailing bits zero, no whitespace. "" decodes to "".
std::optional<std::string> base64_decode(std::string_view text);

// Well-formed UTF-8 (RFC 3629 §4): no overlong forms, no surrogates, nothing above U+10FFFF.
bool is_valid_utf8(std::string_view s);
// Length of the well-formed UTF-8 sequence starting at s[0]: 1 for ASCII, 2..4 otherwise, 0 if not well formed.
std::size_t utf8_sequence_length(std::string_view s);

// ASCII helpers (locale independent).
constexpr char ascii_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}
constexpr char ascii_upper(char c) {
  return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
}
constexpr bool is_alpha(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}
constexpr bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
constexpr bool is_hex(char c) {
  return is_digit(c) || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f');
}
// RFC 5322 §3.2.3 atext, ASCII part (RFC 5321 Atom, RFC 3461 addr-type).
constexpr bool is_atext(char c) {
  return is_alpha(c) || is_digit(c) || std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
}
bool iequals(std::string_view a, std::string_view b);
bool istarts_with(std::string_view s, std::string_view prefix);
std::string to_lower(std::string_view s);

}  // namespace mssgw::smtp::proto
