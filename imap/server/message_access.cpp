#include "imap/server/message_access.hpp"

#include "storage/blob_store.hpp"

namespace mssgw::imap::server {

const storage::uid_entry* message_access::entry() {
  if (!entry_loaded_) {
    entry_loaded_ = true;
    entry_ = storage::mailboxes::get_uid(txn_, mailbox_, uid_);
  }
  return entry_ ? &*entry_ : nullptr;
}

const storage::message_view* message_access::record() {
  if (!record_loaded_) {
    record_loaded_ = true;
    if (entry()) record_ = storage::messages::view(txn_, entry_->message_id);
  }
  return record_ ? &*record_ : nullptr;
}

const mime::search_fields* message_access::search() {
  if (!search_loaded_) {
    search_loaded_ = true;
    if (record()) search_ = mime::decode_search_fields(record_->cache);
    if (!search_ && cache()) search_ = mime::search_fields_of(*cache_);
  }
  return search_ ? &*search_ : nullptr;
}

std::optional<std::string_view> message_access::raw() {
  if (!raw_loaded_) {
    raw_loaded_ = true;
    if (record()) raw_ = storage::blobs::get(txn_, record_->blob);
  }
  return raw_;
}

const mime::message_cache* message_access::cache() {
  if (!cache_loaded_) {
    cache_loaded_ = true;
    if (record()) {
      cache_ = mime::decode_cache(record_->cache);
      if (!cache_) {
        if (auto body = raw()) {
          cache_ = mime::make_cache(*body, limits_);
          computed_ = true;
        }
      }
    }
  }
  return cache_ ? &*cache_ : nullptr;
}

}  // namespace mssgw::imap::server
