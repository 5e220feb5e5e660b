// The verification keys of the access-token issuer (Pro Santé Connect), from a JWK Set file (RFC 7517 §5).
//
// What is kept: public signature keys usable with RS256 (kty "RSA", n and e, at least 2048 bits) or ES256 (kty
// "EC", crv "P-256", x and y of 32 bytes, point checked on the curve), turned into OpenSSL EVP_PKEYs through
// OSSL_PARAM_BLD / EVP_PKEY_fromdata. Keys whose "use" is not "sig", whose "key_ops" lacks "verify", whose "alg" is
// not RS256/ES256 or whose kty/crv is another are skipped with a warning (a JWKS may mix encryption keys); private
// members ("d", ...) are ignored. Two keys with the same kid and type are an error (ambiguous). A set with no usable
// key is an error.
//
// Key choice (jwt.hpp): by kid and the type the token's alg requires; a token without kid uses the only key of that
// type, if there is exactly one. Keys are never taken from the token (no "jwk", "jku", "x5u", "x5c" header use).
//
// A key_set is immutable once loaded: share it as shared_ptr<const key_set> between threads (EVP_PKEY verification
// is thread-safe on a shared key in OpenSSL 3). Reload by loading a new set and swapping the pointer.
#pragma once
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "auth/errc.hpp"

struct evp_pkey_st;  // EVP_PKEY

namespace mssgw::auth {

enum class key_type : std::uint8_t { rsa, ec_p256 };
std::string_view to_string(key_type t);

struct verification_key {
  std::string kid;  // may be empty
  key_type type = key_type::rsa;
  std::shared_ptr<evp_pkey_st> pkey;
  int bits = 0;  // RSA modulus size; 256 for P-256
};

class key_set;

struct key_set_result {
  std::shared_ptr<const key_set> keys;  // null on error
  errc error{};
  std::string message;                // what was wrong (member, index), empty on success
  std::vector<std::string> warnings;  // skipped keys and why
};

class key_set {
 public:
  // Parses a JWK Set document ({"keys": [...]}). Never throws.
  static key_set_result from_json(std::string_view text);
  // Reads the file (at most 1 MiB) then from_json().
  static key_set_result from_file(const std::filesystem::path& file);

  // The key with this kid and type, or null.
  const verification_key* find(std::string_view kid, key_type type) const;
  // Whether any key (of any type) has this kid: tells "unknown kid" from "alg does not match the key type".
  bool has_kid(std::string_view kid) const;
  // The only key of this type when there is exactly one, else null (tokens without kid).
  const verification_key* only(key_type type) const;
  const std::vector<verification_key>& keys() const { return keys_; }

 private:
  std::vector<verification_key> keys_;
};

}  // namespace mssgw::auth
