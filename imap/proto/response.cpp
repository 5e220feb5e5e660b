#include "imap/proto/response.hpp"

#include <cstring>

#include "imap/proto/mailbox_name.hpp"
#include "imap/proto/parse_util.hpp"
#include "imap/proto/value.hpp"

namespace mssgw::imap::proto {
namespace {

void append_number(std::string& out, std::uint64_t n) {
  char buf[24];
  char* p = buf + sizeof buf;
  do {
    *--p = static_cast<char>('0' + n % 10);
    n /= 10;
  } while (n != 0);
  out.append(p, static_cast<std::size_t>(buf + sizeof buf - p));
}

// Status text: one line of TEXT-CHARs (RFC 3501 §9 text = 1*TEXT-CHAR).
void append_text(std::string& out, std::string_view text) {
  if (text.empty()) text = "Completed";
  for (const char c : text) out.push_back(c == '\r' || c == '\n' || c == '\0' ? ' ' : c);
}

void append_delimiter(std::string& out, char d) {
  if (d == '\0') {
    out += "NIL";
    return;
  }
  out.push_back('"');
  if (d == '"' || d == '\\') out.push_back('\\');
  out.push_back(d);
  out.push_back('"');
}

void append_string_list(std::string& out, std::span<const std::string> items, bool astring) {
  out.push_back('(');
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i != 0) out.push_back(' ');
    if (astring) {
      write_astring(out, items[i]);
    } else {
      out += items[i];
    }
  }
  out.push_back(')');
}

void append_atoms(std::string& out, std::span<const std::string> items) {
  for (const auto& i : items) {
    out.push_back(' ');
    out += i;
  }
}

response_code simple(std::string_view s) { return {std::string(s)}; }

}  // namespace

// ---- strings -----------------------------------------------------------------------------------------------------

bool fits_quoted(std::string_view s, bool utf8) {
  if (s.size() > max_quoted_length) return false;
  bool eight_bit = false;
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x80) {
      eight_bit = true;
      continue;
    }
    // Controls (CR, LF, NUL and the rest), DQUOTE and backslash go in a literal: no escaping to get wrong.
    if (c < 0x20 || c == 0x7f || c == '"' || c == '\\') return false;
  }
  return !eight_bit || (utf8 && is_valid_utf8(s));
}

void write_quoted(std::string& out, std::string_view s) {
  out.push_back('"');
  for (const char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
}

void write_literal(std::string& out, std::string_view s) {
  out.push_back('{');
  append_number(out, s.size());
  out += "}\r\n";
  out += s;
}

void write_literal8(std::string& out, std::string_view s) {
  out.push_back('~');
  write_literal(out, s);
}

void write_string(std::string& out, std::string_view s, bool utf8) {
  if (fits_quoted(s, utf8)) {
    write_quoted(out, s);
  } else {
    write_literal(out, s);
  }
}

void write_nstring(std::string& out, const std::optional<std::string>& s, bool utf8) {
  if (s) {
    write_string(out, *s, utf8);
  } else {
    out += "NIL";
  }
}

void write_astring(std::string& out, std::string_view s, bool utf8) {
  bool atom = !s.empty() && !detail::iequals(s, "NIL");
  for (const char c : s) atom = atom && is_astring_char(static_cast<unsigned char>(c));
  if (atom) {
    out += s;
  } else {
    write_string(out, s, utf8);
  }
}

bool write_mailbox(std::string& out, std::string_view name, bool utf8_mode) {
  const auto encoded = encode_mailbox(name, utf8_mode);
  if (!encoded) return false;
  // Always a string (never an atom): clients parse quoted names most reliably, and "INBOX" is fine quoted.
  write_string(out, *encoded, utf8_mode);
  return true;
}

void write_flag_list(std::string& out, std::span<const std::string> flags) { append_string_list(out, flags, false); }

// ---- status responses ----------------------------------------------------------------------------------------------

namespace code {
response_code alert() { return simple("ALERT"); }
response_code alreadyexists() { return simple("ALREADYEXISTS"); }
response_code appenduid(std::uint32_t uidvalidity, std::string_view uid_set) {
  response_code c{"APPENDUID "};
  append_number(c.text, uidvalidity);
  c.text.push_back(' ');
  c.text += uid_set;
  return c;
}
response_code authenticationfailed() { return simple("AUTHENTICATIONFAILED"); }
response_code authorizationfailed() { return simple("AUTHORIZATIONFAILED"); }
response_code badcharset(std::span<const std::string> supported) {
  response_code c{"BADCHARSET"};
  if (!supported.empty()) {
    c.text.push_back(' ');
    append_string_list(c.text, supported, true);
  }
  return c;
}
response_code cannot() { return simple("CANNOT"); }
response_code capability(std::span<const std::string> caps) {
  response_code c{"CAPABILITY"};
  append_atoms(c.text, caps);
  return c;
}
response_code clientbug() { return simple("CLIENTBUG"); }
response_code closed() { return simple("CLOSED"); }
response_code contactadmin() { return simple("CONTACTADMIN"); }
response_code copyuid(std::uint32_t uidvalidity, std::string_view source_set, std::string_view dest_set) {
  response_code c{"COPYUID "};
  append_number(c.text, uidvalidity);
  c.text.push_back(' ');
  c.text += source_set;
  c.text.push_back(' ');
  c.text += dest_set;
  return c;
}
response_code expired() { return simple("EXPIRED"); }
response_code expungeissued() { return simple("EXPUNGEISSUED"); }
response_code haschildren() { return simple("HASCHILDREN"); }
response_code highestmodseq(std::uint64_t modseq) {
  response_code c{"HIGHESTMODSEQ "};
  append_number(c.text, modseq);
  return c;
}
response_code inuse() { return simple("INUSE"); }
response_code limit() { return simple("LIMIT"); }
response_code modified(std::string_view set) {
  response_code c{"MODIFIED "};
  c.text += set;
  return c;
}
response_code nomodseq() { return simple("NOMODSEQ"); }
response_code nonexistent() { return simple("NONEXISTENT"); }
response_code noperm() { return simple("NOPERM"); }
response_code overquota() { return simple("OVERQUOTA"); }
response_code parse() { return simple("PARSE"); }
response_code permanentflags(std::span<const std::string> flags) {
  response_code c{"PERMANENTFLAGS "};
  write_flag_list(c.text, flags);
  return c;
}
response_code privacyrequired() { return simple("PRIVACYREQUIRED"); }
response_code read_only() { return simple("READ-ONLY"); }
response_code read_write() { return simple("READ-WRITE"); }
response_code serverbug() { return simple("SERVERBUG"); }
response_code toobig() { return simple("TOOBIG"); }
response_code trycreate() { return simple("TRYCREATE"); }
response_code uidnext(std::uint32_t uid) {
  response_code c{"UIDNEXT "};
  append_number(c.text, uid);
  return c;
}
response_code uidnotsticky() { return simple("UIDNOTSTICKY"); }
response_code uidvalidity(std::uint32_t v) {
  response_code c{"UIDVALIDITY "};
  append_number(c.text, v);
  return c;
}
response_code unavailable() { return simple("UNAVAILABLE"); }
response_code unseen(std::uint32_t seq) {
  response_code c{"UNSEEN "};
  append_number(c.text, seq);
  return c;
}
response_code named(std::string_view atom) { return simple(atom); }
}  // namespace code

std::string_view to_string(status_word w) {
  switch (w) {
    case status_word::ok: return "OK";
    case status_word::no: return "NO";
    case status_word::bad: return "BAD";
    case status_word::preauth: return "PREAUTH";
    case status_word::bye: return "BYE";
  }
  return "BAD";
}

namespace {
void append_status(std::string& out, status_word w, const response_code& c, std::string_view text) {
  out += to_string(w);
  out.push_back(' ');
  if (!c.empty()) {
    out.push_back('[');
    append_text(out, c.text);
    out += "] ";
  }
  append_text(out, text);
  out += "\r\n";
}
}  // namespace

void write_tagged(std::string& out, std::string_view tag, status_word w, const response_code& c,
                  std::string_view text) {
  out += tag.empty() ? std::string_view("*") : tag;
  out.push_back(' ');
  append_status(out, w, c, text);
}

void write_untagged(std::string& out, status_word w, const response_code& c, std::string_view text) {
  out += "* ";
  append_status(out, w, c, text);
}

void write_continuation(std::string& out, std::string_view text) {
  out += "+ ";
  append_text(out, text);
  out += "\r\n";
}

// ---- untagged data ---------------------------------------------------------------------------------------------------

void write_capability(std::string& out, std::span<const std::string> caps) {
  out += "* CAPABILITY";
  append_atoms(out, caps);
  out += "\r\n";
}

void write_enabled(std::string& out, std::span<const std::string> caps) {
  out += "* ENABLED";
  append_atoms(out, caps);
  out += "\r\n";
}

void write_exists(std::string& out, std::uint32_t n) {
  out += "* ";
  append_number(out, n);
  out += " EXISTS\r\n";
}

void write_recent(std::string& out, std::uint32_t n) {
  out += "* ";
  append_number(out, n);
  out += " RECENT\r\n";
}

void write_expunge(std::string& out, std::uint32_t seq) {
  out += "* ";
  append_number(out, seq);
  out += " EXPUNGE\r\n";
}

void write_flags(std::string& out, std::span<const std::string> flags) {
  out += "* FLAGS ";
  write_flag_list(out, flags);
  out += "\r\n";
}

void write_vanished(std::string& out, std::string_view uid_set, bool earlier) {
  out += earlier ? "* VANISHED (EARLIER) " : "* VANISHED ";
  out += uid_set;
  out += "\r\n";
}

bool write_list(std::string& out, const list_item& item, bool utf8_mode, bool lsub) {
  std::string line = lsub ? "* LSUB " : "* LIST ";
  write_flag_list(line, item.attributes);
  line.push_back(' ');
  append_delimiter(line, item.delimiter);
  line.push_back(' ');
  if (!write_mailbox(line, item.name, utf8_mode)) return false;
  // RFC 5258 §9 mbox-list-extended
  if (!item.childinfo.empty() || item.old_name) {
    line += " (";
    bool first = true;
    if (!item.childinfo.empty()) {
      line += "\"CHILDINFO\" ";
      line.push_back('(');
      for (std::size_t i = 0; i < item.childinfo.size(); ++i) {
        if (i != 0) line.push_back(' ');
        write_string(line, item.childinfo[i]);
      }
      line.push_back(')');
      first = false;
    }
    if (item.old_name) {
      if (!first) line.push_back(' ');
      line += "\"OLDNAME\" (";
      if (!write_mailbox(line, *item.old_name, utf8_mode)) return false;
      line.push_back(')');
    }
    line.push_back(')');
  }
  line += "\r\n";
  out += line;
  return true;
}

bool write_status(std::string& out, std::string_view mailbox, bool utf8_mode,
                  std::span<const std::pair<status_item, std::uint64_t>> items) {
  std::string line = "* STATUS ";
  if (!write_mailbox(line, mailbox, utf8_mode)) return false;
  line += " (";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i != 0) line.push_back(' ');
    line += to_string(items[i].first);
    line.push_back(' ');
    append_number(line, items[i].second);
  }
  line += ")\r\n";
  out += line;
  return true;
}

void write_search(std::string& out, std::span<const std::uint32_t> numbers, std::optional<std::uint64_t> modseq,
                  std::string_view word) {
  out += "* ";
  out += word;
  for (const std::uint32_t n : numbers) {
    out.push_back(' ');
    append_number(out, n);
  }
  // RFC 7162 §3.1.5: the MODSEQ item only when something matched.
  if (modseq && !numbers.empty()) {
    out += " (MODSEQ ";
    append_number(out, *modseq);
    out.push_back(')');
  }
  out += "\r\n";
}

void write_esearch(std::string& out, std::string_view tag, bool uid, const search_return& requested,
                   const esearch_result& r) {
  out += "* ESEARCH (TAG ";
  write_string(out, tag);
  out.push_back(')');
  if (uid) out += " UID";
  // RFC 4731 §3.1: MIN, MAX and ALL are omitted when nothing matched; COUNT is always given when requested.
  if (requested.min && r.min) {
    out += " MIN ";
    append_number(out, *r.min);
  }
  if (requested.max && r.max) {
    out += " MAX ";
    append_number(out, *r.max);
  }
  if (requested.count) {
    out += " COUNT ";
    append_number(out, r.count.value_or(0));
  }
  if (requested.all && !r.all.empty()) {
    out += " ALL ";
    out += r.all;
  }
  if (r.modseq) {
    out += " MODSEQ ";
    append_number(out, *r.modseq);
  }
  out += "\r\n";
}

void write_id(std::string& out, std::span<const std::pair<std::string, std::optional<std::string>>> params) {
  out += "* ID ";
  if (params.empty()) {
    out += "NIL\r\n";
    return;
  }
  out.push_back('(');
  for (std::size_t i = 0; i < params.size(); ++i) {
    if (i != 0) out.push_back(' ');
    write_string(out, params[i].first);
    out.push_back(' ');
    write_nstring(out, params[i].second);
  }
  out += ")\r\n";
}

bool write_namespace(std::string& out, std::span<const namespace_entry> personal,
                     std::span<const namespace_entry> other, std::span<const namespace_entry> shared,
                     bool utf8_mode) {
  std::string line = "* NAMESPACE";
  for (const auto ns : {personal, other, shared}) {
    line.push_back(' ');
    if (ns.empty()) {
      line += "NIL";
      continue;
    }
    line.push_back('(');
    for (const auto& e : ns) {
      line.push_back('(');
      if (!write_mailbox(line, e.prefix, utf8_mode)) return false;
      line.push_back(' ');
      append_delimiter(line, e.delimiter);
      line.push_back(')');
    }
    line.push_back(')');
  }
  line += "\r\n";
  out += line;
  return true;
}

// ---- FETCH ---------------------------------------------------------------------------------------------------------

void write_fetch_att_name(std::string& out, const fetch_att& att) {
  using k = fetch_att::kind;
  switch (att.k) {
    case k::envelope: out += "ENVELOPE"; return;
    case k::flags: out += "FLAGS"; return;
    case k::internaldate: out += "INTERNALDATE"; return;
    case k::uid: out += "UID"; return;
    case k::modseq: out += "MODSEQ"; return;
    case k::rfc822: out += "RFC822"; return;
    case k::rfc822_header: out += "RFC822.HEADER"; return;
    case k::rfc822_size: out += "RFC822.SIZE"; return;
    case k::rfc822_text: out += "RFC822.TEXT"; return;
    case k::body: out += "BODY"; return;
    case k::bodystructure: out += "BODYSTRUCTURE"; return;
    case k::body_section: out += "BODY["; break;
    case k::binary: out += "BINARY["; break;
    case k::binary_size: out += "BINARY.SIZE["; break;
  }
  for (std::size_t i = 0; i < att.sec.part.size(); ++i) {
    if (i != 0) out.push_back('.');
    append_number(out, att.sec.part[i]);
  }
  if (att.k == k::body_section && att.sec.k != section::kind::all) {
    if (!att.sec.part.empty()) out.push_back('.');
    switch (att.sec.k) {
      case section::kind::all: break;
      case section::kind::header: out += "HEADER"; break;
      case section::kind::header_fields: out += "HEADER.FIELDS"; break;
      case section::kind::header_fields_not: out += "HEADER.FIELDS.NOT"; break;
      case section::kind::text: out += "TEXT"; break;
      case section::kind::mime: out += "MIME"; break;
    }
    if (att.sec.k == section::kind::header_fields || att.sec.k == section::kind::header_fields_not) {
      out += " ";
      append_string_list(out, att.sec.fields, true);
    }
  }
  out.push_back(']');
  if (att.part && att.k != k::binary_size) {
    out.push_back('<');
    append_number(out, att.part->offset);
    out.push_back('>');
  }
}

fetch_writer::fetch_writer(std::string& out, std::uint32_t seq, bool utf8) : out_(out), utf8_(utf8) {
  out_ += "* ";
  append_number(out_, seq);
  out_ += " FETCH (";
}

void fetch_writer::sep() {
  if (!first_) out_.push_back(' ');
  first_ = false;
}

void fetch_writer::uid(std::uint32_t uid) {
  sep();
  out_ += "UID ";
  append_number(out_, uid);
}

void fetch_writer::flags(std::span<const std::string> flags) {
  sep();
  out_ += "FLAGS ";
  write_flag_list(out_, flags);
}

void fetch_writer::modseq(std::uint64_t modseq) {
  sep();
  out_ += "MODSEQ (";
  append_number(out_, modseq);
  out_.push_back(')');
}

void fetch_writer::internaldate(const date_time& dt) {
  sep();
  out_ += "INTERNALDATE ";
  out_ += format_date_time(dt);
}

void fetch_writer::rfc822_size(std::uint64_t size) {
  sep();
  out_ += "RFC822.SIZE ";
  append_number(out_, size);
}

void fetch_writer::envelope(const proto::envelope& e) {
  sep();
  out_ += "ENVELOPE ";
  write_envelope(out_, e, utf8_);
}

void fetch_writer::body_structure(const proto::body_structure& b, bool extended) {
  sep();
  out_ += extended ? "BODYSTRUCTURE " : "BODY ";
  write_body_structure(out_, b, extended, utf8_);
}

void fetch_writer::section(const fetch_att& att, const std::optional<std::string_view>& content) {
  sep();
  write_fetch_att_name(out_, att);
  out_.push_back(' ');
  if (!content) {
    out_ += "NIL";
    return;
  }
  const bool has_nul = std::memchr(content->data(), 0, content->size()) != nullptr;
  if (!has_nul) {
    write_string(out_, *content, utf8_);
  } else if (att.k == fetch_att::kind::binary) {
    write_literal8(out_, *content);  // RFC 3516 §4.3: NUL only in literal8
  } else {
    // RFC 3501 §4.3: a literal never holds NUL. A message that does (broken, or sent with BINARYMIME) is shown
    // with NUL as 0x80, as Dovecot does: same length, so sizes and partial offsets stay true. BINARY[] gives the
    // exact octets.
    std::string copy(*content);
    for (char& c : copy) {
      if (c == '\0') c = static_cast<char>(0x80);
    }
    write_literal(out_, copy);
  }
}

void fetch_writer::binary_size(const fetch_att& att, std::uint64_t size) {
  sep();
  write_fetch_att_name(out_, att);
  out_.push_back(' ');
  append_number(out_, size);
}

void fetch_writer::raw(std::string_view item) {
  sep();
  out_ += item;
}

void fetch_writer::finish() { out_ += ")\r\n"; }

}  // namespace mssgw::imap::proto
