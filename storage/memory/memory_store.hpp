// In-memory kv_store: the test double and the backend of ephemeral runs (`storage.backend = "memory"`).
//
// Multi-version like LMDB: each table is an immutable std::map behind a shared_ptr. A read transaction pins the
// current version of every table, so readers never block the writer and always see a consistent snapshot. A group
// copies each table it writes (copy on first write), runs its units with an undo log each (a failed unit is rolled
// back alone), then publishes the new versions at once. Copying makes writes O(table size): fine for tests and small
// ephemeral instances, not for production volumes.
#pragma once
#include <memory>

#include "storage/kv.hpp"

namespace mssgw::storage {

std::unique_ptr<kv_store> make_memory_store();

}  // namespace mssgw::storage
