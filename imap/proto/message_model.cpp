#include "imap/proto/message_model.hpp"

#include "imap/proto/parse_util.hpp"
#include "imap/proto/response.hpp"

namespace mssgw::imap::proto {
namespace {

using detail::iequals;

void append_number(std::string& out, std::uint64_t n) { out += std::to_string(n); }

// body-fld-param = "(" string SP string *(SP string SP string) ")" / nil
void write_params(std::string& out, const body_params& p, bool utf8) {
  if (p.empty()) {
    out += "NIL";
    return;
  }
  out.push_back('(');
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (i != 0) out.push_back(' ');
    write_string(out, p[i].first, utf8);
    out.push_back(' ');
    write_string(out, p[i].second, utf8);
  }
  out.push_back(')');
}

// body-fld-dsp = "(" string SP body-fld-param ")" / nil
void write_disposition(std::string& out, const std::optional<body_disposition>& d, bool utf8) {
  if (!d) {
    out += "NIL";
    return;
  }
  out.push_back('(');
  write_string(out, d->type, utf8);
  out.push_back(' ');
  write_params(out, d->params, utf8);
  out.push_back(')');
}

// body-fld-lang = nstring / "(" string *(SP string) ")"
void write_language(std::string& out, const std::vector<std::string>& l, bool utf8) {
  if (l.empty()) {
    out += "NIL";
  } else if (l.size() == 1) {
    write_string(out, l[0], utf8);
  } else {
    out.push_back('(');
    for (std::size_t i = 0; i < l.size(); ++i) {
      if (i != 0) out.push_back(' ');
      write_string(out, l[i], utf8);
    }
    out.push_back(')');
  }
}

void write_address(std::string& out, const address& a, bool utf8) {
  out.push_back('(');
  write_nstring(out, a.name, utf8);
  out.push_back(' ');
  write_nstring(out, a.adl, utf8);
  out.push_back(' ');
  write_nstring(out, a.mailbox, utf8);
  out.push_back(' ');
  write_nstring(out, a.host, utf8);
  out.push_back(')');
}

bool is_multipart(const body_structure& b) { return iequals(b.type, "multipart"); }

bool is_encapsulated(const body_structure& b) {
  return iequals(b.type, "message") && (iequals(b.subtype, "rfc822") || iequals(b.subtype, "global")) &&
         b.message_envelope.has_value() && b.parts.size() == 1;
}

}  // namespace

void apply_default_senders(envelope& e) {
  if (e.sender.empty()) e.sender = e.from;
  if (e.reply_to.empty()) e.reply_to = e.from;
}

// env-from = "(" 1*address ")" / nil: addresses follow each other without SP (RFC 3501 §9).
void write_address_list(std::string& out, const std::vector<address>& list, bool utf8) {
  if (list.empty()) {
    out += "NIL";
    return;
  }
  out.push_back('(');
  for (const auto& a : list) write_address(out, a, utf8);
  out.push_back(')');
}

// envelope = "(" env-date SP env-subject SP env-from SP env-sender SP env-reply-to SP env-to SP env-cc SP
//            env-bcc SP env-in-reply-to SP env-message-id ")"
void write_envelope(std::string& out, const envelope& e, bool utf8) {
  out.push_back('(');
  write_nstring(out, e.date, utf8);
  out.push_back(' ');
  write_nstring(out, e.subject, utf8);
  for (const auto* l : {&e.from, &e.sender, &e.reply_to, &e.to, &e.cc, &e.bcc}) {
    out.push_back(' ');
    write_address_list(out, *l, utf8);
  }
  out.push_back(' ');
  write_nstring(out, e.in_reply_to, utf8);
  out.push_back(' ');
  write_nstring(out, e.message_id, utf8);
  out.push_back(')');
}

// body = "(" (body-type-1part / body-type-mpart) ")"                       (RFC 3501 §9, RFC 9051 §9)
void write_body_structure(std::string& out, const body_structure& b, bool extended, bool utf8) {
  out.push_back('(');
  if (is_multipart(b)) {
    // body-type-mpart = 1*body SP media-subtype [SP body-ext-mpart]
    if (b.parts.empty()) {
      // 1*body: a multipart without parts (a broken message) is shown with one empty text part, so the response
      // stays parseable.
      body_structure empty;
      empty.params = {{"charset", "us-ascii"}};
      write_body_structure(out, empty, extended, utf8);
    }
    for (const auto& p : b.parts) write_body_structure(out, p, extended, utf8);
    out.push_back(' ');
    write_string(out, b.subtype, utf8);
    if (extended) {
      // body-ext-mpart = body-fld-param [SP body-fld-dsp [SP body-fld-lang [SP body-fld-loc]]]
      out.push_back(' ');
      write_params(out, b.params, utf8);
      out.push_back(' ');
      write_disposition(out, b.disposition, utf8);
      out.push_back(' ');
      write_language(out, b.language, utf8);
      out.push_back(' ');
      write_nstring(out, b.location, utf8);
    }
    out.push_back(')');
    return;
  }
  // body-fields = body-fld-param SP body-fld-id SP body-fld-desc SP body-fld-enc SP body-fld-octets
  write_string(out, b.type, utf8);
  out.push_back(' ');
  write_string(out, b.subtype, utf8);
  out.push_back(' ');
  write_params(out, b.params, utf8);
  out.push_back(' ');
  write_nstring(out, b.id, utf8);
  out.push_back(' ');
  write_nstring(out, b.description, utf8);
  out.push_back(' ');
  write_string(out, b.encoding, utf8);
  out.push_back(' ');
  append_number(out, b.size);
  if (is_encapsulated(b)) {
    // body-type-msg = media-message SP body-fields SP envelope SP body SP body-fld-lines
    out.push_back(' ');
    write_envelope(out, *b.message_envelope, utf8);
    out.push_back(' ');
    write_body_structure(out, b.parts[0], extended, utf8);
    out.push_back(' ');
    append_number(out, b.lines);
  } else if (iequals(b.type, "text")) {
    // body-type-text = media-text SP body-fields SP body-fld-lines
    out.push_back(' ');
    append_number(out, b.lines);
  }
  if (extended) {
    // body-ext-1part = body-fld-md5 [SP body-fld-dsp [SP body-fld-lang [SP body-fld-loc]]]
    out.push_back(' ');
    write_nstring(out, b.md5, utf8);
    out.push_back(' ');
    write_disposition(out, b.disposition, utf8);
    out.push_back(' ');
    write_language(out, b.language, utf8);
    out.push_back(' ');
    write_nstring(out, b.location, utf8);
  }
  out.push_back(')');
}

}  // namespace mssgw::imap::proto
