// Crash durability (issue: foundation). A child process commits batches through the group-commit writer from many
// threads and reports each acknowledged batch on a pipe; the parent kills it with SIGKILL at a random moment,
// reopens the environment, and checks that (1) every acknowledged batch is there, whole, and (2) no batch is
// half-written, and the mailbox counters still match its UID table. Repeated over many kills on one environment,
// so recovery after a previous kill is exercised too.
#include <catch2/catch.hpp>

#include <csignal>
#include <map>
#include <random>
#include <set>
#include <thread>

#include <sys/wait.h>
#include <unistd.h>

#include "backends.hpp"
#include "storage/account_store.hpp"
#include "storage/mailbox_store.hpp"
#include "storage/writer.hpp"

using namespace mssgw;
using namespace mssgw::storage;

namespace {

constexpr int keys_per_batch = 4;
constexpr const char* account = "crash@alpha.mssante.test";

std::string batch_key(std::uint64_t batch, int k) { return "batch-" + std::to_string(batch) + "-" + std::to_string(k); }
std::string batch_value(std::uint64_t batch, int k) {
  return std::string(1500 + static_cast<std::size_t>(k) * 10, static_cast<char>('a' + (batch + k) % 26));
}

[[noreturn]] void run_child(const std::filesystem::path& dir, int ack_fd, unsigned generation) {
  try {
    auto store = test::lmdb_backend::open(dir, 1ull << 20);
    writer w(*store);
    std::vector<std::thread> submitters;
    for (unsigned t = 0; t < 8; ++t) {
      submitters.emplace_back([&, t] {
        for (std::uint64_t seq = 0;; ++seq) {
          const std::uint64_t batch = (std::uint64_t{generation} << 40) | (std::uint64_t{t} << 32) | seq;
          auto ec = w.run([batch](write_txn& txn) -> std::error_code {
            for (int k = 0; k < keys_per_batch; ++k) txn.put(table::meta, batch_key(batch, k), batch_value(batch, k));
            auto inbox = mailboxes::get(txn, account, "INBOX");
            if (!inbox) return errc::not_found;
            auto id = messages::create(txn, "Subject: batch " + std::to_string(batch) + "\r\n\r\nbody\r\n", 0, "");
            return mailboxes::append(txn, inbox->id, id, {});
          });
          if (ec) _exit(3);
          std::string line = std::to_string(batch) + "\n";
          if (write(ack_fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) _exit(4);
        }
      });
    }
    for (auto& s : submitters) s.join();
  } catch (...) {
    _exit(5);
  }
  _exit(0);
}

}  // namespace

TEST_CASE("crash: acknowledged batches survive SIGKILL and nothing is half-written", "[storage][crash]") {
  test::temp_dir dir;
  {
    auto store = test::lmdb_backend::open(dir.path, 1ull << 20);
    account_record bal;
    bal.address = account;
    bal.type = bal_type::ORG;
    REQUIRE_FALSE(store->commit_one([&](write_txn& t) { return accounts::create(t, bal); }));
  }
  std::mt19937 rng(std::random_device{}());
  std::set<std::uint64_t> acknowledged;
  constexpr unsigned kills = 25;
  for (unsigned generation = 1; generation <= kills; ++generation) {
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      close(fds[0]);
      run_child(dir.path, fds[1], generation);
    }
    close(fds[1]);
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(5, 150)(rng)));
    kill(child, SIGKILL);
    int status = 0;
    waitpid(child, &status, 0);
    INFO("generation " << generation);
    REQUIRE(WIFSIGNALED(status));  // the child was still working, not dead of its own error
    std::string acks;
    char buf[4096];
    for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) acks.append(buf, static_cast<std::size_t>(n));
    close(fds[0]);
    for (std::size_t pos = 0, nl; (nl = acks.find('\n', pos)) != std::string::npos; pos = nl + 1) {
      acknowledged.insert(std::stoull(acks.substr(pos, nl - pos)));
    }

    auto store = test::lmdb_backend::open(dir.path, 1ull << 20);
    auto txn = store->begin_read();
    for (std::uint64_t batch : acknowledged) {
      for (int k = 0; k < keys_per_batch; ++k) {
        auto v = txn->get(table::meta, batch_key(batch, k));
        INFO("batch " << batch << " key " << k);
        REQUIRE(v);
        REQUIRE(*v == batch_value(batch, k));
      }
    }
    // Every batch present at all is present whole.
    std::map<std::string, int> parts;
    txn->scan_prefix(table::meta, "batch-", [&](std::string_view key, std::string_view) {
      parts[std::string(key.substr(0, key.rfind('-')))]++;
      return true;
    });
    for (const auto& [batch, n] : parts) {
      INFO(batch);
      REQUIRE(n == keys_per_batch);
    }
    auto inbox = mailboxes::get(*txn, account, "INBOX");
    REQUIRE(inbox);
    std::uint32_t uids = 0;
    mailboxes::scan_uids(*txn, inbox->id, 1, 0xffffffffu, [&](const uid_entry&) {
      ++uids;
      return true;
    });
    REQUIRE(inbox->exists == uids);
    REQUIRE(uids == parts.size());
    REQUIRE(inbox->uidnext == uids + 1);
  }
  CHECK(acknowledged.size() > kills);  // the children did real work between kills
  WARN("acknowledged batches verified after " << kills << " kills: " << acknowledged.size());
}
