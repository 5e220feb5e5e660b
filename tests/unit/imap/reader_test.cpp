#include <catch2/catch.hpp>

#include "rows.hpp"
#include "split.hpp"

using namespace mssgw::imap::proto;
using namespace mssgw::imap::proto::testing;

TEST_CASE("command_reader rows, whole, byte by byte and at every split point", "[imap][reader]") {
  for (const auto& row : rows::reader_rows()) {
    INFO("row: " << row.name << "\nstream: " << printable(row.stream));
    for (const auto& parts : splittings(row.stream)) {
      INFO("chunks: " << parts.size() << " first: " << parts[0].size());
      CHECK(printable(run_reader(parts, row.lim)) == printable(row.transcript));
    }
  }
}

TEST_CASE("command rows frame as one command and parse the same at every split point", "[imap][reader]") {
  limits lim;
  lim.max_depth = 1000;  // rows about nesting test the parser's own bound
  for (const auto& row : rows::command_rows()) {
    INFO("wire: " << printable(row.wire));
    std::vector<parsed_command> whole;
    const std::string t = run_reader({row.wire}, lim, &whole);
    REQUIRE(whole.size() == 1);
    CHECK(t.substr(t.size() - 3) == "|R:");
    for (const auto& parts : splittings(row.wire)) {
      std::vector<parsed_command> p;
      CHECK(run_reader(parts, lim, &p) == t);
      REQUIRE(p.size() == 1);
      CHECK(p[0].error == whole[0].error);
      CHECK(p[0].tag == whole[0].tag);
      CHECK(p[0].name == whole[0].name);
      CHECK(p[0].body == whole[0].body);
    }
  }
}

TEST_CASE("an endless line is discarded as it comes: the caller never holds more than the limit", "[imap][reader]") {
  limits lim;
  lim.max_line = 64;
  command_reader rd(lim);
  std::string buf = "A1 SEARCH ";
  std::size_t max_held = 0;
  for (int i = 0; i < 10000; ++i) {
    buf.append("TEXT xx ");
    const auto r = rd.next(buf);
    CHECK(r.st == command_reader::status::need_more);
    buf.erase(0, r.consumed);
    max_held = std::max(max_held, buf.size());
  }
  CHECK(max_held <= 64 + 8);
  buf.append("\r\nA2 NOOP\r\n");
  auto r = rd.next(buf);
  REQUIRE(r.st == command_reader::status::error);
  CHECK(r.error == errc::line_too_long);
  CHECK(r.tag == "A1");
  buf.erase(0, r.consumed);
  r = rd.next(buf);
  REQUIRE(r.st == command_reader::status::command);
  CHECK(r.text == "A2 NOOP");
}

TEST_CASE("a literal is skipped, not scanned, and the continuation comes once", "[imap][reader]") {
  command_reader rd;
  std::string buf = "A1 APPEND INBOX {1000000}\r\n";
  auto r = rd.next(buf);
  REQUIRE(r.st == command_reader::status::need_continuation);
  CHECK(r.tag == "A1");
  CHECK(r.consumed == 0);
  r = rd.next(buf);
  CHECK(r.st == command_reader::status::need_more);
  // The literal arrives in pieces holding every special octet: none of them matters inside a literal.
  const std::string piece = "(\"{5}\r\n\n\r\\";
  while (buf.size() < 27 + 1000000) {
    buf.append(piece.substr(0, std::min(piece.size(), 27 + 1000000 - buf.size())));
    r = rd.next(buf);
    REQUIRE(r.st == command_reader::status::need_more);
    REQUIRE(r.consumed == 0);
  }
  buf.append("\r\n");
  r = rd.next(buf);
  REQUIRE(r.st == command_reader::status::command);
  CHECK(r.text.size() == 27 + 1000000);
  CHECK(r.consumed == buf.size());
}

TEST_CASE("limits change at the next command, never in the middle of one", "[imap][reader]") {
  limits pre;
  pre.max_literal = 1024;  // before authentication: a password fits
  limits post;             // defaults: 50 MB
  command_reader rd(pre);
  std::string buf = "A1 LOGIN {5}\r\n";
  auto r = rd.next(buf);
  REQUIRE(r.st == command_reader::status::need_continuation);
  rd.set_limits(post);
  buf += "alice {6}\r\n";
  r = rd.next(buf);
  REQUIRE(r.st == command_reader::status::need_continuation);
  buf += "secret\r\n";
  r = rd.next(buf);
  REQUIRE(r.st == command_reader::status::command);
  buf.erase(0, r.consumed);
  buf += "A2 APPEND INBOX {2048}\r\n";
  r = rd.next(buf);
  CHECK(r.st == command_reader::status::need_continuation);  // the new limits apply now

  command_reader strict(pre);
  std::string b2 = "A2 APPEND INBOX {2048}\r\n";
  r = strict.next(b2);
  CHECK(r.st == command_reader::status::error);
  CHECK(r.error == errc::literal_too_big);
}

TEST_CASE("reset() forgets a partial command (STARTTLS drops buffered plaintext)", "[imap][reader]") {
  command_reader rd;
  std::string buf = "A1 LOGIN {5}\r\nab";
  REQUIRE(rd.next(buf).st == command_reader::status::need_continuation);
  REQUIRE(rd.next(buf).st == command_reader::status::need_more);
  rd.reset();
  buf = "A2 NOOP\r\n";
  const auto r = rd.next(buf);
  REQUIRE(r.st == command_reader::status::command);
  CHECK(r.text == "A2 NOOP");
}

namespace {

// next_line transcript: "L:<line>" / "E:<reason>" joined with '|', then "R:<leftover>".
std::string run_lines(const chunks& parts, std::size_t max_line) {
  limits lim;
  lim.max_line = max_line;
  command_reader rd(lim);
  std::string buf;
  std::string out;
  for (const std::string_view part : parts) {
    buf.append(part);
    while (true) {
      const auto r = rd.next_line(buf);
      std::string ev;
      if (r.st == command_reader::status::command) ev = "L:" + std::string(r.text);
      if (r.st == command_reader::status::error) ev = "E:" + std::string(describe(r.error));
      buf.erase(0, r.consumed);
      if (r.st == command_reader::status::need_more) break;
      out += ev + "|";
    }
  }
  return out + "R:" + buf;
}

}  // namespace

TEST_CASE("next_line: AUTHENTICATE responses and IDLE's DONE, at every split point", "[imap][reader]") {
  struct line_row {
    std::string input;
    std::size_t max;
    std::string transcript;
  };
  const line_row rows[] = {
      {"DONE\r\n", 100, "L:DONE|R:"},
      {"dGVzdAB0ZXN0AHRlc3Q=\r\n*\r\n", 100, "L:dGVzdAB0ZXN0AHRlc3Q=|L:*|R:"},
      {"\r\n", 100, "L:|R:"},
      {"DONE\nA1 NOOP\r\n", 100, "E:bare LF in command|L:A1 NOOP|R:"},
      {"DO\rNE\r\n", 100, "E:bare CR in command|R:"},
      {"0123456789\r\nok\r\n", 10, "E:command line longer than the line limit|L:ok|R:"},
      {"01234567\r\n", 10, "L:01234567|R:"},
      {std::string(50, 'x') + "\r\nok\r\n", 10, "E:command line longer than the line limit|L:ok|R:"},
      {"partial", 100, "R:partial"},
  };
  for (const auto& row : rows) {
    INFO("input: " << printable(row.input));
    for (const auto& parts : splittings(row.input)) CHECK(run_lines(parts, row.max) == row.transcript);
  }
  CHECK(is_idle_done("done"));
  CHECK(is_idle_done("DONE"));
  CHECK_FALSE(is_idle_done("DONE "));
  CHECK(is_sasl_cancel("*"));
  CHECK_FALSE(is_sasl_cancel("* "));
}

TEST_CASE("response_for: how the session answers each reader error", "[imap][reader]") {
  auto r = response_for(errc::literal_too_big);
  CHECK(r.what == error_response::kind::bad);
  CHECK(r.code == "TOOBIG");
  r = response_for(errc::literal_too_big, true);
  CHECK(r.what == error_response::kind::bye);
  CHECK(r.code == "TOOBIG");
  r = response_for(errc::unknown_command);
  CHECK(r.what == error_response::kind::bad);
  CHECK(r.text == "Unknown command");
  CHECK(response_for(errc::nesting_too_deep).code == "LIMIT");
  CHECK(make_error_code(errc::bare_lf).message() == "bare LF in command");
  CHECK(std::string(make_error_code(errc::bare_lf).category().name()) == "imap.proto");
  // Every value has a description.
  for (int e = 0; e <= static_cast<int>(errc::search_too_deep); ++e) {
    CHECK(describe(static_cast<errc>(e)) != "unknown error");
  }
}
