#include "auth/jwks.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <algorithm>
#include <fstream>
#include <iterator>

#include "auth/codec.hpp"
#include "auth/strict_json.hpp"

namespace mssgw::auth {
namespace {

using json = nlohmann::json;
constexpr std::size_t max_file_size = 1 << 20;

struct bn_free {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
struct bld_free {
  void operator()(OSSL_PARAM_BLD* b) const { OSSL_PARAM_BLD_free(b); }
};
struct params_free {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
struct ctx_free {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};

std::shared_ptr<evp_pkey_st> wrap(EVP_PKEY* p) {
  return {p, [](EVP_PKEY* k) { EVP_PKEY_free(k); }};
}

// A string member, base64url-decoded; nothing when absent, not a string or not strict base64url.
std::optional<std::string> b64_member(const json& jwk, const char* name) {
  auto it = jwk.find(name);
  if (it == jwk.end() || !it->is_string()) return std::nullopt;
  return base64url_decode(it->get_ref<const std::string&>());
}

// EVP_PKEY_fromdata with a built parameter list; checks the public key (for EC: the point is on the curve).
EVP_PKEY* from_params(const char* type, OSSL_PARAM_BLD* bld) {
  std::unique_ptr<OSSL_PARAM, params_free> params(OSSL_PARAM_BLD_to_param(bld));
  if (!params) return nullptr;
  std::unique_ptr<EVP_PKEY_CTX, ctx_free> ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* pkey = nullptr;
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &pkey, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return nullptr;
  }
  std::unique_ptr<EVP_PKEY_CTX, ctx_free> check(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1) {
    EVP_PKEY_free(pkey);
    return nullptr;
  }
  return pkey;
}

// RFC 7518 §6.3.1: n and e, unsigned big-endian, base64url.
std::string rsa_key(const json& jwk, verification_key& out, errc& error) {
  auto n = b64_member(jwk, "n"), e = b64_member(jwk, "e");
  if (!n || !e || n->empty() || e->empty()) {
    error = errc::file_syntax;
    return "RSA key needs base64url members n and e";
  }
  std::unique_ptr<BIGNUM, bn_free> bn_n(
      BN_bin2bn(reinterpret_cast<const unsigned char*>(n->data()), static_cast<int>(n->size()), nullptr));
  std::unique_ptr<BIGNUM, bn_free> bn_e(
      BN_bin2bn(reinterpret_cast<const unsigned char*>(e->data()), static_cast<int>(e->size()), nullptr));
  if (!bn_n || !bn_e) {
    error = errc::file_syntax;
    return "RSA key: n or e does not convert";
  }
  out.bits = BN_num_bits(bn_n.get());
  if (out.bits < 2048) {
    error = errc::weak_key;
    return "RSA key of " + std::to_string(out.bits) + " bits (at least 2048 required)";
  }
  if (!BN_is_odd(bn_e.get()) || BN_num_bits(bn_e.get()) < 2 || BN_num_bits(bn_e.get()) > 64) {
    error = errc::file_syntax;
    return "RSA key: unusual public exponent";
  }
  std::unique_ptr<OSSL_PARAM_BLD, bld_free> bld(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1) {
    error = errc::file_syntax;
    return "RSA key: parameter building failed";
  }
  EVP_PKEY* pkey = from_params("RSA", bld.get());
  if (!pkey) {
    error = errc::file_syntax;
    return "RSA key refused by OpenSSL";
  }
  out.type = key_type::rsa;
  out.pkey = wrap(pkey);
  return {};
}

// RFC 7518 §6.2.1: crv P-256, x and y of exactly 32 bytes each.
std::string ec_key(const json& jwk, verification_key& out, errc& error) {
  auto x = b64_member(jwk, "x"), y = b64_member(jwk, "y");
  if (!x || !y || x->size() != 32 || y->size() != 32) {
    error = errc::file_syntax;
    return "EC P-256 key needs base64url members x and y of 32 bytes";
  }
  std::string point = "\x04" + *x + *y;  // SEC 1 §2.3.3 uncompressed point
  std::unique_ptr<OSSL_PARAM_BLD, bld_free> bld(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) != 1) {
    error = errc::file_syntax;
    return "EC key: parameter building failed";
  }
  EVP_PKEY* pkey = from_params("EC", bld.get());
  if (!pkey) {
    error = errc::file_syntax;
    return "EC key: not a point on P-256";
  }
  out.type = key_type::ec_p256;
  out.bits = 256;
  out.pkey = wrap(pkey);
  return {};
}

std::optional<std::string> string_member(const json& o, const char* name) {
  auto it = o.find(name);
  if (it == o.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

}  // namespace

std::string_view to_string(key_type t) {
  return t == key_type::rsa ? "RSA" : "EC P-256";
}

key_set_result key_set::from_json(std::string_view text) {
  key_set_result result;
  auto fail = [&](errc e, std::string message) {
    result.error = e;
    result.message = std::move(message);
    result.keys.reset();
    ERR_clear_error();  // leave no OpenSSL error behind for the thread's TLS code
    return result;
  };
  auto parsed = detail::parse_strict_json(text, 8);
  if (!parsed.value) {
    return fail(errc::file_syntax,
                parsed.error == errc::token_duplicate_key ? "JWKS repeats a member name" : "JWKS is not valid JSON");
  }
  const json& doc = *parsed.value;
  if (!doc.is_object() || !doc.contains("keys") || !doc["keys"].is_array()) {
    return fail(errc::file_syntax, "JWKS must be an object with a \"keys\" array (RFC 7517 §5)");
  }
  auto set = std::make_shared<key_set>();
  std::size_t index = 0;
  for (const json& jwk : doc["keys"]) {
    std::string where = "key #" + std::to_string(index++);
    if (!jwk.is_object()) return fail(errc::file_syntax, where + " is not an object");
    auto kty = string_member(jwk, "kty");
    if (!kty) return fail(errc::file_syntax, where + " has no kty");
    verification_key key;
    if (auto kid = string_member(jwk, "kid")) {
      key.kid = *kid;
      where += " (kid \"" + key.kid.substr(0, 64) + "\")";
    } else if (jwk.contains("kid")) {
      return fail(errc::file_syntax, where + ": kid is not a string");
    }
    if (auto use = string_member(jwk, "use"); jwk.contains("use") && use != "sig") {
      result.warnings.push_back(where + " skipped: use is not \"sig\"");
      continue;
    }
    if (auto ops = jwk.find("key_ops"); ops != jwk.end()) {
      bool verify = ops->is_array() && std::any_of(ops->begin(), ops->end(), [](const json& op) {
                      return op.is_string() && op.get_ref<const std::string&>() == "verify";
                    });
      if (!verify) {
        result.warnings.push_back(where + " skipped: key_ops lacks \"verify\"");
        continue;
      }
    }
    auto alg = string_member(jwk, "alg");
    errc error{};
    std::string problem;
    if (*kty == "RSA") {
      if (jwk.contains("alg") && alg != "RS256") {
        result.warnings.push_back(where + " skipped: alg is not RS256");
        continue;
      }
      problem = rsa_key(jwk, key, error);
    } else if (*kty == "EC") {
      if (string_member(jwk, "crv") != "P-256") {
        result.warnings.push_back(where + " skipped: curve other than P-256");
        continue;
      }
      if (jwk.contains("alg") && alg != "ES256") {
        result.warnings.push_back(where + " skipped: alg is not ES256");
        continue;
      }
      problem = ec_key(jwk, key, error);
    } else {
      result.warnings.push_back(where + " skipped: key type \"" + kty->substr(0, 16) +
                                "\" not used (RS256, ES256 only)");
      continue;
    }
    if (error == errc::weak_key) {
      result.warnings.push_back(where + " skipped: " + problem);
      continue;
    }
    if (!problem.empty()) return fail(error, where + ": " + problem);
    if (set->find(key.kid, key.type)) {
      return fail(errc::duplicate_entry, where + ": another " + std::string(to_string(key.type)) + " key has this kid");
    }
    set->keys_.push_back(std::move(key));
  }
  ERR_clear_error();
  if (set->keys_.empty()) return fail(errc::file_syntax, "JWKS has no usable RS256 or ES256 signature key");
  result.keys = std::move(set);
  return result;
}

key_set_result key_set::from_file(const std::filesystem::path& file) {
  key_set_result result;
  std::error_code ec;
  auto size = std::filesystem::file_size(file, ec);
  if (ec || size > max_file_size) {
    result.error = errc::file_unreadable;
    result.message = ec ? "cannot read " + file.string() + ": " + ec.message() : file.string() + " is over 1 MiB";
    return result;
  }
  std::ifstream in(file, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) {
    result.error = errc::file_unreadable;
    result.message = "cannot read " + file.string();
    return result;
  }
  result = from_json(text);
  if (!result.keys) result.message = file.string() + ": " + result.message;
  return result;
}

const verification_key* key_set::find(std::string_view kid, key_type type) const {
  for (const auto& k : keys_) {
    if (k.type == type && k.kid == kid) return &k;
  }
  return nullptr;
}

bool key_set::has_kid(std::string_view kid) const {
  for (const auto& k : keys_) {
    if (k.kid == kid) return true;
  }
  return false;
}

const verification_key* key_set::only(key_type type) const {
  const verification_key* found = nullptr;
  for (const auto& k : keys_) {
    if (k.type != type) continue;
    if (found) return nullptr;
    found = &k;
  }
  return found;
}

}  // namespace mssgw::auth
