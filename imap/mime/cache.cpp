#include "imap/mime/cache.hpp"

#include <cstring>

#include "common/ascii.hpp"
#include "imap/mime/text.hpp"
#include "imap/proto/response.hpp"
#include "storage/schema.hpp"

namespace mssgw::imap::mime {
namespace {

constexpr std::uint8_t cache_version = 1;

using common::iequals;

bool is_group_marker(const proto::address& a) { return !a.host.has_value(); }

// The first real mailbox of a list (group markers skipped).
const proto::address* first_mailbox(const std::vector<proto::address>& list) {
  for (const auto& a : list) {
    if (!is_group_marker(a)) return &a;
  }
  return nullptr;
}

std::string sort_address(const std::vector<proto::address>& list) {
  const proto::address* a = first_mailbox(list);
  return a && a->mailbox ? fold(*a->mailbox) : std::string();
}

// RFC 5957 §3: the display name if there is one, else the addr-spec.
std::string display_address(const std::vector<proto::address>& list) {
  const proto::address* a = first_mailbox(list);
  if (!a) return {};
  if (a->name && !a->name->empty()) return fold(decode_header_text(*a->name));
  return fold(a->mailbox.value_or("") + "@" + a->host.value_or(""));
}

}  // namespace

bool message_cache::needs_decoding_for_search() const {
  for (const auto& e : entities) {
    if (!e.text) continue;
    if (e.enc == encoding::base64 || e.enc == encoding::quoted_printable) return true;
    if (!e.charset.empty() && e.charset != "utf-8" && e.charset != "us-ascii" && e.charset != "utf8") return true;
  }
  return false;
}

message_cache make_cache(std::string_view raw, const limits& lim) {
  analysis a = analyse(raw, lim);
  message_cache c;
  proto::write_envelope(c.envelope, a.envelope, false);
  proto::write_body_structure(c.body, a.structure, false, false);
  proto::write_body_structure(c.bodystructure, a.structure, true, false);
  c.has_date = a.has_date;
  c.sent_unix = a.sent_unix;
  c.sent_day = a.sent_day;
  c.from = fold(a.from);
  c.to = fold(a.to);
  c.cc = fold(a.cc);
  c.bcc = fold(a.bcc);
  c.subject = fold(a.subject);
  c.sort_subject = base_subject(a.subject);
  c.sort_from = sort_address(a.envelope.from);
  c.sort_to = sort_address(a.envelope.to);
  c.sort_cc = sort_address(a.envelope.cc);
  c.display_from = display_address(a.envelope.from);
  c.display_to = display_address(a.envelope.to);
  c.entities = std::move(a.entities);
  c.truncated = a.truncated;
  return c;
}

// The layout below is read by decode_cache() and, as far as the root entity, by decode_search_fields(): change the
// three together and bump cache_version (older caches are then recomputed).
std::string encode(const message_cache& c) {
  storage::schema::encoder e(cache_version);
  e.str(c.envelope).str(c.body).str(c.bodystructure);
  e.u8(c.has_date ? 1 : 0).i64(c.sent_unix).i64(c.sent_day);
  e.str(c.from).str(c.to).str(c.cc).str(c.bcc).str(c.subject);
  e.str(c.sort_subject).str(c.sort_from).str(c.sort_to).str(c.sort_cc).str(c.display_from).str(c.display_to);
  e.u8(c.truncated ? 1 : 0);
  e.u32(static_cast<std::uint32_t>(c.entities.size()));
  for (const auto& x : c.entities) {
    e.u32(x.header_begin).u32(x.body_begin).u32(x.body_end).u32(x.first_child).u32(x.next_sibling);
    e.u8(static_cast<std::uint8_t>(x.k)).u8(static_cast<std::uint8_t>(x.enc)).u8(x.text ? 1 : 0).str(x.charset);
  }
  return e.take();
}

std::optional<message_cache> decode_cache(std::string_view stored) {
  if (stored.empty()) return std::nullopt;
  storage::schema::decoder d(stored);
  if (d.version() != cache_version) return std::nullopt;
  message_cache c;
  c.envelope = d.str();
  c.body = d.str();
  c.bodystructure = d.str();
  c.has_date = d.u8() != 0;
  c.sent_unix = d.i64();
  c.sent_day = d.i64();
  for (std::string* s : {&c.from, &c.to, &c.cc, &c.bcc, &c.subject, &c.sort_subject, &c.sort_from, &c.sort_to,
                         &c.sort_cc, &c.display_from, &c.display_to}) {
    *s = d.str();
  }
  c.truncated = d.u8() != 0;
  const std::uint32_t n = d.u32();
  if (!d.ok() || n > 1000000) return std::nullopt;
  c.entities.resize(n);
  for (auto& x : c.entities) {
    x.header_begin = d.u32();
    x.body_begin = d.u32();
    x.body_end = d.u32();
    x.first_child = d.u32();
    x.next_sibling = d.u32();
    x.k = static_cast<entity::kind>(d.u8());
    x.enc = static_cast<encoding>(d.u8());
    x.text = d.u8() != 0;
    x.charset = d.str();
  }
  if (!d.ok() || c.entities.empty()) return std::nullopt;
  for (const auto& x : c.entities) {
    if (x.first_child >= n || x.next_sibling >= n || x.header_begin > x.body_begin || x.body_begin > x.body_end ||
        static_cast<std::uint8_t>(x.k) > 2) {
      return std::nullopt;
    }
  }
  return c;
}

std::optional<search_fields> decode_search_fields(std::string_view stored) {
  // The layout of encode() above, read as far as the root entity.
  if (stored.empty()) return std::nullopt;
  storage::schema::decoder d(stored);
  if (d.version() != cache_version) return std::nullopt;
  search_fields f;
  d.str();  // envelope
  d.str();  // body
  d.str();  // bodystructure
  f.has_date = d.u8() != 0;
  f.sent_unix = d.i64();
  f.sent_day = d.i64();
  for (std::string_view* v : {&f.from, &f.to, &f.cc, &f.bcc, &f.subject}) *v = d.str();
  for (int i = 0; i < 6; ++i) d.str();  // the SORT keys
  d.u8();                               // truncated
  const std::uint32_t n = d.u32();
  const std::uint32_t header_begin = d.u32();
  const std::uint32_t body_begin = d.u32();
  const std::uint32_t body_end = d.u32();
  if (!d.ok() || n == 0 || n > 1000000 || header_begin > body_begin || body_begin > body_end) return std::nullopt;
  f.header_end = body_begin;
  return f;
}

search_fields search_fields_of(const message_cache& c) {
  search_fields f;
  f.has_date = c.has_date;
  f.sent_unix = c.sent_unix;
  f.sent_day = c.sent_day;
  f.from = c.from;
  f.to = c.to;
  f.cc = c.cc;
  f.bcc = c.bcc;
  f.subject = c.subject;
  f.header_end = c.entities.empty() ? 0 : c.entities[0].body_begin;
  return f;
}

std::optional<resolved_part> resolve_part(std::span<const entity> entities, std::span<const std::uint32_t> part) {
  if (entities.empty()) return std::nullopt;
  resolved_part r;
  std::uint32_t cur = 0;
  bool is_message = true;  // `cur` is a message whose parts the next number indexes
  for (std::size_t i = 0; i < part.size(); ++i) {
    const std::uint32_t n = part[i];
    if (entities[cur].k == entity::kind::multipart) {
      std::uint32_t c = entities[cur].first_child;
      for (std::uint32_t k = 1; k < n && c != 0; ++k) c = entities[c].next_sibling;
      if (c == 0) return std::nullopt;
      cur = c;
    } else if (is_message) {
      if (n != 1) return std::nullopt;  // RFC 3501 §6.4.5: a non-multipart message has part 1 only, its body
    } else {
      return std::nullopt;
    }
    is_message = false;
    if (i + 1 < part.size()) {
      if (entities[cur].k == entity::kind::message) {
        if (entities[cur].first_child == 0) return std::nullopt;
        cur = entities[cur].first_child;
        is_message = true;
      } else if (entities[cur].k != entity::kind::multipart) {
        return std::nullopt;
      }
    }
  }
  r.entity = cur;
  r.message_context = is_message;
  return r;
}

std::optional<section_result> section_content(std::string_view raw, std::span<const entity> entities,
                                              const proto::section& sec) {
  using k = proto::section::kind;
  auto bytes = [&](std::uint32_t from, std::uint32_t to) {
    section_result r;
    from = std::min<std::uint32_t>(from, static_cast<std::uint32_t>(raw.size()));
    to = std::min<std::uint32_t>(to, static_cast<std::uint32_t>(raw.size()));
    r.view = raw.substr(from, to > from ? to - from : 0);
    return r;
  };
  if (sec.part.empty()) {
    if (entities.empty()) return std::nullopt;
    const entity& m = entities[0];
    switch (sec.k) {
      case k::all: return bytes(0, static_cast<std::uint32_t>(raw.size()));
      case k::header: return bytes(m.header_begin, m.body_begin);
      case k::text: return bytes(m.body_begin, static_cast<std::uint32_t>(raw.size()));
      case k::header_fields:
      case k::header_fields_not: {
        section_result r;
        r.owned = filter_header(raw.substr(m.header_begin, m.body_begin - m.header_begin), sec.fields,
                                sec.k == k::header_fields_not);
        r.from_owned = true;
        return r;
      }
      case k::mime: return std::nullopt;
    }
    return std::nullopt;
  }
  auto p = resolve_part(entities, sec.part);
  if (!p) return std::nullopt;
  const entity& e = entities[p->entity];
  switch (sec.k) {
    case k::all: return bytes(e.body_begin, e.body_end);
    case k::mime: return bytes(e.header_begin, e.body_begin);
    case k::header:
    case k::text:
    case k::header_fields:
    case k::header_fields_not: {
      // RFC 3501 §6.4.5: these apply to a message/rfc822 part (its encapsulated message).
      if (e.k != entity::kind::message || e.first_child == 0) return std::nullopt;
      const entity& m = entities[e.first_child];
      if (sec.k == k::header) return bytes(m.header_begin, m.body_begin);
      if (sec.k == k::text) return bytes(m.body_begin, m.body_end);
      section_result r;
      const std::uint32_t hb = std::min<std::uint32_t>(m.header_begin, static_cast<std::uint32_t>(raw.size()));
      const std::uint32_t he = std::min<std::uint32_t>(m.body_begin, static_cast<std::uint32_t>(raw.size()));
      r.owned = filter_header(raw.substr(hb, he - hb), sec.fields, sec.k == k::header_fields_not);
      r.from_owned = true;
      return r;
    }
  }
  return std::nullopt;
}

std::optional<binary_result> binary_content(std::string_view raw, std::span<const entity> entities,
                                            std::span<const std::uint32_t> part) {
  binary_result r;
  if (part.empty()) {
    r.data = std::string(raw);
    return r;
  }
  auto p = resolve_part(entities, part);
  if (!p) return std::nullopt;
  const entity& e = entities[p->entity];
  const std::uint32_t end = std::min<std::uint32_t>(e.body_end, static_cast<std::uint32_t>(raw.size()));
  const std::uint32_t begin = std::min(e.body_begin, end);
  const std::string_view body = raw.substr(begin, end - begin);
  switch (e.enc) {
    case encoding::base64: r.data = decode_base64(body); break;
    case encoding::quoted_printable: r.data = decode_quoted_printable(body); break;
    case encoding::other: r.unknown_encoding = true; break;
    default: r.data = std::string(body); break;
  }
  return r;
}

void for_each_field(std::string_view header,
                    const std::function<bool(std::string_view name, std::string_view raw_value)>& visit) {
  std::size_t pos = 0;
  while (pos < header.size()) {
    // One field: its first line and the continuation lines that follow (RFC 5322 §2.2.3).
    std::size_t end = pos;
    do {
      const void* lf = std::memchr(header.data() + end, '\n', header.size() - end);
      end = lf ? static_cast<std::size_t>(static_cast<const char*>(lf) - header.data()) + 1 : header.size();
    } while (end < header.size() && (header[end] == ' ' || header[end] == '\t'));
    const std::string_view field = header.substr(pos, end - pos);
    pos = end;
    const auto colon = field.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view name = field.substr(0, colon);
    while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
    if (name.empty() || name.find_first_of(" \t\r\n") != std::string_view::npos) continue;
    if (!visit(name, field.substr(colon + 1))) return;
  }
}

std::optional<std::string> header_field(std::string_view header, std::string_view name) {
  std::optional<std::string> out;
  for_each_field(header, [&](std::string_view n, std::string_view value) {
    if (!iequals(n, name)) return true;
    std::string v;
    for (char c : value) {
      if (c != '\r' && c != '\n') v.push_back(c);
    }
    std::size_t start = v.find_first_not_of(" \t");
    out = start == std::string::npos ? std::string() : v.substr(start);
    return false;
  });
  return out;
}

std::string filter_header(std::string_view header, std::span<const std::string> names, bool exclude) {
  std::string out;
  std::size_t pos = 0;
  while (pos < header.size()) {
    std::size_t end = pos;
    do {
      const void* lf = std::memchr(header.data() + end, '\n', header.size() - end);
      end = lf ? static_cast<std::size_t>(static_cast<const char*>(lf) - header.data()) + 1 : header.size();
    } while (end < header.size() && (header[end] == ' ' || header[end] == '\t'));
    const std::string_view field = header.substr(pos, end - pos);
    pos = end;
    const auto colon = field.find(':');
    if (colon == std::string_view::npos) continue;  // the blank line, or garbage
    std::string_view name = field.substr(0, colon);
    while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
    bool listed = false;
    for (const auto& n : names) {
      if (iequals(n, name)) {
        listed = true;
        break;
      }
    }
    if (listed == exclude) continue;
    out.append(field);
    if (out.back() != '\n') out += "\r\n";
  }
  out += "\r\n";
  return out;
}

}  // namespace mssgw::imap::mime
