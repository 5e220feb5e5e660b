// Shared by the auth fuzz targets and their seed writer (auth_seeds.cpp): a fixed EC P-256 signing key (a test key
// made for these targets, nothing else), the key set and token policy the targets verify against, and the signing
// inputs of the valid seed tokens (the only ones a target may ever accept).
#pragma once
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>

#include "auth/codec.hpp"
#include "auth/jwks.hpp"
#include "auth/jwt.hpp"

#define AUTH_FUZZ_CHECK(cond)                                                       \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                 \
    }                                                                               \
  } while (0)

namespace mssgw::auth::fuzz {

using json = nlohmann::json;

inline constexpr const char* ec_private_pem =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgzl8fZxybppnxw4l7\n"
    "8xi/21siSvbpXg2jetPEiZy9gdGhRANCAATYdHm766/nVhzQ/t8ITo2RkDAopTaV\n"
    "V7H0rWwNj4nyffJHf9w4ArnGc3tJtpvcxXSuXxX568CdM+7vHdrUJvjG\n"
    "-----END PRIVATE KEY-----\n";

inline constexpr std::int64_t now_s = 1'700'000'000;
inline constexpr std::string_view issuer = "https://auth.psc.test/realms/esante-wallet";
inline constexpr std::string_view audience = "mssgw-test";
inline constexpr std::string_view idnat = "810001234567";
inline constexpr std::string_view plain_user = "810001234567";
inline constexpr std::string_view plain_password = "fuzz-secret-pw";

inline EVP_PKEY* ec_private_key() {
  static EVP_PKEY* key = [] {
    BIO* bio = BIO_new_mem_buf(ec_private_pem, -1);
    EVP_PKEY* k = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    AUTH_FUZZ_CHECK(k);
    return k;
  }();
  return key;
}

inline std::string bn_param(EVP_PKEY* pkey, const char* name, int pad) {
  BIGNUM* bn = nullptr;
  AUTH_FUZZ_CHECK(EVP_PKEY_get_bn_param(pkey, name, &bn) == 1);
  std::string out(static_cast<std::size_t>(pad), '\0');
  BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), pad);
  BN_free(bn);
  return out;
}

// JWKS: the fixed EC key ("ec-1") and a throwaway RSA key ("rsa-1": exercises the RS256 path; nothing verifies).
inline std::shared_ptr<const key_set> keys() {
  static const std::shared_ptr<const key_set> set = [] {
    EVP_PKEY* rsa = EVP_RSA_gen(2048);
    AUTH_FUZZ_CHECK(rsa);
    BIGNUM* n = nullptr;
    BIGNUM* e = nullptr;
    EVP_PKEY_get_bn_param(rsa, OSSL_PKEY_PARAM_RSA_N, &n);
    EVP_PKEY_get_bn_param(rsa, OSSL_PKEY_PARAM_RSA_E, &e);
    std::string nb(static_cast<std::size_t>(BN_num_bytes(n)), '\0'),
        eb(static_cast<std::size_t>(BN_num_bytes(e)), '\0');
    BN_bn2bin(n, reinterpret_cast<unsigned char*>(nb.data()));
    BN_bn2bin(e, reinterpret_cast<unsigned char*>(eb.data()));
    BN_free(n);
    BN_free(e);
    EVP_PKEY_free(rsa);
    json doc;
    doc["keys"] = json::array();
    doc["keys"].push_back({{"kty", "EC"},
                           {"crv", "P-256"},
                           {"kid", "ec-1"},
                           {"use", "sig"},
                           {"x", base64url_encode(bn_param(ec_private_key(), OSSL_PKEY_PARAM_EC_PUB_X, 32))},
                           {"y", base64url_encode(bn_param(ec_private_key(), OSSL_PKEY_PARAM_EC_PUB_Y, 32))}});
    doc["keys"].push_back({{"kty", "RSA"}, {"kid", "rsa-1"}, {"n", base64url_encode(nb)}, {"e", base64url_encode(eb)}});
    auto r = key_set::from_json(doc.dump());
    AUTH_FUZZ_CHECK(r.keys);
    return r.keys;
  }();
  return set;
}

inline token_policy policy() {
  token_policy p;
  p.issuer = std::string(issuer);
  p.audience = std::string(audience);
  return p;
}

inline clock::time_point now() {
  return clock::time_point(std::chrono::seconds(now_s));
}

// header.payload of the valid seed tokens: deterministic (only the ECDSA signature is random).
inline std::string valid_signing_input(int variant) {
  json h = {{"alg", "ES256"}, {"typ", "JWT"}, {"kid", "ec-1"}};
  json c = {{"iss", issuer},      {"aud", audience},  {"sub", idnat},
            {"exp", now_s + 120}, {"iat", now_s - 5}, {"azp", "lgc-fuzz"}};
  if (variant == 1) c["aud"] = json::array({"account", audience});
  if (variant == 2) h.erase("kid");
  if (variant == 3) c["ext"] = json{{"a", json::array({1, 2, {{"b", nullptr}}})}};
  return base64url_encode(h.dump()) + "." + base64url_encode(c.dump());
}
inline constexpr int valid_variants = 4;

inline const std::set<std::string>& valid_signing_inputs() {
  static const std::set<std::string> all = [] {
    std::set<std::string> s;
    for (int v = 0; v < valid_variants; ++v) s.insert(valid_signing_input(v));
    return s;
  }();
  return all;
}

// An ES256 JWS over `signing_input` with the fixed key (seeds only).
inline std::string sign_es256(const std::string& signing_input) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  std::size_t len = 0;
  AUTH_FUZZ_CHECK(EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, ec_private_key()) == 1);
  AUTH_FUZZ_CHECK(EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(signing_input.data()),
                                 signing_input.size()) == 1);
  std::string der(len, '\0');
  AUTH_FUZZ_CHECK(EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(der.data()), &len,
                                 reinterpret_cast<const unsigned char*>(signing_input.data()),
                                 signing_input.size()) == 1);
  EVP_MD_CTX_free(ctx);
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(len));
  const BIGNUM *r = nullptr, *s = nullptr;
  ECDSA_SIG_get0(sig, &r, &s);
  std::string raw(64, '\0');
  BN_bn2binpad(r, reinterpret_cast<unsigned char*>(raw.data()), 32);
  BN_bn2binpad(s, reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
  ECDSA_SIG_free(sig);
  return signing_input + "." + base64url_encode(raw);
}

// SASL input layout: [mechanism (low 2 bits: XOAUTH2, OAUTHBEARER, EXTERNAL, PLAIN) | 4 certificate present |
// 8 certificate verified | 16 certificate carries an idNat | 32 no initial response][split] payload. The payload is
// cut at `split` into the first response and the answer to the next challenge.
struct sasl_input {
  std::uint8_t flags = 0;
  std::uint8_t split = 255;
  std::string_view payload;
  static sasl_input decode(std::string_view in) {
    sasl_input s;
    if (in.size() < 2) return s;
    s.flags = static_cast<std::uint8_t>(in[0]);
    s.split = static_cast<std::uint8_t>(in[1]);
    s.payload = in.substr(2);
    return s;
  }
  std::string encode() const {
    std::string out;
    out.push_back(static_cast<char>(flags));
    out.push_back(static_cast<char>(split));
    out.append(payload);
    return out;
  }
};

// Text input layout: [kind: 0 DN, 1 base64, 2 base64url, 3 users file, 4 JWKS, 5 SASL line, 6 INS] payload.
enum class text_kind : std::uint8_t { dn, base64, base64url, users, jwks, sasl_line, ins, count_ };

}  // namespace mssgw::auth::fuzz
