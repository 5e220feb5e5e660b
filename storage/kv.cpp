#include "storage/kv.hpp"

#include <array>
#include <vector>

namespace mssgw::storage {

std::string_view table_name(table t) {
  static constexpr std::array<std::string_view, table_count> names = {
      "meta",     "blobs",    "blob_refs",  "messages",      "mailboxes", "mailbox_ids",
      "mailbox_uids", "mailbox_modseq", "expunged", "queue", "queue_due", "accounts",
      "conversations", "directory", "directory_index", "whitelist", "seen", "account_index"};
  return names[static_cast<std::size_t>(t)];
}

void read_txn::scan_prefix(table t, std::string_view prefix,
                           const std::function<bool(std::string_view, std::string_view)>& visit) const {
  // The smallest key greater than every key with this prefix: drop trailing 0xff bytes, increment the last.
  std::string end(prefix);
  while (!end.empty() && static_cast<unsigned char>(end.back()) == 0xff) end.pop_back();
  if (!end.empty()) end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
  scan(t, prefix, end, visit);
}

std::error_code kv_store::commit_one(const write_unit& unit) {
  std::array<unit_result, 1> result;
  commit_group(std::span<const write_unit>(&unit, 1), result);
  return result[0].error;
}

namespace {
class storage_category : public std::error_category {
 public:
  const char* name() const noexcept override { return "mssgw.storage"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::not_found: return "not found";
      case errc::already_exists: return "already exists";
      case errc::corrupt_record: return "corrupt record";
      case errc::key_too_large: return "key too large";
      case errc::map_full: return "storage map full";
      case errc::io_error: return "storage I/O error";
      case errc::unit_failed: return "write unit failed";
      case errc::conflict: return "conflicting update";
      case errc::invalid_argument: return "invalid argument";
      case errc::shutting_down: return "storage is shutting down";
    }
    return "unknown storage error";
  }
};
}  // namespace

const std::error_category& error_category() {
  static const storage_category category;
  return category;
}

}  // namespace mssgw::storage
