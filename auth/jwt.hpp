// Local verification of Pro Santé Connect access tokens (mssante/README §4): a JWT (RFC 7519) signed as a JWS
// compact serialisation (RFC 7515 §7.1), checked against the issuer's keys (jwks.hpp). No network I/O: no
// introspection, no key fetching.
//
// Checks, in order; the first failure is the result:
//  1. size <= policy.max_size, before anything else;
//  2. exactly three parts, each strict base64url without padding (codec.hpp), header and payload JSON objects
//     with no repeated member name and little nesting (strict_json.hpp);
//  3. header: "alg" is RS256 or ES256, nothing else: never "none", never HS256 (an HMAC keyed with the RSA public
//     key is the classic alg-confusion forgery); "crit" is refused (RFC 7515 §4.1.11: we understand no extension);
//     "typ", if present, is JWT or at+jwt (RFC 9068 §2.1); "jwk", "jku", "x5u", "x5c" are ignored, never used;
//  4. key: by kid among the keys of alg's type; a kid that names only a key of the other type is alg_key_mismatch;
//     no kid: the only key of that type;
//  5. signature: EVP_DigestVerify with SHA-256; ES256's raw 64-byte r||s (RFC 7518 §3.4) is converted to DER first;
//  6. claims (only once the signature holds, so values quoted in log reasons come from the issuer): iss equals
//     policy.issuer; aud (a string or an array of strings) contains policy.audience, or azp equals it when
//     policy.azp_as_audience; exp is required and now < exp + skew; nbf, if present, <= now + skew; iat, if
//     present, <= now + skew; NumericDates may be fractional (RFC 7519 §2);
//  7. the national id: policy.idnat_claim names a top-level claim ("sub", "SubjectNameID", "preferred_username"), or
//     is an RFC 6901 JSON pointer when it starts with '/' ("/ext/idnat"); it must be a string that is a valid idNat
//     (storage::valid_idnat, so it can own a BAL).
//
// The token itself is never copied into a result or a log reason. Pure: time is a parameter. Thread-safe (a
// verifier is immutable; share it).
#pragma once
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "auth/errc.hpp"
#include "auth/jwks.hpp"

namespace mssgw::auth {

using clock = std::chrono::system_clock;

struct token_policy {
  std::string issuer;               // exact "iss" (RFC 7519 §4.1.1: StringOrURI, compared as is)
  std::string audience;             // must appear in "aud"
  bool azp_as_audience = false;     // also accept the audience in "azp" (OIDC authorized party)
  std::string idnat_claim = "sub";  // claim name, or JSON pointer when it starts with '/'
  std::chrono::seconds clock_skew{30};
  std::size_t max_size = 8 * 1024;
};

struct token_claims {
  std::string idnat;    // validated national id
  std::string subject;  // "sub" when a string (may equal idnat)
  std::string issuer;
  std::string client;           // "azp" when present (the practice software or mail client)
  std::string token_id;         // "jti" when present (for the log: tells replays apart)
  std::string kid;              // the key used
  std::string alg;              // RS256 | ES256
  std::int64_t expires_at = 0;  // exp, unix seconds (floor)
};

struct token_result {
  errc error{};            // zero on success
  std::string log_reason;  // precise and safe for logs (never the token); empty on success
  token_claims claims;     // meaningful on success
  bool ok() const { return error == errc{}; }
};

class token_verifier {
 public:
  token_verifier(token_policy policy, std::shared_ptr<const key_set> keys)
      : policy_(std::move(policy)), keys_(std::move(keys)) {}

  token_result verify(std::string_view token, clock::time_point now) const;

  const token_policy& policy() const { return policy_; }
  const std::shared_ptr<const key_set>& keys() const { return keys_; }

 private:
  token_policy policy_;
  std::shared_ptr<const key_set> keys_;
};

// Convenience for one-off checks (tests, CLI).
inline token_result verify_token(std::string_view token, const token_policy& policy,
                                 std::shared_ptr<const key_set> keys, clock::time_point now) {
  return token_verifier(policy, std::move(keys)).verify(token, now);
}

}  // namespace mssgw::auth
