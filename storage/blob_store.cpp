#include "storage/blob_store.hpp"

#include <openssl/evp.h>

#include "storage/schema.hpp"

namespace mssgw::storage {

content_hash hash_content(std::string_view bytes) {
  content_hash h{};
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), h.data(), &len, EVP_sha256(), nullptr);
  return h;
}

std::string to_hex(const content_hash& h) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string s;
  s.reserve(64);
  for (auto b : h) {
    s.push_back(hex[b >> 4]);
    s.push_back(hex[b & 0xf]);
  }
  return s;
}

std::string_view as_key(const content_hash& h) { return {reinterpret_cast<const char*>(h.data()), h.size()}; }

namespace blobs {

content_hash put(write_txn& txn, std::string_view bytes) {
  content_hash h = hash_content(bytes);
  put(txn, bytes, h);
  return h;
}

void put(write_txn& txn, std::string_view bytes, const content_hash& h) {
  std::uint64_t refs = refcount(txn, h);
  if (refs == 0) txn.put(table::blobs, as_key(h), bytes);
  std::string v;
  schema::put_u64(v, refs + 1);
  txn.put(table::blob_refs, as_key(h), v);
}

std::error_code add_ref(write_txn& txn, const content_hash& h) {
  std::uint64_t refs = refcount(txn, h);
  if (refs == 0) return errc::not_found;
  std::string v;
  schema::put_u64(v, refs + 1);
  txn.put(table::blob_refs, as_key(h), v);
  return {};
}

std::error_code release(write_txn& txn, const content_hash& h) {
  std::uint64_t refs = refcount(txn, h);
  if (refs == 0) return errc::not_found;
  if (refs == 1) {
    txn.erase(table::blob_refs, as_key(h));
    txn.erase(table::blobs, as_key(h));
    return {};
  }
  std::string v;
  schema::put_u64(v, refs - 1);
  txn.put(table::blob_refs, as_key(h), v);
  return {};
}

std::optional<std::string_view> get(const read_txn& txn, const content_hash& h) { return txn.get(table::blobs, as_key(h)); }

std::uint64_t refcount(const read_txn& txn, const content_hash& h) {
  auto v = txn.get(table::blob_refs, as_key(h));
  return v && v->size() == 8 ? schema::get_u64(*v) : 0;
}

}  // namespace blobs

std::uint64_t next_counter(write_txn& txn, std::string_view name) {
  auto v = txn.get(table::meta, name);
  std::uint64_t next = (v && v->size() == 8 ? schema::get_u64(*v) : 0) + 1;
  std::string out;
  schema::put_u64(out, next);
  txn.put(table::meta, name, out);
  return next;
}

}  // namespace mssgw::storage
