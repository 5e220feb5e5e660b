#include "smtp/proto/data_reader.hpp"

#include <algorithm>
#include <cstring>

namespace mssgw::smtp::proto {
namespace {

const char* find(const char* p, char c, std::size_t n) {
  return static_cast<const char*>(std::memchr(p, c, n));
}

}  // namespace

data_reader::data_reader(data_limits limits) : limits_(limits) {}

void data_reader::reset() {
  st_ = state::bol;
  flags_ = 0;
  size_ = 0;
  line_len_ = 0;
}

errc data_reader::verdict() const {
  // A fixed order, so the verdict does not depend on where the input was split.
  if (flags_ & f_bare_lf) return errc::data_bare_lf;
  if (flags_ & f_bare_cr) return errc::data_bare_cr;
  if (flags_ & f_long_line) return errc::data_line_too_long;
  if (flags_ & f_too_big) return errc::message_too_big;
  return errc::ok;
}

void data_reader::emit(const char* b, std::size_t n, data_sink& sink) {
  if (n == 0) return;
  size_ += n;
  if (size_ > limits_.max_size) flags_ |= f_too_big;
  // After any error the message is refused: stop feeding the sink (never more than max_size octets).
  if (flags_ != 0) return;
  sink(std::string_view(b, n));
}

void data_reader::end_line() {
  // RFC 5321 §4.5.3.1.6: 1000 octets with CRLF, not counting the transparency dot.
  if (limits_.refuse_long_lines && line_len_ + 2 > limits_.max_line) flags_ |= f_long_line;
  line_len_ = 0;
}

data_result data_reader::feed(std::string_view input, data_sink sink) {
  data_result r;
  if (st_ == state::done) {
    r.done = true;
    r.error = verdict();
    return r;
  }
  const char* const base = input.data();
  const std::size_t n = input.size();
  std::size_t pos = 0;
  std::size_t seg = 0;  // first octet of `input` not yet given to the sink
  // Body octets are handed to the sink in as few pieces as possible: a piece ends only at a transparency dot,
  // at the terminator, or at the end of the input.
  while (pos < n) {
    switch (st_) {
      case state::bol:
        if (base[pos] == '.') {
          emit(base + seg, pos - seg, sink);
          seg = ++pos;  // RFC 5321 §4.5.2: delete the line's first '.'
          st_ = state::bol_dot;
        } else {
          st_ = state::in_line;
        }
        break;
      case state::bol_dot:
        if (base[pos] == '\r') {
          seg = ++pos;  // possibly the end of data: hold the CR back
          st_ = state::bol_dot_cr;
        } else {
          st_ = state::in_line;  // ".." or ".x": the rest of the line is data
        }
        break;
      case state::bol_dot_cr:
        if (base[pos] == '\n') {
          // CRLF "." CRLF: the only end of data (RFC 5321 §4.1.1.4).
          st_ = state::done;
          r.done = true;
          r.consumed = pos + 1;
          r.error = verdict();
          return r;
        }
        flags_ |= f_bare_cr;  // ".\r" then something else
        ++line_len_;
        st_ = state::in_line;
        break;
      case state::cr:
        // The previous input ended with a CR in the middle of a line.
        if (base[pos] == '\n') {
          ++pos;
          end_line();
          st_ = state::bol;
        } else {
          flags_ |= f_bare_cr;
          ++line_len_;
          st_ = state::in_line;
        }
        break;
      case state::in_line: {
        const char* p = base + pos;
        const std::size_t avail = n - pos;
        const char* cr = find(p, '\r', avail);
        const std::size_t upto = cr ? static_cast<std::size_t>(cr - p) : avail;
        // RFC 5321 §2.3.8: an LF is only allowed right after a CR. One LF before the next CR is enough to refuse.
        if (find(p, '\n', upto) != nullptr) flags_ |= f_bare_lf;
        line_len_ += upto;
        if (cr == nullptr) {
          pos = n;
          break;
        }
        pos += upto + 1;
        if (pos == n) {
          st_ = state::cr;
          break;
        }
        if (base[pos] == '\n') {
          ++pos;
          end_line();
          st_ = state::bol;
        } else {
          flags_ |= f_bare_cr;
          ++line_len_;
        }
        break;
      }
      case state::done: break;  // not reached: we return at the terminator
    }
  }
  if (st_ != state::bol_dot_cr) emit(base + seg, n - seg, sink);
  r.consumed = n;
  return r;
}

bdat_reader::bdat_reader(data_limits limits, bool binary) : limits_(limits), binary_(binary) {}

void bdat_reader::reset() {
  remaining_ = 0;
  last_ = false;
  pending_cr_ = false;
  flags_ = 0;
  size_ = 0;
  line_len_ = 0;
}

void bdat_reader::start_chunk(std::uint64_t size, bool last) {
  remaining_ = size;
  last_ = last;
}

errc bdat_reader::error() const {
  if (flags_ & f_bare_lf) return errc::data_bare_lf;
  if (flags_ & f_bare_cr) return errc::data_bare_cr;
  if (flags_ & f_long_line) return errc::data_line_too_long;
  if (flags_ & f_too_big) return errc::message_too_big;
  return errc::ok;
}

data_result bdat_reader::feed(std::string_view input, data_sink sink) {
  data_result r;
  const std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(input.size(), remaining_));
  const char* const p = input.data();
  const auto end_line = [this] {
    if (limits_.refuse_long_lines && line_len_ + 2 > limits_.max_line) flags_ |= f_long_line;
    line_len_ = 0;
  };
  if (!binary_ && take > 0) {
    std::size_t pos = 0;
    if (pending_cr_) {
      pending_cr_ = false;
      if (p[0] == '\n') {
        pos = 1;
        end_line();
      } else {
        flags_ |= f_bare_cr;
        ++line_len_;
      }
    }
    while (pos < take) {
      const char* cr = find(p + pos, '\r', take - pos);
      const std::size_t upto = cr ? static_cast<std::size_t>(cr - (p + pos)) : take - pos;
      if (find(p + pos, '\n', upto) != nullptr) flags_ |= f_bare_lf;
      line_len_ += upto;
      if (cr == nullptr) break;
      pos += upto + 1;
      if (pos == take) {
        pending_cr_ = true;  // CRLF may straddle chunks
        break;
      }
      if (p[pos] == '\n') {
        ++pos;
        end_line();
      } else {
        flags_ |= f_bare_cr;
        ++line_len_;
      }
    }
  }
  if (take > 0) {
    size_ += take;
    if (size_ > limits_.max_size) flags_ |= f_too_big;
    if (flags_ == 0) sink(std::string_view(p, take));
  }
  remaining_ -= take;
  r.consumed = take;
  if (remaining_ == 0) {
    r.done = true;
    if (last_ && !binary_) {
      if (pending_cr_) flags_ |= f_bare_cr;  // the message ends with a lone CR
      pending_cr_ = false;
      if (line_len_ > 0) end_line();  // a last line without CRLF still has a length limit
    }
    r.error = error();
  }
  return r;
}

void dot_stuff(std::string_view body, std::string& out) {
  out.reserve(out.size() + body.size() + body.size() / 64 + 5);
  std::size_t pos = 0;
  while (pos < body.size()) {
    if (body[pos] == '.') out.push_back('.');  // RFC 5321 §4.5.2: double a leading '.'
    const char* lf = find(body.data() + pos, '\n', body.size() - pos);
    const std::size_t end = lf ? static_cast<std::size_t>(lf - body.data()) + 1 : body.size();
    out.append(body.substr(pos, end - pos));
    pos = end;
  }
  if (!body.empty() && !(body.size() >= 2 && body.substr(body.size() - 2) == "\r\n")) out.append("\r\n");
  out.append(".\r\n");
}

}  // namespace mssgw::smtp::proto
