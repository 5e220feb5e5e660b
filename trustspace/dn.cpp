#include "trustspace/dn.hpp"

#include <algorithm>
#include <array>
#include <cstdint>

#include "common/tls.hpp"
#include "trustspace/error.hpp"

namespace mssgw::trustspace {
namespace {

struct known_type {
  std::string_view canonical;  // lowercase short name: the comparison form
  std::string_view display;    // rendering (RFC 4514 §3 table, else the name OpenSSL prints)
  std::string_view oid;
};

// RFC 4514 §3 lists CN L ST O OU C STREET DC UID; the others are the X.520 / PKCS #9 types certificates carry
// (IGC-Santé CPS certificates use SN, GN and serialNumber).
constexpr std::array<known_type, 20> known_types{{
    {"cn", "CN", "2.5.4.3"},
    {"sn", "SN", "2.5.4.4"},
    {"serialnumber", "serialNumber", "2.5.4.5"},
    {"c", "C", "2.5.4.6"},
    {"l", "L", "2.5.4.7"},
    {"st", "ST", "2.5.4.8"},
    {"street", "STREET", "2.5.4.9"},
    {"o", "O", "2.5.4.10"},
    {"ou", "OU", "2.5.4.11"},
    {"title", "title", "2.5.4.12"},
    {"postalcode", "postalCode", "2.5.4.17"},
    {"gn", "GN", "2.5.4.42"},
    {"initials", "initials", "2.5.4.43"},
    {"generationqualifier", "generationQualifier", "2.5.4.44"},
    {"dnqualifier", "dnQualifier", "2.5.4.46"},
    {"pseudonym", "pseudonym", "2.5.4.65"},
    {"organizationidentifier", "organizationIdentifier", "2.5.4.97"},
    {"dc", "DC", "0.9.2342.19200300.100.1.25"},
    {"uid", "UID", "0.9.2342.19200300.100.1.1"},
    {"emailaddress", "emailAddress", "1.2.840.113549.1.9.1"},
}};

struct alias {
  std::string_view name;       // lowercase
  std::string_view canonical;  // a known_types canonical name
};
constexpr std::array<alias, 17> aliases{{
    {"commonname", "cn"},           {"surname", "sn"},
    {"countryname", "c"},           {"localityname", "l"},
    {"stateorprovincename", "st"},  {"s", "st"},
    {"streetaddress", "street"},    {"organizationname", "o"},
    {"organizationalunitname", "ou"}, {"t", "title"},
    {"givenname", "gn"},            {"g", "gn"},
    {"domaincomponent", "dc"},      {"userid", "uid"},
    {"email", "emailaddress"},      {"e", "emailaddress"},
    {"pkcs9email", "emailaddress"},
}};

bool is_alpha(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
int hex_value(char c) {
  if (is_digit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}
char lower_ascii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lower_ascii(c);
  return out;
}

// numericoid = number 1*( DOT number ) (RFC 4512 §1.4)
bool valid_numericoid(std::string_view s) {
  if (s.empty()) return false;
  int dots = 0;
  bool in_number = false;
  for (char c : s) {
    if (is_digit(c)) {
      in_number = true;
    } else if (c == '.') {
      if (!in_number) return false;
      in_number = false;
      ++dots;
    } else {
      return false;
    }
  }
  return in_number && dots >= 1;
}

// keystring = leadkeychar *keychar (RFC 4512 §1.4)
bool valid_keystring(std::string_view s) {
  if (s.empty() || !is_alpha(s[0])) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return is_alpha(c) || is_digit(c) || c == '-'; });
}

const known_type* find_known(std::string_view canonical_or_oid, bool by_oid) {
  for (const auto& k : known_types) {
    if ((by_oid ? k.oid : k.canonical) == canonical_or_oid) return &k;
  }
  return nullptr;
}

// Decodes one UTF-8 sequence at `i`; returns the code point and advances, or -1 (and advances one byte).
long decode_utf8(std::string_view s, std::size_t& i) {
  auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    ++i;
    return b0;
  }
  int len = 0;
  long cp = 0;
  long min = 0;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2, cp = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, cp = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    ++i;
    return -1;
  }
  if (i + static_cast<std::size_t>(len) > s.size()) {
    ++i;
    return -1;
  }
  for (int k = 1; k < len; ++k) {
    auto b = static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]);
    if ((b & 0xC0) != 0x80) {
      ++i;
      return -1;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    ++i;
    return -1;
  }
  i += static_cast<std::size_t>(len);
  return cp;
}

void encode_utf8(std::string& out, long cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Simple case folding for the scripts French names use: ASCII, Latin-1 Supplement, Latin Extended-A.
long fold(long cp) {
  if (cp >= 'A' && cp <= 'Z') return cp + 32;
  if (cp < 0xC0) return cp;
  if (cp <= 0xDE) return cp == 0xD7 ? cp : cp + 0x20;  // À..Þ except ×
  if (cp == 0x178) return 0xFF;                       // Ÿ -> ÿ
  if ((cp >= 0x100 && cp <= 0x137) || (cp >= 0x14A && cp <= 0x177)) return (cp % 2 == 0) ? cp + 1 : cp;
  if ((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E)) return (cp % 2 == 1) ? cp + 1 : cp;
  return cp;
}

bool is_space_cp(long cp) { return cp == ' ' || cp == '\t' || cp == '\r' || cp == '\n' || cp == 0xA0; }

// Escapes a normalised value for the comparison key: every character that the key's syntax uses.
void append_key_value(std::string& out, std::string_view v) {
  for (std::size_t i = 0; i < v.size(); ++i) {
    char c = v[i];
    if (c == '\\' || c == ',' || c == '+' || c == '=' || (i == 0 && c == '#')) out.push_back('\\');
    out.push_back(c);
  }
}

// RFC 4514 §2.4 escaping for rendering.
void append_rfc4514_value(std::string& out, std::string_view v) {
  for (std::size_t i = 0; i < v.size(); ++i) {
    char c = v[i];
    if (c == '\0') {
      out += "\\00";
      continue;
    }
    bool esc = c == '"' || c == '+' || c == ',' || c == ';' || c == '<' || c == '>' || c == '\\' ||
               (i == 0 && (c == ' ' || c == '#')) || (i + 1 == v.size() && c == ' ');
    if (esc) out.push_back('\\');
    out.push_back(c);
  }
}

// RFC 4514 §2.4: a `#hexstring` value is the BER encoding of the value. When it holds a character string, use the
// characters (so `CN=#0c0461626364` equals `CN=abcd`); otherwise the value stays binary.
std::optional<std::string> ber_string(const std::string& der) {
  if (der.size() < 2) return std::nullopt;
  auto tag = static_cast<unsigned char>(der[0]);
  std::size_t len = static_cast<unsigned char>(der[1]);
  std::size_t at = 2;
  if (len & 0x80) {
    std::size_t n = len & 0x7F;
    if (n == 0 || n > 3 || der.size() < 2 + n) return std::nullopt;
    len = 0;
    for (std::size_t k = 0; k < n; ++k) len = (len << 8) | static_cast<unsigned char>(der[2 + k]);
    at = 2 + n;
  }
  if (der.size() - at != len) return std::nullopt;
  std::string_view body(der.data() + at, len);
  std::string out;
  switch (tag) {
    case 0x0C:  // UTF8String
      if (!valid_utf8(body)) return std::nullopt;
      return std::string(body);
    case 0x12: case 0x13: case 0x16: case 0x1A:  // Numeric, Printable, IA5, Visible: ASCII
      if (!std::all_of(body.begin(), body.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; }))
        return std::nullopt;
      return std::string(body);
    case 0x14:  // TeletexString: read as Latin-1, as OpenSSL does
      for (char c : body) encode_utf8(out, static_cast<unsigned char>(c));
      return out;
    case 0x1E:  // BMPString: UCS-2 big-endian
      if (len % 2) return std::nullopt;
      for (std::size_t k = 0; k < len; k += 2) {
        long cp = (static_cast<unsigned char>(body[k]) << 8) | static_cast<unsigned char>(body[k + 1]);
        if (cp >= 0xD800 && cp <= 0xDFFF) return std::nullopt;
        encode_utf8(out, cp);
      }
      return out;
    case 0x1C:  // UniversalString: UCS-4 big-endian
      if (len % 4) return std::nullopt;
      for (std::size_t k = 0; k < len; k += 4) {
        long cp = 0;
        for (std::size_t b = 0; b < 4; ++b) cp = (cp << 8) | static_cast<unsigned char>(body[k + b]);
        if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;
        encode_utf8(out, cp);
      }
      return out;
    default:
      return std::nullopt;
  }
}

// Characters that may follow a backslash (RFC 4514 §3 `escaped`, plus '=' and the RFC 2253 specials).
bool escapable(char c) {
  return c == '"' || c == '+' || c == ',' || c == ';' || c == '<' || c == '>' || c == '\\' || c == ' ' || c == '#' ||
         c == '=';
}

class parser {
 public:
  explicit parser(std::string_view s) : s_(s) {}

  dn_parse_result run() {
    dn_parse_result r;
    skip_spaces();
    if (i_ == s_.size()) return fail(r, 0, "empty DN", errc::dn_empty);
    std::vector<dn_rdn> rdns;
    dn_rdn current;
    for (;;) {
      skip_spaces();
      dn_attribute attr;
      if (!type(attr.type)) return fail(r, i_, "attribute type expected");
      skip_spaces();
      if (i_ == s_.size() || s_[i_] != '=') return fail(r, i_, "'=' expected after \"" + attr.type + "\"");
      ++i_;
      skip_spaces();
      std::size_t value_start = i_;
      bool ok = false;
      if (i_ < s_.size() && s_[i_] == '#') {
        ok = hex_value_(attr);
      } else if (i_ < s_.size() && s_[i_] == '"') {
        ok = quoted_value(attr.value);
      } else {
        ok = plain_value(attr.value);
      }
      if (!ok) return fail(r, error_at_, error_);
      if (!attr.binary && !valid_utf8(attr.value)) return fail(r, value_start, "value is not valid UTF-8");
      current.push_back(std::move(attr));
      skip_spaces();
      if (i_ == s_.size()) {
        rdns.push_back(std::move(current));
        break;
      }
      char c = s_[i_];
      if (c == '+') {
        ++i_;
        continue;
      }
      if (c == ',' || c == ';') {  // ';' separates RDNs in RFC 2253 §4 (legacy)
        rdns.push_back(std::move(current));
        current.clear();
        ++i_;
        continue;
      }
      return fail(r, i_, "',' or '+' expected");
    }
    r.value = dn::from_rdns(std::move(rdns));
    return r;
  }

 private:
  dn_parse_result& fail(dn_parse_result& r, std::size_t pos, std::string message, errc e = errc::dn_syntax) {
    r.value.reset();
    r.error = e;
    r.position = pos;
    r.message = std::move(message) + " at offset " + std::to_string(pos);
    return r;
  }
  bool set_error(std::size_t pos, std::string message) {
    error_at_ = pos;
    error_ = std::move(message);
    return false;
  }

  // RFC 2253 §4: spaces around separators and '=' are tolerated.
  void skip_spaces() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t')) ++i_;
  }

  bool type(std::string& out) {
    std::size_t start = i_;
    if (i_ < s_.size() && is_alpha(s_[i_])) {
      while (i_ < s_.size() && (is_alpha(s_[i_]) || is_digit(s_[i_]) || s_[i_] == '-')) ++i_;
      // RFC 2253 §3 allows "OID." before a numeric OID.
      if (i_ - start == 3 && lower(s_.substr(start, 3)) == "oid" && i_ < s_.size() && s_[i_] == '.') {
        ++i_;
        std::size_t oid_start = i_;
        while (i_ < s_.size() && (is_digit(s_[i_]) || s_[i_] == '.')) ++i_;
        if (!valid_numericoid(s_.substr(oid_start, i_ - oid_start))) return false;
      }
    } else if (i_ < s_.size() && is_digit(s_[i_])) {
      while (i_ < s_.size() && (is_digit(s_[i_]) || s_[i_] == '.')) ++i_;
      if (!valid_numericoid(s_.substr(start, i_ - start))) return false;
    } else {
      return false;
    }
    out.assign(s_.substr(start, i_ - start));
    return true;
  }

  // `\` followed by an escapable character or two hex digits. Appends the byte and advances.
  bool escape(std::string& out) {
    std::size_t at = i_;
    if (i_ + 1 >= s_.size()) return set_error(at, "dangling backslash");
    char d = s_[i_ + 1];
    if (is_hex(d)) {
      if (i_ + 2 >= s_.size() || !is_hex(s_[i_ + 2])) return set_error(at, "invalid hex escape");
      out.push_back(static_cast<char>(hex_value(d) * 16 + hex_value(s_[i_ + 2])));
      i_ += 3;
      return true;
    }
    if (escapable(d)) {
      out.push_back(d);
      i_ += 2;
      return true;
    }
    return set_error(at, std::string("invalid escape \\") + d);
  }

  bool plain_value(std::string& out) {
    std::size_t significant = 0;  // length without unescaped trailing spaces (spaces before a separator)
    while (i_ < s_.size()) {
      char c = s_[i_];
      if (c == ',' || c == '+' || c == ';') break;
      if (c == '\\') {
        if (!escape(out)) return false;
        significant = out.size();
        continue;
      }
      if (c == '\0') return set_error(i_, "NUL character in value");
      // RFC 4514 wants '"', '<' and '>' escaped; the ANS list writes `O=CRLCC "PAUL STRAUSS"`: take them literally.
      out.push_back(c);
      if (c != ' ' && c != '\t') significant = out.size();
      ++i_;
    }
    out.resize(significant);
    return true;
  }

  // RFC 2253 §3: `quotechar *( quotechar-free pair / stringchar ) quotechar`. The real whitelist quotes values with
  // double inner spaces (`O="C.H. DE  CADILLAC"`); the quotes are not part of the value.
  bool quoted_value(std::string& out) {
    std::size_t open = i_++;
    while (i_ < s_.size() && s_[i_] != '"') {
      if (s_[i_] == '\\') {
        if (!escape(out)) return false;
        continue;
      }
      if (s_[i_] == '\0') return set_error(i_, "NUL character in value");
      out.push_back(s_[i_++]);
    }
    if (i_ == s_.size()) return set_error(open, "unterminated quoted value");
    ++i_;
    return true;
  }

  bool hex_value_(dn_attribute& attr) {
    std::size_t start = i_++;
    std::string der;
    while (i_ < s_.size() && is_hex(s_[i_])) {
      if (i_ + 1 >= s_.size() || !is_hex(s_[i_ + 1])) return set_error(i_, "odd number of hex digits");
      der.push_back(static_cast<char>(hex_value(s_[i_]) * 16 + hex_value(s_[i_ + 1])));
      i_ += 2;
    }
    if (der.empty()) return set_error(start, "'#' must be followed by hex digits");
    if (auto text = ber_string(der)) {
      attr.value = std::move(*text);
      return true;
    }
    attr.binary = true;
    attr.value = "#" + lower(s_.substr(start + 1, i_ - start - 1));
    return true;
  }

  std::string_view s_;
  std::size_t i_ = 0;
  std::size_t error_at_ = 0;
  std::string error_;
};

}  // namespace

bool valid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    if (static_cast<unsigned char>(text[i]) < 0x80) {
      ++i;
      continue;
    }
    if (decode_utf8(text, i) < 0) return false;
  }
  return true;
}

std::string normalise_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  bool pending_space = false;
  std::size_t i = 0;
  while (i < value.size()) {
    auto b = static_cast<unsigned char>(value[i]);
    long cp;
    std::size_t start = i;
    if (b < 0x80) {
      cp = b;
      ++i;
    } else {
      cp = decode_utf8(value, i);
    }
    bool space = cp >= 0 && is_space_cp(cp);
    if (space) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) {
      out.push_back(' ');
      pending_space = false;
    }
    if (cp < 0) {
      out.append(value.substr(start, i - start));  // not UTF-8: keep the byte (callers validate first)
    } else if (cp < 0x80) {
      out.push_back(lower_ascii(static_cast<char>(cp)));
    } else {
      encode_utf8(out, fold(cp));
    }
  }
  return out;
}

std::string canonical_type(std::string_view type) {
  if (type.size() > 4 && lower(type.substr(0, 4)) == "oid.") type.remove_prefix(4);
  if (type.empty()) return {};
  if (is_digit(type[0])) {
    if (!valid_numericoid(type)) return {};
    if (const auto* k = find_known(type, true)) return std::string(k->canonical);
    return std::string(type);
  }
  if (!valid_keystring(type)) return {};
  std::string name = lower(type);
  if (find_known(name, false)) return name;
  for (const auto& a : aliases) {
    if (a.name == name) return std::string(a.canonical);
  }
  return name;
}

std::string display_type(std::string_view type) {
  std::string canonical = canonical_type(type);
  if (const auto* k = find_known(canonical, false)) return std::string(k->display);
  return canonical.empty() ? std::string(type) : canonical;
}

dn_parse_result dn::parse(std::string_view text) { return parser(text).run(); }

dn dn::from_rdns(std::vector<dn_rdn> rdns) {
  dn d;
  d.rdns_ = std::move(rdns);
  d.build_key();
  d.key_hash_ = 14695981039346656037ull;
  for (char c : d.key_) {
    d.key_hash_ ^= static_cast<unsigned char>(c);
    d.key_hash_ *= 1099511628211ull;
  }
  d.text_ = d.render();
  return d;
}

dn dn::from_x509(const X509_name_st* name) { return from_name_rdns(common::tls::name_rdns(name)); }

dn dn::from_name_rdns(const std::vector<common::tls::name_rdn>& rdns) {
  std::vector<dn_rdn> out;
  out.reserve(rdns.size());
  for (const auto& rdn : rdns) {
    dn_rdn r;
    for (const auto& a : rdn) r.push_back(dn_attribute{a.type, a.value, a.binary});
    out.push_back(std::move(r));
  }
  return from_rdns(std::move(out));
}

void dn::build_key() {
  key_.clear();
  auto append_attribute = [](std::string& out, const dn_attribute& a) {
    std::string type = canonical_type(a.type);
    out += type.empty() ? lower(a.type) : type;
    out.push_back('=');
    if (a.binary) {
      out += lower(a.value);
    } else {
      append_key_value(out, normalise_value(a.value));
    }
  };
  for (std::size_t r = 0; r < rdns_.size(); ++r) {
    if (r) key_.push_back(',');
    const auto& rdn = rdns_[r];
    if (rdn.size() == 1) {
      append_attribute(key_, rdn[0]);
      continue;
    }
    // A multi-valued RDN is a set (X.501): sort its attributes so that `A=1+B=2` equals `B=2+A=1`.
    std::vector<std::string> parts;
    for (const auto& a : rdn) {
      std::string p;
      append_attribute(p, a);
      parts.push_back(std::move(p));
    }
    std::sort(parts.begin(), parts.end());
    for (std::size_t k = 0; k < parts.size(); ++k) {
      if (k) key_.push_back('+');
      key_ += parts[k];
    }
  }
}

std::string dn::render() const {
  std::string out;
  for (std::size_t r = 0; r < rdns_.size(); ++r) {
    if (r) out.push_back(',');
    for (std::size_t k = 0; k < rdns_[r].size(); ++k) {
      const auto& a = rdns_[r][k];
      if (k) out.push_back('+');
      out += display_type(a.type);
      out.push_back('=');
      if (a.binary) {
        out += a.value;
      } else {
        append_rfc4514_value(out, a.value);
      }
    }
  }
  return out;
}

std::optional<std::string_view> dn::find(std::string_view type) const {
  std::string wanted = canonical_type(type);
  if (wanted.empty()) return std::nullopt;
  for (const auto& rdn : rdns_) {
    for (const auto& a : rdn) {
      if (canonical_type(a.type) == wanted) return std::string_view(a.value);
    }
  }
  return std::nullopt;
}

bool same_dn(std::string_view a, std::string_view b) {
  auto x = dn::parse(a);
  auto y = dn::parse(b);
  return x && y && *x.value == *y.value;
}

}  // namespace mssgw::trustspace
