// Delivery status notifications (RFC 3464 message/delivery-status inside an RFC 6522 multipart/report, for the
// RFC 3461 DSN extension): a pure builder from facts to the bytes of a new message.
//
// The DSN comes from MAILER-DAEMON@<reporting host> with the null reverse-path (the caller enqueues it with an empty
// sender), goes to the original sender, and holds three parts:
//   1. text/plain (UTF-8, quoted-printable): a short French and English explanation and one line per recipient;
//   2. message/delivery-status: Reporting-MTA, Original-Envelope-Id, Arrival-Date, then per recipient
//      Original-Recipient, Final-Recipient, Action, Status, Remote-MTA, Diagnostic-Code, Last-Attempt-Date and, for
//      "delayed", Will-Retry-Until (RFC 3464 §2.2, §2.3);
//   3. the original message (message/rfc822, RET=FULL) or its header (text/rfc822-headers, RFC 6522 §4; the
//      default, RFC 3461 §4.3).
// Header fields are folded at 78 characters where they have spaces and hard-cut before 998 (RFC 5322 §2.1.1).
// Texts from peers (diagnostics) are reduced to printable ASCII, since message/delivery-status is US-ASCII.
// ENVID and ORCPT are given decoded (not xtext), as the DSN reports them (RFC 3464 §2.2.1, §2.3.1).
//
// Never a DSN about a message with a null sender (no bounce loops, RFC 3461 §6.2 / RFC 5321 §6.1): build_dsn()
// returns nothing then, or when there is no recipient to report. Date, Message-ID and the MIME boundary are inputs,
// so tests are deterministic. Pure and thread-safe.
#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mssgw::smtp::queue {

// RFC 3464 §2.3.3 action values we produce.
enum class dsn_action : std::uint8_t { failed, delayed, delivered, relayed };
std::string_view name(dsn_action a);

struct dsn_recipient {
  std::string final_recipient;     // the address we tried (rfc822)
  std::string original_recipient;  // ORCPT "addr-type;address" (decoded), or empty
  dsn_action action = dsn_action::failed;
  std::string status;              // RFC 3463 "5.1.1"
  std::string remote_mta;          // host name of the remote MTA, or empty
  std::string diagnostic;          // "smtp; 550 5.1.1 ..." or "x-mssgw; ...", or empty
  std::int64_t last_attempt_ms = 0;     // 0: omitted
  std::int64_t will_retry_until_ms = 0; // "delayed" only; 0: omitted

  friend bool operator==(const dsn_recipient&, const dsn_recipient&) = default;
};

struct dsn_input {
  std::string reporting_mta;  // our host name (Reporting-MTA and MAILER-DAEMON@...)
  std::string sender;         // the original envelope sender: the DSN's recipient; empty (null) -> no DSN
  std::string envid;          // RFC 3461 ENVID, decoded; empty: omitted
  std::string queue_id;       // 16 hex digits (X-Mssgw-Queue-ID)
  std::int64_t arrival_ms = 0;
  bool ret_full = false;      // RET=FULL: the whole message; else its header only
  std::string_view original;  // the raw original message (CRLF line ends)
  std::vector<dsn_recipient> recipients;
  // Injected (tests): the Date header, the Message-ID (with brackets) and the MIME boundary.
  std::chrono::system_clock::time_point date{};
  std::string message_id;
  std::string boundary;
};

// The DSN message (CRLF line ends), or nothing (null sender, no recipient).
std::optional<std::string> build_dsn(const dsn_input& in);

// RFC 5322 §3.3 date-time in UTC: "Tue, 03 Feb 2026 14:05:09 +0000".
std::string format_date(std::chrono::system_clock::time_point t);

// Folds one header field "Name: value" at spaces so that lines stay within 78 characters where possible and never
// exceed 998 (then cut hard); controls and 8-bit octets in `value` become '?' and line breaks become spaces.
// Returns the field with CRLF after each line.
std::string fold_field(std::string_view name, std::string_view value);

// The header of a message: everything up to and including the empty line (or the whole text when it has none).
std::string_view header_of(std::string_view message);

// A new Message-ID "<...@host>" and MIME boundary (random).
std::string make_message_id(std::string_view host);
std::string make_boundary();

}  // namespace mssgw::smtp::queue
