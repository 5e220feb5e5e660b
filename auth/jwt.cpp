#include "auth/jwt.hpp"

#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include <cctype>
#include <cmath>

#include "auth/codec.hpp"
#include "auth/strict_json.hpp"
#include "storage/account_store.hpp"

namespace mssgw::auth {
namespace {

using json = nlohmann::json;

// Quotes an attacker- or issuer-chosen value for a log reason: bounded, control characters replaced (the log
// escapes too; this keeps lines short and readable).
std::string shown(std::string_view v, std::size_t max = 96) {
  std::string out = "\"";
  for (std::size_t i = 0; i < v.size() && i < max; ++i) {
    char c = v[i];
    out.push_back(static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == '"' ? '?' : c);
  }
  if (v.size() > max) out.append("...");
  out.push_back('"');
  return out;
}

token_result fail(errc e, std::string reason) {
  token_result r;
  r.error = e;
  r.log_reason = std::move(reason);
  return r;
}

struct evp_md_ctx_free {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

// RFC 7518 §3.4: the JWS signature is R || S, each 32 bytes for P-256; OpenSSL verifies a DER ECDSA-Sig-Value.
std::optional<std::string> es256_to_der(std::string_view raw) {
  if (raw.size() != 64) return std::nullopt;
  const auto* p = reinterpret_cast<const unsigned char*>(raw.data());
  ECDSA_SIG* sig = ECDSA_SIG_new();
  BIGNUM* r = BN_bin2bn(p, 32, nullptr);
  BIGNUM* s = BN_bin2bn(p + 32, 32, nullptr);
  if (!sig || !r || !s || ECDSA_SIG_set0(sig, r, s) != 1) {
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(sig);
    return std::nullopt;
  }
  unsigned char* der = nullptr;
  int len = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);  // owns r and s now
  if (len <= 0) return std::nullopt;
  std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(len));
  OPENSSL_free(der);
  return out;
}

bool verify_signature(const verification_key& key, std::string_view signing_input, std::string_view signature) {
  std::string der;
  if (key.type == key_type::ec_p256) {
    auto converted = es256_to_der(signature);
    if (!converted) return false;
    der = std::move(*converted);
    signature = der;
  } else if (signature.size() != static_cast<std::size_t>(EVP_PKEY_get_size(key.pkey.get()))) {
    return false;  // RFC 8017 §8.2.2 step 1: the signature is exactly k octets
  }
  std::unique_ptr<EVP_MD_CTX, evp_md_ctx_free> ctx(EVP_MD_CTX_new());
  bool ok = ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.pkey.get()) == 1 &&
            EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                             reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size()) == 1;
  // A failed verification leaves errors on this thread's queue; TLS code on the same thread reads that queue
  // (SSL_get_error), so never leave anything behind.
  ERR_clear_error();
  return ok;
}

// A NumericDate (RFC 7519 §2) as unix milliseconds; nothing when not a number or out of any sane range.
std::optional<std::int64_t> numeric_date_ms(const json& v) {
  if (!v.is_number()) return std::nullopt;
  double d = v.get<double>();
  if (!std::isfinite(d) || d < 0 || d > 1e11) return std::nullopt;
  return static_cast<std::int64_t>(std::floor(d * 1000.0));
}

std::string seconds_text(std::int64_t ms) {
  std::string s = std::to_string(ms / 1000);
  if (ms % 1000) {
    std::string frac = std::to_string(1000 + ms % 1000).substr(1);
    s += "." + frac;
  }
  return s;
}

}  // namespace

token_result token_verifier::verify(std::string_view token, clock::time_point now) const {
  // 1. Size first: nothing is decoded or allocated for an oversized token.
  if (token.size() > policy_.max_size) {
    return fail(errc::token_too_large,
                "token of " + std::to_string(token.size()) + " bytes (limit " + std::to_string(policy_.max_size) + ")");
  }
  if (!keys_) return fail(errc::no_keys, "no JWKS loaded");

  // 2. JWS compact serialisation: BASE64URL(header) '.' BASE64URL(payload) '.' BASE64URL(signature).
  auto dot1 = token.find('.');
  auto dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot1 == std::string_view::npos || dot2 == std::string_view::npos ||
      token.find('.', dot2 + 1) != std::string_view::npos) {
    return fail(errc::token_malformed, "not three dot-separated parts (JWE and unsigned JWTs are refused)");
  }
  std::string_view header_b64 = token.substr(0, dot1), payload_b64 = token.substr(dot1 + 1, dot2 - dot1 - 1),
                   signature_b64 = token.substr(dot2 + 1);
  if (header_b64.empty() || payload_b64.empty()) return fail(errc::token_malformed, "empty header or payload");
  auto header_text = base64url_decode(header_b64);
  auto payload_text = base64url_decode(payload_b64);
  auto signature = base64url_decode(signature_b64);
  if (!header_text) return fail(errc::token_bad_base64, "header is not strict base64url");
  if (!payload_text) return fail(errc::token_bad_base64, "payload is not strict base64url");
  if (!signature) return fail(errc::token_bad_base64, "signature is not strict base64url");

  auto header = detail::parse_strict_json(*header_text);
  if (!header.value) return fail(header.error, "header: " + std::string(label(header.error)));
  if (!header.value->is_object()) return fail(errc::token_not_object, "header is not a JSON object");
  auto payload = detail::parse_strict_json(*payload_text);
  if (!payload.value) return fail(payload.error, "payload: " + std::string(label(payload.error)));
  if (!payload.value->is_object()) return fail(errc::token_not_object, "payload is not a JSON object");
  const json& h = *header.value;
  const json& claims = *payload.value;

  // 3. Header.
  auto alg_it = h.find("alg");
  if (alg_it == h.end() || !alg_it->is_string()) return fail(errc::token_bad_header, "no alg");
  const std::string& alg = alg_it->get_ref<const std::string&>();
  key_type type;
  if (alg == "RS256") {
    type = key_type::rsa;
  } else if (alg == "ES256") {
    type = key_type::ec_p256;
  } else {
    return fail(errc::alg_not_allowed, "alg " + shown(alg, 16) + " (RS256 or ES256 only)");
  }
  if (h.contains("crit")) return fail(errc::token_bad_header, "crit header present (no extension is understood)");
  if (auto typ = h.find("typ"); typ != h.end()) {
    std::string t = typ->is_string() ? typ->get<std::string>() : std::string("?");
    for (auto& c : t) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (t != "jwt" && t != "at+jwt" && t != "application/at+jwt") {
      return fail(errc::token_bad_header, "typ " + shown(t, 32) + " is not JWT or at+jwt");
    }
  }
  std::string kid;
  bool has_kid = false;
  if (auto k = h.find("kid"); k != h.end()) {
    if (!k->is_string()) return fail(errc::token_bad_header, "kid is not a string");
    kid = k->get<std::string>();
    has_kid = true;
  }

  // 4. Key: the token's alg picks the key type; the kid picks the key among them.
  const verification_key* key = nullptr;
  if (has_kid) {
    key = keys_->find(kid, type);
    if (!key) {
      if (keys_->has_kid(kid)) {
        return fail(errc::alg_key_mismatch,
                    "alg " + alg + " but kid " + shown(kid, 64) + " is not a " + std::string(to_string(type)) + " key");
      }
      return fail(errc::unknown_kid, "kid " + shown(kid, 64) + " not in the JWKS");
    }
  } else {
    key = keys_->only(type);
    if (!key) return fail(errc::unknown_kid, "no kid, and not exactly one " + std::string(to_string(type)) + " key");
  }

  // 5. Signature over the ASCII of header '.' payload as received (RFC 7515 §5.2 step 8).
  if (!verify_signature(*key, token.substr(0, dot2), *signature)) {
    return fail(errc::bad_signature, "signature does not verify with kid " + shown(kid, 64) + " (" + alg + ")");
  }

  // 6. Claims.
  token_result result;
  result.claims.kid = kid;
  result.claims.alg = alg;
  auto iss = claims.find("iss");
  if (iss == claims.end() || !iss->is_string()) return fail(errc::wrong_issuer, "no iss");
  if (iss->get_ref<const std::string&>() != policy_.issuer) {
    return fail(errc::wrong_issuer,
                "iss " + shown(iss->get_ref<const std::string&>()) + " is not the configured " + shown(policy_.issuer));
  }
  result.claims.issuer = iss->get<std::string>();
  if (auto azp = claims.find("azp"); azp != claims.end() && azp->is_string())
    result.claims.client = azp->get<std::string>();
  bool audience_ok = false;
  if (auto aud = claims.find("aud"); aud != claims.end()) {
    if (aud->is_string()) {
      audience_ok = aud->get_ref<const std::string&>() == policy_.audience;
    } else if (aud->is_array()) {
      for (const auto& a : *aud) {
        if (a.is_string() && a.get_ref<const std::string&>() == policy_.audience) audience_ok = true;
      }
    }
  }
  if (!audience_ok && policy_.azp_as_audience && !result.claims.client.empty()) {
    audience_ok = result.claims.client == policy_.audience;
  }
  if (!audience_ok) {
    std::string aud = claims.contains("aud") ? claims["aud"].dump(-1, ' ', true) : "(none)";
    return fail(errc::wrong_audience,
                "aud " + shown(aud) + " does not contain " + shown(policy_.audience) +
                    (policy_.azp_as_audience ? " (azp " + shown(result.claims.client) + ")" : ""));
  }

  const std::int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  const std::int64_t skew_ms = std::chrono::duration_cast<std::chrono::milliseconds>(policy_.clock_skew).count();
  auto exp_it = claims.find("exp");
  std::optional<std::int64_t> exp = exp_it == claims.end() ? std::nullopt : numeric_date_ms(*exp_it);
  if (!exp) return fail(errc::missing_claim, "exp missing or not a NumericDate");
  // RFC 7519 §4.1.4: the current time MUST be before exp; the skew tolerates clocks a little apart.
  if (now_ms >= *exp + skew_ms) {
    return fail(errc::token_expired, "expired: exp " + seconds_text(*exp) + ", now " + seconds_text(now_ms) +
                                         ", skew " + std::to_string(policy_.clock_skew.count()) + " s");
  }
  if (auto nbf_it = claims.find("nbf"); nbf_it != claims.end()) {
    auto nbf = numeric_date_ms(*nbf_it);
    if (!nbf) return fail(errc::missing_claim, "nbf is not a NumericDate");
    if (now_ms + skew_ms < *nbf) {
      return fail(errc::token_not_yet_valid,
                  "not yet valid: nbf " + seconds_text(*nbf) + ", now " + seconds_text(now_ms));
    }
  }
  if (auto iat_it = claims.find("iat"); iat_it != claims.end()) {
    auto iat = numeric_date_ms(*iat_it);
    if (!iat) return fail(errc::missing_claim, "iat is not a NumericDate");
    if (now_ms + skew_ms < *iat) {
      return fail(errc::token_issued_in_future,
                  "issued in the future: iat " + seconds_text(*iat) + ", now " + seconds_text(now_ms));
    }
  }
  result.claims.expires_at = *exp / 1000;
  if (auto sub = claims.find("sub"); sub != claims.end() && sub->is_string())
    result.claims.subject = sub->get<std::string>();
  if (auto jti = claims.find("jti"); jti != claims.end() && jti->is_string()) {
    result.claims.token_id = jti->get<std::string>().substr(0, 128);
  }

  // 7. The national id.
  const json* id = nullptr;
  if (policy_.idnat_claim.starts_with('/')) {
    try {
      json::json_pointer pointer(policy_.idnat_claim);
      if (claims.contains(pointer)) id = &claims.at(pointer);
    } catch (const std::exception&) {
      id = nullptr;  // an invalid pointer is a configuration error (config.cpp checks it); here it finds nothing
    }
  } else if (auto it = claims.find(policy_.idnat_claim); it != claims.end()) {
    id = &*it;
  }
  if (!id || !id->is_string()) {
    return fail(errc::missing_claim, "claim " + shown(policy_.idnat_claim, 64) + " missing or not a string");
  }
  const std::string& idnat = id->get_ref<const std::string&>();
  if (!storage::valid_idnat(idnat)) {
    return fail(errc::invalid_idnat,
                "claim " + shown(policy_.idnat_claim, 64) + " = " + shown(idnat, 40) + " is not a valid idNat");
  }
  result.claims.idnat = idnat;
  return result;
}

}  // namespace mssgw::auth
