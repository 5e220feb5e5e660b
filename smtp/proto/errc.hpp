// Error values of the SMTP protocol core (smtp/proto), and the reply each one gets.
//
// Every parser in smtp/proto reports failures as an `errc` (never an exception). `reply_for()` maps an errc to the
// short, generic reply the server sends ({code, enhanced code, text}); the errc's message (through the error
// category) is the log reason. Callers that know more (the session) may log more, never tell the client more.
//
// Pure and thread-safe.
#pragma once
#include <cstdint>
#include <string_view>
#include <system_error>

namespace mssgw::smtp::proto {

enum class errc : std::uint8_t {
  ok = 0,

  // Command line splitting (line_reader).
  line_too_long,       // longer than the reader's limit (discarded up to the LF, reported once)
  bare_lf,             // LF not preceded by CR (RFC 5321 §2.3.8)
  bare_cr,             // CR not followed by LF inside a command line
  auth_line_too_long,  // an AUTH response line over the AUTH limit (RFC 4954 §4: 500 5.5.6)

  // Command syntax.
  invalid_character,  // NUL, other control characters or 8-bit octets where none may appear
  unknown_command,
  syntax_error,      // the command's fixed syntax is wrong ("MAIL FROM :", missing "TO:")
  invalid_argument,  // an argument that should not be there, is missing, or is malformed

  // Addresses (RFC 5321 §4.1.2).
  address_syntax,
  address_missing_brackets,
  local_part_too_long,  // > 64 octets (RFC 5321 §4.5.3.1.1)
  domain_too_long,      // > 255 octets, or a label > 63 (RFC 5321 §4.5.3.1.2, RFC 1035 §2.3.4)
  path_too_long,        // > 256 octets including the brackets (RFC 5321 §4.5.3.1.3)
  null_path_not_allowed,
  non_ascii_address,  // UTF-8 in an address without SMTPUTF8 (RFC 6531 §3.4)
  invalid_utf8,

  // ESMTP parameters (RFC 5321 §4.1.2 Mail-parameters, RFC 1870, 6152, 3461, 4954, 6531, 3030).
  unknown_parameter,  // not recognised, or its extension was not advertised (RFC 5321 §4.1.1.11: 555)
  duplicate_parameter,
  invalid_parameter,  // malformed value

  // SASL (RFC 4954).
  invalid_base64,
  auth_cancelled,  // the client answered "*"

  // Message data (DATA and BDAT).
  data_bare_lf,        // bare LF in the data (SMTP smuggling, CVE-2023-51766 class)
  data_bare_cr,        // bare CR in the data
  data_line_too_long,  // a text line over 998 octets + CRLF (RFC 5322 §2.1.1), when refused
  message_too_big,     // over the size limit (RFC 1870: 552 5.3.4)

  // Replies (client side).
  reply_syntax,         // not "ddd", "ddd-text" or "ddd text"; or a code outside 2xx..5xx
  reply_code_mismatch,  // lines of one multi-line reply with different codes (RFC 5321 §4.2.1)
  reply_line_too_long,
  reply_too_many_lines,
  reply_bare_lf,
};

const std::error_category& error_category();
inline std::error_code make_error_code(errc e) {
  return {static_cast<int>(e), error_category()};
}

// The log reason: a short, stable, dotted-free phrase ("bare LF in data").
std::string_view describe(errc e);

// Which address a failure concerns, so address errors get 5.1.7 (sender) or 5.1.3 (recipient) (RFC 3463 §3.2).
enum class address_role : std::uint8_t { none, sender, recipient };

// The reply the server sends for a failure. Texts are static, short and generic (tell the client little).
struct error_reply {
  int code = 0;               // 500, 501, 550, 552, 553, 555
  std::string_view enhanced;  // RFC 3463 "x.y.z"
  std::string_view text;
};
error_reply reply_for(errc e, address_role role = address_role::none);

}  // namespace mssgw::smtp::proto

template <>
struct std::is_error_code_enum<mssgw::smtp::proto::errc> : std::true_type {};
