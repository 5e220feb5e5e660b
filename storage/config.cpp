#include "storage/config.hpp"

#include "common/config.hpp"
#include "storage/lmdb/lmdb_store.hpp"
#include "storage/memory/memory_store.hpp"

namespace mssgw::storage {

void config::read(common::config_section& section) {
  section.one_of("backend", backend, {"lmdb", "memory"});
  section.byte_size("map_size", map_size, 16ull << 20, 1ull << 44);
  section.byte_size("max_map_size", max_map_size, 16ull << 20, 1ull << 44);
  section.integer("max_readers", max_readers, 16, 65536);
  section.integer("max_group", max_group, 1, 100000);
  if (max_map_size < map_size) section.error("max_map_size", "must be at least map_size");
}

std::unique_ptr<kv_store> open(const config& cfg, const std::filesystem::path& state_dir) {
  if (cfg.backend == "memory") return make_memory_store();
  lmdb_options options;
  options.directory = state_dir / "store";
  options.map_size = cfg.map_size;
  options.max_map_size = cfg.max_map_size;
  options.max_readers = static_cast<unsigned>(cfg.max_readers);
  return open_lmdb_store(options);
}

}  // namespace mssgw::storage
