// ESMTP parameters of MAIL and RCPT (RFC 5321 §4.1.2 Mail-parameters / Rcpt-parameters).
//
// MAIL: SIZE=n (RFC 1870), BODY=7BIT|8BITMIME|BINARYMIME (RFC 6152, RFC 3030), SMTPUTF8 (RFC 6531),
//       RET=FULL|HDRS and ENVID=xtext (RFC 3461 §4.3, §4.4), AUTH=xtext (RFC 4954 §5, tolerated and kept).
// RCPT: NOTIFY=NEVER | SUCCESS,FAILURE,DELAY (RFC 3461 §4.1), ORCPT=addr-type;xtext (RFC 3461 §4.2).
//
// Rules: keywords and keyword values are case-insensitive; each keyword at most once (duplicate_parameter,
// 501 5.5.4); a keyword we do not know, or whose extension was not advertised, is unknown_parameter (555 5.5.4,
// RFC 5321 §4.1.1.11); a malformed value is invalid_parameter (501 5.5.4). Parameters are separated by exactly one
// SP. xtext values are decoded; a decoded ENVID must be printable ASCII and the xtext at most 100 characters
// (RFC 3461 §4.4); an ORCPT xtext at most 500 characters (RFC 3461 §4.2), its addr-type an atom (lowercased), and
// for "rfc822" the decoded address must hold an '@' and no controls. SIZE is 1..20 digits; a value beyond 2^64-1
// saturates (the session's limit check then refuses it with 552). AUTH= is accepted whether or not AUTH was
// advertised; the session may ignore it (RFC 4954 §5 lets the server treat it as "<>").
//
// Pure and thread-safe.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "smtp/proto/errc.hpp"
#include "smtp/proto/reply.hpp"

namespace mssgw::smtp::proto {

enum class body_type : std::uint8_t { unspecified, seven_bit, eight_bit_mime, binary_mime };
enum class dsn_ret : std::uint8_t { unspecified, full, headers };

struct mail_params {
  std::optional<std::uint64_t> size;
  body_type body = body_type::unspecified;
  bool smtputf8 = false;
  dsn_ret ret = dsn_ret::unspecified;
  std::optional<std::string> envid;  // decoded
  std::optional<std::string> auth;   // decoded; "<>" when the client says so

  friend bool operator==(const mail_params&, const mail_params&) = default;
};

// NOTIFY (RFC 3461 §4.1). `present` false: the client gave no NOTIFY (the default is FAILURE,DELAY-like).
struct dsn_notify {
  bool present = false;
  bool never = false;
  bool success = false;
  bool failure = false;
  bool delay = false;

  friend bool operator==(const dsn_notify&, const dsn_notify&) = default;
};

struct orcpt {
  std::string addr_type;  // lowercased: "rfc822", "utf-8", ...
  std::string address;    // decoded xtext

  friend bool operator==(const orcpt&, const orcpt&) = default;
};

struct rcpt_params {
  dsn_notify notify;
  std::optional<struct orcpt> orcpt;

  friend bool operator==(const rcpt_params&, const rcpt_params&) = default;
};

inline constexpr std::size_t max_envid_xtext = 100;  // RFC 3461 §4.4
inline constexpr std::size_t max_orcpt_xtext = 500;  // RFC 3461 §4.2

// `text` is what follows the path: empty, or " " followed by the parameters. `smtputf8` (RCPT only) says the
// transaction's MAIL carried SMTPUTF8, so UTF-8 may appear in ORCPT values.
errc parse_mail_params(std::string_view text, const extensions& ext, mail_params& out);
errc parse_rcpt_params(std::string_view text, const extensions& ext, bool smtputf8, rcpt_params& out);

}  // namespace mssgw::smtp::proto
