// The single storage writer with group commit (DESIGN.md §1, §3; deps.md §3).
//
// Any thread submits a write unit with a completion. One dedicated thread takes everything waiting (up to
// max_group units), runs it as one transaction through kv_store::commit_group, commits durably, then calls each
// completion with its unit's result. Callers therefore pay one fdatasync per group, not per message.
//
// Completions run on the writer thread: they must be short and must not block (the Asio adapter in
// async_writer.hpp posts to the caller's executor). A unit never sees a co_await: it runs to completion on the
// writer thread, so no transaction is ever held across one.
//
// stop() (and the destructor) stops taking new units, commits everything already queued, and joins. Units
// submitted after stop() complete at once with errc::shutting_down.
#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <type_traits>

#include "storage/kv.hpp"
#include "storage/watchers.hpp"

namespace mssgw::storage {

// A move-only callable `void(std::error_code)` (std::move_only_function is C++23).
class completion {
 public:
  completion() = default;
  template <class F, class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, completion>>>
  completion(F&& f) : impl_(std::make_unique<model<std::decay_t<F>>>(std::forward<F>(f))) {}
  void operator()(std::error_code ec) {
    if (impl_) impl_->call(ec);
  }
  explicit operator bool() const { return impl_ != nullptr; }

 private:
  struct concept_t {
    virtual ~concept_t() = default;
    virtual void call(std::error_code ec) = 0;
  };
  template <class F>
  struct model : concept_t {
    explicit model(F f) : fn(std::move(f)) {}
    void call(std::error_code ec) override { fn(ec); }
    F fn;
  };
  std::unique_ptr<concept_t> impl_;
};

struct writer_stats {
  std::uint64_t groups = 0;
  std::uint64_t units = 0;
  std::uint64_t failed_units = 0;
  std::uint64_t largest_group = 0;
  std::chrono::nanoseconds commit_time{0};  // total time spent in commit_group
};

class writer {
 public:
  struct options {
    std::size_t max_group = 1024;       // units per transaction
    mailbox_watchers* watchers = nullptr;  // told of changed mailboxes after each commit
  };

  explicit writer(kv_store& store) : writer(store, options{}) {}
  writer(kv_store& store, options opts);
  ~writer();
  writer(const writer&) = delete;
  writer& operator=(const writer&) = delete;

  // Queues `unit`; `done` is called on the writer thread once the unit's group is durable (or failed).
  void submit(write_unit unit, completion done);
  // Submits and blocks until durable. For admin commands and tests; never call from an I/O thread.
  std::error_code run(write_unit unit);
  // Drains the queue, commits, and joins the thread. Idempotent.
  void stop();

  writer_stats stats() const;

 private:
  struct pending {
    write_unit unit;
    completion done;
  };
  void loop();

  kv_store& store_;
  options options_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<pending> queue_;
  bool stopping_ = false;
  writer_stats stats_;
  std::thread thread_;
};

}  // namespace mssgw::storage
