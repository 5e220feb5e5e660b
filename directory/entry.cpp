#include "directory/entry.hpp"

#include <algorithm>

namespace mssgw::directory {
namespace {

constexpr std::uint8_t content_version = 1;
constexpr std::uint8_t flag_liste_rouge = 1u << 0;

constexpr std::array<std::string_view, field_count> field_names = {
    "pp_id_type",        "pp_id",           "idnat",
    "structure_id_type", "structure_id",    "service",
    "civility",          "surname",         "given_name",
    "profession_category", "profession_category_label", "profession_code",
    "profession_label",  "savoir_faire_code", "savoir_faire_label",
    "dematerialisation", "structure_name",  "structure_brand",
    "location",          "distribution",    "street_number",
    "street_number_complement", "street_type", "street_name",
    "place",             "delivery",        "postal_code",
    "departement",       "country"};

// LEB128 lengths: one byte for the usual field (< 128 bytes), so an empty field costs one byte.
void put_varint(std::string& out, std::size_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

bool get_varint(std::string_view in, std::size_t& pos, std::size_t& v) {
  v = 0;
  for (int shift = 0; shift < 35; shift += 7) {
    if (pos >= in.size()) return false;
    auto b = static_cast<unsigned char>(in[pos++]);
    v |= static_cast<std::size_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return true;
  }
  return false;
}

bool get_text(std::string_view in, std::size_t& pos, std::string_view& out) {
  std::size_t n = 0;
  if (!get_varint(in, pos, n) || in.size() - pos < n) return false;
  out = in.substr(pos, n);
  pos += n;
  return true;
}

// Folding of U+00C0..U+017F (Latin-1 Supplement letters and Latin Extended-A). nullptr: a separator.
constexpr const char* latin_fold[0x180 - 0xC0] = {
    // U+00C0..U+00DF
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
    "d", "n", "o", "o", "o", "o", "o", nullptr, "o", "u", "u", "u", "u", "y", "th", "ss",
    // U+00E0..U+00FF
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
    "d", "n", "o", "o", "o", "o", "o", nullptr, "o", "u", "u", "u", "u", "y", "th", "y",
    // U+0100..U+011F: A a A a A a C c C c C c C c D d / D d E e E e E e E e E e G g G g
    "a", "a", "a", "a", "a", "a", "c", "c", "c", "c", "c", "c", "c", "c", "d", "d",
    "d", "d", "e", "e", "e", "e", "e", "e", "e", "e", "e", "e", "g", "g", "g", "g",
    // U+0120..U+013F: G g G g H h H h I i I i I i I i / I i IJ ij J j K k k L l L l L l L
    "g", "g", "g", "g", "h", "h", "h", "h", "i", "i", "i", "i", "i", "i", "i", "i",
    "i", "i", "ij", "ij", "j", "j", "k", "k", "k", "l", "l", "l", "l", "l", "l", "l",
    // U+0140..U+015F: l L l N n N n N n n N n O o O o / O o OE oe R r R r R r S s S s S s
    "l", "l", "l", "n", "n", "n", "n", "n", "n", "n", "n", "n", "o", "o", "o", "o",
    "o", "o", "oe", "oe", "r", "r", "r", "r", "r", "r", "s", "s", "s", "s", "s", "s",
    // U+0160..U+017F: S s T t T t T t U u U u U u U u / U u U u W w Y y Y Z z Z z Z z s
    "s", "s", "t", "t", "t", "t", "t", "t", "u", "u", "u", "u", "u", "u", "u", "u",
    "u", "u", "u", "u", "w", "w", "y", "y", "y", "z", "z", "z", "z", "z", "z", "s",
};

// Decodes one UTF-8 code point at `pos` (RFC 3629: no overlongs, no surrogates, at most U+10FFFF). Returns the
// code point and advances `pos`, or returns -1 and advances by one byte.
long next_code_point(std::string_view s, std::size_t& pos) {
  auto b0 = static_cast<unsigned char>(s[pos]);
  if (b0 < 0x80) {
    ++pos;
    return b0;
  }
  std::size_t len = 0;
  long cp = 0, min = 0;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2, cp = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, cp = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    ++pos;
    return -1;
  }
  if (s.size() - pos < len) {
    ++pos;
    return -1;
  }
  for (std::size_t i = 1; i < len; ++i) {
    auto b = static_cast<unsigned char>(s[pos + i]);
    if ((b & 0xC0) != 0x80) {
      ++pos;
      return -1;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    ++pos;
    return -1;
  }
  pos += len;
  return cp;
}

// Truncates to at most `max` bytes without cutting a UTF-8 sequence.
std::string_view truncate_utf8(std::string_view s, std::size_t max) {
  if (s.size() <= max) return s;
  std::size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string_view to_string(source_kind s) {
  switch (s) {
    case source_kind::extraction: return "extraction";
    case source_kind::ldap: return "ldap";
    case source_kind::local: return "local";
  }
  return "?";
}

std::optional<source_kind> parse_source(std::string_view text) {
  if (text == "extraction") return source_kind::extraction;
  if (text == "ldap") return source_kind::ldap;
  if (text == "local") return source_kind::local;
  return std::nullopt;
}

int precedence(source_kind s) {
  switch (s) {
    case source_kind::extraction: return 1;
    case source_kind::ldap: return 2;
    case source_kind::local: return 0;
  }
  return 0;
}

std::string_view field_name(field f) { return field_names[static_cast<std::size_t>(f)]; }

std::string& entry::text(field f) {
  return const_cast<std::string&>(static_cast<const entry*>(this)->text(f));
}

const std::string& entry::text(field f) const {
  switch (f) {
    case field::pp_id_type: return pp_id_type;
    case field::pp_id: return pp_id;
    case field::idnat: return idnat;
    case field::structure_id_type: return structure_id_type;
    case field::structure_id: return structure_id;
    case field::service: return service;
    case field::civility: return civility;
    case field::surname: return surname;
    case field::given_name: return given_name;
    case field::profession_category: return profession_category;
    case field::profession_category_label: return profession_category_label;
    case field::profession_code: return profession_code;
    case field::profession_label: return profession_label;
    case field::savoir_faire_code: return savoir_faire_code;
    case field::savoir_faire_label: return savoir_faire_label;
    case field::dematerialisation: return dematerialisation;
    case field::structure_name: return structure_name;
    case field::structure_brand: return structure_brand;
    case field::location: return structure_address.location;
    case field::distribution: return structure_address.distribution;
    case field::street_number: return structure_address.street_number;
    case field::street_number_complement: return structure_address.street_number_complement;
    case field::street_type: return structure_address.street_type;
    case field::street_name: return structure_address.street_name;
    case field::place: return structure_address.place;
    case field::delivery: return structure_address.delivery;
    case field::postal_code: return structure_address.postal_code;
    case field::departement: return structure_address.departement;
    case field::country: return structure_address.country;
    case field::count_: break;
  }
  return idnat;  // unreachable: every field is listed above
}

bool same_content(const entry& a, const entry& b) {
  if (a.type != b.type || a.liste_rouge != b.liste_rouge || a.entry_uuid != b.entry_uuid) return false;
  for (std::size_t i = 0; i < field_count; ++i) {
    if (a.text(static_cast<field>(i)) != b.text(static_cast<field>(i))) return false;
  }
  return true;
}

// Layout: version, type, flags, UUID, then the fields in `field` order. The index view relies on this order.
std::string encode_content(bal_type type, bool liste_rouge, std::string_view entry_uuid, const field_views& fields) {
  std::size_t size = 4 + field_count + entry_uuid.size();
  for (auto f : fields) size += f.size() + (f.size() >= 0x80 ? 2 : 0);
  std::string out;
  out.reserve(size);
  out.push_back(static_cast<char>(content_version));
  out.push_back(static_cast<char>(type));
  out.push_back(static_cast<char>(liste_rouge ? flag_liste_rouge : 0));
  put_varint(out, entry_uuid.size());
  out.append(entry_uuid);
  for (auto f : fields) {
    put_varint(out, f.size());
    out.append(f);
  }
  return out;
}

std::string encode_content(const entry& e) {
  field_views views;
  for (std::size_t i = 0; i < field_count; ++i) views[i] = e.text(static_cast<field>(i));
  return encode_content(e.type, e.liste_rouge, e.entry_uuid, views);
}

bool decode_content(std::string_view in, entry& out) {
  if (in.size() < 3 || static_cast<std::uint8_t>(in[0]) != content_version) return false;
  auto type = static_cast<std::uint8_t>(in[1]);
  if (type > 3) return false;
  out.type = static_cast<bal_type>(type);
  out.liste_rouge = (static_cast<std::uint8_t>(in[2]) & flag_liste_rouge) != 0;
  std::size_t pos = 3;
  std::string_view v;
  if (!get_text(in, pos, v)) return false;
  out.entry_uuid.assign(v);
  for (std::size_t i = 0; i < field_count; ++i) {
    if (!get_text(in, pos, v)) return false;
    out.text(static_cast<field>(i)).assign(v);
  }
  return pos == in.size();
}

bool decode_index_view(std::string_view in, index_view& out) {
  if (in.size() < 3 || static_cast<std::uint8_t>(in[0]) != content_version) return false;
  auto type = static_cast<std::uint8_t>(in[1]);
  if (type > 3) return false;
  out.type = static_cast<bal_type>(type);
  out.liste_rouge = (static_cast<std::uint8_t>(in[2]) & flag_liste_rouge) != 0;
  std::size_t pos = 3;
  if (!get_text(in, pos, out.entry_uuid)) return false;
  std::string_view v;
  for (std::size_t i = 0; i <= static_cast<std::size_t>(field::given_name); ++i) {
    if (!get_text(in, pos, v)) return false;
    switch (static_cast<field>(i)) {
      case field::idnat: out.idnat = v; break;
      case field::structure_id: out.structure_id = v; break;
      case field::surname: out.surname = v; break;
      case field::given_name: out.given_name = v; break;
      default: break;
    }
  }
  return true;
}

std::string fold(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool pending_space = false;
  auto emit = [&](std::string_view piece) {
    if (pending_space && !out.empty()) out.push_back(' ');
    pending_space = false;
    out.append(piece);
  };
  std::size_t pos = 0;
  while (pos < s.size()) {
    std::size_t start = pos;
    long cp = next_code_point(s, pos);
    if (cp < 0) {
      pending_space = true;
    } else if (cp < 0x80) {
      char c = static_cast<char>(cp);
      if (c >= 'A' && c <= 'Z') {
        char lower = static_cast<char>(c - 'A' + 'a');
        emit(std::string_view(&lower, 1));
      } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
        emit(std::string_view(&c, 1));
      } else {
        pending_space = true;
      }
    } else if (cp >= 0x300 && cp <= 0x36F) {
      // Combining diacritical marks (decomposed input, NFD): dropped, so "e" + U+0301 folds like "é".
    } else if (cp >= 0xC0 && cp < 0x180) {
      const char* f = latin_fold[cp - 0xC0];
      if (f) {
        emit(f);
      } else {
        pending_space = true;
      }
    } else if (cp < 0xC0 || (cp >= 0x2000 && cp <= 0x206F) || cp == 0x2BC || cp == 0x3000) {
      // Latin-1 punctuation and symbols (NBSP included), General Punctuation (’ ‐ – —), modifier apostrophe.
      pending_space = true;
    } else {
      emit(s.substr(start, pos - start));
    }
  }
  return out;
}

std::vector<std::string_view> split_tokens(std::string_view folded) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (start < folded.size()) {
    auto sp = folded.find(' ', start);
    if (sp == std::string_view::npos) sp = folded.size();
    if (sp > start) out.push_back(folded.substr(start, sp - start));
    start = sp + 1;
  }
  return out;
}

std::vector<std::string> name_tokens(std::string_view surname, std::string_view given_name) {
  std::vector<std::string> out;
  auto add = [&](std::string_view t) {
    t = truncate_utf8(t, max_token_size);
    if (t.empty()) return;
    if (std::find(out.begin(), out.end(), t) == out.end()) out.emplace_back(t);
  };
  for (std::string_view name : {surname, given_name}) {
    std::string f = fold(name);
    auto tokens = split_tokens(f);
    for (auto t : tokens) add(t);
    if (tokens.size() > 1) {
      std::string joined;
      for (auto t : tokens) joined.append(t);
      add(joined);
    }
  }
  return out;
}

std::optional<std::string> parse_uuid(std::string_view text) {
  std::string raw;
  raw.reserve(16);
  int high = -1;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '-' && text.size() == 36 && (i == 8 || i == 13 || i == 18 || i == 23)) continue;
    int v = hex_value(c);
    if (v < 0) return std::nullopt;
    if (high < 0) {
      high = v;
    } else {
      raw.push_back(static_cast<char>((high << 4) | v));
      high = -1;
    }
  }
  if (raw.size() != 16 || high >= 0 || (text.size() != 36 && text.size() != 32)) return std::nullopt;
  return raw;
}

std::string format_uuid(std::string_view raw) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw.size() == 16 && (i == 4 || i == 6 || i == 8 || i == 10)) out.push_back('-');
    auto b = static_cast<unsigned char>(raw[i]);
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 0xf]);
  }
  return out;
}

bool clean_text(std::string_view text) {
  // Fast path: printable ASCII, by far the common case in the extraction.
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto c = static_cast<unsigned char>(text[pos]);
    if (c < 0x20 || c >= 0x7f) break;
    ++pos;
  }
  if (pos == text.size()) return true;
  while (pos < text.size()) {
    long cp = next_code_point(text, pos);
    if (cp < 0 || cp < 0x20 || cp == 0x7f) return false;
  }
  return true;
}

}  // namespace mssgw::directory
