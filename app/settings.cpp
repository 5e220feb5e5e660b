#include "app/settings.hpp"

namespace mssgw::app {

void server_config::read(common::config_section& section) {
  section.path("state_dir", state_dir);
  section.string("hostname", hostname, 253);
  section.string_list("local_domains", local_domains, 10000);
  section.integer("threads", threads, 0, 256);
}

void read_settings(common::config_section& root, settings& out) {
  auto read_section = [&](std::string_view name, auto& target) {
    common::config_section s = root.sub(name);
    target.read(s);
    s.finish();
  };
  read_section("server", out.server);
  read_section("log", out.log);
  read_section("storage", out.storage);
  read_section("auth", out.auth);
  read_section("tls", out.tls);
  read_section("whitelist", out.whitelist);
  read_section("directory", out.directory);
  read_section("citizen", out.citizen);
  read_section("smtp", out.smtp);
  read_section("queue", out.queue);
  read_section("imap", out.imap);
  root.finish();
}

bool load_settings(const global_options& options, settings& out, common::config_errors& errors) {
  std::filesystem::path file;
  std::error_code ec;
  if (!options.config_file.empty()) {
    file = options.config_file;
  } else if (std::filesystem::exists("mssgw.toml", ec)) {
    file = "mssgw.toml";
  } else if (std::filesystem::exists("/etc/mssgw/mssgw.toml", ec)) {
    file = "/etc/mssgw/mssgw.toml";
  }
  if (!file.empty()) {
    common::config_document doc(file, errors);
    if (doc.parsed()) {
      common::config_section root = doc.root();
      read_settings(root, out);
    }
    out.file = file;
  }
  if (!options.state_dir.empty()) out.server.state_dir = options.state_dir;
  // The audit trail is never lost to a terminal by default: it lives with the state it describes.
  if (out.log.audit_file.empty()) out.log.audit_file = out.server.state_dir / "audit.log";
  return errors.empty();
}

}  // namespace mssgw::app
