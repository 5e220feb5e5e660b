// Message data readers: DATA (RFC 5321 §4.1.1.4, §4.5.2) and BDAT chunks (RFC 3030), plus dot_stuff() for the
// sending side.
//
// data_reader::feed(input, sink) consumes message bytes after the server's 354 reply and appends the unstuffed
// body to the sink (a std::string or any callable taking std::string_view). It returns {done, consumed, error}:
//   - not done: every byte of `input` was consumed (consumed == input.size()); call again with more.
//   - done: the end of data was consumed; bytes after `consumed` are the next command (pipelining) and stay in
//     the caller's buffer. `error` is the verdict for the whole message (errc::ok: accept it).
// The body includes the CRLF of its last line (the first CRLF of CRLF.CRLF); "DATA" directly followed by ".CRLF"
// is an empty body. reset() before the next message (after done, feed() consumes nothing and repeats the verdict).
//
// Smuggling-proof rules (CVE-2023-51766 class):
// - ONLY CRLF "." CRLF ends the data. LF.LF, CR.CR, LF.CRLF, CRLF.LF and the like are data.
// - A bare LF or bare CR anywhere is an error (data_bare_lf / data_bare_cr), but the reader keeps consuming to the
//   real CRLF.CRLF and only then reports it, so the session replies once, after the terminator, and stays in
//   sync: 550 5.5.2 "Bare CR or LF not allowed" (reply_for). Nothing after such a byte is appended.
// - Dot-unstuffing (§4.5.2): a line's leading '.' is removed, whatever follows it.
// - Size: the unstuffed body may be at most `max_size` octets; once over, nothing more is appended (the sink never
//   receives more than max_size octets), the rest is consumed and discarded, and the verdict is message_too_big
//   (552 5.3.4, RFC 1870 / RFC 5321 §4.5.3.1.10).
// - Lines: a text line longer than max_line octets with its CRLF (1000, RFC 5321 §4.5.3.1.6 and RFC 5322 §2.1.1;
//   the transparency dot is not counted) gives data_line_too_long (550 5.6.0) when `refuse_long_lines` is set,
//   which is the DEFAULT: long lines are what relays wrap or cut, breaking signatures, so we refuse them openly.
// - After any error the sink receives nothing more; its content is then unspecified and must be discarded.
//   When several errors occur the verdict is, in order: bare LF, bare CR, long line, too big (independent of how
//   the input was split).
//
// bdat_reader: the same checks (size, bare CR/LF, long lines), no dot handling, exact byte counts. For
// BODY=BINARYMIME set `binary`: only the size is checked. start_chunk(n, last), then feed() until done; a CR at
// the end of one chunk and an LF at the start of the next are one CRLF. error() is the verdict so far; after the
// LAST chunk it is final (a CR ending the message is bare). A session that refused a chunk still feeds the bytes
// (RFC 3030 §2: the chunk is read in full) and discards.
//
// Memory: the readers hold a few counters; they never buffer. Not thread-safe; one per session.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

#include "smtp/proto/errc.hpp"

namespace mssgw::smtp::proto {

struct data_limits {
  std::uint64_t max_size = 10 * 1024 * 1024;
  std::size_t max_line = 1000;  // with CRLF
  bool refuse_long_lines = true;
};

struct data_result {
  bool done = false;
  std::size_t consumed = 0;
  errc error = errc::ok;  // meaningful when done
};

// A non-owning callable reference for the sink (no allocation, no std::function).
class data_sink {
 public:
  data_sink(std::string& s) : ctx_(&s), fn_(&append_string) {}  // NOLINT: implicit on purpose
  // Any callable taking std::string_view; it must outlive the feed() call (a lambda argument does).
  template <class F, class D = std::remove_reference_t<F>,
            class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, std::string> &&
                                     !std::is_same_v<std::decay_t<F>, data_sink>>>
  data_sink(F&& f)  // NOLINT
      : ctx_(const_cast<void*>(static_cast<const void*>(&f))),
        fn_([](void* c, std::string_view s) { (*static_cast<D*>(c))(s); }) {}
  void operator()(std::string_view s) const { fn_(ctx_, s); }

 private:
  static void append_string(void* c, std::string_view s) { static_cast<std::string*>(c)->append(s); }
  void* ctx_;
  void (*fn_)(void*, std::string_view);
};

class data_reader {
 public:
  explicit data_reader(data_limits limits = {});
  data_result feed(std::string_view input, data_sink sink);
  // Unstuffed body octets seen so far (counting beyond the limit, for logs).
  std::uint64_t size() const { return size_; }
  void reset();

 private:
  enum class state : std::uint8_t { bol, bol_dot, bol_dot_cr, in_line, cr, done };
  enum flag : std::uint8_t { f_bare_lf = 1, f_bare_cr = 2, f_long_line = 4, f_too_big = 8 };
  void emit(const char* b, std::size_t n, data_sink& sink);
  void end_line();
  errc verdict() const;

  data_limits limits_;
  state st_ = state::bol;
  std::uint8_t flags_ = 0;
  std::uint64_t size_ = 0;
  std::uint64_t line_len_ = 0;  // octets of the current line without CRLF and transparency dot
};

class bdat_reader {
 public:
  explicit bdat_reader(data_limits limits = {}, bool binary = false);
  void start_chunk(std::uint64_t size, bool last);
  // Consumes min(input.size(), remaining) octets; done when the chunk is complete (error: the verdict so far).
  data_result feed(std::string_view input, data_sink sink);
  std::uint64_t remaining() const { return remaining_; }
  bool last() const { return last_; }
  errc error() const;
  std::uint64_t size() const { return size_; }
  void reset();

 private:
  enum flag : std::uint8_t { f_bare_lf = 1, f_bare_cr = 2, f_long_line = 4, f_too_big = 8 };
  data_limits limits_;
  bool binary_;
  std::uint64_t remaining_ = 0;
  bool last_ = false;
  bool pending_cr_ = false;  // the previous octet was a CR (possibly in the previous chunk)
  std::uint8_t flags_ = 0;
  std::uint64_t size_ = 0;
  std::uint64_t line_len_ = 0;
};

// Sending side: appends `body` dot-stuffed, then ".\r\n", to `out`. `body` must use CRLF line ends; if it does
// not end with CRLF, one is added before the terminator. Feeding the result to data_reader gives `body` back
// (with the added CRLF).
void dot_stuff(std::string_view body, std::string& out);

}  // namespace mssgw::smtp::proto
