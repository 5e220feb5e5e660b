// The generic value parser and the special forms: sequence sets, dates, mailbox name encodings, flags.
#include <catch2/catch.hpp>

#include "imap/proto/command.hpp"
#include "imap/proto/date_time.hpp"
#include "imap/proto/mailbox_name.hpp"
#include "imap/proto/response.hpp"
#include "imap/proto/sequence_set.hpp"
#include "imap/proto/value.hpp"
#include "split.hpp"

using namespace mssgw::imap::proto;
using namespace mssgw::imap::proto::testing;
using namespace std::literals;

namespace {

// A compact rendering of values: atom a, number #n, nil N, quoted "q", literal {l} / ~{l}, list (..).
std::string show(const value& v) {
  switch (v.k) {
    case value::kind::atom: return "a:" + v.text;
    case value::kind::number: return "#" + std::to_string(v.number);
    case value::kind::nil: return "N";
    case value::kind::quoted: return "\"" + v.text + "\"";
    case value::kind::literal: return (v.binary ? "~{" : "{") + v.text + "}";
    case value::kind::list: {
      std::string s = "(";
      for (std::size_t i = 0; i < v.items.size(); ++i) s += (i ? " " : "") + show(v.items[i]);
      return s + ")";
    }
  }
  return "?";
}

std::string show(std::string_view text) {
  const values_result r = parse_values(text);
  if (r.error != errc::ok) return "E:" + std::string(describe(r.error));
  std::string s;
  for (std::size_t i = 0; i < r.values.size(); ++i) s += (i ? " " : "") + show(r.values[i]);
  return s;
}

}  // namespace

TEST_CASE("value rows", "[imap][value]") {
  struct row {
    std::string text;
    std::string shown;
  };
  const row rows[] = {
      {"", ""},
      {"abc", "a:abc"},
      {"NIL nil Nil", "N N N"},
      {"0 007 18446744073709551615 18446744073709551616", "#0 #7 #18446744073709551615 a:18446744073709551616"},
      {"\"\"", "\"\""},
      {"\"a b\\\"c\\\\d\"", "\"a b\"c\\d\""},
      {"\"\xc3\xa9t\xc3\xa9\"", "\"\xc3\xa9t\xc3\xa9\""},
      {"{0}\r\n", "{}"},
      {"{3}\r\na\"b {2+}\r\n()", "{a\"b} {()}"},
      {"~{3}\r\na\0b"s, "~{a\0b}"s},
      {"()", "()"},
      {"(a (b \"c\") ((d)))", "(a:a (a:b \"c\") ((a:d)))"},
      {"\\Seen \\* $Junk", "a:\\Seen a:\\* a:$Junk"},
      {"1:* 2,4:7,9 $", "a:1:* a:2,4:7,9 a:$"},
      {"[Gmail]/Sent [a ~/x %", "a:[Gmail]/Sent a:[a a:~/x a:%"},
      {"BODY[HEADER.FIELDS (From To)]<0.1024>", "a:BODY[HEADER.FIELDS (From To)]<0.1024>"},
      {"body.peek[1.2.HEADER.FIELDS (\"a]\" {1}\r\n))]", "a:body.peek[1.2.HEADER.FIELDS (\"a]\" {1}\r\n))]"},
      {"(FLAGS BINARY.SIZE[1] BINARY[]<0.1>)", "(a:FLAGS a:BINARY.SIZE[1] a:BINARY[]<0.1>)"},
      {"X[a b]", "a:X[a a:b]"},  // spaces in brackets only after BODY / BINARY
      {"a  b", "E:command syntax error"},
      {" a", "E:command syntax error"},
      {"a ", "E:command syntax error"},
      {"(a )", "E:command syntax error"},
      {"( a)", "E:command syntax error"},
      {"(a", "E:command syntax error"},
      {"a)", "E:command syntax error"},
      {"a\"b\"", "E:command syntax error"},
      {"\"abc", "E:unterminated quoted string"},
      {"\"a\\nb\"", "E:invalid escape in quoted string"},
      {"\"a\0\""s, "E:invalid character in command"},
      {"\"\xff\"", "E:invalid UTF-8"},
      {"a\xc3\xa9", "E:invalid character in command"},
      {"a\x01", "E:invalid character in command"},
      {"\x7f", "E:invalid character in command"},
      {"{5}\r\nabc", "E:invalid literal"},
      {"{5}\nabcde", "E:invalid literal"},
      {"{x}\r\n", "E:invalid literal"},
      {"{99999999999999999999}\r\n", "E:invalid literal"},
      {"{2}\r\na\0"s, "E:NUL in a non-binary literal"},
      {"\\", "E:command syntax error"},
      {"BODY[", "E:command syntax error"},
      {"BODY[(]", "E:command syntax error"},
      {"BODY[)]", "E:command syntax error"},
  };
  for (const auto& r : rows) {
    INFO("text: " << printable(r.text));
    CHECK(printable(show(r.text)) == printable(r.shown));
  }
}

TEST_CASE("values round-trip through write_value", "[imap][value]") {
  for (const std::string& text :
       {"a (b \"c d\" {2}\r\n\r\n) NIL 42 ~{1}\r\n\0"s, "\"say \\\"hi\\\"\" \\Seen (((x)))"s, "\"\xc3\xa9\""s}) {
    const values_result a = parse_values(text);
    REQUIRE(a.error == errc::ok);
    for (const bool utf8 : {false, true}) {
      std::string out;
      for (std::size_t i = 0; i < a.values.size(); ++i) {
        if (i) out += ' ';
        write_value(out, a.values[i], utf8);
      }
      const values_result b = parse_values(out);
      REQUIRE(b.error == errc::ok);
      REQUIRE(b.values.size() == a.values.size());
      for (std::size_t i = 0; i < a.values.size(); ++i) {
        // Strings may change form (quoted <-> literal), never content.
        CHECK(b.values[i].is_string() == a.values[i].is_string());
        CHECK(b.values[i].text == a.values[i].text);
        CHECK(b.values[i].items == a.values[i].items);
      }
    }
  }
}

TEST_CASE("sequence sets: parse and format", "[imap][sequence]") {
  struct row {
    std::string_view text;
    bool ok;
    std::string_view formatted;
  };
  const row rows[] = {
      {"1", true, "1"},
      {"1:*", true, "1:*"},
      {"*", true, "*"},
      {"*:4", true, "*:4"},
      {"2,4:7,9,12:*", true, "2,4:7,9,12:*"},
      {"5:5", true, "5"},
      {"$", true, "$"},
      {"1:5,$", true, "1:5,$"},
      {"4294967295", true, "4294967295"},
      {"4294967296", false, ""},
      {"0", false, ""},
      {"1:0", false, ""},
      {"01", false, ""},
      {"", false, ""},
      {"1,", false, ""},
      {",1", false, ""},
      {"1::2", false, ""},
      {"1:", false, ""},
      {"a", false, ""},
      {"1 2", false, ""},
      {"$$", false, ""},
  };
  for (const auto& r : rows) {
    INFO(r.text);
    sequence_set s;
    const errc e = parse_sequence_set(r.text, s);
    CHECK((e == errc::ok) == r.ok);
    if (r.ok) CHECK(format(s) == r.formatted);
  }
  sequence_set s;
  CHECK(parse_sequence_set("$", s, false) == errc::invalid_sequence_set);
  CHECK(parse_sequence_set("1:*", s, true, false) == errc::invalid_sequence_set);
}

TEST_CASE("sequence sets: evaluation against a mailbox (RFC 3501 §9 \"*\")", "[imap][sequence]") {
  auto eval = [](std::string_view text, std::uint32_t star) {
    sequence_set s;
    REQUIRE(parse_sequence_set(text, s) == errc::ok);
    return format(normalise(s, star));
  };
  CHECK(eval("3:*", 2) == "2:3");  // "*" is the largest number in use; the range is unordered
  CHECK(eval("1:*", 10) == "1:10");
  CHECK(eval("*", 7) == "7");
  CHECK(eval("*:4", 10) == "4:10");
  CHECK(eval("9,1:3,2,4,20:18", 100) == "1:4,9,18:20");
  CHECK(eval("1:3,4:6", 100) == "1:6");  // touching ranges merge
  CHECK(eval("4294967295,1", 5) == "1,4294967295");
  CHECK(eval("1:*", 0).empty() == false);  // an empty mailbox: "1:*" still names 1 (the session refuses it)
  CHECK(eval("*", 0).empty());

  sequence_set s;
  REQUIRE(parse_sequence_set("2,4:7,9", s) == errc::ok);
  const auto n = normalise(s, 100);
  CHECK(contains(n, 2));
  CHECK_FALSE(contains(n, 3));
  CHECK(contains(n, 7));
  CHECK_FALSE(contains(n, 8));
  CHECK_FALSE(contains(n, 1));
  CHECK_FALSE(contains(n, 100));
  CHECK(count(n) == 6);
  CHECK(highest(n) == 9);
  CHECK(format(clamp(n, 5)) == "2,4:5");
  CHECK(format(clamp(n, 1)).empty());
}

TEST_CASE("sequence sets: compression for responses", "[imap][sequence]") {
  const std::vector<std::uint32_t> uids = {1, 2, 3, 4, 5, 7, 9, 10, 11, 12};
  CHECK(compress(uids) == "1:5,7,9:12");
  const std::vector<std::uint32_t> messy = {12, 9, 0, 5, 1, 2, 3, 3, 4, 7, 10, 11};
  CHECK(compress(messy) == "1:5,7,9:12");
  CHECK(compress(std::vector<std::uint32_t>{}).empty());
  CHECK(compress(std::vector<std::uint32_t>{4294967295u, 4294967294u}) == "4294967294:4294967295");
  // COPYUID keeps the order so that source and destination sets correspond (RFC 4315 §3).
  CHECK(compress_ordered(std::vector<std::uint32_t>{5, 6, 7, 2, 3, 9}) == "5:7,2:3,9");
  CHECK(compress_ordered(std::vector<std::uint32_t>{4294967295u, 1}) == "4294967295,1");
}

TEST_CASE("dates and date-times", "[imap][date]") {
  date d;
  CHECK(parse_date("1-Feb-1994", d) == errc::ok);
  CHECK(d == date{1994, 2, 1});
  CHECK(parse_date("01-feb-1994", d) == errc::ok);
  CHECK(parse_date("29-Feb-2024", d) == errc::ok);
  CHECK(parse_date("29-Feb-2023", d) == errc::invalid_date);
  CHECK(parse_date("29-Feb-2000", d) == errc::ok);
  CHECK(parse_date("29-Feb-1900", d) == errc::invalid_date);
  CHECK(parse_date("31-Apr-2024", d) == errc::invalid_date);
  CHECK(parse_date("0-Jan-2024", d) == errc::invalid_date);
  CHECK(parse_date("123-Jan-2024", d) == errc::invalid_date);
  CHECK(parse_date("1-Jan-24", d) == errc::invalid_date);
  CHECK(parse_date("1-Jan-2024 ", d) == errc::invalid_date);
  CHECK(parse_date("", d) == errc::invalid_date);
  CHECK(parse_date("1-Janu-2024", d) == errc::invalid_date);

  date_time dt;
  REQUIRE(parse_date_time("17-Jul-1996 02:44:25 -0700", dt) == errc::ok);
  CHECK(dt == date_time{{1996, 7, 17}, 2, 44, 25, -420});
  CHECK(to_unix(dt) == 837596665);
  CHECK(parse_date_time(" 1-Aug-2002 22:00:00 +0100", dt) == errc::ok);
  CHECK(dt.day.day == 1);
  CHECK(dt.zone_minutes == 60);
  CHECK(parse_date_time("1-Aug-2002 22:00:00 +0100", dt) == errc::ok);
  CHECK(parse_date_time("01-Aug-2002 24:00:00 +0100", dt) == errc::invalid_date);
  CHECK(parse_date_time("01-Aug-2002 23:60:00 +0100", dt) == errc::invalid_date);
  CHECK(parse_date_time("01-Aug-2002 23:59:60 +0100", dt) == errc::ok);  // leap second
  CHECK(parse_date_time("01-Aug-2002 23:59:59 +0160", dt) == errc::invalid_date);
  CHECK(parse_date_time("01-Aug-2002 23:59:59 0100", dt) == errc::invalid_date);
  CHECK(parse_date_time("01-Aug-2002 23:59:59", dt) == errc::invalid_date);
  CHECK(parse_date_time("01-Aug-2002  23:59:59 +0100", dt) == errc::invalid_date);
  CHECK(parse_date_time("01-Aug-2002 2:59:59 +0100", dt) == errc::invalid_date);

  CHECK(format_date_time(dt) == "\"01-Aug-2002 23:59:60 +0100\"");
  const date_time t = from_unix(837596665, -420);
  CHECK(t == date_time{{1996, 7, 17}, 2, 44, 25, -420});
  CHECK(format_date_time(t) == "\"17-Jul-1996 02:44:25 -0700\"");
  CHECK(format_date_time(from_unix(0, 0)) == "\"01-Jan-1970 00:00:00 +0000\"");
  CHECK(format_date_time(from_unix(-1, 0)) == "\"31-Dec-1969 23:59:59 +0000\"");
  CHECK(format_date(date{1994, 2, 1}) == "1-Feb-1994");
  CHECK(to_days(date{1970, 1, 1}) == 0);
  CHECK(to_days(date{2000, 3, 1}) == 11017);
  // Round trip over many instants and zones.
  for (std::int64_t s = -5000000000LL; s < 5000000000LL; s += 7777777) {
    for (const int z : {-720, -420, 0, 60, 330, 840}) {
      const date_time x = from_unix(s, z);
      date_time y;
      const std::string f = format_date_time(x);
      REQUIRE(parse_date_time(std::string_view(f).substr(1, f.size() - 2), y) == errc::ok);
      CHECK(to_unix(y) == s);
    }
  }
}

TEST_CASE("modified UTF-7 (RFC 3501 §5.1.3) and UTF-8 names", "[imap][mailbox]") {
  struct row {
    std::string_view wire;
    std::optional<std::string_view> utf8;
  };
  const row rows[] = {
      {"INBOX", "INBOX"},
      {"", ""},
      {"~peter/mail/&U,BTFw-/&ZeVnLIqe-", "~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"},
      {"&-", "&"},
      {"a&-b&-", "a&b&"},
      {"&AOk-t&AOk-", "\xc3\xa9t\xc3\xa9"},
      {"Envoy&AOk-s", "Envoy\xc3\xa9s"},
      {"&2D3eAA-", "\xf0\x9f\x98\x80"},  // U+1F600 as a surrogate pair
      {"&AOkA6QDp-", "\xc3\xa9\xc3\xa9\xc3\xa9"},
      {"&", std::nullopt},            // unterminated
      {"&AOk", std::nullopt},         // unterminated
      {"&AGE-", std::nullopt},        // "a" must represent itself
      {"&AOk-&AOk-", std::nullopt},   // adjacent shifts
      {"&AOl-", std::nullopt},        // non-zero padding bits
      {"&AO-", std::nullopt},         // incomplete UTF-16 unit
      {"&2D0-", std::nullopt},        // lone high surrogate
      {"&3gA-", std::nullopt},        // lone low surrogate
      {"&AAE-", std::nullopt},        // a control character
      {"&AOk/-", std::nullopt},       // "/" is not modified BASE64
      {"caf\xc3\xa9", std::nullopt},  // 8-bit octets
      {"a\tb", std::nullopt},
  };
  for (const auto& r : rows) {
    INFO(r.wire);
    const auto d = mutf7_decode(r.wire);
    CHECK(d.has_value() == r.utf8.has_value());
    if (d && r.utf8) {
      CHECK(*d == *r.utf8);
      CHECK(mutf7_encode(*d) == std::string(r.wire));  // canonical: encoding gives the same spelling back
    }
  }
  CHECK_FALSE(mutf7_encode("\xff"));
  CHECK_FALSE(mutf7_encode("a\x01"));
  CHECK(encode_mailbox("\xc3\xa9", false) == "&AOk-");
  CHECK(encode_mailbox("\xc3\xa9", true) == "\xc3\xa9");
  CHECK(decode_mailbox("&AOk-", true) == "&AOk-");
  CHECK_FALSE(decode_mailbox("\xc0\x80", true));  // overlong NUL
  CHECK_FALSE(decode_mailbox("\xed\xa0\x80", true));  // UTF-8 surrogate
  CHECK(is_valid_utf8("\xf4\x8f\xbf\xbf"));
  CHECK_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));
  CHECK_FALSE(is_valid_utf8("\xe2\x82"));
  CHECK(normalise_inbox("inbox") == "INBOX");
  CHECK(normalise_inbox("inboxes") == "inboxes");
  CHECK(normalise_inbox("Inbox/Sub", '/') == "INBOX/Sub");
  CHECK(normalise_inbox("Inbox/Sub") == "Inbox/Sub");
}

TEST_CASE("flags", "[imap][flags]") {
  CHECK(canonical_flag("\\SEEN") == "\\Seen");
  CHECK(canonical_flag("\\recent") == "\\Recent");
  CHECK(canonical_flag("$Forwarded") == "$Forwarded");
  CHECK(canonical_flag("\\X-Custom") == "\\X-Custom");
  CHECK(is_valid_flag("\\Seen"));
  CHECK(is_valid_flag("$MDNSent"));
  CHECK(is_valid_flag("\\*", true));
  CHECK_FALSE(is_valid_flag("\\*"));
  CHECK_FALSE(is_valid_flag("\\"));
  CHECK_FALSE(is_valid_flag(""));
  CHECK_FALSE(is_valid_flag("a]"));
  CHECK_FALSE(is_valid_flag("a%"));
  CHECK_FALSE(is_valid_flag("\\\\Seen"));
}
