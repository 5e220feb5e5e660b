// kv_store semantics, identical on both backends: point reads, ordered and bounded scans, snapshots, unit
// isolation inside a group, key limits, and (LMDB) growth of a full map.
#include <catch2/catch.hpp>

#include <map>

#include "backends.hpp"

using namespace mssgw;
using storage::table;

namespace {
std::vector<std::string> keys_of(const storage::read_txn& txn, table t, std::string_view from, std::string_view to,
                                 bool reverse = false) {
  std::vector<std::string> out;
  auto visit = [&](std::string_view k, std::string_view) {
    out.emplace_back(k);
    return true;
  };
  if (reverse) {
    txn.scan_reverse(t, from, to, visit);
  } else {
    txn.scan(t, from, to, visit);
  }
  return out;
}

std::error_code put(storage::kv_store& s, table t, std::string k, std::string v) {
  return s.commit_one([=](storage::write_txn& txn) {
    txn.put(t, k, v);
    return std::error_code{};
  });
}
}  // namespace

TEMPLATE_TEST_CASE("kv: put, get, erase", "[storage]", test::memory_backend, test::lmdb_backend) {
  TestType b;
  auto& s = *b.store;
  REQUIRE_FALSE(put(s, table::meta, "a", "1"));
  REQUIRE_FALSE(put(s, table::meta, "b", std::string("\0x\0", 3)));
  {
    auto txn = s.begin_read();
    CHECK(txn->get(table::meta, "a") == std::optional<std::string_view>("1"));
    CHECK(txn->get(table::meta, "b")->size() == 3);
    CHECK_FALSE(txn->get(table::meta, "c"));
    CHECK_FALSE(txn->get(table::blobs, "a"));  // tables are separate
  }
  bool existed = false, existed_again = true;
  REQUIRE_FALSE(s.commit_one([&](storage::write_txn& txn) {
    existed = txn.erase(table::meta, "a");
    existed_again = txn.erase(table::meta, "a");
    return std::error_code{};
  }));
  CHECK(existed);
  CHECK_FALSE(existed_again);
  CHECK_FALSE(s.begin_read()->get(table::meta, "a"));
}

TEMPLATE_TEST_CASE("kv: scans are ordered by unsigned bytes and bounded", "[storage]", test::memory_backend,
                   test::lmdb_backend) {
  TestType b;
  auto& s = *b.store;
  for (std::string k : {"b", "a", "ab", "\xff", "\x01", "c"}) REQUIRE_FALSE(put(s, table::meta, k, "v"));
  auto txn = s.begin_read();
  CHECK(keys_of(*txn, table::meta, "", "") == std::vector<std::string>{"\x01", "a", "ab", "b", "c", "\xff"});
  CHECK(keys_of(*txn, table::meta, "a", "b") == std::vector<std::string>{"a", "ab"});
  CHECK(keys_of(*txn, table::meta, "aa", "") == std::vector<std::string>{"ab", "b", "c", "\xff"});
  CHECK(keys_of(*txn, table::meta, "", "", true) == std::vector<std::string>{"\xff", "c", "b", "ab", "a", "\x01"});
  CHECK(keys_of(*txn, table::meta, "b", "a", true) == std::vector<std::string>{"b", "ab"});
  CHECK(keys_of(*txn, table::meta, "bb", "", true) == std::vector<std::string>{"b", "ab", "a", "\x01"});
  std::vector<std::string> prefixed;
  txn->scan_prefix(table::meta, "a", [&](std::string_view k, std::string_view) {
    prefixed.emplace_back(k);
    return true;
  });
  CHECK(prefixed == std::vector<std::string>{"a", "ab"});
  int visited = 0;
  txn->scan(table::meta, "", "", [&](std::string_view, std::string_view) { return ++visited < 2; });
  CHECK(visited == 2);  // the visitor stops the scan
}

TEMPLATE_TEST_CASE("kv: a read transaction is a snapshot", "[storage]", test::memory_backend, test::lmdb_backend) {
  TestType b;
  auto& s = *b.store;
  REQUIRE_FALSE(put(s, table::meta, "k", "old"));
  auto before = s.begin_read();
  REQUIRE_FALSE(put(s, table::meta, "k", "new"));
  REQUIRE_FALSE(put(s, table::meta, "k2", "x"));
  CHECK(before->get(table::meta, "k") == std::optional<std::string_view>("old"));
  CHECK_FALSE(before->get(table::meta, "k2"));
  CHECK(s.begin_read()->get(table::meta, "k") == std::optional<std::string_view>("new"));
}

TEMPLATE_TEST_CASE("kv: a failed unit is undone alone; its group still commits", "[storage]", test::memory_backend,
                   test::lmdb_backend) {
  TestType b;
  auto& s = *b.store;
  REQUIRE_FALSE(put(s, table::meta, "shared", "0"));
  std::vector<storage::write_unit> units;
  units.push_back([](storage::write_txn& txn) {
    txn.put(table::meta, "u1", "ok");
    txn.put(table::meta, "shared", "1");
    return std::error_code{};
  });
  units.push_back([](storage::write_txn& txn) -> std::error_code {
    txn.put(table::meta, "u2", "should vanish");
    txn.put(table::meta, "shared", "2");
    txn.erase(table::meta, "u1");
    return storage::errc::conflict;
  });
  units.push_back([](storage::write_txn& txn) -> std::error_code {
    txn.put(table::meta, "u3", "should vanish too");
    throw std::runtime_error("bug in a unit");
  });
  units.push_back([](storage::write_txn& txn) {
    // Sees the writes of earlier successful units of the same group.
    auto v = txn.get(table::meta, "shared");
    txn.put(table::meta, "u4", v ? std::string(*v) : "missing");
    return std::error_code{};
  });
  std::vector<storage::unit_result> results(units.size());
  s.commit_group(units, results);
  CHECK_FALSE(results[0].error);
  CHECK(results[1].error == storage::errc::conflict);
  CHECK(results[2].error == storage::errc::unit_failed);
  CHECK_FALSE(results[3].error);
  auto txn = s.begin_read();
  CHECK(txn->get(table::meta, "u1") == std::optional<std::string_view>("ok"));
  CHECK_FALSE(txn->get(table::meta, "u2"));
  CHECK_FALSE(txn->get(table::meta, "u3"));
  CHECK(txn->get(table::meta, "shared") == std::optional<std::string_view>("1"));
  CHECK(txn->get(table::meta, "u4") == std::optional<std::string_view>("1"));
}

TEMPLATE_TEST_CASE("kv: keys are limited to 511 bytes", "[storage]", test::memory_backend, test::lmdb_backend) {
  TestType b;
  auto& s = *b.store;
  CHECK_FALSE(put(s, table::meta, std::string(511, 'k'), "v"));
  CHECK(put(s, table::meta, std::string(512, 'k'), "v") == storage::errc::key_too_large);
  CHECK(put(s, table::meta, "", "v") == storage::errc::key_too_large);
  CHECK(s.begin_read()->get(table::meta, std::string(511, 'k')));
}

TEST_CASE("lmdb: a full map grows and the group is retried; data survives reopening", "[storage]") {
  test::temp_dir dir;
  const std::string value(64 * 1024, 'x');
  {
    auto s = test::lmdb_backend::open(dir.path, 1ull << 20);  // 1 MiB: a few values fill it
    for (int batch = 0; batch < 10; ++batch) {
      auto ec = s->commit_one([&, batch](storage::write_txn& txn) {
        for (int i = 0; i < 16; ++i) txn.put(table::blobs, "k" + std::to_string(batch * 16 + i), value);
        return std::error_code{};
      });
      REQUIRE_FALSE(ec);
    }
  }
  auto s = test::lmdb_backend::open(dir.path, 1ull << 20);  // smaller than the file: the larger size is adopted
  auto txn = s->begin_read();
  int found = 0;
  txn->scan(table::blobs, "", "", [&](std::string_view, std::string_view v) {
    found += v == value;
    return true;
  });
  CHECK(found == 160);
  CHECK(std::filesystem::file_size(dir.path / "data.mdb") >= 160 * value.size());
}

TEST_CASE("lmdb: map growth stops at max_map_size with map_full", "[storage]") {
  test::temp_dir dir;
  storage::lmdb_options o;
  o.directory = dir.path;
  o.map_size = 1ull << 20;
  o.max_map_size = 2ull << 20;
  auto s = storage::open_lmdb_store(o);
  std::error_code last;
  try {
    for (int i = 0; i < 100 && !last; ++i) {
      last = s->commit_one([i](storage::write_txn& txn) {
        txn.put(table::blobs, "k" + std::to_string(i), std::string(256 * 1024, 'x'));
        return std::error_code{};
      });
    }
    FAIL("expected the map to fill");
  } catch (const std::system_error& e) {
    CHECK(e.code() == storage::errc::map_full);
  }
  CHECK(s->begin_read()->get(table::blobs, "k0"));  // earlier commits are intact
}
