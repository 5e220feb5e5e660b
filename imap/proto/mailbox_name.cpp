#include "imap/proto/mailbox_name.hpp"

#include <cstdint>
#include <vector>

namespace mssgw::imap::proto {
namespace {

// RFC 3501 §5.1.3: modified BASE64 uses "," instead of "/".
constexpr char b64_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

int b64_value(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == ',') return 63;
  return -1;
}

bool is_control(std::uint32_t cp) { return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f); }

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xc0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xe0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    out.push_back(static_cast<char>(0xf0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
}

// Decodes one UTF-8 sequence at s[i]; returns the code point and advances i, or returns UINT32_MAX.
std::uint32_t next_utf8(std::string_view s, std::size_t& i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    ++i;
    return b0;
  }
  std::size_t len = 0;
  std::uint32_t cp = 0;
  std::uint32_t min = 0;
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    len = 2, cp = b0 & 0x1f, min = 0x80;
  } else if (b0 >= 0xe0 && b0 <= 0xef) {
    len = 3, cp = b0 & 0x0f, min = 0x800;
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    len = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    return UINT32_MAX;
  }
  if (s.size() - i < len) return UINT32_MAX;
  for (std::size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xc0) != 0x80) return UINT32_MAX;
    cp = (cp << 6) | (b & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return UINT32_MAX;
  i += len;
  return cp;
}

}  // namespace

bool is_valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    if (next_utf8(s, i) == UINT32_MAX) return false;
  }
  return true;
}

std::optional<std::string> mutf7_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  std::size_t i = 0;
  bool last_was_shift = false;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c > 0x7e) return std::nullopt;
    if (c != '&') {
      out.push_back(static_cast<char>(c));
      ++i;
      last_was_shift = false;
      continue;
    }
    ++i;
    if (i < s.size() && s[i] == '-') {  // "&-" is "&"
      out.push_back('&');
      ++i;
      last_was_shift = false;
      continue;
    }
    // RFC 3501 §5.1.3 asks for one shift per run of non-ASCII characters; "&AOk-&AOk-" is the non-canonical
    // spelling of "&AOkA6Q-". Refusing it keeps one name = one spelling (names are compared byte for byte).
    if (last_was_shift) return std::nullopt;
    std::uint32_t bits = 0;
    int nbits = 0;
    std::uint32_t high = 0;  // pending high surrogate
    std::size_t units = 0;
    while (true) {
      if (i >= s.size()) return std::nullopt;  // unterminated shift
      const auto d = static_cast<unsigned char>(s[i++]);
      if (d == '-') break;
      const int v = b64_value(d);
      if (v < 0) return std::nullopt;
      bits = (bits << 6) | static_cast<std::uint32_t>(v);
      nbits += 6;
      if (nbits >= 16) {
        nbits -= 16;
        const std::uint32_t unit = (bits >> nbits) & 0xffff;
        bits &= (1u << nbits) - 1;
        ++units;
        if (high != 0) {
          if (unit < 0xdc00 || unit > 0xdfff) return std::nullopt;
          append_utf8(out, 0x10000 + ((high - 0xd800) << 10) + (unit - 0xdc00));
          high = 0;
        } else if (unit >= 0xd800 && unit <= 0xdbff) {
          high = unit;
        } else if (unit >= 0xdc00 && unit <= 0xdfff) {
          return std::nullopt;  // lone low surrogate
        } else {
          // A printable ASCII character must represent itself (RFC 3501 §5.1.3).
          if (unit >= 0x20 && unit <= 0x7e) return std::nullopt;
          if (is_control(unit)) return std::nullopt;
          append_utf8(out, unit);
        }
      }
    }
    // Padding: fewer than 6 leftover bits, all zero; no dangling high surrogate; at least one character.
    if (units == 0 || high != 0 || nbits >= 6 || bits != 0) return std::nullopt;
    last_was_shift = true;
  }
  return out;
}

std::optional<std::string> mutf7_encode(std::string_view utf8) {
  std::string out;
  out.reserve(utf8.size() + 8);
  std::size_t i = 0;
  std::vector<std::uint16_t> run;
  auto flush = [&] {
    if (run.empty()) return;
    out.push_back('&');
    std::uint32_t bits = 0;
    int nbits = 0;
    for (const std::uint16_t u : run) {
      bits = (bits << 16) | u;
      nbits += 16;
      while (nbits >= 6) {
        nbits -= 6;
        out.push_back(b64_alphabet[(bits >> nbits) & 0x3f]);
      }
      bits &= (1u << nbits) - 1;
    }
    if (nbits > 0) out.push_back(b64_alphabet[(bits << (6 - nbits)) & 0x3f]);
    out.push_back('-');
    run.clear();
  };
  while (i < utf8.size()) {
    const std::uint32_t cp = next_utf8(utf8, i);
    if (cp == UINT32_MAX || is_control(cp)) return std::nullopt;
    if (cp >= 0x20 && cp <= 0x7e) {
      flush();
      if (cp == '&') {
        out += "&-";
      } else {
        out.push_back(static_cast<char>(cp));
      }
    } else if (cp >= 0x10000) {
      const std::uint32_t v = cp - 0x10000;
      run.push_back(static_cast<std::uint16_t>(0xd800 + (v >> 10)));
      run.push_back(static_cast<std::uint16_t>(0xdc00 + (v & 0x3ff)));
    } else {
      run.push_back(static_cast<std::uint16_t>(cp));
    }
  }
  flush();
  return out;
}

std::optional<std::string> decode_mailbox(std::string_view wire, bool utf8_mode) {
  if (!utf8_mode) return mutf7_decode(wire);
  std::size_t i = 0;
  while (i < wire.size()) {
    const std::uint32_t cp = next_utf8(wire, i);
    if (cp == UINT32_MAX || is_control(cp)) return std::nullopt;
  }
  return std::string(wire);
}

std::optional<std::string> encode_mailbox(std::string_view name, bool utf8_mode) {
  if (!utf8_mode) return mutf7_encode(name);
  return decode_mailbox(name, true);
}

std::string normalise_inbox(std::string name, char delimiter) {
  auto is_inbox_prefix = [&](std::size_t n) {
    static constexpr char inbox[] = "INBOX";
    for (std::size_t k = 0; k < n; ++k) {
      char c = name[k];
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
      if (c != inbox[k]) return false;
    }
    return true;
  };
  if (name.size() >= 5 && is_inbox_prefix(5) &&
      (name.size() == 5 || (delimiter != '\0' && name[5] == delimiter))) {
    name.replace(0, 5, "INBOX");
  }
  return name;
}

}  // namespace mssgw::imap::proto
