#include <catch2/catch.hpp>

#include "imap/proto/command.hpp"
#include "imap/proto/message_model.hpp"
#include "imap/proto/response.hpp"
#include "imap/proto/value.hpp"
#include "split.hpp"

using namespace mssgw::imap::proto;
using namespace mssgw::imap::proto::testing;
using namespace std::literals;

namespace {

std::string str(std::string_view s, bool utf8 = false) {
  std::string out;
  write_string(out, s, utf8);
  return out;
}

}  // namespace

TEST_CASE("strings: quoted or literal by content", "[imap][response]") {
  CHECK(str("hello world") == "\"hello world\"");
  CHECK(str("") == "\"\"");
  CHECK(str("say \"hi\"") == "{8}\r\nsay \"hi\"");
  CHECK(str("a\\b") == "{3}\r\na\\b");
  CHECK(str("two\r\nlines") == "{10}\r\ntwo\r\nlines");
  CHECK(str("tab\there") == "{8}\r\ntab\there");
  CHECK(str("\xc3\xa9t\xc3\xa9") == "{5}\r\n\xc3\xa9t\xc3\xa9");
  CHECK(str("\xc3\xa9t\xc3\xa9", true) == "\"\xc3\xa9t\xc3\xa9\"");  // UTF8=ACCEPT / IMAP4rev2
  CHECK(str("\xff", true) == "{1}\r\n\xff");                          // not UTF-8: still a literal
  CHECK(str(std::string(1024, 'x')).front() == '"');
  CHECK(str(std::string(1025, 'x')).front() == '{');
  std::string out;
  write_quoted(out, "a\"b\\c");
  CHECK(out == "\"a\\\"b\\\\c\"");
  out.clear();
  write_literal8(out, "a\0b"sv);
  CHECK(out == "~{3}\r\na\0b"s);
  out.clear();
  write_nstring(out, std::nullopt);
  out += ' ';
  write_nstring(out, std::string("x"));
  CHECK(out == "NIL \"x\"");
  out.clear();
  write_astring(out, "INBOX");
  out += ' ';
  write_astring(out, "nil");
  out += ' ';
  write_astring(out, "a b");
  out += ' ';
  write_astring(out, "");
  CHECK(out == "INBOX \"nil\" \"a b\" \"\"");
}

TEST_CASE("strings written are read back unchanged (writer/parser agreement)", "[imap][response]") {
  const std::string samples[] = {"", "x", "a b", "\"", "\\", "\r\n", "((", "{3}\r\n", "NIL", "\xc3\xa9", "\x01\x7f",
                                 std::string(2000, 'z'), "a\"b\\c\"d"};
  for (const auto& s : samples) {
    for (const bool utf8 : {false, true}) {
      const values_result v = parse_values(str(s, utf8));
      REQUIRE(v.error == errc::ok);
      REQUIRE(v.values.size() == 1);
      CHECK(v.values[0].is_string());
      CHECK(v.values[0].text == s);
    }
  }
}

TEST_CASE("mailbox names in responses", "[imap][response]") {
  std::string out;
  CHECK(write_mailbox(out, "\xc3\xa9t\xc3\xa9", false));
  CHECK(out == "\"&AOk-t&AOk-\"");
  out.clear();
  CHECK(write_mailbox(out, "\xc3\xa9t\xc3\xa9", true));
  CHECK(out == "\"\xc3\xa9t\xc3\xa9\"");
  out.clear();
  CHECK(write_mailbox(out, "A&B", false));
  CHECK(out == "\"A&-B\"");
  out.clear();
  CHECK_FALSE(write_mailbox(out, "\xff", false));
  CHECK(out.empty());
}

TEST_CASE("status responses and response codes", "[imap][response]") {
  std::string out;
  write_tagged(out, "a001", status_word::ok, {}, "LOGIN completed");
  CHECK(out == "a001 OK LOGIN completed\r\n");
  out.clear();
  write_tagged(out, "A142", status_word::ok, code::read_write(), "SELECT completed");
  CHECK(out == "A142 OK [READ-WRITE] SELECT completed\r\n");
  out.clear();
  write_tagged(out, "", status_word::bad, {}, "");
  CHECK(out == "* BAD Completed\r\n");
  out.clear();
  write_untagged(out, status_word::ok, code::uidvalidity(3857529045u), "UIDs valid");
  write_untagged(out, status_word::ok, code::uidnext(4392), "Predicted next UID");
  write_untagged(out, status_word::ok, code::highestmodseq(715194045007ULL), "Highest");
  write_untagged(out, status_word::bye, code::toobig(), "Literal too big");
  write_untagged(out, status_word::preauth, {}, "line\r\nbreak\0"sv);
  CHECK(out ==
        "* OK [UIDVALIDITY 3857529045] UIDs valid\r\n"
        "* OK [UIDNEXT 4392] Predicted next UID\r\n"
        "* OK [HIGHESTMODSEQ 715194045007] Highest\r\n"
        "* BYE [TOOBIG] Literal too big\r\n"
        "* PREAUTH line  break \r\n");
  const std::vector<std::string> flags = {"\\Deleted", "\\Seen", "\\*"};
  const std::vector<std::string> caps = {"IMAP4rev1", "IDLE", "LITERAL+"};
  const std::vector<std::string> charsets = {"UTF-8", "US-ASCII"};
  const std::pair<response_code, std::string_view> codes[] = {
      {code::appenduid(38505, "3955"), "APPENDUID 38505 3955"},
      {code::copyuid(38505, "304,319:320", "3956:3958"), "COPYUID 38505 304,319:320 3956:3958"},
      {code::permanentflags(flags), "PERMANENTFLAGS (\\Deleted \\Seen \\*)"},
      {code::capability(caps), "CAPABILITY IMAP4rev1 IDLE LITERAL+"},
      {code::modified("7,9"), "MODIFIED 7,9"},
      {code::badcharset(charsets), "BADCHARSET (UTF-8 US-ASCII)"},
      {code::badcharset(), "BADCHARSET"},
      {code::unseen(12), "UNSEEN 12"},
      {code::alert(), "ALERT"},
      {code::authenticationfailed(), "AUTHENTICATIONFAILED"},
      {code::authorizationfailed(), "AUTHORIZATIONFAILED"},
      {code::noperm(), "NOPERM"},
      {code::trycreate(), "TRYCREATE"},
      {code::closed(), "CLOSED"},
      {code::nonexistent(), "NONEXISTENT"},
      {code::alreadyexists(), "ALREADYEXISTS"},
      {code::limit(), "LIMIT"},
      {code::toobig(), "TOOBIG"},
      {code::nomodseq(), "NOMODSEQ"},
      {code::read_only(), "READ-ONLY"},
      {code::cannot(), "CANNOT"},
      {code::inuse(), "INUSE"},
      {code::overquota(), "OVERQUOTA"},
      {code::serverbug(), "SERVERBUG"},
      {code::clientbug(), "CLIENTBUG"},
      {code::expungeissued(), "EXPUNGEISSUED"},
      {code::uidnotsticky(), "UIDNOTSTICKY"},
      {code::unavailable(), "UNAVAILABLE"},
      {code::haschildren(), "HASCHILDREN"},
      {code::privacyrequired(), "PRIVACYREQUIRED"},
      {code::contactadmin(), "CONTACTADMIN"},
      {code::expired(), "EXPIRED"},
      {code::parse(), "PARSE"},
      {code::named("X-FOO"), "X-FOO"},
  };
  for (const auto& [c, text] : codes) CHECK(c.text == text);
  out.clear();
  write_continuation(out);
  write_continuation(out, "");
  write_continuation(out, "YmFzZTY0");
  CHECK(out == "+ Ready\r\n+ Completed\r\n+ YmFzZTY0\r\n");
}

TEST_CASE("untagged data", "[imap][response]") {
  std::string out;
  const std::vector<std::string> caps = {"IMAP4rev1", "STARTTLS", "AUTH=PLAIN"};
  write_capability(out, caps);
  write_enabled(out, std::vector<std::string>{"CONDSTORE"});
  write_exists(out, 172);
  write_recent(out, 1);
  write_expunge(out, 3);
  write_flags(out, std::vector<std::string>{"\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft"});
  write_vanished(out, "41,43:116", true);
  write_vanished(out, "405", false);
  CHECK(out ==
        "* CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN\r\n"
        "* ENABLED CONDSTORE\r\n"
        "* 172 EXISTS\r\n"
        "* 1 RECENT\r\n"
        "* 3 EXPUNGE\r\n"
        "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n"
        "* VANISHED (EARLIER) 41,43:116\r\n"
        "* VANISHED 405\r\n");

  out.clear();
  list_item li;
  li.attributes = {"\\HasNoChildren", "\\Sent"};
  li.name = "Envoy\xc3\xa9s";
  CHECK(write_list(out, li, false));
  li.delimiter = '\0';
  li.attributes.clear();
  li.name = "";
  CHECK(write_list(out, li, false));
  li.delimiter = '\\';
  li.name = "x";
  li.childinfo = {"SUBSCRIBED"};
  li.old_name = "y";
  CHECK(write_list(out, li, false, true));
  li.name = "\xff";
  CHECK_FALSE(write_list(out, li, false));
  CHECK(out ==
        "* LIST (\\HasNoChildren \\Sent) \"/\" \"Envoy&AOk-s\"\r\n"
        "* LIST () NIL \"\"\r\n"
        "* LSUB () \"\\\\\" \"x\" (\"CHILDINFO\" (\"SUBSCRIBED\") \"OLDNAME\" (\"y\"))\r\n");

  out.clear();
  const std::pair<status_item, std::uint64_t> items[] = {{status_item::messages, 231}, {status_item::uidnext, 44292}};
  CHECK(write_status(out, "blurdybloop", false, items));
  CHECK(out == "* STATUS \"blurdybloop\" (MESSAGES 231 UIDNEXT 44292)\r\n");

  out.clear();
  write_search(out, std::vector<std::uint32_t>{2, 84, 882});
  write_search(out, std::vector<std::uint32_t>{}, 5);
  write_search(out, std::vector<std::uint32_t>{2, 5}, 917162500);
  write_search(out, std::vector<std::uint32_t>{5, 3}, std::nullopt, "SORT");
  CHECK(out ==
        "* SEARCH 2 84 882\r\n"
        "* SEARCH\r\n"
        "* SEARCH 2 5 (MODSEQ 917162500)\r\n"
        "* SORT 5 3\r\n");

  out.clear();
  search_return req;
  req.min = req.count = req.all = true;
  esearch_result r;
  r.min = 2;
  r.count = 3;
  r.all = "2,10:11";
  write_esearch(out, "A282", false, req, r);
  write_esearch(out, "A283", true, req, esearch_result{});
  CHECK(out ==
        "* ESEARCH (TAG \"A282\") MIN 2 COUNT 3 ALL 2,10:11\r\n"
        "* ESEARCH (TAG \"A283\") UID COUNT 0\r\n");

  out.clear();
  const std::vector<std::pair<std::string, std::optional<std::string>>> id = {{"name", "mssgw"},
                                                                               {"support-url", std::nullopt}};
  write_id(out, id);
  write_id(out, {});
  CHECK(out == "* ID (\"name\" \"mssgw\" \"support-url\" NIL)\r\n* ID NIL\r\n");

  out.clear();
  const std::vector<namespace_entry> personal = {{"", '/'}};
  const std::vector<namespace_entry> shared = {{"Partag\xc3\xa9/", '/'}};
  CHECK(write_namespace(out, personal, {}, shared, false));
  CHECK(out == "* NAMESPACE ((\"\" \"/\")) NIL ((\"Partag&AOk-/\" \"/\"))\r\n");
  const std::vector<namespace_entry> bad = {{"\xff", '/'}};
  CHECK_FALSE(write_namespace(out, bad, {}, {}, false));
  CHECK(out == "* NAMESPACE ((\"\" \"/\")) NIL ((\"Partag&AOk-/\" \"/\"))\r\n");
}

TEST_CASE("ENVELOPE and BODYSTRUCTURE (RFC 3501 §7.4.2 examples)", "[imap][response]") {
  envelope e;
  e.date = "Wed, 17 Jul 1996 02:23:25 -0700 (PDT)";
  e.subject = "IMAP4rev1 WG mtg summary and minutes";
  e.from = {{"Terry Gray", std::nullopt, "gray", "cac.washington.edu"}};
  apply_default_senders(e);
  e.to = {{std::nullopt, std::nullopt, "imap", "cac.washington.edu"}};
  e.cc = {{std::nullopt, std::nullopt, "minutes", "CNRI.Reston.VA.US"},
          {"John Klensin", std::nullopt, "KLENSIN", "MIT.EDU"}};
  e.message_id = "<B27397-0100000@cac.washington.edu>";
  std::string out;
  write_envelope(out, e);
  CHECK(out ==
        "(\"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\" \"IMAP4rev1 WG mtg summary and minutes\" "
        "((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
        "((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
        "((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
        "((NIL NIL \"imap\" \"cac.washington.edu\")) "
        "((NIL NIL \"minutes\" \"CNRI.Reston.VA.US\")(\"John Klensin\" NIL \"KLENSIN\" \"MIT.EDU\")) "
        "NIL NIL \"<B27397-0100000@cac.washington.edu>\")");
  // The written envelope is one valid IMAP value.
  const values_result v = parse_values(out, default_max_depth, true);
  REQUIRE(v.error == errc::ok);
  CHECK(v.values[0].items.size() == 10);

  body_structure text;
  text.type = "TEXT";
  text.subtype = "PLAIN";
  text.params = {{"CHARSET", "US-ASCII"}};
  text.size = 3028;
  text.lines = 92;
  out.clear();
  write_body_structure(out, text, false);
  CHECK(out == "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 3028 92)");
  out.clear();
  write_body_structure(out, text, true);
  CHECK(out == "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 3028 92 NIL NIL NIL NIL)");

  body_structure mixed;
  mixed.type = "multipart";
  mixed.subtype = "mixed";
  mixed.params = {{"boundary", "xyz"}};
  body_structure pdf;
  pdf.type = "application";
  pdf.subtype = "pdf";
  pdf.params = {{"name", "cr\xc3\xa9.pdf"}};
  pdf.encoding = "base64";
  pdf.size = 4554;
  pdf.md5 = "Q2hlY2sgSW50ZWdyaXR5IQ==";
  pdf.disposition = body_disposition{"attachment", {{"filename", "compte \"rendu\".pdf"}}};
  pdf.language = {"fr", "en"};
  pdf.location = "http://example.org/cr.pdf";
  body_structure inner;
  inner.params = {{"charset", "utf-8"}};
  inner.size = 10;
  inner.lines = 1;
  body_structure msg;
  msg.type = "message";
  msg.subtype = "rfc822";
  msg.size = 200;
  msg.lines = 8;
  msg.message_envelope = envelope{};
  msg.parts = {inner};
  mixed.parts = {text, pdf, msg};
  mixed.language = {"fr"};
  out.clear();
  write_body_structure(out, mixed, true);
  CHECK(out ==
        "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 3028 92 NIL NIL NIL NIL)"
        "(\"application\" \"pdf\" (\"name\" {8}\r\ncr\xc3\xa9.pdf) NIL NIL \"base64\" 4554 \"Q2hlY2sgSW50ZWdyaXR5IQ==\" "
        "(\"attachment\" (\"filename\" {18}\r\ncompte \"rendu\".pdf)) (\"fr\" \"en\") \"http://example.org/cr.pdf\")"
        "(\"message\" \"rfc822\" NIL NIL NIL \"7BIT\" 200 (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) "
        "(\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"7BIT\" 10 1 NIL NIL NIL NIL) 8 NIL NIL NIL NIL) "
        "\"mixed\" (\"boundary\" \"xyz\") NIL \"fr\" NIL)");
  REQUIRE(parse_values(out, default_max_depth, true).error == errc::ok);
  out.clear();
  write_body_structure(out, mixed, false);
  CHECK(out.find("\"mixed\")") != std::string::npos);
  REQUIRE(parse_values(out, default_max_depth, true).error == errc::ok);

  // A multipart without parts still gives a parseable BODYSTRUCTURE (1*body).
  body_structure empty;
  empty.type = "multipart";
  empty.subtype = "alternative";
  out.clear();
  write_body_structure(out, empty, false);
  CHECK(out == "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7BIT\" 0 0) \"alternative\")");
  // message/rfc822 without its envelope is written as a basic part.
  body_structure bare;
  bare.type = "message";
  bare.subtype = "rfc822";
  out.clear();
  write_body_structure(out, bare, false);
  CHECK(out == "(\"message\" \"rfc822\" NIL NIL NIL \"7BIT\" 0)");
  // Groups (RFC 2822 §3.4) are written as the markers the server gives.
  out.clear();
  write_address_list(out, {{std::nullopt, std::nullopt, "undisclosed", std::nullopt}, {}});
  CHECK(out == "((NIL NIL \"undisclosed\" NIL)(NIL NIL NIL NIL))");
}

TEST_CASE("FETCH responses", "[imap][response]") {
  std::string out;
  {
    fetch_writer w(out, 12);
    w.uid(4827313);
    w.flags(std::vector<std::string>{"\\Seen"});
    w.internaldate(date_time{{1996, 7, 17}, 2, 44, 25, -420});
    w.rfc822_size(4286);
    w.modseq(624140003);
    w.finish();
  }
  CHECK(out == "* 12 FETCH (UID 4827313 FLAGS (\\Seen) INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" "
               "RFC822.SIZE 4286 MODSEQ (624140003))\r\n");

  auto att = [](std::string_view s) {
    fetch_att a;
    REQUIRE(parse_fetch_att(s, a) == errc::ok);
    return a;
  };
  auto name = [&](std::string_view s) {
    std::string n;
    write_fetch_att_name(n, att(s));
    return n;
  };
  CHECK(name("body.peek[header.fields (date From)]") == "BODY[HEADER.FIELDS (date From)]");
  CHECK(name("BODY[1.2.HEADER.FIELDS.NOT (\"X-Mss\" {4}\r\nDate)]<10.20>") ==
        "BODY[1.2.HEADER.FIELDS.NOT (X-Mss Date)]<10>");
  CHECK(name("BODY[]") == "BODY[]");
  CHECK(name("BODY[3]") == "BODY[3]");
  CHECK(name("BODY[3.MIME]") == "BODY[3.MIME]");
  CHECK(name("BODY[TEXT]") == "BODY[TEXT]");
  CHECK(name("BINARY.PEEK[1.2]<0.5>") == "BINARY[1.2]<0>");
  CHECK(name("BINARY.SIZE[2]") == "BINARY.SIZE[2]");
  CHECK(name("RFC822.HEADER") == "RFC822.HEADER");
  CHECK(name("bodystructure") == "BODYSTRUCTURE");

  out.clear();
  {
    fetch_writer w(out, 1);
    w.section(att("BODY[HEADER]"), "Subject: x\r\n\r\n"sv);
    w.section(att("BODY[5]"), std::nullopt);
    w.section(att("BINARY[1]"), "a\0b"sv);
    w.section(att("BINARY[2]"), "plain"sv);
    w.section(att("BODY[TEXT]"), "a\0b"sv);
    w.binary_size(att("BINARY.SIZE[1]"), 3);
    w.raw("X-EXTRA 1");
    w.finish();
  }
  CHECK(out == "* 1 FETCH (BODY[HEADER] {14}\r\nSubject: x\r\n\r\n BODY[5] NIL BINARY[1] ~{3}\r\na\0b "
               "BINARY[2] \"plain\" BODY[TEXT] {3}\r\na\x80" "b BINARY.SIZE[1] 3 X-EXTRA 1)\r\n"s);

  out.clear();
  {
    fetch_writer w(out, 2, true);
    envelope e;
    e.subject = "\xc3\xa9t\xc3\xa9";
    w.envelope(e);
    body_structure b;
    w.body_structure(b, true);
    w.body_structure(b, false);
    w.finish();
  }
  CHECK(out == "* 2 FETCH (ENVELOPE (NIL \"\xc3\xa9t\xc3\xa9\" NIL NIL NIL NIL NIL NIL NIL NIL) BODYSTRUCTURE (\"text\" "
               "\"plain\" NIL NIL NIL \"7BIT\" 0 0 NIL NIL NIL NIL) BODY (\"text\" \"plain\" NIL NIL NIL \"7BIT\" 0 0))\r\n");
}
