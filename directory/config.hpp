// [directory] and [directory.ldap]: how the Annuaire mirror is fed (mssante/README decision 6).
//
//   [directory]
//   import_max_errors = 1000        # malformed extraction lines above which an import applies nothing
//   max_delete_percent = 20         # a run that would delete more than this share of a source's entries
//                                   # (of at least 1000) applies nothing unless forced (a truncated file, an
//                                   # emptied replica, a wrong filter)
//   batch_keys = 20000              # keys per write unit: bounds how long one unit holds the writer
//   [directory.ldap]                # the operator's LDAP replica; no url: no LDAP sync
//   url = "ldaps://annuaire.example:636/"   (or ldap://, with starttls = true)
//   bind = "simple" | "external" | "anonymous"
//   bind_dn = "cn=mssgw,ou=services,dc=example"; password_file = "/etc/mssgw/ldap.secret" (or password = "...")
//   ca_file, cert_file, key_file    # TLS: trust anchors; client certificate and key for SASL EXTERNAL
//   base = "ou=bal,dc=example"; filter = "(objectClass=mssgwMailbox)"; page_size = 1000
//   timeout = "60s"                 # connect, and silence within an operation
//   interval = "15m"; retry_min = "30s"; retry_max = "1h"   # periodic runs; exponential backoff on failure
#pragma once
#include <chrono>
#include <filesystem>
#include <string>

namespace mssgw::common {
class config_section;
}

namespace mssgw::directory {

struct ldap_config {
  std::string url;
  bool starttls = false;
  std::string bind = "simple";
  std::string bind_dn;
  std::string password;  // never logged; prefer password_file
  std::filesystem::path password_file;
  std::filesystem::path ca_file, cert_file, key_file;
  std::string base;
  std::string filter = "(objectClass=mssgwMailbox)";
  int page_size = 1000;
  std::chrono::seconds timeout{60};
  std::chrono::seconds interval{900};
  std::chrono::seconds retry_min{30};
  std::chrono::seconds retry_max{3600};

  void read(common::config_section& section);
  bool enabled() const { return !url.empty(); }
  // Identifies the content a cookie belongs to: a cookie is only reused for the same server, base, filter and
  // identity (another account may see other entries).
  std::string fingerprint() const { return url + "\n" + base + "\n" + filter + "\n" + bind + "\n" + bind_dn; }
};

struct config {
  int import_max_errors = 1000;
  int max_delete_percent = 20;
  int batch_keys = 20000;
  ldap_config ldap;

  void read(common::config_section& section);
};

// Below this many entries, max_delete_percent does not apply (small mirrors change by large fractions).
inline constexpr std::size_t delete_guard_min_entries = 1000;

}  // namespace mssgw::directory
