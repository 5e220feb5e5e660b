#include "imap/proto/value.hpp"

#include <cstring>
#include <limits>

#include "common/ascii.hpp"
#include "imap/proto/mailbox_name.hpp"
#include "imap/proto/response.hpp"

namespace mssgw::imap::proto {
namespace {

// Generic atom characters: ATOM-CHAR plus list-wildcards ("%" "*", for LIST patterns and sequence sets) and "]"
// (ASTRING-CHAR). "\" only starts a flag; "{" starts a literal; "(" ")" DQUOTE SP CTL and 8-bit never belong.
bool is_generic_atom_char(unsigned char c) {
  if (c <= 0x20 || c >= 0x7f) return false;
  switch (c) {
    case '(': case ')': case '{': case '"': case '\\': return false;
    default: return true;
  }
}

using common::iequals;

// RFC 3501 §9 fetch-att: the atoms after which "[" opens a section that may hold SP, lists and strings.
bool is_section_prefix(std::string_view atom) {
  return iequals(atom, "BODY") || iequals(atom, "BODY.PEEK") || iequals(atom, "BINARY") ||
         iequals(atom, "BINARY.PEEK") || iequals(atom, "BINARY.SIZE");
}

bool is_bad_octet(unsigned char c) { return c < 0x20 || c >= 0x7f; }

class lexer {
 public:
  lexer(std::string_view s, std::size_t max_depth, bool response_syntax)
      : s_(s), max_depth_(max_depth), response_syntax_(response_syntax) {}

  errc values(std::vector<value>& out) {
    if (s_.empty()) return errc::ok;
    while (true) {
      value v;
      if (const errc e = read(v, 0); e != errc::ok) return e;
      out.push_back(std::move(v));
      if (pos_ == s_.size()) return errc::ok;
      if (s_[pos_] != ' ') return stray();
      ++pos_;
    }
  }

  std::size_t pos() const { return pos_; }

 private:
  errc stray() const {
    return is_bad_octet(static_cast<unsigned char>(s_[pos_])) ? errc::invalid_character : errc::syntax_error;
  }

  errc read(value& v, std::size_t depth) {
    if (pos_ >= s_.size()) return errc::syntax_error;  // a value was expected (e.g. after SP)
    switch (s_[pos_]) {
      case '(': return read_list(v, depth);
      case '"': return read_quoted(v);
      case '{': return read_literal(v, false);
      case '~':
        if (pos_ + 1 < s_.size() && s_[pos_ + 1] == '{') {
          ++pos_;
          return read_literal(v, true);
        }
        break;
      default: break;
    }
    return read_atom(v, depth);
  }

  errc read_list(value& v, std::size_t depth) {
    if (depth + 1 > max_depth_) return errc::nesting_too_deep;
    ++pos_;
    v.k = value::kind::list;
    if (pos_ < s_.size() && s_[pos_] == ')') {
      ++pos_;
      return errc::ok;
    }
    while (true) {
      value item;
      if (const errc e = read(item, depth + 1); e != errc::ok) return e;
      v.items.push_back(std::move(item));
      if (pos_ >= s_.size()) return errc::syntax_error;  // unterminated list
      if (s_[pos_] == ')') {
        ++pos_;
        return errc::ok;
      }
      if (response_syntax_ && s_[pos_] == '(' && v.items.back().is_list()) continue;
      if (s_[pos_] != ' ') return stray();
      ++pos_;
    }
  }

  // RFC 3501 §9 quoted; RFC 9051 §9 adds UTF-8 (QUOTED-CHAR =/ UTF8-2 / UTF8-3 / UTF8-4).
  errc read_quoted(value& v) {
    ++pos_;
    v.k = value::kind::quoted;
    bool eight_bit = false;
    while (pos_ < s_.size()) {
      auto c = static_cast<unsigned char>(s_[pos_++]);
      if (c == '"') {
        if (eight_bit && !is_valid_utf8(v.text)) return errc::invalid_utf8;
        return errc::ok;
      }
      if (c == '\\') {
        if (pos_ >= s_.size()) return errc::unterminated_quoted;
        c = static_cast<unsigned char>(s_[pos_++]);
        if (c != '"' && c != '\\') return errc::invalid_escape;
      } else if (c == '\r' || c == '\n') {
        return errc::unterminated_quoted;
      } else if (c == 0) {
        return errc::invalid_character;
      }
      if (c >= 0x80) eight_bit = true;
      v.text.push_back(static_cast<char>(c));
    }
    return errc::unterminated_quoted;
  }

  // literal = "{" number64 ["+"] "}" CRLF *CHAR8 (RFC 9051 §9, RFC 7888); literal8 = "~{" ... (RFC 3516).
  errc read_literal(value& v, bool binary) {
    ++pos_;  // "{"
    std::uint64_t n = 0;
    std::size_t digits = 0;
    while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') {
      const std::uint64_t d = static_cast<std::uint64_t>(s_[pos_] - '0');
      if (n > (std::numeric_limits<std::uint64_t>::max() - d) / 10) return errc::invalid_literal;
      n = n * 10 + d;
      ++digits;
      ++pos_;
    }
    if (digits == 0) return errc::invalid_literal;
    if (pos_ < s_.size() && s_[pos_] == '+') ++pos_;
    if (s_.substr(pos_, 3) != "}\r\n") return errc::invalid_literal;
    pos_ += 3;
    if (n > s_.size() - pos_) return errc::invalid_literal;  // fewer octets than announced
    v.k = value::kind::literal;
    v.binary = binary;
    v.text.assign(s_.substr(pos_, static_cast<std::size_t>(n)));
    pos_ += static_cast<std::size_t>(n);
    if (!binary && std::memchr(v.text.data(), 0, v.text.size()) != nullptr) return errc::nul_in_literal;
    return errc::ok;
  }

  errc read_atom(value& v, std::size_t depth) {
    const std::size_t start = pos_;
    if (s_[pos_] == '\\') ++pos_;  // flag: "\Seen", "\*"
    while (pos_ < s_.size()) {
      const auto c = static_cast<unsigned char>(s_[pos_]);
      if (c == '[' && is_section_prefix(s_.substr(start, pos_ - start))) {
        if (const errc e = skip_section(depth); e != errc::ok) return e;
        continue;
      }
      if (!is_generic_atom_char(c)) break;
      ++pos_;
    }
    if (pos_ == start || (pos_ == start + 1 && s_[start] == '\\')) {
      return pos_ < s_.size() ? stray() : errc::syntax_error;
    }
    v.text.assign(s_.substr(start, pos_ - start));
    if (iequals(v.text, "NIL")) {
      v.k = value::kind::nil;
      return errc::ok;
    }
    v.k = value::kind::atom;
    std::uint64_t n = 0;
    for (const char c : v.text) {
      if (c < '0' || c > '9') return errc::ok;
      const std::uint64_t d = static_cast<std::uint64_t>(c - '0');
      if (n > (std::numeric_limits<std::uint64_t>::max() - d) / 10) return errc::ok;  // stays an atom
      n = n * 10 + d;
    }
    v.k = value::kind::number;
    v.number = n;
    return errc::ok;
  }

  // "[" ... "]" of a fetch section: header-list lists, astrings (quoted, literal) and SP are allowed inside.
  // Only the extent is found here; parse_fetch_att() parses the content.
  errc skip_section(std::size_t depth) {
    ++pos_;  // "["
    std::size_t inner = 0;
    while (pos_ < s_.size()) {
      const auto c = static_cast<unsigned char>(s_[pos_]);
      switch (c) {
        case ']':
          if (inner != 0) return errc::syntax_error;
          ++pos_;
          return errc::ok;
        case '(':
          ++inner;
          if (depth + inner > max_depth_) return errc::nesting_too_deep;
          ++pos_;
          break;
        case ')':
          if (inner == 0) return errc::syntax_error;
          --inner;
          ++pos_;
          break;
        case '"': {
          value ignored;
          if (const errc e = read_quoted(ignored); e != errc::ok) return e;
          break;
        }
        case '{': {
          value ignored;
          if (const errc e = read_literal(ignored, false); e != errc::ok) return e;
          break;
        }
        case ' ': ++pos_; break;
        default:
          if (!is_generic_atom_char(c) && c != '\\') return stray();
          ++pos_;
          break;
      }
    }
    return errc::syntax_error;  // unterminated section
  }

  std::string_view s_;
  std::size_t max_depth_;
  bool response_syntax_;
  std::size_t pos_ = 0;
};

}  // namespace

bool is_atom_char(unsigned char c) {
  if (c <= 0x20 || c >= 0x7f) return false;
  switch (c) {
    case '(': case ')': case '{': case '%': case '*': case '"': case '\\': case ']': return false;
    default: return true;
  }
}

bool is_astring_char(unsigned char c) { return c == ']' || is_atom_char(c); }

values_result parse_values(std::string_view text, std::size_t max_depth, bool response_syntax) {
  values_result r;
  lexer lx(text, max_depth, response_syntax);
  r.error = lx.values(r.values);
  if (r.error != errc::ok) {
    r.offset = lx.pos();
    r.values.clear();
  }
  return r;
}

void write_value(std::string& out, const value& v, bool utf8) {
  switch (v.k) {
    case value::kind::atom:
    case value::kind::number:
    case value::kind::nil: out += v.text; return;
    case value::kind::quoted: write_string(out, v.text, utf8); return;
    case value::kind::literal:
      if (v.binary) {
        write_literal8(out, v.text);
      } else {
        write_literal(out, v.text);
      }
      return;
    case value::kind::list:
      out.push_back('(');
      for (std::size_t i = 0; i < v.items.size(); ++i) {
        if (i != 0) out.push_back(' ');
        write_value(out, v.items[i], utf8);
      }
      out.push_back(')');
      return;
  }
}

}  // namespace mssgw::imap::proto
