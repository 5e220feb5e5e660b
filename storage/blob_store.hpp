// Message bodies stored once, by content hash, with a reference count (DESIGN.md §3 step 3).
// Every holder (a message record, a queue entry) takes one reference; the bytes go when the last one is released.
// Functions taking a write_txn run inside a write unit (writer.hpp).
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "storage/kv.hpp"

namespace mssgw::storage {

using content_hash = std::array<std::uint8_t, 32>;  // SHA-256 of the raw bytes

content_hash hash_content(std::string_view bytes);
std::string to_hex(const content_hash& h);
std::string_view as_key(const content_hash& h);

namespace blobs {
// Stores `bytes` if new, and takes a reference. Returns the hash.
content_hash put(write_txn& txn, std::string_view bytes);
// The same with the hash computed by the caller, outside the writer thread (hashing 20 KB costs ~20 us: done in the
// single writer it would cap throughput). `hash` must be hash_content(bytes).
void put(write_txn& txn, std::string_view bytes, const content_hash& hash);
// Takes one more reference to an existing blob: errc::not_found if absent.
std::error_code add_ref(write_txn& txn, const content_hash& h);
// Releases one reference; deletes the bytes with the last one.
std::error_code release(write_txn& txn, const content_hash& h);
std::optional<std::string_view> get(const read_txn& txn, const content_hash& h);
std::uint64_t refcount(const read_txn& txn, const content_hash& h);
}  // namespace blobs

// Next value of a u64 counter in the meta table (starting at 1).
std::uint64_t next_counter(write_txn& txn, std::string_view name);

}  // namespace mssgw::storage
