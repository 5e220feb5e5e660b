// mssgw: the composition root. Parses the command line and hands over to one subcommand.
#include <iostream>

#include "app/commands.hpp"
#include "common/log.hpp"

int main(int argc, char** argv) {
  using namespace mssgw;
  CLI::App cli{"mssgw: MSSanté operator mail gateway (SMTP MX and submission, IMAP, trust space, directory)"};
  cli.set_version_flag("--version", "mssgw 0.1.0");
  cli.require_subcommand(1);
  cli.fallthrough();  // -c and --state may follow the subcommand
  app::global_options options;
  cli.add_option("-c,--config", options.config_file,
                 "config file (default: ./mssgw.toml, then /etc/mssgw/mssgw.toml)");
  cli.add_option("--state", options.state_dir, "state directory (overrides [server] state_dir)");

  app::register_serve(cli, options);
  app::register_check_config(cli, options);
  app::register_whitelist(cli, options);
  app::register_directory(cli, options);
  app::register_bal(cli, options);
  app::register_queue(cli, options);
  app::register_conversation(cli, options);

  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return cli.exit(e);
  }
  log::shutdown();
  return options.exit_code;
}
