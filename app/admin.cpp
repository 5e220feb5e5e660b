#include <iostream>

#include "app/commands.hpp"

namespace mssgw::app {

void print_error(std::string_view message) { std::cerr << "mssgw: " << message << "\n"; }

admin_context::~admin_context() {
  if (writer) writer->stop();
}

std::unique_ptr<admin_context> open_admin(const global_options& options) {
  auto ctx = std::make_unique<admin_context>();
  common::config_errors errors;
  if (!load_settings(options, ctx->config, errors)) {
    for (const auto& e : errors.all()) std::cerr << e.to_string() << "\n";
    return nullptr;
  }
  // Admin commands log warnings and the audit trail only; their output is for the operator.
  log::config lc = ctx->config.log;
  for (auto& l : lc.module_levels) l = std::max(l, log::level::warn);
  log::init(lc);
  try {
    if (ctx->config.storage.backend == "memory") {
      print_error("storage.backend is \"memory\": there is no state for an admin command to work on");
      return nullptr;
    }
    ctx->store = storage::open(ctx->config.storage, ctx->config.server.state_dir);
  } catch (const std::exception& e) {
    print_error(e.what());
    return nullptr;
  }
  ctx->writer = std::make_unique<storage::writer>(*ctx->store);
  return ctx;
}

}  // namespace mssgw::app
