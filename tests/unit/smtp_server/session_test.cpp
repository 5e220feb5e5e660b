// Dialog tests of the SMTP session: whole conversations, bytes in and bytes out, no socket (STYLE.md: Stalwart's
// dialog tests). A scripted policy stands in for the trust space and the directory, whose own tests cover them;
// the integration tests run the real ones.
#include <catch2/catch.hpp>

#include <regex>

#include "smtp/proto/codec.hpp"
#include "smtp/server/session.hpp"

using namespace mssgw::smtp;
using namespace mssgw::smtp::server;

namespace {

struct scripted_exchange : sasl_exchange {
  std::string password;
  sasl_step step(const std::optional<std::string>& response) override {
    if (!response) {
      sasl_step c;
      c.what = sasl_step::kind::challenge;
      return c;
    }
    // PLAIN-like: authzid \0 user \0 password
    auto first = response->find('\0'), second = response->find('\0', first + 1);
    sasl_step failed;
    failed.log_reason = "malformed";
    if (first == std::string::npos || second == std::string::npos) return failed;
    std::string user = response->substr(first + 1, second - first - 1), pass = response->substr(second + 1);
    failed.log_reason = "bad password";
    failed.throttle_identity = user;
    if (pass != password) return failed;
    sasl_step ok;
    ok.what = sasl_step::kind::success;
    ok.who = {mssgw::auth::identity::local_user(user, mssgw::auth::mechanism_kind::plain), ""};
    return ok;
  }
};

struct scripted_policy : policy {
  std::string listed_dn = "CN=mx.beta.mssante.test,O=GCS BETA SANTE,C=FR";
  std::vector<std::string> local = {"dupont@alpha.mssante.test", "secretariat@alpha.mssante.test"};
  std::string remote_domain = "beta.mssante.test";
  std::chrono::milliseconds delay{0};

  verdict mx_sender(const tls_facts& tls, const proto::path& sender) override {
    if (!tls.peer_verified) return verdict::refuse(550, "5.7.1", "Not authorised", "no client certificate");
    if (tls.peer_subject != listed_dn) return verdict::refuse(550, "5.7.1", "Not authorised", "DN not listed");
    (void)sender;
    return verdict::accept();
  }
  verdict mx_recipient(const proto::path& r, routed_recipient& out) override {
    const std::string address = proto::to_lower(r.normalised());  // BAL addresses are case-insensitive
    for (std::size_t i = 0; i < local.size(); ++i) {
      if (address == local[i]) {
        out = {local[i], destination::local, 100 + i};
        return verdict::accept();
      }
    }
    return verdict::refuse(550, "5.1.1", "Mailbox unavailable", "no such BAL");
  }
  std::vector<std::string> sasl_mechanisms(const tls_facts&) override { return {"PLAIN"}; }
  std::unique_ptr<sasl_exchange> start_sasl(std::string_view mech, const tls_facts&, std::string_view) override {
    if (mech != "PLAIN") return nullptr;
    auto e = std::make_unique<scripted_exchange>();
    e->password = "secret";
    return e;
  }
  std::chrono::milliseconds auth_failed(std::string_view, std::string_view) override { return delay; }
  void auth_succeeded(const authenticated&) override {}
  verdict submission_sender(const authenticated& a, const proto::path& sender) override {
    if (sender.normalised() != a.who.id) return verdict::refuse(553, "5.7.1", "Sender not owned", "not yours");
    return verdict::accept();
  }
  verdict submission_recipient(const authenticated&, const proto::path&, const proto::path& r,
                               routed_recipient& out) override {
    if (r.domain == remote_domain) {
      out = {r.normalised(), destination::remote, 0};
      return verdict::accept();
    }
    if (mx_recipient(r, out).accepted) return verdict::accept();
    return verdict::refuse(550, "5.7.1", "Recipient not in the MSSanté trust space", "domain not whitelisted");
  }
};

tls_facts beta_tls() {
  tls_facts f;
  f.active = true;
  f.version = "TLSv1.3";
  f.cipher = "TLS_AES_256_GCM_SHA384";
  f.peer_verified = true;
  f.peer_subject = "CN=mx.beta.mssante.test,O=GCS BETA SANTE,C=FR";
  return f;
}

// Plays the driver: feeds `client` in pieces of `chunk` bytes (0: all at once), performs the steps, and records
// what the server sent and what it committed.
struct transcript {
  std::string server;
  std::vector<std::shared_ptr<const pending_message>> committed;
  bool closed = false;
  int delays = 0;
};

transcript converse(session& s, std::string_view client, std::size_t chunk, const tls_facts& tls_after_starttls) {
  transcript t;
  t.server += s.greeting();
  std::string buffer;
  std::size_t sent = 0;
  while (!t.closed) {
    std::size_t n = chunk == 0 ? client.size() - sent : std::min(chunk, client.size() - sent);
    buffer.append(client.substr(sent, n));
    sent += n;
    for (;;) {
      std::string out;
      step st = s.feed(buffer, out);
      buffer.erase(0, st.consumed);
      t.server += out;
      if (st.next == step::kind::read) break;
      if (st.next == step::kind::close) {
        t.closed = true;
        break;
      }
      if (st.next == step::kind::start_tls) {
        buffer.clear();
        s.tls_started(tls_after_starttls);
      } else if (st.next == step::kind::commit) {
        t.committed.push_back(s.pending());
        std::string reply;
        s.committed({}, reply);
        t.server += reply;
      } else if (st.next == step::kind::delay) {
        ++t.delays;
        std::string reply;
        s.resume(reply);
        t.server += reply;
      }
    }
    if (sent == client.size()) break;
  }
  return t;
}

session_settings mx_settings() {
  session_settings s;
  s.kind = listener_kind::mx;
  s.hostname = "mx.alpha.mssante.test";
  s.max_message_size = 1000;
  s.now = [] { return std::chrono::system_clock::from_time_t(1795000000); };
  return s;
}

// The server's replies with queue ids masked, for comparing runs.
std::string masked(std::string s) { return std::regex_replace(s, std::regex("queued as [0-9A-F]{16}"), "queued as ID"); }

}  // namespace

TEST_CASE("session (MX): STARTTLS, trust-space sender, local recipients, DATA, durable 250", "[smtp][session]") {
  const std::string client =
      "EHLO mx.beta.mssante.test\r\n"
      "MAIL FROM:<a@beta.mssante.test>\r\n"   // before TLS: 530
      "STARTTLS\r\n";
  const std::string after_tls =
      "EHLO mx.beta.mssante.test\r\n"
      "MAIL FROM:<a@beta.mssante.test> SIZE=200\r\n"
      "RCPT TO:<Dupont@Alpha.MSSante.test>\r\n"
      "RCPT TO:<nobody@alpha.mssante.test>\r\n"
      "DATA\r\n"
      "Subject: test\r\n\r\n..leading dot\r\nline\r\n.\r\n"
      "QUIT\r\n";
  scripted_policy pol;
  session s(mx_settings(), pol, {"192.0.2.7", 40000, "S1"});
  auto t1 = converse(s, client, 0, beta_tls());
  CHECK_THAT(t1.server, Catch::StartsWith("220 mx.alpha.mssante.test ESMTP\r\n250-mx.alpha.mssante.test\r\n"));
  CHECK_THAT(t1.server, Catch::Contains("250-STARTTLS\r\n"));
  CHECK_THAT(t1.server, Catch::Contains("530 5.7.0 Must issue a STARTTLS command first\r\n"));
  CHECK_THAT(t1.server, Catch::EndsWith("220 2.0.0 Ready to start TLS\r\n"));
  CHECK(s.tls().active);

  std::string out;
  std::string buffer = after_tls;
  transcript t2;
  for (;;) {
    step st = s.feed(buffer, out);
    buffer.erase(0, st.consumed);
    if (st.next == step::kind::commit) {
      t2.committed.push_back(s.pending());
      s.committed({}, out);
      continue;
    }
    if (st.next == step::kind::close || st.next == step::kind::read) break;
  }
  CHECK_THAT(out, !Catch::Contains("STARTTLS"));  // not offered again under TLS
  CHECK_THAT(out, Catch::Contains("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n550 5.1.1 Mailbox unavailable\r\n354 "));
  CHECK(std::regex_search(out, std::regex("250 2.0.0 Ok: queued as [0-9A-F]{16}\r\n221 2.0.0 Bye\r\n$")));
  REQUIRE(t2.committed.size() == 1);
  const auto& m = *t2.committed[0];
  CHECK(m.sender == "a@beta.mssante.test");
  REQUIRE(m.recipients.size() == 1);
  CHECK(m.recipients[0].route.address == "dupont@alpha.mssante.test");
  CHECK(m.recipients[0].route.inbox == 100);
  CHECK_THAT(m.content, Catch::StartsWith("Received: from mx.beta.mssante.test ([192.0.2.7])\r\n"
                                          "\tby mx.alpha.mssante.test (mssgw) with ESMTPS (TLSv1.3 cipher "
                                          "TLS_AES_256_GCM_SHA384)\r\n"
                                          "\t(client certificate \"CN=mx.beta.mssante.test,O=GCS BETA SANTE,C=FR\" "
                                          "verified)\r\n\tid " + m.id + "\r\n\tfor <dupont@alpha.mssante.test>;\r\n"));
  CHECK_THAT(m.content, Catch::EndsWith("Subject: test\r\n\r\n.leading dot\r\nline\r\n"));  // dot-unstuffed
  CHECK_THAT(m.content, Catch::Contains("Wed, 18 Nov 2026"));
}

TEST_CASE("session (MX): the trust-space refusal and a DN that is not listed", "[smtp][session]") {
  scripted_policy pol;
  session s(mx_settings(), pol, {"192.0.2.7", 40000, "S2"});
  tls_facts rogue = beta_tls();
  rogue.peer_subject = "CN=mx.rogue.test,C=FR";
  auto t = converse(s, "EHLO x\r\nSTARTTLS\r\n", 0, rogue);
  std::string out;
  std::string in = "EHLO x\r\nMAIL FROM:<a@beta.mssante.test>\r\n";
  s.feed(in, out);
  CHECK_THAT(out, Catch::EndsWith("550 5.7.1 Not authorised\r\n"));
}

TEST_CASE("session: plaintext pipelined after STARTTLS is refused and the connection closed", "[smtp][session]") {
  scripted_policy pol;
  session s(mx_settings(), pol, {"192.0.2.7", 40000, "S3"});
  auto t = converse(s, "EHLO x\r\nSTARTTLS\r\nMAIL FROM:<evil@x.test>\r\n", 0, beta_tls());
  CHECK_THAT(t.server, Catch::EndsWith("554 5.5.1 Error: pipelined input after STARTTLS\r\n"));
  CHECK(t.closed);
  CHECK_FALSE(s.tls().active);
}

TEST_CASE("session: bare LF in DATA is refused after the real end of data, nothing is committed", "[smtp][session]") {
  scripted_policy pol;
  session s(mx_settings(), pol, {"192.0.2.7", 40000, "S4"});
  converse(s, "EHLO x\r\nSTARTTLS\r\n", 0, beta_tls());
  const std::string smuggle =
      "EHLO x\r\nMAIL FROM:<a@beta.mssante.test>\r\nRCPT TO:<dupont@alpha.mssante.test>\r\nDATA\r\n"
      "Subject: x\r\n\r\nhello\n.\nMAIL FROM:<forged@beta.mssante.test>\r\n.\r\nNOOP\r\n";
  std::string out, buffer = smuggle;
  int commits = 0;
  for (;;) {
    step st = s.feed(buffer, out);
    buffer.erase(0, st.consumed);
    if (st.next == step::kind::commit) ++commits;
    if (st.next != step::kind::commit) break;
  }
  CHECK(commits == 0);
  CHECK_THAT(out, Catch::EndsWith("354 End data with <CR><LF>.<CR><LF>\r\n550 5.5.2 Bare CR or LF not allowed\r\n"
                                  "250 2.0.0 Ok\r\n"));
}

TEST_CASE("session: size limit while streaming, SIZE parameter, recipient limit, error limit", "[smtp][session]") {
  scripted_policy pol;
  auto settings = mx_settings();
  settings.max_recipients = 1;
  settings.max_errors = 4;
  session s(settings, pol, {"192.0.2.7", 40000, "S5"});
  converse(s, "EHLO x\r\nSTARTTLS\r\n", 0, beta_tls());
  std::string out, buffer =
      "EHLO x\r\nMAIL FROM:<a@beta.mssante.test> SIZE=5000\r\nMAIL FROM:<a@beta.mssante.test>\r\n"
      "RCPT TO:<dupont@alpha.mssante.test>\r\nRCPT TO:<secretariat@alpha.mssante.test>\r\nDATA\r\n" +
      std::string(2000, 'x').insert(0, "Subject: big\r\n\r\n").append("\r\n.\r\n") + "FOO\r\nBAR\r\n";
  step st = s.feed(buffer, out);
  CHECK_THAT(out, Catch::Contains("552 5.3.4 Message size exceeds fixed limit\r\n250 2.1.0 Ok\r\n"));
  CHECK_THAT(out, Catch::Contains("250 2.1.5 Ok\r\n452 4.5.3 Error: too many recipients\r\n354 "));
  CHECK_THAT(out, Catch::Contains("\r\n552 5.3.4 "));  // streamed over the limit
  CHECK_THAT(out, Catch::EndsWith("421 4.7.0 mx.alpha.mssante.test Error: too many errors\r\n"));
  CHECK(st.next == step::kind::close);
}

TEST_CASE("session: BDAT chunks, and a refused chunk is read in full so the dialog stays in sync",
          "[smtp][session]") {
  scripted_policy pol;
  session s(mx_settings(), pol, {"192.0.2.7", 40000, "S6"});
  converse(s, "EHLO x\r\nSTARTTLS\r\n", 0, beta_tls());
  const std::string client =
      "EHLO x\r\nBDAT 5\r\nhelloNOOP\r\nMAIL FROM:<a@beta.mssante.test>\r\nRCPT TO:<dupont@alpha.mssante.test>\r\n"
      "BDAT 9\r\nSubject: BDAT 5 LAST\r\nx\r\n\r\nQUIT\r\n";
  auto t = converse(s, client, 0, beta_tls());
  CHECK_THAT(t.server, Catch::Contains("250 CHUNKING\r\n"));
  CHECK_THAT(t.server, Catch::Contains("503 5.5.1 Error: need MAIL command\r\n250 2.0.0 Ok\r\n"));
  CHECK_THAT(t.server, Catch::Contains("250 2.0.0 9 octets received\r\n250 2.0.0 Ok: queued as "));
  REQUIRE(t.committed.size() == 1);
  CHECK_THAT(t.committed[0]->content, Catch::EndsWith("Subject: x\r\n\r\n"));
}

TEST_CASE("session (submission): AUTH needs TLS, failures are delayed then close; success allows MAIL",
          "[smtp][session]") {
  scripted_policy pol;
  pol.delay = std::chrono::milliseconds(500);
  auto settings = mx_settings();
  settings.kind = listener_kind::submission;
  session s(settings, pol, {"198.51.100.2", 50000, "S7"});
  tls_facts client_tls;
  client_tls.active = true;
  client_tls.version = "TLSv1.3";
  client_tls.cipher = "TLS_AES_128_GCM_SHA256";
  auto t = converse(s, "EHLO c\r\nAUTH PLAIN AGEAYg==\r\nSTARTTLS\r\n", 0, client_tls);
  CHECK_THAT(t.server, !Catch::Contains("AUTH PLAIN"));  // not advertised before TLS
  CHECK_THAT(t.server, Catch::Contains("538 5.7.11 "));
  const std::string bad = "AUTH PLAIN " + std::string("AGR1cG9udEBhbHBoYS5tc3NhbnRlLnRlc3QAd3Jvbmc=") + "\r\n";
  const std::string good = "AUTH PLAIN AGR1cG9udEBhbHBoYS5tc3NhbnRlLnRlc3QAc2VjcmV0\r\n";  // \0dupont@...\0secret
  auto t2 = converse(s, "EHLO c\r\nMAIL FROM:<dupont@alpha.mssante.test>\r\n" + bad + good +
                            "MAIL FROM:<secretariat@alpha.mssante.test>\r\nMAIL FROM:<dupont@alpha.mssante.test>\r\n"
                            "RCPT TO:<x@beta.mssante.test>\r\nRCPT TO:<y@gmail.com>\r\n",
                     0, client_tls);
  CHECK_THAT(t2.server, Catch::Contains("250-AUTH PLAIN\r\n"));
  CHECK_THAT(t2.server, Catch::Contains("530 5.7.0 Authentication required\r\n"));
  CHECK(t2.delays == 1);
  CHECK_THAT(t2.server, Catch::Contains("535 5.7.8 Authentication credentials invalid\r\n235 2.7.0 Authentication successful"));
  CHECK_THAT(t2.server, Catch::Contains("553 5.7.1 Sender not owned\r\n250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n"
                                        "550 5.7.1 Recipient not in the MSSanté trust space\r\n"));

  session s2(settings, pol, {"198.51.100.2", 50001, "S8"});
  converse(s2, "EHLO c\r\nSTARTTLS\r\n", 0, client_tls);
  auto t3 = converse(s2, "EHLO c\r\n" + bad + bad + bad + "NOOP\r\n", 0, client_tls);
  CHECK(t3.delays == 3);
  CHECK(t3.closed);
  CHECK_THAT(t3.server, Catch::EndsWith("535 5.7.8 Authentication credentials invalid\r\n"
                                        "421 4.7.0 mx.alpha.mssante.test Error: too many errors\r\n"));
}

TEST_CASE("session: the same conversation fed at every split gives the same replies", "[smtp][session]") {
  const std::string client =
      "EHLO mx.beta.mssante.test\r\nMAIL FROM:<a@beta.mssante.test>\r\nRCPT TO:<dupont@alpha.mssante.test>\r\n"
      "DATA\r\nSubject: a\r\n\r\n..\r\n...\r\nbody\r\n.\r\nRSET\r\nMAIL FROM:<b@beta.mssante.test>\r\n"
      "RCPT TO:<secretariat@alpha.mssante.test>\r\nBDAT 6 LAST\r\nx\r\ny\r\nVRFY x\r\nHELP\r\nQUIT\r\n";
  auto run = [&](std::size_t chunk) {
    scripted_policy pol;
    session s(mx_settings(), pol, {"192.0.2.7", 40000, "S9"});
    converse(s, "EHLO x\r\nSTARTTLS\r\n", 0, beta_tls());
    auto t = converse(s, client, chunk, beta_tls());
    std::string bodies;
    for (auto& m : t.committed) bodies += m->content.substr(m->content.find(";\r\n\t")) + "|";
    return masked(t.server) + "#" + bodies;
  };
  const std::string whole = run(0);
  CHECK_THAT(whole, Catch::Contains("221 2.0.0 Bye"));
  CHECK_THAT(whole, Catch::Contains("\r\n\r\n.\r\n..\r\nbody\r\n|"));
  CHECK_THAT(whole, Catch::EndsWith("x\r\ny\r\n|"));
  CHECK_THAT(whole, !Catch::Contains("\r\n5"));  // no error reply anywhere
  for (std::size_t chunk : {1, 2, 3, 7, 13}) {
    INFO("chunk " << chunk);
    CHECK(run(chunk) == whole);
  }
}
