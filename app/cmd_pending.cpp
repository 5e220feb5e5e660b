// Command groups whose capability is not built yet. They are listed in --help so operators see the whole surface;
// running one says so and exits 3 (no silent success).
#include "app/commands.hpp"

namespace mssgw::app {
namespace {
void not_built(CLI::App& app, global_options& options, const char* name, const char* description,
               std::initializer_list<const char*> verbs) {
  auto* cmd = app.add_subcommand(name, description);
  cmd->require_subcommand(1);
  for (const char* verb : verbs) {
    auto* sub = cmd->add_subcommand(verb, "not built yet");
    sub->allow_extras();
    sub->callback([&options, name, verb] {
      print_error(std::string(name) + " " + verb + ": not built yet");
      options.exit_code = 3;
    });
  }
}
}  // namespace

void register_conversation(CLI::App& app, global_options& options) {
  not_built(app, options, "conversation", "citizen conversation state", {"show"});
}

}  // namespace mssgw::app
