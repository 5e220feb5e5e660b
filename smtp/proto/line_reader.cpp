#include "smtp/proto/line_reader.hpp"

#include <algorithm>
#include <cstring>

namespace mssgw::smtp::proto {

line_reader::line_reader(std::size_t max_line) : max_(std::max<std::size_t>(max_line, 3)) {}

void line_reader::set_max_line(std::size_t max_line) {
  max_ = std::max<std::size_t>(max_line, 3);
}

void line_reader::reset() {
  scanned_ = 0;
  discarding_ = false;
}

line_reader::result line_reader::next(std::string_view input) {
  result r;
  if (discarding_) {
    // Everything up to the LF belongs to the overlong line. Any LF ends it (bare or not): the client thinks
    // its line ended there, and the next line must be read as a command of its own.
    const void* lf = std::memchr(input.data(), '\n', input.size());
    if (lf == nullptr) {
      r.consumed = input.size();
      return r;
    }
    discarding_ = false;
    scanned_ = 0;
    r.st = status::error;
    r.error = errc::line_too_long;
    r.consumed = static_cast<std::size_t>(static_cast<const char*>(lf) - input.data()) + 1;
    return r;
  }

  const std::size_t from = std::min(scanned_, input.size());
  // Never look further than one byte beyond the limit: a longer line is too long whatever follows.
  const std::size_t window = std::min(input.size(), max_);
  const void* lf = from < window ? std::memchr(input.data() + from, '\n', window - from) : nullptr;
  if (lf == nullptr) {
    if (input.size() >= max_) {
      // max_ bytes and no LF: even if the next byte is LF, the line is max_+1 octets long. Discard from here.
      discarding_ = true;
      scanned_ = 0;
      r.consumed = input.size();
      // The LF might be in what we were given already, beyond the window.
      const void* later = std::memchr(input.data() + max_, '\n', input.size() - max_);
      if (later != nullptr) {
        discarding_ = false;
        r.st = status::error;
        r.error = errc::line_too_long;
        r.consumed = static_cast<std::size_t>(static_cast<const char*>(later) - input.data()) + 1;
      }
      return r;
    }
    scanned_ = input.size();
    return r;
  }

  scanned_ = 0;
  const std::size_t lf_pos = static_cast<std::size_t>(static_cast<const char*>(lf) - input.data());
  r.consumed = lf_pos + 1;
  if (lf_pos == 0 || input[lf_pos - 1] != '\r') {
    r.st = status::error;
    r.error = errc::bare_lf;
    return r;
  }
  const std::string_view line = input.substr(0, lf_pos - 1);
  if (std::memchr(line.data(), '\r', line.size()) != nullptr) {
    r.st = status::error;
    r.error = errc::bare_cr;
    return r;
  }
  r.st = status::line;
  r.line = line;
  return r;
}

}  // namespace mssgw::smtp::proto
