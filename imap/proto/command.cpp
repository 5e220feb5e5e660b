// Command dispatch, the commands without complex arguments, and the shared extractors of parse_util.hpp.
#include "imap/proto/command.hpp"

#include <array>

#include "imap/proto/command_reader.hpp"
#include "imap/proto/mailbox_name.hpp"
#include "imap/proto/parse_util.hpp"

namespace mssgw::imap::proto {
namespace detail {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'a' && x <= 'z') x = static_cast<char>(x - 'a' + 'A');
    if (y >= 'a' && y <= 'z') y = static_cast<char>(y - 'a' + 'A');
    if (x != y) return false;
  }
  return true;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

namespace {

bool all_astring_chars(std::string_view s) {
  for (const char c : s) {
    if (!is_astring_char(static_cast<unsigned char>(c))) return false;
  }
  return !s.empty();
}

}  // namespace

errc as_astring(const value* v, std::string& out) {
  if (v == nullptr) return errc::missing_argument;
  if (v->is_string()) {
    out = v->text;
    return errc::ok;
  }
  if (!v->is_atom() || !all_astring_chars(v->text)) return errc::syntax_error;
  out = v->text;
  return errc::ok;
}

errc as_string(const value* v, std::string& out) {
  if (v == nullptr) return errc::missing_argument;
  if (!v->is_string()) return errc::syntax_error;
  out = v->text;
  return errc::ok;
}

errc as_nstring(const value* v, std::optional<std::string>& out) {
  if (v == nullptr) return errc::missing_argument;
  if (v->k == value::kind::nil) {
    out.reset();
    return errc::ok;
  }
  if (!v->is_string()) return errc::syntax_error;
  out = v->text;
  return errc::ok;
}

errc as_mailbox(const value* v, const parse_options& o, std::string& out) {
  std::string raw;
  if (const errc e = as_astring(v, raw); e != errc::ok) return e;
  auto decoded = decode_mailbox(raw, o.utf8);
  if (!decoded) return errc::invalid_mailbox_name;
  out = normalise_inbox(std::move(*decoded));
  return errc::ok;
}

errc as_list_mailbox(const value* v, const parse_options& o, std::string& out) {
  if (v == nullptr) return errc::missing_argument;
  std::string_view raw;
  if (v->is_string()) {
    raw = v->text;
  } else if (v->is_atom()) {
    // list-char = ATOM-CHAR / list-wildcards / resp-specials
    for (const char c : v->text) {
      const auto u = static_cast<unsigned char>(c);
      if (!is_astring_char(u) && u != '%' && u != '*') return errc::syntax_error;
    }
    raw = v->text;
  } else {
    return errc::syntax_error;
  }
  auto decoded = decode_mailbox(raw, o.utf8);
  if (!decoded) return errc::invalid_mailbox_name;
  out = std::move(*decoded);
  return errc::ok;
}

errc as_number(const value* v, std::uint64_t max, bool nonzero, std::uint64_t& out) {
  if (v == nullptr) return errc::missing_argument;
  if (v->k != value::kind::number) {
    // All digits but over 64 bits is still a number the grammar allows, just out of range.
    bool digits = v->k == value::kind::atom && !v->text.empty();
    for (const char c : v->text) digits = digits && c >= '0' && c <= '9';
    return digits ? errc::number_out_of_range : errc::syntax_error;
  }
  if (v->number > max || (nonzero && v->number == 0)) return errc::number_out_of_range;
  out = v->number;
  return errc::ok;
}

errc as_number32(const value* v, bool nonzero, std::uint32_t& out) {
  std::uint64_t n = 0;
  if (const errc e = as_number(v, max_number, nonzero, n); e != errc::ok) return e;
  out = static_cast<std::uint32_t>(n);
  return errc::ok;
}

errc as_sequence_set(const value* v, sequence_set& out, bool allow_saved, bool allow_star) {
  if (v == nullptr) return errc::missing_argument;
  if (!v->is_atom()) return errc::invalid_sequence_set;
  return parse_sequence_set(v->text, out, allow_saved, allow_star);
}

errc as_flag_list(const value* v, flag_list& out) {
  if (v == nullptr) return errc::missing_argument;
  if (!v->is_list()) return errc::syntax_error;
  out.clear();
  for (const value& f : v->items) {
    if (!f.is_atom() || !is_valid_flag(f.text)) return errc::invalid_flag;
    out.push_back(canonical_flag(f.text));
  }
  return errc::ok;
}

errc as_date(const value* v, date& out) {
  if (v == nullptr) return errc::missing_argument;
  if (v->k != value::kind::atom && v->k != value::kind::quoted) return errc::invalid_date;
  return parse_date(v->text, out);
}

}  // namespace detail

using detail::args;

std::string_view to_string(status_item s) {
  switch (s) {
    case status_item::messages: return "MESSAGES";
    case status_item::recent: return "RECENT";
    case status_item::uidnext: return "UIDNEXT";
    case status_item::uidvalidity: return "UIDVALIDITY";
    case status_item::unseen: return "UNSEEN";
    case status_item::highestmodseq: return "HIGHESTMODSEQ";
    case status_item::size: return "SIZE";
    case status_item::deleted: return "DELETED";
    case status_item::appendlimit: return "APPENDLIMIT";
  }
  return "";
}

std::string canonical_flag(std::string_view flag) {
  static constexpr std::array<std::string_view, 6> system = {"\\Answered", "\\Flagged", "\\Deleted",
                                                              "\\Seen",     "\\Draft",   "\\Recent"};
  for (const auto s : system) {
    if (detail::iequals(flag, s)) return std::string(s);
  }
  return std::string(flag);
}

bool is_valid_flag(std::string_view flag, bool allow_wildcard) {
  if (flag.empty()) return false;
  if (flag == "\\*") return allow_wildcard;
  if (flag[0] == '\\') flag.remove_prefix(1);  // flag-extension = "\" atom
  if (flag.empty()) return false;
  for (const char c : flag) {
    if (!is_atom_char(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

bool is_idle_done(std::string_view line) { return detail::iequals(line, "DONE"); }

bool is_sasl_cancel(std::string_view line) { return line == "*"; }

namespace {

template <typename T>
errc no_args(args& a, command_body& out) {
  if (!a.done()) return errc::trailing_data;
  out = T{};
  return errc::ok;
}

template <typename T>
errc one_mailbox(args& a, const parse_options& o, command_body& out) {
  T c;
  if (const errc e = detail::as_mailbox(a.next(), o, c.mailbox); e != errc::ok) return e;
  if (!a.done()) return errc::trailing_data;
  out = std::move(c);
  return errc::ok;
}

// auth-type = atom; SASL-IR (RFC 4959 §7): [SP (base64 / "=")].
errc parse_authenticate(args& a, command_body& out) {
  cmd::authenticate c;
  const value* mech = a.next();
  if (mech == nullptr) return errc::missing_argument;
  if (mech->k != value::kind::atom) return errc::syntax_error;
  for (const char ch : mech->text) {
    if (!is_atom_char(static_cast<unsigned char>(ch))) return errc::syntax_error;
  }
  c.mechanism = detail::upper(mech->text);
  if (const value* ir = a.next()) {
    if (!ir->is_atom()) return errc::syntax_error;
    if (ir->text == "=") {
      c.initial_response = std::string();
    } else {
      // base64 = *(4base64-char) [base64-terminal]
      const std::string& t = ir->text;
      if (t.size() % 4 != 0) return errc::invalid_argument;
      std::size_t pad = 0;
      for (std::size_t i = 0; i < t.size(); ++i) {
        const char ch = t[i];
        const bool b64 = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
                         ch == '+' || ch == '/';
        if (ch == '=') {
          ++pad;
        } else if (!b64 || pad != 0) {
          return errc::invalid_argument;
        }
      }
      if (pad > 2) return errc::invalid_argument;
      c.initial_response = t;
    }
  }
  if (!a.done()) return errc::trailing_data;
  out = std::move(c);
  return errc::ok;
}

errc parse_login(args& a, command_body& out) {
  cmd::login c;
  if (const errc e = detail::as_astring(a.next(), c.user); e != errc::ok) return e;
  if (const errc e = detail::as_astring(a.next(), c.password); e != errc::ok) return e;
  if (!a.done()) return errc::trailing_data;
  out = std::move(c);
  return errc::ok;
}

// RFC 5161 §4: enable = "ENABLE" 1*(SP capability)
errc parse_enable(args& a, command_body& out) {
  cmd::enable c;
  while (const value* v = a.next()) {
    if (v->k != value::kind::atom) return errc::syntax_error;
    for (const char ch : v->text) {
      if (!is_atom_char(static_cast<unsigned char>(ch))) return errc::syntax_error;
    }
    c.capabilities.push_back(detail::upper(v->text));
  }
  if (c.capabilities.empty()) return errc::missing_argument;
  out = std::move(c);
  return errc::ok;
}

errc parse_rename(args& a, const parse_options& o, command_body& out) {
  cmd::rename c;
  if (const errc e = detail::as_mailbox(a.next(), o, c.from); e != errc::ok) return e;
  if (const errc e = detail::as_mailbox(a.next(), o, c.to); e != errc::ok) return e;
  if (!a.done()) return errc::trailing_data;
  out = std::move(c);
  return errc::ok;
}

errc parse_expunge(args& a, bool uid, command_body& out) {
  cmd::expunge c;
  if (uid) {
    sequence_set s;
    if (const errc e = detail::as_sequence_set(a.next(), s); e != errc::ok) return e;
    c.uids = std::move(s);
  }
  if (!a.done()) return errc::trailing_data;
  out = std::move(c);
  return errc::ok;
}

errc parse_copy_move(args& a, const parse_options& o, bool uid, bool is_move, command_body& out) {
  sequence_set s;
  std::string mailbox;
  if (const errc e = detail::as_sequence_set(a.next(), s); e != errc::ok) return e;
  if (const errc e = detail::as_mailbox(a.next(), o, mailbox); e != errc::ok) return e;
  if (!a.done()) return errc::trailing_data;
  if (is_move) {
    out = cmd::move{uid, std::move(s), std::move(mailbox)};
  } else {
    out = cmd::copy{uid, std::move(s), std::move(mailbox)};
  }
  return errc::ok;
}

// RFC 2971 §4: id = "ID" SP id-params-list; id-params-list = "(" *(string SP nstring) ")" / nil.
// §3.3: fields at most 30 octets, values at most 1024, at most 30 pairs.
errc parse_id(args& a, command_body& out) {
  cmd::id c;
  const value* v = a.next();
  if (v == nullptr) return errc::missing_argument;
  if (v->k != value::kind::nil) {
    if (!v->is_list() || v->items.size() % 2 != 0) return errc::syntax_error;
    if (v->items.size() > 60) return errc::invalid_argument;
    for (std::size_t i = 0; i < v->items.size(); i += 2) {
      std::string field;
      std::optional<std::string> val;
      if (const errc e = detail::as_string(&v->items[i], field); e != errc::ok) return e;
      if (const errc e = detail::as_nstring(&v->items[i + 1], val); e != errc::ok) return e;
      if (field.size() > 30 || (val && val->size() > 1024)) return errc::invalid_argument;
      c.params.emplace_back(std::move(field), std::move(val));
    }
  }
  if (!a.done()) return errc::trailing_data;
  out = std::move(c);
  return errc::ok;
}

errc parse_getquota(args& a, command_body& out) {
  cmd::getquota c;
  if (const errc e = detail::as_astring(a.next(), c.root); e != errc::ok) return e;
  if (!a.done()) return errc::trailing_data;
  out = std::move(c);
  return errc::ok;
}

enum class cmd_id : std::uint8_t {
  capability, noop, logout, starttls, authenticate, login, enable, select, examine, create, delete_mailbox,
  rename, subscribe, unsubscribe, list, lsub, namespace_query, status, append, check, close, unselect, expunge,
  search, sort, fetch, store, copy, move, idle, id, getquota, getquotaroot,
};

struct name_entry {
  std::string_view name;
  cmd_id id;
  bool uid_form;  // allowed after "UID"
};

constexpr name_entry names[] = {
    {"CAPABILITY", cmd_id::capability, false}, {"NOOP", cmd_id::noop, false},
    {"LOGOUT", cmd_id::logout, false},         {"STARTTLS", cmd_id::starttls, false},
    {"AUTHENTICATE", cmd_id::authenticate, false}, {"LOGIN", cmd_id::login, false},
    {"ENABLE", cmd_id::enable, false},         {"SELECT", cmd_id::select, false},
    {"EXAMINE", cmd_id::examine, false},       {"CREATE", cmd_id::create, false},
    {"DELETE", cmd_id::delete_mailbox, false}, {"RENAME", cmd_id::rename, false},
    {"SUBSCRIBE", cmd_id::subscribe, false},   {"UNSUBSCRIBE", cmd_id::unsubscribe, false},
    {"LIST", cmd_id::list, false},             {"LSUB", cmd_id::lsub, false},
    {"NAMESPACE", cmd_id::namespace_query, false}, {"STATUS", cmd_id::status, false},
    {"APPEND", cmd_id::append, false},         {"CHECK", cmd_id::check, false},
    {"CLOSE", cmd_id::close, false},           {"UNSELECT", cmd_id::unselect, false},
    {"EXPUNGE", cmd_id::expunge, true},        {"SEARCH", cmd_id::search, true},
    {"SORT", cmd_id::sort, true},              {"FETCH", cmd_id::fetch, true},
    {"STORE", cmd_id::store, true},            {"COPY", cmd_id::copy, true},
    {"MOVE", cmd_id::move, true},              {"IDLE", cmd_id::idle, false},
    {"ID", cmd_id::id, false},                 {"GETQUOTA", cmd_id::getquota, false},
    {"GETQUOTAROOT", cmd_id::getquotaroot, false},
};

const name_entry* find_name(std::string_view n) {
  for (const auto& e : names) {
    if (detail::iequals(e.name, n)) return &e;
  }
  return nullptr;
}

errc dispatch(cmd_id id, args& a, const parse_options& o, bool uid, command_body& out) {
  switch (id) {
    case cmd_id::capability: return no_args<cmd::capability>(a, out);
    case cmd_id::noop: return no_args<cmd::noop>(a, out);
    case cmd_id::logout: return no_args<cmd::logout>(a, out);
    case cmd_id::starttls: return no_args<cmd::starttls>(a, out);
    case cmd_id::authenticate: return parse_authenticate(a, out);
    case cmd_id::login: return parse_login(a, out);
    case cmd_id::enable: return parse_enable(a, out);
    case cmd_id::select: return detail::parse_select_cmd(a, o, false, out);
    case cmd_id::examine: return detail::parse_select_cmd(a, o, true, out);
    case cmd_id::create: return detail::parse_create_cmd(a, o, out);
    case cmd_id::delete_mailbox: return one_mailbox<cmd::delete_mailbox>(a, o, out);
    case cmd_id::rename: return parse_rename(a, o, out);
    case cmd_id::subscribe: return one_mailbox<cmd::subscribe>(a, o, out);
    case cmd_id::unsubscribe: return one_mailbox<cmd::unsubscribe>(a, o, out);
    case cmd_id::list: return detail::parse_list_cmd(a, o, out);
    case cmd_id::lsub: return detail::parse_lsub_cmd(a, o, out);
    case cmd_id::namespace_query: return no_args<cmd::namespace_query>(a, out);
    case cmd_id::status: return detail::parse_status_cmd(a, o, out);
    case cmd_id::append: return detail::parse_append_cmd(a, o, out);
    case cmd_id::check: return no_args<cmd::check>(a, out);
    case cmd_id::close: return no_args<cmd::close>(a, out);
    case cmd_id::unselect: return no_args<cmd::unselect>(a, out);
    case cmd_id::expunge: return parse_expunge(a, uid, out);
    case cmd_id::search: return detail::parse_search_cmd(a, o, uid, out);
    case cmd_id::sort: return detail::parse_sort_cmd(a, o, uid, out);
    case cmd_id::fetch: return detail::parse_fetch_cmd(a, o, uid, out);
    case cmd_id::store: return detail::parse_store_cmd(a, o, uid, out);
    case cmd_id::copy: return parse_copy_move(a, o, uid, false, out);
    case cmd_id::move: return parse_copy_move(a, o, uid, true, out);
    case cmd_id::idle: return no_args<cmd::idle>(a, out);
    case cmd_id::id: return parse_id(a, out);
    case cmd_id::getquota: return parse_getquota(a, out);
    case cmd_id::getquotaroot: return one_mailbox<cmd::getquotaroot>(a, o, out);
  }
  return errc::unknown_command;
}

bool is_tag_char(unsigned char c) { return c != '+' && is_astring_char(c); }

// Reads an atom-ish command name at s[i]; returns it (possibly empty) and advances i.
std::string_view read_name(std::string_view s, std::size_t& i) {
  const std::size_t start = i;
  while (i < s.size() && s[i] != ' ') ++i;
  return s.substr(start, i - start);
}

bool is_name(std::string_view n) {
  if (n.empty()) return false;
  for (const char c : n) {
    if (!is_atom_char(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

parsed_command parse_command(std::string_view text, const parse_options& o) {
  parsed_command r;
  // RFC 3501 §9: command = tag SP (command-any / command-auth / command-nonauth / command-select) CRLF
  std::size_t i = 0;
  const std::string_view tag = read_name(text, i);
  if (tag.empty()) {
    r.error = errc::missing_tag;
    return r;
  }
  bool tag_ok = tag.size() <= max_tag_length;
  for (const char c : tag) tag_ok = tag_ok && is_tag_char(static_cast<unsigned char>(c));
  if (!tag_ok) {
    r.error = errc::invalid_tag;
    return r;
  }
  r.tag = tag;
  if (i == text.size()) {
    r.error = errc::syntax_error;  // "A1" alone: a tag and no command (RFC 3501 §9: tag SP command)
    return r;
  }
  ++i;
  std::string_view name = read_name(text, i);
  if (!is_name(name)) {
    r.error = name.empty() ? errc::syntax_error : errc::unknown_command;
    return r;
  }
  bool uid = false;
  if (detail::iequals(name, "UID")) {
    uid = true;
    if (i == text.size()) {
      r.error = errc::missing_argument;
      r.name = "UID";
      return r;
    }
    ++i;
    name = read_name(text, i);
    if (!is_name(name)) {
      r.error = errc::unknown_command;
      r.name = "UID";
      return r;
    }
  }
  r.name = (uid ? "UID " : "") + detail::upper(name);
  const name_entry* entry = find_name(name);
  if (entry == nullptr || (uid && !entry->uid_form)) {
    r.error = errc::unknown_command;
    return r;
  }
  std::string_view rest;
  if (i < text.size()) {
    rest = text.substr(i + 1);  // after the SP
    if (rest.empty()) {
      r.error = errc::syntax_error;  // trailing SP
      return r;
    }
  }
  values_result v = parse_values(rest, o.max_depth);
  if (v.error != errc::ok) {
    r.error = v.error;
    return r;
  }
  args a(v.values);
  r.error = dispatch(entry->id, a, o, uid, r.body);
  return r;
}

}  // namespace mssgw::imap::proto
