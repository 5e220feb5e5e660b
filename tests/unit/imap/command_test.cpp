#include <catch2/catch.hpp>

#include "imap/proto/command.hpp"
#include "rows.hpp"
#include "split.hpp"

using namespace mssgw::imap::proto;
using namespace mssgw::imap::proto::testing;
using namespace std::literals;

namespace {

// The framed text of a one-command wire form (what command_reader hands to parse_command).
std::string framed(std::string_view wire) {
  limits lim;
  lim.max_depth = 1000;
  command_reader rd(lim);
  std::string buf(wire);
  while (true) {
    const auto r = rd.next(buf);
    if (r.st == command_reader::status::command) return std::string(r.text);
    REQUIRE((r.st == command_reader::status::need_continuation || r.st == command_reader::status::need_more));
    if (r.st == command_reader::status::need_more) FAIL("incomplete command: " << printable(wire));
  }
}

template <typename T>
T parse_as(std::string_view wire, const parse_options& o = {}) {
  const parsed_command p = parse_command(framed(wire), o);
  INFO("wire: " << printable(wire) << " error: " << describe(p.error));
  REQUIRE(p.error == errc::ok);
  REQUIRE(std::holds_alternative<T>(p.body));
  return std::get<T>(p.body);
}

errc parse_error(std::string_view wire, const parse_options& o = {}) {
  return parse_command(framed(wire), o).error;
}

sequence_set set_of(std::string_view s) {
  sequence_set out;
  REQUIRE(parse_sequence_set(s, out) == errc::ok);
  return out;
}

}  // namespace

TEST_CASE("command rows: RFC examples and hostile input", "[imap][command]") {
  for (const auto& row : rows::command_rows()) {
    INFO("wire: " << printable(row.wire));
    const parsed_command p = parse_command(framed(row.wire));
    CHECK(describe(p.error) == describe(row.error));
    CHECK(p.name == row.name);
    if (row.error != errc::missing_tag && row.error != errc::invalid_tag) {
      CHECK(!p.tag.empty());
    } else {
      CHECK(p.tag.empty());
    }
  }
}

TEST_CASE("tags and names", "[imap][command]") {
  auto p = parse_command("a001 login mrc secret");
  CHECK(p.tag == "a001");
  CHECK(p.name == "LOGIN");
  p = parse_command("A]1 NOOP");  // resp-specials are ASTRING-CHARs: a valid tag
  CHECK(p.error == errc::ok);
  CHECK(p.tag == "A]1");
  p = parse_command("A1 uid fetch 1 flags");
  CHECK(p.name == "UID FETCH");
  CHECK(std::get<cmd::fetch>(p.body).uid);
}

TEST_CASE("commands without arguments", "[imap][command]") {
  parse_as<cmd::capability>("a CAPABILITY\r\n");
  parse_as<cmd::noop>("a noop\r\n");
  parse_as<cmd::logout>("a LOGOUT\r\n");
  parse_as<cmd::starttls>("a STARTTLS\r\n");
  parse_as<cmd::namespace_query>("a NAMESPACE\r\n");
  parse_as<cmd::check>("a CHECK\r\n");
  parse_as<cmd::close>("a CLOSE\r\n");
  parse_as<cmd::unselect>("a UNSELECT\r\n");
  parse_as<cmd::idle>("a IDLE\r\n");
  CHECK_FALSE(parse_as<cmd::expunge>("a EXPUNGE\r\n").uids);
  for (const char* w : {"a CAPABILITY x\r\n", "a IDLE x\r\n", "a CLOSE (x)\r\n", "a EXPUNGE 1\r\n"}) {
    CHECK(parse_error(w) == errc::trailing_data);
  }
}

TEST_CASE("AUTHENTICATE with and without SASL-IR", "[imap][command]") {
  auto a = parse_as<cmd::authenticate>("A001 AUTHENTICATE gssapi\r\n");
  CHECK(a.mechanism == "GSSAPI");
  CHECK_FALSE(a.initial_response);
  a = parse_as<cmd::authenticate>("a01 AUTHENTICATE PLAIN dGVzdAB0ZXN0AHRlc3Q=\r\n");
  CHECK(a.initial_response == "dGVzdAB0ZXN0AHRlc3Q=");
  a = parse_as<cmd::authenticate>("a01 AUTHENTICATE EXTERNAL =\r\n");
  REQUIRE(a.initial_response);
  CHECK(a.initial_response->empty());
  a = parse_as<cmd::authenticate>("a01 AUTHENTICATE XOAUTH2 dXNlcj1h\r\n");
  CHECK(a.mechanism == "XOAUTH2");
  CHECK(parse_error("a AUTHENTICATE\r\n") == errc::missing_argument);
  CHECK(parse_error("a AUTHENTICATE PLAIN ab=c\r\n") == errc::invalid_argument);
  CHECK(parse_error("a AUTHENTICATE PLAIN a===\r\n") == errc::invalid_argument);
  CHECK(parse_error("a AUTHENTICATE PLAIN \"abcd\"\r\n") == errc::syntax_error);
  CHECK(parse_error("a AUTHENTICATE PLAIN abcd efgh\r\n") == errc::trailing_data);
}

TEST_CASE("LOGIN takes atoms, quoted strings and literals", "[imap][command]") {
  auto l = parse_as<cmd::login>("a001 LOGIN SMITH SESAME\r\n");
  CHECK(l.user == "SMITH");
  CHECK(l.password == "SESAME");
  l = parse_as<cmd::login>("a LOGIN \"fred foo\" \"p\\\"a\\\\ss\"\r\n");
  CHECK(l.user == "fred foo");
  CHECK(l.password == "p\"a\\ss");
  l = parse_as<cmd::login>("a LOGIN {4}\r\nj\"oe {5+}\r\n(se)c\r\n");
  CHECK(l.user == "j\"oe");
  CHECK(l.password == "(se)c");
  l = parse_as<cmd::login>("a LOGIN NIL 12345\r\n");  // NIL and numbers are astrings too
  CHECK(l.user == "NIL");
  CHECK(l.password == "12345");
  l = parse_as<cmd::login>("a LOGIN user \"mot de passe \xc3\xa9t\xc3\xa9\"\r\n");
  CHECK(l.password == "mot de passe \xc3\xa9t\xc3\xa9");
  CHECK(parse_error("a LOGIN a% b\r\n") == errc::syntax_error);  // "%" is not an ASTRING-CHAR
}

TEST_CASE("ENABLE", "[imap][command]") {
  const auto e = parse_as<cmd::enable>("t2 ENABLE condstore X-GOOD-IDEA UTF8=ACCEPT\r\n");
  CHECK(e.capabilities == std::vector<std::string>{"CONDSTORE", "X-GOOD-IDEA", "UTF8=ACCEPT"});
  CHECK(parse_error("t ENABLE \"x\"\r\n") == errc::syntax_error);
}

TEST_CASE("SELECT and EXAMINE with CONDSTORE and QRESYNC", "[imap][command]") {
  auto s = parse_as<cmd::select>("a002 select inbox\r\n");
  CHECK(s.mailbox == "INBOX");
  CHECK_FALSE(s.read_only);
  CHECK_FALSE(s.condstore);
  s = parse_as<cmd::select>("A932 EXAMINE blurdybloop\r\n");
  CHECK(s.read_only);
  CHECK(s.mailbox == "blurdybloop");
  s = parse_as<cmd::select>("A03 SELECT INBOX (CONDSTORE)\r\n");
  CHECK(s.condstore);
  s = parse_as<cmd::select>("A02 SELECT INBOX (QRESYNC (67890007 20050715194045000 41,43:211,214:541))\r\n");
  REQUIRE(s.qresync);
  CHECK(s.qresync->uidvalidity == 67890007);
  CHECK(s.qresync->modseq == 20050715194045000ULL);
  CHECK(s.qresync->known_uids == set_of("41,43:211,214:541"));
  CHECK_FALSE(s.qresync->known_seqs);
  s = parse_as<cmd::select>(
      "B02 SELECT INBOX (QRESYNC (67890007 90060115194045000 1:29997 (5000,7500 15000,22500)))\r\n");
  REQUIRE(s.qresync);
  CHECK(s.qresync->known_seqs == set_of("5000,7500"));
  CHECK(s.qresync->known_seq_uids == set_of("15000,22500"));
  s = parse_as<cmd::select>("B03 SELECT INBOX (QRESYNC (1 2 (1 5)))\r\n");
  REQUIRE(s.qresync);
  CHECK_FALSE(s.qresync->known_uids);
  CHECK(s.qresync->known_seqs == set_of("1"));
  CHECK(parse_error("a SELECT INBOX (QRESYNC (1 2 1:*))\r\n") == errc::invalid_sequence_set);
  CHECK(parse_error("a SELECT INBOX (QRESYNC (1 0))\r\n") == errc::number_out_of_range);
  CHECK(parse_error("a SELECT INBOX (QRESYNC (1 2) QRESYNC (1 2))\r\n") == errc::invalid_argument);
  CHECK(parse_error("a SELECT INBOX ()\r\n") == errc::syntax_error);
  CHECK(parse_error("a SELECT\r\n") == errc::missing_argument);
  CHECK(parse_error("a SELECT INBOX (CONDSTORE) x\r\n") == errc::trailing_data);
}

TEST_CASE("mailbox names: modified UTF-7, UTF-8 mode, INBOX", "[imap][command]") {
  CHECK(parse_as<cmd::select>("a SELECT &AOk-t&AOk-\r\n").mailbox == "\xc3\xa9t\xc3\xa9");
  CHECK(parse_as<cmd::select>("a SELECT \"Bo&AO4-te d&AOk-part\"\r\n").mailbox == "Bo\xc3\xaete d\xc3\xa9part");
  CHECK(parse_as<cmd::select>("a SELECT \"a&-b\"\r\n").mailbox == "a&b");
  CHECK(parse_as<cmd::select>("a SELECT InBoX\r\n").mailbox == "INBOX");
  CHECK(parse_as<cmd::select>("a SELECT \"inbox\"\r\n").mailbox == "INBOX");
  CHECK(parse_as<cmd::select>("a SELECT inbox.sub\r\n").mailbox == "inbox.sub");
  parse_options utf8;
  utf8.utf8 = true;
  CHECK(parse_as<cmd::select>("a SELECT \"\xc3\xa9t\xc3\xa9\"\r\n", utf8).mailbox == "\xc3\xa9t\xc3\xa9");
  CHECK(parse_as<cmd::select>("a SELECT \"a&b\"\r\n", utf8).mailbox == "a&b");  // "&" is literal in UTF-8 mode
  CHECK(parse_error("a SELECT \"\xc3\xa9t\xc3\xa9\"\r\n") == errc::invalid_mailbox_name);  // 8-bit in rev1
  CHECK(parse_error("a SELECT \"a\x01z\"\r\n", utf8) == errc::invalid_mailbox_name);
  CHECK(parse_error("a SELECT &\r\n") == errc::invalid_mailbox_name);
  CHECK(parse_error("a SELECT &AOk-&AOk-\r\n") == errc::invalid_mailbox_name);  // two adjacent shifts
}

TEST_CASE("CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE", "[imap][command]") {
  auto c = parse_as<cmd::create>("A003 CREATE owatagusiam/\r\n");
  CHECK(c.mailbox == "owatagusiam/");
  CHECK(c.special_use.empty());
  c = parse_as<cmd::create>("t3 CREATE MySpecial (USE (\\drafts \\Sent))\r\n");
  CHECK(c.special_use == std::vector<std::string>{"\\Drafts", "\\Sent"});
  CHECK(parse_error("t CREATE x (FOO)\r\n") == errc::unknown_option);
  CHECK(parse_error("t CREATE x (USE ())\r\n") == errc::syntax_error);
  CHECK(parse_as<cmd::delete_mailbox>("A683 DELETE blurdybloop\r\n").mailbox == "blurdybloop");
  const auto r = parse_as<cmd::rename>("A683 RENAME blurdybloop sarasoop\r\n");
  CHECK(r.from == "blurdybloop");
  CHECK(r.to == "sarasoop");
  CHECK(parse_error("a RENAME x\r\n") == errc::missing_argument);
  CHECK(parse_as<cmd::subscribe>("A002 SUBSCRIBE #news.comp.mail.mime\r\n").mailbox == "#news.comp.mail.mime");
  CHECK(parse_as<cmd::unsubscribe>("A002 UNSUBSCRIBE \"a b\"\r\n").mailbox == "a b");
}

TEST_CASE("LIST: basic, LIST-EXTENDED, LIST-STATUS, SPECIAL-USE", "[imap][command]") {
  auto l = parse_as<cmd::list>("A682 LIST \"\" *\r\n");
  CHECK(l.reference.empty());
  CHECK(l.patterns == std::vector<std::string>{"*"});
  CHECK_FALSE(l.extended);
  l = parse_as<cmd::list>("A202 LIST ~/Mail/ %\r\n");
  CHECK(l.reference == "~/Mail/");
  CHECK(l.patterns == std::vector<std::string>{"%"});
  l = parse_as<cmd::list>("A02 LIST (SUBSCRIBED REMOTE) \"\" \"*\"\r\n");
  CHECK(l.extended);
  CHECK(l.select_subscribed);
  CHECK(l.select_remote);
  l = parse_as<cmd::list>("A03 LIST () \"\" \"%\" RETURN (CHILDREN SUBSCRIBED)\r\n");
  CHECK(l.return_children);
  CHECK(l.return_subscribed);
  CHECK_FALSE(l.select_subscribed);
  l = parse_as<cmd::list>("A06 LIST \"\" (\"INBOX\" \"Drafts\" \"Sent/%\")\r\n");
  CHECK(l.patterns == std::vector<std::string>{"INBOX", "Drafts", "Sent/%"});
  CHECK(l.extended);
  l = parse_as<cmd::list>("C04 LIST (SUBSCRIBED RECURSIVEMATCH) \"\" \"%\"\r\n");
  CHECK(l.select_recursive_match);
  l = parse_as<cmd::list>("A01 LIST \"\" % RETURN (STATUS (MESSAGES UNSEEN))\r\n");
  REQUIRE(l.return_status);
  CHECK(*l.return_status == std::vector<status_item>{status_item::messages, status_item::unseen});
  l = parse_as<cmd::list>("t1 LIST (SPECIAL-USE RECURSIVEMATCH) \"\" \"*\" RETURN (SPECIAL-USE)\r\n");
  CHECK(l.select_special_use);
  CHECK(l.return_special_use);
  l = parse_as<cmd::list>("t1 LIST \"\" &AOk-*\r\n");
  CHECK(l.patterns == std::vector<std::string>{"\xc3\xa9*"});
  CHECK(parse_error("a LIST (REMOTE RECURSIVEMATCH) \"\" *\r\n") == errc::invalid_argument);
  CHECK(parse_error("a LIST \"\" ()\r\n") == errc::syntax_error);
  CHECK(parse_error("a LIST \"\" * RETURN (FOO)\r\n") == errc::unknown_option);
  CHECK(parse_error("a LIST \"\" * RETURN (STATUS ())\r\n") == errc::syntax_error);
  CHECK(parse_error("a LIST \"\"\r\n") == errc::missing_argument);
  const auto s = parse_as<cmd::lsub>("A002 LSUB \"#news.\" \"comp.mail.*\"\r\n");
  CHECK(s.reference == "#news.");
  CHECK(s.pattern == "comp.mail.*");
}

TEST_CASE("STATUS", "[imap][command]") {
  const auto s = parse_as<cmd::status>("A042 STATUS blurdybloop (UIDNEXT MESSAGES highestmodseq size)\r\n");
  CHECK(s.mailbox == "blurdybloop");
  CHECK(s.items == std::vector<status_item>{status_item::uidnext, status_item::messages, status_item::highestmodseq,
                                            status_item::size});
  CHECK(parse_error("a STATUS x MESSAGES\r\n") == errc::syntax_error);
}

TEST_CASE("APPEND: flags, date-time, literal, literal8, MULTIAPPEND", "[imap][command]") {
  const std::string msg = rows::message(310);
  auto a = parse_as<cmd::append>("A003 APPEND saved-messages (\\Seen) {310}\r\n" + msg + "\r\n");
  CHECK(a.mailbox == "saved-messages");
  REQUIRE(a.messages.size() == 1);
  CHECK(a.messages[0].flags == std::vector<std::string>{"\\Seen"});
  CHECK_FALSE(a.messages[0].internal_date);
  CHECK(a.messages[0].data == msg);
  CHECK_FALSE(a.messages[0].binary);
  a = parse_as<cmd::append>("a APPEND INBOX \"17-Jul-1996 02:44:25 -0700\" {3}\r\nabc\r\n");
  REQUIRE(a.messages[0].internal_date);
  const date_time want{{1996, 7, 17}, 2, 44, 25, -420};
  CHECK(*a.messages[0].internal_date == want);
  a = parse_as<cmd::append>("a APPEND Sent (\\Seen $Forwarded) \" 1-Aug-2002 22:00:00 +0100\" ~{4}\r\na\0\r\n\r\n"s);
  CHECK(a.messages[0].binary);
  CHECK(a.messages[0].data == "a\0\r\n"s);
  CHECK(a.messages[0].flags == std::vector<std::string>{"\\Seen", "$Forwarded"});
  CHECK(a.messages[0].internal_date->day.day == 1);
  a = parse_as<cmd::append>("a APPEND INBOX {1+}\r\nx () {1}\r\ny \"01-Jan-2000 00:00:00 +0000\" {1}\r\nz\r\n");
  REQUIRE(a.messages.size() == 3);
  CHECK(a.messages[1].flags.empty());
  CHECK(a.messages[2].data == "z");
  CHECK(a.messages[2].internal_date->day.year == 2000);
  a = parse_as<cmd::append>("a APPEND INBOX {0}\r\n\r\n");
  CHECK(a.messages[0].data.empty());
  CHECK(parse_error("a APPEND INBOX (\\Seen) \"01-Jan-2000 00:00:00 +0000\"\r\n") == errc::missing_argument);
  CHECK(parse_error("a APPEND INBOX (\\*) {1}\r\nx\r\n") == errc::invalid_flag);
  CHECK(parse_error("a APPEND INBOX {3}\r\na\0b\r\n"s) == errc::nul_in_literal);
}

TEST_CASE("UID EXPUNGE, COPY, MOVE", "[imap][command]") {
  const auto e = parse_as<cmd::expunge>("A003 UID EXPUNGE 3000:3002\r\n");
  REQUIRE(e.uids);
  CHECK(*e.uids == set_of("3000:3002"));
  CHECK(parse_error("a UID EXPUNGE\r\n") == errc::missing_argument);
  const auto c = parse_as<cmd::copy>("A003 COPY 2:4 MEETING\r\n");
  CHECK_FALSE(c.uid);
  CHECK(c.set == set_of("2:4"));
  CHECK(c.mailbox == "MEETING");
  const auto m = parse_as<cmd::move>("a UID MOVE 42:69 foo\r\n");
  CHECK(m.uid);
  CHECK(m.set == set_of("42:69"));
  CHECK(parse_error("a COPY x INBOX\r\n") == errc::invalid_sequence_set);
  CHECK(parse_error("a COPY \"1\" INBOX\r\n") == errc::invalid_sequence_set);
}

TEST_CASE("FETCH: macros, attributes, sections, partials, modifiers", "[imap][command]") {
  using k = fetch_att::kind;
  auto f = parse_as<cmd::fetch>("a003 fetch 12 full\r\n");
  CHECK(f.set == set_of("12"));
  REQUIRE(f.atts.size() == 5);
  CHECK(f.atts[0].k == k::flags);
  CHECK(f.atts[3].k == k::envelope);
  CHECK(f.atts[4].k == k::body);
  CHECK(parse_as<cmd::fetch>("a fetch 1 fast\r\n").atts.size() == 3);
  CHECK(parse_as<cmd::fetch>("a fetch 1 ALL\r\n").atts.size() == 4);

  f = parse_as<cmd::fetch>("a004 fetch 12 body[header]\r\n");
  REQUIRE(f.atts.size() == 1);
  CHECK(f.atts[0].k == k::body_section);
  CHECK_FALSE(f.atts[0].peek);
  CHECK(f.atts[0].sec.k == section::kind::header);

  f = parse_as<cmd::fetch>("A654 FETCH 2:4 (FLAGS BODY[HEADER.FIELDS (DATE FROM)])\r\n");
  REQUIRE(f.atts.size() == 2);
  CHECK(f.atts[1].sec.k == section::kind::header_fields);
  CHECK(f.atts[1].sec.fields == std::vector<std::string>{"DATE", "FROM"});

  f = parse_as<cmd::fetch>(
      "c1 FETCH 1 BODY.PEEK[1.2.HEADER.FIELDS.NOT (Received \"X-Sp]am\" {4}\r\nDate)]<100.200>\r\n");
  REQUIRE(f.atts.size() == 1);
  CHECK(f.atts[0].peek);
  CHECK(f.atts[0].sec.part == std::vector<std::uint32_t>{1, 2});
  CHECK(f.atts[0].sec.k == section::kind::header_fields_not);
  CHECK(f.atts[0].sec.fields == std::vector<std::string>{"Received", "X-Sp]am", "Date"});
  REQUIRE(f.atts[0].part);
  CHECK(f.atts[0].part->offset == 100);
  CHECK(f.atts[0].part->length == 200);

  f = parse_as<cmd::fetch>("a FETCH 1 (BODY[] BODY[3] BODY[3.1.TEXT] BODY[4.MIME] BODY[TEXT]<0.1>)\r\n");
  REQUIRE(f.atts.size() == 5);
  CHECK(f.atts[0].sec == section{});
  CHECK(f.atts[1].sec.part == std::vector<std::uint32_t>{3});
  CHECK(f.atts[1].sec.k == section::kind::all);
  CHECK(f.atts[2].sec.k == section::kind::text);
  CHECK(f.atts[3].sec.k == section::kind::mime);
  CHECK(f.atts[4].part->length == 1);

  f = parse_as<cmd::fetch>("b1 FETCH 1 (BINARY[1.2]<0.1024> BINARY.SIZE[1] BINARY.PEEK[])\r\n");
  REQUIRE(f.atts.size() == 3);
  CHECK(f.atts[0].k == k::binary);
  CHECK(f.atts[0].sec.part == std::vector<std::uint32_t>{1, 2});
  CHECK(f.atts[1].k == k::binary_size);
  CHECK(f.atts[2].k == k::binary);
  CHECK(f.atts[2].peek);

  f = parse_as<cmd::fetch>("c2 FETCH 1:3,5 (ENVELOPE BODYSTRUCTURE BODY UID MODSEQ INTERNALDATE RFC822 "
                           "RFC822.HEADER RFC822.SIZE RFC822.TEXT)\r\n");
  const std::vector<k> kinds = {k::envelope, k::bodystructure, k::body,          k::uid,         k::modseq,
                                k::internaldate, k::rfc822,   k::rfc822_header, k::rfc822_size, k::rfc822_text};
  REQUIRE(f.atts.size() == kinds.size());
  for (std::size_t i = 0; i < kinds.size(); ++i) CHECK(f.atts[i].k == kinds[i]);

  f = parse_as<cmd::fetch>("s100 UID FETCH 300:500 (FLAGS) (CHANGEDSINCE 12345 VANISHED)\r\n");
  CHECK(f.uid);
  CHECK(f.changed_since == 12345u);
  CHECK(f.vanished);
  f = parse_as<cmd::fetch>("a FETCH 1:* (FLAGS) (CHANGEDSINCE 12345)\r\n");
  CHECK_FALSE(f.vanished);
  CHECK(f.set.ranges[0] == seq_range{1, seq_star});
  f = parse_as<cmd::fetch>("A283 FETCH $ (UID FLAGS)\r\n");
  CHECK(f.set.saved);
  CHECK(parse_error("a FETCH 1 (FLAGS) (CHANGEDSINCE 9223372036854775808)\r\n") == errc::number_out_of_range);
  CHECK(parse_error("a FETCH 1 (FLAGS) ()\r\n") == errc::syntax_error);
  CHECK(parse_error("a FETCH 1 \"FLAGS\"\r\n") == errc::invalid_fetch_attribute);
  CHECK(parse_error("a FETCH 1 BODY[HEADER.FIELDS (\"a:b\")]\r\n") == errc::invalid_section);
  CHECK(parse_error("a FETCH 1 BODY[HEADER]]\r\n") == errc::invalid_section);
  CHECK(parse_error("a FETCH 1 BODY[HEADER]<1.2>x\r\n") == errc::invalid_section);
}

TEST_CASE("STORE: modes, .SILENT, flag forms, UNCHANGEDSINCE", "[imap][command]") {
  auto s = parse_as<cmd::store>("a005 store 12 +flags \\deleted\r\n");
  CHECK(s.how == cmd::store::mode::add);
  CHECK(s.flags == std::vector<std::string>{"\\Deleted"});
  CHECK_FALSE(s.silent);
  s = parse_as<cmd::store>("a STORE 1 -FLAGS.SILENT (\\Seen \\Answered $Junk)\r\n");
  CHECK(s.how == cmd::store::mode::remove);
  CHECK(s.silent);
  CHECK(s.flags == std::vector<std::string>{"\\Seen", "\\Answered", "$Junk"});
  s = parse_as<cmd::store>("a STORE 1 FLAGS ()\r\n");
  CHECK(s.how == cmd::store::mode::replace);
  CHECK(s.flags.empty());
  s = parse_as<cmd::store>("a STORE 1 FLAGS \\Seen \\Flagged\r\n");
  CHECK(s.flags.size() == 2);
  s = parse_as<cmd::store>("a103 UID STORE 6,4,8 (UNCHANGEDSINCE 12121230045) +FLAGS.SILENT (\\Deleted)\r\n");
  CHECK(s.uid);
  CHECK(s.unchanged_since == 12121230045ULL);
  CHECK(s.set == set_of("6,4,8"));
  CHECK(parse_as<cmd::store>("a STORE 1 (UNCHANGEDSINCE 0) FLAGS ()\r\n").unchanged_since == 0u);
  CHECK(parse_error("a STORE 1 (FOO 1) FLAGS ()\r\n") == errc::unknown_option);
  CHECK(parse_error("a STORE 1 FLAGS (\\Seen) x\r\n") == errc::trailing_data);
  CHECK(parse_error("a STORE 1 FLAGS (\"x\")\r\n") == errc::invalid_flag);
}

TEST_CASE("SEARCH: every RFC 3501 key, nesting, CHARSET, MODSEQ, ESEARCH", "[imap][command]") {
  using sk = search_key::kind;
  auto s = parse_as<cmd::search>("A282 SEARCH FLAGGED SINCE 1-Feb-1994 NOT FROM \"Smith\"\r\n");
  REQUIRE(s.key.k == sk::and_);
  REQUIRE(s.key.children.size() == 3);
  CHECK(s.key.children[0].k == sk::flagged);
  CHECK(s.key.children[1].k == sk::since);
  CHECK(s.key.children[1].day == date{1994, 2, 1});
  CHECK(s.key.children[2].k == sk::not_);
  CHECK(s.key.children[2].children[0].k == sk::from);
  CHECK(s.key.children[2].children[0].str == "Smith");
  CHECK(s.charset.empty());
  CHECK_FALSE(s.ret);

  s = parse_as<cmd::search>("A284 SEARCH CHARSET UTF-8 TEXT {6}\r\n\xe6\x97\xa5\xe6\x9c\xac\r\n");
  CHECK(s.charset == "UTF-8");
  CHECK(s.key.children[0].str == "\xe6\x97\xa5\xe6\x9c\xac");

  // Every key once.
  s = parse_as<cmd::search>(
      "a UID SEARCH ALL ANSWERED BCC b BEFORE 1-Jan-2000 BODY x CC c DELETED DRAFT FLAGGED FROM f "
      "HEADER X-Mss \"v\" KEYWORD $Forwarded LARGER 100 NEW NOT SEEN OLD ON \"02-Feb-2001\" OR SEEN UNSEEN RECENT "
      "SEEN SENTBEFORE 1-Mar-2002 SENTON 2-Mar-2002 SENTSINCE 3-Mar-2002 SINCE 4-Mar-2002 SMALLER 5 SUBJECT s "
      "TEXT t TO o UID 1:* UNANSWERED UNDELETED UNDRAFT UNFLAGGED UNKEYWORD $Junk UNSEEN 1,3:5 $ "
      "MODSEQ 5 (SEEN (DRAFT))\r\n");
  CHECK(s.uid);
  const std::vector<sk> kinds = {
      sk::all,        sk::answered,   sk::bcc,      sk::before,     sk::body,      sk::cc,        sk::deleted,
      sk::draft,      sk::flagged,    sk::from,     sk::header,     sk::keyword,   sk::larger,    sk::new_,
      sk::not_,       sk::old,        sk::on,       sk::or_,        sk::recent,    sk::seen,      sk::sentbefore,
      sk::senton,     sk::sentsince,  sk::since,    sk::smaller,    sk::subject,   sk::text,      sk::to,
      sk::uid,        sk::unanswered, sk::undeleted, sk::undraft,   sk::unflagged, sk::unkeyword, sk::unseen,
      sk::sequence_set, sk::sequence_set, sk::modseq, sk::and_};
  REQUIRE(s.key.children.size() == kinds.size());
  for (std::size_t i = 0; i < kinds.size(); ++i) CHECK(s.key.children[i].k == kinds[i]);
  CHECK(s.key.children[10].field == "X-Mss");
  CHECK(s.key.children[10].str == "v");
  CHECK(s.key.children[11].str == "$Forwarded");
  CHECK(s.key.children[12].number == 100);
  CHECK(s.key.children[16].day == date{2001, 2, 2});
  CHECK(s.key.children[17].children.size() == 2);
  CHECK(s.key.children[28].set == set_of("1:*"));
  CHECK(s.key.children[35].set == set_of("1,3:5"));
  CHECK(s.key.children[36].set.saved);
  CHECK(s.key.children[37].number == 5);
  CHECK(s.key.children[38].children[1].k == sk::and_);

  s = parse_as<cmd::search>("a SEARCH MODSEQ \"/flags/\\\\draft\" all 620162338\r\n");
  CHECK(s.key.children[0].field == "/flags/\\Draft");
  CHECK(s.key.children[0].entry == search_key::entry_type::all);
  CHECK(s.key.children[0].number == 620162338);
  CHECK(parse_error("a SEARCH MODSEQ \"/flags/\\\\draft\" none 1\r\n") == errc::invalid_search_key);
  CHECK(parse_error("a SEARCH MODSEQ \"/x/y\" all 1\r\n") == errc::invalid_search_key);

  s = parse_as<cmd::search>("A282 SEARCH RETURN (MIN COUNT) FLAGGED\r\n");
  REQUIRE(s.ret);
  CHECK(s.ret->min);
  CHECK(s.ret->count);
  CHECK_FALSE(s.ret->all);
  s = parse_as<cmd::search>("A283 SEARCH RETURN () FLAGGED\r\n");
  CHECK(s.ret->all);
  s = parse_as<cmd::search>("A284 SEARCH RETURN (SAVE MAX ALL) CHARSET us-ascii SEEN\r\n");
  CHECK(s.ret->save);
  CHECK(s.ret->max);
  CHECK(s.charset == "us-ascii");

  // OR chains: left-nested "OR OR OR a b c d" is how clients build long alternatives.
  s = parse_as<cmd::search>("a SEARCH " + rows::repeat("OR ", 150) + rows::repeat("SEEN ", 150) + "ALL\r\n");
  CHECK(s.key.children[0].k == sk::or_);
  CHECK(parse_error("a SEARCH SEEN CHARSET UTF-8\r\n") == errc::invalid_search_key);
  CHECK(parse_error("a SEARCH HEADER X\r\n") == errc::missing_argument);
  CHECK(parse_error("a SEARCH UID x\r\n") == errc::invalid_sequence_set);
  CHECK(parse_error("a SEARCH SINCE \"1-Feb-1994 \"\r\n") == errc::invalid_date);
}

TEST_CASE("SORT and ESORT", "[imap][command]") {
  using key = sort_criterion::key;
  auto s = parse_as<cmd::sort>("A283 SORT (SUBJECT REVERSE DATE) UTF-8 ALL\r\n");
  REQUIRE(s.criteria.size() == 2);
  CHECK(s.criteria[0] == sort_criterion{key::subject, false});
  CHECK(s.criteria[1] == sort_criterion{key::date, true});
  CHECK(s.charset == "UTF-8");
  CHECK(s.key.children[0].k == search_key::kind::all);
  s = parse_as<cmd::sort>("A301 UID SORT RETURN (MIN MAX) (REVERSE ARRIVAL SIZE FROM CC TO DISPLAYFROM) "
                          "UTF-8 UNDELETED SINCE 1-Feb-1994\r\n");
  CHECK(s.uid);
  REQUIRE(s.ret);
  CHECK(s.ret->min);
  CHECK(s.criteria.size() == 6);
  CHECK(s.key.children.size() == 2);
  CHECK(parse_error("a SORT (DATE) UTF-8\r\n") == errc::missing_argument);
  CHECK(parse_error("a SORT (REVERSE REVERSE DATE) UTF-8 ALL\r\n") == errc::syntax_error);
  CHECK(parse_error("a SORT () UTF-8 ALL\r\n") == errc::syntax_error);
  CHECK(parse_error("a SORT DATE UTF-8 ALL\r\n") == errc::syntax_error);
}

TEST_CASE("ID, GETQUOTA, GETQUOTAROOT", "[imap][command]") {
  auto i = parse_as<cmd::id>("a023 ID (\"name\" \"sodr\" \"version\" NIL)\r\n");
  REQUIRE(i.params.size() == 2);
  CHECK(i.params[0].first == "name");
  CHECK(i.params[0].second == "sodr");
  CHECK_FALSE(i.params[1].second);
  CHECK(parse_as<cmd::id>("a042 ID NIL\r\n").params.empty());
  CHECK(parse_as<cmd::id>("a042 ID ()\r\n").params.empty());
  CHECK(parse_error("a ID (name \"x\")\r\n") == errc::syntax_error);
  CHECK(parse_error("a ID (\"" + std::string(31, 'f') + "\" \"x\")\r\n") == errc::invalid_argument);
  CHECK(parse_error("a ID (\"f\" \"" + std::string(1025, 'v') + "\")\r\n") == errc::invalid_argument);
  CHECK(parse_as<cmd::getquota>("a GETQUOTA \"\"\r\n").root.empty());
  CHECK(parse_as<cmd::getquotaroot>("a GETQUOTAROOT inbox\r\n").mailbox == "INBOX");
}

TEST_CASE("parse options bound the parser's recursion", "[imap][command]") {
  parse_options o;
  o.max_depth = 3;
  CHECK(parse_error("a SEARCH (((ALL)))\r\n", o) == errc::ok);
  CHECK(parse_error("a SEARCH ((((ALL))))\r\n", o) == errc::nesting_too_deep);
  o.max_search_depth = 10;
  CHECK(parse_error("a SEARCH " + rows::repeat("NOT ", 9) + "ALL\r\n", o) == errc::ok);
  CHECK(parse_error("a SEARCH " + rows::repeat("NOT ", 10) + "ALL\r\n", o) == errc::search_too_deep);
  // Deep input far beyond the limits is refused without exhausting the stack.
  CHECK(parse_command("a SEARCH " + rows::repeat("(", 100000)).error == errc::nesting_too_deep);
  CHECK(parse_command("a SEARCH " + rows::repeat("NOT ", 100000) + "ALL").error == errc::search_too_deep);
  CHECK(parse_command("a FETCH 1 BODY[HEADER.FIELDS " + rows::repeat("(", 100000) + "]").error ==
        errc::nesting_too_deep);
}
