#include "directory/ldap/sync.hpp"

#include <unordered_map>

#include "common/log.hpp"
#include "common/metrics.hpp"
#include "directory/importer.hpp"
#include "directory/ldap/client.hpp"

namespace mssgw::directory::ldap {
namespace {

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::chrono::milliseconds since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t);
}

// Applies `p` with the cookie and the statistics written in the flip unit.
std::error_code apply_plan(build_session& session, const plan& p, const config& cfg, const sync_options& options,
                           std::optional<std::string> cookie, run_mode mode, std::int64_t now, sync_report& report) {
  report.changes = p.counts();
  if (!options.force && exceeds_delete_guard(p, cfg.max_delete_percent)) {
    report.detail = "would delete " + std::to_string(p.deleted) + " of " + std::to_string(p.owned_before) +
                    " LDAP entries (max_delete_percent " + std::to_string(cfg.max_delete_percent) + ")";
    return make_error_code(errc::too_many_deletes);
  }
  run_stats stats;
  stats.last_success = now;
  stats.entries = p.owned_after();
  stats.added = p.added + p.taken_over;
  stats.updated = p.updated;
  stats.deleted = p.deleted;
  stats.mode = mode;
  const std::string fingerprint = cfg.ldap.fingerprint();
  return session.apply(p, now, [&](storage::write_txn& txn) {
    if (cookie) {
      write_cookie(txn, {fingerprint, *cookie});
    } else {
      erase_cookie(txn);  // the server gave none: the next run reloads in full
    }
    write_run_stats(txn, source_kind::ldap, stats);
  });
}

}  // namespace

std::error_code sync_once(storage::kv_store& store, storage::writer& writer, const config& cfg,
                          const sync_options& options, sync_report& report) {
  log::context log(log::module::directory);
  report = sync_report{};
  if (!cfg.ldap.enabled()) return make_error_code(errc::not_configured);
  build_options build;
  build.batch_keys = static_cast<std::size_t>(cfg.batch_keys);

  std::string cookie;
  if (options.cookie) {
    cookie = *options.cookie;
  } else if (!options.force_full) {
    auto txn = store.begin_read();
    auto stored = read_cookie(*txn);
    if (stored && stored->fingerprint == cfg.ldap.fingerprint()) cookie = stored->cookie;
  }

  auto fetch_started = std::chrono::steady_clock::now();
  std::error_code ec;
  std::string detail;
  auto conn = connection::open(cfg.ldap, ec, detail, options.stop);
  if (!conn) {
    report.detail = detail;
    return ec;
  }
  const std::int64_t now = unix_now();

  if (!cookie.empty()) {
    refresh_result r;
    ec = conn->refresh(cookie, "", r, detail);
    if (!ec && r.delta.present_phase && !r.delta.present_uuids.empty()) {
      // RFC 4533 §3.3.1 assumes the server's content descends from the one our cookie names. Entries named
      // present that we never received prove otherwise (a provider restored from an older backup, a replaced
      // replica): applying the delta would leave the mirror inconsistent, so reload it whole.
      std::size_t unknown = unknown_uuids(*store.begin_read(), r.delta.present_uuids);
      if (unknown > 0) {
        ec = make_error_code(errc::ldap_search);
        r.refused = true;
        detail = "the server named " + std::to_string(unknown) +
                 " entries present that the mirror never received: its state does not follow from our cookie";
      }
    }
    if (!ec) {
      conn.reset();
      report.mode = run_mode::incremental;
      report.received = r.entries;
      report.skipped = r.skipped;
      report.fetch_time = since(fetch_started);
      auto apply_started = std::chrono::steady_clock::now();
      build_session session(store, writer, source_kind::ldap, build);
      if (!session.ok()) {
        report.busy_with = session.holder();
        return session.status();
      }
      std::optional<std::string> next = r.cookie ? r.cookie : std::optional<std::string>(cookie);
      plan p = session.plan_delta(std::move(r.delta), now);
      ec = apply_plan(session, p, cfg, options, next, run_mode::incremental, now, report);
      report.apply_time = since(apply_started);
      return ec;
    }
    if (!r.refused) {
      report.detail = detail;
      return ec;
    }
    report.cookie_refused = true;
    log.warn("directory.sync.cookie_refused", {{"reason", detail}, {"action", "full reload"}});
  }

  // Full reload: a cookie for "now" first (a filter that matches nothing: `F and not F`), then the content.
  report.mode = run_mode::full;
  refresh_result first;
  std::string nothing = "(&" + cfg.ldap.filter + "(!" + cfg.ldap.filter + "))";
  ec = conn->refresh("", nothing, first, detail);
  if (ec) {
    report.detail = "cookie request: " + detail;
    return ec;
  }
  if (!first.cookie) log.warn("directory.sync.no_cookie", {{"reason", "the server sent no sync cookie"}});
  content_map desired;
  std::size_t duplicates = 0;
  ec = conn->fetch_all(
      [&](entry&& e) {
        ++report.received;
        auto [it, inserted] = desired.try_emplace(e.address);
        if (!inserted) {
          ++duplicates;  // two LDAP entries with one mail: the first one wins
          return;
        }
        it->second = encode_content(e);
      },
      report.skipped, detail);
  if (ec) {
    report.detail = detail;
    return ec;
  }
  conn.reset();
  report.fetch_time = since(fetch_started);
  if (report.skipped || duplicates) {
    log.warn("directory.sync.entries_skipped", {{"unusable", report.skipped}, {"duplicate_mail", duplicates}});
  }
  auto apply_started = std::chrono::steady_clock::now();
  build_session session(store, writer, source_kind::ldap, build);
  if (!session.ok()) {
    report.busy_with = session.holder();
    return session.status();
  }
  plan p = session.plan_replace(std::move(desired), now);
  ec = apply_plan(session, p, cfg, options, first.cookie, run_mode::full, now, report);
  report.apply_time = since(apply_started);
  return ec;
}

sync_service::sync_service(storage::kv_store& store, storage::writer& writer, config cfg)
    : store_(store), writer_(writer), config_(std::move(cfg)) {}

sync_service::~sync_service() { stop(); }

void sync_service::start() {
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { loop(); });
}

void sync_service::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void sync_service::loop() {
  log::context log(log::module::directory);
  auto& runs_ok = metrics::get_counter("mssgw_directory_sync_runs_total", "LDAP directory sync runs", "result=\"ok\"");
  auto& runs_failed =
      metrics::get_counter("mssgw_directory_sync_runs_total", "LDAP directory sync runs", "result=\"failed\"");
  auto& full_reloads =
      metrics::get_counter("mssgw_directory_sync_full_reloads_total", "LDAP directory full (paged) reloads");
  auto& age = metrics::get_gauge("mssgw_directory_sync_age_seconds", "seconds since the last successful LDAP sync");
  auto& entries = metrics::get_gauge("mssgw_directory_entries", "directory entries by source", "source=\"ldap\"");

  std::int64_t last_success = 0;
  {
    auto txn = store_.begin_read();
    if (auto stats = read_run_stats(*txn, source_kind::ldap)) {
      last_success = stats->last_success;
      entries.set(static_cast<double>(stats->entries));
    }
  }
  auto backoff = config_.ldap.retry_min;
  while (!stopping_) {
    sync_report report;
    sync_options options;
    options.stop = &stopping_;
    std::error_code ec;
    try {
      ec = sync_once(store_, writer_, config_, options, report);
    } catch (const std::exception& e) {  // a bug or a storage failure: keep the service alive, retry later
      ec = make_error_code(errc::ldap_protocol);
      report.detail = e.what();
    }
    if (stopping_) break;
    std::chrono::seconds wait;
    if (!ec) {
      runs_ok.inc();
      if (report.mode == run_mode::full) full_reloads.inc();
      last_success = unix_now();
      entries.set(static_cast<double>(report.changes.owned_after()));
      backoff = config_.ldap.retry_min;
      wait = config_.ldap.interval;
      log.info("directory.sync.done",
               {{"mode", report.mode == run_mode::full ? "full" : "incremental"},
                {"received", report.received}, {"added", report.changes.added + report.changes.taken_over},
                {"updated", report.changes.updated}, {"deleted", report.changes.deleted},
                {"entries", report.changes.owned_after()}, {"fetch_ms", report.fetch_time.count()},
                {"apply_ms", report.apply_time.count()}, {"next_in", wait.count()}});
    } else if (ec == errc::busy) {
      wait = config_.ldap.retry_min;  // an import holds the lease: not a failure of the server
      log.info("directory.sync.busy", {{"retry_in", wait.count()}});
    } else {
      runs_failed.inc();
      wait = backoff;
      backoff = std::min(backoff * 2, config_.ldap.retry_max);
      log.warn("directory.sync.failed", {{"reason", ec.message()}, {"detail", report.detail},
                                         {"retry_in", wait.count()}, {"mirror", "kept"}});
    }
    // Sleep in slices so that the age gauge stays current.
    auto until = std::chrono::steady_clock::now() + wait;
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      if (last_success > 0) age.set(static_cast<double>(unix_now() - last_success));
      auto now = std::chrono::steady_clock::now();
      if (now >= until) break;
      wake_.wait_for(lock, std::min<std::chrono::steady_clock::duration>(until - now, std::chrono::seconds(10)));
    }
  }
}

}  // namespace mssgw::directory::ldap
