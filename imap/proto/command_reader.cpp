#include "imap/proto/command_reader.hpp"

#include <algorithm>
#include <cstring>
#include <limits>

namespace mssgw::imap::proto {
namespace {

// RFC 3501 §9: tag = 1*<any ASTRING-CHAR except "+">. ASTRING-CHAR = ATOM-CHAR / resp-specials ("]").
// atom-specials = "(" / ")" / "{" / SP / CTL / list-wildcards ("%" "*") / quoted-specials (DQUOTE "\") / "]".
bool is_tag_char(unsigned char c) {
  if (c <= 0x20 || c >= 0x7f) return false;
  switch (c) {
    case '(': case ')': case '{': case '%': case '*': case '"': case '\\': case '+': return false;
    default: return true;
  }
}

}  // namespace

command_reader::command_reader(limits l) : lim_(l), pending_(l) {}

void command_reader::reset() {
  started_ = false;
  mode_ = mode::line;
  pos_ = 0;
  line_scanned_ = 0;
  line_discard_ = false;
  line_error_ = errc::ok;
}

void command_reader::start_discard(errc e) {
  mode_ = mode::discard;
  pending_error_ = e;
}

void command_reader::tag_byte(char c) {
  if (tag_done_) return;
  const auto u = static_cast<unsigned char>(c);
  if (u == ' ' || u == '\r' || u == '\n') {
    tag_done_ = true;
    if (tag_.empty() || u != ' ') tag_valid_ = false;  // "A1\r\n": no command; answered untagged
    return;
  }
  if (!is_tag_char(u) || tag_.size() >= max_tag_length) {
    tag_valid_ = false;
    tag_done_ = true;
    return;
  }
  tag_.push_back(c);
}

command_reader::result command_reader::finish(status st, std::size_t consumed, errc e) {
  result r;
  r.st = st;
  r.consumed = consumed;
  r.error = e;
  if (tag_valid_ && tag_done_) r.tag = tag_;
  if (st != status::need_continuation) {
    started_ = false;  // the next call starts a new command (tag_ stays valid until then)
    pos_ = 0;
  }
  return r;
}

command_reader::result command_reader::next(std::string_view input) {
  if (!started_) {
    started_ = true;
    lim_ = pending_;
    mode_ = mode::line;
    pos_ = 0;
    line_bytes_ = 0;
    total_ = 0;
    literal_left_ = 0;
    depth_ = 0;
    in_quote_ = escape_ = prev_cr_ = prev_tilde_ = false;
    lit_ = lit::none;
    pending_error_ = errc::ok;
    tag_.clear();
    tag_done_ = false;
    tag_valid_ = true;
  }
  pos_ = std::min(pos_, input.size());  // defensive: the caller gave fewer bytes than promised

  while (pos_ < input.size()) {
    if (mode_ == mode::literal) {
      // Literal octets are opaque here: no quote, parenthesis or limit tracking (their size was checked when
      // announced). Skip them in one step.
      const std::uint64_t avail = input.size() - pos_;
      const std::uint64_t take = std::min(literal_left_, avail);
      pos_ += static_cast<std::size_t>(take);
      literal_left_ -= take;
      if (literal_left_ == 0) {
        // The command continues with a new line (RFC 3501 §4.3: the literal is followed by the rest of the line).
        mode_ = mode::line;
        in_quote_ = escape_ = prev_cr_ = prev_tilde_ = false;
        lit_ = lit::none;
      }
      continue;
    }

    const char c = input[pos_++];
    const auto u = static_cast<unsigned char>(c);
    ++line_bytes_;
    ++total_;
    tag_byte(c);
    if (mode_ == mode::line) {
      if (line_bytes_ > lim_.max_line) {
        start_discard(errc::line_too_long);
      } else if (total_ > lim_.max_command) {
        start_discard(errc::command_too_long);
      }
    }

    if (u == '\n') {
      const bool crlf = prev_cr_;
      const bool announced = lit_ == lit::closed && !in_quote_;
      const bool nonsync = announced && lit_nonsync_;
      if (mode_ == mode::discard) {
        // A refused line that announced a non-synchronising literal: its octets follow, and we cannot tell them
        // from commands. (A synchronising one is fine: the client waits for "+", which never comes.)
        return finish(nonsync ? status::fatal : status::error, pos_, pending_error_);
      }
      if (!crlf) return finish(nonsync ? status::fatal : status::error, pos_, errc::bare_lf);
      if (!announced) {
        const std::string_view text = input.substr(0, pos_ - 2);  // without the final CRLF
        result r = finish(status::command, text.size() + 2);
        r.text = text;
        return r;
      }
      // A literal announcement: check the limits before reading a single octet of it.
      errc e = errc::ok;
      if (lit_overflow_ || lit_value_ > lim_.max_literal) {
        e = errc::literal_too_big;
      } else if (nonsync && lit_value_ > lim_.max_nonsync_literal) {
        e = errc::nonsync_literal_too_big;
      } else if (total_ + lit_value_ > lim_.max_command) {
        e = errc::command_too_long;
      }
      if (e != errc::ok) return finish(nonsync ? status::fatal : status::error, pos_, e);
      total_ += lit_value_;
      literal_left_ = lit_value_;
      mode_ = mode::literal;
      if (literal_left_ == 0) {
        mode_ = mode::line;
        in_quote_ = escape_ = prev_cr_ = prev_tilde_ = false;
      }
      lit_ = lit::none;
      if (!nonsync) return finish(status::need_continuation, 0);
      continue;
    }

    if (prev_cr_ && mode_ == mode::line) start_discard(errc::bare_cr);  // CR not followed by LF
    prev_cr_ = u == '\r';

    if (in_quote_) {
      if (escape_) {
        escape_ = false;
      } else if (u == '\\') {
        escape_ = true;
      } else if (u == '"') {
        in_quote_ = false;
      }
      lit_ = lit::none;
      prev_tilde_ = false;
      continue;
    }
    switch (u) {
      case '"':
        in_quote_ = true;
        lit_ = lit::none;
        break;
      case '(':
        ++depth_;
        if (mode_ == mode::line && depth_ > lim_.max_depth) start_discard(errc::nesting_too_deep);
        lit_ = lit::none;
        break;
      case ')':
        if (depth_ > 0) --depth_;
        lit_ = lit::none;
        break;
      case '{':
        lit_ = lit::open;
        lit_value_ = 0;
        lit_overflow_ = false;
        lit_nonsync_ = false;
        break;
      case '+':
        lit_ = lit_ == lit::digits ? lit::plus : lit::none;
        break;
      case '}':
        if (lit_ == lit::digits || lit_ == lit::plus) {
          lit_nonsync_ = lit_ == lit::plus;
          lit_ = lit::closed;
        } else {
          lit_ = lit::none;
        }
        break;
      case '\r':
        break;  // keeps "closed": the CR of the CRLF that ends the announcement
      default:
        if (u >= '0' && u <= '9' && (lit_ == lit::open || lit_ == lit::digits)) {
          lit_ = lit::digits;
          const std::uint64_t d = u - '0';
          if (lit_value_ > (std::numeric_limits<std::uint64_t>::max() - d) / 10) {
            lit_overflow_ = true;  // {18446744073709551616}: too big whatever the limit
          } else {
            lit_value_ = lit_value_ * 10 + d;
          }
        } else {
          lit_ = lit::none;
        }
        break;
    }
    prev_tilde_ = u == '~';
  }

  result r;
  if (mode_ == mode::discard) {
    // Nothing of a refused command is needed any more: let the caller drop it.
    r.consumed = pos_;
    pos_ = 0;
  }
  return r;
}

command_reader::result command_reader::next_line(std::string_view input) {
  result r;
  const std::size_t max = std::max<std::size_t>(pending_.max_line, 3);
  if (line_discard_) {
    const void* lf = std::memchr(input.data(), '\n', input.size());
    if (lf == nullptr) {
      r.consumed = input.size();
      return r;
    }
    line_discard_ = false;
    r.st = status::error;
    r.error = line_error_;
    r.consumed = static_cast<std::size_t>(static_cast<const char*>(lf) - input.data()) + 1;
    return r;
  }
  const std::size_t from = std::min(line_scanned_, input.size());
  const void* lf = std::memchr(input.data() + from, '\n', input.size() - from);
  if (lf == nullptr) {
    if (input.size() >= max) {
      // max bytes and no LF yet: the line is longer than the limit whatever comes next.
      line_discard_ = true;
      line_error_ = errc::line_too_long;
      line_scanned_ = 0;
      r.consumed = input.size();
      return r;
    }
    line_scanned_ = input.size();
    return r;
  }
  line_scanned_ = 0;
  const std::size_t lf_pos = static_cast<std::size_t>(static_cast<const char*>(lf) - input.data());
  r.consumed = lf_pos + 1;
  r.st = status::error;
  if (lf_pos + 1 > max) {
    r.error = errc::line_too_long;
  } else if (lf_pos == 0 || input[lf_pos - 1] != '\r') {
    r.error = errc::bare_lf;
  } else if (std::memchr(input.data(), '\r', lf_pos - 1) != nullptr) {
    r.error = errc::bare_cr;
  } else {
    r.st = status::command;
    r.text = input.substr(0, lf_pos - 1);
  }
  return r;
}

}  // namespace mssgw::imap::proto
