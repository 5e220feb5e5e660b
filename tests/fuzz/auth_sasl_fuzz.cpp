// libFuzzer target: the SASL mechanisms (auth/sasl.hpp) and their response parsers, driven like a session would:
// start() with the first part of the payload (or no initial response), step() with the rest, then an empty
// response while challenges keep coming.
// Checks: no crash; success only with a token the seed writer signed (bearer), the right password (PLAIN) or a
// verified certificate (EXTERNAL); failures carry a reason and a kind; neither the password nor the token appears
// in a log reason; an exchange always ends within a few steps; parsers agree with the mechanisms.
#include <openssl/evp.h>

#include "auth/sasl.hpp"
#include "auth/sasl_mechanisms.hpp"
#include "auth_fuzz.hpp"

using namespace mssgw::auth;
using namespace mssgw::auth::sasl;

namespace {

const context& base_context() {
  static const context ctx = [] {
    context c;
    c.tokens = std::make_shared<token_verifier>(fuzz::policy(), fuzz::keys());
    // {SSHA512}: cheap to check, so the fuzzer spends its time on parsing rather than on SHA-512-crypt rounds.
    const std::string salt = "fuzzsalt";
    unsigned char md[64];
    unsigned int len = 0;
    const std::string input = std::string(fuzz::plain_password) + salt;
    EVP_Digest(input.data(), input.size(), md, &len, EVP_sha512(), nullptr);
    auto users = user_db::from_text(std::string(fuzz::plain_user) + ":{SSHA512}" +
                                    base64_encode(std::string(reinterpret_cast<char*>(md), len) + salt) + "\n");
    AUTH_FUZZ_CHECK(users.users);
    c.users = users.users;
    c.plain_enabled = true;
    c.authorize = [](const identity& who, std::string_view authzid) {
      authz_answer a;
      a.allowed = is_self(who, authzid) || (authzid == "dupont@hopital.test" && who.id == fuzz::idnat);
      if (a.allowed && authzid.find('@') != std::string_view::npos) a.bal = std::string(authzid);
      return a;
    };
    c.max_response = 20 * 1024;
    return c;
  }();
  return ctx;
}

bool contains(std::string_view hay, std::string_view needle) {
  return hay.find(needle) != std::string_view::npos;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto in = fuzz::sasl_input::decode(std::string_view(reinterpret_cast<const char*>(data), size));
  static const char* names[] = {"XOAUTH2", "OAUTHBEARER", "EXTERNAL", "PLAIN"};
  const int mech = in.flags & 3;
  context ctx = base_context();
  if (in.flags & 4) {
    certificate_facts cert;
    cert.subject_dn = "CN=lgc-fuzz,O=Fuzz,C=FR";
    cert.verified = in.flags & 8;
    if (in.flags & 16) cert.idnat = std::string(fuzz::idnat);
    ctx.certificate = cert;
  }
  auto m = make_mechanism(names[mech], ctx);
  AUTH_FUZZ_CHECK(m);

  const std::string_view p = in.payload;
  const std::size_t k = p.size() * in.split / 255;
  const std::string_view first = p.substr(0, k), second = p.substr(k);
  outcome o = (in.flags & 32) ? m->start(std::nullopt, fuzz::now()) : m->start(first, fuzz::now());
  int steps = 0;
  bool used_second = false;
  while (o.state == status::challenge) {
    AUTH_FUZZ_CHECK(++steps <= 3);
    std::string_view next = used_second ? std::string_view() : ((in.flags & 32) ? p : second);
    used_second = true;
    o = m->step(next, fuzz::now());
  }
  AUTH_FUZZ_CHECK(m->finished());
  AUTH_FUZZ_CHECK(m->step("", fuzz::now()).error == errc::protocol_violation);

  // What the parsers say about the first response (the one that carries the credentials).
  const std::string_view creds = (in.flags & 32) ? p : first;
  if (o.ok()) {
    AUTH_FUZZ_CHECK(o.who.has_value());
    AUTH_FUZZ_CHECK(o.log_reason.empty());
    switch (mech) {
      case 0:
      case 1: {
        auto b = mech == 0 ? detail::parse_xoauth2(creds) : detail::parse_oauthbearer(creds);
        AUTH_FUZZ_CHECK(b.has_value());
        AUTH_FUZZ_CHECK(fuzz::valid_signing_inputs().count(b->token.substr(0, b->token.rfind('.'))) == 1);
        AUTH_FUZZ_CHECK(o.who->id == fuzz::idnat);
        AUTH_FUZZ_CHECK(o.authzid == b->authzid);
        break;
      }
      case 2: AUTH_FUZZ_CHECK(ctx.certificate && ctx.certificate->verified); break;
      case 3: {
        auto pl = detail::parse_plain(creds);
        AUTH_FUZZ_CHECK(pl.has_value());
        AUTH_FUZZ_CHECK(pl->password == fuzz::plain_password);
        AUTH_FUZZ_CHECK(o.who->id == fuzz::plain_user);
        break;
      }
    }
  } else {
    AUTH_FUZZ_CHECK(!o.log_reason.empty());
    AUTH_FUZZ_CHECK(o.error != errc{});
    if (mech == 3) {
      if (auto pl = detail::parse_plain(creds); pl && pl->password.size() >= 6 &&
                                                !contains(pl->authcid, pl->password) &&
                                                !contains(pl->authzid, pl->password)) {
        AUTH_FUZZ_CHECK(!contains(o.log_reason, pl->password));
      }
    }
    if (mech <= 1) {
      auto b = mech == 0 ? detail::parse_xoauth2(creds) : detail::parse_oauthbearer(creds);
      if (b && b->token.size() >= 24 && !contains(b->authzid, b->token)) {
        AUTH_FUZZ_CHECK(!contains(o.log_reason, b->token));
      }
    }
  }
  return 0;
}
