// Storage benchmark (foundation issue): on the disk that holds --dir, prints
//   1. the disk's fdatasync latency for a 4 KB write,
//   2. durable LMDB commits/s with one 20 KB message per commit (no grouping),
//   3. the group-commit writer's messages/s with 1, 16 and 256 concurrent submitters of 20 KB messages,
// each message being what delivery does: store the body, create the message record, append it to an INBOX.
// Usage: bench_storage [--dir DIR] [--size BYTES] [--seconds S]
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "storage/account_store.hpp"
#include "storage/lmdb/lmdb_store.hpp"
#include "storage/mailbox_store.hpp"
#include "storage/writer.hpp"

using namespace mssgw::storage;
using clock_type = std::chrono::steady_clock;

namespace {

std::filesystem::path base_dir = std::filesystem::temp_directory_path() / "mssgw-bench-storage";
std::size_t message_size = 20 * 1024;
double seconds_per_run = 3.0;

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

void fdatasync_latency() {
  std::filesystem::create_directories(base_dir);
  auto path = base_dir / "fsync-probe";
  int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0600);
  if (fd < 0) {
    std::perror("open");
    return;
  }
  std::string block(4096, 'x');
  std::vector<double> us;
  for (int i = 0; i < 2000; ++i) {
    auto t0 = clock_type::now();
    if (::pwrite(fd, block.data(), block.size(), static_cast<off_t>(i) * 4096) < 0 || ::fdatasync(fd) != 0) break;
    us.push_back(std::chrono::duration<double, std::micro>(clock_type::now() - t0).count());
  }
  ::close(fd);
  std::filesystem::remove(path);
  double mean = 0;
  for (double u : us) mean += u;
  mean /= static_cast<double>(us.size());
  std::printf("fdatasync (4 KB write + fdatasync), %zu samples: mean %.0f us, p50 %.0f us, p99 %.0f us\n", us.size(),
              mean, percentile(us, 0.5), percentile(us, 0.99));
}

struct fresh_store {
  std::filesystem::path dir;
  std::unique_ptr<kv_store> store;
  std::uint64_t inbox = 0;
  explicit fresh_store(const std::string& name) : dir(base_dir / name) {
    std::filesystem::remove_all(dir);
    lmdb_options o;
    o.directory = dir;
    o.map_size = 4ull << 30;
    store = open_lmdb_store(o);
    account_record bal;
    bal.address = "bench@alpha.mssante.test";
    bal.type = bal_type::ORG;
    store->commit_one([&](write_txn& t) { return accounts::create(t, bal); });
    inbox = mailboxes::get(*store->begin_read(), bal.address, "INBOX")->id;
  }
  ~fresh_store() {
    store.reset();
    std::filesystem::remove_all(dir);
  }
};

// A distinct 20 KB message: no two bodies deduplicate.
std::string make_message(std::uint64_t n) {
  std::string m = "From: a@alpha.mssante.test\r\nTo: bench@alpha.mssante.test\r\nSubject: bench " + std::to_string(n) +
                  "\r\n\r\n";
  while (m.size() < message_size) m += "Compte-rendu de consultation, ligne de texte de 76 octets environ.......\r\n";
  m.resize(message_size);
  return m;
}

write_unit deliver_unit(std::uint64_t inbox, std::uint64_t n) {
  std::string body = make_message(n);
  content_hash hash = hash_content(body);  // by the submitter, as the SMTP session does
  return [inbox, body = std::move(body), hash](write_txn& txn) {
    return messages::deliver(txn, body, hash, 0, "", std::span<const std::uint64_t>(&inbox, 1));
  };
}

double one_per_commit() {
  fresh_store s("single");
  std::uint64_t n = 0;
  auto t0 = clock_type::now();
  auto deadline = t0 + std::chrono::duration<double>(seconds_per_run);
  while (clock_type::now() < deadline) {
    if (s.store->commit_one(deliver_unit(s.inbox, n))) return 0;
    ++n;
  }
  double secs = std::chrono::duration<double>(clock_type::now() - t0).count();
  double rate = static_cast<double>(n) / secs;
  std::printf("durable commits, 1 message per commit:          %8.0f msg/s  (%llu messages)\n", rate,
              static_cast<unsigned long long>(n));
  return rate;
}

double grouped(int submitters) {
  fresh_store s("group-" + std::to_string(submitters));
  writer w(*s.store);
  std::atomic<std::uint64_t> counter{0};
  std::atomic<bool> stop{false};
  std::vector<std::vector<double>> latencies(static_cast<std::size_t>(submitters));
  std::vector<std::thread> pool;
  auto t0 = clock_type::now();
  for (int i = 0; i < submitters; ++i) {
    pool.emplace_back([&, i] {
      while (!stop.load(std::memory_order_relaxed)) {
        auto n = counter.fetch_add(1);
        auto unit = deliver_unit(s.inbox, n);
        auto start = clock_type::now();
        if (w.run(std::move(unit))) return;
        latencies[static_cast<std::size_t>(i)].push_back(
            std::chrono::duration<double, std::milli>(clock_type::now() - start).count());
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds_per_run));
  stop = true;
  for (auto& t : pool) t.join();
  double secs = std::chrono::duration<double>(clock_type::now() - t0).count();
  w.stop();
  auto stats = w.stats();
  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  double rate = static_cast<double>(stats.units) / secs;
  std::printf("group commit, %3d submitters:                   %8.0f msg/s  (%llu messages, %llu commits, "
              "%.1f per commit, latency p50 %.2f ms p99 %.2f ms)\n",
              submitters, rate, static_cast<unsigned long long>(stats.units),
              static_cast<unsigned long long>(stats.groups),
              static_cast<double>(stats.units) / static_cast<double>(std::max<std::uint64_t>(1, stats.groups)),
              percentile(all, 0.5), percentile(all, 0.99));
  std::printf("    writer busy %.0f%% of the run, %.1f us per message inside commit_group\n",
              100.0 * std::chrono::duration<double>(stats.commit_time).count() / secs,
              std::chrono::duration<double, std::micro>(stats.commit_time).count() / static_cast<double>(stats.units));
  return rate;
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--dir") base_dir = argv[i + 1];
    else if (a == "--size") message_size = std::stoul(argv[i + 1]);
    else if (a == "--seconds") seconds_per_run = std::stod(argv[i + 1]);
    else {
      std::fprintf(stderr, "usage: %s [--dir DIR] [--size BYTES] [--seconds S]\n", argv[0]);
      return 2;
    }
  }
  std::printf("mssgw storage benchmark: dir %s, %zu-byte messages, %.0f s per run, %u cores\n",
              base_dir.c_str(), message_size, seconds_per_run, std::thread::hardware_concurrency());
  fdatasync_latency();
  double single = one_per_commit();
  double best_16_plus = 0;
  for (int submitters : {1, 16, 256}) {
    double r = grouped(submitters);
    if (submitters >= 16) best_16_plus = std::min(best_16_plus == 0 ? r : best_16_plus, r);
  }
  std::printf("group commit with 16+ submitters vs one per commit: %.1fx (target >= 10x)\n",
              single > 0 ? best_16_plus / single : 0);
  std::filesystem::remove_all(base_dir);
  return 0;
}
