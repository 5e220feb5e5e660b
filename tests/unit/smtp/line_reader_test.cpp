#include <catch2/catch.hpp>

#include "rows.hpp"
#include "split.hpp"

using namespace mssgw::smtp::proto;
using namespace mssgw::smtp::proto::testing;

TEST_CASE("line_reader rows, whole and at every split point", "[smtp][line]") {
  for (const auto& row : rows::line_rows) {
    INFO("input: " << printable(row.input) << " max " << row.max_line);
    for (const auto& parts : splittings(row.input)) {
      INFO("chunks: " << parts.size());
      CHECK(run_lines(parts, row.max_line) == row.transcript);
    }
  }
}

TEST_CASE("line_reader never asks the caller to hold more than the limit", "[smtp][line]") {
  line_reader lr(16);
  std::string buf;
  std::size_t max_held = 0;
  for (int i = 0; i < 1000; ++i) {
    buf.append("xxxxxxx");  // an endless line
    const auto r = lr.next(buf);
    CHECK(r.st == line_reader::status::need_more);
    buf.erase(0, r.consumed);
    max_held = std::max(max_held, buf.size());
  }
  CHECK(max_held < 16 + 7);
  buf.append("\r\nQUIT\r\n");
  auto r = lr.next(buf);
  REQUIRE(r.st == line_reader::status::error);
  CHECK(r.error == errc::line_too_long);
  buf.erase(0, r.consumed);
  r = lr.next(buf);
  REQUIRE(r.st == line_reader::status::line);
  CHECK(r.line == "QUIT");
}

TEST_CASE("line_reader: the limit can be raised for an AUTH response", "[smtp][line]") {
  line_reader lr;  // 512
  const std::string token(5000, 'A');
  std::string buf = token + "\r\n";
  lr.set_max_line(auth_max_line);
  const auto r = lr.next(buf);
  REQUIRE(r.st == line_reader::status::line);
  CHECK(r.line.size() == 5000);
  lr.set_max_line(rfc5321_max_line);
  CHECK(lr.next(buf).st == line_reader::status::error);
}

TEST_CASE("line_reader: 512 octets by default (RFC 5321 §4.5.3.1.4)", "[smtp][line]") {
  const std::string ok = std::string(510, 'a') + "\r\n";
  const std::string over = std::string(511, 'a') + "\r\n";
  CHECK(run_lines({ok}, rfc5321_max_line) == "L:" + std::string(510, 'a') + "|R:");
  CHECK(run_lines({over}, rfc5321_max_line) == "E:command line too long|R:");
}
