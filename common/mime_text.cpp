#include "common/mime_text.hpp"

#include <array>
#include <cstdint>

#include "common/ascii.hpp"

namespace mssgw::common {
namespace {

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

}  // namespace mssgw::common
