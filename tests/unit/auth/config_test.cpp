// [auth] config (auth/config.hpp) and the runtime that loads its files (auth/service.hpp).
#include "auth/config.hpp"

#include <catch2/catch.hpp>
#include <fstream>

#include "auth/service.hpp"
#include "common/config.hpp"
#include "test_keys.hpp"

using namespace mssgw;
using namespace mssgw::test;
using namespace std::chrono_literals;

namespace {

struct parsed {
  auth::config cfg;
  std::vector<std::string> errors;
};

parsed read(const std::string& toml, const std::filesystem::path& dir) {
  parsed out;
  common::config_errors errors;
  auto file = dir / "mssgw.toml";
  {
    std::ofstream f(file);
    f << toml;
  }
  common::config_document doc(file, errors);
  auto root = doc.root();
  auto section = root.sub("auth");
  out.cfg.read(section);
  section.finish();
  for (const auto& e : errors.all()) out.errors.push_back(e.to_string());
  return out;
}

}  // namespace

TEST_CASE("config: defaults", "[auth][config]") {
  auth::config c;
  CHECK_FALSE(c.plain_enabled);
  CHECK(c.idnat_claim == "sub");
  CHECK(c.clock_skew == 30s);
  CHECK(c.token_max_size == 8192);
  CHECK(c.throttle.window == 900s);
  CHECK(c.throttle.base_delay == 1000ms);
  CHECK(c.throttle.max_delay == 15000ms);
  CHECK_FALSE(c.tokens_configured());
}

TEST_CASE("config: every key read, with paths relative to the file", "[auth][config]") {
  temp_dir dir;
  dir.write("jwks.json", jwks_of({&ec_key()}).dump());
  dir.write("users", "");
  auto p = read(R"(
[auth]
jwks_file = "jwks.json"
issuer = "https://auth.psc.test/realms/esante-wallet"
audience = "mssgw-test"
azp_as_audience = true
idnat_claim = "/ext/idnat"
clock_skew = "10s"
token_max_size = "8KiB"
scope = "openid scope_all"
openid_configuration = "https://psc.test/oidc"
plain_enabled = true
users_file = "users"
[auth.throttle]
window = "5m"
free_failures = 3
base_delay = "2s"
max_delay = "30s"
ip_block = 50
identity_block = 5
max_keys = 1000
)",
                dir.path);
  INFO(Catch::Detail::stringify(p.errors));
  CHECK(p.errors.empty());
  CHECK(p.cfg.jwks_file == dir.path / "jwks.json");
  CHECK(p.cfg.users_file == dir.path / "users");
  CHECK(p.cfg.azp_as_audience);
  CHECK(p.cfg.idnat_claim == "/ext/idnat");
  CHECK(p.cfg.clock_skew == 10s);
  CHECK(p.cfg.token_max_size == 8192);
  CHECK(p.cfg.plain_enabled);
  CHECK(p.cfg.throttle.window == 300s);
  CHECK(p.cfg.throttle.free_failures == 3);
  CHECK(p.cfg.throttle.base_delay == 2000ms);
  CHECK(p.cfg.throttle.max_delay == 30000ms);
  CHECK(p.cfg.throttle.ip_block == 50);
  CHECK(p.cfg.throttle.identity_block == 5);
  CHECK(p.cfg.throttle.max_keys == 1000);
  auto policy = p.cfg.policy();
  CHECK(policy.max_size == 8192);
  CHECK(policy.issuer == "https://auth.psc.test/realms/esante-wallet");
  CHECK(p.cfg.openid_configuration_url() == "https://psc.test/oidc");
  p.cfg.openid_configuration.clear();
  CHECK(p.cfg.openid_configuration_url() ==
        "https://auth.psc.test/realms/esante-wallet/.well-known/openid-configuration");
}

TEST_CASE("config: every mistake at once, with file:line", "[auth][config]") {
  temp_dir dir;
  auto p = read(R"(
[auth]
jwks_file = "missing.json"
plain_enabled = true
idnat_claim = "/bad~pointer"
clock_skew = "1h"
token_max_size = "1MB"
unknown_key = 1
[auth.throttle]
base_delay = "10s"
max_delay = "5s"
ip_block = 0
)",
                dir.path);
  std::string all;
  for (const auto& e : p.errors) all += e + "\n";
  INFO(all);
  CHECK(all.find("jwks_file") != std::string::npos);  // missing file, and issuer/audience missing
  CHECK(all.find("plain_enabled needs users_file") != std::string::npos);
  CHECK(all.find("JSON pointer") != std::string::npos);
  CHECK(all.find("clock_skew") != std::string::npos);
  CHECK(all.find("token_max_size") != std::string::npos);
  CHECK(all.find("unknown_key") != std::string::npos);
  CHECK(all.find("max_delay must be at least base_delay") != std::string::npos);
  CHECK(all.find("ip_block") != std::string::npos);
  CHECK(all.find("mssgw.toml:") != std::string::npos);
  CHECK(p.errors.size() >= 8);
}

TEST_CASE("service: loads keys and users, builds session contexts, keeps the old state on a bad reload",
          "[auth][config]") {
  temp_dir dir;
  auth::config cfg;
  cfg.jwks_file = dir.write("jwks.json", jwks_of({&rsa_key(), &ec_key()}).dump());
  cfg.issuer = std::string(issuer);
  cfg.audience = std::string(audience);
  cfg.plain_enabled = true;
  cfg.users_file = dir.write("users", "# nobody yet\n");
  auth::service svc;
  REQUIRE(svc.start(cfg).empty());
  auto ctx = svc.context_for(std::nullopt, nullptr);
  REQUIRE(ctx.tokens);
  CHECK(ctx.users);
  CHECK(ctx.plain_enabled);
  CHECK(ctx.openid_configuration == std::string(issuer) + "/.well-known/openid-configuration");
  CHECK(ctx.tokens->verify(sign_token(header_for(rsa_key()), valid_claims(), rsa_key()), at(now_s)).ok());
  CHECK(auth::sasl::offered(ctx, true) == std::vector<std::string_view>{"XOAUTH2", "OAUTHBEARER", "PLAIN"});

  // A broken JWKS on reload: the running keys stay.
  dir.write("jwks.json", "{ not json");
  CHECK_FALSE(svc.reload(cfg));
  CHECK(svc.context_for(std::nullopt, nullptr)
            .tokens->verify(sign_token(header_for(ec_key()), valid_claims(), ec_key()), at(now_s))
            .ok());
  // A rotated JWKS: tokens of the removed key now fail.
  dir.write("jwks.json", jwks_of({&ec_key()}).dump());
  CHECK(svc.reload(cfg));
  CHECK(svc.context_for(std::nullopt, nullptr)
            .tokens->verify(sign_token(header_for(rsa_key()), valid_claims(), rsa_key()), at(now_s))
            .error == auth::errc::unknown_kid);
  // Throttle limits follow the config.
  cfg.throttle.max_keys = 123;
  CHECK(svc.reload(cfg));
  CHECK(svc.limiter().config().max_keys == 123);

  auth::service bad;
  auth::config missing = cfg;
  missing.users_file = dir.path / "nope";
  CHECK(bad.start(missing).find("users_file") != std::string::npos);
}

TEST_CASE("config: the [auth] section of deploy/mssgw.example.toml reads without errors", "[auth][config]") {
  const auto example = std::filesystem::path(__FILE__).parent_path() / "../../../deploy/mssgw.example.toml";
  REQUIRE(std::filesystem::exists(example));
  common::config_errors errors;
  common::config_document doc(example, errors);
  auto root = doc.root();
  auto section = root.sub("auth");
  auth::config cfg;
  cfg.read(section);
  section.finish();
  std::string all;
  for (const auto& e : errors.all()) all += e.to_string() + "\n";
  INFO(all);
  CHECK(errors.empty());
  // The file shows the defaults.
  auth::config defaults;
  CHECK(cfg.token_max_size == defaults.token_max_size);
  CHECK(cfg.clock_skew == defaults.clock_skew);
  CHECK(cfg.throttle.window == defaults.throttle.window);
  CHECK(cfg.throttle.max_keys == defaults.throttle.max_keys);
  CHECK(cfg.throttle.ip_block == defaults.throttle.ip_block);
  CHECK(cfg.plain_enabled == defaults.plain_enabled);
}
