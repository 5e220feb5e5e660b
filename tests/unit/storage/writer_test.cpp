// The group-commit writer: every submission completes once, after its group is durable; concurrent submitters share
// transactions; stop() drains; the Asio adapter resumes the coroutine on its own executor.
#include "common/asio.hpp"

#include <catch2/catch.hpp>

#include <mutex>
#include <thread>

#include "backends.hpp"
#include "storage/async_writer.hpp"
#include "storage/writer.hpp"

using namespace mssgw;
using storage::table;

TEMPLATE_TEST_CASE("writer: concurrent submitters are grouped and all acknowledged", "[storage][writer]",
                   test::memory_backend, test::lmdb_backend) {
  TestType b;
  storage::writer w(*b.store);
  constexpr int threads = 16, per_thread = 50;
  std::vector<std::thread> pool;
  std::atomic<int> failures{0};
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        std::string key = "t" + std::to_string(t) + "-" + std::to_string(i);
        auto ec = w.run([key](storage::write_txn& txn) {
          txn.put(table::meta, key, "v");
          return std::error_code{};
        });
        if (ec) ++failures;
      }
    });
  }
  for (auto& t : pool) t.join();
  CHECK(failures == 0);
  auto stats = w.stats();
  CHECK(stats.units == threads * per_thread);
  if (std::string_view(TestType::name) == "lmdb") {
    // A durable commit takes an fdatasync, during which the other submitters queue up: grouping must happen.
    // (The memory backend commits in microseconds, so grouping there depends on scheduling.)
    CHECK(stats.groups < stats.units);
    CHECK(stats.largest_group > 1);
  }
  int count = 0;
  b.store->begin_read()->scan(table::meta, "t", "u", [&](std::string_view, std::string_view) {
    ++count;
    return true;
  });
  CHECK(count == threads * per_thread);
}

TEST_CASE("writer: stop() commits what is queued; later submissions are refused", "[storage][writer]") {
  test::memory_backend b;
  storage::writer w(*b.store);
  std::atomic<int> done{0};
  for (int i = 0; i < 100; ++i) {
    w.submit(
        [i](storage::write_txn& txn) {
          txn.put(table::meta, "k" + std::to_string(i), "v");
          return std::error_code{};
        },
        [&](std::error_code ec) { done += ec ? 0 : 1; });
  }
  w.stop();
  CHECK(done == 100);
  std::error_code late;
  w.submit([](storage::write_txn&) { return std::error_code{}; }, [&](std::error_code ec) { late = ec; });
  CHECK(late == storage::errc::shutting_down);
}

TEST_CASE("writer: a unit's error reaches only its own submitter", "[storage][writer]") {
  test::memory_backend b;
  storage::writer w(*b.store);
  auto bad = w.run([](storage::write_txn& txn) -> std::error_code {
    txn.put(table::meta, "bad", "v");
    return storage::errc::conflict;
  });
  auto good = w.run([](storage::write_txn& txn) {
    txn.put(table::meta, "good", "v");
    return std::error_code{};
  });
  CHECK(bad == storage::errc::conflict);
  CHECK_FALSE(good);
  CHECK_FALSE(b.store->begin_read()->get(table::meta, "bad"));
  CHECK(b.store->begin_read()->get(table::meta, "good"));
}

namespace {
struct async_probe {
  storage::writer* w;
  storage::kv_store* store;
  std::vector<std::error_code> results;
  std::thread::id io_thread;
  bool resumed_right = true;
};

// A coroutine's state must live in its parameters: a capturing lambda's closure dies before the coroutine runs.
// The unit is a named local: g++ 12 miscompiles non-trivial temporaries built inside a co_await expression
// (see storage/async_writer.hpp).
asio::awaitable<void> commit_one_key(async_probe* probe, std::string key) {
  storage::write_unit unit = [key](storage::write_txn& txn) {
    txn.put(table::meta, key, "v");
    return std::error_code{};
  };
  auto ec = co_await storage::async_commit(*probe->w, std::move(unit), asio::use_awaitable);
  probe->results.push_back(ec);
  if (std::this_thread::get_id() != probe->io_thread) probe->resumed_right = false;
  if (!probe->store->begin_read()->get(table::meta, key)) probe->resumed_right = false;
}
}  // namespace

TEST_CASE("writer: async_commit resumes the coroutine on its executor after commit", "[storage][writer]") {
  test::lmdb_backend b;
  storage::writer w(*b.store);
  asio::io_context io;
  async_probe probe{&w, b.store.get(), {}, std::this_thread::get_id(), true};
  for (int i = 0; i < 20; ++i) {
    asio::co_spawn(io, commit_one_key(&probe, "c" + std::to_string(i)), [](std::exception_ptr e) {
      if (e) std::rethrow_exception(e);
    });
  }
  io.run();
  CHECK(probe.results.size() == 20);
  for (auto ec : probe.results) CHECK_FALSE(ec);
  CHECK(probe.resumed_right);
}

TEMPLATE_TEST_CASE("writer: watchers hear of committed mailbox changes only", "[storage][writer]",
                   test::memory_backend, test::lmdb_backend) {
  TestType b;
  storage::mailbox_watchers watchers;
  storage::writer::options opts;
  opts.watchers = &watchers;
  storage::writer w(*b.store, opts);
  std::vector<std::uint64_t> heard;
  std::mutex m;
  auto sub = watchers.watch(7, [&](std::uint64_t id) {
    std::lock_guard lock(m);
    heard.push_back(id);
  });
  auto other = watchers.watch(8, [&](std::uint64_t id) {
    std::lock_guard lock(m);
    heard.push_back(id);
  });
  REQUIRE_FALSE(w.run([](storage::write_txn& txn) {
    txn.mailbox_changed(7);
    txn.mailbox_changed(7);
    return std::error_code{};
  }));
  CHECK(w.run([](storage::write_txn& txn) -> std::error_code {
    txn.mailbox_changed(8);  // the unit fails: nobody hears of it
    return storage::errc::conflict;
  }) == storage::errc::conflict);
  {
    std::lock_guard lock(m);
    CHECK(heard == std::vector<std::uint64_t>{7});
  }
  sub.reset();
  REQUIRE_FALSE(w.run([](storage::write_txn& txn) {
    txn.mailbox_changed(7);
    txn.mailbox_changed(8);
    return std::error_code{};
  }));
  std::lock_guard lock(m);
  CHECK(heard == std::vector<std::uint64_t>{7, 8});
  CHECK(watchers.watcher_count() == 1);
}
