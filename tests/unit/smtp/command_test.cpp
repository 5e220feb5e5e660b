#include <catch2/catch.hpp>

#include "rows.hpp"
#include "split.hpp"

using namespace mssgw::smtp::proto;
using namespace mssgw::smtp::proto::testing;

namespace {

std::string outcome(const command_result& r) {
  std::string s = std::string(name(r.verb)) + " " + std::string(describe(r.error));
  if (!r.ok()) {
    const auto rep = r.reply();
    s += " " + std::to_string(rep.code) + " " + std::string(rep.enhanced);
  } else if (const auto* m = std::get_if<mail_command>(&r.cmd)) {
    s += " <" + m->reverse_path.normalised() + ">";
  } else if (const auto* c = std::get_if<rcpt_command>(&r.cmd)) {
    s += " <" + c->forward_path.normalised() + ">";
  }
  return s;
}

// The commands of a pipelined stream, split by line_reader, each parsed.
std::string run_commands(const chunks& parts, const extensions& ext) {
  line_reader lr(rfc5321_max_line);
  std::string buf, out;
  for (std::string_view part : parts) {
    buf.append(part);
    while (true) {
      const auto r = lr.next(buf);
      std::string ev;
      if (r.st == line_reader::status::line) ev = outcome(parse_command(r.line, ext));
      if (r.st == line_reader::status::error) ev = "line " + std::string(describe(r.error));
      buf.erase(0, r.consumed);
      if (r.st == line_reader::status::need_more) break;
      out += ev + "\n";
    }
  }
  return out;
}

template <class T>
T get(const command_result& r) {
  REQUIRE(r.ok());
  const T* p = std::get_if<T>(&r.cmd);
  REQUIRE(p != nullptr);
  return *p;
}

}  // namespace

TEST_CASE("command rows", "[smtp][command]") {
  const extensions full = rows::full_extensions();
  const extensions minimal = rows::minimal_extensions();
  for (const auto& row : rows::command_rows) {
    INFO("line: " << printable(row.line) << (row.minimal ? " (minimal extensions)" : ""));
    const auto r = parse_command(row.line, row.minimal ? minimal : full);
    CHECK(describe(r.error) == describe(row.error));
    CHECK(name(r.verb) == name(row.v));
    if (row.error != errc::ok) {
      CHECK(r.reply().code == row.code);
      CHECK(r.reply().enhanced == row.enhanced);
    } else if (row.v == verb::mail) {
      CHECK(get<mail_command>(r).reverse_path.normalised() == row.address);
    } else if (row.v == verb::rcpt) {
      CHECK(get<rcpt_command>(r).forward_path.normalised() == row.address);
    }
  }
}

TEST_CASE("command rows fed through line_reader at every split point", "[smtp][command]") {
  const extensions full = rows::full_extensions();
  const extensions minimal = rows::minimal_extensions();
  for (const auto& row : rows::command_rows) {
    const std::string wire = std::string(row.line) + "\r\n";
    INFO("line: " << printable(wire));
    const extensions& ext = row.minimal ? minimal : full;
    const std::string expected = outcome(parse_command(row.line, ext)) + "\n";
    for (const auto& parts : splittings(wire)) CHECK(run_commands(parts, ext) == expected);
  }
}

TEST_CASE("a pipelined stream of every row gives the same transcript whole and byte by byte", "[smtp][command]") {
  std::string stream;
  for (const auto& row : rows::command_rows)
    if (!row.minimal) stream.append(row.line).append("\r\n");
  stream.append("MAIL FROM:<a@b>\nRCPT TO:<c@d>\r\n");  // a bare LF line, refused, then in sync again
  const extensions ext = rows::full_extensions();
  const std::string whole = run_commands({stream}, ext);
  chunks bytes;
  for (std::size_t i = 0; i < stream.size(); ++i) bytes.push_back(std::string_view(stream).substr(i, 1));
  CHECK(run_commands(bytes, ext) == whole);
  const std::string tail = "\nline bare LF in command\nRCPT ok <c@d>\n";
  CHECK(whole.substr(whole.size() - tail.size()) == tail);
}

TEST_CASE("MAIL parameters are decoded", "[smtp][command][params]") {
  const extensions ext = rows::full_extensions();
  const auto r = parse_command(
      "MAIL FROM:<a@example.org> SIZE=1000 BODY=8BITMIME RET=HDRS ENVID=QQ+2B1 AUTH=e+2Bx@example.org", ext);
  const auto m = get<mail_command>(r);
  CHECK(m.params.size == 1000u);
  CHECK(m.params.body == body_type::eight_bit_mime);
  CHECK(m.params.ret == dsn_ret::headers);
  CHECK(m.params.envid == "QQ+1");
  CHECK(m.params.auth == "e+x@example.org");
  CHECK_FALSE(m.params.smtputf8);

  const auto u = parse_command("MAIL FROM:<\xc3\xa9@example.org> SMTPUTF8 BODY=7bit ret=full", ext);
  const auto mu = get<mail_command>(u);
  CHECK(mu.params.smtputf8);
  CHECK(mu.reverse_path.utf8);
  CHECK(mu.params.body == body_type::seven_bit);
  CHECK(mu.params.ret == dsn_ret::full);
  CHECK_FALSE(mu.params.size.has_value());

  const auto big = parse_command("MAIL FROM:<> SIZE=99999999999999999999", ext);
  CHECK(get<mail_command>(big).params.size == std::numeric_limits<std::uint64_t>::max());
  CHECK(get<mail_command>(big).reverse_path.is_null);
}

TEST_CASE("ENVID length limit (RFC 3461 §4.4)", "[smtp][command][params]") {
  const extensions ext = rows::full_extensions();
  CHECK(parse_command("MAIL FROM:<> ENVID=" + std::string(100, 'x'), ext).ok());
  CHECK(parse_command("MAIL FROM:<> ENVID=" + std::string(101, 'x'), ext).error == errc::invalid_parameter);
}

TEST_CASE("RCPT parameters are decoded", "[smtp][command][params]") {
  const extensions ext = rows::full_extensions();
  const auto r = parse_command("RCPT TO:<b@example.org> NOTIFY=success,Delay ORCPT=RFC822;b+2Bx@example.org", ext);
  const auto c = get<rcpt_command>(r);
  CHECK(c.params.notify.present);
  CHECK(c.params.notify.success);
  CHECK(c.params.notify.delay);
  CHECK_FALSE(c.params.notify.failure);
  CHECK_FALSE(c.params.notify.never);
  REQUIRE(c.params.orcpt.has_value());
  CHECK(c.params.orcpt->addr_type == "rfc822");
  CHECK(c.params.orcpt->address == "b+x@example.org");

  const auto n = parse_command("RCPT TO:<b@example.org>", ext);
  CHECK_FALSE(get<rcpt_command>(n).params.notify.present);
  CHECK_FALSE(get<rcpt_command>(n).params.orcpt.has_value());

  // ORCPT length limit (RFC 3461 §4.2)
  CHECK(parse_command("RCPT TO:<b@x> ORCPT=rfc822;a@" + std::string(498, 'x'), ext).ok());
  CHECK(parse_command("RCPT TO:<b@x> ORCPT=rfc822;a@" + std::string(499, 'x'), ext).error == errc::invalid_parameter);
}

TEST_CASE("RCPT with UTF-8 only inside an SMTPUTF8 transaction (RFC 6531 §3.4)", "[smtp][command]") {
  const extensions ext = rows::full_extensions();
  CHECK(parse_command("RCPT TO:<\xc3\xa9@example.org>", ext, false).error == errc::non_ascii_address);
  const auto r = parse_command("RCPT TO:<\xc3\xa9@example.org>", ext, true);
  CHECK(get<rcpt_command>(r).forward_path.local_part == "\xc3\xa9");
  // The transaction flag is not enough when the server did not advertise SMTPUTF8.
  CHECK(parse_command("RCPT TO:<\xc3\xa9@example.org>", rows::minimal_extensions(), true).error ==
        errc::non_ascii_address);
}

TEST_CASE("EHLO, BDAT, AUTH, VRFY and HELP arguments", "[smtp][command]") {
  const extensions ext = rows::full_extensions();
  const auto e = get<ehlo_command>(parse_command("EHLO Mx.Example.org", ext));
  CHECK(e.extended);
  CHECK(e.domain == "Mx.Example.org");
  CHECK(e.domain_valid);
  CHECK(get<ehlo_command>(parse_command("EHLO [192.0.2.1]", ext)).domain_valid);
  CHECK_FALSE(get<ehlo_command>(parse_command("EHLO under_score", ext)).domain_valid);
  CHECK(get<ehlo_command>(parse_command("EHLO 192.0.2.1", ext)).domain_valid);  // all-digit labels are LDH
  CHECK_FALSE(get<ehlo_command>(parse_command("HELO x", ext)).extended);

  const auto b = get<bdat_command>(parse_command("BDAT 1000", ext));
  CHECK(b.size == 1000u);
  CHECK_FALSE(b.last);
  const auto bl = get<bdat_command>(parse_command("bdat 0 last", ext));
  CHECK(bl.size == 0u);
  CHECK(bl.last);
  CHECK(get<bdat_command>(parse_command("BDAT 18446744073709551615", ext)).size ==
        std::numeric_limits<std::uint64_t>::max());

  const auto a = get<auth_command>(parse_command("AUTH plain AGFsaWNlAHNlY3JldA==", ext));
  CHECK(a.mechanism == "PLAIN");
  REQUIRE(a.initial_response.has_value());
  CHECK(*a.initial_response == std::string("\0alice\0secret", 13));
  const auto a2 = get<auth_command>(parse_command("AUTH XOAUTH2 =", ext));
  REQUIRE(a2.initial_response.has_value());
  CHECK(a2.initial_response->empty());
  CHECK_FALSE(get<auth_command>(parse_command("AUTH OAUTHBEARER", ext)).initial_response.has_value());

  CHECK(get<vrfy_command>(parse_command("VRFY Jean Dupont", ext)).argument == "Jean Dupont");
  CHECK(get<help_command>(parse_command("HELP mail", ext)).argument == "mail");
}

TEST_CASE("AUTH continuation lines (RFC 4954 §4)", "[smtp][command][auth]") {
  CHECK(parse_auth_response("*").error == errc::auth_cancelled);
  CHECK(reply_for(errc::auth_cancelled).code == 501);
  const auto ok = parse_auth_response("dXNlcg==");
  CHECK(ok.error == errc::ok);
  CHECK(ok.data == "user");
  CHECK(parse_auth_response("").error == errc::ok);
  CHECK(parse_auth_response("=").error == errc::invalid_base64);
  CHECK(parse_auth_response("dXNlcg= =").error == errc::invalid_base64);
  CHECK(parse_auth_response(" dXNlcg==").error == errc::invalid_base64);
  const auto bad = parse_auth_response("not base64!");
  CHECK(bad.error == errc::invalid_base64);
  CHECK(reply_for(bad.error).code == 501);
  CHECK(reply_for(bad.error).enhanced == "5.5.2");
  CHECK(reply_for(errc::auth_line_too_long).code == 500);
  CHECK(reply_for(errc::auth_line_too_long).enhanced == "5.5.6");
}

TEST_CASE("every errc has a message and a reply", "[smtp][errc]") {
  for (int i = 0; i <= static_cast<int>(errc::reply_bare_lf); ++i) {
    const auto e = static_cast<errc>(i);
    CHECK(describe(e) != "unknown error");
    const std::error_code ec = e;
    CHECK(ec.message() == describe(e));
    const auto rep = reply_for(e, address_role::recipient);
    CHECK(rep.code >= 200);
    CHECK(is_enhanced_code(rep.enhanced));
    CHECK(rep.enhanced[0] == static_cast<char>('0' + rep.code / 100));
  }
}
