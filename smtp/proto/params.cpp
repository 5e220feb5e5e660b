#include "smtp/proto/params.hpp"

#include <limits>

#include "smtp/proto/codec.hpp"

namespace mssgw::smtp::proto {
namespace {

struct param {
  std::string_view keyword;
  std::string_view value;
  bool has_value = false;
};

// esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
bool is_keyword(std::string_view s) {
  if (s.empty() || !(is_alpha(s[0]) || is_digit(s[0]))) return false;
  for (char c : s)
    if (!(is_alpha(c) || is_digit(c) || c == '-')) return false;
  return true;
}

// esmtp-value = 1*(%d33-60 / %d62-126), plus UTF-8 with SMTPUTF8 (RFC 6531 §3.3).
bool is_value(std::string_view s, bool utf8) {
  if (s.empty()) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      if (!utf8) return false;
      const std::size_t n = utf8_sequence_length(s.substr(i));
      if (n == 0) return false;
      i += n - 1;
      continue;
    }
    if (c < 33 || c > 126 || c == '=') return false;
  }
  return true;
}

// Splits " A=b C" into parameters, calling `on(param)` for each; stops at the first error.
template <class F>
errc for_each_param(std::string_view text, bool utf8, F&& on) {
  while (!text.empty()) {
    if (text[0] != ' ') return errc::syntax_error;
    text.remove_prefix(1);
    const std::size_t end = text.find(' ');
    const std::string_view token = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end);
    if (token.empty()) return errc::syntax_error;  // two spaces in a row
    param p;
    const std::size_t eq = token.find('=');
    p.keyword = token.substr(0, eq);
    if (!is_keyword(p.keyword)) return errc::invalid_parameter;
    if (eq != std::string_view::npos) {
      p.has_value = true;
      p.value = token.substr(eq + 1);
      if (!is_value(p.value, utf8)) return errc::invalid_parameter;
    }
    if (const errc e = on(p); e != errc::ok) return e;
  }
  return errc::ok;
}

bool printable_ascii(std::string_view s) {
  for (char c : s)
    if (c < 32 || c > 126) return false;
  return true;
}

bool printable_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      const std::size_t n = utf8_sequence_length(s.substr(i));
      if (n == 0) return false;
      i += n - 1;
    } else if (c < 32 || c == 127) {
      return false;
    }
  }
  return true;
}

std::optional<std::uint64_t> parse_size(std::string_view v) {
  // RFC 1870: size-value ::= 1*20DIGIT
  if (v.empty() || v.size() > 20) return std::nullopt;
  std::uint64_t n = 0;
  constexpr auto max = std::numeric_limits<std::uint64_t>::max();
  for (char c : v) {
    if (!is_digit(c)) return std::nullopt;
    const auto d = static_cast<std::uint64_t>(c - '0');
    n = (n > (max - d) / 10) ? max : n * 10 + d;
  }
  return n;
}

// RFC 5322 atom for ORCPT's addr-type.
bool is_atom(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!is_atext(c)) return false;
  return true;
}

}  // namespace

errc parse_mail_params(std::string_view text, const extensions& ext, mail_params& out) {
  out = {};
  bool seen_size = false, seen_body = false, seen_utf8 = false, seen_ret = false, seen_envid = false, seen_auth = false;
  const auto once = [](bool& seen) {
    if (seen) return false;
    seen = true;
    return true;
  };
  return for_each_param(text, ext.smtputf8, [&](const param& p) -> errc {
    if (iequals(p.keyword, "SIZE")) {
      if (!ext.size) return errc::unknown_parameter;
      if (!once(seen_size)) return errc::duplicate_parameter;
      if (!p.has_value) return errc::invalid_parameter;
      out.size = parse_size(p.value);
      return out.size ? errc::ok : errc::invalid_parameter;
    }
    if (iequals(p.keyword, "BODY")) {
      if (!ext.eightbitmime && !ext.binarymime) return errc::unknown_parameter;
      if (!once(seen_body)) return errc::duplicate_parameter;
      if (!p.has_value) return errc::invalid_parameter;
      if (iequals(p.value, "7BIT")) {
        out.body = body_type::seven_bit;
      } else if (iequals(p.value, "8BITMIME")) {
        if (!ext.eightbitmime) return errc::unknown_parameter;
        out.body = body_type::eight_bit_mime;
      } else if (iequals(p.value, "BINARYMIME")) {
        // RFC 3030 §3: BINARYMIME only where advertised, and only with CHUNKING.
        if (!(ext.binarymime && ext.chunking)) return errc::unknown_parameter;
        out.body = body_type::binary_mime;
      } else {
        return errc::invalid_parameter;
      }
      return errc::ok;
    }
    if (iequals(p.keyword, "SMTPUTF8")) {
      if (!ext.smtputf8) return errc::unknown_parameter;
      if (!once(seen_utf8)) return errc::duplicate_parameter;
      if (p.has_value) return errc::invalid_parameter;  // RFC 6531 §3.4: no value
      out.smtputf8 = true;
      return errc::ok;
    }
    if (iequals(p.keyword, "RET")) {
      if (!ext.dsn) return errc::unknown_parameter;
      if (!once(seen_ret)) return errc::duplicate_parameter;
      if (p.has_value && iequals(p.value, "FULL")) {
        out.ret = dsn_ret::full;
      } else if (p.has_value && iequals(p.value, "HDRS")) {
        out.ret = dsn_ret::headers;
      } else {
        return errc::invalid_parameter;
      }
      return errc::ok;
    }
    if (iequals(p.keyword, "ENVID")) {
      if (!ext.dsn) return errc::unknown_parameter;
      if (!once(seen_envid)) return errc::duplicate_parameter;
      if (!p.has_value || p.value.size() > max_envid_xtext) return errc::invalid_parameter;
      auto decoded = xtext_decode(p.value);
      // RFC 3461 §4.4: printable US-ASCII only.
      if (!decoded || decoded->empty() || !printable_ascii(*decoded)) return errc::invalid_parameter;
      out.envid = std::move(decoded);
      return errc::ok;
    }
    if (iequals(p.keyword, "AUTH")) {
      if (!once(seen_auth)) return errc::duplicate_parameter;
      if (!p.has_value) return errc::invalid_parameter;
      auto decoded = xtext_decode(p.value);
      if (!decoded || decoded->empty() || !printable_utf8(*decoded)) return errc::invalid_parameter;
      out.auth = std::move(decoded);
      return errc::ok;
    }
    return errc::unknown_parameter;
  });
}

errc parse_rcpt_params(std::string_view text, const extensions& ext, bool smtputf8, rcpt_params& out) {
  out = {};
  bool seen_orcpt = false;
  return for_each_param(text, ext.smtputf8 && smtputf8, [&](const param& p) -> errc {
    if (iequals(p.keyword, "NOTIFY")) {
      if (!ext.dsn) return errc::unknown_parameter;
      if (out.notify.present) return errc::duplicate_parameter;
      out.notify.present = true;
      if (!p.has_value) return errc::invalid_parameter;
      // NOTIFY="NEVER" / 1#( "SUCCESS" / "FAILURE" / "DELAY" ): NEVER alone; each keyword once.
      std::string_view list = p.value;
      while (true) {
        const std::size_t comma = list.find(',');
        const std::string_view item = list.substr(0, comma);
        bool* flag = nullptr;
        if (iequals(item, "NEVER")) {
          flag = &out.notify.never;
        } else if (iequals(item, "SUCCESS")) {
          flag = &out.notify.success;
        } else if (iequals(item, "FAILURE")) {
          flag = &out.notify.failure;
        } else if (iequals(item, "DELAY")) {
          flag = &out.notify.delay;
        } else {
          return errc::invalid_parameter;  // includes empty items ("SUCCESS,,DELAY")
        }
        if (*flag) return errc::invalid_parameter;
        *flag = true;
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
      }
      if (out.notify.never && (out.notify.success || out.notify.failure || out.notify.delay))
        return errc::invalid_parameter;
      return errc::ok;
    }
    if (iequals(p.keyword, "ORCPT")) {
      if (!ext.dsn) return errc::unknown_parameter;
      if (seen_orcpt) return errc::duplicate_parameter;
      seen_orcpt = true;
      if (!p.has_value) return errc::invalid_parameter;
      const std::size_t semi = p.value.find(';');
      if (semi == std::string_view::npos) return errc::invalid_parameter;
      const std::string_view type = p.value.substr(0, semi);
      const std::string_view xtext = p.value.substr(semi + 1);
      if (!is_atom(type) || xtext.empty() || xtext.size() > max_orcpt_xtext) return errc::invalid_parameter;
      auto decoded = xtext_decode(xtext);
      if (!decoded) return errc::invalid_parameter;
      struct orcpt o;
      o.addr_type = to_lower(type);
      const bool utf8_ok = ext.smtputf8 && smtputf8;
      if (!(utf8_ok ? printable_utf8(*decoded) : printable_ascii(*decoded))) return errc::invalid_parameter;
      if (o.addr_type == "rfc822" && decoded->find('@') == std::string::npos) return errc::invalid_parameter;
      o.address = std::move(*decoded);
      out.orcpt = std::move(o);
      return errc::ok;
    }
    return errc::unknown_parameter;
  });
}

}  // namespace mssgw::smtp::proto
