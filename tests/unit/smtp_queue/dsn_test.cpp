// DSN builder (RFC 3464 / RFC 3461 / RFC 6522), table-driven: every action, RET variants, ENVID and ORCPT, null
// sender, long diagnostics.
#include <catch2/catch.hpp>

#include <algorithm>
#include <regex>

#include "smtp/queue/dsn.hpp"

using namespace mssgw::smtp::queue;
using namespace std::literals;

namespace {

const std::string original =
    "Received: from x by y\r\n"
    "From: Dr Alice <alice@alpha.mssante.test>\r\n"
    "To: bob@beta.mssante.test\r\n"
    "Subject: compte rendu\r\n"
    "X-MSS-NIL: DEV935997\r\n"
    "\r\n"
    "BODY-LINE-1\r\n"
    "BODY-LINE-2\r\n";

dsn_input base() {
  dsn_input in;
  in.reporting_mta = "mx.alpha.mssante.test";
  in.sender = "alice@alpha.mssante.test";
  in.queue_id = "00000000000000AB";
  in.arrival_ms = 1767225600000;  // 2026-01-01 00:00:00 UTC
  in.original = original;
  in.date = std::chrono::system_clock::time_point(std::chrono::seconds(1767229200));  // 01:00:00
  in.message_id = "<dsn.1@mx.alpha.mssante.test>";
  in.boundary = "BOUNDARY42";
  return in;
}

dsn_recipient rcpt(dsn_action a, std::string status) {
  dsn_recipient r;
  r.final_recipient = "bob@beta.mssante.test";
  r.action = a;
  r.status = std::move(status);
  r.remote_mta = "mx.beta.mssante.test";
  r.diagnostic = "smtp; 550 5.1.1 No such user";
  r.last_attempt_ms = 1767229000000;
  return r;
}

// The body of the MIME part whose Content-Type starts with `type` (between its blank line and the next boundary).
std::string part(const std::string& m, std::string_view type) {
  auto at = m.find("Content-Type: " + std::string(type));
  REQUIRE(at != std::string::npos);
  auto body = m.find("\r\n\r\n", at);
  auto end = m.find("\r\n--BOUNDARY42", body);
  REQUIRE(end != std::string::npos);
  return m.substr(body + 4, end - body - 4);
}

bool lines_within(const std::string& m, std::size_t limit) {
  std::size_t pos = 0;
  while (pos < m.size()) {
    auto eol = m.find("\r\n", pos);
    if (eol == std::string::npos) eol = m.size();
    if (eol - pos > limit) return false;
    pos = eol + 2;
  }
  return true;
}

}  // namespace

TEST_CASE("DSN: one row per action", "[queue][dsn]") {
  struct row {
    dsn_action action;
    std::string status;
    std::string_view subject_start;
    std::string_view action_field;
    std::string_view text_en;
  };
  const row rows[] = {
      {dsn_action::failed, "5.1.1", "Subject: Undelivered Mail Returned to Sender", "Action: failed",
       "could not be delivered"},
      {dsn_action::delayed, "4.4.1", "Subject: Delayed Mail (still being retried)", "Action: delayed",
       "will be retried"},
      {dsn_action::delivered, "2.0.0", "Subject: Successful Mail Delivery Report", "Action: delivered",
       "was delivered"},
      {dsn_action::relayed, "2.0.0", "Subject: Successful Mail Delivery Report", "Action: relayed",
       "was relayed"},
  };
  for (const auto& r : rows) {
    INFO("action " << name(r.action));
    auto in = base();
    auto rc = rcpt(r.action, r.status);
    if (r.action == dsn_action::delayed) rc.will_retry_until_ms = 1767657600000;
    in.recipients = {rc};
    auto out = build_dsn(in);
    REQUIRE(out);
    const std::string& m = *out;
    CHECK(m.starts_with("From: MAILER-DAEMON@mx.alpha.mssante.test (Mail Delivery System)\r\n"));
    CHECK(m.find("\r\nTo: <alice@alpha.mssante.test>\r\n") != std::string::npos);
    CHECK(m.find(std::string(r.subject_start)) != std::string::npos);
    CHECK(m.find("Date: Thu, 01 Jan 2026 01:00:00 +0000\r\n") != std::string::npos);
    CHECK(m.find("Message-ID: <dsn.1@mx.alpha.mssante.test>\r\n") != std::string::npos);
    CHECK(m.find("Auto-Submitted: auto-replied\r\n") != std::string::npos);
    CHECK(m.find("Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"BOUNDARY42\"") !=
          std::string::npos);
    // Three parts in RFC 6522 order, and the closing boundary.
    auto text_at = m.find("Content-Type: text/plain");
    auto status_at = m.find("Content-Type: message/delivery-status");
    auto original_at = m.find("Content-Type: text/rfc822-headers");
    CHECK(text_at < status_at);
    CHECK(status_at < original_at);
    CHECK(m.ends_with("\r\n--BOUNDARY42--\r\n"));

    const std::string status = part(m, "message/delivery-status");
    CHECK(status.starts_with("Reporting-MTA: dns; mx.alpha.mssante.test\r\n"));
    CHECK(status.find("Arrival-Date: Thu, 01 Jan 2026 00:00:00 +0000\r\n") != std::string::npos);
    CHECK(status.find("\r\n\r\nFinal-Recipient: rfc822; bob@beta.mssante.test\r\n") != std::string::npos);
    CHECK(status.find(std::string(r.action_field) + "\r\n") != std::string::npos);
    CHECK(status.find("Status: " + r.status + "\r\n") != std::string::npos);
    CHECK(status.find("Remote-MTA: dns; mx.beta.mssante.test\r\n") != std::string::npos);
    CHECK(status.find("Diagnostic-Code: smtp; 550 5.1.1 No such user\r\n") != std::string::npos);
    CHECK(status.find("Last-Attempt-Date: ") != std::string::npos);
    CHECK((status.find("Will-Retry-Until: Tue, 06 Jan 2026 00:00:00 +0000") != std::string::npos) ==
          (r.action == dsn_action::delayed));
    // The human-readable part is quoted-printable UTF-8, French then English.
    const std::string text = part(m, "text/plain");
    CHECK(text.find(r.text_en) != std::string::npos);
    CHECK(text.find("=C3=A9") != std::string::npos);  // é
    CHECK(lines_within(m, 998));
    // The message is 7-bit when the original is.
    CHECK(std::none_of(m.begin(), m.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; }));
  }
}

TEST_CASE("DSN: RET=FULL returns the whole message, RET=HDRS (default) only its header", "[queue][dsn]") {
  auto in = base();
  in.recipients = {rcpt(dsn_action::failed, "5.1.1")};

  in.ret_full = false;
  auto hdrs = build_dsn(in);
  REQUIRE(hdrs);
  const std::string headers = part(*hdrs, "text/rfc822-headers");
  CHECK(headers.find("Subject: compte rendu\r\n") != std::string::npos);
  CHECK(headers.find("X-MSS-NIL: DEV935997") != std::string::npos);
  CHECK(hdrs->find("BODY-LINE-1") == std::string::npos);
  CHECK(hdrs->find("message/rfc822") == std::string::npos);

  in.ret_full = true;
  auto full = build_dsn(in);
  REQUIRE(full);
  const std::string whole = part(*full, "message/rfc822");
  CHECK(whole.find("X-MSS-NIL: DEV935997\r\n\r\nBODY-LINE-1\r\nBODY-LINE-2\r\n") != std::string::npos);
  CHECK(whole.starts_with("Received: from x by y\r\n"));
  CHECK(full->find("text/rfc822-headers") == std::string::npos);

  // An 8-bit original is declared as such.
  std::string eight = original + "caf\xc3\xa9\r\n";
  in.original = eight;
  auto with8 = build_dsn(in);
  REQUIRE(with8);
  CHECK(with8->find("Content-Type: message/rfc822\r\nContent-Transfer-Encoding: 8bit\r\n") != std::string::npos);
}

TEST_CASE("DSN: ENVID and ORCPT are reported decoded", "[queue][dsn]") {
  auto in = base();
  in.envid = "QQ314159 +x=y";  // decoded form of the xtext "QQ314159+20+2Bx+3Dy"
  auto r = rcpt(dsn_action::failed, "5.1.1");
  r.original_recipient = "rfc822;Bob+Tag@Beta.mssante.test";
  in.recipients = {r};
  auto out = build_dsn(in);
  REQUIRE(out);
  const std::string status = part(*out, "message/delivery-status");
  CHECK(status.find("Original-Envelope-Id: QQ314159 +x=y\r\n") != std::string::npos);
  CHECK(status.find("Original-Recipient: rfc822; Bob+Tag@Beta.mssante.test\r\nFinal-Recipient: rfc822; "
                    "bob@beta.mssante.test\r\n") != std::string::npos);
  // No ENVID, no ORCPT: the fields are absent.
  in = base();
  in.recipients = {rcpt(dsn_action::failed, "5.1.1")};
  auto plain = build_dsn(in);
  REQUIRE(plain);
  CHECK(plain->find("Original-Envelope-Id") == std::string::npos);
  CHECK(plain->find("Original-Recipient") == std::string::npos);
}

TEST_CASE("DSN: never about a message with a null sender, never empty", "[queue][dsn]") {
  auto in = base();
  in.recipients = {rcpt(dsn_action::failed, "5.1.1")};
  in.sender = "";
  CHECK_FALSE(build_dsn(in));
  in = base();
  CHECK_FALSE(build_dsn(in));  // no recipient to report
}

TEST_CASE("DSN: several recipients and actions in one report", "[queue][dsn]") {
  auto in = base();
  auto a = rcpt(dsn_action::relayed, "2.0.0");
  a.final_recipient = "carol@beta.mssante.test";
  a.diagnostic = "smtp; 250 2.0.0 Ok";
  in.recipients = {a, rcpt(dsn_action::failed, "5.1.1")};
  auto out = build_dsn(in);
  REQUIRE(out);
  // The most serious action names the subject; each recipient has its own group.
  CHECK(out->find("Subject: Undelivered Mail Returned to Sender") != std::string::npos);
  const std::string status = part(*out, "message/delivery-status");
  auto first = status.find("Final-Recipient: rfc822; carol@beta.mssante.test\r\nAction: relayed");
  auto second = status.find("Final-Recipient: rfc822; bob@beta.mssante.test\r\nAction: failed");
  CHECK(first != std::string::npos);
  CHECK(second != std::string::npos);
  CHECK(first < second);
}

TEST_CASE("DSN: long and hostile diagnostics are folded and cleaned", "[queue][dsn]") {
  auto in = base();
  auto r = rcpt(dsn_action::failed, "5.7.1");
  std::string diag = "smtp; 550 5.7.1";
  for (int i = 0; i < 60; ++i) diag += " word" + std::to_string(i);
  diag += " \r\nInjected: header\x01\xff " + std::string(2000, 'z');
  r.diagnostic = diag;
  in.recipients = {r};
  auto out = build_dsn(in);
  REQUIRE(out);
  CHECK(lines_within(*out, 998));
  const std::string status = part(*out, "message/delivery-status");
  // Folded: continuation lines start with a space; no line of the field goes past 78 unless it is one long word.
  auto at = status.find("Diagnostic-Code: smtp; 550 5.7.1 word0");
  REQUIRE(at != std::string::npos);
  CHECK(status.find("\r\n word", at) != std::string::npos);
  // The CRLF in the text cannot start a new field.
  CHECK(status.find("\r\nInjected:") == std::string::npos);
  CHECK(status.find(" header??\r\n") != std::string::npos);  // controls and 8-bit octets became ?
}

TEST_CASE("fold_field and header_of", "[queue][dsn]") {
  CHECK(fold_field("Status", "5.1.1") == "Status: 5.1.1\r\n");
  const std::string folded = fold_field("X", std::string(70, 'a') + " " + std::string(20, 'b'));
  CHECK(folded == "X: " + std::string(70, 'a') + "\r\n " + std::string(20, 'b') + "\r\n");
  const std::string cut = fold_field("X", std::string(1500, 'c'));
  CHECK(lines_within(cut, 998));
  CHECK(std::count(cut.begin(), cut.end(), 'c') == 1500);
  CHECK(header_of("A: 1\r\nB: 2\r\n\r\nbody\r\n") == "A: 1\r\nB: 2\r\n\r\n");
  CHECK(header_of("A: 1\r\n") == "A: 1\r\n");
  CHECK(format_date(std::chrono::system_clock::time_point(std::chrono::seconds(0))) == "Thu, 01 Jan 1970 00:00:00 +0000");
  const std::string id = make_message_id("mx.example");
  CHECK(std::regex_match(id, std::regex("<[0-9]+\\.[0-9a-f]{16}@mx\\.example>")));
  CHECK(make_boundary() != make_boundary());
}
