#include "auth/identity.hpp"

namespace mssgw::auth {

std::string_view to_string(identity_kind k) {
  switch (k) {
    case identity_kind::professional: return "professional";
    case identity_kind::organisation: return "organisation";
    case identity_kind::patient: return "patient";
    case identity_kind::local_user: return "local_user";
  }
  return "?";
}

std::string_view to_string(mechanism_kind m) {
  switch (m) {
    case mechanism_kind::xoauth2: return "XOAUTH2";
    case mechanism_kind::oauthbearer: return "OAUTHBEARER";
    case mechanism_kind::external: return "EXTERNAL";
    case mechanism_kind::plain: return "PLAIN";
  }
  return "?";
}

std::optional<mechanism_kind> parse_mechanism(std::string_view name) {
  std::string upper;
  if (name.size() > 20) return std::nullopt;
  for (char c : name) upper.push_back(c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c);
  for (auto m :
       {mechanism_kind::xoauth2, mechanism_kind::oauthbearer, mechanism_kind::external, mechanism_kind::plain}) {
    if (upper == to_string(m)) return m;
  }
  return std::nullopt;
}

std::string_view identity::subject_dn() const {
  std::string_view v = id;
  if (kind == identity_kind::organisation && v.starts_with("dn:")) v.remove_prefix(3);
  return v;
}

std::string identity::describe() const {
  std::string out(to_string(kind));
  out.push_back(' ');
  std::string_view v = id;
  if (v.size() > 256) v = v.substr(0, 256);
  for (char c : v) out.push_back(static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? '?' : c);
  if (id.size() > 256) out.append("...");
  out.append(" via ");
  out.append(to_string(mechanism));
  return out;
}

bool valid_ins(std::string_view ins) {
  if (ins.size() != 15) return false;
  // NIR layout: sex (1), year (2), month (2), department (2, 0-based positions 5-6), commune (3), order (3), key (2).
  // Corsica writes its departments 2A and 2B; for the key only they count as 19 and 18.
  std::string digits(ins.substr(0, 13));
  if (digits[5] == '2' && (digits[6] == 'A' || digits[6] == 'B')) {
    digits[5] = '1';
    digits[6] = digits[6] == 'A' ? '9' : '8';
  }
  std::uint64_t number = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
    number = number * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (ins[13] < '0' || ins[13] > '9' || ins[14] < '0' || ins[14] > '9') return false;
  auto key = static_cast<std::uint64_t>((ins[13] - '0') * 10 + (ins[14] - '0'));
  return key == 97 - number % 97;
}

}  // namespace mssgw::auth
