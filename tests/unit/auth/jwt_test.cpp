// Access-token verification (auth/jwt.hpp): one row per way a Pro Santé Connect token can be right or wrong.
#include "auth/jwt.hpp"

#include <catch2/catch.hpp>
#include <functional>

#include "auth/codec.hpp"
#include "test_keys.hpp"

using namespace mssgw;
using namespace mssgw::test;
using auth::errc;

namespace {

struct row {
  const char* name;
  std::function<std::string()> token;
  errc expected;
  std::function<void(auth::token_policy&)> tweak = {};
  std::int64_t now = now_s;
};

std::string with_claims(const std::function<void(json&)>& edit, const test_key& key = rsa_key()) {
  json c = valid_claims();
  edit(c);
  return sign_token(header_for(key), c, key);
}

std::string with_header(const std::function<void(json&)>& edit, const test_key& key = rsa_key()) {
  json h = header_for(key);
  edit(h);
  return sign_token(h, valid_claims(), key);
}

// Replaces part `index` (0 header, 1 payload, 2 signature) of a compact token.
std::string replace_part(const std::string& token, int index, const std::string& part) {
  auto d1 = token.find('.'), d2 = token.find('.', d1 + 1);
  std::string parts[3] = {token.substr(0, d1), token.substr(d1 + 1, d2 - d1 - 1), token.substr(d2 + 1)};
  parts[index] = part;
  return parts[0] + "." + parts[1] + "." + parts[2];
}

std::string part(const std::string& token, int index) {
  auto d1 = token.find('.'), d2 = token.find('.', d1 + 1);
  if (index == 0) return token.substr(0, d1);
  if (index == 1) return token.substr(d1 + 1, d2 - d1 - 1);
  return token.substr(d2 + 1);
}

std::string valid_rs() {
  return sign_token(header_for(rsa_key()), valid_claims(), rsa_key());
}

}  // namespace

TEST_CASE("jwt: table of valid and invalid access tokens", "[auth][jwt]") {
  const auto keys = test_keys();
  std::vector<row> rows = {
      {"valid RS256", valid_rs, errc{}},
      {"valid ES256", [] { return sign_token(header_for(ec_key()), valid_claims(), ec_key()); }, errc{}},
      {"valid RS256 signed by the second RSA key", [] { return with_claims([](json&) {}, rsa_key2()); }, errc{}},
      {"typ at+jwt (RFC 9068)", [] { return with_header([](json& h) { h["typ"] = "at+jwt"; }); }, errc{}},
      {"no typ", [] { return with_header([](json& h) { h.erase("typ"); }); }, errc{}},
      {"fractional NumericDates",
       [] {
         return with_claims([](json& c) {
           c["exp"] = now_s + 60.5;
           c["iat"] = now_s - 0.25;
         });
       },
       errc{}},
      // time
      {"expired", [] { return with_claims([](json& c) { c["exp"] = now_s - 120; }); }, errc::token_expired},
      {"exp within the skew (29 s ago)", [] { return with_claims([](json& c) { c["exp"] = now_s - 29; }); }, errc{}},
      {"exp exactly at the skew boundary (30 s ago)",
       [] { return with_claims([](json& c) { c["exp"] = now_s - 30; }); }, errc::token_expired},
      {"exp with zero skew, equal to now", [] { return with_claims([](json& c) { c["exp"] = now_s; }); },
       errc::token_expired, [](auth::token_policy& p) { p.clock_skew = std::chrono::seconds{0}; }},
      {"exp with zero skew, 1 s ahead", [] { return with_claims([](json& c) { c["exp"] = now_s + 1; }); }, errc{},
       [](auth::token_policy& p) { p.clock_skew = std::chrono::seconds{0}; }},
      {"not yet valid (nbf in 2 min)",
       [] {
         return with_claims([](json& c) {
           c["nbf"] = now_s + 120;
           c["exp"] = now_s + 240;
         });
       },
       errc::token_not_yet_valid},
      {"nbf at the skew boundary (30 s ahead)", [] { return with_claims([](json& c) { c["nbf"] = now_s + 30; }); },
       errc{}},
      {"nbf just past the skew (31 s ahead)", [] { return with_claims([](json& c) { c["nbf"] = now_s + 31; }); },
       errc::token_not_yet_valid},
      {"iat in the future beyond skew",
       [] {
         return with_claims([](json& c) {
           c["iat"] = now_s + 31;
           c.erase("nbf");
         });
       },
       errc::token_issued_in_future},
      {"iat in the future within skew",
       [] {
         return with_claims([](json& c) {
           c["iat"] = now_s + 30;
           c.erase("nbf");
         });
       },
       errc{}},
      {"exp missing", [] { return with_claims([](json& c) { c.erase("exp"); }); }, errc::missing_claim},
      {"exp a string", [] { return with_claims([](json& c) { c["exp"] = "1700000100"; }); }, errc::missing_claim},
      {"nbf a string", [] { return with_claims([](json& c) { c["nbf"] = "soon"; }); }, errc::missing_claim},
      // issuer and audience
      {"wrong iss", [] { return with_claims([](json& c) { c["iss"] = "https://evil.test/realms/esante-wallet"; }); },
       errc::wrong_issuer},
      {"iss with a trailing slash", [] { return with_claims([](json& c) { c["iss"] = std::string(issuer) + "/"; }); },
       errc::wrong_issuer},
      {"iss missing", [] { return with_claims([](json& c) { c.erase("iss"); }); }, errc::wrong_issuer},
      {"wrong aud", [] { return with_claims([](json& c) { c["aud"] = "another-service"; }); }, errc::wrong_audience},
      {"aud array containing ours",
       [] { return with_claims([](json& c) {
              c["aud"] = json::array({"account", audience});
            }); }, errc{}},
      {"aud array without ours", [] { return with_claims([](json& c) {
                                        c["aud"] = json::array({"account", "x"});
                                      }); },
       errc::wrong_audience},
      {"aud missing", [] { return with_claims([](json& c) { c.erase("aud"); }); }, errc::wrong_audience},
      {"aud missing, azp ours, azp not allowed",
       [] {
         return with_claims([](json& c) {
           c.erase("aud");
           c["azp"] = audience;
         });
       },
       errc::wrong_audience},
      {"aud missing, azp ours, azp allowed",
       [] {
         return with_claims([](json& c) {
           c.erase("aud");
           c["azp"] = audience;
         });
       },
       errc{}, [](auth::token_policy& p) { p.azp_as_audience = true; }},
      {"aud other, azp other, azp allowed", [] { return with_claims([](json& c) { c["aud"] = "x"; }); },
       errc::wrong_audience, [](auth::token_policy& p) { p.azp_as_audience = true; }},
      // national id
      {"sub missing", [] { return with_claims([](json& c) { c.erase("sub"); }); }, errc::missing_claim},
      {"sub a number", [] { return with_claims([](json& c) { c["sub"] = 810001234567; }); }, errc::missing_claim},
      {"invalid idNat (punctuation)", [] { return with_claims([](json& c) { c["sub"] = "81000123456@"; }); },
       errc::invalid_idnat},
      {"invalid idNat (empty)", [] { return with_claims([](json& c) { c["sub"] = ""; }); }, errc::invalid_idnat},
      {"invalid idNat (structure personnel with '/')",
       [] { return with_claims([](json& c) { c["sub"] = "3123456789/1234"; }); }, errc::invalid_idnat},
      {"idNat from SubjectNameID",
       [] {
         return with_claims([](json& c) {
           c["sub"] = "f:550e8400-e29b";
           c["SubjectNameID"] = idnat;
         });
       },
       errc{}, [](auth::token_policy& p) { p.idnat_claim = "SubjectNameID"; }},
      {"idNat from a JSON pointer",
       [] { return with_claims([](json& c) {
              c["ext"] = json{{"rpps", {{"idnat", idnat}}}};
            }); }, errc{},
       [](auth::token_policy& p) { p.idnat_claim = "/ext/rpps/idnat"; }},
      {"JSON pointer to nothing", valid_rs, errc::missing_claim,
       [](auth::token_policy& p) { p.idnat_claim = "/ext/none"; }},
      // algorithms and keys
      {"unknown kid", [] { return with_header([](json& h) { h["kid"] = "rotated-away"; }); }, errc::unknown_kid},
      {"no kid, several RSA keys", [] { return with_header([](json& h) { h.erase("kid"); }); }, errc::unknown_kid},
      {"no kid, the only EC key", [] { return with_header([](json& h) { h.erase("kid"); }, ec_key()); }, errc{}},
      {"kid not a string", [] { return with_header([](json& h) { h["kid"] = 1; }); }, errc::token_bad_header},
      {"alg none, empty signature",
       [] {
         json h = {{"alg", "none"}, {"typ", "JWT"}};
         return auth::base64url_encode(h.dump()) + "." + auth::base64url_encode(valid_claims().dump()) + ".";
       },
       errc::alg_not_allowed},
      {"alg None (case variant)", [] { return with_header([](json& h) { h["alg"] = "None"; }); },
       errc::alg_not_allowed},
      {"alg HS256 keyed with the RSA public key (alg confusion)",
       [] {
         return hs256_token({{"alg", "HS256"}, {"typ", "JWT"}, {"kid", rsa_key().kid}}, valid_claims(),
                            rsa_key().public_pem());
       },
       errc::alg_not_allowed},
      {"alg PS256", [] { return with_header([](json& h) { h["alg"] = "PS256"; }); }, errc::alg_not_allowed},
      {"alg missing", [] { return with_header([](json& h) { h.erase("alg"); }); }, errc::token_bad_header},
      {"alg ES256 naming an RSA kid",
       [] {
         json h = header_for(rsa_key());
         h["alg"] = "ES256";
         return sign_token(h, valid_claims(), ec_key());
       },
       errc::alg_key_mismatch},
      {"alg RS256 naming an EC kid",
       [] {
         json h = header_for(ec_key());
         h["alg"] = "RS256";
         return sign_token(h, valid_claims(), rsa_key());
       },
       errc::alg_key_mismatch},
      {"signed by another RSA key than its kid",
       [] { return sign_token(header_for(rsa_key()), valid_claims(), rsa_key2()); }, errc::bad_signature},
      {"crit header",
       [] {
         return with_header([](json& h) {
           h["crit"] = json::array({"exp"});
           h["exp"] = 1;
         });
       },
       errc::token_bad_header},
      {"typ JWE-ish", [] { return with_header([](json& h) { h["typ"] = "JOSE+JSON"; }); }, errc::token_bad_header},
      {"embedded jwk is ignored: signature by the embedded key fails",
       [] {
         json h = header_for(rsa_key());
         h["jwk"] = rsa_key2().jwk();
         return sign_token(h, valid_claims(), rsa_key2());
       },
       errc::bad_signature},
      // integrity
      {"tampered payload",
       [] {
         json c = valid_claims();
         c["sub"] = "810009999999";
         return replace_part(valid_rs(), 1, auth::base64url_encode(c.dump()));
       },
       errc::bad_signature},
      {"tampered payload (ES256)",
       [] {
         json c = valid_claims();
         c["exp"] = now_s + 100000;
         return replace_part(sign_token(header_for(ec_key()), valid_claims(), ec_key()), 1,
                             auth::base64url_encode(c.dump()));
       },
       errc::bad_signature},
      {"truncated RS256 signature (3 bytes less)",
       [] {
         std::string t = valid_rs();
         std::string sig = *auth::base64url_decode(part(t, 2));
         return replace_part(t, 2, auth::base64url_encode(sig.substr(0, sig.size() - 3)));
       },
       errc::bad_signature},
      {"truncated ES256 signature (1 byte less)",
       [] {
         std::string t = sign_token(header_for(ec_key()), valid_claims(), ec_key());
         std::string sig = *auth::base64url_decode(part(t, 2));
         return replace_part(t, 2, auth::base64url_encode(sig.substr(0, sig.size() - 1)));
       },
       errc::bad_signature},
      {"signature cut mid-character (non-canonical base64url)",
       [] {
         std::string t = valid_rs();
         return t.substr(0, t.size() - 1);
       },
       errc::token_bad_base64},
      {"ES256 signature in DER instead of r||s",
       [] {
         std::string t = sign_token(header_for(ec_key()), valid_claims(), ec_key());
         std::string raw = *auth::base64url_decode(part(t, 2));
         std::string der = "\x30\x44\x02\x20" + raw.substr(0, 32) + "\x02\x20" + raw.substr(32);
         return replace_part(t, 2, auth::base64url_encode(der));
       },
       errc::bad_signature},
      {"empty signature", [] { return replace_part(valid_rs(), 2, ""); }, errc::bad_signature},
      // encoding
      {"bad base64url ('+' in the payload)",
       [] {
         std::string p = part(valid_rs(), 1);
         p[3] = '+';
         return replace_part(valid_rs(), 1, p);
       },
       errc::token_bad_base64},
      {"padding present",
       [] {
         // A payload whose length is not a multiple of 3, so its base64url is not a multiple of 4.
         std::string t;
         for (int k = 0; k < 3; ++k) {
           json c = valid_claims();
           c["pad"] = std::string(static_cast<std::size_t>(k), 'x');
           t = sign_token(header_for(rsa_key()), c, rsa_key());
           if (part(t, 1).size() % 4) break;
         }
         std::string p = part(t, 1);
         while (p.size() % 4) p.push_back('=');
         return replace_part(t, 1, p);
       },
       errc::token_bad_base64},
      {"signature with padding", [] { return valid_rs() + "=="; }, errc::token_bad_base64},
      {"length 1 mod 4", [] { return replace_part(valid_rs(), 0, "eyJhb"); }, errc::token_bad_base64},
      {"non-zero trailing bits",
       [] {
         // "e30" is "{}"; "e31" decodes to the same bytes with non-zero unused bits: not canonical.
         return replace_part(valid_rs(), 0, "e31");
       },
       errc::token_bad_base64},
      {"two parts",
       [] {
         std::string t = valid_rs();
         return t.substr(0, t.rfind('.'));
       },
       errc::token_malformed},
      {"five parts (JWE)", [] { return valid_rs() + ".a.b"; }, errc::token_malformed},
      {"empty header", [] { return replace_part(valid_rs(), 0, ""); }, errc::token_malformed},
      {"empty string", [] { return std::string(); }, errc::token_malformed},
      {"oversized token", [] { return with_claims([](json& c) { c["filler"] = std::string(9000, 'x'); }); },
       errc::token_too_large},
      {"just under the size cap", [] { return with_claims([](json& c) { c["filler"] = std::string(5000, 'x'); }); },
       errc{}},
      // JSON
      {"payload JSON with a duplicate sub",
       [] {
         std::string payload = valid_claims().dump();
         payload.insert(1, "\"sub\":\"899999999999\",");
         return sign_raw_token(header_for(rsa_key()).dump(), payload, rsa_key());
       },
       errc::token_duplicate_key},
      {"header JSON with a duplicate alg",
       [] { return sign_raw_token(R"({"alg":"none","alg":"RS256","kid":"rsa-1"})", valid_claims().dump(), rsa_key()); },
       errc::token_duplicate_key},
      {"nested duplicate is refused too",
       [] {
         return sign_raw_token(header_for(rsa_key()).dump(), valid_claims().dump().insert(1, R"("x":{"a":1,"a":2},)"),
                               rsa_key());
       },
       errc::token_duplicate_key},
      {"same member name in sibling objects is fine",
       [] {
         return sign_raw_token(header_for(rsa_key()).dump(),
                               valid_claims().dump().insert(1, R"("x":{"a":1},"y":{"a":2},)"), rsa_key());
       },
       errc{}},
      {"payload an array", [] { return sign_raw_token(header_for(rsa_key()).dump(), "[1,2,3]", rsa_key()); },
       errc::token_not_object},
      {"payload a string", [] { return sign_raw_token(header_for(rsa_key()).dump(), "\"hello\"", rsa_key()); },
       errc::token_not_object},
      {"header an array", [] { return sign_raw_token("[\"RS256\"]", valid_claims().dump(), rsa_key()); },
       errc::token_not_object},
      {"payload not JSON", [] { return sign_raw_token(header_for(rsa_key()).dump(), "{\"iss\":", rsa_key()); },
       errc::token_bad_json},
      {"payload with invalid UTF-8",
       [] { return sign_raw_token(header_for(rsa_key()).dump(), "{\"iss\":\"\xff\"}", rsa_key()); },
       errc::token_bad_json},
      {"payload nested too deep",
       [] {
         std::string deep = "{\"x\":" + std::string(40, '[') + std::string(40, ']') + "}";
         return sign_raw_token(header_for(rsa_key()).dump(), deep, rsa_key());
       },
       errc::token_bad_json},
  };
  for (const auto& r : rows) {
    SECTION(r.name) {
      auth::token_policy p = policy();
      if (r.tweak) r.tweak(p);
      auth::token_verifier verifier(p, keys);
      std::string token = r.token();
      auth::token_result result = verifier.verify(token, at(r.now));
      INFO("reason: " << result.log_reason);
      CHECK(result.error == r.expected);
      if (r.expected == errc{}) {
        CHECK(result.log_reason.empty());
      } else {
        CHECK_FALSE(result.log_reason.empty());
      }
      // The token is never quoted in a log reason: check its signature part (and the whole token) are absent.
      if (token.size() > 20) CHECK(result.log_reason.find(token) == std::string::npos);
      std::string sig = token.substr(token.rfind('.') + 1);
      if (sig.size() > 16) CHECK(result.log_reason.find(sig.substr(0, 16)) == std::string::npos);
    }
  }
}

TEST_CASE("jwt: claims of a valid token", "[auth][jwt]") {
  auth::token_verifier verifier(policy(), test_keys());
  auto r = verifier.verify(sign_token(header_for(ec_key()), valid_claims(), ec_key()), at(now_s));
  REQUIRE(r.ok());
  CHECK(r.claims.idnat == idnat);
  CHECK(r.claims.subject == idnat);
  CHECK(r.claims.issuer == issuer);
  CHECK(r.claims.client == "lgc-test");
  CHECK(r.claims.token_id == "token-1");
  CHECK(r.claims.kid == "ec-1");
  CHECK(r.claims.alg == "ES256");
  CHECK(r.claims.expires_at == now_s + 120);
}

TEST_CASE("jwt: without keys every token fails with no_keys", "[auth][jwt]") {
  auth::token_verifier verifier(policy(), nullptr);
  CHECK(verifier.verify(valid_rs(), at(now_s)).error == errc::no_keys);
}

TEST_CASE("jwt: the size cap applies before any decoding", "[auth][jwt]") {
  auth::token_policy p = policy();
  p.max_size = 1024;
  auth::token_verifier verifier(p, test_keys());
  std::string garbage(1025, '!');  // not even base64url: refused for its size
  CHECK(verifier.verify(garbage, at(now_s)).error == errc::token_too_large);
  CHECK(verifier.verify(std::string(1024, '!'), at(now_s)).error == errc::token_malformed);
}

TEST_CASE("jwt: a key set rotation is a pointer swap; old tokens fail with unknown_kid", "[auth][jwt]") {
  auto only_second = auth::key_set::from_json(jwks_of({&rsa_key2()}).dump()).keys;
  REQUIRE(only_second);
  auth::token_verifier verifier(policy(), only_second);
  CHECK(verifier.verify(valid_rs(), at(now_s)).error == errc::unknown_kid);
  CHECK(verifier.verify(with_claims([](json&) {}, rsa_key2()), at(now_s)).ok());
  // No kid: the only RSA key of the set.
  json h = header_for(rsa_key2());
  h.erase("kid");
  CHECK(verifier.verify(sign_token(h, valid_claims(), rsa_key2()), at(now_s)).ok());
}
