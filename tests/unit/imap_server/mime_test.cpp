// The guarded MIME adapter (imap/mime): part tree and offsets, ENVELOPE and BODYSTRUCTURE wire forms, sections,
// addresses, header text for SEARCH/SORT, the cache record, and the hostile inputs of deps.md §2.
#include <catch2/catch.hpp>

#include <chrono>

#include "imap/mime/address.hpp"
#include "imap/mime/cache.hpp"
#include "imap/mime/message.hpp"
#include "imap/mime/text.hpp"
#include "imap/proto/response.hpp"

using namespace mssgw::imap;
using namespace mssgw::imap::mime;

namespace {

std::string envelope_wire(const proto::envelope& e) {
  std::string out;
  proto::write_envelope(out, e);
  return out;
}

std::string structure_wire(std::string_view raw, bool extended = true) {
  std::string out;
  proto::write_body_structure(out, analyse(raw).structure, extended);
  return out;
}

std::string section(std::string_view raw, std::string_view spec) {
  proto::fetch_att att;
  REQUIRE(proto::parse_fetch_att("BODY[" + std::string(spec) + "]", att) == proto::errc::ok);
  auto c = make_cache(raw);
  auto r = section_content(raw, c.entities, att.sec);
  return r ? std::string(r->bytes()) : std::string("NIL");
}

const std::string simple =
    "Date: Mon, 7 Feb 1994 21:52:25 -0800\r\n"
    "From: Fred Foobar <foobar@Blurdybloop.example>\r\n"
    "Subject: afternoon meeting\r\n"
    "To: mooch@owatagu.siam.edu.example\r\n"
    "Message-Id: <B27397-0100000@Blurdybloop.example>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n"
    "\r\n"
    "Hello Joe, do you think we can meet at 3:30 tomorrow?\r\n";

const std::string multipart =
    "From: a@b.example\r\n"
    "To: Group: c@d.example, \"E F\" <e@f.example>;, g@h.example\r\n"
    "Subject: =?UTF-8?Q?Compte-rendu_=C3=A9t=C3=A9?= 2024\r\n"
    "Content-Type: multipart/mixed; boundary=\"outer\"\r\n"
    "\r\n"
    "preamble\r\n"
    "--outer\r\n"
    "Content-Type: multipart/alternative; boundary=inner\r\n"
    "\r\n"
    "--inner\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "caf=C3=A9 au lait\r\n"
    "--inner\r\n"
    "Content-Type: text/html; charset=utf-8\r\n"
    "\r\n"
    "<p>caf\xc3\xa9</p>\r\n"
    "--inner--\r\n"
    "--outer\r\n"
    "Content-Type: application/pdf; name=\"cr.pdf\"\r\n"
    "Content-Disposition: attachment; filename=\"cr.pdf\"\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "JVBERi0xLjQK\r\n"
    "--outer\r\n"
    "Content-Type: message/rfc822\r\n"
    "\r\n"
    "From: inner@x.example\r\n"
    "Subject: inner\r\n"
    "\r\n"
    "inner body\r\n"
    "--outer--\r\n"
    "epilogue\r\n";

}  // namespace

TEST_CASE("mime: single part message, RFC 3501 example envelope and bodystructure") {
  auto a = analyse(simple);
  REQUIRE(a.entities.size() == 1);
  CHECK(envelope_wire(a.envelope) ==
        "(\"Mon, 7 Feb 1994 21:52:25 -0800\" \"afternoon meeting\" ((\"Fred Foobar\" NIL \"foobar\" "
        "\"Blurdybloop.example\")) ((\"Fred Foobar\" NIL \"foobar\" \"Blurdybloop.example\")) ((\"Fred Foobar\" NIL "
        "\"foobar\" \"Blurdybloop.example\")) ((NIL NIL \"mooch\" \"owatagu.siam.edu.example\")) NIL NIL NIL "
        "\"<B27397-0100000@Blurdybloop.example>\")");
  CHECK(structure_wire(simple, false) == "(\"text\" \"plain\" (\"charset\" \"US-ASCII\") NIL NIL \"7BIT\" 55 1)");
  CHECK(a.has_date);
  CHECK(a.sent_unix == 760686745);
  CHECK(section(simple, "TEXT") == "Hello Joe, do you think we can meet at 3:30 tomorrow?\r\n");
  CHECK(section(simple, "1") == "Hello Joe, do you think we can meet at 3:30 tomorrow?\r\n");
  CHECK(section(simple, "2") == "NIL");
  CHECK(section(simple, "1.1") == "NIL");
  CHECK(section(simple, "HEADER.FIELDS (SUBJECT to)") ==
        "Subject: afternoon meeting\r\nTo: mooch@owatagu.siam.edu.example\r\n\r\n");
  CHECK(section(simple, "HEADER").size() == simple.find("\r\n\r\n") + 4);
}

TEST_CASE("mime: nested multipart, attachment and encapsulated message") {
  auto a = analyse(multipart);
  REQUIRE(a.entities.size() == 7);  // message, alternative, plain, html, pdf, rfc822 part, inner message
  CHECK(a.entities[0].k == entity::kind::multipart);
  CHECK(structure_wire(multipart, false) ==
        "(((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"QUOTED-PRINTABLE\" 17 1)"
        "(\"text\" \"html\" (\"charset\" \"utf-8\") NIL NIL \"7BIT\" 12 1) \"alternative\")"
        "(\"application\" \"pdf\" (\"name\" \"cr.pdf\") NIL NIL \"BASE64\" 12)"
        "(\"message\" \"rfc822\" NIL NIL NIL \"7BIT\" 51 (NIL \"inner\" ((NIL NIL \"inner\" \"x.example\")) "
        "((NIL NIL \"inner\" \"x.example\")) ((NIL NIL \"inner\" \"x.example\")) NIL NIL NIL NIL NIL) "
        "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7BIT\" 10 1) 4) \"mixed\")");
  CHECK(structure_wire(multipart, true).find("\"mixed\" (\"boundary\" \"outer\") NIL NIL NIL)") !=
        std::string::npos);
  CHECK(structure_wire(multipart, true).find("(\"attachment\" (\"filename\" \"cr.pdf\"))") != std::string::npos);
  CHECK(section(multipart, "1.1") == "caf=C3=A9 au lait");
  CHECK(section(multipart, "1.2.MIME") == "Content-Type: text/html; charset=utf-8\r\n\r\n");
  CHECK(section(multipart, "2") == "JVBERi0xLjQK");
  CHECK(section(multipart, "3.HEADER") == "From: inner@x.example\r\nSubject: inner\r\n\r\n");
  CHECK(section(multipart, "3.TEXT") == "inner body");
  CHECK(section(multipart, "3.1") == "inner body");
  CHECK(section(multipart, "3") == "From: inner@x.example\r\nSubject: inner\r\n\r\ninner body");
  CHECK(section(multipart, "4") == "NIL");
  CHECK(section(multipart, "2.HEADER") == "NIL");
  auto c = make_cache(multipart);
  std::vector<std::uint32_t> pdf = {2}, plain = {1, 1};
  CHECK(binary_content(multipart, c.entities, pdf)->data == "%PDF-1.4\n");
  CHECK(binary_content(multipart, c.entities, plain)->data == "caf\xc3\xa9 au lait");
  CHECK(c.subject == "compte-rendu \xc3\xa9t\xc3\xa9 2024");
  CHECK(c.sort_subject == "compte-rendu \xc3\xa9t\xc3\xa9 2024");
  CHECK(c.needs_decoding_for_search());
}

TEST_CASE("mime: group syntax and address forms in the envelope") {
  auto a = analyse(multipart);
  std::string to;
  proto::write_address_list(to, a.envelope.to);
  CHECK(to == "((NIL NIL \"Group\" NIL)(NIL NIL \"c\" \"d.example\")(\"E F\" NIL \"e\" \"f.example\")"
              "(NIL NIL NIL NIL)(NIL NIL \"g\" \"h.example\"))");
  struct row {
    std::string in, out;
  };
  const std::vector<row> rows = {
      {"a@b", "((NIL NIL \"a\" \"b\"))"},
      {"<a@b>", "((NIL NIL \"a\" \"b\"))"},
      {"\"Dupont, Jean\" <jean.dupont@alpha.mssante.fr>",
       "((\"Dupont, Jean\" NIL \"jean.dupont\" \"alpha.mssante.fr\"))"},
      {"Jean  Dupont <j@x>", "((\"Jean Dupont\" NIL \"j\" \"x\"))"},
      {"j@x (Jean Dupont)", "((NIL NIL \"j\" \"x\"))"},
      {"<@relay.example,@r2:j@x>", "((NIL \"@relay.example,@r2\" \"j\" \"x\"))"},
      {"undisclosed-recipients:;", "((NIL NIL \"undisclosed-recipients\" NIL)(NIL NIL NIL NIL))"},
      {":", "((NIL NIL \"\" NIL)(NIL NIL NIL NIL))"},
      {"group:", "((NIL NIL \"group\" NIL)(NIL NIL NIL NIL))"},
      {"nodomain", "((NIL NIL \"nodomain\" \"MISSING_DOMAIN\"))"},
      {"<>", "((NIL NIL \"\" \"\"))"},
      {"=?utf-8?q?Ren=C3=A9?= <r@x>", "((\"=?utf-8?q?Ren=C3=A9?=\" NIL \"r\" \"x\"))"},
      {"a@b, , c@d", "((NIL NIL \"a\" \"b\")(NIL NIL \"c\" \"d\"))"},
      {"\"unterminated <a@b>", "((NIL NIL {19}\r\n\"unterminated <a@b> \"MISSING_DOMAIN\"))"},
      {"", "NIL"},
  };
  for (const auto& r : rows) {
    INFO(r.in);
    std::string out;
    proto::write_address_list(out, parse_address_list(r.in));
    CHECK(out == r.out);
  }
}

TEST_CASE("mime: header text for search and sort") {
  CHECK(decode_header_text("=?ISO-8859-1?Q?Fran=E7ois?= =?ISO-8859-1?Q?_M=FCller?=") ==
        "Fran\xc3\xa7ois M\xc3\xbcller");
  CHECK(decode_header_text("=?utf-8?B?w6l0w6k=?= x") == "\xc3\xa9t\xc3\xa9 x");
  CHECK(decode_header_text("a =?bad") == "a =?bad");
  CHECK(decode_header_text("=?windows-1252?Q?=80?=") == "\xe2\x82\xac");
  CHECK(fold("\xc3\x89T\xc3\x89") == "\xc3\xa9t\xc3\xa9");
  CHECK(base_subject("Re: [SPAM] Fwd: Re:  Hello  (fwd)") == "hello");
  CHECK(base_subject("[fwd: Hello]") == "hello");
  CHECK(base_subject("Re:") == "");
  CHECK(base_subject("[PATIENT] Compte-rendu") == "compte-rendu");
  auto d = parse_rfc5322_date("Tue, 1 Jul 2003 10:52:37 +0200");
  REQUIRE(d);
  CHECK(d->unix == 1057049557);
  CHECK(d->day == 12234);
  CHECK(parse_rfc5322_date("1 Jul 03 10:52 GMT"));
  CHECK_FALSE(parse_rfc5322_date("yesterday"));
  CHECK(decode_quoted_printable("a=3Db=\r\nc =XY") == "a=bc =XY");
  CHECK(decode_base64("aGVs\r\nbG8=") == "hello");
}

TEST_CASE("mime: cache round trip and header helpers") {
  auto c = make_cache(multipart);
  auto back = decode_cache(encode(c));
  REQUIRE(back);
  CHECK(back->bodystructure == c.bodystructure);
  CHECK(back->entities == c.entities);
  CHECK(back->display_from == "a@b.example");
  CHECK_FALSE(decode_cache(""));
  CHECK_FALSE(decode_cache("\x02garbage"));
  std::string truncated = encode(c);
  truncated.resize(truncated.size() / 2);
  CHECK_FALSE(decode_cache(truncated));
  CHECK(header_field("A: 1\r\nSubject: x\r\n y\r\n\r\n", "subject") == "x y");
  CHECK_FALSE(header_field("A: 1\r\n\r\n", "B"));
}

TEST_CASE("mime: search fields read from the stored cache agree with the decoded cache") {
  const std::string dated =
      "Date: Tue, 1 Jul 2003 10:52:37 +0200\r\nFrom: =?ISO-8859-1?Q?Fran=E7ois?= <f@x.example>\r\n"
      "To: a@b.example, c@d.example\r\nCc: e@f.example\r\nSubject: =?utf-8?B?w6l0w6k=?= [FIN]\r\n\r\nbody\r\n";
  for (const std::string* raw : {&multipart, &dated}) {
    const auto c = make_cache(*raw);
    const std::string stored = encode(c);
    auto f = decode_search_fields(stored);
    REQUIRE(f);
    const auto g = search_fields_of(c);
    CHECK(f->has_date == g.has_date);
    CHECK(f->sent_unix == g.sent_unix);
    CHECK(f->sent_day == g.sent_day);
    CHECK(f->from == g.from);
    CHECK(f->to == g.to);
    CHECK(f->cc == g.cc);
    CHECK(f->bcc == g.bcc);
    CHECK(f->subject == g.subject);
    CHECK(f->header_end == g.header_end);
    CHECK(f->header_end == raw->find("\r\n\r\n") + 4);
    // A prefix of the stored bytes is refused, or (cut after the root entity) gives the same fields.
    for (std::size_t n = 0; n < stored.size(); ++n) {
      auto partial = decode_search_fields(std::string_view(stored).substr(0, n));
      if (partial) {
        CHECK(partial->subject == g.subject);
        CHECK(partial->header_end == g.header_end);
      }
    }
  }
  const std::string dated_stored = encode(make_cache(dated));  // the fields are views into it
  const auto dated_fields = decode_search_fields(dated_stored);
  REQUIRE(dated_fields);
  CHECK(dated_fields->has_date);
  CHECK(dated_fields->sent_day == 12234);
  CHECK(dated_fields->subject == "\xc3\xa9t\xc3\xa9 [fin]");  // decoded and folded
  CHECK(dated_fields->from.find("fran\xc3\xa7ois") != std::string_view::npos);
  CHECK_FALSE(decode_search_fields(""));
  CHECK_FALSE(decode_search_fields("\x02garbage"));
}

TEST_CASE("mime: broken structures stay describable") {
  // A multipart whose boundary never appears: no parts (shown as one empty text part).
  std::string none = "Content-Type: multipart/mixed; boundary=zz\r\n\r\nno parts here\r\n";
  CHECK(structure_wire(none, false) == "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7BIT\" 0 0) \"mixed\")");
  // No closing delimiter: the last part runs to the end.
  std::string open = "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nabc\r\n";
  auto a = analyse(open);
  REQUIRE(a.entities.size() == 2);
  CHECK(section(open, "1") == "abc\r\n");
  // Body right after the part header, without a blank line.
  std::string nohdr = "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nplain text line\r\n--b--\r\n";
  CHECK(section(nohdr, "1") == "plain text line");
  // LF-only line ends.
  std::string lf = "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nx\n--b--\n";
  CHECK(section(lf, "1") == "x");
  // multipart/digest parts default to message/rfc822.
  std::string digest = "Content-Type: multipart/digest; boundary=d\r\n\r\n--d\r\n\r\nSubject: s\r\n\r\nb\r\n--d--\r\n";
  CHECK(section(digest, "1.HEADER") == "Subject: s\r\n\r\n");
  // Content-Type without a subtype: the RFC 2045 default.
  CHECK(structure_wire("Content-Type: text\r\n\r\nx", false) ==
        "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7BIT\" 1 1)");
  // Unknown transfer encoding: BINARY refuses it.
  std::string xenc = "Content-Transfer-Encoding: x-uuencode\r\n\r\nbegin";
  auto c = make_cache(xenc);
  std::vector<std::uint32_t> one = {1};
  CHECK(binary_content(xenc, c.entities, one)->unknown_encoding);
  // Base64 message/rfc822 is not opened (described as an opaque part).
  std::string b64msg = "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: message/rfc822\r\n"
                       "Content-Transfer-Encoding: base64\r\n\r\nU3ViamVjdDogeA==\r\n--b--\r\n";
  CHECK(structure_wire(b64msg, false).find("\"application\" \"octet-stream\"") != std::string::npos);
}

TEST_CASE("mime: hostile inputs of deps.md are bounded") {
  using clock = std::chrono::steady_clock;
  auto timed = [](const std::string& raw) {
    auto t0 = clock::now();
    auto c = make_cache(raw);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - t0).count();
    return std::make_pair(std::move(c), ms);
  };
  SECTION("the 4-byte double free: To: :") {
    auto [c, ms] = timed("To::\nr");
    CHECK(c.envelope.find("((NIL NIL \"\" NIL)(NIL NIL NIL NIL))") != std::string::npos);
  }
  SECTION("mimetic's length_error input") {
    auto [c, ms] = timed("Content-Type:multipart\r\r\n\r--");
    CHECK_FALSE(c.bodystructure.empty());
  }
  SECTION("60,000 nested multiparts (mimetic overflows its stack)") {
    std::string raw;
    for (int i = 0; i < 60000; ++i) raw += "Content-Type: multipart/mixed; boundary=b" + std::to_string(i) +
                                          "\r\n\r\n--b" + std::to_string(i) + "\r\n";
    raw += "\r\nend\r\n";
    auto [c, ms] = timed(raw);
    CHECK(c.truncated);
    CHECK(c.entities.size() <= 41);
    CHECK(ms < 30000);  // quadratic would take minutes; the generous bound keeps ASan on 2 busy cores from flaking
  }
  SECTION("a 10 MB header line") {
    std::string raw = "Subject: " + std::string(10 * 1024 * 1024, 'a') + "\r\nFrom: x@y\r\n\r\nbody";
    auto [c, ms] = timed(raw);
    CHECK(c.truncated);
    CHECK(ms < 30000);
    CHECK(section(raw, "TEXT") == "body");
  }
  SECTION("Content-Type with 200k parameters over folded lines") {
    std::string raw = "Content-Type: text/plain";
    for (int i = 0; i < 200000; ++i) raw += ";\r\n a" + std::to_string(i) + "=b";
    raw += "\r\n\r\nx";
    auto [c, ms] = timed(raw);
    CHECK(ms < 30000);
  }
  SECTION("200k empty parts") {
    std::string raw = "Content-Type: multipart/mixed; boundary=p\r\n\r\n";
    for (int i = 0; i < 200000; ++i) raw += "--p\r\n\r\n";
    raw += "--p--\r\n";
    auto [c, ms] = timed(raw);
    CHECK(c.truncated);
    CHECK(c.entities.size() == 1000);
    CHECK(ms < 30000);
  }
  SECTION("NUL, random bytes, empty input") {
    CHECK_FALSE(make_cache(std::string(1000, '\0')).bodystructure.empty());
    std::string noise;
    std::uint32_t x = 12345;
    for (int i = 0; i < 1 << 20; ++i) {
      x = x * 1103515245u + 12345u;
      noise.push_back(static_cast<char>(x >> 16));
    }
    CHECK_FALSE(make_cache(noise).bodystructure.empty());
    CHECK_FALSE(make_cache("").bodystructure.empty());
  }
}
