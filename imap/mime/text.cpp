#include "imap/mime/text.hpp"

#include <array>
#include <cstring>

#include "common/ascii.hpp"
#include "imap/proto/date_time.hpp"

namespace mssgw::imap::mime {
namespace {

using common::iequals;

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xc0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    out.push_back(static_cast<char>(0xe0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
}

// Windows-1252 0x80..0x9F (undefined positions map to U+FFFD).
constexpr std::array<std::uint16_t, 32> cp1252_high = {
    0x20ac, 0xfffd, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160,
    0x2039, 0x0152, 0xfffd, 0x017d, 0xfffd, 0xfffd, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022,
    0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0xfffd, 0x017e, 0x0178};

enum class charset_kind { keep, latin1, latin9, cp1252 };

charset_kind kind_of(std::string_view cs) {
  // RFC 2231 §5: a language suffix "*fr" may follow the charset.
  if (auto star = cs.find('*'); star != std::string_view::npos) cs = cs.substr(0, star);
  if (iequals(cs, "iso-8859-1") || iequals(cs, "latin1") || iequals(cs, "iso8859-1") || iequals(cs, "l1") ||
      iequals(cs, "iso_8859-1")) {
    return charset_kind::latin1;
  }
  if (iequals(cs, "iso-8859-15") || iequals(cs, "latin9") || iequals(cs, "iso8859-15")) return charset_kind::latin9;
  if (iequals(cs, "windows-1252") || iequals(cs, "cp1252")) return charset_kind::cp1252;
  return charset_kind::keep;
}

std::uint32_t latin9(unsigned char c) {
  switch (c) {
    case 0xa4: return 0x20ac;
    case 0xa6: return 0x0160;
    case 0xa8: return 0x0161;
    case 0xb4: return 0x017d;
    case 0xb8: return 0x017e;
    case 0xbc: return 0x0152;
    case 0xbd: return 0x0153;
    case 0xbe: return 0x0178;
    default: return c;
  }
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

int b64_value(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// One encoded word "=?charset?enc?text?=" at s[i] (RFC 2047 §2). Returns its length, 0 if not one.
std::size_t encoded_word(std::string_view s, std::size_t i, std::string& out) {
  if (s.compare(i, 2, "=?") != 0) return 0;
  const std::size_t q1 = s.find('?', i + 2);
  if (q1 == std::string_view::npos || q1 + 2 >= s.size() || s[q1 + 2] != '?') return 0;
  const char enc = s[q1 + 1];
  const std::size_t end = s.find("?=", q1 + 3);
  if (end == std::string_view::npos) return 0;
  const std::string_view charset = s.substr(i + 2, q1 - i - 2);
  const std::string_view text = s.substr(q1 + 3, end - q1 - 3);
  if (charset.empty() || text.find(' ') != std::string_view::npos) return 0;
  std::string bytes;
  if (enc == 'B' || enc == 'b') {
    bytes = decode_base64(text);
  } else if (enc == 'Q' || enc == 'q') {
    bytes = decode_quoted_printable(text, true);
  } else {
    return 0;
  }
  out += to_utf8(bytes, charset);
  return end + 2 - i;
}

bool is_wsp(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

}  // namespace

std::string to_utf8(std::string_view bytes, std::string_view charset) {
  const charset_kind k = kind_of(charset);
  if (k == charset_kind::keep) return std::string(bytes);
  std::string out;
  out.reserve(bytes.size() + bytes.size() / 4);
  for (const char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x80) {
      out.push_back(ch);
    } else if (k == charset_kind::cp1252 && c < 0xa0) {
      append_utf8(out, cp1252_high[c - 0x80]);
    } else if (k == charset_kind::latin9) {
      append_utf8(out, latin9(c));
    } else {
      append_utf8(out, c);
    }
  }
  return out;
}

std::string decode_header_text(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  std::size_t i = 0;
  bool last_was_word = false;
  std::size_t pending_space_at = std::string::npos;  // where white space after an encoded word starts in `out`
  while (i < raw.size()) {
    if (raw[i] == '=' && i + 1 < raw.size() && raw[i + 1] == '?') {
      std::string decoded;
      if (std::size_t n = encoded_word(raw, i, decoded)) {
        // §6.2: white space between two adjacent encoded words is not displayed.
        if (last_was_word && pending_space_at != std::string::npos) out.resize(pending_space_at);
        out += decoded;
        i += n;
        last_was_word = true;
        pending_space_at = std::string::npos;
        continue;
      }
    }
    if (is_wsp(raw[i])) {
      if (last_was_word && pending_space_at == std::string::npos) pending_space_at = out.size();
      if (out.empty() || out.back() != ' ') out.push_back(' ');
      ++i;
      continue;
    }
    last_was_word = false;
    pending_space_at = std::string::npos;
    out.push_back(raw[i++]);
  }
  return out;
}

std::string fold(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(fold_byte(static_cast<unsigned char>(c)));
  return out;
}

std::optional<sent_date> parse_rfc5322_date(std::string_view s) {
  std::size_t i = 0;
  auto skip = [&] {
    while (i < s.size()) {
      if (is_wsp(s[i])) {
        ++i;
      } else if (s[i] == '(') {  // comments (CFWS)
        int depth = 0;
        while (i < s.size()) {
          char c = s[i++];
          if (c == '(') ++depth;
          if (c == ')' && --depth == 0) break;
        }
      } else {
        break;
      }
    }
  };
  auto number = [&](int max_digits, int& out) {
    int n = 0, digits = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9' && digits < max_digits) {
      n = n * 10 + (s[i] - '0');
      ++i;
      ++digits;
    }
    out = n;
    return digits;
  };
  skip();
  // Optional day name and comma.
  if (i < s.size() && ((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z'))) {
    while (i < s.size() && s[i] != ',' && !(s[i] >= '0' && s[i] <= '9')) ++i;
    if (i < s.size() && s[i] == ',') ++i;
    skip();
  }
  int day = 0, year = 0, hour = 0, minute = 0, second = 0;
  if (number(2, day) == 0) return std::nullopt;
  skip();
  if (i < s.size() && s[i] == '-') ++i;  // "1-Jan-2024" seen in the wild
  static constexpr std::string_view months[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                                "jul", "aug", "sep", "oct", "nov", "dec"};
  if (i + 3 > s.size()) return std::nullopt;
  int month = 0;
  for (int m = 0; m < 12; ++m) {
    if (iequals(s.substr(i, 3), months[m])) month = m + 1;
  }
  if (month == 0) return std::nullopt;
  i += 3;
  while (i < s.size() && ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z'))) ++i;  // "June"
  skip();
  if (i < s.size() && s[i] == '-') ++i;
  const int year_digits = number(4, year);
  if (year_digits == 0) return std::nullopt;
  if (year_digits == 2) year += year < 50 ? 2000 : 1900;  // RFC 5322 §4.3
  if (year_digits == 3) year += 1900;
  skip();
  if (number(2, hour) > 0) {
    if (i < s.size() && s[i] == ':') {
      ++i;
      number(2, minute);
      if (i < s.size() && s[i] == ':') {
        ++i;
        number(2, second);
      }
    }
  }
  skip();
  int zone = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    const int sign = s[i] == '-' ? -1 : 1;
    ++i;
    int hhmm = 0;
    if (number(4, hhmm) == 4) zone = sign * ((hhmm / 100) * 60 + hhmm % 100);
  } else if (i < s.size()) {
    static constexpr std::pair<std::string_view, int> named[] = {
        {"EST", -300}, {"EDT", -240}, {"CST", -360}, {"CDT", -300}, {"MST", -420}, {"MDT", -360},
        {"PST", -480}, {"PDT", -420}, {"CET", 60},   {"CEST", 120}};
    std::size_t start = i;
    while (i < s.size() && ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z'))) ++i;
    std::string_view name = s.substr(start, i - start);
    for (const auto& [n, minutes] : named) {
      if (iequals(name, n)) zone = minutes;
    }
  }
  if (month < 1 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  proto::date d{year, month, day};
  proto::date_time dt{d, hour, minute, second, zone};
  return sent_date{proto::to_unix(dt), proto::to_days(d)};
}

// RFC 5256 §2.1.
std::string base_subject(std::string_view subject) {
  // (1) decoded already; collapse white space.
  std::string s;
  s.reserve(subject.size());
  for (char c : subject) {
    if (is_wsp(c)) {
      if (!s.empty() && s.back() != ' ') s.push_back(' ');
    } else {
      s.push_back(c);
    }
  }
  auto trim_front = [](std::string_view v) {
    while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
    return v;
  };
  std::string_view v = s;
  for (int guard = 0; guard < 1000; ++guard) {
    bool changed = false;
    // (2) trailing subj-trailer "(fwd)" and white space.
    while (true) {
      while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
      if (v.size() >= 5 && iequals(v.substr(v.size() - 5), "(fwd)")) {
        v.remove_suffix(5);
        continue;
      }
      break;
    }
    // (3) leading subj-refwd and subj-blob, repeatedly.
    for (;;) {
      v = trim_front(v);
      std::string_view w = v;
      // subj-blob
      auto skip_blob = [](std::string_view x) -> std::string_view {
        if (x.empty() || x.front() != '[') return x;
        const auto close = x.find(']');
        if (close == std::string_view::npos) return x;
        const auto inner = x.substr(1, close - 1);
        if (inner.find('[') != std::string_view::npos) return x;
        x.remove_prefix(close + 1);
        while (!x.empty() && x.front() == ' ') x.remove_prefix(1);
        return x;
      };
      std::size_t n = 0;
      if (w.size() >= 2 && iequals(w.substr(0, 2), "re")) {
        n = 2;
      } else if (w.size() >= 3 && iequals(w.substr(0, 3), "fwd")) {
        n = 3;
      } else if (w.size() >= 2 && iequals(w.substr(0, 2), "fw")) {
        n = 2;
      }
      if (n > 0) {
        std::string_view rest = trim_front(w.substr(n));
        rest = skip_blob(rest);
        if (!rest.empty() && rest.front() == ':') {
          v = rest.substr(1);
          changed = true;
          continue;
        }
      }
      std::string_view after_blob = skip_blob(w);
      if (after_blob.size() != w.size() && !after_blob.empty()) {
        v = after_blob;
        changed = true;
        continue;
      }
      break;
    }
    // (6) "[fwd:" ... "]"
    if (v.size() >= 6 && iequals(v.substr(0, 5), "[fwd:") && v.back() == ']') {
      v = v.substr(5, v.size() - 6);
      changed = true;
    }
    if (!changed) break;
  }
  std::string out(v);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  }
  return out;
}

std::string decode_base64(std::string_view in) {
  std::string out;
  out.reserve(in.size() / 4 * 3 + 3);
  std::uint32_t acc = 0;
  int bits = 0;
  for (const char ch : in) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '=') break;
    const int v = b64_value(c);
    if (v < 0) continue;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

std::string decode_quoted_printable(std::string_view in, bool header_q) {
  std::string out;
  out.reserve(in.size());
  std::size_t i = 0;
  while (i < in.size()) {
    const char c = in[i];
    if (c == '_' && header_q) {
      out.push_back(' ');
      ++i;
    } else if (c == '=') {
      if (i + 2 < in.size() && hex_value(in[i + 1]) >= 0 && hex_value(in[i + 2]) >= 0) {
        out.push_back(static_cast<char>(hex_value(in[i + 1]) * 16 + hex_value(in[i + 2])));
        i += 3;
        continue;
      }
      // Soft line break: "=" then optional transport padding then CRLF or LF.
      std::size_t j = i + 1;
      while (j < in.size() && (in[j] == ' ' || in[j] == '\t')) ++j;
      if (j < in.size() && in[j] == '\r' && j + 1 < in.size() && in[j + 1] == '\n') {
        i = j + 2;
        continue;
      }
      if (j < in.size() && in[j] == '\n') {
        i = j + 1;
        continue;
      }
      if (j == in.size() && !header_q) {
        i = j;
        continue;
      }
      out.push_back('=');
      ++i;
    } else {
      out.push_back(c);
      ++i;
    }
  }
  return out;
}

}  // namespace mssgw::imap::mime
