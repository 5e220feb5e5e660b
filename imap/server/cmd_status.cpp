// STATUS (RFC 3501 §6.3.10; RFC 7162 HIGHESTMODSEQ; RFC 8438 SIZE; RFC 9051 DELETED; RFC 7889 APPENDLIMIT).
#include "imap/server/session.hpp"

#include "storage/mailbox_store.hpp"

namespace mssgw::imap::server {

std::vector<std::pair<proto::status_item, std::uint64_t>> session::status_values(
    const storage::read_txn& txn, const account& a, std::size_t bal, const storage::mailbox_info& info,
    const std::vector<proto::status_item>& items) const {
  std::vector<std::pair<proto::status_item, std::uint64_t>> out;
  for (auto item : items) {
    std::uint64_t v = 0;
    switch (item) {
      case proto::status_item::messages: v = info.exists; break;
      case proto::status_item::recent: v = 0; break;  // \Recent is not kept (cmd_select.cpp)
      case proto::status_item::uidnext: v = info.uidnext; break;
      case proto::status_item::uidvalidity: v = info.uidvalidity; break;
      case proto::status_item::unseen:
        if (a.bals()[bal].per_user_seen()) {
          // Marks of expunged messages are erased with them (storage), so the count is of live messages.
          v = info.exists - std::min<std::uint32_t>(info.exists, storage::seen::count(txn, info.id, a.seen_user()));
        } else {
          v = info.unseen;
        }
        break;
      case proto::status_item::highestmodseq: v = info.highestmodseq; break;
      case proto::status_item::size: v = info.size; break;
      case proto::status_item::deleted:
        storage::mailboxes::scan_uids(txn, info.id, 1, 0xffffffffu, [&](const storage::uid_entry& u) {
          if (u.flags.system & storage::flag_deleted) ++v;
          return true;
        });
        break;
      case proto::status_item::appendlimit: v = settings_.limits.max_literal; break;
    }
    out.emplace_back(item, v);
  }
  return out;
}

step session::cmd_status(const std::string& tag, const proto::cmd::status& c, std::string& out) {
  auto t = find_mailbox(c.mailbox, true, tag, out);
  if (!t) return {};
  const account& a = *acct();
  if (!a.bals()[t->bal].may_read()) {
    proto::write_tagged(out, tag, proto::status_word::no, proto::code::noperm(), "Permission denied.");
    return {};
  }
  {
    auto txn = read();
    auto values = status_values(*txn, a, t->bal, *t->info, c.items);
    proto::write_status(out, c.mailbox, rev2_, values);
  }
  complete(out, tag, proto::status_word::ok, {}, "STATUS completed.");
  return {};
}

}  // namespace mssgw::imap::server
