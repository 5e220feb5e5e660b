#include <catch2/catch.hpp>

#include "rows.hpp"
#include "split.hpp"

using namespace mssgw::smtp::proto;
using namespace mssgw::smtp::proto::testing;

namespace {

data_limits limits_of(const rows::data_row& row) {
  return {.max_size = row.max_size, .max_line = row.max_line, .refuse_long_lines = row.refuse_long_lines};
}

}  // namespace

TEST_CASE("DATA rows, whole and at every split point", "[smtp][data]") {
  for (const auto& row : rows::data_rows) {
    INFO(row.name << ": " << printable(row.input));
    data_outcome expected;
    expected.done = row.done;
    expected.error = row.error;
    expected.body = row.done && row.error == errc::ok ? std::string(row.body) : std::string();
    expected.rest = row.rest;
    for (const auto& parts : splittings(row.input)) {
      INFO("chunks: " << parts.size());
      data_outcome got = run_data(parts, limits_of(row));
      if (!got.done) got.body.clear();  // not compared before the end
      CHECK(got.done == expected.done);
      CHECK(describe(got.error) == describe(expected.error));
      CHECK(printable(got.body) == printable(expected.body));
      CHECK(printable(got.rest) == printable(expected.rest));
      CHECK(got.all_consumed_until_done);
    }
  }
}

TEST_CASE("the end of data split at every position inside a longer message", "[smtp][data]") {
  // CRLF.CRLF at every offset of every chunk boundary, with stuffed lines around it.
  const std::string body = "Subject: t\r\n\r\n..leading dot\r\nline\r\n.\r\n";  // wire form of the last 4 lines
  const std::string wire = body.substr(0, body.size() - 3) + "..\r\n.\r\nNEXT";
  for (const auto& parts : splittings(wire)) {
    const auto got = run_data(parts, {});
    CHECK(got.done);
    CHECK(got.error == errc::ok);
    CHECK(got.body == "Subject: t\r\n\r\n.leading dot\r\nline\r\n.\r\n");
    CHECK(got.rest == "NEXT");
  }
}

TEST_CASE("DATA reader never appends more than the limit and keeps consuming", "[smtp][data]") {
  data_reader dr({.max_size = 100, .max_line = 1000, .refuse_long_lines = true});
  std::string body;
  const std::string line = "0123456789012345678\r\n";  // 21 octets
  for (int i = 0; i < 1000; ++i) {
    const auto r = dr.feed(line, body);
    REQUIRE_FALSE(r.done);
    CHECK(r.consumed == line.size());
  }
  CHECK(body.size() <= 100);
  CHECK(dr.size() == 21000u);
  const auto r = dr.feed(".\r\nQUIT\r\n", body);
  CHECK(r.done);
  CHECK(r.consumed == 3);
  CHECK(r.error == errc::message_too_big);
  CHECK(reply_for(r.error).code == 552);
  CHECK(reply_for(r.error).enhanced == "5.3.4");
}

TEST_CASE("DATA reader: default line limit is 998 + CRLF, refused by default", "[smtp][data]") {
  const std::string l998(998, 'x'), l999(999, 'x');
  CHECK(run_data({l998 + "\r\n.\r\n"}, {}).error == errc::ok);
  CHECK(run_data({"." + l998 + "\r\n.\r\n"}, {}).error == errc::ok);  // the transparency dot is not counted
  CHECK(run_data({l999 + "\r\n.\r\n"}, {}).error == errc::data_line_too_long);
  CHECK(run_data({l999 + "\r\n.\r\n"}, {.max_size = 1 << 20, .max_line = 1000, .refuse_long_lines = false}).error ==
        errc::ok);
  CHECK(reply_for(errc::data_line_too_long).code == 550);
}

TEST_CASE("DATA reader: a callable sink and reuse after reset", "[smtp][data]") {
  data_reader dr;
  std::size_t pieces = 0, octets = 0;
  auto sink = [&](std::string_view s) {
    ++pieces;
    octets += s.size();
  };
  auto r = dr.feed("a\r\n..b\r\nc\r\n.\r\n", sink);
  CHECK(r.done);
  CHECK(octets == 10);
  CHECK(pieces == 2);  // one piece before the transparency dot, one after
  // After done, more input is not consumed until reset().
  r = dr.feed("x", sink);
  CHECK(r.done);
  CHECK(r.consumed == 0);
  dr.reset();
  std::string body;
  r = dr.feed("second\r\n.\r\n", body);
  CHECK(r.done);
  CHECK(body == "second\r\n");
}

TEST_CASE("dot_stuff round-trips through the DATA reader", "[smtp][data]") {
  const std::vector<std::string> bodies = {"",
                                           "\r\n",
                                           "a\r\n",
                                           ".\r\n",
                                           "..\r\n",
                                           ".a\r\n.\r\n..\r\n",
                                           "no final newline",
                                           "x\r\n.",
                                           "Subject: s\r\n\r\n.\r\nend\r\n"};
  for (const auto& b : bodies) {
    std::string wire;
    dot_stuff(b, wire);
    INFO(printable(b) << " -> " << printable(wire));
    const auto got = run_data({wire}, {});
    CHECK(got.done);
    CHECK(got.error == errc::ok);
    const bool ends_crlf = b.size() >= 2 && b.substr(b.size() - 2) == "\r\n";
    CHECK(got.body == (b.empty() || ends_crlf ? b : b + "\r\n"));
    CHECK(got.rest.empty());
  }
  std::string wire;
  dot_stuff(".a\r\n", wire);
  CHECK(wire == "..a\r\n.\r\n");
}

TEST_CASE("BDAT rows, with every chunk split at every point", "[smtp][bdat]") {
  for (const auto& row : rows::bdat_rows) {
    INFO(row.name);
    // Whole chunks, then each chunk fed one octet at a time, then each chunk cut in two at every point.
    for (int mode = 0; mode < 3; ++mode) {
      std::size_t max_cut = 0;
      for (std::size_t i = 0; i < row.count; ++i) max_cut = std::max(max_cut, row.chunks[i].data.size());
      for (std::size_t cut = 0; cut <= (mode == 2 ? max_cut : 0); ++cut) {
        bdat_reader br({.max_size = row.max_size, .max_line = 1000, .refuse_long_lines = true}, row.binary);
        std::string body;
        errc verdict = errc::ok;
        for (std::size_t i = 0; i < row.count; ++i) {
          const auto& c = row.chunks[i];
          br.start_chunk(c.data.size(), c.last);
          chunks parts;
          if (mode == 0) parts = {c.data};
          if (mode == 1)
            for (std::size_t k = 0; k < c.data.size(); ++k) parts.push_back(c.data.substr(k, 1));
          if (mode == 2)
            parts = {c.data.substr(0, std::min(cut, c.data.size())), c.data.substr(std::min(cut, c.data.size()))};
          if (parts.empty()) parts = {std::string_view{}};
          bool done = false;
          for (auto part : parts) {
            const std::string extra = std::string(part) + "NEXT";  // bytes after the chunk stay unconsumed
            const auto r = br.feed(part.size() == c.data.size() ? std::string_view(extra) : part, body);
            CHECK(r.consumed == part.size());
            if (r.done) {
              done = true;
              verdict = r.error;
            }
          }
          CHECK(done);
        }
        CHECK(describe(verdict) == describe(row.error));
        CHECK(describe(br.error()) == describe(row.error));
        if (row.error == errc::ok) CHECK(printable(body) == printable(row.body));
      }
    }
  }
}

TEST_CASE("BDAT reader keeps the size limit across chunks and consumes exactly", "[smtp][bdat]") {
  bdat_reader br({.max_size = 8, .max_line = 1000, .refuse_long_lines = true});
  std::string body;
  br.start_chunk(6, false);
  auto r = br.feed("abc\r\nxMAIL", body);
  CHECK(r.done);
  CHECK(r.consumed == 6);
  CHECK(r.error == errc::ok);
  br.start_chunk(6, true);
  r = br.feed("yz\r\n", body);
  CHECK_FALSE(r.done);
  CHECK(br.remaining() == 2);
  r = br.feed("wx", body);
  CHECK(r.done);
  CHECK(r.error == errc::message_too_big);
  CHECK(body.size() <= 8);
}
