// Subcommand registration (DESIGN.md §1). Each file registers one command group on the CLI11 app; the callback
// stores its exit status in global_options::exit_code. Admin commands open the same state as a running `serve`
// (LMDB allows several processes), so they never need the server stopped.
#pragma once
#include <memory>

#include <CLI/CLI.hpp>

#include "app/settings.hpp"
#include "storage/kv.hpp"
#include "storage/writer.hpp"

namespace mssgw::app {

void register_serve(CLI::App& app, global_options& options);
void register_check_config(CLI::App& app, global_options& options);
void register_bal(CLI::App& app, global_options& options);
void register_queue(CLI::App& app, global_options& options);
void register_whitelist(CLI::App& app, global_options& options);
void register_directory(CLI::App& app, global_options& options);
void register_conversation(CLI::App& app, global_options& options);

// What an admin command works on: the settings, the store, and a writer. Errors are printed; null on failure.
struct admin_context {
  settings config;
  std::unique_ptr<storage::kv_store> store;
  std::unique_ptr<storage::writer> writer;
  ~admin_context();
};
std::unique_ptr<admin_context> open_admin(const global_options& options);

// Prints "mssgw: <message>" to stderr.
void print_error(std::string_view message);

}  // namespace mssgw::app
