// The two storage backends, for TEMPLATE_TEST_CASE: every storage test runs against both.
#pragma once
#include <atomic>
#include <filesystem>
#include <memory>
#include <random>
#include <string>

#include "storage/lmdb/lmdb_store.hpp"
#include "storage/memory/memory_store.hpp"

namespace mssgw::test {

// A directory removed at the end of the test.
struct temp_dir {
  std::filesystem::path path;
  temp_dir() {
    static std::atomic<int> counter{0};
    std::random_device rd;
    path = std::filesystem::temp_directory_path() /
           ("mssgw-test-" + std::to_string(rd()) + "-" + std::to_string(counter++));
    std::filesystem::create_directories(path);
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
};

struct memory_backend {
  static constexpr const char* name = "memory";
  std::unique_ptr<storage::kv_store> store = storage::make_memory_store();
};

struct lmdb_backend {
  static constexpr const char* name = "lmdb";
  temp_dir dir;
  std::unique_ptr<storage::kv_store> store = open(dir.path, 1ull << 20);
  static std::unique_ptr<storage::kv_store> open(const std::filesystem::path& p, std::uint64_t map_size) {
    storage::lmdb_options o;
    o.directory = p;
    o.map_size = map_size;  // small on purpose: tests exercise growth on MDB_MAP_FULL
    return storage::open_lmdb_store(o);
  }
};

}  // namespace mssgw::test
