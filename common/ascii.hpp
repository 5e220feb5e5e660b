// ASCII case helpers for protocol tokens, header names, domains and DN attribute types (RFC 5321 §2.4, RFC 3501
// §9, RFC 5322 §1.2.2, RFC 4514 §3: case-insensitive in ASCII only). Locale-independent: bytes outside A-Z are
// compared and copied as they are, so UTF-8 passes through untouched.
#pragma once
#include <string>
#include <string_view>

namespace mssgw::common {

constexpr char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
constexpr char ascii_upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

constexpr bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

inline std::string ascii_lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ascii_lower(c);
  return out;
}

}  // namespace mssgw::common
