// [auth]: how clients of submission and IMAP authenticate (issue 4 "Submission", issue 5), read through
// common/config.hpp (defaults below; every bound checked; every error reported with file:line).
//
//   [auth]
//   jwks_file = "psc-jwks.json"   # Pro Santé Connect keys (a JWK Set file); enables XOAUTH2 and OAUTHBEARER
//   issuer = "https://auth.esw.esante.gouv.fr/auth/realms/esante-wallet"
//   audience = "mssgw-operator"   # the client id this gateway was registered under
//   azp_as_audience = false       # also accept the audience in "azp"
//   idnat_claim = "sub"           # or "SubjectNameID", or a JSON pointer "/a/b"
//   clock_skew = "30s"
//   token_max_size = "8KiB"
//   scope = "openid"              # advertised in the bearer error challenges
//   openid_configuration = ""     # OAUTHBEARER error challenge; default: issuer + "/.well-known/openid-configuration"
//   plain_enabled = false
//   users_file = "users"          # required when plain_enabled
//   [auth.throttle]
//   window = "15m"  free_failures = 2  base_delay = "1s"  max_delay = "15s"  ip_block = 30  identity_block = 10
//   max_keys = 50000
//
// Cross-key rules (errors): jwks_file needs issuer and audience; plain_enabled needs users_file; max_delay >=
// base_delay; an idnat_claim starting with '/' must be a valid JSON pointer. Files must exist when set.
// Not thread-safe (start-up and reload only).
#pragma once
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>

#include "auth/jwt.hpp"
#include "auth/limiter.hpp"

namespace mssgw::common {
class config_section;
}

namespace mssgw::auth {

struct config {
  std::filesystem::path jwks_file;
  std::string issuer;
  std::string audience;
  bool azp_as_audience = false;
  std::string idnat_claim = "sub";
  std::chrono::seconds clock_skew{30};
  std::uint64_t token_max_size = 8 * 1024;
  std::string scope = "openid";
  std::string openid_configuration;
  bool plain_enabled = false;
  std::filesystem::path users_file;
  throttle_config throttle;

  void read(common::config_section& section);

  bool tokens_configured() const { return !jwks_file.empty(); }
  token_policy policy() const;
  // openid_configuration, or the issuer's well-known URL when unset.
  std::string openid_configuration_url() const;
};

}  // namespace mssgw::auth
