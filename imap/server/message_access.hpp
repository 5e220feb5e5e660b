// One message of the selected mailbox, as FETCH, SEARCH and SORT read it: each fact is loaded on first use from
// the read transaction given (UID record, then message record, then the decoded cache, then the stored body), so a
// FLAGS-only FETCH or a flag SEARCH never touches the message record, and header searches never read the body.
//
// The cache (imap/mime/cache.hpp) is normally computed at APPEND; a message delivered without one (SMTP delivery,
// or an older cache version) gets it computed here from the body, and `computed()` tells the caller to write it back
// (storage::messages::set_cache through the writer) so that it is computed once.
//
// Views returned point into the read transaction: valid until it ends. Not thread-safe; short-lived.
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>

#include "imap/mime/cache.hpp"
#include "storage/kv.hpp"
#include "storage/mailbox_store.hpp"

namespace mssgw::imap::server {

class message_access {
 public:
  message_access(const storage::read_txn& txn, std::uint64_t mailbox, std::uint32_t uid, const mime::limits& lim)
      : txn_(txn), mailbox_(mailbox), uid_(uid), limits_(lim) {}

  // Nothing when the message was expunged meanwhile.
  const storage::uid_entry* entry();
  const storage::message_view* record();
  const mime::message_cache* cache();
  // What SEARCH reads of the cache, without decoding all of it (the whole cache when it has to be computed).
  const mime::search_fields* search();
  std::optional<std::string_view> raw();
  bool computed() const { return computed_; }
  std::uint64_t message_id() { return entry() ? entry_->message_id : 0; }

 private:
  const storage::read_txn& txn_;
  std::uint64_t mailbox_;
  std::uint32_t uid_;
  const mime::limits& limits_;
  bool entry_loaded_ = false, record_loaded_ = false, cache_loaded_ = false, raw_loaded_ = false;
  bool search_loaded_ = false;
  std::optional<storage::uid_entry> entry_;
  std::optional<storage::message_view> record_;
  std::optional<mime::search_fields> search_;
  std::optional<mime::message_cache> cache_;
  std::optional<std::string_view> raw_;
  bool computed_ = false;
};

}  // namespace mssgw::imap::server
