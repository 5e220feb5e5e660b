// The outbound SMTP conversation against scripted servers, bytes in and bytes out, no socket.
#include <catch2/catch.hpp>

#include "smtp/client/conversation.hpp"
#include "storage/queue_store.hpp"

using namespace mssgw;
using namespace mssgw::smtp::client;
using namespace std::literals;

namespace {

const std::string ehlo_full =
    "250-mx.beta.mssante.test Hello\r\n"
    "250-PIPELINING\r\n"
    "250-SIZE 10240000\r\n"
    "250-8BITMIME\r\n"
    "250-ENHANCEDSTATUSCODES\r\n"
    "250-DSN\r\n"
    "250 STARTTLS\r\n";
const std::string ehlo_tls_full =
    "250-mx.beta.mssante.test Hello\r\n"
    "250-PIPELINING\r\n"
    "250-SIZE 10240000\r\n"
    "250-8BITMIME\r\n"
    "250-ENHANCEDSTATUSCODES\r\n"
    "250 DSN\r\n";
const std::string ehlo_tls_plain =  // no PIPELINING, no DSN
    "250-mx.beta.mssante.test\r\n"
    "250 ENHANCEDSTATUSCODES\r\n";

envelope make_envelope(std::size_t n = 1) {
  envelope e;
  e.sender = "alice@alpha.mssante.test";
  for (std::size_t i = 0; i < n; ++i) e.recipients.push_back({"r" + std::to_string(i) + "@beta.mssante.test", 0, ""});
  return e;
}

// Drives a conversation: each call gives it what the server sends and returns what the client sends back.
struct harness {
  explicit harness(envelope env, std::string body = "Subject: t\r\n\r\nhello\r\n")
      : harness(conversation::settings{"mx.alpha.mssante.test", {}}, std::move(env), std::move(body)) {}
  harness(conversation::settings s, envelope env, std::string body)
      : c(std::move(s), std::move(env), std::make_shared<const std::string>(std::move(body))) {}

  std::string server(std::string_view bytes) {
    in.append(bytes);
    std::string out;
    last = c.feed(in, out);
    in.erase(0, last.consumed);
    return out;
  }
  // Feeds one byte at a time (every split point of the reply stream).
  std::string server_bytewise(std::string_view bytes) {
    std::string out;
    for (char ch : bytes) {
      in.push_back(ch);
      last = c.feed(in, out);
      in.erase(0, last.consumed);
    }
    return out;
  }
  std::string tls(bool accept = true) {
    REQUIRE(last.next == step::kind::start_tls);
    std::string out;
    tls_verdict v;
    v.accept = accept;
    if (!accept) v.reason = "DN not listed for beta.mssante.test";
    last = c.tls_ready(v, out);
    return out;
  }
  // Greeting, EHLO, STARTTLS, TLS, EHLO again: returns what the client sends after the second EHLO reply.
  std::string up_to_mail(const std::string& ehlo_after_tls = ehlo_tls_full) {
    CHECK(server("220 mx.beta.mssante.test ESMTP\r\n") == "EHLO mx.alpha.mssante.test\r\n");
    CHECK(server(ehlo_full) == "STARTTLS\r\n");
    CHECK(server("220 2.0.0 Ready to start TLS\r\n").empty());
    CHECK(tls() == "EHLO mx.alpha.mssante.test\r\n");
    return server(ehlo_after_tls);
  }

  conversation c;
  std::string in;
  step last;
};

}  // namespace

TEST_CASE("EHLO parsing", "[client][ehlo]") {
  smtp::proto::reply r{250, "", {"mx Hello", "PIPELINING", "size 1000", "8BITMIME", "DSN", "STARTTLS", "SMTPUTF8",
                                 "CHUNKING", "ENHANCEDSTATUSCODES", "AUTH PLAIN"}};
  auto e = parse_ehlo(r);
  CHECK(e.pipelining);
  CHECK(e.size);
  CHECK(e.max_size == 1000);
  CHECK(e.eightbitmime);
  CHECK(e.dsn);
  CHECK(e.starttls);
  CHECK(e.smtputf8);
  CHECK(e.chunking);
  CHECK(e.enhancedstatuscodes);
  // The first line is the greeting, never an extension.
  auto g = parse_ehlo({250, "", {"STARTTLS"}});
  CHECK_FALSE(g.starttls);
  CHECK(parse_ehlo({250, "", {"x", "SIZE"}}).max_size == 0);
}

TEST_CASE("pipelined delivery with DSN parameters", "[client][conversation]") {
  envelope env = make_envelope(2);
  env.envid = "QQ314159 +x";
  env.ret_full = true;
  env.recipients[0].notify = storage::notify_success | storage::notify_failure;
  env.recipients[0].orcpt = "rfc822;R0+tag@Beta.mssante.test";
  env.recipients[1].notify = storage::notify_never;
  const std::string body = "Subject: t\r\n\r\n.hidden dot\r\nlast\r\n";
  harness h(env, body);
  const std::string group = h.up_to_mail();
  // RFC 2920: MAIL, every RCPT and DATA in one write; RFC 3461 parameters, xtext-encoded.
  CHECK(group ==
        "MAIL FROM:<alice@alpha.mssante.test> SIZE=" + std::to_string(body.size()) +
            " RET=FULL ENVID=QQ314159+20+2Bx\r\n"
            "RCPT TO:<r0@beta.mssante.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;R0+2Btag@Beta.mssante.test\r\n"
            "RCPT TO:<r1@beta.mssante.test> NOTIFY=NEVER\r\n"
            "DATA\r\n");
  CHECK(h.last.timeout == timeout_kind::command);
  // Replies in order; the body goes after 354, dot-stuffed, ended by CRLF.CRLF.
  CHECK(h.server("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n").empty());
  CHECK(h.last.timeout == timeout_kind::command);
  CHECK(h.server("250 2.1.5 Ok\r\n").empty());
  CHECK(h.last.timeout == timeout_kind::data_init);
  CHECK(h.server("354 End data with <CR><LF>.<CR><LF>\r\n") == "Subject: t\r\n\r\n..hidden dot\r\nlast\r\n.\r\n");
  CHECK(h.last.timeout == timeout_kind::data_end);
  CHECK(h.server("250 2.0.0 Ok: queued as ABC\r\n") == "QUIT\r\n");
  CHECK_FALSE(h.c.done());
  CHECK(h.server("221 2.0.0 Bye\r\n").empty());
  CHECK(h.last.next == step::kind::close);
  CHECK(h.c.done());
  CHECK_FALSE(h.c.retry_elsewhere());
  CHECK(h.c.extensions().dsn);
  for (const auto& r : h.c.results()) {
    CHECK(r.final);
    CHECK(r.result == outcome::delivered);
    CHECK(r.code == 250);
    CHECK(r.enhanced == "2.0.0");
    CHECK(r.diagnostic == "smtp; 250 2.0.0 Ok: queued as ABC");
  }
}

TEST_CASE("without PIPELINING and DSN: one command at a time, no DSN parameters", "[client][conversation]") {
  envelope env = make_envelope(2);
  env.envid = "E1";
  env.ret_full = true;
  env.recipients[0].notify = storage::notify_success;
  env.recipients[0].orcpt = "rfc822;x@y";
  harness h(env);
  CHECK(h.up_to_mail(ehlo_tls_plain) == "MAIL FROM:<alice@alpha.mssante.test>\r\n");
  CHECK(h.server("250 2.1.0 Ok\r\n") == "RCPT TO:<r0@beta.mssante.test>\r\n");
  CHECK(h.server("250 2.1.5 Ok\r\n") == "RCPT TO:<r1@beta.mssante.test>\r\n");
  CHECK(h.server("550 5.1.1 <r1@beta.mssante.test>: Recipient address rejected\r\n") == "DATA\r\n");
  CHECK(h.last.timeout == timeout_kind::data_init);
  CHECK(h.server("354 go\r\n").ends_with("\r\n.\r\n"));
  CHECK(h.server("250 2.0.0 Ok\r\n") == "QUIT\r\n");
  h.server("221 bye\r\n");
  REQUIRE(h.c.results().size() == 2);
  CHECK(h.c.results()[0].result == outcome::delivered);
  CHECK(h.c.results()[1].result == outcome::failed);
  CHECK(h.c.results()[1].code == 550);
  CHECK(h.c.results()[1].enhanced == "5.1.1");
  CHECK(h.c.results()[1].diagnostic == "smtp; 550 5.1.1 <r1@beta.mssante.test>: Recipient address rejected");
  CHECK_FALSE(h.c.extensions().dsn);
}

TEST_CASE("per-recipient results: 250, 451 and 550", "[client][conversation]") {
  harness h(make_envelope(3));
  h.up_to_mail();
  // The server answers the whole group in one packet, one byte at a time.
  std::string out = h.server_bytewise("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n451 4.2.1 Mailbox busy\r\n"
                                      "550 5.1.1 No such user\r\n354 Go ahead\r\n");
  CHECK(out.ends_with("hello\r\n.\r\n"));
  CHECK(h.server("250 2.0.0 Ok\r\n") == "QUIT\r\n");
  const auto& r = h.c.results();
  CHECK(r[0].result == outcome::delivered);
  CHECK(r[1].result == outcome::deferred);
  CHECK(r[1].diagnostic == "smtp; 451 4.2.1 Mailbox busy");
  CHECK(r[2].result == outcome::failed);
  CHECK(r[2].enhanced == "5.1.1");
}

TEST_CASE("a temporary or permanent refusal of the data", "[client][conversation]") {
  for (auto [reply, expected] : {std::pair{"451 4.3.0 Try again later\r\n"sv, outcome::deferred},
                                 std::pair{"554 5.6.0 Content rejected\r\n"sv, outcome::failed}}) {
    harness h(make_envelope(2));
    h.up_to_mail();
    h.server("250 Ok\r\n250 Ok\r\n250 Ok\r\n354 Go\r\n");
    CHECK(h.server(reply) == "QUIT\r\n");
    for (const auto& r : h.c.results()) CHECK(r.result == expected);
    // Codes without an enhanced status get one from their class.
    harness g(make_envelope(1));
    g.up_to_mail(ehlo_tls_plain);
    g.server("250 Ok\r\n");
    g.server("250 Ok\r\n");
    g.server("354 Go\r\n");
    g.server(expected == outcome::deferred ? "421 closing\r\n" : "552 too big\r\n");
    CHECK(g.c.results()[0].enhanced == (expected == outcome::deferred ? "4.0.0" : "5.0.0"));
  }
}

TEST_CASE("MAIL refused under pipelining: every reply of the group is consumed", "[client][conversation]") {
  for (auto [mail, expected] : {std::pair{"550 5.7.1 Sender refused\r\n"sv, outcome::failed},
                                std::pair{"451 4.3.2 Not now\r\n"sv, outcome::deferred}}) {
    harness h(make_envelope(2));
    h.up_to_mail();
    std::string replies(mail);
    replies += "503 5.5.1 No sender\r\n503 5.5.1 No sender\r\n503 5.5.1 No valid recipients\r\n";
    CHECK(h.server(replies) == "QUIT\r\n");
    for (const auto& r : h.c.results()) {
      CHECK(r.result == expected);
      CHECK(r.diagnostic == "smtp; " + std::string(mail.substr(0, mail.size() - 2)));
    }
    CHECK_FALSE(h.c.retry_elsewhere());
  }
}

TEST_CASE("every RCPT refused but DATA accepted: an empty message, its reply ignored (RFC 2920 §3.1)",
          "[client][conversation]") {
  harness h(make_envelope(1));
  h.up_to_mail();
  CHECK(h.server("250 Ok\r\n550 5.1.1 No\r\n354 Go\r\n") == ".\r\n");
  CHECK(h.server("554 5.5.1 No valid recipients\r\n") == "QUIT\r\n");
  CHECK(h.c.results()[0].result == outcome::failed);
  CHECK(h.c.results()[0].enhanced == "5.1.1");
}

TEST_CASE("no STARTTLS: temporary failure, no plaintext mail", "[client][conversation]") {
  harness h(make_envelope(2));
  CHECK(h.server("220 mx ESMTP\r\n") == "EHLO mx.alpha.mssante.test\r\n");
  CHECK(h.server("250-mx\r\n250-PIPELINING\r\n250 DSN\r\n") == "QUIT\r\n");
  h.server("221 bye\r\n");
  CHECK(h.c.done());
  CHECK(h.c.retry_elsewhere());  // another MX may offer TLS
  for (const auto& r : h.c.results()) {
    CHECK(r.result == outcome::deferred);
    CHECK(r.enhanced == "4.7.4");
    CHECK(r.diagnostic == "x-mssgw; TLS is required, but the server did not offer STARTTLS");
  }
}

TEST_CASE("STARTTLS refused, greeting refused, EHLO refused: deferred, try elsewhere", "[client][conversation]") {
  {
    harness h(make_envelope());
    h.server("220 mx\r\n");
    h.server(ehlo_full);
    CHECK(h.server("454 4.7.0 TLS not available\r\n") == "QUIT\r\n");
    CHECK(h.c.results()[0].result == outcome::deferred);
    CHECK(h.c.results()[0].enhanced == "4.7.4");
    CHECK(h.c.retry_elsewhere());
  }
  {
    harness h(make_envelope());
    CHECK(h.last.timeout == timeout_kind::command);
    CHECK(h.server("").empty());
    CHECK(h.last.timeout == timeout_kind::greeting);
    CHECK(h.server("554 5.7.1 Go away\r\n") == "QUIT\r\n");
    CHECK(h.c.results()[0].result == outcome::deferred);  // another MX may accept
    CHECK(h.c.results()[0].enhanced == "4.7.1");
    CHECK(h.c.results()[0].code == 554);
    CHECK(h.c.retry_elsewhere());
  }
  {
    harness h(make_envelope());
    h.server("220 mx\r\n");
    CHECK(h.server("502 5.5.1 EHLO not supported\r\n") == "QUIT\r\n");  // no HELO: it cannot do STARTTLS
    CHECK(h.c.results()[0].result == outcome::deferred);
  }
}

TEST_CASE("server certificate not accepted by the trust space: deferred, QUIT over TLS", "[client][conversation]") {
  harness h(make_envelope(2));
  h.server("220 mx\r\n");
  h.server(ehlo_full);
  h.server("220 go\r\n");
  CHECK(h.tls(false) == "QUIT\r\n");
  h.server("221 bye\r\n");
  CHECK(h.c.done());
  CHECK(h.c.retry_elsewhere());
  for (const auto& r : h.c.results()) {
    CHECK(r.result == outcome::deferred);
    CHECK(r.code == 451);
    CHECK(r.enhanced == "4.7.1");
    CHECK(r.diagnostic == "x-mssgw; DN not listed for beta.mssante.test");
  }
}

TEST_CASE("first read after the handshake fails: our certificate was refused", "[client][conversation]") {
  harness h(make_envelope());
  h.server("220 mx\r\n");
  h.server(ehlo_full);
  h.server("220 go\r\n");
  h.tls();
  h.c.io_failed(io_error::other, "tlsv13 alert certificate required");
  CHECK(h.c.client_certificate_refused());
  CHECK(h.c.done());
  CHECK(h.c.retry_elsewhere());
  const auto& r = h.c.results()[0];
  CHECK(r.result == outcome::deferred);
  CHECK(r.enhanced == "4.7.5");
  CHECK(r.diagnostic.find("refused our client certificate") != std::string::npos);
  CHECK(r.diagnostic.find("tlsv13 alert certificate required") != std::string::npos);
  // A later failure is not blamed on the certificate.
  harness g(make_envelope());
  g.up_to_mail();
  g.c.io_failed(io_error::closed, "end of file");
  CHECK_FALSE(g.c.client_certificate_refused());
  CHECK(g.c.results()[0].enhanced == "4.4.2");
}

TEST_CASE("bytes after the 220 to STARTTLS are refused (response injection)", "[client][conversation]") {
  harness h(make_envelope());
  h.server("220 mx\r\n");
  h.server(ehlo_full);
  CHECK(h.server("220 go\r\n250-injected\r\n250 STARTTLS\r\n").empty());
  CHECK(h.last.next == step::kind::close);
  CHECK(h.c.results()[0].result == outcome::deferred);
  CHECK(h.c.results()[0].diagnostic.find("after its STARTTLS reply") != std::string::npos);
}

TEST_CASE("SIZE over the server's limit is a permanent failure (RFC 1870)", "[client][conversation]") {
  harness h(make_envelope(), std::string(2000, 'x') + "\r\n");
  CHECK(h.up_to_mail("250-mx\r\n250 SIZE 1000\r\n") == "QUIT\r\n");
  CHECK(h.c.results()[0].result == outcome::failed);
  CHECK(h.c.results()[0].enhanced == "5.3.4");
}

TEST_CASE("8-bit bodies get BODY=8BITMIME, UTF-8 addresses need SMTPUTF8", "[client][conversation]") {
  const std::string body = "Subject: caf\xc3\xa9\r\n\r\n\xc3\xa9t\xc3\xa9\r\n";
  harness h(make_envelope(), body);
  CHECK(h.up_to_mail().starts_with("MAIL FROM:<alice@alpha.mssante.test> SIZE=" + std::to_string(body.size()) +
                                   " BODY=8BITMIME\r\n"));
  envelope env = make_envelope();
  env.recipients[0].address = "j\xc3\xa9r\xc3\xb4me@beta.mssante.test";
  harness u(env);
  CHECK(u.up_to_mail() == "QUIT\r\n");
  CHECK(u.c.results()[0].result == outcome::failed);
  CHECK(u.c.results()[0].enhanced == "5.6.7");
  harness v(env);
  CHECK(v.up_to_mail("250-mx\r\n250 SMTPUTF8\r\n").starts_with("MAIL FROM:<alice@alpha.mssante.test> SMTPUTF8\r\n"));
}

TEST_CASE("lost connection and timeouts: every open recipient deferred", "[client][conversation]") {
  {
    harness h(make_envelope(2));
    h.up_to_mail();
    h.server("250 Ok\r\n250 Ok\r\n550 5.1.1 No\r\n354 Go\r\n");
    h.c.io_failed(io_error::timeout, "timed out");
    CHECK(h.c.results()[0].result == outcome::deferred);  // possibly delivered: a duplicate beats a loss
    CHECK(h.c.results()[0].diagnostic == "x-mssgw; timeout waiting for the server (end of data)");
    CHECK(h.c.results()[1].result == outcome::failed);  // already final
    CHECK_FALSE(h.c.retry_elsewhere());
  }
  {
    harness h(make_envelope());
    h.c.io_failed(io_error::connect, "mx[127.0.0.1:25]: Connection refused");
    CHECK(h.c.results()[0].enhanced == "4.4.1");
    CHECK(h.c.results()[0].diagnostic == "x-mssgw; cannot connect: mx[127.0.0.1:25]: Connection refused");
    CHECK(h.c.retry_elsewhere());
  }
  {
    harness h(make_envelope());
    h.server("220 mx\r\n");
    h.server(ehlo_full);
    h.server("220 go\r\n");
    h.c.io_failed(io_error::tls_handshake, "certificate verify failed");
    CHECK(h.c.results()[0].enhanced == "4.7.5");
    CHECK(h.c.results()[0].diagnostic == "x-mssgw; TLS handshake failed: certificate verify failed");
  }
  {  // once the results are known, a lost QUIT reply changes nothing
    harness h(make_envelope());
    h.up_to_mail();
    h.server("250 Ok\r\n250 Ok\r\n354 Go\r\n");
    h.server("250 Ok\r\n");
    h.c.io_failed(io_error::closed, "eof");
    CHECK(h.c.results()[0].result == outcome::delivered);
  }
}

TEST_CASE("malformed replies end the session", "[client][conversation]") {
  harness h(make_envelope());
  CHECK(h.server("hello there\r\n").empty());
  CHECK(h.last.next == step::kind::close);
  CHECK(h.c.results()[0].result == outcome::deferred);
  CHECK(h.c.results()[0].enhanced == "4.5.0");
  harness g(make_envelope());
  g.server("220-mx\r\n230 mixed codes\r\n");
  CHECK(g.last.next == step::kind::close);
  CHECK(g.c.results()[0].result == outcome::deferred);
}

TEST_CASE("timeouts per phase (RFC 5321 §4.5.3.2)", "[client][conversation]") {
  timeouts t;
  CHECK(t.of(timeout_kind::greeting) == 300s);
  CHECK(t.of(timeout_kind::command) == 300s);
  CHECK(t.of(timeout_kind::data_init) == 120s);
  CHECK(t.of(timeout_kind::data_block) == 180s);
  CHECK(t.of(timeout_kind::data_end) == 600s);
}

namespace {

conversation::settings parking() {
  conversation::settings s{"mx.alpha.mssante.test", {}};
  s.park = true;
  return s;
}

// Runs a resumed conversation: returns what it sends first.
std::string resume(conversation& c, step& last) {
  std::string out;
  last = c.feed("", out);
  return out;
}

}  // namespace

TEST_CASE("connection reuse: the transaction ends with RSET and the session parks", "[client][conversation][reuse]") {
  harness h(parking(), make_envelope(1), "Subject: t\r\n\r\nhi\r\n");
  h.up_to_mail();
  CHECK(h.server("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 go\r\n") == "Subject: t\r\n\r\nhi\r\n.\r\n");
  CHECK(h.server("250 2.0.0 Ok: queued\r\n") == "RSET\r\n");
  CHECK_FALSE(h.c.parked());
  CHECK(h.server("250 2.0.0 Ok\r\n").empty());
  CHECK(h.last.next == step::kind::park);
  CHECK(h.c.parked());
  CHECK(h.c.results()[0].result == outcome::delivered);
  CHECK_FALSE(h.c.stale());

  SECTION("a refused RSET: QUIT, not parked") {
    harness g(parking(), make_envelope(1), "x\r\n");
    g.up_to_mail();
    g.server("250 Ok\r\n250 Ok\r\n354 go\r\n");
    CHECK(g.server("250 Ok\r\n") == "RSET\r\n");
    CHECK(g.server("421 4.3.2 closing\r\n") == "QUIT\r\n");
    CHECK_FALSE(g.c.parked());
    CHECK(g.c.results()[0].result == outcome::delivered);  // the message's result stands
  }
  SECTION("bytes after the RSET reply: QUIT, not parked") {
    harness g(parking(), make_envelope(1), "x\r\n");
    g.up_to_mail();
    g.server("250 Ok\r\n250 Ok\r\n354 go\r\n");
    g.server("250 Ok\r\n");
    CHECK(g.server("250 Ok\r\n250 extra\r\n") == "QUIT\r\n");
    CHECK_FALSE(g.c.parked());
  }
  SECTION("every recipient refused: RSET as well") {
    harness g(parking(), make_envelope(1), "x\r\n");
    g.up_to_mail();
    CHECK(g.server("250 Ok\r\n550 5.1.1 unknown\r\n554 5.5.1 no valid recipients\r\n") == "RSET\r\n");
    g.server("250 Ok\r\n");
    CHECK(g.c.parked());
    CHECK(g.c.results()[0].result == outcome::failed);
  }
  SECTION("without park: QUIT as before") {
    harness g(make_envelope(1));
    g.up_to_mail();
    g.server("250 Ok\r\n250 Ok\r\n354 go\r\n");
    CHECK(g.server("250 Ok\r\n") == "QUIT\r\n");
  }
}

TEST_CASE("connection reuse: a resumed session starts at MAIL FROM", "[client][conversation][reuse]") {
  smtp::proto::reply ehlo{250, "", {"mx Hello", "PIPELINING", "SIZE 100", "DSN", "ENHANCEDSTATUSCODES"}};
  const server_extensions server = parse_ehlo(ehlo);
  envelope env = make_envelope(2);
  env.recipients[0].notify = storage::notify_failure;
  conversation c(parking(), env, std::make_shared<const std::string>("Subject: t\r\n\r\nhi\r\n"), server);
  step last;
  CHECK(resume(c, last) ==
        "MAIL FROM:<alice@alpha.mssante.test> SIZE=18\r\n"
        "RCPT TO:<r0@beta.mssante.test> NOTIFY=FAILURE\r\n"
        "RCPT TO:<r1@beta.mssante.test>\r\n"
        "DATA\r\n");
  CHECK(last.next == step::kind::read);
  CHECK(c.tls_active());
  std::string out;
  last = c.feed("250 Ok\r\n250 Ok\r\n451 4.2.0 later\r\n354 go\r\n", out);
  CHECK(out == "Subject: t\r\n\r\nhi\r\n.\r\n");
  out.clear();
  last = c.feed("250 2.0.0 queued\r\n", out);
  CHECK(out == "RSET\r\n");
  out.clear();
  last = c.feed("250 2.0.0 Ok\r\n", out);
  CHECK(last.next == step::kind::park);
  CHECK(c.results()[0].result == outcome::delivered);
  CHECK(c.results()[1].result == outcome::deferred);
  CHECK_FALSE(c.stale());
}

TEST_CASE("connection reuse: a dead parked connection is stale, nothing counted", "[client][conversation][reuse]") {
  const server_extensions server = parse_ehlo({250, "", {"mx", "PIPELINING"}});
  SECTION("closed before any reply") {
    conversation c(parking(), make_envelope(1), std::make_shared<const std::string>("x\r\n"), server);
    step last;
    resume(c, last);
    c.io_failed(io_error::closed, "end of file");
    CHECK(c.stale());
    CHECK(c.retry_elsewhere());
    CHECK(c.results()[0].result == outcome::deferred);
  }
  SECTION("421 to MAIL: the server closed the idle session (RFC 5321 §3.8), stale too") {
    conversation c(parking(), make_envelope(1), std::make_shared<const std::string>("x\r\n"), server);
    step last;
    resume(c, last);
    std::string out;
    c.feed("421 4.4.2 mx Error: timeout exceeded\r\n", out);
    c.io_failed(io_error::closed, "end of file");
    CHECK(c.stale());
  }
  SECTION("another refusal of MAIL is the server's answer, not a dead connection") {
    conversation c(parking(), make_envelope(1), std::make_shared<const std::string>("x\r\n"), server);
    step last;
    resume(c, last);
    std::string out;
    c.feed("451 4.3.0 try later\r\n", out);
    CHECK_FALSE(c.stale());
    CHECK(c.results()[0].result == outcome::deferred);
  }
  SECTION("lost after MAIL was answered: not stale (the server may hold the message)") {
    conversation c(parking(), make_envelope(1), std::make_shared<const std::string>("x\r\n"), server);
    step last;
    resume(c, last);
    std::string out;
    c.feed("250 Ok\r\n250 Ok\r\n354 go\r\n", out);
    c.io_failed(io_error::closed, "end of file");
    CHECK_FALSE(c.stale());
  }
  SECTION("too big for the server: failed before anything is sent, still parked") {
    const server_extensions small = parse_ehlo({250, "", {"mx", "SIZE 2"}});
    conversation c(parking(), make_envelope(1), std::make_shared<const std::string>("xyz\r\n"), small);
    step last;
    CHECK(resume(c, last).empty());
    CHECK(last.next == step::kind::park);
    CHECK(c.parked());
    CHECK(c.results()[0].result == outcome::failed);
    CHECK(c.results()[0].enhanced == "5.3.4");
  }
}
