#include <catch2/catch.hpp>

#include "rows.hpp"
#include "split.hpp"

using namespace mssgw::smtp::proto;
using namespace mssgw::smtp::proto::testing;
using namespace std::literals;

TEST_CASE("reply parser rows, whole and at every split point", "[smtp][reply]") {
  for (const auto& row : rows::reply_rows) {
    INFO("reply: " << printable(row.input));
    for (const auto& parts : splittings(row.input)) {
      INFO("chunks: " << parts.size());
      CHECK(run_replies(parts, rows::reply_row_limits) == row.transcript);
    }
  }
}

TEST_CASE("reply builder", "[smtp][reply]") {
  CHECK(format_reply(250, "2.1.0", "OK") == "250 2.1.0 OK\r\n");
  CHECK(format_reply(354, "", "End data with <CR><LF>.<CR><LF>") == "354 End data with <CR><LF>.<CR><LF>\r\n");
  CHECK(format_reply(221, "2.0.0", "") == "221 2.0.0\r\n");
  CHECK(make_reply(550, "5.1.1", std::vector<std::string>{"a", "b"}).to_wire() == "550-5.1.1 a\r\n550 5.1.1 b\r\n");
  // The enhanced code's class must match the reply code (RFC 3463 §2); otherwise it is dropped.
  CHECK(format_reply(550, "2.0.0", "x") == "550 x\r\n");
  CHECK(format_reply(550, "5.1", "x") == "550 x\r\n");
  // No CR, LF, controls or 8-bit octets from the text reach the wire.
  CHECK(format_reply(550, "5.0.0", "a\r\nb\0c\xc3\xa9"sv) == "550 5.0.0 a  b c??\r\n");
  // At most 512 octets per line (RFC 5321 §4.5.3.1.5).
  const std::string wire = format_reply(250, "2.0.0", std::string(1000, 'x'));
  CHECK(wire.size() == 512);
  CHECK(wire.substr(wire.size() - 2) == "\r\n");
  const auto from_error = make_reply(reply_for(errc::data_bare_lf));
  CHECK(from_error.to_wire() == "550 5.5.2 Bare CR or LF not allowed\r\n");
  CHECK(make_reply(250, "2.0.0", std::vector<std::string>{"a", "b"}).text() == "a; b");
}

TEST_CASE("enhanced status codes (RFC 3463 §2)", "[smtp][reply]") {
  for (auto ok : {"2.0.0", "5.1.1", "4.7.0", "5.5.10", "2.123.999"}) CHECK(is_enhanced_code(ok));
  for (auto bad : {"", "3.0.0", "2.0", "2..0", "2.0.0.0", "2.0.1000", "2.01.0", "x.0.0", "2.0.0 "})
    CHECK_FALSE(is_enhanced_code(bad));
}

TEST_CASE("EHLO reply", "[smtp][reply][ehlo]") {
  extensions ext;
  ext.max_size = 52428800;
  ext.starttls = true;
  ext.auth = {"PLAIN", "XOAUTH2"};
  ext.chunking = true;
  ext.smtputf8 = true;
  CHECK(ehlo_reply("mx.operator.example", ext).to_wire() ==
        "250-mx.operator.example\r\n"
        "250-PIPELINING\r\n"
        "250-SIZE 52428800\r\n"
        "250-8BITMIME\r\n"
        "250-ENHANCEDSTATUSCODES\r\n"
        "250-DSN\r\n"
        "250-STARTTLS\r\n"
        "250-AUTH PLAIN XOAUTH2\r\n"
        "250-CHUNKING\r\n"
        "250 SMTPUTF8\r\n");
  extensions none{};
  none.pipelining = none.size = none.eightbitmime = none.enhancedstatuscodes = none.dsn = false;
  CHECK(ehlo_reply("mx", none).to_wire() == "250 mx\r\n");
  extensions size_only = none;
  size_only.size = true;
  CHECK(ehlo_reply("mx", size_only).to_wire() == "250-mx\r\n250 SIZE\r\n");
  // BINARYMIME only with CHUNKING (RFC 3030 §3).
  extensions bin = none;
  bin.binarymime = true;
  CHECK(ehlo_reply("mx", bin).to_wire() == "250 mx\r\n");
  // The EHLO reply reads back with the client's parser.
  reply_parser p;
  const std::string w = ehlo_reply("mx.operator.example", ext).to_wire();
  const auto r = p.next(w);
  REQUIRE(r.st == reply_parser::status::reply);
  CHECK(r.consumed == w.size());
  CHECK(r.value.lines.size() == 10);
  CHECK(r.value.lines[7] == "AUTH PLAIN XOAUTH2");
}

TEST_CASE("replies built by the server parse back unchanged", "[smtp][reply]") {
  const std::vector<reply> samples = {
      make_reply(250, "2.1.0", "Sender OK"),
      make_reply(550, "5.1.1", std::vector<std::string>{"No such user", "", "really"}),
      make_reply(421, "", "Service not available"),
      make_reply(220, "", std::vector<std::string>{"mx ESMTP", "second"}),
      make_reply(452, "4.5.3", "Too many recipients"),
  };
  std::string stream;
  for (const auto& s : samples) s.append_wire(stream);
  for (const auto& parts : splittings(stream)) {
    reply_parser p;
    std::string buf;
    std::vector<reply> got;
    for (std::string_view part : parts) {
      buf.append(part);
      while (true) {
        auto r = p.next(buf);
        buf.erase(0, r.consumed);
        REQUIRE(r.st != reply_parser::status::error);
        if (r.st == reply_parser::status::need_more) break;
        got.push_back(std::move(r.value));
      }
    }
    CHECK(got == samples);
  }
}

TEST_CASE("reply parser limits are checked before buffering", "[smtp][reply]") {
  reply_parser p({64, 8});
  std::string buf;
  std::size_t max_held = 0;
  for (int i = 0; i < 1000; ++i) {
    buf.append("250-xxxxxxxxxx");
    const auto r = p.next(buf);
    CHECK(r.st == reply_parser::status::need_more);
    buf.erase(0, r.consumed);
    max_held = std::max(max_held, buf.size());
  }
  CHECK(max_held < 64 + 14);
}
