#include "auth/config.hpp"

#include <nlohmann/json.hpp>

#include "common/config.hpp"

namespace mssgw::auth {

void config::read(common::config_section& section) {
  section.path("jwks_file", jwks_file, common::path_check::file_exists);
  section.string("issuer", issuer, 1024);
  section.string("audience", audience, 1024);
  section.boolean("azp_as_audience", azp_as_audience);
  section.string("idnat_claim", idnat_claim, 256);
  // A PSC token lives about 2 minutes: more than a few minutes of skew would let expired tokens through for
  // longer than they lived.
  section.duration("clock_skew", clock_skew, std::chrono::seconds{0}, std::chrono::seconds{300});
  // PSC tokens are 1-3 KB; 8 KiB leaves room for richer claims and bounds what an unauthenticated client can make
  // us decode. The default fits RFC 4954 §4's 12,288-octet AUTH line (smtp/proto auth_max_line): 8 KiB of token is
  // about 10.9 KB of base64 with the SASL framing. Raising it means raising the SMTP and IMAP line limits too.
  section.byte_size("token_max_size", token_max_size, 1024, 64 * 1024);
  section.string("scope", scope, 1024);
  section.string("openid_configuration", openid_configuration, 2048);
  section.boolean("plain_enabled", plain_enabled);
  section.path("users_file", users_file, common::path_check::file_exists);

  if (!jwks_file.empty() && (issuer.empty() || audience.empty())) {
    section.error("jwks_file", "jwks_file needs issuer and audience: a token is only accepted for this gateway");
  }
  if (plain_enabled && users_file.empty()) section.error("plain_enabled", "plain_enabled needs users_file");
  if (idnat_claim.empty()) {
    section.error("idnat_claim", "idnat_claim must name a claim");
  } else if (idnat_claim.front() == '/') {
    try {
      nlohmann::json::json_pointer pointer(idnat_claim);
      (void)pointer;
    } catch (const std::exception&) {
      section.error("idnat_claim", "idnat_claim starting with '/' must be an RFC 6901 JSON pointer");
    }
  }

  common::config_section t = section.sub("throttle");
  t.duration("window", throttle.window, std::chrono::seconds{10}, std::chrono::seconds{24 * 3600});
  t.integer("free_failures", throttle.free_failures, 0, 100);
  std::chrono::seconds base{std::chrono::duration_cast<std::chrono::seconds>(throttle.base_delay)};
  std::chrono::seconds max{std::chrono::duration_cast<std::chrono::seconds>(throttle.max_delay)};
  t.duration("base_delay", base, std::chrono::seconds{0}, std::chrono::seconds{60});
  t.duration("max_delay", max, std::chrono::seconds{0}, std::chrono::seconds{300});
  throttle.base_delay = base;
  throttle.max_delay = max;
  if (max < base) t.error("max_delay", "max_delay must be at least base_delay");
  t.integer("ip_block", throttle.ip_block, 1, 100000);
  t.integer("identity_block", throttle.identity_block, 1, 100000);
  std::int64_t keys = static_cast<std::int64_t>(throttle.max_keys);
  t.integer("max_keys", keys, 100, 10'000'000);
  throttle.max_keys = static_cast<std::size_t>(keys);
  t.finish();
}

token_policy config::policy() const {
  token_policy p;
  p.issuer = issuer;
  p.audience = audience;
  p.azp_as_audience = azp_as_audience;
  p.idnat_claim = idnat_claim;
  p.clock_skew = clock_skew;
  p.max_size = static_cast<std::size_t>(token_max_size);
  return p;
}

std::string config::openid_configuration_url() const {
  if (!openid_configuration.empty() || issuer.empty()) return openid_configuration;
  std::string base = issuer;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/.well-known/openid-configuration";
}

}  // namespace mssgw::auth
