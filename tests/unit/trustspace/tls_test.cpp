// TLS contexts and peer identities (common/tls.hpp) with real handshakes on 127.0.0.1 against the test PKI
// (deploy/pki/make-test-pki.sh): a good chain, revoked / expired / rogue certificates refused with CRLs on the whole
// chain, a stale CRL reported (and refused unless accept_stale_crl), CRL reload, protocol and suite policy, and the
// identity a handshake yields, checked against the whitelist with the trust-space verdicts.
#include "common/asio.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include "common/config.hpp"
#include "common/metrics.hpp"
#include "common/tls.hpp"
#include "trustspace/dn.hpp"
#include "trustspace/verdict.hpp"
#include "trustspace/whitelist.hpp"

using namespace mssgw;
using common::tls::client_certificates;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

namespace {

const std::filesystem::path& pki() {
  static const std::filesystem::path dir = [] {
    std::filesystem::path d = std::filesystem::path(MSSGW_BUILD_DIR) / "test-pki";
    std::string cmd = "bash '" MSSGW_SOURCE_DIR "/deploy/pki/make-test-pki.sh' '" + d.string() + "' >/dev/null 2>&1";
    if (std::system(cmd.c_str()) != 0) throw std::runtime_error("make-test-pki.sh failed: " + cmd);
    return d;
  }();
  return dir;
}

common::tls::config cfg_for(const std::string& op, std::vector<std::string> crls = {"crl/all.crl.pem"}) {
  common::tls::config c;
  if (op == "impostor") {
    c.certificate = pki() / "rogue/alpha-impostor.pem";
    c.key = pki() / "rogue/alpha-impostor.key";
  } else if (!op.empty()) {
    c.certificate = pki() / "operators" / (op + "-chain.pem");
    c.key = pki() / "operators" / (op + ".key");
  }
  c.trust_anchors = pki() / "trust/anchors.pem";
  for (const auto& f : crls) c.crl_files.push_back(pki() / f);
  return c;
}

std::shared_ptr<const common::tls::context_set> build_ok(const common::tls::config& c) {
  auto r = common::tls::build(c);
  INFO(r.error);
  REQUIRE(r.contexts);
  return r.contexts;
}

struct side {
  bool handshake = false;
  bool exchanged = false;
  std::string error;
  long verify_result = X509_V_OK;
  std::optional<common::tls::peer_identity> peer;
  common::tls::session_facts facts;
};
struct outcome {
  side server, client;
};

// One connection: the server accepts, handshakes, reads "ping", answers "pong"; the client connects, handshakes,
// writes "ping", reads the answer. A refused client certificate shows up on the client's first read with TLS 1.3
// (deps.md §1, pitfall 6).
outcome connect(std::shared_ptr<asio::ssl::context> server_ctx, std::shared_ptr<asio::ssl::context> client_ctx) {
  REQUIRE(server_ctx);
  REQUIRE(client_ctx);
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  auto port = acceptor.local_endpoint().port();
  outcome out;
  auto rethrow = [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  };
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        boost::system::error_code ec;
        tcp::socket sock = co_await acceptor.async_accept(asio::use_awaitable);
        asio::ssl::stream<tcp::socket> tls(std::move(sock), *server_ctx);
        co_await tls.async_handshake(asio::ssl::stream_base::server, asio::redirect_error(asio::use_awaitable, ec));
        out.server.verify_result = SSL_get_verify_result(tls.native_handle());
        if (ec) {
          out.server.error = ec.message();
          co_return;
        }
        out.server.handshake = true;
        out.server.peer = common::tls::peer_identity_of(tls.native_handle());
        out.server.facts = common::tls::session_facts_of(tls.native_handle());
        char buf[4];
        co_await asio::async_read(tls, asio::buffer(buf), asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
          out.server.error = ec.message();
          co_return;
        }
        co_await asio::async_write(tls, asio::buffer("pong", 4), asio::redirect_error(asio::use_awaitable, ec));
        out.server.exchanged = !ec;
        co_await tls.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
      },
      rethrow);
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        boost::system::error_code ec;
        tcp::socket sock(io);
        co_await sock.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), asio::use_awaitable);
        asio::ssl::stream<tcp::socket> tls(std::move(sock), *client_ctx);
        co_await tls.async_handshake(asio::ssl::stream_base::client, asio::redirect_error(asio::use_awaitable, ec));
        out.client.verify_result = SSL_get_verify_result(tls.native_handle());
        if (ec) {
          out.client.error = ec.message();
          co_return;
        }
        out.client.handshake = true;
        out.client.peer = common::tls::peer_identity_of(tls.native_handle());
        out.client.facts = common::tls::session_facts_of(tls.native_handle());
        co_await asio::async_write(tls, asio::buffer("ping", 4), asio::redirect_error(asio::use_awaitable, ec));
        char buf[4] = {};
        if (!ec) co_await asio::async_read(tls, asio::buffer(buf), asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
          out.client.error = ec.message();
          co_return;
        }
        out.client.exchanged = std::string_view(buf, 4) == "pong";
      },
      rethrow);
  io.run_for(10s);
  return out;
}

// A client context outside the project's policy, to check that the server refuses it.
std::shared_ptr<asio::ssl::context> raw_client(int max_version, const char* ciphers) {
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  SSL_CTX* h = ctx->native_handle();
  SSL_CTX_set_security_level(h, 0);
  SSL_CTX_set_min_proto_version(h, TLS1_VERSION);
  SSL_CTX_set_max_proto_version(h, max_version);
  if (ciphers) REQUIRE(SSL_CTX_set_cipher_list(h, ciphers) == 1);
  SSL_CTX_set_verify(h, SSL_VERIFY_NONE, nullptr);
  return ctx;
}

trustspace::dn dn_of(const common::tls::peer_identity& id) { return trustspace::dn::from_name_rdns(id.subject_rdns); }

std::shared_ptr<const trustspace::snapshot> pki_whitelist() {
  std::ifstream in(pki() / "whitelist.xml", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto r = trustspace::parse_whitelist(bytes);
  INFO(r.issue.to_string());
  REQUIRE(r);
  return r.value;
}

}  // namespace

TEST_CASE("tls: a context set is built from the PKI files", "[tls]") {
  auto r = common::tls::build(cfg_for("alpha"));
  INFO(r.error);
  REQUIRE(r.contexts);
  CHECK(r.warnings.empty());
  CHECK(r.contexts->server(client_certificates::none));
  CHECK(r.contexts->server(client_certificates::request));
  CHECK(r.contexts->server(client_certificates::require));
  CHECK(r.contexts->client());
  REQUIRE(r.contexts->crls().size() == 2);  // all.crl.pem: the intermediate's and the root's
  CHECK(r.contexts->stale_crls(common::tls::clock::now()) == 0);
  CHECK(*r.contexts->seconds_to_next_update(common::tls::clock::now()) > 7 * 86400);
  // Without a certificate there is no server context; without anchors no client context.
  auto client_only = build_ok(cfg_for(""));
  CHECK_FALSE(client_only->server(client_certificates::none));
  CHECK(client_only->client());
}

TEST_CASE("tls: mutual TLS between two whitelisted operators", "[tls]") {
  auto server = build_ok(cfg_for("alpha"));
  auto client = build_ok(cfg_for("beta"));
  auto o = connect(server->server(client_certificates::require), client->client());
  INFO("server: " << o.server.error << " / client: " << o.client.error);
  REQUIRE(o.server.handshake);
  REQUIRE(o.client.exchanged);
  CHECK(o.server.exchanged);
  CHECK(o.server.facts.version == "TLSv1.3");
  CHECK(o.server.facts.cipher.find("GCM") != std::string::npos);

  // What the server learns about its client...
  REQUIRE(o.server.peer);
  const auto& peer = *o.server.peer;
  CHECK(peer.verified);
  CHECK(peer.subject == "CN=mx.beta.mssante.test,OU=31234567800019,O=GCS BETA SANTE,ST=Bouches-du-Rhône (13),C=FR");
  REQUIRE(peer.subject_rdns.size() == 5);
  CHECK(peer.subject_rdns[0][0].type == "CN");
  CHECK(peer.subject_rdns[4][0].value == "FR");
  CHECK(peer.issuer.find("ORGANISATIONS") != std::string::npos);
  CHECK(peer.idnat.empty());

  // ...is what the trust space needs (decision 1), compared with the PKI's whitelist.
  auto list = pki_whitelist();
  auto d = dn_of(peer);
  CHECK(trustspace::inbound(&d, "beta.mssante.test", *list).accept);
  CHECK(trustspace::inbound(&d, "patient.mssante.test", *list).accept);
  CHECK(trustspace::inbound(&d, "", *list).accept);
  CHECK_FALSE(trustspace::inbound(&d, "alpha.mssante.test", *list).accept);
  // ...and the client learns the server's identity for decision 3.
  REQUIRE(o.client.peer);
  CHECK(o.client.peer->verified);
  auto server_dn = dn_of(*o.client.peer);
  CHECK(trustspace::outbound_server(&server_dn, "alpha.mssante.test", *list).accept);
  CHECK(trustspace::outbound_server(&server_dn, "Alpha-Pharma.mssante.test", *list).accept);
  CHECK_FALSE(trustspace::outbound_server(&server_dn, "beta.mssante.test", *list).accept);

  // gamma's DN is listed with spaces after the commas and L= instead of ST=.
  auto gamma = build_ok(cfg_for("gamma"));
  auto g = connect(server->server(client_certificates::require), gamma->client());
  REQUIRE(g.server.peer);
  auto gd = dn_of(*g.server.peer);
  CHECK(trustspace::inbound(&gd, "gamma.mssante.test", *list).accept);
}

TEST_CASE("tls: client certificates refused by the server", "[tls]") {
  auto server = build_ok(cfg_for("alpha"));
  struct row {
    std::string client;
    long verify_result;
  };
  const std::vector<row> rows = {
      {"revoked", X509_V_ERR_CERT_REVOKED},
      {"expired", X509_V_ERR_CERT_HAS_EXPIRED},
      {"impostor", X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY},
  };
  for (const auto& r : rows) {
    INFO(r.client);
    auto client = build_ok(cfg_for(r.client));
    for (auto mode : {client_certificates::request, client_certificates::require}) {
      auto o = connect(server->server(mode), client->client());
      INFO("server: " << o.server.error << " / client: " << o.client.error);
      CHECK_FALSE(o.server.handshake);
      CHECK(o.server.verify_result == r.verify_result);
      CHECK_FALSE(o.client.exchanged);
      CHECK_FALSE(o.client.error.empty());
    }
  }
}

TEST_CASE("tls: a client without a certificate", "[tls]") {
  auto server = build_ok(cfg_for("alpha"));
  auto anonymous = build_ok(cfg_for(""));
  auto o = connect(server->server(client_certificates::require), anonymous->client());
  CHECK_FALSE(o.server.handshake);
  CHECK_FALSE(o.client.exchanged);
  o = connect(server->server(client_certificates::request), anonymous->client());
  CHECK(o.server.handshake);
  CHECK(o.client.exchanged);
  CHECK_FALSE(o.server.peer);
  // The verdict then refuses at MAIL FROM with a precise reason.
  auto v = trustspace::inbound(nullptr, "alpha.mssante.test", *pki_whitelist());
  CHECK(v.code == 550);
  CHECK(v.reason == "no_certificate");
  o = connect(server->server(client_certificates::none), anonymous->client());
  CHECK(o.client.exchanged);
}

TEST_CASE("tls: the client refuses a server outside the trust anchors or revoked", "[tls]") {
  auto client = build_ok(cfg_for("alpha"));
  struct row {
    std::string server;
    long verify_result;
  };
  const std::vector<row> rows = {
      {"revoked", X509_V_ERR_CERT_REVOKED},
      {"expired", X509_V_ERR_CERT_HAS_EXPIRED},
      {"impostor", X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY},
  };
  for (const auto& r : rows) {
    INFO(r.server);
    auto server = build_ok(cfg_for(r.server));
    auto o = connect(server->server(client_certificates::none), client->client());
    CHECK_FALSE(o.client.handshake);
    CHECK(o.client.verify_result == r.verify_result);
    CHECK_FALSE(o.server.exchanged);
  }
}

TEST_CASE("tls: a stale CRL is reported, and refused unless accept_stale_crl", "[tls]") {
  auto stale_cfg = cfg_for("alpha", {"crl/org-ca-stale.crl.pem", "crl/root-ca.crl.pem"});
  auto set = build_ok(stale_cfg);
  auto now = common::tls::clock::now();
  CHECK(set->stale_crls(now) == 1);
  CHECK(*set->seconds_to_next_update(now) < -9 * 86400);
  bool flagged = false;
  for (const auto& c : set->crls()) flagged |= c.stale && c.issuer.find("ORGANISATIONS") != std::string::npos;
  CHECK(flagged);

  common::tls::manager manager;
  REQUIRE(manager.start(stale_cfg).empty());
  CHECK(manager.check_crls() == 1);
  CHECK(metrics::get_gauge("mssgw_tls_crl_stale", "").value() == 1);
  CHECK(metrics::get_gauge("mssgw_tls_crl_next_update_seconds", "").value() < 0);

  // RFC 5280 §6.3.3: past nextUpdate the status is unknown; by default the certificate is refused.
  auto beta = build_ok(cfg_for("beta"));
  auto o = connect(manager.current()->server(client_certificates::require), beta->client());
  CHECK_FALSE(o.server.handshake);
  CHECK(o.server.verify_result == X509_V_ERR_CRL_HAS_EXPIRED);

  // With accept_stale_crl the stale CRL is still applied: beta passes, the revoked certificate does not.
  auto lenient = stale_cfg;
  lenient.accept_stale_crl = true;
  auto lenient_set = build_ok(lenient);
  auto& accepted = metrics::get_counter("mssgw_tls_stale_crl_accepted_total", "");
  auto before = accepted.value();
  o = connect(lenient_set->server(client_certificates::require), beta->client());
  CHECK(o.server.handshake);
  CHECK(o.client.exchanged);
  REQUIRE(o.server.peer);
  CHECK(o.server.peer->verified);
  CHECK(accepted.value() > before);
  auto revoked = build_ok(cfg_for("revoked"));
  o = connect(lenient_set->server(client_certificates::require), revoked->client());
  CHECK_FALSE(o.server.handshake);
  CHECK(o.server.verify_result == X509_V_ERR_CERT_REVOKED);

  // Reload with a fresh CRL: the alarm clears; connections on the old set keep working.
  auto old = manager.current();
  REQUIRE(manager.reload(cfg_for("alpha")));
  CHECK(manager.current() != old);
  CHECK(manager.check_crls() == 0);
  CHECK(metrics::get_gauge("mssgw_tls_crl_stale", "").value() == 0);
  o = connect(manager.current()->server(client_certificates::require), beta->client());
  CHECK(o.client.exchanged);
  CHECK(old->server(client_certificates::none));
}

TEST_CASE("tls: CRL coverage of the chain", "[tls]") {
  // crl_check = chain needs the root's CRL too (it covers the intermediate): say so at build time.
  auto partial = cfg_for("alpha", {"crl/org-ca.crl.pem"});
  auto r = common::tls::build(partial);
  REQUIRE(r.contexts);
  bool warned = false;
  for (const auto& w : r.warnings) warned |= w.find("TEST AC RACINE") != std::string::npos;
  CHECK(warned);
  auto beta = build_ok(cfg_for("beta"));
  auto o = connect(r.contexts->server(client_certificates::require), beta->client());
  CHECK_FALSE(o.server.handshake);
  CHECK(o.server.verify_result == X509_V_ERR_UNABLE_TO_GET_CRL);

  partial.crl_check = "leaf";
  auto leaf = build_ok(partial);
  o = connect(leaf->server(client_certificates::require), beta->client());
  CHECK(o.client.exchanged);

  // Without CRL checking, the revoked certificate would pass: the CRL is what refuses it.
  auto off = cfg_for("alpha", {});
  off.crl_check = "off";
  auto revoked = build_ok(cfg_for("revoked"));
  o = connect(build_ok(off)->server(client_certificates::require), revoked->client());
  CHECK(o.client.exchanged);
}

TEST_CASE("tls: a failed reload keeps the running set", "[tls]") {
  char tmpl[] = "/tmp/mssgw-tls-XXXXXX";
  std::filesystem::path dir = mkdtemp(tmpl);
  std::ofstream(dir / "garbage.crl") << "this is not a CRL";
  common::tls::manager manager;
  REQUIRE(manager.start(cfg_for("alpha")).empty());
  auto running = manager.current();
  auto bad = cfg_for("alpha", {"crl/all.crl.pem"});
  bad.crl_files.push_back(dir / "garbage.crl");
  CHECK_FALSE(manager.reload(bad));
  CHECK(manager.current() == running);
  std::filesystem::remove_all(dir);

  struct row {
    std::string name;
    common::tls::config cfg;
    std::string needle;
  };
  auto mismatch = cfg_for("alpha");
  mismatch.key = pki() / "operators/beta.key";
  auto no_anchor = cfg_for("alpha");
  no_anchor.trust_anchors = pki() / "operators/alpha.key";
  auto missing = cfg_for("alpha");
  missing.crl_files.push_back(pki() / "crl/nope.pem");
  auto wrong_signer = cfg_for("alpha");
  wrong_signer.trust_anchors = pki() / "trust/root-only.pem";  // the intermediate's CRL then has no known issuer
  const std::vector<row> rows = {
      {"key does not match", mismatch, "beta.key"},
      {"anchors file without certificates", no_anchor, "no PEM certificate"},
      {"missing CRL file", missing, "nope.pem"},
  };
  for (const auto& r : rows) {
    INFO(r.name);
    auto b = common::tls::build(r.cfg);
    CHECK_FALSE(b.contexts);
    CHECK(b.error.find(r.needle) != std::string::npos);
  }
  auto w = common::tls::build(wrong_signer);
  REQUIRE(w.contexts);
  bool unused = false;
  for (const auto& x : w.warnings) unused |= x.find("not a trust anchor") != std::string::npos;
  CHECK(unused);
}

TEST_CASE("tls: protocol versions and suites", "[tls]") {
  auto server = build_ok(cfg_for("alpha"))->server(client_certificates::none);
  SECTION("TLS 1.1 is refused") {
    auto o = connect(server, raw_client(TLS1_1_VERSION, "DEFAULT:@SECLEVEL=0"));
    CHECK_FALSE(o.server.handshake);
    CHECK_FALSE(o.client.handshake);
  }
  SECTION("TLS 1.2 without AEAD is refused") {
    auto o = connect(server, raw_client(TLS1_2_VERSION, "ECDHE-RSA-AES128-SHA256:ECDHE-RSA-AES256-SHA:AES256-SHA256"));
    CHECK_FALSE(o.server.handshake);
  }
  SECTION("TLS 1.2 without forward secrecy is refused") {
    auto o = connect(server, raw_client(TLS1_2_VERSION, "AES256-GCM-SHA384:AES128-GCM-SHA256"));
    CHECK_FALSE(o.server.handshake);
  }
  SECTION("TLS 1.2 with ECDHE and AES-GCM is accepted") {
    auto o = connect(server, raw_client(TLS1_2_VERSION, nullptr));
    CHECK(o.client.exchanged);
    CHECK(o.server.facts.version == "TLSv1.2");
    CHECK(o.server.facts.cipher == "ECDHE-RSA-AES256-GCM-SHA384");
  }
  SECTION("min_version 1.3 refuses TLS 1.2") {
    auto c = cfg_for("alpha");
    c.min_version = "1.3";
    auto o = connect(build_ok(c)->server(client_certificates::none), raw_client(TLS1_2_VERSION, nullptr));
    CHECK_FALSE(o.server.handshake);
  }
}

TEST_CASE("tls: identities of certificates", "[tls]") {
  auto cps = common::tls::identity_of_file(pki() / "persons/cps-dupont.pem");
  REQUIRE(cps);
  CHECK(cps->idnat == "810001234567");
  CHECK(cps->subject.rfind("CN=810001234567/DUPONT Jean,", 0) == 0);
  CHECK_FALSE(cps->verified);

  auto alpha = common::tls::identity_of_file(pki() / "operators/alpha.pem");
  REQUIRE(alpha);
  CHECK(alpha->dns_names == std::vector<std::string>{"mx.alpha.mssante.test", "localhost"});
  CHECK(alpha->ip_addresses == std::vector<std::string>{"127.0.0.1"});
  CHECK_FALSE(alpha->serial.empty());
  CHECK(alpha->serial.find_first_not_of("0123456789ABCDEF") == std::string::npos);
  CHECK(alpha->sha256.size() == 64);
  auto now = common::tls::clock::now();
  CHECK(alpha->not_before < now);
  CHECK(alpha->not_after > now);
  CHECK(alpha->idnat.empty());
  auto d = dn_of(*alpha);
  CHECK(d == *trustspace::dn::parse("CN=mx.alpha.mssante.test,OU=1750000016,O=CHU ALPHA,ST=Paris (75),C=FR").value);
  CHECK(d == trustspace::dn::parse(alpha->subject).value.value());

  auto expired = common::tls::identity_of_file(pki() / "operators/expired.pem");
  REQUIRE(expired);
  CHECK(expired->not_after < now);
  CHECK_FALSE(common::tls::identity_of_file(pki() / "operators/alpha.key"));
  CHECK_FALSE(common::tls::identity_of_file(pki() / "does-not-exist.pem"));
}

TEST_CASE("tls: [tls] config", "[tls]") {
  auto read = [](const std::string& text) {
    common::config_errors errors;
    common::config_document doc(text, "test.toml", errors);
    auto root = doc.root();
    auto s = root.sub("tls");
    common::tls::config c;
    c.read(s);
    s.finish();
    return std::make_pair(c, errors.all().size());
  };
  auto p = [](const char* rel) { return "\"" + (pki() / rel).string() + "\""; };
  auto [good, good_errors] =
      read("[tls]\ncertificate = " + p("operators/alpha-chain.pem") + "\nkey = " + p("operators/alpha.key") +
           "\ntrust_anchors = " + p("trust/anchors.pem") + "\ncrl_files = [" + p("crl/all.crl.pem") +
           "]\ncrl_reload = \"10m\"\n");
  CHECK(good_errors == 0);
  CHECK(good.certificate == pki() / "operators/alpha-chain.pem");
  CHECK(good.crl_files.size() == 1);
  CHECK(good.crl_reload == std::chrono::minutes(10));
  CHECK(good.configured());
  CHECK(read("[tls]\ntrust_anchors = " + p("trust/anchors.pem") + "\n").second == 1);  // CRLs required by default
  CHECK(read("[tls]\ntrust_anchors = " + p("trust/anchors.pem") + "\ncrl_check = \"off\"\n").second == 0);
  CHECK(read("[tls]\ncertificate = " + p("operators/alpha-chain.pem") + "\n").second == 1);  // no key
  CHECK(read("[tls]\nmin_version = \"1.1\"\n").second == 1);
  CHECK(read("[tls]\ncrl_files = [" + p("crl/none.pem") + "]\ncrl_check = \"off\"\n").second == 1);
  CHECK(read("[tls]\nbogus = 1\n").second == 1);
  CHECK_FALSE(read("").first.configured());
}
