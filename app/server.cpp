#include "app/server.hpp"

#include <fstream>
#include <iostream>
#include <mutex>
#include <thread>
#include <vector>

#include <unistd.h>

#include "common/asio.hpp"
#include "auth/service.hpp"
#include "common/log.hpp"
#include "common/tls.hpp"
#include "directory/ldap/sync.hpp"
#include "imap/server/service.hpp"
#include "smtp/queue/service.hpp"
#include "smtp/server/gateway_policy.hpp"
#include "smtp/server/service.hpp"
#include "storage/account_store.hpp"
#include "storage/watchers.hpp"
#include "storage/writer.hpp"
#include "trustspace/refresher.hpp"
#include "trustspace/whitelist.hpp"

namespace mssgw::app {

struct server::impl {
  settings config;
  global_options options;
  log::context log{log::module::app};
  std::unique_ptr<storage::kv_store> store;
  std::unique_ptr<storage::writer> writer;
  storage::mailbox_watchers watchers;  // told by the writer after each commit (IMAP IDLE); outlives io's sessions
  asio::io_context io;
  asio::signal_set stop_signals{io, SIGINT, SIGTERM};
  asio::signal_set reload_signal{io, SIGHUP};
  std::vector<std::function<void(const settings&)>> reload_hooks;
  // ---- trustspace: the whitelist in use and the TLS contexts; listeners read both (lock-free) ----
  trustspace::whitelist whitelist;
  std::unique_ptr<trustspace::refresher> whitelist_refresher;
  common::tls::manager tls;
  // ---- end trustspace ----
  // ---- imap (issue 5): the auth runtime (failure limiter, token verifier, users; meant to be shared with SMTP
  // submission) and the IMAP listeners ----
  auth::service auth;
  std::unique_ptr<imap::server::service> imap;
  // ---- end imap ----
  // ---- smtp (issue 4): the outbound queue, the policy the sessions ask, and the listeners ----
  std::unique_ptr<smtp::queue::service> queue;
  std::unique_ptr<smtp::server::gateway_policy> smtp_policy;
  std::unique_ptr<smtp::server::service> smtp;
  // ---- end smtp ----

  void wait_for_stop() {
    stop_signals.async_wait([this](const boost::system::error_code& ec, int signo) {
      if (ec) return;
      log.info("server.stopping", {{"signal", signo}});
      reload_signal.cancel();
      // Later modules close their acceptors and drain sessions here; then the io_context runs out of work.
      // Listeners first (421 / BYE to every session), then the queue (deliveries in progress stay leased to this
      // node and are retried at the next start); a short grace period lets the last replies go out.
      if (smtp) smtp->stop();
      if (queue) queue->stop();
      if (imap) imap->stop();
      if (smtp || imap) {
        auto grace = std::make_shared<asio::steady_timer>(io, std::chrono::milliseconds(300));
        grace->async_wait([this, grace](const boost::system::error_code&) { io.stop(); });
        return;
      }
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
  wopts.watchers = &s.watchers;  // imap: IDLE wakes on commits
  s.writer = std::make_unique<storage::writer>(*s.store, wopts);
  // A store written before the account index existed gets it now (bals_for would otherwise scan every BAL).
  if (auto index_ec = s.writer->run([](storage::write_txn& txn) {
        storage::accounts::ensure_index(txn);
        return std::error_code();
      })) {
    s.log.error("server.storage.account_index", {{"reason", index_ec.message()}});
    return 1;
  }

  // ---- trustspace: whitelist refresher on its own thread (decision 4), TLS contexts with CRL reload ----
  s.whitelist_refresher =
      std::make_unique<trustspace::refresher>(s.whitelist, s.config.whitelist, s.store.get(), s.writer.get());
  s.whitelist_refresher->start();  // stored copy first; a file source or a first download synchronously
  asio::steady_timer crl_timer(s.io);
  std::mutex tls_config_mutex;
  common::tls::config tls_config = s.config.tls;
  std::function<void()> arm_crl_timer = [&] {
    std::lock_guard lock(tls_config_mutex);
    crl_timer.expires_after(tls_config.crl_reload);
    crl_timer.async_wait([&](const boost::system::error_code& e) {
      if (e) return;
      common::tls::config c;
      {
        std::lock_guard l(tls_config_mutex);
        c = tls_config;
      }
      s.tls.reload(c);  // re-reads CRLs (and certificate, key); a failure keeps the running set
      arm_crl_timer();
    });
  };
  if (tls_config.configured()) {
    if (auto error = s.tls.start(tls_config); !error.empty()) {
      s.log.error("server.tls.failed", {{"reason", error}});
      s.whitelist_refresher->stop();
      return 1;
    }
    arm_crl_timer();
  }
  s.reload_hooks.push_back([&](const settings& fresh) {
    s.whitelist_refresher->reconfigure(fresh.whitelist);
    s.whitelist_refresher->trigger();  // SIGHUP: fetch (or re-read) the whitelist now
    if (fresh.tls.configured()) {
      {
        std::lock_guard lock(tls_config_mutex);
        tls_config = fresh.tls;
      }
      s.tls.reload(fresh.tls);
    }
  });
  // ---- end trustspace ----

  const auto pid_file = s.config.server.state_dir / "mssgw.pid";
  std::ofstream(pid_file) << getpid() << "\n";

  // ---- directory: periodic LDAP sync on its own thread (directory/ldap/sync.hpp) ----
  std::unique_ptr<directory::ldap::sync_service> directory_sync;
  if (s.config.directory.ldap.enabled()) {
    directory_sync = std::make_unique<directory::ldap::sync_service>(*s.store, *s.writer, s.config.directory);
    directory_sync->start();
  }
  // ---- end directory ----

  auto fail_start = [&](std::string_view what, const std::string& error) {
    s.log.error(what, {{"reason", error}});
    if (s.smtp) s.smtp->stop();
    if (s.queue) s.queue->stop();
    if (s.imap) s.imap->stop();
    if (directory_sync) directory_sync->stop();
    s.whitelist_refresher->stop();
    s.writer->stop();
    std::filesystem::remove(pid_file, ec);
    return 1;
  };

  // ---- auth: SASL for IMAP and SMTP submission (users, token verifier, failure limiter) ----
  if (s.config.imap.enabled() || s.config.smtp.enabled()) {
    if (auto error = s.auth.start(s.config.auth); !error.empty()) return fail_start("server.auth.failed", error);
    s.reload_hooks.push_back([&](const settings& fresh) { s.auth.reload(fresh.auth); });
  }

  // ---- smtp: the outbound queue runs whenever there is a store (entries from submission, `mssgw queue retry`,
  // or a previous run); the listeners [smtp] when configured ----
  try {
    s.queue = std::make_unique<smtp::queue::service>(
        s.io, s.config.queue,
        smtp::queue::service_deps{*s.store, *s.writer, s.tls, s.whitelist, s.config.server.hostname,
                                  s.config.server.local_domains});
  } catch (const std::exception& e) {
    return fail_start("server.queue.failed", e.what());
  }
  s.queue->start();
  if (s.config.smtp.enabled()) {
    smtp::server::gateway_settings gateway{s.config.server.local_domains, s.config.citizen};
    auto authorize = auth::sasl::storage_authorizer(*s.store);
    s.smtp_policy = std::make_unique<smtp::server::gateway_policy>(
        *s.store, s.whitelist,
        [&s, authorize](std::optional<auth::certificate_facts> certificate) {
          return s.auth.context_for(std::move(certificate), authorize);
        },
        s.auth.limiter(), std::move(gateway));
    smtp::server::service_deps deps{*s.writer, s.tls, *s.smtp_policy, s.config.server.hostname};
    deps.remote_enqueued = [&s] { s.queue->poke(); };
    s.smtp = std::make_unique<smtp::server::service>(s.io, s.config.smtp, std::move(deps));
    if (auto error = s.smtp->start(); !error.empty()) return fail_start("server.smtp.failed", error);
    for (const auto& b : s.smtp->bound())
      s.log.info("server.smtp.listening", {{"kind", b.kind}, {"address", b.host}, {"port", b.port}});
  }
  // ---- end smtp ----

  // ---- imap: listeners [imap] (STARTTLS and implicit TLS), IDLE woken by the writer's watchers ----
  if (s.config.imap.enabled()) {
    s.imap = std::make_unique<imap::server::service>(
        s.io, s.config.imap,
        imap::server::service_deps{*s.store, *s.writer, &s.watchers, s.tls, s.auth, s.config.server.hostname});
    if (auto error = s.imap->start(); !error.empty()) return fail_start("server.imap.failed", error);
  }
  // ---- end imap ----

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

  if (s.queue) s.queue->stop();
  if (directory_sync) directory_sync->stop();  // directory: before the writer it commits through
  s.whitelist_refresher->stop();  // trustspace: before the writer it persists through
  s.writer->stop();  // commits everything already queued
  std::filesystem::remove(pid_file, ec);
  s.log.info("server.stopped", {});
  return 0;
}

}  // namespace mssgw::app
