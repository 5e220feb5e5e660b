// Helpers shared by the directory unit tests: stores of both backends, entries, and a consistency checker.
#pragma once
#include <filesystem>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "directory/entry.hpp"
#include "directory/mirror.hpp"
#include "storage/kv.hpp"
#include "storage/writer.hpp"

namespace mssgw::directory::test {

// A store plus its writer; LMDB in a fresh temporary directory removed at destruction.
struct fixture {
  explicit fixture(bool lmdb);
  ~fixture();
  std::unique_ptr<storage::kv_store> store;
  std::unique_ptr<storage::writer> writer;
  std::filesystem::path dir;
};

entry make_entry(std::string address, std::string surname, std::string given = "", std::string idnat = "",
                 std::string structure = "", bal_type type = bal_type::PER);

// address -> encoded content, for plan_replace.
content_map desired_of(const std::vector<entry>& entries);

// Replaces what `source` owns with `entries` in one build; returns the plan's counts.
plan replace(fixture& f, source_kind source, const std::vector<entry>& entries, build_options options = {});

// Checks the settled state: no change list, one version per record, and indexes exactly matching the records.
// Returns an empty string when consistent, else what is wrong.
std::string check_consistency(storage::kv_store& store);

// The visible addresses, sorted.
std::vector<std::string> visible_addresses(storage::kv_store& store);

}  // namespace mssgw::directory::test
