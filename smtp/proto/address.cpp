#include "smtp/proto/address.hpp"

#include <arpa/inet.h>

#include "smtp/proto/codec.hpp"

namespace mssgw::smtp::proto {
namespace {

bool is_high(char c) {
  return static_cast<unsigned char>(c) >= 0x80;
}

// RFC 5321 §4.1.3: Snum = 1*3DIGIT, 0..255.
bool is_ipv4_literal(std::string_view s) {
  int parts = 0;
  std::size_t i = 0;
  while (true) {
    std::size_t digits = 0;
    int value = 0;
    while (i < s.size() && is_digit(s[i]) && digits < 4) {
      value = value * 10 + (s[i] - '0');
      ++i;
      ++digits;
    }
    if (digits == 0 || digits > 3 || value > 255) return false;
    ++parts;
    if (i == s.size()) return parts == 4;
    if (s[i] != '.' || parts == 4) return false;
    ++i;
  }
}

bool is_ipv6_literal(std::string_view s) {
  // RFC 5321 §4.1.3 IPv6-addr; inet_pton implements the same forms (full, compressed, with an IPv4 tail).
  if (s.empty() || s.size() > 45) return false;
  for (char c : s)
    if (!is_hex(c) && c != ':' && c != '.') return false;
  char buf[46];
  s.copy(buf, s.size());
  buf[s.size()] = '\0';
  unsigned char out[16];
  return inet_pton(AF_INET6, buf, out) == 1;
}

// Checks a Domain (not a literal). Sets `saw_utf8` when a label holds non-ASCII.
errc check_name(std::string_view s, bool& saw_utf8) {
  if (s.empty()) return errc::address_syntax;
  std::size_t label_start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == '.') {
      const std::string_view label = s.substr(label_start, i - label_start);
      // RFC 5321 sub-domain = Let-dig [Ldh-str]: no empty label, no hyphen at either end.
      if (label.empty() || label.front() == '-' || label.back() == '-') return errc::address_syntax;
      if (label.size() > 63) return errc::domain_too_long;  // RFC 1035 §2.3.4
      label_start = i + 1;
      continue;
    }
    const char c = s[i];
    if (is_alpha(c) || is_digit(c) || c == '-') continue;
    if (is_high(c)) {
      const std::size_t n = utf8_sequence_length(s.substr(i));
      if (n == 0) return errc::invalid_utf8;
      saw_utf8 = true;
      i += n - 1;
      continue;
    }
    return errc::address_syntax;
  }
  if (s.size() > max_domain) return errc::domain_too_long;
  return errc::ok;
}

errc check_literal(std::string_view s) {
  // s includes the brackets.
  if (s.size() < 3 || s.front() != '[' || s.back() != ']') return errc::address_syntax;
  const std::string_view inner = s.substr(1, s.size() - 2);
  if (istarts_with(inner, "IPv6:")) return is_ipv6_literal(inner.substr(5)) ? errc::ok : errc::address_syntax;
  // General-address-literal (Standardized-tag ":" dcontent) has no registered tag besides IPv6: refused.
  if (!is_ipv4_literal(inner)) return errc::address_syntax;
  if (s.size() > max_domain) return errc::domain_too_long;
  return errc::ok;
}

class cursor {
 public:
  explicit cursor(std::string_view s) : s_(s) {}
  bool done() const { return pos_ >= s_.size(); }
  char peek() const { return done() ? '\0' : s_[pos_]; }
  std::size_t pos() const { return pos_; }
  void advance(std::size_t n = 1) { pos_ += n; }
  std::string_view rest() const { return s_.substr(pos_); }
  std::string_view slice(std::size_t from, std::size_t to) const { return s_.substr(from, to - from); }

 private:
  std::string_view s_;
  std::size_t pos_ = 0;
};

// Local-part = Dot-string / Quoted-string. On success the cursor is on the '@'.
errc parse_local_part(cursor& c, path& out) {
  const std::size_t start = c.pos();
  if (c.peek() == '"') {
    out.quoted = true;
    c.advance();
    while (true) {
      if (c.done()) return errc::address_syntax;  // unterminated
      const char ch = c.peek();
      if (ch == '"') {
        c.advance();
        break;
      }
      if (ch == '\\') {
        // quoted-pairSMTP = %d92 %d32-126
        c.advance();
        const char q = c.peek();
        if (c.done() || q < 32 || q > 126) return errc::address_syntax;
        out.local_part.push_back(q);
        c.advance();
        continue;
      }
      if (is_high(ch)) {
        const std::size_t n = utf8_sequence_length(c.rest());
        if (n == 0) return errc::invalid_utf8;
        out.local_part.append(c.rest().substr(0, n));
        out.utf8 = true;
        c.advance(n);
        continue;
      }
      // qtextSMTP = %d32-33 / %d35-91 / %d93-126 ('"' and '\' handled above).
      if (ch < 32 || ch > 126) return errc::address_syntax;
      out.local_part.push_back(ch);
      c.advance();
    }
  } else {
    bool at_atom_start = true;
    while (!c.done()) {
      const char ch = c.peek();
      if (ch == '.') {
        if (at_atom_start) return errc::address_syntax;  // leading dot or ".."
        at_atom_start = true;
        out.local_part.push_back(ch);
        c.advance();
        continue;
      }
      if (is_atext(ch)) {
        out.local_part.push_back(ch);
        c.advance();
      } else if (is_high(ch)) {
        const std::size_t n = utf8_sequence_length(c.rest());
        if (n == 0) return errc::invalid_utf8;
        out.local_part.append(c.rest().substr(0, n));
        out.utf8 = true;
        c.advance(n);
      } else {
        break;
      }
      at_atom_start = false;
    }
    if (out.local_part.empty() || at_atom_start) return errc::address_syntax;  // empty or trailing dot
  }
  if (c.peek() != '@') return errc::address_syntax;
  if (c.pos() - start > max_local_part) return errc::local_part_too_long;
  return errc::ok;
}

// Domain or address literal, from the cursor up to (not including) `stop` characters.
errc parse_domain(cursor& c, path& out, bool allow_literal) {
  const std::size_t start = c.pos();
  if (c.peek() == '[') {
    if (!allow_literal) return errc::address_syntax;
    c.advance();  // '['
    // dcontent = %d33-90 / %d94-126: no '[', '\', ']' inside.
    while (!c.done() && c.peek() != ']') {
      const char ch = c.peek();
      if (ch < 33 || ch > 126 || ch == '[' || ch == '\\') return errc::address_syntax;
      c.advance();
    }
    if (c.done()) return errc::address_syntax;
    c.advance();  // ']'
    out.domain.assign(c.slice(start, c.pos()));
    out.literal = true;
    return check_literal(out.domain);
  }
  while (!c.done()) {
    const char ch = c.peek();
    if (is_alpha(ch) || is_digit(ch) || ch == '-' || ch == '.' || is_high(ch)) {
      c.advance();
    } else {
      break;
    }
  }
  out.domain.assign(c.slice(start, c.pos()));
  bool saw_utf8 = false;
  const errc e = check_name(out.domain, saw_utf8);
  if (saw_utf8) out.utf8 = true;
  return e;
}

// A-d-l = At-domain *( "," At-domain ) ":" (RFC 5321 §4.1.2); accepted and ignored (appendix C).
errc skip_source_route(cursor& c) {
  while (true) {
    if (c.peek() != '@') return errc::address_syntax;
    c.advance();
    path scratch;
    const errc e = parse_domain(c, scratch, false);
    if (e != errc::ok) return e;
    if (c.peek() == ',') {
      c.advance();
      continue;
    }
    if (c.peek() == ':') {
      c.advance();
      return errc::ok;
    }
    return errc::address_syntax;
  }
}

errc parse_mailbox_at(cursor& c, path& out) {
  errc e = parse_local_part(c, out);
  if (e != errc::ok) return e;
  c.advance();  // '@'
  return parse_domain(c, out, true);
}

}  // namespace

bool is_dot_string(std::string_view s, bool utf8) {
  if (s.empty()) return false;
  bool at_atom_start = true;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char ch = s[i];
    if (ch == '.') {
      if (at_atom_start) return false;
      at_atom_start = true;
      continue;
    }
    if (is_high(ch)) {
      if (!utf8) return false;
      const std::size_t n = utf8_sequence_length(s.substr(i));
      if (n == 0) return false;
      i += n - 1;
    } else if (!is_atext(ch)) {
      return false;
    }
    at_atom_start = false;
  }
  return !at_atom_start;
}

errc check_domain(std::string_view s, bool allow_literal, bool utf8) {
  if (!s.empty() && s.front() == '[') return allow_literal ? check_literal(s) : errc::address_syntax;
  bool saw_utf8 = false;
  const errc e = check_name(s, saw_utf8);
  if (e != errc::ok) return e;
  return saw_utf8 && !utf8 ? errc::non_ascii_address : errc::ok;
}

std::string path::canonical_local_part() const {
  if (is_dot_string(local_part, true)) return local_part;
  std::string out;
  out.reserve(local_part.size() + 2);
  out.push_back('"');
  for (char ch : local_part) {
    if (ch == '"' || ch == '\\') out.push_back('\\');
    out.push_back(ch);
  }
  out.push_back('"');
  return out;
}

std::string path::mailbox() const {
  if (is_null) return {};
  if (is_postmaster) return local_part;
  return canonical_local_part() + "@" + domain;
}

std::string path::normalised() const {
  if (is_null) return {};
  if (is_postmaster) return "postmaster";
  return canonical_local_part() + "@" + to_lower(domain);
}

path_result parse_path(std::string_view s, const path_options& opt) {
  path_result r;
  cursor c(s);
  if (c.peek() != '<') {
    r.error = errc::address_missing_brackets;
    return r;
  }
  c.advance();
  if (c.peek() == '>') {
    if (!opt.allow_null) {
      r.error = errc::null_path_not_allowed;
      return r;
    }
    r.value.is_null = true;
    r.consumed = 2;
    return r;
  }
  // RFC 5321 §4.1.1.3: "Postmaster" without a domain, matched case-insensitively.
  if (opt.allow_postmaster && istarts_with(c.rest(), "postmaster>")) {
    r.value.is_postmaster = true;
    r.value.local_part.assign(c.rest().substr(0, 10));
    r.consumed = 12;
    return r;
  }
  if (c.peek() == '@') {
    if (const errc e = skip_source_route(c); e != errc::ok) {
      r.error = e;
      return r;
    }
  }
  if (const errc e = parse_mailbox_at(c, r.value); e != errc::ok) {
    r.error = e;
    return r;
  }
  if (c.peek() != '>') {
    r.error = errc::address_syntax;
    return r;
  }
  c.advance();
  if (c.pos() > max_path) {
    r.error = errc::path_too_long;
    return r;
  }
  if (r.value.utf8 && !opt.smtputf8) {
    r.error = errc::non_ascii_address;
    return r;
  }
  r.consumed = c.pos();
  return r;
}

path_result parse_mailbox(std::string_view s, bool smtputf8) {
  path_result r;
  cursor c(s);
  if (const errc e = parse_mailbox_at(c, r.value); e != errc::ok) {
    r.error = e;
    return r;
  }
  if (!c.done()) {
    r.error = errc::address_syntax;
    return r;
  }
  if (r.value.utf8 && !smtputf8) {
    r.error = errc::non_ascii_address;
    return r;
  }
  r.consumed = c.pos();
  return r;
}

}  // namespace mssgw::smtp::proto
