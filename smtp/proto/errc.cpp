#include "smtp/proto/errc.hpp"

#include <string>

namespace mssgw::smtp::proto {
namespace {

class category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "smtp.proto"; }
  std::string message(int v) const override { return std::string(describe(static_cast<errc>(v))); }
};

}  // namespace

const std::error_category& error_category() {
  static const category c;
  return c;
}

std::string_view describe(errc e) {
  switch (e) {
    case errc::ok: return "ok";
    case errc::line_too_long: return "command line too long";
    case errc::bare_lf: return "bare LF in command";
    case errc::bare_cr: return "bare CR in command";
    case errc::auth_line_too_long: return "AUTH response line too long";
    case errc::invalid_character: return "invalid character in command";
    case errc::unknown_command: return "unknown command";
    case errc::syntax_error: return "command syntax error";
    case errc::invalid_argument: return "invalid command argument";
    case errc::address_syntax: return "address syntax error";
    case errc::address_missing_brackets: return "address without angle brackets";
    case errc::local_part_too_long: return "local part too long";
    case errc::domain_too_long: return "domain too long";
    case errc::path_too_long: return "path too long";
    case errc::null_path_not_allowed: return "null path not allowed here";
    case errc::non_ascii_address: return "non-ASCII address without SMTPUTF8";
    case errc::invalid_utf8: return "invalid UTF-8";
    case errc::unknown_parameter: return "unknown or unadvertised ESMTP parameter";
    case errc::duplicate_parameter: return "duplicate ESMTP parameter";
    case errc::invalid_parameter: return "invalid ESMTP parameter value";
    case errc::invalid_base64: return "invalid base64";
    case errc::auth_cancelled: return "authentication cancelled by client";
    case errc::data_bare_lf: return "bare LF in data";
    case errc::data_bare_cr: return "bare CR in data";
    case errc::data_line_too_long: return "data line too long";
    case errc::message_too_big: return "message too big";
    case errc::reply_syntax: return "reply syntax error";
    case errc::reply_code_mismatch: return "reply code changes within a multi-line reply";
    case errc::reply_line_too_long: return "reply line too long";
    case errc::reply_too_many_lines: return "reply has too many lines";
    case errc::reply_bare_lf: return "bare LF in reply";
  }
  return "unknown error";
}

error_reply reply_for(errc e, address_role role) {
  // Address syntax: RFC 3463 §3.2 X.1.7 (sender) / X.1.3 (recipient); RFC 5321 §4.5.3.1.10 uses 501 for "path
  // too long" as well.
  const std::string_view addr_enh = role == address_role::sender ? "5.1.7" : "5.1.3";
  const std::string_view addr_text =
      role == address_role::sender ? "Bad sender address syntax" : "Bad recipient address syntax";
  switch (e) {
    case errc::ok: return {250, "2.0.0", "OK"};
    // RFC 5321 §4.2.2 / §4.5.3.1.10: 500 covers "command line too long".
    case errc::line_too_long: return {500, "5.5.2", "Line too long"};
    // RFC 5321 §2.3.8: CR and LF only as CRLF. We refuse the line (500 5.5.2) rather than guess its end.
    case errc::bare_lf:
    case errc::bare_cr:
    case errc::invalid_character: return {500, "5.5.2", "Syntax error"};
    // RFC 4954 §4: a response longer than the server's buffer fails AUTH with 500, 5.5.6.
    case errc::auth_line_too_long: return {500, "5.5.6", "Authentication exchange line too long"};
    case errc::unknown_command: return {500, "5.5.1", "Command unrecognized"};
    case errc::syntax_error: return {501, "5.5.2", "Syntax error"};
    case errc::invalid_argument: return {501, "5.5.4", "Invalid command arguments"};
    case errc::address_syntax:
    case errc::address_missing_brackets:
    case errc::local_part_too_long:
    case errc::domain_too_long:
    case errc::path_too_long:
    case errc::null_path_not_allowed:
    case errc::invalid_utf8:
      if (role == address_role::none) return {501, "5.5.4", "Invalid command arguments"};
      return {501, addr_enh, addr_text};
    // RFC 6531 §3.7.4.1: 553 with X.6.7 "Non-ASCII addresses not permitted for that sender/recipient".
    case errc::non_ascii_address: return {553, "5.6.7", "Non-ASCII address not permitted"};
    // RFC 5321 §4.1.1.11: 555 "MAIL FROM/RCPT TO parameters not recognized or not implemented".
    case errc::unknown_parameter: return {555, "5.5.4", "Unsupported parameter"};
    case errc::duplicate_parameter:
    case errc::invalid_parameter: return {501, "5.5.4", "Invalid parameter"};
    // RFC 4954 §4: undecodable base64 and "*" both fail the AUTH command with 501.
    case errc::invalid_base64: return {501, "5.5.2", "Invalid base64 data"};
    case errc::auth_cancelled: return {501, "5.0.0", "Authentication cancelled"};
    // Sent after the real end of data, so the session stays in sync (no SMTP smuggling).
    case errc::data_bare_lf:
    case errc::data_bare_cr: return {550, "5.5.2", "Bare CR or LF not allowed"};
    case errc::data_line_too_long: return {550, "5.6.0", "Message line too long"};
    case errc::message_too_big: return {552, "5.3.4", "Message too big"};
    // Client-side failures: not sent to anyone, but give the session something coherent to log.
    case errc::reply_syntax:
    case errc::reply_code_mismatch:
    case errc::reply_line_too_long:
    case errc::reply_too_many_lines:
    case errc::reply_bare_lf: return {421, "4.4.0", "Malformed reply"};
  }
  return {451, "4.3.0", "Internal error"};
}

}  // namespace mssgw::smtp::proto
