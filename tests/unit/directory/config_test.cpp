// [directory] and [directory.ldap]: defaults, bounds, and the checks that tie keys together.
#include <catch2/catch.hpp>

#include "common/config.hpp"
#include "directory/config.hpp"

using namespace mssgw;

namespace {
std::vector<std::string> read(std::string_view text, directory::config& out) {
  common::config_errors errors;
  common::config_document doc(text, "test.toml", errors);
  auto root = doc.root();
  auto s = root.sub("directory");
  out.read(s);
  s.finish();
  std::vector<std::string> messages;
  for (const auto& e : errors.all()) messages.push_back(e.to_string());
  return messages;
}
bool mentions(const std::vector<std::string>& errors, std::string_view what) {
  for (const auto& e : errors) {
    if (e.find(what) != std::string::npos) return true;
  }
  return false;
}
}  // namespace

TEST_CASE("directory config: defaults and a complete LDAP section", "[directory][config]") {
  directory::config c;
  CHECK(read("", c).empty());
  CHECK_FALSE(c.ldap.enabled());
  CHECK(c.import_max_errors == 1000);
  auto errors = read(R"(
[directory]
import_max_errors = 10
max_delete_percent = 5
[directory.ldap]
url = "ldap://127.0.0.1:389/"
bind_dn = "cn=sync,dc=x"
password = "s"
base = "ou=bal,dc=x"
interval = "5m"
retry_min = "10s"
retry_max = "10m"
)",
                     c);
  CHECK(errors.empty());
  CHECK(c.ldap.enabled());
  CHECK(c.import_max_errors == 10);
  CHECK(c.ldap.interval == std::chrono::minutes(5));
  // The cookie belongs to one server, base, filter and identity.
  auto other = c.ldap;
  other.bind_dn = "cn=reader,dc=x";
  CHECK(other.fingerprint() != c.ldap.fingerprint());
}

TEST_CASE("directory config: every mistake is reported", "[directory][config]") {
  directory::config c;
  auto errors = read(R"(
[directory]
max_delete_percent = 101
unknown = 1
[directory.ldap]
url = "http://x/"
bind = "external"
filter = "objectClass=*"
retry_min = "1h"
retry_max = "1m"
)",
                     c);
  CHECK(mentions(errors, "max_delete_percent"));
  CHECK(mentions(errors, "unknown key directory.unknown"));
  CHECK(mentions(errors, "must start with ldap://"));
  CHECK(mentions(errors, "base: is required"));
  CHECK(mentions(errors, "filter"));
  CHECK(mentions(errors, "\"external\" needs TLS"));
  CHECK(mentions(errors, "cert_file and key_file"));
  CHECK(mentions(errors, "retry_max"));
  directory::config simple;
  auto e2 = read("[directory.ldap]\nurl = \"ldap://h/\"\nbase = \"dc=x\"\n", simple);
  CHECK(mentions(e2, "bind_dn"));
  CHECK(mentions(e2, "password"));
}
