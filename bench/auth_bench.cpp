// auth/ figures: access-token verification (RS256, ES256, refusals), a whole XOAUTH2 exchange, PLAIN's
// SHA512-CRYPT check, rights lookups, bals_for() (through the account index) as the number of BALs grows, and the
// failure limiter. Generates its keys and BALs; reads nothing.
//   bench_auth [max BALs, default 100000]
#include <crypt.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "auth/codec.hpp"
#include "auth/jwks.hpp"
#include "auth/jwt.hpp"
#include "auth/limiter.hpp"
#include "auth/password_file.hpp"
#include "auth/rights.hpp"
#include "auth/sasl.hpp"
#include "storage/account_store.hpp"
#include "storage/lmdb/lmdb_store.hpp"
#include "storage/memory/memory_store.hpp"

using namespace mssgw;
using json = nlohmann::json;
using steady = std::chrono::steady_clock;

namespace {

constexpr std::int64_t now_s = 1'700'000'000;
auth::clock::time_point now() {
  return auth::clock::time_point(std::chrono::seconds(now_s));
}

std::string bn(EVP_PKEY* k, const char* name, int pad = 0) {
  BIGNUM* b = nullptr;
  EVP_PKEY_get_bn_param(k, name, &b);
  std::string out(pad ? static_cast<std::size_t>(pad) : static_cast<std::size_t>(BN_num_bytes(b)), '\0');
  if (pad)
    BN_bn2binpad(b, reinterpret_cast<unsigned char*>(out.data()), pad);
  else
    BN_bn2bin(b, reinterpret_cast<unsigned char*>(out.data()));
  BN_free(b);
  return out;
}

std::string sign(EVP_PKEY* k, bool ec, const std::string& input) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  std::size_t len = 0;
  EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, k);
  EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()), input.size());
  std::string sig(len, '\0');
  EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                 reinterpret_cast<const unsigned char*>(input.data()), input.size());
  EVP_MD_CTX_free(ctx);
  sig.resize(len);
  if (!ec) return sig;
  const auto* p = reinterpret_cast<const unsigned char*>(sig.data());
  ECDSA_SIG* es = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size()));
  const BIGNUM *r = nullptr, *s = nullptr;
  ECDSA_SIG_get0(es, &r, &s);
  std::string raw(64, '\0');
  BN_bn2binpad(r, reinterpret_cast<unsigned char*>(raw.data()), 32);
  BN_bn2binpad(s, reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
  ECDSA_SIG_free(es);
  return raw;
}

std::string token(EVP_PKEY* k, bool ec, const std::string& kid) {
  json h = {{"alg", ec ? "ES256" : "RS256"}, {"typ", "JWT"}, {"kid", kid}};
  json c = {{"iss", "https://psc.test"},
            {"aud", "mssgw"},
            {"sub", "810000000001"},
            {"exp", now_s + 120},
            {"iat", now_s},
            {"azp", "lgc"},
            {"jti", "0f3c2b1a-5d6e-4f70-8a9b-0c1d2e3f4a5b"},
            {"scope", "openid scope_all"}};
  std::string input = auth::base64url_encode(h.dump()) + "." + auth::base64url_encode(c.dump());
  return input + "." + auth::base64url_encode(sign(k, ec, input));
}

// Runs f for about `seconds`, returns operations per second.
double rate(const std::function<void()>& f, double seconds = 1.0) {
  std::size_t n = 0;
  auto start = steady::now();
  double elapsed = 0;
  do {
    for (int i = 0; i < 16; ++i) f();
    n += 16;
    elapsed = std::chrono::duration<double>(steady::now() - start).count();
  } while (elapsed < seconds);
  return static_cast<double>(n) / elapsed;
}

void fill(storage::kv_store& store, int from, int to) {
  const int batch = 5000;
  for (int lo = from; lo < to; lo += batch) {
    auto ec = store.commit_one([&](storage::write_txn& txn) -> std::error_code {
      for (int i = lo; i < std::min(to, lo + batch); ++i) {
        storage::account_record r;
        char addr[64], owner[32];
        std::snprintf(addr, sizeof addr, "pro%07d@hopital.test", i);
        std::snprintf(owner, sizeof owner, "81%010d", i);
        r.address = addr;
        r.type = storage::bal_type::PER;
        r.owner_idnat = owner;
        r.created = now_s;
        if (auto e = storage::accounts::create(txn, std::move(r))) return e;
        if (i % 100 == 0) {
          if (auto e = storage::accounts::grant(txn, addr, "810000000001", storage::right_read)) return e;
        }
      }
      return {};
    });
    if (ec) std::printf("fill failed: %s\n", ec.message().c_str());
  }
}

}  // namespace

int main(int argc, char** argv) {
  const int max_bals = argc > 1 ? std::atoi(argv[1]) : 100000;
  EVP_PKEY* rsa = EVP_RSA_gen(2048);
  EVP_PKEY* ec = EVP_EC_gen("P-256");
  json jwks;
  jwks["keys"] = json::array({{{"kty", "RSA"},
                               {"kid", "r"},
                               {"n", auth::base64url_encode(bn(rsa, OSSL_PKEY_PARAM_RSA_N))},
                               {"e", auth::base64url_encode(bn(rsa, OSSL_PKEY_PARAM_RSA_E))}},
                              {{"kty", "EC"},
                               {"crv", "P-256"},
                               {"kid", "e"},
                               {"x", auth::base64url_encode(bn(ec, OSSL_PKEY_PARAM_EC_PUB_X, 32))},
                               {"y", auth::base64url_encode(bn(ec, OSSL_PKEY_PARAM_EC_PUB_Y, 32))}}});
  auto keys = auth::key_set::from_json(jwks.dump()).keys;
  auth::token_policy policy;
  policy.issuer = "https://psc.test";
  policy.audience = "mssgw";
  auth::token_verifier verifier(policy, keys);
  const std::string rs = token(rsa, false, "r"), es = token(ec, true, "e");
  std::string forged = rs;
  forged[forged.size() - 10] = forged[forged.size() - 10] == 'A' ? 'B' : 'A';

  std::printf("== access tokens (1 thread; token %zu bytes)\n", rs.size());
  std::printf("RS256 valid        %9.0f verifications/s\n", rate([&] { (void)verifier.verify(rs, now()); }));
  std::printf("ES256 valid        %9.0f verifications/s\n", rate([&] { (void)verifier.verify(es, now()); }));
  std::printf("RS256 forged       %9.0f refusals/s\n", rate([&] { (void)verifier.verify(forged, now()); }));
  std::printf("malformed (no sig) %9.0f refusals/s\n", rate([&] { (void)verifier.verify("e30.e30.", now()); }));

  auto store = storage::make_memory_store();
  fill(*store, 0, 1000);
  auth::sasl::context ctx;
  ctx.tokens = std::make_shared<auth::token_verifier>(verifier);
  ctx.authorize = auth::sasl::storage_authorizer(*store);
  const std::string xo =
      "user=pro0000001@hopital.test\x01"
      "auth=Bearer " +
      rs + "\x01\x01";
  std::printf("XOAUTH2 exchange   %9.0f logins/s (RS256, user= a BAL checked in storage)\n", rate([&] {
                auto m = auth::sasl::make_mechanism("XOAUTH2", ctx);
                (void)m->start(xo, now());
              }));

  auto data = std::make_unique<crypt_data>();
  std::string hash = crypt_r("a password", "$6$benchsaltbench", data.get());
  auto users = auth::user_db::from_text("810000000001:{SHA512-CRYPT}" + hash + "\n").users;
  std::printf("PLAIN SHA512-CRYPT %9.0f checks/s (5000 rounds)\n",
              rate([&] { (void)users->verify("810000000001", "a password"); }));
  std::printf("PLAIN unknown user %9.0f checks/s (dummy hash: same cost)\n",
              rate([&] { (void)users->verify("810000000002", "a password"); }));

  std::printf("== rights (memory store)\n");
  const auto pro = auth::identity::professional("810000000001", auth::mechanism_kind::xoauth2);
  {
    auto txn = store->begin_read();
    std::printf("may_send_as        %9.0f lookups/s\n",
                rate([&] { (void)auth::may_send_as(*txn, pro, "pro0000001@hopital.test"); }));
  }
  std::printf("bals_for() through the account index (1 BAL in 100 delegated to the identity):\n");
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("mssgw-bench-auth-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  {
    storage::lmdb_options o;
    o.directory = dir;
    o.map_size = 4ull << 30;
    auto lmdb = storage::open_lmdb_store(o);
    int have = 0;
    for (int n : {1000, 10000, 100000, 1000000}) {
      if (n > max_bals) break;
      fill(*lmdb, have, n);
      have = n;
      auto txn = lmdb->begin_read();
      std::size_t found = 0;
      auto start = steady::now();
      int reps = n >= 100000 ? 3 : 20;
      for (int i = 0; i < reps; ++i) found = auth::bals_for(*txn, pro).size();
      double ms = std::chrono::duration<double, std::milli>(steady::now() - start).count() / reps;
      std::printf("  LMDB %8d BALs: %8.2f ms per call (%zu BALs found)\n", n, ms, found);
    }
  }
  std::filesystem::remove_all(dir);

  std::printf("== failure limiter\n");
  auth::failure_limiter limiter;
  int i = 0;
  std::printf("record_failure     %9.0f calls/s (rotating 100k addresses)\n", rate([&] {
                (void)limiter.record_failure("10.0." + std::to_string((i / 256) % 256) + "." + std::to_string(i % 256),
                                             "", now());
                ++i;
              }));
  std::printf("check (hit)        %9.0f calls/s\n",
              rate([&] { (void)limiter.check("10.0.0.1", "810000000001", now()); }));
  EVP_PKEY_free(rsa);
  EVP_PKEY_free(ec);
  return 0;
}
