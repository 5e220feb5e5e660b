#include "app/server.hpp"

#include <fstream>
#include <iostream>
#include <thread>
#include <vector>

#include <unistd.h>

#include "common/asio.hpp"
#include "common/log.hpp"
#include "storage/writer.hpp"

namespace mssgw::app {

struct server::impl {
  settings config;
  global_options options;
  log::context log{log::module::app};
  std::unique_ptr<storage::kv_store> store;
  std::unique_ptr<storage::writer> writer;
  asio::io_context io;
  asio::signal_set stop_signals{io, SIGINT, SIGTERM};
  asio::signal_set reload_signal{io, SIGHUP};
  std::vector<std::function<void(const settings&)>> reload_hooks;

  void wait_for_stop() {
    stop_signals.async_wait([this](const boost::system::error_code& ec, int signo) {
      if (ec) return;
      log.info("server.stopping", {{"signal", signo}});
      reload_signal.cancel();
      // Later modules close their acceptors and drain sessions here; then the io_context runs out of work.
      io.stop();
    });
  }

  void wait_for_reload() {
    reload_signal.async_wait([this](const boost::system::error_code& ec, int) {
      if (ec) return;
      reload();
      wait_for_reload();
    });
  }

  void reload() {
    common::config_errors errors;
    settings fresh;
    if (!load_settings(options, fresh, errors)) {
      for (const auto& e : errors.all()) log.error("server.reload.config_error", {{"error", e.to_string()}});
      log.warn("server.reload.refused", {{"reason", "config has errors; keeping the running config"}});
      return;
    }
    log::init(fresh.log);  // levels only: sinks are kept
    for (auto& hook : reload_hooks) hook(fresh);
    config.log = fresh.log;
    log.info("server.reloaded", {{"config", config.file.string()}});
  }
};

server::server(settings config, global_options options) : impl_(std::make_unique<impl>()) {
  impl_->config = std::move(config);
  impl_->options = std::move(options);
}

server::~server() = default;

int server::run() {
  impl& s = *impl_;
  std::error_code ec;
  std::filesystem::create_directories(s.config.server.state_dir, ec);
  if (ec) {
    s.log.error("server.state_dir", {{"path", s.config.server.state_dir.string()}, {"reason", ec.message()}});
    return 1;
  }
  try {
    s.store = storage::open(s.config.storage, s.config.server.state_dir);
  } catch (const std::exception& e) {
    s.log.error("server.storage.open_failed", {{"reason", e.what()}});
    return 1;
  }
  storage::writer::options wopts;
  wopts.max_group = static_cast<std::size_t>(s.config.storage.max_group);
  s.writer = std::make_unique<storage::writer>(*s.store, wopts);

  const auto pid_file = s.config.server.state_dir / "mssgw.pid";
  std::ofstream(pid_file) << getpid() << "\n";

  s.wait_for_stop();
  s.wait_for_reload();
  unsigned threads = s.config.server.threads > 0 ? static_cast<unsigned>(s.config.server.threads)
                                                 : std::max(1u, std::thread::hardware_concurrency());
  s.log.info("server.started", {{"state_dir", s.config.server.state_dir.string()},
                                {"storage", s.config.storage.backend}, {"threads", threads},
                                {"config", s.config.file.string()}});
  std::vector<std::thread> pool;
  for (unsigned i = 1; i < threads; ++i) pool.emplace_back([&s] { s.io.run(); });
  s.io.run();
  for (auto& t : pool) t.join();

  s.writer->stop();  // commits everything already queued
  std::filesystem::remove(pid_file, ec);
  s.log.info("server.stopped", {});
  return 0;
}

}  // namespace mssgw::app
