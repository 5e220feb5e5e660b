// SEARCH (RFC 3501 §6.4.4; RFC 4731 ESEARCH; RFC 5182 SEARCHRES; RFC 7162 §3.1.5 MODSEQ) and SORT (RFC 5256,
// RFC 5267 ESORT, RFC 5957 DISPLAYFROM/DISPLAYTO).
#include "imap/proto/parse_util.hpp"

namespace mssgw::imap::proto::detail {
namespace {

enum class arg : std::uint8_t { none, astring, header, keyword, day, number, set, not_, or_, modseq };

struct key_entry {
  std::string_view name;
  search_key::kind kind;
  arg type;
};

using sk = search_key::kind;

constexpr key_entry keys[] = {
    {"ALL", sk::all, arg::none},
    {"ANSWERED", sk::answered, arg::none},
    {"BCC", sk::bcc, arg::astring},
    {"BEFORE", sk::before, arg::day},
    {"BODY", sk::body, arg::astring},
    {"CC", sk::cc, arg::astring},
    {"DELETED", sk::deleted, arg::none},
    {"DRAFT", sk::draft, arg::none},
    {"FLAGGED", sk::flagged, arg::none},
    {"FROM", sk::from, arg::astring},
    {"HEADER", sk::header, arg::header},
    {"KEYWORD", sk::keyword, arg::keyword},
    {"LARGER", sk::larger, arg::number},
    {"MODSEQ", sk::modseq, arg::modseq},
    {"NEW", sk::new_, arg::none},
    {"NOT", sk::not_, arg::not_},
    {"OLD", sk::old, arg::none},
    {"ON", sk::on, arg::day},
    {"OR", sk::or_, arg::or_},
    {"RECENT", sk::recent, arg::none},
    {"SEEN", sk::seen, arg::none},
    {"SENTBEFORE", sk::sentbefore, arg::day},
    {"SENTON", sk::senton, arg::day},
    {"SENTSINCE", sk::sentsince, arg::day},
    {"SINCE", sk::since, arg::day},
    {"SMALLER", sk::smaller, arg::number},
    {"SUBJECT", sk::subject, arg::astring},
    {"TEXT", sk::text, arg::astring},
    {"TO", sk::to, arg::astring},
    {"UID", sk::uid, arg::set},
    {"UNANSWERED", sk::unanswered, arg::none},
    {"UNDELETED", sk::undeleted, arg::none},
    {"UNDRAFT", sk::undraft, arg::none},
    {"UNFLAGGED", sk::unflagged, arg::none},
    {"UNKEYWORD", sk::unkeyword, arg::keyword},
    {"UNSEEN", sk::unseen, arg::none},
};

errc parse_key(args& a, const parse_options& o, std::size_t depth, search_key& out);

// One recursion level per NOT, OR and parenthesis: bounded by max_search_depth so that "NOT NOT NOT ..." in a
// 64 KB line cannot exhaust the stack.
errc parse_child(args& a, const parse_options& o, std::size_t depth, search_key& parent) {
  search_key child;
  if (const errc e = parse_key(a, o, depth + 1, child); e != errc::ok) return e;
  parent.children.push_back(std::move(child));
  return errc::ok;
}

// MODSEQ [SP entry-name SP entry-type-req] SP mod-sequence-valzer       (RFC 7162 §7)
// entry-name = DQUOTE "/flags/" attr-flag DQUOTE; entry-type-req = "priv" / "shared" / "all"
errc parse_modseq(args& a, search_key& out) {
  const value* v = a.peek();
  if (v != nullptr && v->is_string()) {
    a.next();
    constexpr std::string_view prefix = "/flags/";
    if (v->text.size() <= prefix.size() || !iequals(std::string_view(v->text).substr(0, prefix.size()), prefix) ||
        !is_valid_flag(std::string_view(v->text).substr(prefix.size()))) {
      return errc::invalid_search_key;
    }
    out.field = "/flags/" + canonical_flag(std::string_view(v->text).substr(prefix.size()));
    const value* t = a.next();
    if (t == nullptr) return errc::missing_argument;
    if (t->k != value::kind::atom) return errc::invalid_search_key;
    if (iequals(t->text, "priv")) {
      out.entry = search_key::entry_type::priv;
    } else if (iequals(t->text, "shared")) {
      out.entry = search_key::entry_type::shared;
    } else if (iequals(t->text, "all")) {
      out.entry = search_key::entry_type::all;
    } else {
      return errc::invalid_search_key;
    }
  }
  return as_number(a.next(), max_number64, false, out.number);
}

errc parse_key(args& a, const parse_options& o, std::size_t depth, search_key& out) {
  if (depth > o.max_search_depth) return errc::search_too_deep;
  value* v = a.next();
  if (v == nullptr) return errc::missing_argument;
  out = {};
  if (v->is_list()) {
    // "(" search-key *(SP search-key) ")"
    if (v->items.empty()) return errc::invalid_search_key;
    out.k = sk::and_;
    args inner(v->items);
    while (!inner.done()) {
      if (const errc e = parse_child(inner, o, depth, out); e != errc::ok) return e;
    }
    return errc::ok;
  }
  if (!v->is_atom()) return errc::invalid_search_key;
  const key_entry* entry = nullptr;
  for (const auto& e : keys) {
    if (iequals(v->text, e.name)) {
      entry = &e;
      break;
    }
  }
  if (entry == nullptr) {
    // sequence-set (including "$", RFC 5182 §2.1)
    out.k = sk::sequence_set;
    if (parse_sequence_set(v->text, out.set) != errc::ok) return errc::invalid_search_key;
    return errc::ok;
  }
  out.k = entry->kind;
  switch (entry->type) {
    case arg::none: return errc::ok;
    case arg::astring: return as_astring(a.next(), out.str);
    case arg::header:
      if (const errc e = as_astring(a.next(), out.field); e != errc::ok) return e;
      return as_astring(a.next(), out.str);
    case arg::keyword: {
      // flag-keyword = atom (no backslash: system flags have their own keys)
      const value* k = a.next();
      if (k == nullptr) return errc::missing_argument;
      if (!k->is_atom() || k->text.empty() || k->text[0] == '\\' || !is_valid_flag(k->text)) {
        return errc::invalid_flag;
      }
      out.str = k->text;
      return errc::ok;
    }
    case arg::day: return as_date(a.next(), out.day);
    case arg::number: return as_number(a.next(), max_number64, false, out.number);
    case arg::set: return as_sequence_set(a.next(), out.set);
    case arg::not_: return parse_child(a, o, depth, out);
    case arg::or_:
      if (const errc e = parse_child(a, o, depth, out); e != errc::ok) return e;
      return parse_child(a, o, depth, out);
    case arg::modseq: return parse_modseq(a, out);
  }
  return errc::invalid_search_key;
}

// search-return-opts = SP "RETURN" SP "(" [search-return-opt *(SP search-return-opt)] ")"   (RFC 4731 §7)
errc parse_return(args& a, std::optional<search_return>& ret) {
  if (!a.next_keyword("RETURN")) return errc::ok;
  const value* v = a.next();
  if (v == nullptr) return errc::missing_argument;
  if (!v->is_list()) return errc::syntax_error;
  search_return r;
  for (const value& o : v->items) {
    if (o.k != value::kind::atom) return errc::syntax_error;
    if (iequals(o.text, "MIN")) {
      r.min = true;
    } else if (iequals(o.text, "MAX")) {
      r.max = true;
    } else if (iequals(o.text, "COUNT")) {
      r.count = true;
    } else if (iequals(o.text, "ALL")) {
      r.all = true;
    } else if (iequals(o.text, "SAVE")) {
      r.save = true;
    } else {
      return errc::unknown_option;
    }
  }
  if (v->items.empty()) r.all = true;  // RFC 4731 §3.1: "RETURN ()" is "RETURN (ALL)"
  ret = r;
  return errc::ok;
}

// search-key *(SP search-key), all ANDed, under one and_ node.
errc parse_keys(args& a, const parse_options& o, search_key& root) {
  root = {};
  root.k = sk::and_;
  if (a.done()) return errc::missing_argument;
  while (!a.done()) {
    if (const errc e = parse_child(a, o, 0, root); e != errc::ok) return e;
  }
  return errc::ok;
}

}  // namespace

// search = "SEARCH" [search-return-opts] SP ["CHARSET" SP charset SP] search-key *(SP search-key)
errc parse_search_cmd(args& a, const parse_options& o, bool uid, command_body& out) {
  cmd::search c;
  c.uid = uid;
  if (const errc e = parse_return(a, c.ret); e != errc::ok) return e;
  if (a.next_keyword("CHARSET")) {
    if (const errc e = as_astring(a.next(), c.charset); e != errc::ok) return e;
  }
  if (const errc e = parse_keys(a, o, c.key); e != errc::ok) return e;
  out = std::move(c);
  return errc::ok;
}

// sort = ["UID" SP] "SORT" [search-return-opts] SP sort-criteria SP charset 1*(SP search-key)
// sort-criteria = "(" sort-criterion *(SP sort-criterion) ")"; sort-criterion = ["REVERSE" SP] sort-key
errc parse_sort_cmd(args& a, const parse_options& o, bool uid, command_body& out) {
  cmd::sort c;
  c.uid = uid;
  if (const errc e = parse_return(a, c.ret); e != errc::ok) return e;
  const value* crit = a.next();
  if (crit == nullptr) return errc::missing_argument;
  if (!crit->is_list() || crit->items.empty()) return errc::syntax_error;
  static constexpr struct {
    std::string_view name;
    sort_criterion::key key;
  } sort_keys[] = {
      {"ARRIVAL", sort_criterion::key::arrival}, {"CC", sort_criterion::key::cc},
      {"DATE", sort_criterion::key::date},       {"FROM", sort_criterion::key::from},
      {"SIZE", sort_criterion::key::size},       {"SUBJECT", sort_criterion::key::subject},
      {"TO", sort_criterion::key::to},           {"DISPLAYFROM", sort_criterion::key::display_from},
      {"DISPLAYTO", sort_criterion::key::display_to},
  };
  bool reverse = false;
  for (const value& v : crit->items) {
    if (v.k != value::kind::atom) return errc::syntax_error;
    if (iequals(v.text, "REVERSE")) {
      if (reverse) return errc::syntax_error;
      reverse = true;
      continue;
    }
    bool found = false;
    for (const auto& k : sort_keys) {
      if (iequals(v.text, k.name)) {
        c.criteria.push_back({k.key, reverse});
        found = true;
        break;
      }
    }
    if (!found) return errc::unknown_option;
    reverse = false;
  }
  if (reverse) return errc::syntax_error;  // "REVERSE" must precede a key
  if (const errc e = as_astring(a.next(), c.charset); e != errc::ok) return e;
  if (const errc e = parse_keys(a, o, c.key); e != errc::ok) return e;
  out = std::move(c);
  return errc::ok;
}

}  // namespace mssgw::imap::proto::detail
