// Makes an accepted message durable (DESIGN.md §3 step 3): one write unit stores the body once, places it in the
// INBOX of every local recipient, and creates one queue entry holding every remote recipient (with their RFC 3461
// parameters). The SMTP session replies 250 only after the writer's group containing this unit is committed.
#pragma once
#include <cstdint>
#include <memory>

#include "storage/blob_store.hpp"
#include "storage/kv.hpp"
#include "smtp/server/session.hpp"

namespace mssgw::smtp::server {

// `message` is shared with the unit (units may run twice, see storage/kv.hpp). `hash` is
// storage::hash_content(message->content), computed by the caller off the writer thread.
storage::write_unit make_commit_unit(std::shared_ptr<const pending_message> message, storage::content_hash hash,
                                     std::int64_t now_ms);

}  // namespace mssgw::smtp::server
