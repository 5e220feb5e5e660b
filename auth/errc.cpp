#include "auth/errc.hpp"

#include <string>

namespace mssgw::auth {
namespace {

struct entry {
  std::string_view label;
  std::string_view message;
};

entry describe(errc e) {
  switch (e) {
    case errc::token_too_large: return {"token_too_large", "access token over the size limit"};
    case errc::token_malformed: return {"token_malformed", "access token is not a JWS compact serialisation"};
    case errc::token_bad_base64: return {"token_bad_base64", "access token part is not strict base64url"};
    case errc::token_bad_json: return {"token_bad_json", "access token header or payload is not valid JSON"};
    case errc::token_duplicate_key: return {"token_duplicate_key", "access token JSON repeats a member name"};
    case errc::token_not_object: return {"token_not_object", "access token header or payload is not an object"};
    case errc::token_bad_header: return {"token_bad_header", "access token header refused"};
    case errc::alg_not_allowed: return {"alg_not_allowed", "signature algorithm not allowed"};
    case errc::alg_key_mismatch: return {"alg_key_mismatch", "signature algorithm does not match the key type"};
    case errc::unknown_kid: return {"unknown_kid", "no verification key for this token"};
    case errc::bad_signature: return {"bad_signature", "access token signature does not verify"};
    case errc::wrong_issuer: return {"wrong_issuer", "access token issuer is not the configured one"};
    case errc::wrong_audience: return {"wrong_audience", "access token audience does not name this gateway"};
    case errc::token_expired: return {"token_expired", "access token expired"};
    case errc::token_not_yet_valid: return {"token_not_yet_valid", "access token not yet valid"};
    case errc::token_issued_in_future: return {"token_issued_in_future", "access token issued in the future"};
    case errc::missing_claim: return {"missing_claim", "access token lacks a required claim"};
    case errc::invalid_idnat: return {"invalid_idnat", "access token national id is not valid"};
    case errc::no_keys: return {"no_keys", "no verification keys loaded"};
    case errc::malformed_response: return {"malformed_response", "malformed SASL response"};
    case errc::response_too_large: return {"response_too_large", "SASL response over the size limit"};
    case errc::cancelled: return {"cancelled", "authentication cancelled by the client"};
    case errc::mechanism_unavailable: return {"mechanism_unavailable", "SASL mechanism not available"};
    case errc::unknown_user: return {"unknown_user", "unknown user"};
    case errc::bad_password: return {"bad_password", "wrong password"};
    case errc::no_certificate: return {"no_certificate", "no client certificate"};
    case errc::certificate_not_verified: return {"certificate_not_verified", "client certificate not verified"};
    case errc::authzid_denied: return {"authzid_denied", "authorization identity not allowed"};
    case errc::protocol_violation: return {"protocol_violation", "SASL protocol violation"};
    case errc::blocked: return {"blocked", "too many authentication failures"};
    case errc::file_unreadable: return {"file_unreadable", "file missing, unreadable or too large"};
    case errc::file_syntax: return {"file_syntax", "syntax error"};
    case errc::unsupported_scheme: return {"unsupported_scheme", "unsupported scheme or key type"};
    case errc::weak_key: return {"weak_key", "key too weak"};
    case errc::duplicate_entry: return {"duplicate_entry", "duplicate entry"};
  }
  return {"unknown", "unknown auth error"};
}

class auth_category : public std::error_category {
 public:
  const char* name() const noexcept override { return "mssgw.auth"; }
  std::string message(int ev) const override { return std::string(describe(static_cast<errc>(ev)).message); }
};

}  // namespace

const std::error_category& error_category() {
  static const auth_category category;
  return category;
}

std::string_view label(errc e) {
  return describe(e).label;
}

}  // namespace mssgw::auth
