// LMDB kv_store: the embedded default backend (DESIGN.md §4).
//
// - One environment directory holding data.mdb and lock.mdb; one named database per storage::table.
// - MDB_NOTLS, so read transactions may move between threads (coroutines resume anywhere).
// - Durable commits only: no MDB_NOSYNC, no MDB_NOMETASYNC. A group is one transaction and one pair of
//   fdatasyncs. A failing unit is isolated by running the group again without it (see run_group).
// - The map starts at `map_size` and doubles on MDB_MAP_FULL (the group is aborted and run again). Resizing needs
//   no transaction open in this process, so readers pass through a gate that the resize closes briefly. A map grown
//   by another process (an admin command) is adopted when LMDB reports MDB_MAP_RESIZED.
// Several processes may open the same environment (LMDB's lock file serialises their writers).
#pragma once
#include <cstdint>
#include <filesystem>
#include <memory>

#include "storage/kv.hpp"

namespace mssgw::storage {

struct lmdb_options {
  std::filesystem::path directory;
  std::uint64_t map_size = 1ull << 30;        // initial map; grows by doubling
  std::uint64_t max_map_size = 1ull << 40;    // growth stops here: MDB_MAP_FULL becomes errc::map_full
  unsigned max_readers = 1024;
};

// Opens (creating the directory and tables if needed). Throws std::system_error with a message naming the path.
std::unique_ptr<kv_store> open_lmdb_store(const lmdb_options& options);

}  // namespace mssgw::storage
