// Incremental splitter of SMTP command lines (and AUTH response lines) over the session's input buffer.
//
// Contract (STYLE.md habit 1): `next(input)` looks at the unconsumed bytes, never copies them, and returns
// {status, consumed, line | error}. The caller erases `consumed` bytes from the front of its buffer after EVERY
// call, whatever the status, and calls again while the status is not need_more. After need_more, the next call
// must pass the same remaining bytes followed by new ones (the reader remembers how far it scanned).
//
//   need_more  no complete line yet; `consumed` may be > 0 (bytes of an overlong line being discarded).
//   line       `line` is the command without its CRLF; it points into `input` and is valid until the caller
//              modifies its buffer. It contains no CR, no LF.
//   error      one reply-worthy failure for one line; `consumed` includes the line's LF, so the next call
//              starts on the next line and the session stays in sync with a pipelining client:
//              - line_too_long: the line (with CRLF) is longer than the limit. As soon as more than `max_line`
//                bytes are buffered without an LF, the reader switches to discarding (it consumes everything
//                up to the LF), so the caller never holds more than `max_line` bytes of one line. The error is
//                reported once, when the line's LF arrives (so the reply comes in order).
//              - bare_lf: an LF not preceded by CR (RFC 5321 §2.3.8). We treat the LF as the end of a line that
//                we refuse (500 5.5.2) rather than execute: "STARTTLS\n" or "DATA\n" never act.
//              - bare_cr: a CR inside the line that is not followed by LF (refused likewise).
//
// Limits (RFC 5321 §4.5.3.1.4): 512 octets including CRLF by default. Extensions raise it (RFC 1870 SIZE +26,
// RFC 3461 ENVID +100 and ORCPT +500, RFC 4954 AUTH= +500), so a server that advertises DSN should configure
// more, e.g. `extended_max_line`. While an AUTH exchange waits for a response, set_max_line(auth_max_line):
// RFC 4954 §4 names 12288 octets as sufficient for deployed mechanisms; a Pro Santé Connect JWT in XOAUTH2 fits.
// A line_too_long during an AUTH exchange is answered as errc::auth_line_too_long (500 5.5.6, RFC 4954 §4).
//
// Not thread-safe; one per session.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "smtp/proto/errc.hpp"

namespace mssgw::smtp::proto {

inline constexpr std::size_t rfc5321_max_line = 512;    // RFC 5321 §4.5.3.1.4
inline constexpr std::size_t extended_max_line = 2048;  // room for SIZE, DSN and AUTH= parameters (Postfix's default)
inline constexpr std::size_t auth_max_line = 12288;     // RFC 4954 §4

class line_reader {
 public:
  enum class status : std::uint8_t { need_more, line, error };
  struct result {
    status st = status::need_more;
    std::size_t consumed = 0;
    std::string_view line;  // status::line
    errc error = errc::ok;  // status::error
  };

  explicit line_reader(std::size_t max_line = rfc5321_max_line);

  // Limit in octets, CRLF included; at least 3. Takes effect from the next call.
  void set_max_line(std::size_t max_line);
  std::size_t max_line() const { return max_; }

  result next(std::string_view input);

  // Forget a partial line (e.g. after STARTTLS, when the buffer is dropped).
  void reset();

 private:
  std::size_t max_;
  std::size_t scanned_ = 0;  // bytes of the current partial line already searched for LF
  bool discarding_ = false;  // inside an overlong line: consume up to the LF, then report line_too_long
};

}  // namespace mssgw::smtp::proto
