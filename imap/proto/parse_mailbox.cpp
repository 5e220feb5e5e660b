// Mailbox commands with options: SELECT/EXAMINE (RFC 7162 CONDSTORE, QRESYNC), CREATE (RFC 6154 USE), LIST
// (RFC 5258 LIST-EXTENDED, RFC 5819 LIST-STATUS, RFC 6154 SPECIAL-USE), LSUB, STATUS, APPEND (RFC 3502
// MULTIAPPEND, RFC 3516 literal8).
#include "imap/proto/parse_util.hpp"

namespace mssgw::imap::proto::detail {
namespace {

// qresync-param = "QRESYNC" SP "(" uidvalidity SP mod-sequence-value [SP known-uids] [SP seq-match-data] ")"
// seq-match-data = "(" known-sequence-set SP known-uid-set ")"            (RFC 7162 §7; "*" is not allowed)
errc parse_qresync(value* v, qresync_params& q) {
  if (v == nullptr) return errc::missing_argument;
  if (!v->is_list()) return errc::syntax_error;
  args a(v->items);
  if (const errc e = as_number32(a.next(), true, q.uidvalidity); e != errc::ok) return e;
  if (const errc e = as_number(a.next(), max_number64, true, q.modseq); e != errc::ok) return e;
  value* n = a.peek();
  if (n != nullptr && n->is_atom()) {
    a.next();
    sequence_set s;
    if (const errc e = as_sequence_set(n, s, false, false); e != errc::ok) return e;
    q.known_uids = std::move(s);
    n = a.peek();
  }
  if (n != nullptr && n->is_list()) {
    a.next();
    if (n->items.size() != 2) return errc::syntax_error;
    sequence_set seqs;
    sequence_set uids;
    if (const errc e = as_sequence_set(&n->items[0], seqs, false, false); e != errc::ok) return e;
    if (const errc e = as_sequence_set(&n->items[1], uids, false, false); e != errc::ok) return e;
    q.known_seqs = std::move(seqs);
    q.known_seq_uids = std::move(uids);
  }
  return a.done() ? errc::ok : errc::trailing_data;
}

bool parse_status_item(std::string_view s, status_item& out) {
  static constexpr status_item all[] = {
      status_item::messages, status_item::recent,        status_item::uidnext,
      status_item::uidvalidity, status_item::unseen,     status_item::highestmodseq,
      status_item::size,     status_item::deleted,       status_item::appendlimit,
  };
  for (const status_item i : all) {
    if (iequals(s, to_string(i))) {
      out = i;
      return true;
    }
  }
  return false;
}

// "(" status-att *(SP status-att) ")"
errc parse_status_items(const value* v, std::vector<status_item>& out) {
  if (v == nullptr) return errc::missing_argument;
  if (!v->is_list() || v->items.empty()) return errc::syntax_error;
  for (const value& i : v->items) {
    status_item s{};
    if (i.k != value::kind::atom) return errc::syntax_error;
    if (!parse_status_item(i.text, s)) return errc::unknown_option;
    out.push_back(s);
  }
  return errc::ok;
}

}  // namespace

// select = "SELECT" SP mailbox [select-params]; select-params = SP "(" select-param *(SP select-param) ")"
errc parse_select_cmd(args& a, const parse_options& o, bool read_only, command_body& out) {
  cmd::select c;
  c.read_only = read_only;
  if (const errc e = as_mailbox(a.next(), o, c.mailbox); e != errc::ok) return e;
  if (value* params = a.next()) {
    if (!params->is_list() || params->items.empty()) return errc::syntax_error;
    args p(params->items);
    while (!p.done()) {
      if (p.next_keyword("CONDSTORE")) {
        c.condstore = true;
      } else if (p.next_keyword("QRESYNC")) {
        if (c.qresync) return errc::invalid_argument;
        qresync_params q;
        if (const errc e = parse_qresync(p.next(), q); e != errc::ok) return e;
        c.qresync = std::move(q);
      } else {
        return errc::unknown_option;
      }
    }
  }
  if (!a.done()) return errc::trailing_data;
  out = std::move(c);
  return errc::ok;
}

// create = "CREATE" SP mailbox [create-params]; create-param = "USE" SP "(" use-attr *(SP use-attr) ")"
errc parse_create_cmd(args& a, const parse_options& o, command_body& out) {
  cmd::create c;
  if (const errc e = as_mailbox(a.next(), o, c.mailbox); e != errc::ok) return e;
  if (value* params = a.next()) {
    if (!params->is_list() || params->items.empty()) return errc::syntax_error;
    args p(params->items);
    while (!p.done()) {
      if (!p.next_keyword("USE")) return errc::unknown_option;
      const value* uses = p.next();
      if (uses == nullptr) return errc::missing_argument;
      if (!uses->is_list() || uses->items.empty()) return errc::syntax_error;
      for (const value& u : uses->items) {
        // use-attr = "\All" / "\Archive" / "\Drafts" / "\Flagged" / "\Junk" / "\Sent" / "\Trash" / use-attr-ext
        if (!u.is_atom() || u.text.size() < 2 || u.text[0] != '\\' || !is_valid_flag(u.text)) {
          return errc::invalid_argument;
        }
        static constexpr std::string_view known[] = {"\\All",  "\\Archive", "\\Drafts", "\\Flagged",
                                                     "\\Junk", "\\Sent",    "\\Trash",  "\\Important"};
        std::string name = u.text;
        for (const auto k : known) {
          if (iequals(name, k)) name = k;
        }
        c.special_use.push_back(std::move(name));
      }
    }
  }
  if (!a.done()) return errc::trailing_data;
  out = std::move(c);
  return errc::ok;
}

// list = "LIST" [SP list-select-opts] SP mailbox SP mbox-or-pat [SP list-return-opts]     (RFC 5258 §6)
// list-select-opts = "(" [...] ")"; mbox-or-pat = list-mailbox / patterns; patterns = "(" list-mailbox *(...) ")"
// list-return-opts = "RETURN" SP "(" [return-option *(SP return-option)] ")"
errc parse_list_cmd(args& a, const parse_options& o, command_body& out) {
  cmd::list c;
  value* first = a.peek();
  if (first == nullptr) return errc::missing_argument;
  if (first->is_list()) {
    a.next();
    c.extended = true;
    bool base = false;  // an option other than REMOTE / RECURSIVEMATCH
    for (const value& s : first->items) {
      if (s.k != value::kind::atom) return errc::syntax_error;
      if (iequals(s.text, "SUBSCRIBED")) {
        c.select_subscribed = base = true;
      } else if (iequals(s.text, "REMOTE")) {
        c.select_remote = true;
      } else if (iequals(s.text, "RECURSIVEMATCH")) {
        c.select_recursive_match = true;
      } else if (iequals(s.text, "SPECIAL-USE")) {
        c.select_special_use = base = true;  // RFC 6154 §3
      } else {
        return errc::unknown_option;  // RFC 5258 §3: unrecognised selection options are errors
      }
    }
    // RFC 5258 §3.1: RECURSIVEMATCH needs another selection option that is not REMOTE.
    if (c.select_recursive_match && !base) return errc::invalid_argument;
  }
  if (const errc e = as_list_mailbox(a.next(), o, c.reference); e != errc::ok) return e;
  value* pat = a.next();
  if (pat == nullptr) return errc::missing_argument;
  if (pat->is_list()) {
    if (pat->items.empty()) return errc::syntax_error;
    c.extended = true;
    for (value& p : pat->items) {
      std::string s;
      if (const errc e = as_list_mailbox(&p, o, s); e != errc::ok) return e;
      c.patterns.push_back(std::move(s));
    }
  } else {
    std::string s;
    if (const errc e = as_list_mailbox(pat, o, s); e != errc::ok) return e;
    c.patterns.push_back(std::move(s));
  }
  if (a.next_keyword("RETURN")) {
    c.extended = true;
    value* ret = a.next();
    if (ret == nullptr) return errc::missing_argument;
    if (!ret->is_list()) return errc::syntax_error;
    args r(ret->items);
    while (!r.done()) {
      if (r.next_keyword("SUBSCRIBED")) {
        c.return_subscribed = true;
      } else if (r.next_keyword("CHILDREN")) {
        c.return_children = true;
      } else if (r.next_keyword("SPECIAL-USE")) {
        c.return_special_use = true;
      } else if (r.next_keyword("STATUS")) {
        // RFC 5819 §2: "STATUS" SP "(" status-att *(SP status-att) ")"
        if (c.return_status) return errc::invalid_argument;
        std::vector<status_item> items;
        if (const errc e = parse_status_items(r.next(), items); e != errc::ok) return e;
        c.return_status = std::move(items);
      } else {
        return errc::unknown_option;
      }
    }
  }
  if (!a.done()) return errc::trailing_data;
  out = std::move(c);
  return errc::ok;
}

errc parse_lsub_cmd(args& a, const parse_options& o, command_body& out) {
  cmd::lsub c;
  if (const errc e = as_list_mailbox(a.next(), o, c.reference); e != errc::ok) return e;
  if (const errc e = as_list_mailbox(a.next(), o, c.pattern); e != errc::ok) return e;
  if (!a.done()) return errc::trailing_data;
  out = std::move(c);
  return errc::ok;
}

// status = "STATUS" SP mailbox SP "(" status-att *(SP status-att) ")"
errc parse_status_cmd(args& a, const parse_options& o, command_body& out) {
  cmd::status c;
  if (const errc e = as_mailbox(a.next(), o, c.mailbox); e != errc::ok) return e;
  if (const errc e = parse_status_items(a.next(), c.items); e != errc::ok) return e;
  if (!a.done()) return errc::trailing_data;
  out = std::move(c);
  return errc::ok;
}

// append = "APPEND" SP mailbox 1*append-message                              (RFC 3502 §6, RFC 3516 §4.4)
// append-message = [SP flag-list] [SP date-time] SP (literal / literal8)
errc parse_append_cmd(args& a, const parse_options& o, command_body& out) {
  cmd::append c;
  if (const errc e = as_mailbox(a.next(), o, c.mailbox); e != errc::ok) return e;
  if (a.done()) return errc::missing_argument;
  while (!a.done()) {
    append_message m;
    value* v = a.next();
    if (v->is_list()) {
      if (const errc e = as_flag_list(v, m.flags); e != errc::ok) return e;
      v = a.next();
      if (v == nullptr) return errc::missing_argument;
    }
    if (v->k == value::kind::quoted) {
      date_time dt;
      if (const errc e = parse_date_time(v->text, dt); e != errc::ok) return e;
      m.internal_date = dt;
      v = a.next();
      if (v == nullptr) return errc::missing_argument;
    }
    if (v->k != value::kind::literal) return errc::syntax_error;  // the message must be a literal
    m.binary = v->binary;
    m.data = std::move(v->text);
    c.messages.push_back(std::move(m));
  }
  out = std::move(c);
  return errc::ok;
}

}  // namespace mssgw::imap::proto::detail
