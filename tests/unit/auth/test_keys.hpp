// Test support for auth: keys generated with OpenSSL at test time, their JWKs, and JWS signing (RS256, ES256, and
// HS256 for the alg-confusion rows). Nothing here reads ../shared or fixed files.
#pragma once
#include <chrono>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "auth/jwks.hpp"
#include "auth/jwt.hpp"

struct evp_pkey_st;

namespace mssgw::test {

using json = nlohmann::json;

struct test_key {
  std::shared_ptr<evp_pkey_st> pkey;
  auth::key_type type = auth::key_type::rsa;
  std::string kid;

  json jwk() const;                                // public JWK with kid (and "use":"sig")
  std::string sign(std::string_view input) const;  // raw JWS signature: PKCS#1 v1.5 for RSA, r||s for EC
  std::string public_pem() const;                  // SubjectPublicKeyInfo PEM (the HS256 confusion secret)
};

// Made at build time with the openssl CLI (or generated once per process when the files are missing).
const test_key& rsa_key();
const test_key& rsa_key2();  // a second RSA key, another kid
const test_key& ec_key();
test_key make_rsa(int bits, std::string kid);  // generated now
test_key weak_rsa_key();                       // RSA 1024, kid "weak"

json jwks_of(std::initializer_list<const test_key*> keys);

// header '.' payload '.' signature, each base64url; `key` signs header '.' payload.
std::string sign_raw_token(std::string_view header_json, std::string_view payload_json, const test_key& key);
std::string sign_token(const json& header, const json& payload, const test_key& key);
std::string hs256_token(const json& header, const json& payload, std::string_view secret);

inline constexpr std::int64_t now_s = 1'700'000'000;
inline auth::clock::time_point at(std::int64_t unix_seconds) {
  return auth::clock::time_point(std::chrono::seconds(unix_seconds));
}
inline constexpr std::string_view issuer = "https://auth.psc.test/realms/esante-wallet";
inline constexpr std::string_view audience = "mssgw-test";
inline constexpr std::string_view idnat = "810001234567";

auth::token_policy policy();
// Claims of a valid token at now_s, for the professional `idnat`.
json valid_claims();
json header_for(const test_key& key);
std::shared_ptr<const auth::key_set> test_keys();  // rsa_key, rsa_key2, ec_key

// A directory removed at the end of the test.
struct temp_dir {
  std::filesystem::path path;
  temp_dir();
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  std::filesystem::path write(const std::string& name, std::string_view content) const;
};

}  // namespace mssgw::test
