// SMTP command parser (RFC 5321 §4.1, with RFC 3030 BDAT, RFC 3207 STARTTLS, RFC 4954 AUTH).
//
// parse_command(line) takes one line from line_reader (no CRLF) and returns {error, verb, command}: on success
// `cmd` holds the variant alternative of the verb; on failure `error` says why and reply() gives the reply
// (500/501/553/555 with enhanced codes, see errc.hpp). `verb` is set whenever the verb was recognised, so the
// session can count errors per command. parse_auth_response() reads the client's line during an AUTH exchange.
//
// Syntax choices (where RFC 5321 leaves room):
// - Verbs are case-insensitive; a verb is followed by exactly one SP, or by the end of the line.
// - Trailing SPs at the end of a line are ignored (common in clients, never ambiguous).
// - "MAIL FROM:" / "RCPT TO:" with no space before the colon (RFC 5321 §3.3); a space before the colon is a
//   syntax error (501 5.5.2). ONE space after the colon is tolerated, as Postfix does, for old clients.
// - Commands without arguments (DATA, RSET, QUIT, STARTTLS) refuse any (501 5.5.4, RFC 3207 §4 for STARTTLS).
//   NOOP ignores its argument; HELP keeps it; VRFY requires one.
// - EHLO/HELO need one argument without spaces (printable ASCII, <= 255 octets); it is kept as given, and
//   `domain_valid` says whether it is a valid Domain or address literal (policy decides what to do with it).
// - Controls (NUL, TAB, DEL...) anywhere are refused (500 5.5.2); 8-bit octets only where SMTPUTF8 allows them
//   (addresses and parameter values, see address.hpp and params.hpp).
// - BDAT size: 1..20 digits, at most 2^64-1; "LAST" case-insensitive.
// - AUTH: mechanism is 1..20 of A-Z 0-9 - _ (RFC 4422 §3.1), uppercased; the initial response is decoded
//   (strict base64, "=" is an empty response, RFC 4954 §4).
//
// Pure and thread-safe.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "smtp/proto/address.hpp"
#include "smtp/proto/errc.hpp"
#include "smtp/proto/params.hpp"
#include "smtp/proto/reply.hpp"

namespace mssgw::smtp::proto {

enum class verb : std::uint8_t {
  unknown,
  ehlo,
  helo,
  mail,
  rcpt,
  data,
  bdat,
  rset,
  noop,
  quit,
  vrfy,
  help,
  starttls,
  auth
};
std::string_view name(verb v);

struct ehlo_command {
  bool extended = true;       // EHLO (true) or HELO (false)
  std::string domain;         // as given
  bool domain_valid = false;  // a syntactically valid Domain or address literal
  friend bool operator==(const ehlo_command&, const ehlo_command&) = default;
};
struct mail_command {
  path reverse_path;
  mail_params params;
  friend bool operator==(const mail_command&, const mail_command&) = default;
};
struct rcpt_command {
  path forward_path;
  rcpt_params params;
  friend bool operator==(const rcpt_command&, const rcpt_command&) = default;
};
struct data_command {
  friend bool operator==(const data_command&, const data_command&) = default;
};
struct bdat_command {
  std::uint64_t size = 0;
  bool last = false;
  friend bool operator==(const bdat_command&, const bdat_command&) = default;
};
struct rset_command {
  friend bool operator==(const rset_command&, const rset_command&) = default;
};
struct noop_command {
  friend bool operator==(const noop_command&, const noop_command&) = default;
};
struct quit_command {
  friend bool operator==(const quit_command&, const quit_command&) = default;
};
struct vrfy_command {
  std::string argument;
  friend bool operator==(const vrfy_command&, const vrfy_command&) = default;
};
struct help_command {
  std::string argument;
  friend bool operator==(const help_command&, const help_command&) = default;
};
struct starttls_command {
  friend bool operator==(const starttls_command&, const starttls_command&) = default;
};
struct auth_command {
  std::string mechanism;                        // uppercased
  std::optional<std::string> initial_response;  // decoded; empty string for "="
  friend bool operator==(const auth_command&, const auth_command&) = default;
};

using command = std::variant<ehlo_command, mail_command, rcpt_command, data_command, bdat_command, rset_command,
                             noop_command, quit_command, vrfy_command, help_command, starttls_command, auth_command>;

struct command_result {
  errc error = errc::ok;
  proto::verb verb = verb::unknown;
  command cmd;  // meaningful when error == errc::ok

  bool ok() const { return error == errc::ok; }
  // The reply for a failure (address errors as sender for MAIL, recipient for RCPT).
  error_reply reply() const;
};

// `ext`: what this session advertised. `transaction_smtputf8`: the current transaction's MAIL had SMTPUTF8 (for
// RCPT, RFC 6531 §3.4).
command_result parse_command(std::string_view line, const extensions& ext, bool transaction_smtputf8 = false);

// One client line during an AUTH exchange (RFC 4954 §4): "*" cancels (errc::auth_cancelled); otherwise strict
// base64 (an empty line is an empty response). Give it a line from a line_reader set to auth_max_line.
struct auth_response {
  errc error = errc::ok;
  std::string data;  // decoded
};
auth_response parse_auth_response(std::string_view line);

}  // namespace mssgw::smtp::proto
