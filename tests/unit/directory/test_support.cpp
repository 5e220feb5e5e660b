#include "test_support.hpp"

#include <algorithm>
#include <atomic>
#include <set>

#include <unistd.h>

#include "directory/lookup.hpp"
#include "storage/lmdb/lmdb_store.hpp"
#include "storage/memory/memory_store.hpp"
#include "storage/schema.hpp"

namespace mssgw::directory::test {

fixture::fixture(bool lmdb) {
  if (lmdb) {
    static std::atomic<int> counter{0};
    dir = std::filesystem::temp_directory_path() /
          ("mssgw-dirtest-" + std::to_string(getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(dir);
    storage::lmdb_options o;
    o.directory = dir;
    o.map_size = 64ull << 20;
    store = storage::open_lmdb_store(o);
  } else {
    store = storage::make_memory_store();
  }
  writer = std::make_unique<storage::writer>(*store);
}

fixture::~fixture() {
  writer->stop();
  writer.reset();
  store.reset();
  if (!dir.empty()) std::filesystem::remove_all(dir);
}

entry make_entry(std::string address, std::string surname, std::string given, std::string idnat,
                 std::string structure, bal_type type) {
  entry e;
  e.address = std::move(address);
  e.surname = std::move(surname);
  e.given_name = std::move(given);
  e.idnat = std::move(idnat);
  e.structure_id = std::move(structure);
  e.type = type;
  return e;
}

content_map desired_of(const std::vector<entry>& entries) {
  content_map out;
  for (const auto& e : entries) out[e.address] = encode_content(e);
  return out;
}

plan replace(fixture& f, source_kind source, const std::vector<entry>& entries, build_options options) {
  build_session s(*f.store, *f.writer, source, options);
  if (!s.ok()) throw std::runtime_error("lease: " + s.status().message());
  plan p = s.plan_replace(desired_of(entries), 1000);
  if (auto ec = s.apply(p, 1000)) throw std::runtime_error("apply: " + ec.message());
  return p.counts();
}

std::string check_consistency(storage::kv_store& store) {
  auto txn = store.begin_read();
  const std::uint64_t g = committed_generation(*txn);
  std::set<std::string> expected, actual;
  std::string problems;
  std::vector<record_version> versions;
  txn->scan_prefix(storage::table::directory, "e", [&](std::string_view key, std::string_view value) {
    std::string address(key.substr(1));
    if (!decode_record(value, versions)) {
      problems += "corrupt record " + address + "; ";
      return true;
    }
    if (versions.size() != 1) problems += address + " has " + std::to_string(versions.size()) + " versions; ";
    const record_version* v = visible_version(versions, g);
    if (!v) {
      problems += address + " is not visible; ";
      return true;
    }
    std::vector<std::string> keys;
    index_keys(address, v->content, keys);
    expected.insert(keys.begin(), keys.end());
    return true;
  });
  txn->scan(storage::table::directory_index, "", "", [&](std::string_view key, std::string_view) {
    if (!key.empty() && (key[0] == 'c' || key[0] == 'r')) {
      problems += "change list not empty; ";
      return true;
    }
    actual.emplace(key);
    return true;
  });
  for (const auto& k : expected) {
    if (!actual.count(k)) problems += "missing index key " + k + "; ";
  }
  for (const auto& k : actual) {
    if (!expected.count(k)) problems += "stale index key " + k + "; ";
  }
  if (txn->get(storage::table::directory, storage::schema::directory_meta_lease)) problems += "lease left; ";
  return problems;
}

std::vector<std::string> visible_addresses(storage::kv_store& store) {
  auto txn = store.begin_read();
  reader r(*txn);
  std::vector<std::string> out;
  r.for_each([&](const entry& e) {
    out.push_back(e.address);
    return true;
  });
  return out;
}

}  // namespace mssgw::directory::test
