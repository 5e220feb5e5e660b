// libFuzzer target: the response writer, checked by reading back what it wrote.
// Checks: a string (quoted or literal) reads back unchanged; a mailbox name decodes back to itself; UID lists
// compress to a set with the same numbers; ENVELOPE and BODYSTRUCTURE built from the input are one well-formed
// value; status texts stay on one line.
#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "imap/proto/mailbox_name.hpp"
#include "imap/proto/message_model.hpp"
#include "imap/proto/response.hpp"
#include "imap/proto/sequence_set.hpp"
#include "imap/proto/value.hpp"
#include "imap_fuzz_input.hpp"

using namespace mssgw::imap::proto;
using namespace mssgw::imap::proto::fuzz;

namespace {

// Consumes the input as a little stream of choices and strings.
class source {
 public:
  explicit source(std::string_view s) : s_(s) {}
  std::uint8_t byte() {
    if (s_.empty()) return 0;
    const auto b = static_cast<std::uint8_t>(s_[0]);
    s_.remove_prefix(1);
    return b;
  }
  // A string of up to 15 octets (no NUL: literals cannot carry one, RFC 3501 §4.3).
  std::string text() {
    const std::size_t n = std::min<std::size_t>(byte() & 15, s_.size());
    std::string out(s_.substr(0, n));
    s_.remove_prefix(n);
    std::replace(out.begin(), out.end(), '\0', ' ');
    return out;
  }
  std::optional<std::string> ntext() {
    if (byte() & 1) return std::nullopt;
    return text();
  }
  bool empty() const { return s_.empty(); }

 private:
  std::string_view s_;
};

std::vector<address> addresses(source& src) {
  std::vector<address> out(src.byte() % 3);
  for (auto& a : out) a = {src.ntext(), src.ntext(), src.ntext(), src.ntext()};
  return out;
}

envelope make_envelope(source& src) {
  envelope e;
  e.date = src.ntext();
  e.subject = src.ntext();
  for (auto* l : {&e.from, &e.sender, &e.reply_to, &e.to, &e.cc, &e.bcc}) *l = addresses(src);
  e.in_reply_to = src.ntext();
  e.message_id = src.ntext();
  return e;
}

body_structure make_body(source& src, int depth) {
  body_structure b;
  const std::uint8_t kind = depth >= 4 ? 0 : src.byte() % 4;
  b.type = kind == 1 ? "multipart" : kind == 2 ? "message" : src.byte() & 1 ? "text" : src.text();
  b.subtype = kind == 2 ? "rfc822" : src.text();
  for (int i = src.byte() % 3; i > 0; --i) b.params.emplace_back(src.text(), src.text());
  b.id = src.ntext();
  b.description = src.ntext();
  b.encoding = src.text();
  b.size = src.byte();
  b.lines = src.byte();
  b.md5 = src.ntext();
  if (src.byte() & 1) b.disposition = body_disposition{src.text(), {{src.text(), src.text()}}};
  for (int i = src.byte() % 3; i > 0; --i) b.language.push_back(src.text());
  b.location = src.ntext();
  if (kind == 1) {
    for (int i = src.byte() % 3; i > 0; --i) b.parts.push_back(make_body(src, depth + 1));
  } else if (kind == 2) {
    b.message_envelope = make_envelope(src);
    b.parts.push_back(make_body(src, depth + 1));
  }
  return b;
}

void check_one_value(const std::string& out) {
  const values_result v = parse_values(out, default_max_depth, true);
  IMAP_FUZZ_CHECK(v.error == errc::ok);
  IMAP_FUZZ_CHECK(v.values.size() == 1);
  IMAP_FUZZ_CHECK(v.values[0].is_list());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in = as_view(data, size);
  const bool utf8 = !in.empty() && (static_cast<std::uint8_t>(in[0]) & 1);
  const std::string_view s = in.empty() ? in : in.substr(1);

  // Strings.
  for (const bool u : {false, utf8}) {
    std::string out;
    write_string(out, s, u);
    const values_result v = parse_values(out);
    if (s.find('\0') != std::string_view::npos) {
      IMAP_FUZZ_CHECK(v.error == errc::nul_in_literal);  // the caller's job: NUL only in literal8
    } else {
      IMAP_FUZZ_CHECK(v.error == errc::ok && v.values.size() == 1 && v.values[0].is_string());
      IMAP_FUZZ_CHECK(v.values[0].text == s);
    }
    out.clear();
    write_literal8(out, s);
    const values_result b = parse_values(out);
    IMAP_FUZZ_CHECK(b.error == errc::ok && b.values[0].binary && b.values[0].text == s);
    out.clear();
    write_astring(out, s, u);
    const values_result a = parse_values(out);
    if (s.find('\0') == std::string_view::npos) {
      IMAP_FUZZ_CHECK(a.error == errc::ok && a.values.size() == 1);
      IMAP_FUZZ_CHECK(a.values[0].is_astring() && a.values[0].text == s);
    }
  }

  // Mailbox names.
  for (const bool u : {false, true}) {
    std::string out;
    if (write_mailbox(out, s, u)) {
      const values_result v = parse_values(out);
      IMAP_FUZZ_CHECK(v.error == errc::ok && v.values.size() == 1);
      IMAP_FUZZ_CHECK(decode_mailbox(v.values[0].text, u) == std::string(s));
    }
  }

  // Status text stays one line.
  {
    std::string out;
    write_tagged(out, "A1", status_word::no, code::named("X"), s);
    IMAP_FUZZ_CHECK(out.size() >= 2 && out.compare(out.size() - 2, 2, "\r\n") == 0);
    IMAP_FUZZ_CHECK(out.find_first_of(std::string_view("\r\n\0", 3)) == out.size() - 2);
  }

  // UID lists.
  {
    std::vector<std::uint32_t> uids;
    for (std::size_t i = 0; i + 1 < s.size() && uids.size() < 200; i += 2) {
      uids.push_back(static_cast<std::uint8_t>(s[i]) * 256u + static_cast<std::uint8_t>(s[i + 1]));
    }
    const std::string c = compress(uids);
    std::set<std::uint32_t> want(uids.begin(), uids.end());
    want.erase(0);
    if (want.empty()) {
      IMAP_FUZZ_CHECK(c.empty());
    } else {
      sequence_set set;
      IMAP_FUZZ_CHECK(parse_sequence_set(c, set) == errc::ok);
      const auto n = normalise(set, 0);
      IMAP_FUZZ_CHECK(count(n) == want.size());
      for (const std::uint32_t u : want) IMAP_FUZZ_CHECK(contains(n, u));
      IMAP_FUZZ_CHECK(format(n) == c);
    }
    const std::string o = compress_ordered(uids);
    if (!want.empty()) {
      sequence_set set;
      IMAP_FUZZ_CHECK(parse_sequence_set(o, set) == errc::ok);
      for (const std::uint32_t u : want) IMAP_FUZZ_CHECK(contains(normalise(set, 0), u));
    }
  }

  // FETCH items: the content reads back (NUL shown as 0x80 outside BINARY).
  {
    fetch_att body;
    IMAP_FUZZ_CHECK(parse_fetch_att("BODY.PEEK[1.TEXT]<0.100>", body) == errc::ok);
    fetch_att bin;
    IMAP_FUZZ_CHECK(parse_fetch_att("BINARY[1]", bin) == errc::ok);
    std::string out;
    fetch_writer w(out, 1, utf8);
    w.section(body, s);
    w.section(bin, s);
    w.finish();
    constexpr std::string_view head = "* 1 FETCH ";
    IMAP_FUZZ_CHECK(out.compare(0, head.size(), head) == 0 && out.compare(out.size() - 2, 2, "\r\n") == 0);
    const values_result v = parse_values(std::string_view(out).substr(head.size(), out.size() - head.size() - 2));
    IMAP_FUZZ_CHECK(v.error == errc::ok && v.values.size() == 1 && v.values[0].items.size() == 4);
    std::string shown(s);
    std::replace(shown.begin(), shown.end(), '\0', static_cast<char>(0x80));
    IMAP_FUZZ_CHECK(v.values[0].items[0].text == "BODY[1.TEXT]<0>");
    IMAP_FUZZ_CHECK(v.values[0].items[1].text == shown);
    IMAP_FUZZ_CHECK(v.values[0].items[3].text == s);
  }

  // ENVELOPE and BODYSTRUCTURE.
  {
    source src(s);
    const envelope e = make_envelope(src);
    std::string out;
    write_envelope(out, e, utf8);
    check_one_value(out);
    const body_structure b = make_body(src, 0);
    for (const bool ext : {false, true}) {
      out.clear();
      write_body_structure(out, b, ext, utf8);
      check_one_value(out);
    }
  }
  return 0;
}
