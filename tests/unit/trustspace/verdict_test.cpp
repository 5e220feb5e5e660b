// Trust-space verdicts (trustspace/verdict.hpp), table-driven: inbound (decision 1), outbound and outbound_server
// (decision 3).
#include <catch2/catch.hpp>

#include <optional>

#include "tests/unit/trustspace/whitelist_gen.hpp"
#include "trustspace/verdict.hpp"

using namespace mssgw::trustspace;
using mssgw::test::domaine_xml;
using mssgw::test::whitelist_xml;

namespace {

const char* alpha = "CN=mx.alpha.mssante.test,OU=1750000016,O=CHU ALPHA,ST=Paris (75),C=FR";
const char* beta = "CN=mx.beta.mssante.test,OU=31234567800019,O=GCS BETA SANTE,ST=Bouches-du-Rhône (13),C=FR";
const char* gamma_listed = "CN=mx.gamma.mssante.test, OU=1690000026, O=CLINIQUE GAMMA, L=Lyon (69), C=FR";
const char* gamma_cert = "CN=mx.gamma.mssante.test,OU=1690000026,O=CLINIQUE GAMMA,L=Lyon (69),C=FR";
const char* stranger = "CN=mx.stranger.example,OU=1999999999,O=STRANGER,ST=Paris (75),C=FR";

std::shared_ptr<const snapshot> list() {
  static auto s = [] {
    auto r = parse_whitelist(whitelist_xml(domaine_xml("alpha.mssante.test", alpha) +
                                           domaine_xml("beta.mssante.test", beta) +
                                           domaine_xml("gamma.mssante.test", gamma_listed) +
                                           domaine_xml("Alpha-Pharma.mssante.test", alpha) +
                                           domaine_xml("patient.mssante.test", alpha) +
                                           domaine_xml("patient.mssante.test", beta)));
    REQUIRE(r);
    return r.value;
  }();
  return s;
}

std::optional<dn> cert(const char* text) {
  if (!text) return std::nullopt;
  auto r = dn::parse(text);
  REQUIRE(r);
  return r.value;
}

}  // namespace

TEST_CASE("verdict: inbound (decision 1)", "[verdict]") {
  struct row {
    const char* name;
    const char* peer;  // null: no certificate
    std::string sender_domain;
    bool accept;
    std::string_view reason;
    std::string log_needle;
  };
  const std::vector<row> rows = {
      {"listed DN for its domain", alpha, "alpha.mssante.test", true, "ok", ""},
      {"domain in another case", alpha, "ALPHA.MSSANTE.TEST", true, "ok", ""},
      {"mixed-case Nom in the list", alpha, "alpha-pharma.mssante.test", true, "ok", ""},
      {"DN with spaces after commas in the list", gamma_cert, "gamma.mssante.test", true, "ok", ""},
      {"domain with two DNs, first", alpha, "patient.mssante.test", true, "ok", ""},
      {"domain with two DNs, second", beta, "patient.mssante.test", true, "ok", ""},
      {"certificate DN in other case and spacing", "cn=MX.ALPHA.MSSANTE.TEST, ou=1750000016, o=chu  alpha, "
                                                   "st=PARIS (75), c=fr",
       "alpha.mssante.test", true, "ok", ""},
      {"no certificate", nullptr, "alpha.mssante.test", false, "no_certificate", "no client certificate"},
      {"no certificate, null sender", nullptr, "", false, "no_certificate", "no client certificate"},
      {"sender domain not whitelisted", alpha, "gmail.com", false, "sender_domain_not_listed", "\"gmail.com\""},
      {"sender subdomain of a listed domain", alpha, "sub.alpha.mssante.test", false, "sender_domain_not_listed",
       "sub.alpha.mssante.test"},
      {"DN listed for another domain", beta, "alpha.mssante.test", false, "dn_not_listed", "mx.alpha.mssante.test"},
      {"unknown DN", stranger, "alpha.mssante.test", false, "dn_not_listed", "mx.stranger.example"},
      {"null sender from a listed DN", gamma_cert, "", true, "ok", ""},
      {"null sender from an unknown DN", stranger, "", false, "dn_not_listed", "for no domain"},
  };
  for (const auto& r : rows) {
    auto peer = cert(r.peer);
    verdict v = inbound(peer ? &*peer : nullptr, r.sender_domain, *list());
    INFO(r.name << " -> " << v.code << " " << v.enhanced << " " << v.client_text << " / " << v.log_reason);
    CHECK(v.accept == r.accept);
    CHECK(v.reason == r.reason);
    if (r.accept) {
      CHECK(v.code == 250);
      CHECK(v.enhanced == "2.1.0");
      CHECK(v.log_reason.empty());
    } else {
      CHECK(v.code == 550);
      CHECK(v.enhanced == "5.7.1");
      CHECK_FALSE(v.client_text.empty());
      CHECK(v.log_reason.find(r.log_needle) != std::string::npos);
      // The client text never echoes the sender's domain or the DNs.
      CHECK(std::string(v.client_text).find("mssante.test") == std::string::npos);
    }
  }
  dn empty;
  CHECK(inbound(&empty, "alpha.mssante.test", *list()).reason == "no_certificate");
  auto a = cert(alpha);
  CHECK_FALSE(inbound(&*a, "alpha.mssante.test", snapshot()).accept);  // an empty list refuses everyone
}

TEST_CASE("verdict: outbound at submission (decision 3)", "[verdict]") {
  struct row {
    std::string domain;
    bool accept;
  };
  const std::vector<row> rows = {{"alpha.mssante.test", true}, {"Patient.MSSante.Test", true},
                                 {"gmail.com", false},         {"", false},
                                 {"alpha.mssante.test.evil", false}};
  for (const auto& r : rows) {
    verdict v = outbound(r.domain, *list());
    INFO(r.domain << " -> " << v.code << " " << v.client_text);
    CHECK(v.accept == r.accept);
    if (r.accept) {
      CHECK(v.code == 250);
    } else {
      CHECK(v.code == 550);
      CHECK(v.enhanced == "5.7.1");
      CHECK(std::string(v.client_text).find("not in the MSSante trust space") != std::string::npos);
      CHECK(v.reason == "recipient_domain_not_listed");
    }
  }
}

TEST_CASE("verdict: outbound server check at delivery (decision 3)", "[verdict]") {
  struct row {
    const char* name;
    const char* server;
    std::string domain;
    bool accept;
    int code;
    std::string_view enhanced;
    std::string_view reason;
  };
  const std::vector<row> rows = {
      {"listed", alpha, "alpha.mssante.test", true, 250, "2.0.0", "ok"},
      {"listed, second DN", beta, "patient.mssante.test", true, 250, "2.0.0", "ok"},
      {"spaced DN in the list", gamma_cert, "gamma.mssante.test", true, 250, "2.0.0", "ok"},
      {"no certificate", nullptr, "alpha.mssante.test", false, 451, "4.7.5", "server_no_certificate"},
      {"another operator's server", beta, "alpha.mssante.test", false, 451, "4.7.1", "server_dn_not_listed"},
      {"unknown server", stranger, "alpha.mssante.test", false, 451, "4.7.1", "server_dn_not_listed"},
      {"domain removed since submission", alpha, "removed.mssante.test", false, 451, "4.7.1",
       "recipient_domain_not_listed"},
  };
  for (const auto& r : rows) {
    auto server = cert(r.server);
    verdict v = outbound_server(server ? &*server : nullptr, r.domain, *list());
    INFO(r.name << " -> " << v.code << " " << v.enhanced << " / " << v.log_reason);
    CHECK(v.accept == r.accept);
    CHECK(v.code == r.code);
    CHECK(v.enhanced == r.enhanced);
    CHECK(v.reason == r.reason);
    if (!r.accept) CHECK(v.log_reason.find(r.domain) != std::string::npos);
  }
  // The log names what was expected.
  auto b = cert(beta);
  verdict v = outbound_server(&*b, "alpha.mssante.test", *list());
  CHECK(v.log_reason.find("listed: CN=mx.alpha.mssante.test") != std::string::npos);
}

TEST_CASE("verdict: every generated form is accepted inbound and outbound", "[verdict]") {
  auto g = mssgw::test::generate_whitelist({2000, 3, "2025-01-01T00:00:00Z"});
  auto r = parse_whitelist(g.xml);
  REQUIRE(r);
  for (const auto& f : g.forms) {
    dn c = dn::from_rdns(f.cert);
    INFO(f.name);
    CHECK(inbound(&c, f.domain, *r.value).accept);
    CHECK(inbound(&c, "", *r.value).accept);
    CHECK(outbound(f.domain, *r.value).accept);
    CHECK(outbound_server(&c, f.domain, *r.value).accept);
  }
}
