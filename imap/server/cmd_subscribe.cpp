// SUBSCRIBE and UNSUBSCRIBE (RFC 3501 §6.3.6-7). Subscriptions of the primary BAL's mailboxes are stored; the
// mailboxes of shared BALs are always subscribed (their subscription would otherwise be shared by every delegate).
#include "imap/server/session.hpp"

#include "storage/mailbox_store.hpp"

namespace mssgw::imap::server {

step session::cmd_subscribe(const std::string& tag, const std::string& mailbox, bool subscribe, std::string& out) {
  auto t = find_mailbox(mailbox, true, tag, out);
  if (!t) return {};
  const bal_entry& bal = acct()->bals()[t->bal];
  const char* done = subscribe ? "SUBSCRIBE completed." : "UNSUBSCRIBE completed.";
  if (!bal.primary) {
    if (subscribe) {
      proto::write_tagged(out, tag, proto::status_word::ok, {}, done);
    } else {
      proto::write_tagged(out, tag, proto::status_word::no, proto::code::cannot(),
                          "Shared mailboxes are always subscribed.");
    }
    return {};
  }
  storage::write_unit unit = [account = bal.access.address, name = t->name, subscribe](storage::write_txn& txn) {
    return storage::mailboxes::set_subscribed(txn, account, name, subscribe);
  };
  return commit(std::move(unit), [this, tag, done](std::error_code ec, std::string& o) {
    if (ec) {
      proto::write_tagged(o, tag, proto::status_word::no, proto::code::nonexistent(), "No such mailbox.");
    } else if (sel()) {
      complete(o, tag, proto::status_word::ok, {}, done);
    } else {
      proto::write_tagged(o, tag, proto::status_word::ok, {}, done);
    }
  });
}

}  // namespace mssgw::imap::server
