// The composition of every module's configuration section, and how admin commands find their state.
//
// A config file is looked up in this order: `-c FILE` (must exist), ./mssgw.toml, /etc/mssgw/mssgw.toml; with none,
// every default applies. `--state DIR` overrides [server] state_dir, so admin commands work on a state directory
// without any config file.
#pragma once
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "auth/config.hpp"
#include "common/config.hpp"
#include "common/log.hpp"
#include "common/tls.hpp"
#include "directory/config.hpp"
#include "imap/server/config.hpp"
#include "routing/citizen.hpp"
#include "smtp/queue/config.hpp"
#include "smtp/server/config.hpp"
#include "storage/config.hpp"
#include "trustspace/refresher.hpp"

namespace mssgw::app {

// [server]
struct server_config {
  std::filesystem::path state_dir = "var";   // relative to the config file's directory, or to the working directory
  std::string hostname = "localhost";        // announced in greetings and Received headers
  std::vector<std::string> local_domains;    // mail domains whose BALs this operator hosts
  int threads = 0;                           // I/O threads; 0 = one per core
  void read(common::config_section& section);
};

struct settings {
  std::filesystem::path file;  // the config file read, or empty when only defaults apply
  server_config server;
  log::config log;
  storage::config storage;
  auth::config auth;                       // [auth] (auth/config.hpp)
  common::tls::config tls;                 // [tls] (common/tls.hpp)
  trustspace::whitelist_config whitelist;  // [whitelist] (trustspace/refresher.hpp)
  directory::config directory;
  routing::citizen::config citizen;        // [citizen] (routing/citizen.hpp)
  smtp::server::config smtp;               // [smtp] (smtp/server/config.hpp)
  smtp::queue::config queue;               // [queue] (smtp/queue/config.hpp)
  imap::server::config imap;               // [imap] (imap/server/config.hpp)
};

// Options every subcommand takes.
struct global_options {
  std::string config_file;  // -c
  std::string state_dir;    // --state
  bool json = false;        // --json, for commands that print
  int exit_code = 0;
};

// Finds and reads the config file and applies --state. Returns false with `errors` filled on any problem.
bool load_settings(const global_options& options, settings& out, common::config_errors& errors);
// Reads every section of an already-parsed document (check-config and serve share it).
void read_settings(common::config_section& root, settings& out);

}  // namespace mssgw::app
