// `mssgw directory import FILE`: the ANS extraction applied to the mirror as a diff (mssante/README §3).
//
// Policy, in order: the header must be usable; malformed lines (and conflicting duplicates) above the error
// ceiling mean nothing is applied; then, under the build lease, the rows are compared with what the extraction
// source owns (entries the LDAP source owns are left alone: precedence), and a run that would delete more than
// max_delete_percent of at least delete_guard_min_entries entries is refused unless forced. The diff is then
// written as one build (mirror.hpp): lookups see the old mirror until the flip, then the new one.
//
// Threading: blocking; call from a CLI command or a background thread, never from an I/O thread.
#pragma once
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "directory/extraction.hpp"
#include "directory/mirror.hpp"

namespace mssgw::directory {

struct import_options {
  std::size_t max_errors = 1000;
  int max_delete_percent = 20;
  bool force = false;  // skip the delete guard
  bool dry_run = false;  // compute and report the diff, apply nothing
  build_options build;
};

struct import_report {
  std::size_t lines = 0, rows = 0, error_count = 0, duplicates = 0;
  std::vector<extraction_error> errors;  // the first ones, in line order
  std::vector<std::string> warnings;
  plan changes;                          // counts (its vectors are released after applying)
  bool applied = false;
  std::optional<lease_info> busy_with;   // the holder, when errc::busy
  std::chrono::milliseconds parse_time{0}, apply_time{0};
};

// Reads `path` into `loader` in chunks. False (with `why`) when the file cannot be read.
bool load_extraction_file(const std::filesystem::path& path, extraction_loader& loader, std::string& why);

// Applies what `loader` holds (after finish()). Its set is consumed.
std::error_code import_extraction(storage::kv_store& store, storage::writer& writer, extraction_loader& loader,
                                  const import_options& options, import_report& report);

// True when `p` deletes more than `percent` of what its source owned (and the guard applies at that size).
bool exceeds_delete_guard(const plan& p, int percent);

}  // namespace mssgw::directory
