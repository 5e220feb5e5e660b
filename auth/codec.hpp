// Strict base64 codecs for authentication (RFC 4648 §4 and §5) and the SASL line rules shared by SMTP AUTH
// (RFC 4954 §4) and IMAP AUTHENTICATE (RFC 3501 §6.2.2, RFC 4959).
//
// Decoders return std::nullopt on any invalid input and never skip characters: a token or a SASL response must be
// exactly one canonical encoding (no whitespace, no stray '=', unused trailing bits zero), so two different strings
// never decode to the same bytes. Pure and thread-safe.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace mssgw::auth {

// RFC 4648 §4, with padding. "" <-> "".
std::string base64_encode(std::string_view raw);
std::optional<std::string> base64_decode(std::string_view text);

// RFC 4648 §5 without padding, as JWS uses it (RFC 7515 §2): '=' anywhere is refused, a length of 1 mod 4 too.
std::string base64url_encode(std::string_view raw);
std::optional<std::string> base64url_decode(std::string_view text);

// One client line of a SASL exchange, decoded.
struct client_line {
  enum class kind { data, cancel, invalid };
  kind what = kind::invalid;
  std::string data;  // decoded bytes when what == data
};
// A continuation line (the answer to a "334 " / "+ " challenge): "*" cancels; an empty line is an empty response;
// anything else must be strict base64.
client_line decode_continuation(std::string_view line);
// The initial response given with the command (SMTP `AUTH MECH resp`, IMAP SASL-IR `AUTHENTICATE MECH resp`):
// "=" is an empty response (RFC 4954 §4, RFC 4959 §3); "*" is invalid there; otherwise strict base64, non-empty.
client_line decode_initial_response(std::string_view text);

}  // namespace mssgw::auth
