// SMTP paths and mailboxes (RFC 5321 §4.1.2, §4.1.1.3, §4.5.3.1; RFC 6531 §3.3 for UTF-8).
//
// parse_path() reads "<...>" from the start of a command argument and returns {error, consumed, path}; the
// command parser continues after `consumed` with the ESMTP parameters. parse_mailbox() reads a whole bare
// "local@domain" (for ORCPT values, configuration, tests).
//
// Choices (where RFC 5321 leaves room, we take the strict side; this is an MX for other operators):
// - Angle brackets are required ("MAIL FROM:a@b" is refused, 501 5.1.7 / 5.1.3).
// - Source routes "<@a,@b:user@d>" are accepted and ignored (RFC 5321 §4.1.2, appendix C); each at-domain is
//   checked.
// - Local part: Dot-string or Quoted-string with quoted-pairs. `local_part` holds the decoded value (quotes and
//   backslashes removed); canonical_local_part() re-quotes only when needed, so <"john"@x> equals <john@x>.
// - Domain: LDH labels (1..63 octets, no leading/trailing hyphen), total <= 255; or an address literal:
//   [IPv4] (dotted quad, 0..255) or [IPv6:...] (validated with inet_pton). General literals ("[tag:...]") are
//   refused: IANA has registered no tag but IPv6.
// - Lengths: local part <= 64 octets and domain <= 255 as received, path <= 256 including brackets and any
//   source route (RFC 5321 §4.5.3.1.1-3).
// - "<>" only where the caller allows it (reverse-path); "<Postmaster>" without domain, case-insensitive, only
//   where allowed (RCPT, RFC 5321 §4.1.1.3).
// - UTF-8 (RFC 6531): well-formed non-ASCII is accepted in the local part and in domain labels ONLY when
//   `smtputf8` is set; otherwise the syntax is still checked and the result is non_ascii_address (553 5.6.7).
//   U-labels are checked for UTF-8 well-formedness and LDH structure only; we do no IDNA2008 mapping and no
//   A-label conversion, and normalised() lowercases ASCII letters only.
// - NUL, controls, SP and DEL outside a quoted local part are syntax errors; inside one, only SP and printable
//   ASCII (and UTF-8 with SMTPUTF8) are allowed (RFC 5321 qtextSMTP / quoted-pairSMTP).
//
// Pure and thread-safe.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

#include "smtp/proto/errc.hpp"

namespace mssgw::smtp::proto {

inline constexpr std::size_t max_local_part = 64;  // RFC 5321 §4.5.3.1.1
inline constexpr std::size_t max_domain = 255;     // RFC 5321 §4.5.3.1.2
inline constexpr std::size_t max_path = 256;       // RFC 5321 §4.5.3.1.3

struct path {
  std::string local_part;      // decoded (no surrounding quotes, no quoted-pair backslashes)
  std::string domain;          // as received: "Example.org" or "[192.0.2.1]" / "[IPv6:2001:db8::1]"
  bool is_null = false;        // "<>"
  bool is_postmaster = false;  // "<Postmaster>" (no domain)
  bool quoted = false;         // the local part was a Quoted-string on the wire
  bool literal = false;        // the domain is an address literal
  bool utf8 = false;           // non-ASCII in the local part or the domain

  // Local part as it must be written: Dot-string if it is one, else a Quoted-string with '"' and '\' escaped.
  std::string canonical_local_part() const;
  // canonical_local_part() "@" domain (domain as received); "" for <>; the local part for <Postmaster>.
  std::string mailbox() const;
  // mailbox() with the domain lowercased (ASCII); "postmaster" for <Postmaster>. Compare addresses with this.
  std::string normalised() const;

  friend bool operator==(const path&, const path&) = default;
};

struct path_options {
  bool allow_null = false;        // MAIL FROM:<>
  bool allow_postmaster = false;  // RCPT TO:<Postmaster>
  bool smtputf8 = false;          // RFC 6531: the transaction asked for SMTPUTF8
};

struct path_result {
  errc error = errc::ok;
  std::size_t consumed = 0;  // on success: octets of "<...>"
  path value;
};

// Parses a Path (or "<>" / "<Postmaster>" where allowed) at the start of `s`; stops after '>'.
path_result parse_path(std::string_view s, const path_options& opt);

// Parses the whole of `s` as a Mailbox (local@domain, no brackets).
path_result parse_mailbox(std::string_view s, bool smtputf8 = false);

// RFC 5321 Domain (LDH labels; U-labels when utf8) or address literal with brackets; whole string.
errc check_domain(std::string_view s, bool allow_literal, bool utf8);

// RFC 5321 Dot-string (atext with RFC 6531 UTF-8 when utf8).
bool is_dot_string(std::string_view s, bool utf8);

}  // namespace mssgw::smtp::proto
