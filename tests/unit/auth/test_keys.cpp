#include "test_keys.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include <atomic>
#include <fstream>
#include <random>
#include <stdexcept>

#include "auth/codec.hpp"

namespace mssgw::test {
namespace {

std::shared_ptr<evp_pkey_st> wrap(EVP_PKEY* p) {
  if (!p) throw std::runtime_error("key generation failed");
  return {p, [](EVP_PKEY* k) { EVP_PKEY_free(k); }};
}

std::string bn_bytes(const BIGNUM* bn, int pad = 0) {
  std::string out(pad ? static_cast<std::size_t>(pad) : static_cast<std::size_t>(BN_num_bytes(bn)), '\0');
  if (pad) {
    BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), pad);
  } else {
    BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
  }
  return out;
}

std::string bn_param(EVP_PKEY* pkey, const char* name, int pad = 0) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1) throw std::runtime_error("no key parameter");
  std::string out = bn_bytes(bn, pad);
  BN_free(bn);
  return out;
}

}  // namespace

json test_key::jwk() const {
  json j;
  j["kid"] = kid;
  j["use"] = "sig";
  if (type == auth::key_type::rsa) {
    j["kty"] = "RSA";
    j["alg"] = "RS256";
    j["n"] = auth::base64url_encode(bn_param(pkey.get(), OSSL_PKEY_PARAM_RSA_N));
    j["e"] = auth::base64url_encode(bn_param(pkey.get(), OSSL_PKEY_PARAM_RSA_E));
  } else {
    j["kty"] = "EC";
    j["crv"] = "P-256";
    j["alg"] = "ES256";
    j["x"] = auth::base64url_encode(bn_param(pkey.get(), OSSL_PKEY_PARAM_EC_PUB_X, 32));
    j["y"] = auth::base64url_encode(bn_param(pkey.get(), OSSL_PKEY_PARAM_EC_PUB_Y, 32));
  }
  return j;
}

std::string test_key::sign(std::string_view input) const {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  std::size_t len = 0;
  if (EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, pkey.get()) != 1 ||
      EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1) {
    throw std::runtime_error("sign init failed");
  }
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1) {
    throw std::runtime_error("sign failed");
  }
  EVP_MD_CTX_free(ctx);
  sig.resize(len);
  if (type == auth::key_type::rsa) return sig;
  // DER ECDSA-Sig-Value -> R || S (RFC 7518 §3.4)
  const auto* p = reinterpret_cast<const unsigned char*>(sig.data());
  ECDSA_SIG* es = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size()));
  const BIGNUM *r = nullptr, *s = nullptr;
  ECDSA_SIG_get0(es, &r, &s);
  std::string raw = bn_bytes(r, 32) + bn_bytes(s, 32);
  ECDSA_SIG_free(es);
  return raw;
}

std::string test_key::public_pem() const {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, pkey.get());
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(n));
  BIO_free(bio);
  return out;
}

test_key make_rsa(int bits, std::string kid) {
  return {wrap(EVP_RSA_gen(static_cast<unsigned>(bits))), auth::key_type::rsa, std::move(kid)};
}

namespace {

// The key made at build time (tests/unit/auth/CMakeLists.txt), or nothing.
EVP_PKEY* load_built_key(const std::string& name) {
#ifdef MSSGW_AUTH_TEST_KEYS
  BIO* bio = BIO_new_file((std::string(MSSGW_AUTH_TEST_KEYS) + "/" + name + ".pem").c_str(), "r");
  if (!bio) return nullptr;
  EVP_PKEY* k = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  return k;
#else
  (void)name;
  return nullptr;
#endif
}

test_key rsa_named(const std::string& kid, int bits, const std::string& file) {
  if (EVP_PKEY* k = load_built_key(file)) return {wrap(k), auth::key_type::rsa, kid};
  return make_rsa(bits, kid);
}

}  // namespace

test_key weak_rsa_key() {
  return rsa_named("weak", 1024, "weak");
}

const test_key& rsa_key() {
  static const test_key k = rsa_named("rsa-1", 2048, "rsa-1");
  return k;
}
const test_key& rsa_key2() {
  static const test_key k = rsa_named("rsa-2", 2048, "rsa-2");
  return k;
}
const test_key& ec_key() {
  static const test_key k = [] {
    EVP_PKEY* built = load_built_key("ec-1");
    return test_key{wrap(built ? built : EVP_EC_gen("P-256")), auth::key_type::ec_p256, "ec-1"};
  }();
  return k;
}

json jwks_of(std::initializer_list<const test_key*> keys) {
  json set = json::object();
  set["keys"] = json::array();
  for (const auto* k : keys) set["keys"].push_back(k->jwk());
  return set;
}

std::string sign_raw_token(std::string_view header_json, std::string_view payload_json, const test_key& key) {
  std::string input = auth::base64url_encode(header_json) + "." + auth::base64url_encode(payload_json);
  return input + "." + auth::base64url_encode(key.sign(input));
}

std::string sign_token(const json& header, const json& payload, const test_key& key) {
  return sign_raw_token(header.dump(), payload.dump(), key);
}

std::string hs256_token(const json& header, const json& payload, std::string_view secret) {
  std::string input = auth::base64url_encode(header.dump()) + "." + auth::base64url_encode(payload.dump());
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &len);
  return input + "." + auth::base64url_encode(std::string_view(reinterpret_cast<const char*>(mac), len));
}

auth::token_policy policy() {
  auth::token_policy p;
  p.issuer = std::string(issuer);
  p.audience = std::string(audience);
  return p;
}

json valid_claims() {
  return json{{"iss", issuer},    {"aud", audience},  {"sub", idnat},      {"exp", now_s + 120},
              {"iat", now_s - 5}, {"nbf", now_s - 5}, {"azp", "lgc-test"}, {"jti", "token-1"}};
}

json header_for(const test_key& key) {
  return json{{"alg", key.type == auth::key_type::rsa ? "RS256" : "ES256"}, {"typ", "JWT"}, {"kid", key.kid}};
}

std::shared_ptr<const auth::key_set> test_keys() {
  static const auto keys = [] {
    auto r = auth::key_set::from_json(jwks_of({&rsa_key(), &rsa_key2(), &ec_key()}).dump());
    if (!r.keys) throw std::runtime_error("test JWKS refused: " + r.message);
    return r.keys;
  }();
  return keys;
}

temp_dir::temp_dir() {
  static std::atomic<int> counter{0};
  std::random_device rd;
  path = std::filesystem::temp_directory_path() /
         ("mssgw-auth-test-" + std::to_string(rd()) + "-" + std::to_string(counter++));
  std::filesystem::create_directories(path);
}

temp_dir::~temp_dir() {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
}

std::filesystem::path temp_dir::write(const std::string& name, std::string_view content) const {
  auto p = path / name;
  std::ofstream out(p, std::ios::binary);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  return p;
}

}  // namespace mssgw::test
