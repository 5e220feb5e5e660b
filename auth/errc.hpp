// Errors of authentication, as values (STYLE.md habit 8): why an access token, a SASL exchange, a users file or a
// JWKS was refused.
//
// Every failure carries one of these codes plus a precise text for the log (never the token, never the password).
// label() gives a stable snake_case name for metrics and log fields; the category's message() a short sentence.
// Clients never see either: sessions answer with generic texts (sasl.hpp, failure_class).
#pragma once
#include <string_view>
#include <system_error>

namespace mssgw::auth {

enum class errc {
  // access tokens (jwt.hpp)
  token_too_large = 1,     // over [auth] token_max_size
  token_malformed,         // not three dot-separated base64url parts (JWS compact, RFC 7515 §7.1)
  token_bad_base64,        // a part is not strict base64url without padding (RFC 7515 §2)
  token_bad_json,          // header or payload is not valid JSON (or nested too deep)
  token_duplicate_key,     // a JSON object repeats a member name (RFC 7515 §5.2 step 4, RFC 7519 §4)
  token_not_object,        // header or payload is valid JSON but not an object
  token_bad_header,        // alg missing or not a string, "crit" present, unexpected "typ"
  alg_not_allowed,         // alg other than RS256 / ES256 ("none", HS256, ...)
  alg_key_mismatch,        // the kid names a key of the other type than alg (alg confusion)
  unknown_kid,             // no key with that kid (or no kid and not exactly one key of the type)
  bad_signature,           // EVP_DigestVerify refused it (or wrong signature length)
  wrong_issuer,            // iss missing or not the configured issuer
  wrong_audience,          // aud (and azp when allowed) does not name the configured audience
  token_expired,           // now >= exp + clock skew
  token_not_yet_valid,     // now + clock skew < nbf
  token_issued_in_future,  // now + clock skew < iat
  missing_claim,           // a required claim (exp, the idNat claim) is missing or has the wrong type
  invalid_idnat,           // the idNat claim is not a valid national id
  no_keys,                 // token mechanisms used without a loaded key set
  // SASL (sasl.hpp)
  malformed_response,        // the client's response does not follow the mechanism's syntax
  response_too_large,        // over the mechanism's size limit
  cancelled,                 // the client sent "*" (RFC 4954 §4, RFC 3501 §6.2.2)
  mechanism_unavailable,     // unknown mechanism, or not offered in this session (PLAIN disabled, no certificate)
  unknown_user,              // PLAIN: no such user in the users file
  bad_password,              // PLAIN: the password does not match
  no_certificate,            // EXTERNAL: the client presented no certificate
  certificate_not_verified,  // EXTERNAL: the certificate did not verify (chain, validity, CRL)
  authzid_denied,            // the requested authorization identity is not one the identity may act as
  protocol_violation,        // a step after the exchange ended, or a non-empty answer to an error challenge
  blocked,                   // too many failures (failure_limiter): refused before checking credentials
  // files (password_file.hpp, jwks.hpp)
  file_unreadable,     // missing, unreadable or over the size cap
  file_syntax,         // a line or member does not parse
  unsupported_scheme,  // a password scheme or a key type mssgw cannot check
  weak_key,            // RSA key under 2048 bits
  duplicate_entry,     // a user or a (kid, key type) appears twice
};

const std::error_category& error_category();
inline std::error_code make_error_code(errc e) {
  return {static_cast<int>(e), error_category()};
}

// Stable snake_case name of a code, for metrics labels and log fields ("token_expired").
std::string_view label(errc e);

}  // namespace mssgw::auth

template <>
struct std::is_error_code_enum<mssgw::auth::errc> : std::true_type {};
