// Incremental framing of IMAP commands (RFC 3501 §2.2, §4.3; RFC 9051 §4.3) over the session's input buffer.
//
// A command is one or more CRLF-terminated lines joined by literals: `A1 LOGIN {5}\r\nalice {6+}\r\nsecret\r\n`.
// The reader finds where a command ends without parsing its arguments; `parse_command()` (command.hpp) parses the
// framed text. It recognises, at the end of a line and outside a quoted string:
//   {n}    synchronising literal: the reader returns need_continuation so the session sends "+ Ready"
//          (RFC 3501 §7.5), then waits for the n octets;
//   {n+}   non-synchronising literal (RFC 7888 LITERAL+ / LITERAL-): the n octets follow at once;
//   ~{n}   literal8 (RFC 3516 BINARY, for APPEND), and ~{n+}.
//
// Contract (STYLE.md habit 1): `next(input)` looks at the unconsumed bytes, never copies them (only the tag, a few
// bytes) and returns {status, consumed, text | error}. The caller erases `consumed` bytes from the front of its
// buffer after EVERY call, whatever the status, and calls again while the status is not need_more. After
// need_more or need_continuation, the next call passes the same remaining bytes followed by new ones: the reader
// remembers how far it scanned, so each byte is looked at once.
//
//   need_more          no complete command yet. `consumed` is 0, except while the reader discards a line it has
//                      already refused (see error).
//   need_continuation  the line announcing a synchronising literal is complete and within limits: send
//                      "+ <text>\r\n" now, then keep calling next(). `consumed` is 0. Reported once per literal.
//   command            `text` is the whole command without its final CRLF, literals included, exactly as
//                      received (for parse_command). It points into `input`; parse it before erasing.
//   error              the command is refused and the reader is in step with the client again: answer
//                      `tag BAD [code] text` (errc.hpp response_for) and carry on. `consumed` covers the refused
//                      command up to and including the LF where the reader noticed the failure (for a refused
//                      synchronising literal, the LF after "{n}": the client waits for "+" and never sends it).
//                      Errors found inside a line (too long, nesting too deep, bare CR) are reported at that
//                      line's LF, so replies stay in order; meanwhile the reader discards the line's bytes as they
//                      come (need_more with consumed > 0), so it never holds more than the limits.
//   fatal              the reader cannot find the next command: a non-synchronising literal it refused (its
//                      bytes are on their way and would be read as commands). Answer `* BYE [TOOBIG]`, close.
//
// `tag` (error, fatal, need_continuation) is the command's tag when the first bytes of the command form a valid
// tag, else empty (answer "* BAD"). It is valid until the next call.
//
// Limits (constructor, set_limits) are checked before anything is buffered: a literal is refused as soon as the
// line announcing it ends, never after reading it. Bytes outside literals count against max_line (CRLFs
// included, every line of the command together); the whole command counts against max_command.
//
// Not thread-safe; one per session.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "imap/proto/errc.hpp"

namespace mssgw::imap::proto {

struct limits {
  // Bytes of the command outside literals. RFC 7162 §4 asks servers to accept command lines of at least 8192
  // octets; we allow more for long UID sets and SEARCH OR chains.
  std::size_t max_line = 64 * 1024;
  // Largest literal: APPENDLIMIT (RFC 7889). Pre-authentication sessions should use a small value (a LOGIN
  // password fits in 1 KB), since this is what a stranger can make us buffer.
  std::size_t max_literal = 50 * 1024 * 1024;
  // Largest non-synchronising literal. Equal to max_literal when LITERAL+ is advertised; 4096 when only LITERAL-
  // is (RFC 7888 §5).
  std::size_t max_nonsync_literal = 50 * 1024 * 1024;
  // The whole command: lines and literals (several messages with MULTIAPPEND, RFC 3502).
  std::size_t max_command = 64 * 1024 * 1024;
  // Parentheses nested deeper than this are refused (SEARCH nesting, LIST-STATUS, QRESYNC need < 8).
  std::size_t max_depth = 64;
};

inline constexpr std::size_t literal_minus_max = 4096;  // RFC 7888 §5
inline constexpr std::size_t max_tag_length = 64;       // longer tags are refused with an untagged BAD

class command_reader {
 public:
  enum class status : std::uint8_t { need_more, need_continuation, command, error, fatal };
  struct result {
    status st = status::need_more;
    std::size_t consumed = 0;
    std::string_view text;   // status::command
    errc error = errc::ok;   // status::error, status::fatal
    std::string_view tag;    // see above
  };

  explicit command_reader(limits l = {});

  // Takes effect at the next command (e.g. larger limits once authenticated).
  void set_limits(const limits& l) { pending_ = l; }
  const limits& current_limits() const { return pending_; }

  result next(std::string_view input);

  // One CRLF-terminated line that is not a command: an AUTHENTICATE response (RFC 3501 §6.2.2) or IDLE's
  // "DONE" (RFC 2177). Same buffer contract; status is need_more, command (text = the line without CRLF) or
  // error (line_too_long over max_line, bare_lf, bare_cr; consumed through the LF). Do not interleave with a
  // command in progress.
  result next_line(std::string_view input);

  // Forget any partial command (e.g. after STARTTLS, when buffered plaintext is dropped).
  void reset();

 private:
  enum class mode : std::uint8_t { line, literal, discard };
  // Recogniser of "{digits}" / "{digits+}" / "~{...}" at the end of a line, fed one byte at a time.
  enum class lit : std::uint8_t { none, open, digits, plus, closed };

  result finish(status st, std::size_t consumed, errc e = errc::ok);
  void start_discard(errc e);
  void tag_byte(char c);

  limits lim_;       // limits of the command being read
  limits pending_;   // applied when the next command starts
  mode mode_ = mode::line;
  std::size_t pos_ = 0;          // bytes of the current command already looked at (offset in the caller's input)
  std::size_t line_bytes_ = 0;   // bytes outside literals so far (CRLFs included)
  std::uint64_t total_ = 0;      // bytes of the command so far, announced literals included
  std::uint64_t literal_left_ = 0;
  std::size_t depth_ = 0;
  bool started_ = false;
  bool in_quote_ = false;
  bool escape_ = false;
  bool prev_cr_ = false;
  bool prev_tilde_ = false;
  lit lit_ = lit::none;
  bool lit_nonsync_ = false;
  bool lit_overflow_ = false;
  std::uint64_t lit_value_ = 0;
  errc pending_error_ = errc::ok;  // mode::discard: reported at the LF
  // Tag of the current command, copied as it is scanned.
  std::string tag_;
  bool tag_done_ = false;
  bool tag_valid_ = true;
  // next_line state
  std::size_t line_scanned_ = 0;
  bool line_discard_ = false;
  errc line_error_ = errc::ok;
};

}  // namespace mssgw::imap::proto
