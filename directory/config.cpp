#include "directory/config.hpp"

#include "common/config.hpp"

namespace mssgw::directory {

void ldap_config::read(common::config_section& s) {
  s.string("url", url, 1024);
  s.boolean("starttls", starttls);
  s.one_of("bind", bind, {"simple", "external", "anonymous"});
  s.string("bind_dn", bind_dn, 1024);
  s.string("password", password, 1024);
  s.path("password_file", password_file, common::path_check::file_exists);
  s.path("ca_file", ca_file, common::path_check::file_exists);
  s.path("cert_file", cert_file, common::path_check::file_exists);
  s.path("key_file", key_file, common::path_check::file_exists);
  s.string("base", base, 1024);
  s.string("filter", filter, 4096);
  s.integer("page_size", page_size, 1, 100000);
  s.duration("timeout", timeout, std::chrono::seconds(1), std::chrono::hours(1));
  s.duration("interval", interval, std::chrono::seconds(1), std::chrono::hours(24 * 7));
  s.duration("retry_min", retry_min, std::chrono::seconds(1), std::chrono::hours(24));
  s.duration("retry_max", retry_max, std::chrono::seconds(1), std::chrono::hours(24 * 7));
  if (url.empty()) return;
  const bool tls = url.rfind("ldaps://", 0) == 0 || starttls;
  if (url.rfind("ldap://", 0) != 0 && url.rfind("ldaps://", 0) != 0 && url.rfind("ldapi://", 0) != 0) {
    s.error("url", "must start with ldap://, ldaps:// or ldapi://");
  }
  if (base.empty()) s.error("base", "is required when url is set (the subtree holding the mailboxes)");
  if (filter.empty() || filter.front() != '(' || filter.back() != ')') {
    s.error("filter", "must be an RFC 4515 filter in parentheses");
  }
  if (bind == "simple" && bind_dn.empty()) s.error("bind_dn", "is required for bind = \"simple\"");
  if (bind == "simple" && password.empty() && password_file.empty()) {
    s.error("password_file", "a password or password_file is required for bind = \"simple\"");
  }
  if (bind == "external") {
    if (!tls) s.error("bind", "\"external\" needs TLS: an ldaps:// url or starttls = true");
    if (cert_file.empty() || key_file.empty()) s.error("cert_file", "cert_file and key_file are required for bind = \"external\"");
  }
  if (retry_max < retry_min) s.error("retry_max", "must not be shorter than retry_min");
}

void config::read(common::config_section& s) {
  s.integer("import_max_errors", import_max_errors, 0, 100000000);
  s.integer("max_delete_percent", max_delete_percent, 0, 100);
  s.integer("batch_keys", batch_keys, 100, 10000000);
  common::config_section l = s.sub("ldap");
  ldap.read(l);
  l.finish();
}

}  // namespace mssgw::directory
