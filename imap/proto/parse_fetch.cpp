// FETCH and STORE (RFC 3501 §6.4.5, §6.4.6; RFC 3516 BINARY; RFC 7162 CONDSTORE/QRESYNC modifiers).
#include "imap/proto/parse_util.hpp"

namespace mssgw::imap::proto {

using detail::iequals;

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// nz-number at s[i] (32 bits); advances i.
bool read_nz_number(std::string_view s, std::size_t& i, std::uint32_t& out) {
  if (i >= s.size() || s[i] < '1' || s[i] > '9') return false;
  std::uint64_t n = 0;
  while (i < s.size() && is_digit(s[i])) {
    n = n * 10 + static_cast<std::uint64_t>(s[i] - '0');
    if (n > detail::max_number) return false;
    ++i;
  }
  out = static_cast<std::uint32_t>(n);
  return true;
}

bool read_number64(std::string_view s, std::size_t& i, std::uint64_t& out) {
  if (i >= s.size() || !is_digit(s[i])) return false;
  std::uint64_t n = 0;
  while (i < s.size() && is_digit(s[i])) {
    n = n * 10 + static_cast<std::uint64_t>(s[i] - '0');
    if (n > detail::max_number64) return false;
    ++i;
  }
  out = n;
  return true;
}

// section-spec = section-msgtext / (section-part ["." section-text])
// section-msgtext = "HEADER" / "HEADER.FIELDS" [".NOT"] SP header-list / "TEXT"
// section-text = section-msgtext / "MIME"; section-part = nz-number *("." nz-number)
errc parse_section(std::string_view content, bool binary, std::size_t max_depth, section& out) {
  out = {};
  const std::size_t sp = content.find(' ');
  const std::string_view spec = content.substr(0, sp);
  std::size_t i = 0;
  while (i < spec.size() && is_digit(spec[i])) {
    std::uint32_t n = 0;
    if (!read_nz_number(spec, i, n)) return errc::invalid_section;
    out.part.push_back(n);
    if (i == spec.size()) break;
    if (spec[i] != '.') return errc::invalid_section;
    ++i;
    if (i == spec.size()) return errc::invalid_section;  // "1."
  }
  const std::string_view text = spec.substr(i);
  if (binary) {
    // section-binary = "[" [section-part] "]" (RFC 3516 §4.2)
    if (!text.empty() || sp != std::string_view::npos) return errc::invalid_section;
    return errc::ok;
  }
  if (text.empty()) {
    out.k = section::kind::all;
  } else if (iequals(text, "HEADER")) {
    out.k = section::kind::header;
  } else if (iequals(text, "HEADER.FIELDS")) {
    out.k = section::kind::header_fields;
  } else if (iequals(text, "HEADER.FIELDS.NOT")) {
    out.k = section::kind::header_fields_not;
  } else if (iequals(text, "TEXT")) {
    out.k = section::kind::text;
  } else if (iequals(text, "MIME") && !out.part.empty()) {
    out.k = section::kind::mime;  // MIME only after a part number
  } else {
    return errc::invalid_section;
  }
  const bool fields = out.k == section::kind::header_fields || out.k == section::kind::header_fields_not;
  if (!fields) return sp == std::string_view::npos ? errc::ok : errc::invalid_section;
  if (sp == std::string_view::npos) return errc::invalid_section;
  // header-list = "(" header-fld-name *(SP header-fld-name) ")"; header-fld-name = astring
  values_result v = parse_values(content.substr(sp + 1), max_depth);
  if (v.error != errc::ok) return v.error;
  if (v.values.size() != 1 || !v.values[0].is_list() || v.values[0].items.empty()) return errc::invalid_section;
  for (const value& f : v.values[0].items) {
    std::string name;
    if (detail::as_astring(&f, name) != errc::ok || name.empty()) return errc::invalid_section;
    // A header field name is printable ASCII without ":" (RFC 5322 §3.6.8 ftext).
    for (const char c : name) {
      if (c <= 32 || c >= 127 || c == ':') return errc::invalid_section;
    }
    out.fields.push_back(std::move(name));
  }
  return errc::ok;
}

// "<" number "." nz-number ">" (RFC 3501 §9; number64 in RFC 9051).
errc parse_partial(std::string_view s, partial& out) {
  if (s.size() < 5 || s.front() != '<' || s.back() != '>') return errc::invalid_section;
  std::size_t i = 1;
  if (!read_number64(s, i, out.offset) || i >= s.size() || s[i] != '.') return errc::invalid_section;
  ++i;
  if (!read_number64(s, i, out.length) || out.length == 0 || i != s.size() - 1) return errc::invalid_section;
  return errc::ok;
}

}  // namespace

errc parse_fetch_att(std::string_view atom, fetch_att& out, std::size_t max_depth) {
  using k = fetch_att::kind;
  out = {};
  const std::size_t bracket = atom.find('[');
  if (bracket == std::string_view::npos) {
    static constexpr struct {
      std::string_view name;
      k kind;
    } simple[] = {
        {"ENVELOPE", k::envelope},         {"FLAGS", k::flags},
        {"INTERNALDATE", k::internaldate}, {"UID", k::uid},
        {"MODSEQ", k::modseq},             {"RFC822", k::rfc822},
        {"RFC822.HEADER", k::rfc822_header}, {"RFC822.SIZE", k::rfc822_size},
        {"RFC822.TEXT", k::rfc822_text},   {"BODY", k::body},
        {"BODYSTRUCTURE", k::bodystructure},
    };
    for (const auto& s : simple) {
      if (iequals(atom, s.name)) {
        out.k = s.kind;
        return errc::ok;
      }
    }
    return errc::invalid_fetch_attribute;
  }
  const std::string_view name = atom.substr(0, bracket);
  bool binary = false;
  if (iequals(name, "BODY")) {
    out.k = k::body_section;
  } else if (iequals(name, "BODY.PEEK")) {
    out.k = k::body_section;
    out.peek = true;
  } else if (iequals(name, "BINARY")) {
    out.k = k::binary;
    binary = true;
  } else if (iequals(name, "BINARY.PEEK")) {
    out.k = k::binary;
    out.peek = true;
    binary = true;
  } else if (iequals(name, "BINARY.SIZE")) {
    out.k = k::binary_size;
    binary = true;
  } else {
    return errc::invalid_fetch_attribute;
  }
  // After the section only "<partial>" may follow, which holds no "]": the last "]" closes the section even when
  // a quoted header name inside holds one.
  const std::size_t close = atom.rfind(']');
  if (close == std::string_view::npos || close < bracket) return errc::invalid_section;
  if (const errc e = parse_section(atom.substr(bracket + 1, close - bracket - 1), binary, max_depth, out.sec);
      e != errc::ok) {
    return e;
  }
  const std::string_view rest = atom.substr(close + 1);
  if (!rest.empty()) {
    if (out.k == k::binary_size) return errc::invalid_section;  // RFC 3516 §4.2: no partial for BINARY.SIZE
    partial p;
    if (const errc e = parse_partial(rest, p); e != errc::ok) return e;
    out.part = p;
  }
  return errc::ok;
}

namespace detail {

namespace {

void add_macro(std::vector<fetch_att>& atts, std::string_view m) {
  using k = fetch_att::kind;
  // RFC 3501 §6.4.5: FAST = (FLAGS INTERNALDATE RFC822.SIZE); ALL = FAST + ENVELOPE; FULL = ALL + BODY.
  for (const k x : {k::flags, k::internaldate, k::rfc822_size}) atts.push_back({x, false, {}, {}});
  if (iequals(m, "FAST")) return;
  atts.push_back({k::envelope, false, {}, {}});
  if (iequals(m, "ALL")) return;
  atts.push_back({k::body, false, {}, {}});
}

errc atom_att(const value& v, const parse_options& o, fetch_att& out) {
  if (v.k != value::kind::atom) return errc::invalid_fetch_attribute;
  return parse_fetch_att(v.text, out, o.max_depth);
}

}  // namespace

// fetch = "FETCH" SP sequence-set SP ("ALL" / "FULL" / "FAST" / fetch-att / "(" fetch-att *(SP fetch-att) ")")
//         [SP fetch-modifiers]    (RFC 4466 §2.4: fetch-modifiers = "(" fetch-modifier *(SP fetch-modifier) ")")
errc parse_fetch_cmd(args& a, const parse_options& o, bool uid, command_body& out) {
  cmd::fetch c;
  c.uid = uid;
  if (const errc e = as_sequence_set(a.next(), c.set); e != errc::ok) return e;
  const value* atts = a.next();
  if (atts == nullptr) return errc::missing_argument;
  if (atts->is_list()) {
    if (atts->items.empty()) return errc::invalid_fetch_attribute;
    for (const value& v : atts->items) {
      fetch_att f;
      if (const errc e = atom_att(v, o, f); e != errc::ok) return e;
      c.atts.push_back(std::move(f));
    }
  } else if (atts->k == value::kind::atom &&
             (iequals(atts->text, "ALL") || iequals(atts->text, "FULL") || iequals(atts->text, "FAST"))) {
    add_macro(c.atts, atts->text);
  } else {
    fetch_att f;
    if (const errc e = atom_att(*atts, o, f); e != errc::ok) return e;
    c.atts.push_back(std::move(f));
  }
  if (value* mods = a.next()) {
    if (!mods->is_list() || mods->items.empty()) return errc::syntax_error;
    args m(mods->items);
    while (!m.done()) {
      if (m.next_keyword("CHANGEDSINCE")) {
        // RFC 7162 §3.1.4.1 (mod-sequence-value; 0 is taken too: "everything")
        if (c.changed_since) return errc::invalid_argument;
        std::uint64_t n = 0;
        if (const errc e = as_number(m.next(), max_number64, false, n); e != errc::ok) return e;
        c.changed_since = n;
      } else if (m.next_keyword("VANISHED")) {
        if (c.vanished) return errc::invalid_argument;
        c.vanished = true;
      } else {
        return errc::unknown_option;
      }
    }
    // RFC 7162 §3.2.6: VANISHED only in UID FETCH, and only with CHANGEDSINCE.
    if (c.vanished && (!uid || !c.changed_since)) return errc::invalid_argument;
  }
  if (!a.done()) return errc::trailing_data;
  out = std::move(c);
  return errc::ok;
}

// store = "STORE" SP sequence-set [SP store-modifiers] SP store-att-flags
// store-modifiers = "(" "UNCHANGEDSINCE" SP mod-sequence-valzer ")"      (RFC 7162 §3.1.3, RFC 4466 §2.5)
// store-att-flags = (["+" / "-"] "FLAGS" [".SILENT"]) SP (flag-list / (flag *(SP flag)))
errc parse_store_cmd(args& a, const parse_options&, bool uid, command_body& out) {
  cmd::store c;
  c.uid = uid;
  if (const errc e = as_sequence_set(a.next(), c.set); e != errc::ok) return e;
  value* v = a.next();
  if (v == nullptr) return errc::missing_argument;
  if (v->is_list()) {
    args m(v->items);
    while (!m.done()) {
      if (!m.next_keyword("UNCHANGEDSINCE")) return errc::unknown_option;
      if (c.unchanged_since) return errc::invalid_argument;
      std::uint64_t n = 0;
      if (const errc e = as_number(m.next(), max_number64, false, n); e != errc::ok) return e;
      c.unchanged_since = n;
    }
    if (!c.unchanged_since) return errc::syntax_error;
    v = a.next();
    if (v == nullptr) return errc::missing_argument;
  }
  if (v->k != value::kind::atom) return errc::syntax_error;
  std::string_view op = v->text;
  if (!op.empty() && (op[0] == '+' || op[0] == '-')) {
    c.how = op[0] == '+' ? cmd::store::mode::add : cmd::store::mode::remove;
    op.remove_prefix(1);
  }
  if (iequals(op, "FLAGS.SILENT")) {
    c.silent = true;
  } else if (!iequals(op, "FLAGS")) {
    return errc::syntax_error;
  }
  const value* first = a.next();
  if (first == nullptr) return errc::missing_argument;
  if (first->is_list()) {
    if (const errc e = as_flag_list(first, c.flags); e != errc::ok) return e;
  } else {
    for (const value* f = first; f != nullptr; f = a.next()) {
      if (!f->is_atom() || !is_valid_flag(f->text)) return errc::invalid_flag;
      c.flags.push_back(canonical_flag(f->text));
    }
  }
  if (!a.done()) return errc::trailing_data;
  out = std::move(c);
  return errc::ok;
}

}  // namespace detail
}  // namespace mssgw::imap::proto
