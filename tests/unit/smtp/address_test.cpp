#include <catch2/catch.hpp>

#include "rows.hpp"
#include "split.hpp"

using namespace mssgw::smtp::proto;
using namespace mssgw::smtp::proto::testing;

namespace {

path_options options(const rows::address_row& row) {
  return {.allow_null = row.kind == 'r', .allow_postmaster = row.kind == 'f', .smtputf8 = row.smtputf8};
}

// The command parser refuses control characters before it looks at the address.
bool has_control(std::string_view s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) < 32) return true;
  return false;
}

}  // namespace

TEST_CASE("address rows", "[smtp][address]") {
  for (const auto& row : rows::address_rows) {
    INFO("path: " << printable(row.input) << " kind " << row.kind << " smtputf8 " << row.smtputf8);
    const auto r = parse_path(row.input, options(row));
    CHECK(describe(r.error) == describe(row.error));
    if (row.error != errc::ok || r.error != errc::ok) continue;
    CHECK(r.value.normalised() == row.normalised);
    CHECK(r.value.local_part == row.local);
    CHECK(r.consumed == (row.consumed ? row.consumed : row.input.size()));
    // The canonical form reads back as the same mailbox.
    if (!r.value.is_null && !r.value.is_postmaster) {
      const auto again = parse_mailbox(r.value.mailbox(), row.smtputf8);
      REQUIRE(again.error == errc::ok);
      CHECK(again.value.normalised() == r.value.normalised());
      CHECK(again.value.local_part == r.value.local_part);
    }
  }
}

TEST_CASE("address rows inside MAIL / RCPT, at every split point", "[smtp][address]") {
  const extensions ext = rows::full_extensions();
  for (const auto& row : rows::address_rows) {
    if (row.consumed != 0) continue;  // rows with trailing text are parameters' business
    const std::string wire = std::string(row.kind == 'r' ? "MAIL FROM:" : "RCPT TO:") + std::string(row.input) +
                             (row.kind == 'r' && row.smtputf8 ? " SMTPUTF8" : "") + "\r\n";
    INFO("command: " << printable(wire));
    std::string expected;
    for (const auto& parts : splittings(wire)) {
      line_reader lr;
      std::string buf, got;
      for (std::string_view part : parts) {
        buf.append(part);
        while (true) {
          const auto r = lr.next(buf);
          if (r.st == line_reader::status::line) {
            const auto c = parse_command(r.line, ext, row.smtputf8);
            got += std::string(describe(c.error));
            if (const auto* m = std::get_if<mail_command>(&c.cmd); c.ok() && m) got += m->reverse_path.normalised();
            if (const auto* t = std::get_if<rcpt_command>(&c.cmd); c.ok() && t) got += t->forward_path.normalised();
          }
          if (r.st == line_reader::status::error) got += "line error";
          buf.erase(0, r.consumed);
          if (r.st == line_reader::status::need_more) break;
        }
      }
      if (expected.empty()) {
        expected = got;
        // Inside a command, address rows give the same verdict as parse_path alone.
        if (row.error == errc::ok) CHECK(got == "ok" + std::string(row.normalised));
        if (row.error != errc::ok && !has_control(row.input)) CHECK(got == std::string(describe(row.error)));
      }
      CHECK(got == expected);
    }
  }
}

TEST_CASE("address length limits (RFC 5321 §4.5.3.1)", "[smtp][address]") {
  const path_options fwd{.allow_null = false, .allow_postmaster = true, .smtputf8 = false};
  const std::string l64(64, 'l'), l65(65, 'l');
  CHECK(parse_path("<" + l64 + "@x.org>", fwd).error == errc::ok);
  CHECK(parse_path("<" + l65 + "@x.org>", fwd).error == errc::local_part_too_long);
  // Quoted: the limit applies to the local part as received (quotes included).
  CHECK(parse_path("<\"" + std::string(62, 'q') + "\"@x.org>", fwd).error == errc::ok);
  CHECK(parse_path("<\"" + std::string(63, 'q') + "\"@x.org>", fwd).error == errc::local_part_too_long);

  const std::string label63(63, 'd'), label64(64, 'd');
  CHECK(parse_path("<a@" + label63 + ".org>", fwd).error == errc::ok);
  CHECK(parse_path("<a@" + label64 + ".org>", fwd).error == errc::domain_too_long);

  // Domain of 252 octets: "<a@" + 252 + ">" = 256 octets, the most a path may have.
  // Labels of 63 octets joined with dots, cut to n octets (n chosen so the last label is not empty).
  auto domain_of = [](std::size_t n) {
    std::string d;
    while (d.size() < n) {
      if (!d.empty()) d += '.';
      d += std::string(std::min<std::size_t>(63, n - d.size()), 'd');
    }
    return d;
  };
  REQUIRE(domain_of(252).size() == 252);
  CHECK(parse_path("<a@" + domain_of(252) + ">", fwd).error == errc::ok);
  CHECK(parse_path("<ab@" + domain_of(252) + ">", fwd).error == errc::path_too_long);
  CHECK(parse_path("<a@" + domain_of(255) + ">", fwd).error == errc::path_too_long);
  CHECK(parse_path("<a@" + domain_of(257) + ">", fwd).error == errc::domain_too_long);
  // A source route counts towards the path length.
  CHECK(parse_path("<@" + domain_of(200) + ":a@" + domain_of(60) + ">", fwd).error == errc::path_too_long);
}

TEST_CASE("canonical local parts and normalisation", "[smtp][address]") {
  path p;
  p.local_part = "john.doe";
  p.domain = "Example.ORG";
  CHECK(p.mailbox() == "john.doe@Example.ORG");
  CHECK(p.normalised() == "john.doe@example.org");
  p.local_part = "john doe";
  CHECK(p.canonical_local_part() == "\"john doe\"");
  p.local_part = "a\"b\\c";
  CHECK(p.canonical_local_part() == "\"a\\\"b\\\\c\"");
  p.local_part = ".a";
  CHECK(p.canonical_local_part() == "\".a\"");
  p.local_part = "";
  CHECK(p.canonical_local_part() == "\"\"");
  path null;
  null.is_null = true;
  CHECK(null.normalised().empty());
  CHECK(null.mailbox().empty());
}

TEST_CASE("parse_mailbox and check_domain", "[smtp][address]") {
  CHECK(parse_mailbox("user@example.org").error == errc::ok);
  CHECK(parse_mailbox("user@example.org ").error == errc::address_syntax);
  CHECK(parse_mailbox("<user@example.org>").error == errc::address_syntax);
  CHECK(parse_mailbox("\xc3\xa9@example.org").error == errc::non_ascii_address);
  CHECK(parse_mailbox("\xc3\xa9@example.org", true).error == errc::ok);
  CHECK(check_domain("example.org", false, false) == errc::ok);
  CHECK(check_domain("[127.0.0.1]", false, false) == errc::address_syntax);
  CHECK(check_domain("[127.0.0.1]", true, false) == errc::ok);
  CHECK(check_domain("\xc3\xa9.org", true, false) == errc::non_ascii_address);
  CHECK(check_domain("\xc3\xa9.org", true, true) == errc::ok);
  CHECK(check_domain("", true, true) == errc::address_syntax);
  CHECK(is_dot_string("a.b", false));
  CHECK_FALSE(is_dot_string("a..b", false));
  CHECK_FALSE(is_dot_string("\xc3\xa9", false));
  CHECK(is_dot_string("\xc3\xa9", true));
}
