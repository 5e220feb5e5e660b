#include "directory/ldif.hpp"

#include <array>

#include "common/ascii.hpp"

namespace mssgw::directory {
namespace {

constexpr std::array<std::string_view, field_count> attribute_names = {
    "mssgwPpIdType",
    "mssgwPpId",
    "mssgwIdNat",
    "mssgwStructureIdType",
    "mssgwStructureId",
    "mssgwService",
    "mssgwCivility",
    "sn",
    "givenName",
    "mssgwProfessionCategory",
    "mssgwProfessionCategoryLabel",
    "mssgwProfessionCode",
    "mssgwProfessionLabel",
    "mssgwSavoirFaireCode",
    "mssgwSavoirFaireLabel",
    "mssgwDematerialisation",
    "mssgwStructureName",
    "mssgwStructureBrand",
    "mssgwAddressLocation",
    "mssgwAddressDistribution",
    "mssgwAddressStreetNumber",
    "mssgwAddressStreetNumberComplement",
    "mssgwAddressStreetType",
    "mssgwAddressStreetName",
    "mssgwAddressPlace",
    "mssgwAddressDelivery",
    "mssgwPostalCode",
    "mssgwDepartement",
    "mssgwCountry",
};

bool iequal(std::string_view a, std::string_view b) { return common::iequals(a, b); }

// RFC 2849 SAFE-STRING, and no trailing space (which the RFC says SHOULD be base64-encoded).
bool safe_string(std::string_view v) {
  if (v.empty()) return true;
  auto first = static_cast<unsigned char>(v.front());
  if (first == ' ' || first == ':' || first == '<') return false;
  if (v.back() == ' ') return false;
  for (char c : v) {
    auto u = static_cast<unsigned char>(c);
    if (u == 0 || u == '\n' || u == '\r' || u >= 0x80) return false;
  }
  return true;
}

std::string base64(std::string_view in) {
  static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    std::uint32_t v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                      static_cast<unsigned char>(in[i + 2]);
    out.push_back(alphabet[(v >> 18) & 63]);
    out.push_back(alphabet[(v >> 12) & 63]);
    out.push_back(alphabet[(v >> 6) & 63]);
    out.push_back(alphabet[v & 63]);
  }
  if (i < in.size()) {
    std::uint32_t v = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    out.push_back(alphabet[(v >> 18) & 63]);
    out.push_back(alphabet[(v >> 12) & 63]);
    out.push_back(i + 1 < in.size() ? alphabet[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

}  // namespace

std::string_view ldap_attribute(field f) { return attribute_names[static_cast<std::size_t>(f)]; }

std::optional<field> field_for_attribute(std::string_view name) {
  for (std::size_t i = 0; i < field_count; ++i) {
    if (iequal(name, attribute_names[i])) return static_cast<field>(i);
  }
  return std::nullopt;
}

std::string escape_dn_value(std::string_view value) {
  std::string out;
  for (std::size_t i = 0; i < value.size(); ++i) {
    char c = value[i];
    bool special = c == '"' || c == '+' || c == ',' || c == ';' || c == '<' || c == '>' || c == '\\' || c == '=';
    if ((i == 0 && (c == ' ' || c == '#')) || (i + 1 == value.size() && c == ' ')) special = true;
    if (c == '\0') {
      out += "\\00";
      continue;
    }
    if (special) out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

std::string entry_dn(std::string_view address, std::string_view base) {
  std::string dn(ldap_address_attribute);
  dn.push_back('=');
  dn += escape_dn_value(address);
  if (!base.empty()) {
    dn.push_back(',');
    dn.append(base);
  }
  return dn;
}

void append_ldif_line(std::string& out, std::string_view attribute, std::string_view value) {
  out.append(attribute);
  if (safe_string(value)) {
    out += ": ";
    out.append(value);
  } else {
    out += ":: ";
    out += base64(value);
  }
  out.push_back('\n');
}

std::string format_ldif_entry(const entry& e, std::string_view base) {
  std::string out;
  append_ldif_line(out, "dn", entry_dn(e.address, base));
  append_ldif_line(out, "objectClass", ldap_object_class);
  append_ldif_line(out, ldap_address_attribute, e.address);
  append_ldif_line(out, ldap_type_attribute, storage::to_string(e.type));
  for (std::size_t i = 0; i < field_count; ++i) {
    const std::string& v = e.text(static_cast<field>(i));
    if (!v.empty()) append_ldif_line(out, attribute_names[i], v);
  }
  if (e.liste_rouge) append_ldif_line(out, ldap_liste_rouge_attribute, "TRUE");
  out.push_back('\n');
  return out;
}

}  // namespace mssgw::directory
