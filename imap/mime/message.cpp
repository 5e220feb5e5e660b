#include "imap/mime/message.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>

#include <mimetic/mimetic.h>

#include "common/ascii.hpp"
#include "imap/mime/address.hpp"
#include "imap/mime/text.hpp"

namespace mssgw::imap::mime {
namespace {

using common::iequals;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  }
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

// RFC 2045 §5.1 token: a valid type or subtype.
bool is_token(std::string_view s) {
  if (s.empty() || s.size() > 127) return false;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 32 || u >= 127 || std::strchr("()<>@,;:\\\"/[]?=", c) != nullptr) return false;
  }
  return true;
}

// mimetic keeps the backslashes of quoted parameter values ("a\"b"): RFC 2045 values are the unquoted content.
std::string unescape(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '\\' && i + 1 < v.size()) ++i;
    out.push_back(v[i]);
  }
  return out;
}

// The ten header fields of an ENVELOPE (RFC 3501 §7.4.2), in its order.
enum envelope_field { f_date, f_subject, f_from, f_sender, f_reply_to, f_to, f_cc, f_bcc, f_in_reply_to,
                      f_message_id, envelope_field_count };
constexpr std::array<std::string_view, envelope_field_count> envelope_names = {
    "Date", "Subject", "From", "Sender", "Reply-To", "To", "Cc", "Bcc", "In-Reply-To", "Message-ID"};

// What one entity's header says (RFC 2045, RFC 2183, RFC 3066, RFC 2557, RFC 1864).
struct header_info {
  bool has_type = false;
  std::string type, subtype;
  proto::body_params params;
  std::string boundary;
  std::optional<std::string> id, description, md5, location;
  std::optional<proto::body_disposition> disposition;
  std::vector<std::string> language;
  encoding enc = encoding::seven_bit;
  std::string encoding_name = "7BIT";
  std::array<std::optional<std::string>, envelope_field_count> fields;  // first occurrence of each, raw
};

proto::body_params params_of(const mimetic::FieldParamList& list) {
  proto::body_params out;
  for (const auto& p : list) {
    std::string name(p.name().begin(), p.name().end());
    if (name.empty()) continue;
    out.emplace_back(lower(name), unescape(p.value()));
    if (out.size() >= 100) break;  // a header of a million parameters is not worth echoing
  }
  return out;
}

// Parses one header block with mimetic. `block` holds complete lines only, within the limits.
header_info parse_header(std::string_view block) {
  header_info h;
  std::string copy(block);
  copy += "\r\n";  // an empty line ends the header even when the block was cut
  try {
    mimetic::MimeEntity me(copy.data(), copy.data() + copy.size());
    const mimetic::Header& hd = me.header();
    for (const auto& f : hd) {
      const std::string name(f.name().begin(), f.name().end());
      for (int i = 0; i < envelope_field_count; ++i) {
        if (!h.fields[i] && iequals(name, envelope_names[i])) h.fields[i] = f.value();
      }
      if (iequals(name, "Content-Language")) {
        std::string v = f.value();
        std::string_view rest = v;
        while (!rest.empty() && h.language.size() < 32) {
          auto comma = rest.find(',');
          auto item = trim(rest.substr(0, comma));
          if (!item.empty()) h.language.emplace_back(item);
          if (comma == std::string_view::npos) break;
          rest.remove_prefix(comma + 1);
        }
      } else if (iequals(name, "Content-Location")) {
        h.location = std::string(trim(f.value()));
      } else if (iequals(name, "Content-MD5")) {
        h.md5 = std::string(trim(f.value()));
      } else if (iequals(name, "Content-ID")) {
        h.id = std::string(trim(f.value()));
      } else if (iequals(name, "Content-Description")) {
        h.description = f.value();
      }
    }
    if (hd.hasField("Content-Type")) {
      const mimetic::ContentType& ct = hd.contentType();
      std::string type(ct.type().begin(), ct.type().end()), subtype(ct.subtype().begin(), ct.subtype().end());
      if (is_token(type) && is_token(subtype)) {
        h.has_type = true;
        h.type = lower(type);
        h.subtype = lower(subtype);
        h.params = params_of(ct.paramList());
        for (const auto& [k, v] : h.params) {
          if (k == "boundary") h.boundary = v;
        }
      }
    }
    if (hd.hasField("Content-Transfer-Encoding")) {
      std::string m(trim(hd.contentTransferEncoding().mechanism()));
      if (!m.empty()) {
        const std::string l = lower(m);
        h.encoding_name = l == "7bit" || l == "8bit" || l == "binary" || l == "base64" || l == "quoted-printable"
                              ? std::string()
                              : m;
        if (l == "7bit") h.enc = encoding::seven_bit;
        else if (l == "8bit") h.enc = encoding::eight_bit;
        else if (l == "binary") h.enc = encoding::binary;
        else if (l == "base64") h.enc = encoding::base64;
        else if (l == "quoted-printable") h.enc = encoding::quoted_printable;
        else h.enc = encoding::other;
        if (h.encoding_name.empty()) {
          for (char& c : m) {
            if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
          }
          h.encoding_name = m;
        }
      }
    }
    if (hd.hasField("Content-Disposition")) {
      const mimetic::ContentDisposition& cd = hd.contentDisposition();
      std::string type(cd.type().begin(), cd.type().end());
      if (!trim(type).empty()) {
        proto::body_disposition d;
        d.type = lower(trim(type));
        d.params = params_of(cd.paramList());
        h.disposition = std::move(d);
      }
    }
  } catch (...) {
    // deps.md §2 item 3: malformed input can make mimetic throw. The entity keeps what was read before the throw
    // (nothing, usually) and the RFC 2045 defaults.
  }
  return h;
}

class scanner {
 public:
  scanner(std::string_view raw, const limits& lim) : raw_(raw), lim_(lim) {}

  analysis run() {
    start_entity(no_parent, 0);
    std::size_t pos = 0;
    const std::size_t n = raw_.size();
    while (pos < n) {
      const std::uint32_t top = open_.back();
      if (!header_open_[top]) {
        if (frames_.empty()) break;  // nothing left to find: the rest is body
        pos = next_dash_line(pos);
        if (pos >= n) break;
        const std::size_t next = line_end(pos);
        delimiter(pos, next);
        pos = next;
        continue;
      }
      const std::size_t next = line_end(pos);
      std::string_view content = raw_.substr(pos, next - pos);
      if (!content.empty() && content.back() == '\n') content.remove_suffix(1);
      if (!content.empty() && content.back() == '\r') content.remove_suffix(1);
      if (!frames_.empty() && content.size() >= 2 && content[0] == '-' && content[1] == '-' &&
          delimiter(pos, next)) {
        pos = next;
        continue;
      }
      if (content.empty()) {
        end_header(top, pos, next);
        pos = next;
        continue;
      }
      if (content[0] == ' ' || content[0] == '\t' || is_field_line(content)) {
        if (cut_ == npos && (next - pos > lim_.max_header_line ||
                             next - entities_[top].header_begin > lim_.max_header_size)) {
          cut_ = pos;  // mimetic gets the lines before this one only
          truncated_ = true;
        }
        pos = next;
        continue;
      }
      // Not a header line and no blank line before it: the header ended on the previous line.
      end_header(top, pos, pos);
    }
    // End of input: every open entity ends here.
    while (!open_.empty()) {
      const std::uint32_t e = open_.back();
      if (header_open_[e]) {
        end_header(e, n, n);
        if (open_.back() != e) continue;  // end_header opened an encapsulated message: close it first
      }
      entities_[e].body_end = static_cast<std::uint32_t>(n);
      open_.pop_back();
    }
    return finish();
  }

 private:
  static constexpr std::size_t npos = std::string_view::npos;
  static constexpr std::uint32_t no_parent = 0xffffffffu;

  struct frame {
    std::string boundary;
    std::uint32_t entity;
  };

  std::size_t line_end(std::size_t pos) const {
    const void* lf = std::memchr(raw_.data() + pos, '\n', raw_.size() - pos);
    return lf ? static_cast<std::size_t>(static_cast<const char*>(lf) - raw_.data()) + 1 : raw_.size();
  }

  // The next line start at or after `pos` (itself a line start) that begins with "--".
  std::size_t next_dash_line(std::size_t pos) const {
    if (raw_.compare(pos, 2, "--") == 0) return pos;
    const void* hit = memmem(raw_.data() + pos, raw_.size() - pos, "\n--", 3);
    if (!hit) return raw_.size();
    return static_cast<std::size_t>(static_cast<const char*>(hit) - raw_.data()) + 1;
  }

  static bool is_field_line(std::string_view line) {
    // field-name = 1*ftext (printable ASCII but ':'), then optional white space (obs-field), then ':'.
    std::size_t i = 0;
    while (i < line.size() && line[i] > 32 && line[i] < 127 && line[i] != ':') ++i;
    if (i == 0) return false;
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    return i < line.size() && line[i] == ':';
  }

  std::uint32_t start_entity(std::uint32_t parent, std::size_t pos) {
    const auto index = static_cast<std::uint32_t>(entities_.size());
    entity e;
    e.header_begin = e.body_begin = e.body_end = static_cast<std::uint32_t>(pos);
    entities_.push_back(e);
    infos_.emplace_back();
    header_open_.push_back(true);
    last_child_.push_back(0);
    digest_default_.push_back(parent != no_parent && entities_[parent].k == entity::kind::multipart &&
                              infos_[parent].subtype == "digest");
    if (parent != no_parent) {
      if (last_child_[parent] == 0) {
        entities_[parent].first_child = index;
      } else {
        entities_[last_child_[parent]].next_sibling = index;
      }
      last_child_[parent] = index;
    }
    open_.push_back(index);
    cut_ = npos;
    return index;
  }

  // The header of `e` ends: its lines are [header_begin, header_end), its body starts at body_begin.
  void end_header(std::uint32_t e, std::size_t header_end, std::size_t body_begin) {
    header_open_[e] = false;
    entity& ent = entities_[e];
    ent.body_begin = static_cast<std::uint32_t>(body_begin);
    const std::size_t limit = cut_ == npos ? header_end : std::min(cut_, header_end);
    header_info h = parse_header(raw_.substr(ent.header_begin, limit - ent.header_begin));
    cut_ = npos;
    if (!h.has_type) {
      // RFC 2045 §5.2 default; RFC 2046 §5.1.5: message/rfc822 inside multipart/digest.
      if (digest_default_[e]) {
        h.type = "message";
        h.subtype = "rfc822";
      } else {
        h.type = "text";
        h.subtype = "plain";
        h.params = {{"charset", "us-ascii"}};
      }
    }
    ent.enc = h.enc;
    ent.text = h.type == "text";
    if (ent.text) {
      for (const auto& [k, v] : h.params) {
        if (k == "charset") ent.charset = lower(v);
      }
    }
    const bool room = open_.size() < lim_.max_depth && entities_.size() < lim_.max_parts;
    if (h.type == "multipart" && !h.boundary.empty() && h.boundary.size() <= 200) {
      if (room) {
        ent.k = entity::kind::multipart;
        frames_.push_back({h.boundary, e});
      } else {
        truncated_ = true;
      }
    }
    infos_[e] = std::move(h);
    const header_info& info = infos_[e];
    if (info.type == "message" && (info.subtype == "rfc822" || info.subtype == "global") &&
        (info.enc == encoding::seven_bit || info.enc == encoding::eight_bit || info.enc == encoding::binary)) {
      if (room) {
        entities_[e].k = entity::kind::message;
        start_entity(e, body_begin);
      } else {
        truncated_ = true;
      }
    }
  }

  // Whether the line [pos, next) is a delimiter of an open multipart; if so, closes what it ends.
  bool delimiter(std::size_t pos, std::size_t next) {
    std::string_view content = raw_.substr(pos, next - pos);
    while (!content.empty() && (content.back() == '\n' || content.back() == '\r')) content.remove_suffix(1);
    if (content.size() < 2 || content[0] != '-' || content[1] != '-') return false;
    for (std::size_t fi = frames_.size(); fi-- > 0;) {
      const std::string& b = frames_[fi].boundary;
      if (content.size() < 2 + b.size() || content.compare(2, b.size(), b) != 0) continue;
      std::string_view rest = content.substr(2 + b.size());
      bool close = false;
      if (rest.size() >= 2 && rest[0] == '-' && rest[1] == '-') {
        close = true;
        rest.remove_prefix(2);
      }
      if (!trim(rest).empty()) continue;  // only transport padding may follow (RFC 2046 §5.1.1)
      const std::uint32_t owner = frames_[fi].entity;
      // The CRLF before the delimiter is part of it.
      std::size_t end = pos;
      if (end > 0 && raw_[end - 1] == '\n') {
        --end;
        if (end > 0 && raw_[end - 1] == '\r') --end;
      }
      while (open_.back() != owner) {
        const std::uint32_t e = open_.back();
        if (header_open_[e]) {
          header_open_[e] = false;
          end_header_closed(e, pos);
        }
        entities_[e].body_end = static_cast<std::uint32_t>(std::max<std::size_t>(entities_[e].body_begin, end));
        open_.pop_back();
      }
      frames_.resize(fi + 1);
      if (close) {
        frames_.pop_back();  // the rest, up to the enclosing delimiter, is the epilogue
      } else if (entities_.size() >= lim_.max_parts) {
        truncated_ = true;
        frames_.clear();  // no more parts: everything left stays in the body being read
      } else {
        start_entity(owner, next);
      }
      return true;
    }
    return false;
  }

  // An entity whose header had not ended when a delimiter closed it: parse what it had, no children.
  void end_header_closed(std::uint32_t e, std::size_t pos) {
    entity& ent = entities_[e];
    ent.body_begin = static_cast<std::uint32_t>(pos);
    const std::size_t limit = cut_ == npos ? pos : std::min(cut_, pos);
    header_info h = parse_header(raw_.substr(ent.header_begin, limit - ent.header_begin));
    cut_ = npos;
    if (!h.has_type) {
      h.type = "text";
      h.subtype = "plain";
      h.params = {{"charset", "us-ascii"}};
    }
    ent.enc = h.enc;
    ent.text = h.type == "text";
    infos_[e] = std::move(h);  // a multipart here has no frame: it is shown with no parts
  }

  std::uint64_t lines_of(const entity& e) const {
    if (e.body_end <= e.body_begin) return 0;
    const char* b = raw_.data() + e.body_begin;
    const char* end = raw_.data() + e.body_end;
    std::uint64_t lines = static_cast<std::uint64_t>(std::count(b, end, '\n'));
    if (end[-1] != '\n') ++lines;
    return lines;
  }

  proto::envelope envelope_of(std::uint32_t e) const {
    const auto& f = infos_[e].fields;
    proto::envelope env;
    env.date = f[f_date];
    env.subject = f[f_subject];
    auto addresses = [&](int i) { return f[i] ? parse_address_list(*f[i]) : std::vector<proto::address>{}; };
    env.from = addresses(f_from);
    env.sender = addresses(f_sender);
    env.reply_to = addresses(f_reply_to);
    env.to = addresses(f_to);
    env.cc = addresses(f_cc);
    env.bcc = addresses(f_bcc);
    if (f[f_in_reply_to]) env.in_reply_to = std::string(trim(*f[f_in_reply_to]));
    if (f[f_message_id]) env.message_id = std::string(trim(*f[f_message_id]));
    proto::apply_default_senders(env);
    return env;
  }

  // Recursion depth is bounded by max_depth (nesting is refused past it while scanning).
  proto::body_structure structure_of(std::uint32_t e) const {
    const entity& ent = entities_[e];
    const header_info& h = infos_[e];
    proto::body_structure b;
    b.type = h.type;
    b.subtype = h.subtype;
    b.params = h.params;
    b.disposition = h.disposition;
    b.language = h.language;
    b.location = h.location;
    if (ent.k == entity::kind::multipart || h.type == "multipart") {
      b.type = "multipart";
      for (std::uint32_t c = ent.first_child; c != 0; c = entities_[c].next_sibling) {
        b.parts.push_back(structure_of(c));
      }
      return b;
    }
    b.id = h.id;
    b.description = h.description;
    b.encoding = h.encoding_name;
    b.md5 = h.md5;
    b.size = ent.body_end - ent.body_begin;
    if (ent.k == entity::kind::message && ent.first_child != 0) {
      b.message_envelope = envelope_of(ent.first_child);
      b.parts.push_back(structure_of(ent.first_child));
      b.lines = lines_of(ent);
    } else if (ent.text) {
      b.lines = lines_of(ent);
    }
    if (b.type == "message" && !b.message_envelope) {
      // A message/rfc822 we did not open (encoded, or past a limit): described as an opaque body, so the
      // response stays valid (body-type-msg needs an envelope).
      b.type = "application";
      b.subtype = "octet-stream";
    }
    return b;
  }

  analysis finish() {
    analysis a;
    a.truncated = truncated_;
    a.envelope = envelope_of(0);
    a.structure = structure_of(0);
    const auto& f = infos_[0].fields;
    auto decoded = [&](int i) { return f[i] ? decode_header_text(*f[i]) : std::string(); };
    a.from = decoded(f_from);
    a.to = decoded(f_to);
    a.cc = decoded(f_cc);
    a.bcc = decoded(f_bcc);
    a.subject = decoded(f_subject);
    if (f[f_date]) {
      if (auto d = parse_rfc5322_date(*f[f_date])) {
        a.has_date = true;
        a.sent_unix = d->unix;
        a.sent_day = d->day;
      }
    }
    a.entities = std::move(entities_);
    return a;
  }

  std::string_view raw_;
  limits lim_;
  std::vector<entity> entities_;
  std::vector<header_info> infos_;
  std::vector<bool> header_open_;
  std::vector<std::uint32_t> last_child_;
  std::vector<bool> digest_default_;
  std::vector<frame> frames_;
  std::vector<std::uint32_t> open_;
  std::size_t cut_ = npos;  // where mimetic's view of the current header stops
  bool truncated_ = false;
};

}  // namespace

analysis analyse(std::string_view raw, const limits& lim) {
  if (raw.size() >= 0xffffffffu) raw = raw.substr(0, 0xfffffffeu);  // offsets are 32-bit (message.hpp)
  return scanner(raw, lim).run();
}

}  // namespace mssgw::imap::mime
