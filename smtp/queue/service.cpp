#include "common/asio.hpp"

// g++ 12 reports -Wmismatched-new-delete inside Asio's awaitable frame allocator wherever a coroutine is
// instantiated: a false positive in the headers (bench/smtp_load.cpp has the same note), silenced for this file.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include "smtp/queue/service.hpp"

#include <unistd.h>

#include <atomic>
#include <deque>
#include <map>
#include <mutex>
#include <set>

#include "common/log.hpp"
#include "common/metrics.hpp"
#include "common/tls.hpp"
#include "routing/classify.hpp"
#include "smtp/client/delivery.hpp"
#include "smtp/proto/address.hpp"
#include "smtp/proto/codec.hpp"
#include "smtp/queue/dsn.hpp"
#include "smtp/queue/resolver.hpp"
#include "smtp/queue/retry.hpp"
#include "storage/async_writer.hpp"
#include "storage/blob_store.hpp"
#include "storage/mailbox_store.hpp"
#include "storage/queue_store.hpp"
#include "trustspace/whitelist.hpp"

namespace mssgw::smtp::queue {
namespace {

std::int64_t system_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string host_name() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "localhost";
  return buf;
}

std::string display_id(std::uint64_t id) {
  storage::queue_entry e;
  e.id = id;
  return e.display_id();
}

outcome to_queue(client::outcome o) {
  switch (o) {
    case client::outcome::delivered: return outcome::delivered;
    case client::outcome::failed: return outcome::failed;
    case client::outcome::deferred: return outcome::deferred;
  }
  return outcome::deferred;
}

// co_await-able lookup: the resolver calls back on its own thread; the result is posted to the coroutine's executor.
template <class CompletionToken>
auto async_resolve(resolver& dns, std::string domain, std::optional<next_hop> hop, CompletionToken&& token) {
  return asio::async_initiate<CompletionToken, void(resolution)>(
      [&dns](auto handler, std::string name, std::optional<next_hop> route) {
        auto ex = asio::prefer(asio::get_associated_executor(handler), asio::execution::outstanding_work.tracked);
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        auto done = [shared, ex](resolution r) {
          asio::post(ex, [shared, r = std::move(r)]() mutable { (*shared)(std::move(r)); });
        };
        if (route) {
          dns.resolve_host(route->host, route->port, std::move(done));
        } else {
          dns.resolve_mx(std::move(name), std::move(done));
        }
      },
      token, std::move(domain), std::move(hop));
}

// Where a DSN went, as written by the unit (which may run more than once: each run overwrites it).
struct dsn_placement {
  enum class where { none, inbox, queued, dropped } to = where::none;
  std::uint64_t queue_id = 0;
};

}  // namespace

struct service::impl : std::enable_shared_from_this<service::impl> {
  impl(asio::io_context& io_, config cfg_, service_deps deps_)
      : io(io_), strand(asio::make_strand(io_)), timer(strand), cfg(std::move(cfg_)), deps(std::move(deps_)) {
    node = cfg.node_id.empty() ? host_name() : cfg.node_id;
    policy.minimal_backoff = cfg.minimal_backoff;
    policy.maximal_backoff = cfg.maximal_backoff;
    policy.lifetime = cfg.lifetime;
    policy.delay_warning = cfg.delay_warning_time;
    for (auto& d : deps.local_domains) d = proto::to_lower(d);
    if (!deps.now_ms) deps.now_ms = system_now_ms;
    if (cfg.connection_cache_time.count() > 0) {
      client::connection_cache::limits l;
      l.idle = cfg.connection_cache_time;
      l.lifetime = cfg.connection_reuse_time;
      l.per_domain = static_cast<std::size_t>(cfg.per_destination);
      cache = std::make_shared<client::connection_cache>(l);
    }
    dns = deps.dns;
    if (!dns) {
      dns = make_ares_resolver(cfg.dns_servers);
      owns_dns = true;
    }
  }

  asio::io_context& io;
  asio::strand<asio::io_context::executor_type> strand;
  asio::steady_timer timer;
  config cfg;
  service_deps deps;
  retry_policy policy;
  std::shared_ptr<resolver> dns;
  bool owns_dns = false;
  std::shared_ptr<client::connection_cache> cache;  // null: connection_cache_time = 0
  std::string node;
  log::context log{log::module::queue};

  // ---- scheduler state: touched on `strand` only ----
  struct entry_run {
    storage::queue_entry entry;              // our copy; statuses follow each committed result
    std::shared_ptr<const std::string> body;
    std::size_t jobs_left = 0;
  };
  struct job {
    std::shared_ptr<entry_run> run;
    std::string domain;
    std::vector<std::size_t> recipients;  // indexes into run->entry.recipients
  };
  std::map<std::uint64_t, std::shared_ptr<entry_run>> active;
  std::map<std::string, std::deque<job>> waiting;  // by destination domain
  std::map<std::string, int> running_per_destination;
  std::string cursor;  // the destination served last (round robin)
  int running = 0;
  bool started = false;
  bool scanning = false;
  bool rescan = false;
  std::int64_t last_metrics_ms = 0;

  // ---- any thread ----
  std::atomic<bool> stopping{false};
  std::mutex cancels_mutex;
  std::set<std::shared_ptr<client::cancel_scope>> cancels;
  std::atomic<std::size_t> active_count{0}, running_count{0};
  std::atomic<std::uint64_t> scans{0}, writes{0};

  metrics::gauge& size_gauge = metrics::get_gauge("mssgw_queue_size", "entries in the outbound queue");
  metrics::gauge& oldest_gauge =
      metrics::get_gauge("mssgw_queue_oldest_age_seconds", "age of the oldest entry in the outbound queue");
  metrics::counter& delivered_total = metrics::get_counter(
      "mssgw_deliveries_total", "outbound recipients by result of each attempt", "result=\"delivered\"");
  metrics::counter& deferred_total = metrics::get_counter(
      "mssgw_deliveries_total", "outbound recipients by result of each attempt", "result=\"deferred\"");
  metrics::counter& bounced_total = metrics::get_counter(
      "mssgw_deliveries_total", "outbound recipients by result of each attempt", "result=\"bounced\"");
  metrics::counter& dsn_total = metrics::get_counter("mssgw_queue_dsn_total", "delivery status notifications sent");
  metrics::counter& reused_total =
      metrics::get_counter("mssgw_queue_connections_reused_total", "deliveries over a parked (reused) connection");

  template <class F>
  void on_strand(F f) {
    asio::post(strand, [self = shared_from_this(), f = std::move(f)]() mutable { f(*self); });
  }

  void spawn(asio::awaitable<void> work, std::string_view what) {
    asio::co_spawn(strand, std::move(work), [self = shared_from_this(), what](std::exception_ptr e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        self->log.error("queue.crashed", {{"where", what}, {"reason", ex.what()}});
      }
    });
  }

  // ---- start: release this node's leases from a previous run ----
  asio::awaitable<void> recover() {
    const std::int64_t now = deps.now_ms();
    auto released = std::make_shared<std::size_t>(0);
    storage::write_unit unit = [node = node, now, released](storage::write_txn& txn) -> std::error_code {
      *released = 0;
      std::vector<storage::queue_entry> mine;
      storage::queue::scan_all(txn, [&](const storage::queue_entry& e) {
        if (e.lease_owner == node) mine.push_back(e);
        return true;
      });
      for (auto& e : mine) {
        e.lease_owner.clear();
        e.lease_until_ms = 0;
        e.next_due_ms = now;
        if (auto ec = storage::queue::update(txn, e)) return ec;
        ++*released;
      }
      return {};
    };
    std::error_code ec = co_await storage::async_commit(deps.writer, std::move(unit), asio::use_awaitable);
    if (ec) {
      log.error("queue.recover.failed", {{"reason", ec.message()}});
    } else if (*released > 0) {
      log.info("queue.recovered", {{"entries", *released}, {"node", node}});
    }
    started = true;
    scan();
  }

  // ---- scanning ----
  void scan() {
    if (stopping || !started) return;
    if (scanning) {
      rescan = true;
      return;
    }
    scanning = true;
    asio::co_spawn(strand, scan_once(), [self = shared_from_this()](std::exception_ptr e) {
      self->on_strand([e](impl& s) {
        if (e) {
          try {
            std::rethrow_exception(e);
          } catch (const std::exception& ex) {
            s.log.error("queue.scan.crashed", {{"reason", ex.what()}});
          }
        }
        s.scanning = false;
        ++s.scans;
        if (s.rescan) {
          s.rescan = false;
          s.scan();
        } else {
          s.arm_timer();
        }
      });
    });
  }

  void arm_timer() {
    if (stopping) return;
    timer.expires_after(cfg.scan_interval);
    timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (ec) return;
      self->scan();
    });
  }

  asio::awaitable<void> scan_once() {
    const std::int64_t now = deps.now_ms();
    const std::size_t room = active.size() >= static_cast<std::size_t>(cfg.max_active)
                                 ? 0
                                 : static_cast<std::size_t>(cfg.max_active) - active.size();
    std::vector<std::uint64_t> due;
    {
      auto txn = deps.store.begin_read();
      // The gauges need a pass over every entry: at most once per scan_interval, however often poke() is called.
      if (now - last_metrics_ms >= std::chrono::duration_cast<std::chrono::milliseconds>(cfg.scan_interval).count()) {
        last_metrics_ms = now;
        std::size_t count = 0;
        std::int64_t oldest = now;
        storage::queue::scan_all(*txn, [&](const storage::queue_entry& e) {
          ++count;
          oldest = std::min(oldest, e.created_ms);
          return true;
        });
        size_gauge.set(static_cast<double>(count));
        oldest_gauge.set(count ? static_cast<double>(now - oldest) / 1000.0 : 0.0);
      }
      if (room > 0) {
        storage::queue::scan_due(*txn, now, [&](std::uint64_t id, std::int64_t) {
          if (!active.contains(id)) due.push_back(id);
          return due.size() < room;
        });
      }
    }  // the read transaction ends here, before any co_await

    // Leases of entries still waiting for a delivery slot are renewed before they run out.
    std::vector<std::uint64_t> renew;
    const std::int64_t lease_ms = std::chrono::duration_cast<std::chrono::milliseconds>(cfg.lease).count();
    for (auto& [id, run] : active) {
      if (run->entry.lease_until_ms - now < lease_ms / 2) renew.push_back(id);
    }
    if (due.empty() && renew.empty()) co_return;

    const std::int64_t until = now + lease_ms;
    auto claimed = std::make_shared<std::vector<storage::queue_entry>>();
    auto renewed = std::make_shared<std::vector<std::uint64_t>>();
    storage::write_unit unit = [due, renew, node = node, now, until, claimed,
                                renewed](storage::write_txn& txn) -> std::error_code {
      claimed->clear();
      renewed->clear();
      for (auto id : due) {
        auto e = storage::queue::get(txn, id);
        if (!e || e->next_due_ms > now) continue;
        if (!e->lease_owner.empty() && e->lease_owner != node && e->lease_until_ms > now) continue;
        e->lease_owner = node;
        e->lease_until_ms = until;
        e->next_due_ms = until;  // invisible to scans (ours and other nodes') while leased
        if (auto ec = storage::queue::update(txn, *e)) return ec;
        claimed->push_back(std::move(*e));
      }
      for (auto id : renew) {
        auto e = storage::queue::get(txn, id);
        if (!e || e->lease_owner != node) continue;
        e->lease_until_ms = until;
        e->next_due_ms = until;
        if (auto ec = storage::queue::update(txn, *e)) return ec;
        renewed->push_back(id);
      }
      return {};
    };
    std::error_code ec = co_await storage::async_commit(deps.writer, std::move(unit), asio::use_awaitable);
    if (ec) {
      log.error("queue.claim.failed", {{"reason", ec.message()}, {"entries", due.size()}});
      co_return;
    }
    for (auto id : *renewed) {
      if (auto it = active.find(id); it != active.end()) {
        it->second->entry.lease_until_ms = until;
        it->second->entry.next_due_ms = until;
      }
    }
    if (stopping) co_return;  // claimed entries stay leased to us: the next start releases them
    for (auto& e : *claimed) admit(std::move(e));
    dispatch();
  }

  // A claimed entry: load its body, split it into one job per destination.
  void admit(storage::queue_entry entry) {
    auto run = std::make_shared<entry_run>();
    const std::uint64_t id = entry.id;
    {
      auto txn = deps.store.begin_read();
      if (auto body = storage::blobs::get(*txn, entry.blob)) run->body = std::make_shared<const std::string>(*body);
    }
    run->entry = std::move(entry);
    active[id] = run;
    active_count = active.size();
    auto groups = group_by_destination(run->entry);
    if (!run->body && !groups.empty()) {
      // A queue entry whose body is gone cannot be delivered; it stays (deferred) until its lifetime ends, so an
      // operator sees it in `mssgw queue list` and the sender gets a bounce.
      log.with_queue(run->entry.display_id()).error("queue.body.missing", {{"blob", storage::to_hex(run->entry.blob)}});
      attempt_report report;
      for (const auto& g : groups) {
        for (auto i : g.recipients) {
          report.outcomes.push_back({i, outcome::deferred, 451, "4.3.0", "x-mssgw; message body missing from the store"});
        }
      }
      run->jobs_left = 1;
      complete(run, std::move(report));
      return;
    }
    if (groups.empty()) {
      run->jobs_left = 1;
      complete(run, {});
      return;
    }
    run->jobs_left = groups.size();
    for (auto& g : groups) waiting[g.domain].push_back({run, std::move(g.domain), std::move(g.recipients)});
  }

  void dispatch() {
    if (stopping) return;
    // Round robin between destinations, starting after the one served last (so no domain is always first): one job
    // per destination per pass, within both limits.
    while (running < cfg.concurrency && !waiting.empty()) {
      std::vector<std::string> order;
      order.reserve(waiting.size());
      const auto pivot = waiting.upper_bound(cursor);
      for (auto it = pivot; it != waiting.end(); ++it) order.push_back(it->first);
      for (auto it = waiting.begin(); it != pivot; ++it) order.push_back(it->first);
      bool progressed = false;
      for (const auto& domain : order) {
        if (running >= cfg.concurrency) break;
        auto it = waiting.find(domain);
        if (auto r = running_per_destination.find(domain);
            r != running_per_destination.end() && r->second >= cfg.per_destination) {
          continue;
        }
        start_job(std::move(it->second.front()));
        it->second.pop_front();
        if (it->second.empty()) waiting.erase(it);
        cursor = domain;
        progressed = true;
      }
      if (!progressed) break;
    }
  }

  void start_job(job j) {
    ++running;
    ++running_per_destination[j.domain];
    running_count = static_cast<std::size_t>(running);
    const auto& e = j.run->entry;
    client::envelope env;
    env.sender = e.sender;
    env.envid = e.envid;
    env.ret_full = e.ret_full;
    for (auto i : j.recipients) {
      const auto& r = e.recipients[i];
      env.recipients.push_back({r.address, r.notify, r.orcpt});
    }
    auto cancel = std::make_shared<client::cancel_scope>();
    {
      std::lock_guard lock(cancels_mutex);
      cancels.insert(cancel);
    }
    auto self = shared_from_this();
    auto work_strand = asio::make_strand(io);
    // Everything the coroutine needs is computed before `j` is moved into the completion handler (the order in which
    // co_spawn's arguments are evaluated is unspecified).
    std::string domain = j.domain;
    std::string queue_id = e.display_id();
    std::shared_ptr<const std::string> body = j.run->body;
    auto work = run_job(std::move(domain), std::move(env), std::move(body), std::move(queue_id), cancel);
    auto on_done = [self, j = std::move(j), cancel](std::exception_ptr ex, client::delivery_result result) mutable {
      self->on_strand([j = std::move(j), cancel, ex, result = std::move(result)](impl& s) mutable {
        s.job_done(std::move(j), cancel, ex, std::move(result));
      });
    };
    asio::co_spawn(work_strand, std::move(work), std::move(on_done));
  }

  // Runs on the job's own strand: routing, then the delivery. Touches no scheduler state.
  asio::awaitable<client::delivery_result> run_job(std::string domain, client::envelope env,
                                                   std::shared_ptr<const std::string> body, std::string queue_id,
                                                   std::shared_ptr<client::cancel_scope> cancel) {
    auto jlog = log.with_queue(queue_id);
    client::delivery_result failed;
    auto fail_all = [&](client::outcome o, std::uint16_t code, std::string enhanced, std::string diagnostic) {
      failed.recipients.assign(env.recipients.size(), {o, code, enhanced, diagnostic, true});
      return failed;
    };
    if (domain.empty() || proto::check_domain(domain, true, true) != proto::errc::ok) {
      co_return fail_all(client::outcome::failed, 550, "5.1.2", "x-mssgw; invalid destination domain");
    }
    std::optional<next_hop> hop = cfg.route_for(domain);
    resolution where;
    if (hop && hop->literal) {
      where.st = resolution::status::ok;
      where.hosts.push_back({hop->host, 0, {hop->host}, hop->port});
    } else {
      where = co_await async_resolve(*dns, domain, hop, asio::use_awaitable);
    }
    if (where.st == resolution::status::no_mail) {
      jlog.warn("queue.route.no_mail", {{"domain", domain}, {"reason", where.error}});
      co_return fail_all(client::outcome::failed, 556, "5.1.10", "x-mssgw; " + where.error);  // RFC 7505 §4.2
    }
    if (where.st != resolution::status::ok) {
      jlog.info("queue.route.failed", {{"domain", domain}, {"reason", where.error}});
      co_return fail_all(client::outcome::deferred, 451, "4.4.3", "x-mssgw; " + where.error);  // RFC 3463 X.4.3
    }
    client::delivery_request req;
    req.domain = domain;
    for (const auto& h : where.hosts) {
      for (const auto& a : h.addresses) req.targets.push_back({h.name, a, h.port});
    }
    req.env = std::move(env);
    req.body = std::move(body);
    if (auto contexts = deps.tls.current()) req.tls = contexts->client();
    req.whitelist = deps.whitelist.current();
    req.helo_name = deps.hostname;
    req.limits = cfg.timeouts;
    req.max_addresses = static_cast<std::size_t>(cfg.max_addresses);
    req.log = jlog;
    req.cache = cache;
    co_return co_await client::deliver(std::move(req), cancel);
  }

  // Back on the scheduler strand with one destination's result.
  void job_done(job j, std::shared_ptr<client::cancel_scope> cancel, std::exception_ptr ex,
                client::delivery_result result) {
    --running;
    if (--running_per_destination[j.domain] <= 0) running_per_destination.erase(j.domain);
    running_count = static_cast<std::size_t>(running);
    {
      std::lock_guard lock(cancels_mutex);
      cancels.erase(cancel);
    }
    if (stopping) return;  // nothing is written: the lease makes the entry retried
    if (result.reused) reused_total.inc();
    auto jlog = log.with_queue(j.run->entry.display_id());
    if (ex) {
      try {
        std::rethrow_exception(ex);
      } catch (const std::exception& e) {
        jlog.error("queue.delivery.crashed", {{"domain", j.domain}, {"reason", e.what()}});
      }
      result = {};
    }
    attempt_report report;
    report.remote_mta = result.remote_mta;
    report.remote_dsn = result.remote_dsn;
    for (std::size_t k = 0; k < j.recipients.size(); ++k) {
      if (k < result.recipients.size()) {
        const auto& r = result.recipients[k];
        report.outcomes.push_back({j.recipients[k], to_queue(r.result), r.code, r.enhanced, r.diagnostic});
      } else {  // unknown errors count as temporary
        report.outcomes.push_back({j.recipients[k], outcome::deferred, 451, "4.3.0", "x-mssgw; internal error"});
      }
    }
    for (const auto& o : report.outcomes) {
      const auto& address = j.run->entry.recipients[o.index].address;
      switch (o.result) {
        case outcome::delivered:
          jlog.info("queue.delivered", {{"to", address}, {"relay", result.remote_mta}, {"address", result.remote_address},
                                        {"tls", result.tls_version}, {"reply", o.diagnostic}});
          break;
        case outcome::deferred:
          jlog.info("queue.deferred", {{"to", address}, {"relay", result.remote_mta}, {"reason", o.diagnostic}});
          break;
        case outcome::failed:
          jlog.warn("queue.bounced", {{"to", address}, {"relay", result.remote_mta}, {"reason", o.diagnostic}});
          break;
      }
    }
    dispatch();  // the slot is free: start the next job before the write
    complete(j.run, std::move(report));
    dispatch();
  }

  // Applies one destination's report to the entry, builds the DSN it calls for, and commits both.
  void complete(const std::shared_ptr<entry_run>& run, attempt_report report) {
    const bool last = --run->jobs_left == 0;
    const std::int64_t now = deps.now_ms();
    applied a = apply_attempt(run->entry, report, last, now, policy);
    run->entry = a.entry;
    delivered_total.inc(a.tally.delivered);
    deferred_total.inc(a.tally.deferred);
    bounced_total.inc(a.tally.bounced);
    const std::uint64_t id = run->entry.id;
    auto elog = log.with_queue(run->entry.display_id());
    if (a.expired) elog.warn("queue.expired", {{"attempts", run->entry.attempts}});

    std::optional<std::string> dsn;
    if (!a.notifications.empty()) {
      dsn_input in;
      in.reporting_mta = deps.hostname;
      in.sender = run->entry.sender;
      in.envid = run->entry.envid;
      in.queue_id = run->entry.display_id();
      in.arrival_ms = run->entry.created_ms;
      in.ret_full = run->entry.ret_full;
      in.original = run->body ? std::string_view(*run->body) : std::string_view();
      in.recipients = a.notifications;
      in.date = std::chrono::system_clock::time_point(std::chrono::milliseconds(now));
      dsn = build_dsn(in);
    }
    std::shared_ptr<const std::string> dsn_bytes;
    storage::content_hash dsn_hash{};
    if (dsn) {
      dsn_bytes = std::make_shared<const std::string>(std::move(*dsn));
      dsn_hash = storage::hash_content(*dsn_bytes);
    }
    auto placement = std::make_shared<dsn_placement>();
    storage::write_unit unit = [entry = a.entry, remove = a.remove, node = node, dsn_bytes, dsn_hash, now,
                                local = deps.local_domains, list = deps.whitelist.current(),
                                placement](storage::write_txn& txn) -> std::error_code {
      *placement = {};
      auto current = storage::queue::get(txn, entry.id);
      if (!current) return {};  // deleted meanwhile (`mssgw queue delete`: no bounce)
      if (current->lease_owner != node) return {};  // our lease ran out and another node took over: its run wins
      if (auto ec = remove ? storage::queue::remove(txn, entry.id) : storage::queue::update(txn, entry)) return ec;
      if (!dsn_bytes) return {};
      // RFC 3461 §6.1: the DSN goes to the original sender, from the null reverse-path.
      routing::facts facts{local, txn, list.get(), {}};
      auto route = routing::classify(current->sender, facts);
      if (route.kind == routing::route_kind::local) {
        std::uint64_t inbox = route.inbox;
        if (auto ec = storage::messages::deliver(txn, *dsn_bytes, dsn_hash, now / 1000, "", std::span(&inbox, 1))) {
          return ec;
        }
        placement->to = dsn_placement::where::inbox;
      } else if (route.kind == routing::route_kind::unknown_local) {
        placement->to = dsn_placement::where::dropped;  // the sender's BAL is gone
      } else {
        storage::queue_entry notice;
        notice.created_ms = now;
        notice.next_due_ms = now;
        storage::queue_recipient to;
        to.address = current->sender;
        to.notify = storage::notify_never;
        notice.recipients.push_back(std::move(to));
        storage::blobs::put(txn, *dsn_bytes, dsn_hash);
        notice.blob = dsn_hash;
        notice.size = dsn_bytes->size();
        if (auto ec = storage::queue::enqueue_stored(txn, notice)) return ec;
        storage::blobs::release(txn, dsn_hash);  // enqueue_stored took its own reference
        placement->to = dsn_placement::where::queued;
        placement->queue_id = notice.id;
      }
      return {};
    };
    if (last) {
      active.erase(id);
      active_count = active.size();
    }
    auto self = shared_from_this();
    deps.writer.submit(std::move(unit), [self, id, placement, elog, sender = run->entry.sender,
                                         n = a.notifications.size()](std::error_code ec) {
      // On the writer thread: log, count, and hand back to the scheduler.
      ++self->writes;
      if (ec) {
        elog.error("queue.update.failed", {{"reason", ec.message()}});
        return;
      }
      switch (placement->to) {
        case dsn_placement::where::none: break;
        case dsn_placement::where::inbox:
          self->dsn_total.inc();
          elog.info("queue.dsn.delivered", {{"to", sender}, {"recipients", n}, {"where", "inbox"}});
          break;
        case dsn_placement::where::queued:
          self->dsn_total.inc();
          elog.info("queue.dsn.queued", {{"to", sender}, {"recipients", n}, {"dsn_queue_id", display_id(placement->queue_id)}});
          self->on_strand([](impl& s) { s.scan(); });
          break;
        case dsn_placement::where::dropped:
          elog.warn("queue.dsn.dropped", {{"to", sender}, {"reason", "the sender's mailbox no longer exists"}});
          break;
      }
      (void)id;
    });
  }

  void stop() {
    if (stopping.exchange(true)) return;
    std::vector<std::shared_ptr<client::cancel_scope>> all;
    {
      std::lock_guard lock(cancels_mutex);
      all.assign(cancels.begin(), cancels.end());
    }
    for (auto& c : all) c->cancel();
    if (cache) cache->close_all();
    on_strand([](impl& s) { s.timer.cancel(); });
    if (owns_dns && dns) dns->stop();
  }
};

service::service(asio::io_context& io, config cfg, service_deps deps)
    : impl_(std::make_shared<impl>(io, std::move(cfg), std::move(deps))) {}

service::~service() { stop(); }

void service::start() {
  impl_->on_strand([](impl& s) {
    if (s.started || s.stopping) return;
    s.log.info("queue.started", {{"node", s.node}, {"concurrency", s.cfg.concurrency},
                                 {"per_destination", s.cfg.per_destination}, {"routes", s.cfg.routes.size()}});
    s.spawn(s.recover(), "recover");
  });
}

void service::stop() { impl_->stop(); }

void service::poke() {
  impl_->on_strand([](impl& s) { s.scan(); });
}

service::status service::current_status() const {
  return {impl_->active_count.load(), impl_->running_count.load(), impl_->scans.load(), impl_->writes.load()};
}

const std::string& service::node_id() const { return impl_->node; }

}  // namespace mssgw::smtp::queue
