#include "smtp/proto/reply.hpp"

#include <algorithm>
#include <cstring>

#include "smtp/proto/codec.hpp"

namespace mssgw::smtp::proto {
namespace {

constexpr std::size_t max_reply_line = 512;  // RFC 5321 §4.5.3.1.5, CRLF included

// Replies are ASCII (RFC 5321 §2.4); nothing a caller passes may break the framing.
std::string sanitise(std::string_view text, std::size_t max_len) {
  std::string out;
  out.reserve(std::min(text.size(), max_len));
  for (char ch : text) {
    if (out.size() == max_len) break;
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 32 && c <= 126) {
      out.push_back(ch);
    } else if (c >= 0x80) {
      out.push_back('?');
    } else {
      out.push_back(' ');
    }
  }
  return out;
}

std::size_t text_room(std::string_view enhanced) {
  // "ddd" + separator + [enhanced + " "] + text + CRLF <= 512
  return max_reply_line - 4 - (enhanced.empty() ? 0 : enhanced.size() + 1) - 2;
}

void append_line(std::string& out, int code, char sep, std::string_view enhanced, std::string_view text) {
  // Always three digits; a caller's out-of-range code cannot break the framing.
  const int c = code < 0 ? 0 : code % 1000;
  const char digits[3] = {static_cast<char>('0' + c / 100), static_cast<char>('0' + c / 10 % 10),
                          static_cast<char>('0' + c % 10)};
  out.append(digits, 3);
  out.push_back(sep);
  if (!enhanced.empty()) {
    out.append(enhanced);
    if (!text.empty()) out.push_back(' ');
  }
  out.append(text);
  out.append("\r\n");
}

int digit(char c) {
  return c - '0';
}

bool valid_code_chars(std::string_view line) {
  // RFC 5321 §4.2: first digit 2..5, second 0..5, third 0..9.
  return line.size() >= 3 && line[0] >= '2' && line[0] <= '5' && line[1] >= '0' && line[1] <= '5' && is_digit(line[2]);
}

// If `text` starts with an enhanced code of class `cls` followed by SP or the end, returns its length.
std::size_t enhanced_prefix(std::string_view text, char cls) {
  if (text.empty() || text[0] != cls) return 0;
  std::size_t end = text.find(' ');
  if (end == std::string_view::npos) end = text.size();
  return is_enhanced_code(text.substr(0, end)) ? end : 0;
}

}  // namespace

bool is_enhanced_code(std::string_view s) {
  // RFC 3463 §2: class "." subject "." detail; class 2/4/5; subject and detail 1*3digit.
  if (s.size() < 5 || (s[0] != '2' && s[0] != '4' && s[0] != '5') || s[1] != '.') return false;
  std::size_t i = 2;
  for (int part = 0; part < 2; ++part) {
    const std::size_t start = i;
    while (i < s.size() && is_digit(s[i])) ++i;
    const std::size_t n = i - start;
    if (n == 0 || n > 3 || (n > 1 && s[start] == '0')) return false;
    if (part == 0) {
      if (i >= s.size() || s[i] != '.') return false;
      ++i;
    }
  }
  return i == s.size();
}

std::string reply::to_wire() const {
  std::string out;
  append_wire(out);
  return out;
}

void reply::append_wire(std::string& out) const {
  if (lines.empty()) {
    append_line(out, code, ' ', enhanced, {});
    return;
  }
  for (std::size_t i = 0; i < lines.size(); ++i)
    append_line(out, code, i + 1 == lines.size() ? ' ' : '-', enhanced, lines[i]);
}

std::string reply::text() const {
  std::string out;
  for (const auto& l : lines) {
    if (!out.empty()) out.append("; ");
    out.append(l);
  }
  return out;
}

reply make_reply(int code, std::string_view enhanced, std::string_view text) {
  reply r;
  r.code = code;
  if (is_enhanced_code(enhanced) && enhanced[0] == static_cast<char>('0' + code / 100)) r.enhanced = enhanced;
  r.lines.push_back(sanitise(text, text_room(r.enhanced)));
  return r;
}

reply make_reply(int code, std::string_view enhanced, std::vector<std::string> lines) {
  reply r = make_reply(code, enhanced, std::string_view{});
  r.lines.clear();
  const std::size_t room = text_room(r.enhanced);
  for (auto& l : lines) r.lines.push_back(sanitise(l, room));
  if (r.lines.empty()) r.lines.emplace_back();
  return r;
}

std::string format_reply(int code, std::string_view enhanced, std::string_view text) {
  return make_reply(code, enhanced, text).to_wire();
}

reply ehlo_reply(std::string_view hostname, const extensions& ext) {
  reply r;
  r.code = 250;
  r.lines.push_back(sanitise(hostname, text_room({})));
  if (ext.pipelining) r.lines.emplace_back("PIPELINING");
  if (ext.size) r.lines.push_back(ext.max_size ? "SIZE " + std::to_string(ext.max_size) : "SIZE");
  if (ext.eightbitmime) r.lines.emplace_back("8BITMIME");
  if (ext.enhancedstatuscodes) r.lines.emplace_back("ENHANCEDSTATUSCODES");
  if (ext.dsn) r.lines.emplace_back("DSN");
  if (ext.starttls) r.lines.emplace_back("STARTTLS");
  if (!ext.auth.empty()) {
    std::string line = "AUTH";
    for (const auto& m : ext.auth) {
      line.push_back(' ');
      line.append(m);
    }
    r.lines.push_back(sanitise(line, text_room({})));
  }
  if (ext.chunking) r.lines.emplace_back("CHUNKING");
  if (ext.chunking && ext.binarymime) r.lines.emplace_back("BINARYMIME");
  if (ext.smtputf8) r.lines.emplace_back("SMTPUTF8");
  return r;
}

reply_parser::reply_parser(reply_limits limits) : limits_(limits) {
  limits_.max_line = std::max<std::size_t>(limits_.max_line, 5);
  limits_.max_lines = std::max<std::size_t>(limits_.max_lines, 1);
}

void reply_parser::reset() {
  scanned_ = 0;
  discarding_ = false;
  partial_ = {};
  in_reply_ = false;
}

reply_parser::result reply_parser::next(std::string_view input) {
  result r;
  const auto fail = [&](errc e) {
    r.st = status::error;
    r.error = e;
    partial_ = {};
    in_reply_ = false;
    return r;
  };
  // Lines of one reply are consumed as they come; we return only with a whole reply, an error, or when no
  // complete line is left (need_more), so a caller's loop never waits for bytes it already has.
  while (true) {
    const std::string_view in = input.substr(r.consumed);
    if (discarding_) {
      const void* lf = std::memchr(in.data(), '\n', in.size());
      if (lf == nullptr) {
        r.consumed = input.size();
        return r;
      }
      discarding_ = false;
      scanned_ = 0;
      r.consumed += static_cast<std::size_t>(static_cast<const char*>(lf) - in.data()) + 1;
      return fail(errc::reply_line_too_long);
    }
    const std::size_t from = std::min(scanned_, in.size());
    const std::size_t window = std::min(in.size(), limits_.max_line);
    const void* lf = from < window ? std::memchr(in.data() + from, '\n', window - from) : nullptr;
    if (lf == nullptr) {
      if (in.size() >= limits_.max_line) {
        // Same rule as line_reader: never hold more than max_line bytes of one line.
        scanned_ = 0;
        discarding_ = true;
        continue;
      }
      scanned_ = in.size();
      return r;
    }
    scanned_ = 0;
    const std::size_t lf_pos = static_cast<std::size_t>(static_cast<const char*>(lf) - in.data());
    r.consumed += lf_pos + 1;
    if (lf_pos == 0 || in[lf_pos - 1] != '\r') return fail(errc::reply_bare_lf);
    const std::string_view line = in.substr(0, lf_pos - 1);
    if (std::memchr(line.data(), '\r', line.size()) != nullptr) return fail(errc::reply_syntax);
    if (!valid_code_chars(line)) return fail(errc::reply_syntax);
    const int code = digit(line[0]) * 100 + digit(line[1]) * 10 + digit(line[2]);
    bool last;
    std::string_view text;
    if (line.size() == 3) {
      last = true;  // "ddd" alone (RFC 5321 §4.2: the text is optional)
    } else if (line[3] == ' ') {
      last = true;
      text = line.substr(4);
    } else if (line[3] == '-') {
      last = false;
      text = line.substr(4);
    } else {
      return fail(errc::reply_syntax);
    }
    // RFC 5321 §4.2.1: every line of a multi-line reply carries the same code.
    if (in_reply_ && code != partial_.code) return fail(errc::reply_code_mismatch);
    if (partial_.lines.size() >= limits_.max_lines) return fail(errc::reply_too_many_lines);
    if (!in_reply_) {
      in_reply_ = true;
      partial_.code = code;
      // RFC 2034 §4 / RFC 3463 §2: the enhanced code follows the reply code; its class is the code's first digit.
      if (const std::size_t n = enhanced_prefix(text, line[0]); n > 0) partial_.enhanced.assign(text.substr(0, n));
    }
    const std::string_view enh = partial_.enhanced;
    if (!enh.empty() && text.substr(0, enh.size()) == enh && (text.size() == enh.size() || text[enh.size()] == ' '))
      text.remove_prefix(std::min(text.size(), enh.size() + 1));
    partial_.lines.emplace_back(text);
    if (!last) continue;
    r.st = status::reply;
    r.value = std::move(partial_);
    partial_ = {};
    in_reply_ = false;
    return r;
  }
}

}  // namespace mssgw::smtp::proto
