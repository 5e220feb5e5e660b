// [storage]: which backend holds the state, and its bounds.
#pragma once
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "storage/kv.hpp"

namespace mssgw::common {
class config_section;
}

namespace mssgw::storage {

struct config {
  std::string backend = "lmdb";            // lmdb | memory (memory: nothing survives a restart)
  std::uint64_t map_size = 1ull << 30;     // initial LMDB map; it doubles when full
  std::uint64_t max_map_size = 1ull << 40;
  int max_readers = 1024;                  // concurrent read transactions (sessions)
  int max_group = 1024;                    // units per group commit

  void read(common::config_section& section);
};

// Opens the configured backend; LMDB lives in `state_dir`/store. Throws std::system_error naming the path.
std::unique_ptr<kv_store> open(const config& cfg, const std::filesystem::path& state_dir);

}  // namespace mssgw::storage
