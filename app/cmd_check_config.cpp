// `mssgw check-config -c FILE`: reports every configuration error at once, each with file:line, exit 1.
#include <iostream>

#include "app/commands.hpp"

namespace mssgw::app {

void register_check_config(CLI::App& app, global_options& options) {
  auto* cmd = app.add_subcommand("check-config", "check a config file and report every error with file:line");
  cmd->callback([&options] {
    common::config_errors errors;
    settings s;
    if (options.config_file.empty()) {
      print_error("check-config needs -c FILE");
      options.exit_code = 2;
      return;
    }
    load_settings(options, s, errors);
    if (!errors.empty()) {
      for (const auto& e : errors.all()) std::cerr << e.to_string() << "\n";
      std::cerr << errors.all().size() << (errors.all().size() == 1 ? " error" : " errors") << " in "
                << options.config_file << "\n";
      options.exit_code = 1;
      return;
    }
    std::cout << options.config_file << ": ok\n";
  });
}

}  // namespace mssgw::app
