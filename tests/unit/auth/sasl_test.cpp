// SASL mechanisms (auth/sasl.hpp): whole exchanges, one row per case, fed the decoded bytes a session would pass.
#include "auth/sasl.hpp"

#include <crypt.h>

#include <catch2/catch.hpp>
#include <functional>
#include <memory>

#include "auth/sasl_mechanisms.hpp"
#include "test_keys.hpp"
#include "test_store.hpp"

using namespace mssgw;
using namespace mssgw::test;
using namespace mssgw::auth;
using sasl::failure_class;
using sasl::status;

namespace {

std::string sha512_crypt(const std::string& pw) {
  auto data = std::make_unique<crypt_data>();
  return crypt_r(pw.c_str(), "$6$testsalt", data.get());
}

std::shared_ptr<const user_db> test_users() {
  static const auto users = [] {
    auto r = user_db::from_text("810001234567:{SHA512-CRYPT}" + sha512_crypt("s3cret pass") + "\n" +
                                "secretariat@hopital.test:{SHA512-CRYPT}" + sha512_crypt("desk pass") + "\n");
    REQUIRE(r.users);
    return r.users;
  }();
  return users;
}

storage::kv_store& store() {
  static auto s = make_test_store();
  return *s;
}

sasl::context full_context() {
  sasl::context ctx;
  ctx.tokens = std::make_shared<token_verifier>(policy(), test_keys());
  ctx.users = test_users();
  ctx.plain_enabled = true;
  ctx.authorize = sasl::storage_authorizer(store());
  ctx.scope = "openid scope_all";
  ctx.openid_configuration = std::string(issuer) + "/.well-known/openid-configuration";
  return ctx;
}

std::string good_token() {
  return sign_token(header_for(rsa_key()), valid_claims(), rsa_key());
}
std::string expired_token() {
  json c = valid_claims();
  c["exp"] = now_s - 3600;
  return sign_token(header_for(ec_key()), c, ec_key());
}
std::string xoauth2(std::string_view user, std::string_view token) {
  return "user=" + std::string(user) + "\x01" + "auth=Bearer " + std::string(token) + "\x01\x01";
}
std::string oauthbearer(std::string_view gs2, std::string_view token) {
  return std::string(gs2) + "\x01host=mail.hopital.test\x01port=587\x01" + "auth=Bearer " + std::string(token) +
         "\x01\x01";
}
std::string plain(std::string_view authzid, std::string_view user, std::string_view pw) {
  return sasl::plain_message(authzid, user, pw);
}

// One exchange: the mechanism, the client's responses in order ("*" as a whole response means cancel), and what
// the last outcome must be.
struct row {
  const char* name;
  const char* mechanism;
  std::vector<std::optional<std::string>> responses;  // first: the initial response (nullopt: none)
  status final_state;
  errc error{};
  failure_class kind = failure_class::credentials;
  std::string who_id = {};
  std::string authzid = {};
  std::function<void(sasl::context&)> tweak = {};
  std::size_t challenges = 0;  // number of challenges seen before the final outcome
  std::string throttle = {};
};

sasl::outcome run(const row& r, sasl::context ctx, std::vector<std::string>& challenges) {
  auto m = sasl::make_mechanism(r.mechanism, ctx);
  REQUIRE(m);
  sasl::outcome o;
  for (std::size_t i = 0; i < r.responses.size(); ++i) {
    const auto& resp = r.responses[i];
    if (i == 0) {
      o = m->start(resp ? std::optional<std::string_view>(*resp) : std::nullopt, at(now_s));
    } else if (resp && *resp == "*") {
      o = m->cancel();
    } else {
      o = m->step(resp ? *resp : std::string(), at(now_s));
    }
    if (o.state == status::challenge) challenges.push_back(o.challenge);
    if (o.state != status::challenge) {
      CHECK(i + 1 == r.responses.size());  // the exchange ended exactly at the last response
      break;
    }
  }
  return o;
}

}  // namespace

TEST_CASE("sasl: table of exchanges for every mechanism", "[auth][sasl]") {
  const std::string tok = good_token();
  const std::string pid = std::string(idnat);
  auto none = std::optional<std::string>();
  auto s = [](std::string v) { return std::optional<std::string>(std::move(v)); };
  std::vector<row> rows = {
      // XOAUTH2
      {"XOAUTH2 with initial response, user= own BAL",
       "XOAUTH2",
       {s(xoauth2("dupont@hopital.test", tok))},
       status::success,
       {},
       {},
       pid,
       "dupont@hopital.test"},
      {"XOAUTH2 without initial response",
       "XOAUTH2",
       {none, s(xoauth2("dupont@hopital.test", tok))},
       status::success,
       {},
       {},
       pid,
       "dupont@hopital.test",
       {},
       1},
      {"XOAUTH2 user= a delegated BAL",
       "XOAUTH2",
       {s(xoauth2("Secretariat@Hopital.test", tok))},
       status::success,
       {},
       {},
       pid,
       "Secretariat@Hopital.test"},
      {"XOAUTH2 user= the idNat itself", "XOAUTH2", {s(xoauth2(idnat, tok))}, status::success, {}, {}, pid, pid},
      {"XOAUTH2 user= empty", "XOAUTH2", {s(xoauth2("", tok))}, status::success, {}, {}, pid, ""},
      {"XOAUTH2 scheme in lower case",
       "XOAUTH2",
       {s("user=\x01"
          "auth=bearer " +
          tok + "\x01\x01")},
       status::success,
       {},
       {},
       pid},
      {"XOAUTH2 user= someone else's BAL",
       "XOAUTH2",
       {s(xoauth2("lgc@hopital.test", tok)), s("")},
       status::failure,
       errc::authzid_denied,
       failure_class::authorization,
       {},
       {},
       {},
       1,
       pid},
      {"XOAUTH2 user= unknown BAL",
       "XOAUTH2",
       {s(xoauth2("nobody@hopital.test", tok)), s("")},
       status::failure,
       errc::authzid_denied,
       failure_class::authorization,
       {},
       {},
       {},
       1,
       pid},
      {"XOAUTH2 expired token, then the empty ack",
       "XOAUTH2",
       {s(xoauth2("dupont@hopital.test", expired_token())), s("")},
       status::failure,
       errc::token_expired,
       failure_class::credentials,
       {},
       {},
       {},
       1},
      {"XOAUTH2 expired token, then a non-empty ack",
       "XOAUTH2",
       {s(xoauth2("", expired_token())), s("x")},
       status::failure,
       errc::token_expired,
       failure_class::credentials,
       {},
       {},
       {},
       1},
      {"XOAUTH2 forged token",
       "XOAUTH2",
       {s(xoauth2("", tok.substr(0, tok.size() - 8) + "AAAAAAAA")), s("")},
       status::failure,
       errc::bad_signature,
       failure_class::credentials,
       {},
       {},
       {},
       1},
      {"XOAUTH2 cancel after the empty challenge",
       "XOAUTH2",
       {none, s("*")},
       status::failure,
       errc::cancelled,
       failure_class::cancelled,
       {},
       {},
       {},
       1},
      {"XOAUTH2 cancel instead of the ack",
       "XOAUTH2",
       {s(xoauth2("", expired_token())), s("*")},
       status::failure,
       errc::cancelled,
       failure_class::cancelled,
       {},
       {},
       {},
       1},
      {"XOAUTH2 empty response",
       "XOAUTH2",
       {s("")},
       status::failure,
       errc::malformed_response,
       failure_class::malformed},
      {"XOAUTH2 without the final ^A^A",
       "XOAUTH2",
       {s("user=a@b.test\x01"
          "auth=Bearer " +
          tok + "\x01")},
       status::failure,
       errc::malformed_response,
       failure_class::malformed},
      {"XOAUTH2 Basic scheme",
       "XOAUTH2",
       {s("user=\x01"
          "auth=Basic dXNlcjpwYXNz\x01\x01")},
       status::failure,
       errc::malformed_response,
       failure_class::malformed},
      {"XOAUTH2 Bearer without token",
       "XOAUTH2",
       {s("user=\x01"
          "auth=Bearer \x01\x01")},
       status::failure,
       errc::malformed_response,
       failure_class::malformed},
      {"XOAUTH2 token with a space inside",
       "XOAUTH2",
       {s("user=\x01"
          "auth=Bearer ab cd\x01\x01")},
       status::failure,
       errc::malformed_response,
       failure_class::malformed},
      {"XOAUTH2 no auth pair",
       "XOAUTH2",
       {s("user=a@b.test\x01\x01")},
       status::failure,
       errc::malformed_response,
       failure_class::malformed},
      {"XOAUTH2 auth twice",
       "XOAUTH2",
       {s("auth=Bearer " + tok +
          "\x01"
          "auth=Bearer " +
          tok + "\x01\x01")},
       status::failure,
       errc::malformed_response,
       failure_class::malformed},
      {"XOAUTH2 empty pair in the middle",
       "XOAUTH2",
       {s("user=\x01\x01"
          "auth=Bearer " +
          tok + "\x01\x01")},
       status::failure,
       errc::malformed_response,
       failure_class::malformed},
      {"XOAUTH2 oversized response",
       "XOAUTH2",
       {s(xoauth2("", std::string(30000, 'a')))},
       status::failure,
       errc::response_too_large,
       failure_class::malformed},
      // OAUTHBEARER
      {"OAUTHBEARER n, with a= own BAL",
       "OAUTHBEARER",
       {s(oauthbearer("n,a=dupont@hopital.test,", tok))},
       status::success,
       {},
       {},
       pid,
       "dupont@hopital.test"},
      {"OAUTHBEARER n,, without authzid",
       "OAUTHBEARER",
       {s(oauthbearer("n,,", tok))},
       status::success,
       {},
       {},
       pid,
       ""},
      {"OAUTHBEARER y,, (client supports channel binding)",
       "OAUTHBEARER",
       {s(oauthbearer("y,,", tok))},
       status::success,
       {},
       {},
       pid},
      {"OAUTHBEARER only the auth pair",
       "OAUTHBEARER",
       {s("n,,\x01"
          "auth=Bearer " +
          tok + "\x01\x01")},
       status::success,
       {},
       {},
       pid},
      {"OAUTHBEARER without initial response",
       "OAUTHBEARER",
       {none, s(oauthbearer("n,,", tok))},
       status::success,
       {},
       {},
       pid,
       "",
       {},
       1},
      {"OAUTHBEARER a= with =2C escape, not allowed",
       "OAUTHBEARER",
       {s(oauthbearer("n,a=dupont=2Cx@hopital.test,", tok)), s("\x01")},
       status::failure,
       errc::authzid_denied,
       failure_class::authorization,
       {},
       {},
       {},
       1,
       pid},
      {"OAUTHBEARER p= channel binding",
       "OAUTHBEARER",
       {s(oauthbearer("p=tls-unique,,", tok))},
       status::failure,
       errc::malformed_response,
       failure_class::malformed},
      {"OAUTHBEARER bad gs2 flag",
       "OAUTHBEARER",
       {s(oauthbearer("x,,", tok))},
       status::failure,
       errc::malformed_response,
       failure_class::malformed},
      {"OAUTHBEARER gs2 header without its second comma",
       "OAUTHBEARER",
       {s("n,a=dupont@hopital.test\x01"
          "auth=Bearer " +
          tok + "\x01\x01")},
       status::failure,
       errc::malformed_response,
       failure_class::malformed},
      {"OAUTHBEARER bad saslname escape",
       "OAUTHBEARER",
       {s(oauthbearer("n,a=x=41,", tok))},
       status::failure,
       errc::malformed_response,
       failure_class::malformed},
      {"OAUTHBEARER empty a=",
       "OAUTHBEARER",
       {s(oauthbearer("n,a=,", tok))},
       status::failure,
       errc::malformed_response,
       failure_class::malformed},
      {"OAUTHBEARER authzid without a=",
       "OAUTHBEARER",
       {s(oauthbearer("n,dupont@hopital.test,", tok))},
       status::failure,
       errc::malformed_response,
       failure_class::malformed},
      {"OAUTHBEARER lone ^A as initial response",
       "OAUTHBEARER",
       {s("\x01")},
       status::failure,
       errc::malformed_response,
       failure_class::malformed},
      {"OAUTHBEARER key with a digit",
       "OAUTHBEARER",
       {s("n,,\x01"
          "h0st=x\x01"
          "auth=Bearer " +
          tok + "\x01\x01")},
       status::failure,
       errc::malformed_response,
       failure_class::malformed},
      {"OAUTHBEARER value with a NUL",
       "OAUTHBEARER",
       {s(std::string("n,,\x01host=a\0b\x01", 13) + "auth=Bearer " + tok + "\x01\x01")},
       status::failure,
       errc::malformed_response,
       failure_class::malformed},
      {"OAUTHBEARER missing final ^A",
       "OAUTHBEARER",
       {s("n,,\x01"
          "auth=Bearer " +
          tok + "\x01")},
       status::failure,
       errc::malformed_response,
       failure_class::malformed},
      {"OAUTHBEARER missing auth",
       "OAUTHBEARER",
       {s("n,,\x01host=x\x01\x01")},
       status::failure,
       errc::malformed_response,
       failure_class::malformed},
      {"OAUTHBEARER expired token, ^A ack",
       "OAUTHBEARER",
       {s(oauthbearer("n,,", expired_token())), s("\x01")},
       status::failure,
       errc::token_expired,
       failure_class::credentials,
       {},
       {},
       {},
       1},
      {"OAUTHBEARER wrong audience, empty ack",
       "OAUTHBEARER",
       {s(oauthbearer("n,,",
                      [] {
                        json c = valid_claims();
                        c["aud"] = "other";
                        return sign_token(header_for(rsa_key()), c, rsa_key());
                      }())),
        s("")},
       status::failure,
       errc::wrong_audience,
       failure_class::credentials,
       {},
       {},
       {},
       1},
      {"OAUTHBEARER cancel",
       "OAUTHBEARER",
       {none, s("*")},
       status::failure,
       errc::cancelled,
       failure_class::cancelled,
       {},
       {},
       {},
       1},
      // EXTERNAL
      {"EXTERNAL CPS card, no authzid",
       "EXTERNAL",
       {s("")},
       status::success,
       {},
       {},
       pid,
       "",
       [](sasl::context& c) {
         c.certificate = certificate_facts{"CN=810001234567/DUPONT Jean,O=Sante,C=FR", "810001234567", true};
       }},
      {"EXTERNAL CPS card, no initial response",
       "EXTERNAL",
       {none, s("")},
       status::success,
       {},
       {},
       pid,
       "",
       [](sasl::context& c) {
         c.certificate = certificate_facts{"CN=810001234567/DUPONT Jean,O=Sante,C=FR", "810001234567", true};
       },
       1},
      {"EXTERNAL CPS card, authzid own BAL",
       "EXTERNAL",
       {s("dupont@hopital.test")},
       status::success,
       {},
       {},
       pid,
       "dupont@hopital.test",
       [](sasl::context& c) {
         c.certificate = certificate_facts{"CN=810001234567/DUPONT Jean,O=Sante,C=FR", "810001234567", true};
       }},
      {"EXTERNAL organisation certificate, authzid its APP BAL",
       "EXTERNAL",
       {s("lgc@hopital.test")},
       status::success,
       {},
       {},
       "dn:" + std::string(org_dn),
       "lgc@hopital.test",
       [](sasl::context& c) {
         c.certificate = certificate_facts{std::string(org_dn), std::nullopt, true};
       }},
      {"EXTERNAL organisation certificate, DN spelled differently",
       "EXTERNAL",
       {s("lgc@hopital.test")},
       status::success,
       {},
       {},
       "dn:cn=LGC-ALPHA, ou=1234567890, o=Clinique  Alpha, st=Paris (75), c=FR",
       "lgc@hopital.test",
       [](sasl::context& c) {
         c.certificate = certificate_facts{"cn=LGC-ALPHA, ou=1234567890, o=Clinique  Alpha, st=Paris (75), c=FR",
                                           std::nullopt, true};
       }},
      {"EXTERNAL organisation certificate, authzid not bound to it",
       "EXTERNAL",
       {s("dupont@hopital.test")},
       status::failure,
       errc::authzid_denied,
       failure_class::authorization,
       {},
       {},
       [](sasl::context& c) {
         c.certificate = certificate_facts{std::string(org_dn), std::nullopt, true};
       },
       0,
       "dn:" + std::string(org_dn)},
      {"EXTERNAL without a certificate", "EXTERNAL", {s("")}, status::failure, errc::no_certificate},
      {"EXTERNAL with an unverified certificate",
       "EXTERNAL",
       {s("")},
       status::failure,
       errc::certificate_not_verified,
       failure_class::credentials,
       {},
       {},
       [](sasl::context& c) {
         c.certificate = certificate_facts{std::string(org_dn), std::nullopt, false};
       }},
      {"EXTERNAL authzid with a NUL",
       "EXTERNAL",
       {s(std::string("a\0b", 3))},
       status::failure,
       errc::malformed_response,
       failure_class::malformed,
       {},
       {},
       [](sasl::context& c) {
         c.certificate = certificate_facts{std::string(org_dn), std::nullopt, true};
       }},
      {"EXTERNAL cancel",
       "EXTERNAL",
       {none, s("*")},
       status::failure,
       errc::cancelled,
       failure_class::cancelled,
       {},
       {},
       {},
       1},
      // PLAIN
      {"PLAIN idNat", "PLAIN", {s(plain("", idnat, "s3cret pass"))}, status::success, {}, {}, pid, ""},
      {"PLAIN idNat, authzid own BAL",
       "PLAIN",
       {s(plain("dupont@hopital.test", idnat, "s3cret pass"))},
       status::success,
       {},
       {},
       pid,
       "dupont@hopital.test"},
      {"PLAIN BAL address (local user)",
       "PLAIN",
       {s(plain("", "Secretariat@hopital.test", "desk pass"))},
       status::success,
       {},
       {},
       "secretariat@hopital.test",
       ""},
      {"PLAIN without initial response",
       "PLAIN",
       {none, s(plain("", idnat, "s3cret pass"))},
       status::success,
       {},
       {},
       pid,
       "",
       {},
       1},
      {"PLAIN wrong password",
       "PLAIN",
       {s(plain("", idnat, "s3cret pasS"))},
       status::failure,
       errc::bad_password,
       failure_class::credentials,
       {},
       {},
       {},
       0,
       pid},
      {"PLAIN unknown user",
       "PLAIN",
       {s(plain("", "810000000000", "s3cret pass"))},
       status::failure,
       errc::unknown_user,
       failure_class::credentials,
       {},
       {},
       {},
       0,
       "810000000000"},
      {"PLAIN local user asking for another BAL",
       "PLAIN",
       {s(plain("dupont@hopital.test", "secretariat@hopital.test", "desk pass"))},
       status::failure,
       errc::authzid_denied,
       failure_class::authorization,
       {},
       {},
       {},
       0,
       "secretariat@hopital.test"},
      {"PLAIN one NUL only",
       "PLAIN",
       {s(std::string(idnat) + '\0' + "s3cret pass")},
       status::failure,
       errc::malformed_response,
       failure_class::malformed},
      {"PLAIN three NULs",
       "PLAIN",
       {s(plain("", idnat, "s3cret pass") + '\0')},
       status::failure,
       errc::malformed_response,
       failure_class::malformed},
      {"PLAIN password smuggled after a third NUL",
       "PLAIN",
       {s(plain("a", idnat, std::string("x\0s3cret pass", 13)))},
       status::failure,
       errc::malformed_response,
       failure_class::malformed},
      {"PLAIN empty authcid",
       "PLAIN",
       {s(plain("", "", "s3cret pass"))},
       status::failure,
       errc::malformed_response,
       failure_class::malformed},
      {"PLAIN empty password",
       "PLAIN",
       {s(plain("", idnat, ""))},
       status::failure,
       errc::malformed_response,
       failure_class::malformed},
      {"PLAIN empty response", "PLAIN", {s("")}, status::failure, errc::malformed_response, failure_class::malformed},
      {"PLAIN 256-octet password",
       "PLAIN",
       {s(plain("", idnat, std::string(256, 'p')))},
       status::failure,
       errc::malformed_response,
       failure_class::malformed},
      {"PLAIN cancel",
       "PLAIN",
       {none, s("*")},
       status::failure,
       errc::cancelled,
       failure_class::cancelled,
       {},
       {},
       {},
       1},
  };
  for (const auto& r : rows) {
    SECTION(r.name) {
      sasl::context ctx = full_context();
      if (r.tweak) r.tweak(ctx);
      std::vector<std::string> challenges;
      sasl::outcome o = run(r, ctx, challenges);
      INFO("log reason: " << o.log_reason);
      CHECK(o.state == r.final_state);
      CHECK(challenges.size() == r.challenges);
      if (r.final_state == status::success) {
        REQUIRE(o.who);
        CHECK(o.who->id == r.who_id);
        CHECK(o.authzid == r.authzid);
        CHECK(o.who->mechanism == *parse_mechanism(r.mechanism));
      } else {
        CHECK(o.error == r.error);
        CHECK(o.kind == r.kind);
        CHECK_FALSE(o.log_reason.empty());
        CHECK(o.throttle_identity == r.throttle);
        CHECK_FALSE(o.who);
      }
      // Secrets never reach an outcome's log reason.
      CHECK(o.log_reason.find(tok.substr(tok.rfind('.') + 1, 20)) == std::string::npos);
      CHECK(o.log_reason.find("s3cret") == std::string::npos);
      CHECK(o.log_reason.find("desk pass") == std::string::npos);
    }
  }
}

TEST_CASE("sasl: bearer error challenges are the documented JSON", "[auth][sasl]") {
  CHECK(sasl::xoauth2_error_challenge("openid") == R"({"status":"401","schemes":"bearer","scope":"openid"})");
  CHECK(
      sasl::oauthbearer_error_challenge("openid", "https://psc.test/.well-known/openid-configuration") ==
      R"({"status":"invalid_token","scope":"openid","openid-configuration":"https://psc.test/.well-known/openid-configuration"})");
  CHECK(sasl::oauthbearer_error_challenge("", "") == R"({"status":"invalid_token"})");

  sasl::context ctx = full_context();
  auto x = sasl::make_mechanism("XOAUTH2", ctx);
  auto o = x->start(xoauth2("", expired_token()), at(now_s));
  REQUIRE(o.state == status::challenge);
  CHECK(o.challenge == sasl::xoauth2_error_challenge("openid scope_all"));
  auto b = sasl::make_mechanism("oauthbearer", ctx);
  o = b->start(oauthbearer("n,,", expired_token()), at(now_s));
  REQUIRE(o.state == status::challenge);
  CHECK(o.challenge == sasl::oauthbearer_error_challenge("openid scope_all", ctx.openid_configuration));
}

TEST_CASE("sasl: availability follows the context", "[auth][sasl]") {
  sasl::context ctx = full_context();
  CHECK(sasl::offered(ctx, false).empty());  // never in clear
  CHECK(sasl::offered(ctx, true) == std::vector<std::string_view>{"XOAUTH2", "OAUTHBEARER", "PLAIN"});
  ctx.certificate = certificate_facts{std::string(org_dn), std::nullopt, true};
  CHECK(sasl::offered(ctx, true) == std::vector<std::string_view>{"XOAUTH2", "OAUTHBEARER", "EXTERNAL", "PLAIN"});
  ctx.certificate->verified = false;
  CHECK(sasl::offered(ctx, true) == std::vector<std::string_view>{"XOAUTH2", "OAUTHBEARER", "PLAIN"});

  // PLAIN disabled: not offered, and not startable.
  ctx.plain_enabled = false;
  CHECK(sasl::offered(ctx, true) == std::vector<std::string_view>{"XOAUTH2", "OAUTHBEARER"});
  CHECK_FALSE(sasl::make_mechanism("PLAIN", ctx));
  ctx.plain_enabled = true;
  ctx.users = nullptr;
  CHECK_FALSE(sasl::make_mechanism("PLAIN", ctx));
  ctx.tokens = nullptr;
  CHECK_FALSE(sasl::make_mechanism("XOAUTH2", ctx));
  CHECK_FALSE(sasl::make_mechanism("OAUTHBEARER", ctx));
  CHECK(sasl::make_mechanism("EXTERNAL", ctx));  // always startable: fails with a precise reason
  CHECK_FALSE(sasl::make_mechanism("CRAM-MD5", ctx));
  CHECK_FALSE(sasl::make_mechanism("", ctx));
}

TEST_CASE("sasl: no step after the end; start only once", "[auth][sasl]") {
  sasl::context ctx = full_context();
  auto m = sasl::make_mechanism("PLAIN", ctx);
  auto o = m->start(plain("", idnat, "s3cret pass"), at(now_s));
  REQUIRE(o.ok());
  CHECK(m->finished());
  o = m->step("anything", at(now_s));
  CHECK(o.error == errc::protocol_violation);
  o = m->start(std::nullopt, at(now_s));
  CHECK(o.error == errc::protocol_violation);
}

TEST_CASE("sasl: without an authorizer only the identity itself may be requested", "[auth][sasl]") {
  sasl::context ctx = full_context();
  ctx.authorize = nullptr;
  auto m = sasl::make_mechanism("PLAIN", ctx);
  CHECK(m->start(plain(idnat, idnat, "s3cret pass"), at(now_s)).ok());
  m = sasl::make_mechanism("PLAIN", ctx);
  auto o = m->start(plain("dupont@hopital.test", idnat, "s3cret pass"), at(now_s));
  CHECK(o.error == errc::authzid_denied);
}

TEST_CASE("sasl: the token is checked at the time of the response", "[auth][sasl]") {
  sasl::context ctx = full_context();
  auto m = sasl::make_mechanism("XOAUTH2", ctx);
  REQUIRE(m->start(std::nullopt, at(now_s)).state == status::challenge);
  // The client answers 10 minutes later with the same token: it has expired meanwhile.
  auto o = m->step(xoauth2("", good_token()), at(now_s + 600));
  CHECK(o.state == status::challenge);
  o = m->step("", at(now_s + 600));
  CHECK(o.error == errc::token_expired);
}

TEST_CASE("sasl: replies for sessions", "[auth][sasl]") {
  CHECK(sasl::smtp_reply(failure_class::credentials).code == 535);
  CHECK(sasl::smtp_reply(failure_class::credentials).enhanced == "5.7.8");
  CHECK(sasl::smtp_reply(failure_class::cancelled).code == 501);
  CHECK(sasl::smtp_reply(failure_class::temporary).code == 454);
  CHECK(sasl::smtp_reply(failure_class::unavailable).code == 504);
  CHECK(sasl::imap_reply(failure_class::cancelled).bad);
  CHECK(sasl::imap_reply(failure_class::credentials).code == "AUTHENTICATIONFAILED");
  CHECK(sasl::imap_reply(failure_class::authorization).code == "AUTHORIZATIONFAILED");
  CHECK(sasl::imap_reply(failure_class::temporary).code == "UNAVAILABLE");
}

TEST_CASE("sasl parsers: direct rows", "[auth][sasl]") {
  using namespace sasl::detail;
  auto x = parse_xoauth2(
      "user=a@b.test\x01"
      "auth=Bearer abc.def-_~+/=\x01\x01");
  REQUIRE(x);
  CHECK(x->authzid == "a@b.test");
  CHECK(x->token == "abc.def-_~+/=");
  CHECK(parse_bearer_credentials("Bearer   tok") == std::optional<std::string_view>("tok"));
  CHECK_FALSE(parse_bearer_credentials("Bearertok"));
  CHECK_FALSE(
      parse_bearer_credentials("Bearer tok="
                               "x"));
  CHECK_FALSE(parse_bearer_credentials("Bearer =tok"));
  auto b = parse_oauthbearer(
      "n,a=us=3Der=2Cx,\x01"
      "auth=Bearer t\x01\x01");
  REQUIRE(b);
  CHECK(b->authzid == "us=er,x");
  std::string error;
  CHECK_FALSE(
      parse_oauthbearer("n,,\x01"
                        "auth=Bearer t\x01",
                        &error));
  CHECK_FALSE(error.empty());
  auto p = parse_plain(std::string("z\0u\0p", 5));
  REQUIRE(p);
  CHECK(p->authzid == "z");
  CHECK(p->authcid == "u");
  CHECK(p->password == "p");
}

TEST_CASE("sasl: admit and conclude apply the throttling rules the same way for SMTP and IMAP", "[auth][sasl]") {
  throttle_config cfg;
  cfg.identity_block = 3;
  cfg.ip_block = 6;
  failure_limiter limiter(cfg);
  sasl::context ctx = full_context();
  const std::string ip = failure_limiter::address_key("192.0.2.10");
  auto attempt = [&](const std::string& response, std::int64_t t) {
    auto m = sasl::make_mechanism("PLAIN", ctx);
    return sasl::conclude(limiter, ip, m->start(response, at(t)), at(t));
  };
  CHECK(sasl::admit(limiter, ip, at(now_s)).accepted);
  // Wrong passwords: counted per address and per user; delays start after the free failures.
  auto c1 = attempt(plain("", idnat, "guess-1"), now_s);
  CHECK_FALSE(c1.accepted);
  CHECK(c1.kind == failure_class::credentials);
  CHECK(c1.delay.count() == 0);
  CHECK(c1.throttle.identity_failures == 1);
  attempt(plain("", idnat, "guess-2"), now_s + 1);
  auto c3 = attempt(plain("", idnat, "guess-3"), now_s + 2);
  CHECK(c3.kind == failure_class::temporary);  // identity_block reached
  CHECK(c3.throttle.blocked);
  // The right password now: refused as temporary, indistinguishable from a failure.
  auto right = attempt(plain("", idnat, "s3cret pass"), now_s + 3);
  CHECK_FALSE(right.accepted);
  CHECK(right.kind == failure_class::temporary);
  CHECK(right.delay == cfg.max_delay);
  // Another user from the same address still gets in, and its success does not clear the address.
  auto other = attempt(plain("", "secretariat@hopital.test", "desk pass"), now_s + 4);
  CHECK(other.accepted);
  CHECK(limiter.check(ip, "", at(now_s + 4)).ip_failures == 3);
  // Cancels are neither counted nor delayed.
  auto m = sasl::make_mechanism("PLAIN", ctx);
  m->start(std::nullopt, at(now_s + 5));
  auto cancelled = sasl::conclude(limiter, ip, m->cancel(), at(now_s + 5));
  CHECK(cancelled.kind == failure_class::cancelled);
  CHECK(cancelled.delay.count() == 0);
  CHECK(limiter.check(ip, "", at(now_s + 5)).ip_failures == 3);
  // Forged tokens count against the address only.
  auto x = sasl::make_mechanism("XOAUTH2", ctx);
  auto o = x->start(xoauth2("", good_token().substr(0, 40) + "x.y.z"), at(now_s + 6));
  o = x->step("", at(now_s + 6));
  auto forged = sasl::conclude(limiter, ip, o, at(now_s + 6));
  CHECK(forged.throttle.identity_failures == 0);
  CHECK(forged.throttle.ip_failures == 4);
  // Past ip_block the address is turned away before any credential is read.
  attempt(plain("", "810000000000", "x"), now_s + 7);
  attempt(plain("", "810000000000", "x"), now_s + 8);
  auto gate = sasl::admit(limiter, ip, at(now_s + 9));
  CHECK_FALSE(gate.accepted);
  CHECK(gate.kind == failure_class::temporary);
  CHECK(gate.delay == cfg.max_delay);
  CHECK(sasl::admit(limiter, failure_limiter::address_key("192.0.2.11"), at(now_s + 9)).accepted);
  // After the window the identity may log in again.
  CHECK(attempt(plain("", idnat, "s3cret pass"), now_s + 2000).accepted);
}

TEST_CASE("sasl: every outcome names its mechanism", "[auth][sasl]") {
  sasl::context ctx = full_context();
  for (const char* name : {"XOAUTH2", "OAUTHBEARER", "EXTERNAL", "PLAIN"}) {
    auto m = sasl::make_mechanism(name, ctx);
    REQUIRE(m);
    CHECK(m->start(std::nullopt, at(now_s)).mechanism == *parse_mechanism(name));
    CHECK(m->cancel().mechanism == *parse_mechanism(name));
  }
}
