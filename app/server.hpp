// The running gateway (`mssgw serve`): one io_context run by N threads, the storage writer, signal handling.
//
// Signals (DESIGN.md §1): SIGTERM and SIGINT stop accepting, let sessions drain, flush the writer and exit 0.
// SIGHUP re-reads the config file and applies what can change live (log levels, then every reload hook).
// Listeners and background tasks of later modules attach through add_reload_hook() and the io_context.
#pragma once
#include <functional>
#include <memory>

#include "app/settings.hpp"

namespace mssgw::app {

class server {
 public:
  server(settings config, global_options options);
  ~server();
  // Runs until a stop signal. Returns the process exit status.
  int run();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace mssgw::app
