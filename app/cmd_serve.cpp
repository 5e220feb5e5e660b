// `mssgw serve`: runs every listener and background task the config enables, in the foreground.
#include <iostream>

#include "app/commands.hpp"
#include "app/server.hpp"

namespace mssgw::app {

void register_serve(CLI::App& app, global_options& options) {
  auto* cmd = app.add_subcommand("serve", "run the gateway in the foreground");
  cmd->callback([&options] {
    common::config_errors errors;
    settings s;
    if (!load_settings(options, s, errors)) {
      for (const auto& e : errors.all()) std::cerr << e.to_string() << "\n";
      options.exit_code = 1;
      return;
    }
    log::init(s.log);
    server srv(std::move(s), options);
    options.exit_code = srv.run();
  });
}

}  // namespace mssgw::app
