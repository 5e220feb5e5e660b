#include "storage/writer.hpp"

#include <future>
#include <vector>

#include "common/log.hpp"

namespace mssgw::storage {

writer::writer(kv_store& store, options opts) : store_(store), options_(opts) {
  if (options_.max_group == 0) options_.max_group = 1;
  thread_ = std::thread([this] { loop(); });
}

writer::~writer() { stop(); }

void writer::submit(write_unit unit, completion done) {
  {
    std::lock_guard lock(mutex_);
    if (!stopping_) {
      queue_.push_back({std::move(unit), std::move(done)});
      wake_.notify_one();
      return;
    }
  }
  done(make_error_code(errc::shutting_down));
}

std::error_code writer::run(write_unit unit) {
  std::promise<std::error_code> promise;
  auto result = promise.get_future();
  submit(std::move(unit), [&promise](std::error_code ec) { promise.set_value(ec); });
  return result.get();
}

void writer::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
    wake_.notify_one();
  }
  if (thread_.joinable()) thread_.join();
}

writer_stats writer::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

void writer::loop() {
  const log::context log(log::module::storage);
  std::vector<pending> group;
  std::vector<write_unit> units;
  std::vector<unit_result> results;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything queued is committed
      // Group commit: take everything that queued up while the previous group was being committed.
      while (!queue_.empty() && group.size() < options_.max_group) {
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    units.clear();
    for (auto& p : group) units.push_back(std::move(p.unit));
    results.assign(group.size(), unit_result{});
    std::error_code group_error;
    const auto started = std::chrono::steady_clock::now();
    try {
      store_.commit_group(units, results);
    } catch (const std::system_error& e) {
      group_error = e.code();
      log.error("storage.commit.failed", {{"units", group.size()}, {"reason", e.what()}});
    } catch (const std::exception& e) {
      group_error = make_error_code(errc::io_error);
      log.error("storage.commit.failed", {{"units", group.size()}, {"reason", e.what()}});
    }
    const auto elapsed = std::chrono::steady_clock::now() - started;
    if (!group_error && options_.watchers) {
      std::vector<std::uint64_t> changed;
      for (const auto& r : results) {
        if (!r.error) changed.insert(changed.end(), r.changed_mailboxes.begin(), r.changed_mailboxes.end());
      }
      if (!changed.empty()) options_.watchers->publish(changed);
    }
    std::uint64_t failed = 0;
    for (std::size_t i = 0; i < group.size(); ++i) failed += (group_error || results[i].error) ? 1 : 0;
    {
      // Before the completions: a submitter that sees its result also sees the group in the stats.
      std::lock_guard lock(mutex_);
      stats_.groups += 1;
      stats_.units += group.size();
      stats_.failed_units += failed;
      stats_.largest_group = std::max<std::uint64_t>(stats_.largest_group, group.size());
      stats_.commit_time += elapsed;
    }
    for (std::size_t i = 0; i < group.size(); ++i) group[i].done(group_error ? group_error : results[i].error);
    group.clear();
  }
}

}  // namespace mssgw::storage
