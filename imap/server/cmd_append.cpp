// APPEND (RFC 3501 §6.3.11) with MULTIAPPEND (RFC 3502: all messages or none), UIDPLUS APPENDUID (RFC 4315), and
// BINARY literal8 (RFC 3516). The MIME cache is computed here, once, before the commit (imap/mime/cache.hpp).
#include "imap/server/flags.hpp"
#include "imap/server/session.hpp"
#include "storage/mailbox_store.hpp"

namespace mssgw::imap::server {

step session::cmd_append(const std::string& tag, proto::cmd::append& c, std::string& out) {
  auto t = find_mailbox(c.mailbox, false, tag, out);
  if (!t) return {};
  if (!t->info) {
    proto::write_tagged(out, tag, proto::status_word::no, proto::code::trycreate(), "No such mailbox.");
    return {};
  }
  const account& a = *acct();
  const bal_entry& bal = a.bals()[t->bal];
  if (!bal.may_write()) {
    proto::write_tagged(out, tag, proto::status_word::no, proto::code::noperm(), "Permission denied.");
    return {};
  }
  struct item {
    std::string data;
    storage::content_hash hash{};
    std::int64_t date = 0;
    std::string cache;
    storage::message_flags flags;
  };
  struct batch {
    std::vector<item> items;
    std::vector<std::uint32_t> uids;  // written by the unit (it may run twice: cleared first)
  };
  auto b = std::make_shared<batch>();
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(deps_.now().time_since_epoch()).count();
  for (auto& m : c.messages) {
    if (m.data.empty()) {
      proto::write_tagged(out, tag, proto::status_word::no, proto::code::cannot(), "Empty messages are not stored.");
      return {};
    }
    item it;
    it.flags = to_flags(m.flags);
    if (it.flags.keywords.size() > settings_.max_keywords) {
      proto::write_tagged(out, tag, proto::status_word::no, proto::code::limit(), "Too many keywords.");
      return {};
    }
    it.date = m.internal_date ? proto::to_unix(*m.internal_date) : now;
    it.cache = mime::encode(mime::make_cache(m.data, settings_.mime));
    it.hash = storage::hash_content(m.data);
    it.data = std::move(m.data);
    b->items.push_back(std::move(it));
  }
  const std::uint64_t mailbox = t->info->id;
  const std::uint32_t uidvalidity = t->info->uidvalidity;
  const std::string user = bal.per_user_seen() ? a.seen_user() : std::string();
  storage::write_unit unit = [b, mailbox, user](storage::write_txn& txn) -> std::error_code {
    b->uids.clear();
    for (const auto& it : b->items) {
      storage::message_flags f = it.flags;
      const bool seen = f.system & storage::flag_seen;
      if (!user.empty()) f.system &= ~storage::flag_seen;  // per-user \Seen (storage namespace seen)
      const std::uint64_t id = storage::messages::create(txn, it.data, it.hash, it.date, it.cache);
      storage::appended placed;
      if (auto ec = storage::mailboxes::append(txn, mailbox, id, f, &placed)) return ec;
      if (!user.empty() && seen) {
        if (auto ec = storage::seen::set(txn, mailbox, user, placed.uid, true)) return ec;
      }
      b->uids.push_back(placed.uid);
    }
    return {};
  };
  std::uint64_t bytes = 0;
  for (const auto& it : b->items) bytes += it.data.size();
  log_.info("imap.append", {{"bal", bal.access.address}, {"mailbox", t->name}, {"messages", b->items.size()},
                            {"bytes", bytes}});
  return commit(std::move(unit), [this, tag, b, uidvalidity](std::error_code ec, std::string& o) {
    if (ec == storage::errc::not_found) {
      proto::write_tagged(o, tag, proto::status_word::no, proto::code::trycreate(), "No such mailbox.");
    } else if (ec) {
      proto::write_tagged(o, tag, proto::status_word::no, proto::code::serverbug(), "APPEND failed.");
    } else {
      complete(o, tag, proto::status_word::ok, proto::code::appenduid(uidvalidity, proto::compress(b->uids)),
               "APPEND completed.");
    }
  });
}

}  // namespace mssgw::imap::server
