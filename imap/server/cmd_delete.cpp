// DELETE (RFC 3501 §6.3.4, RFC 9051 §6.3.4). INBOX cannot be deleted; neither can a mailbox with children (we keep
// no \Noselect placeholders: the client deletes the children first, as RFC 9051 allows with [HASCHILDREN]).
#include "imap/server/session.hpp"

#include "storage/mailbox_store.hpp"

namespace mssgw::imap::server {

step session::cmd_delete(const std::string& tag, const proto::cmd::delete_mailbox& c, std::string& out) {
  auto t = find_mailbox(c.mailbox, true, tag, out);
  if (!t) return {};
  account& a = *acct();
  const bal_entry& bal = a.bals()[t->bal];
  if (!bal.may_write()) {
    proto::write_tagged(out, tag, proto::status_word::no, proto::code::noperm(), "Permission denied.");
    return {};
  }
  if (t->name == "INBOX") {
    proto::write_tagged(out, tag, proto::status_word::no, proto::code::cannot(), "INBOX cannot be deleted.");
    return {};
  }
  bool children = false;
  {
    auto txn = read();
    const std::string prefix = t->name + delimiter;
    for (const auto& mb : storage::mailboxes::list(*txn, bal.access.address)) {
      children = children || mb.name.compare(0, prefix.size(), prefix) == 0;
    }
  }
  if (children) {
    proto::write_tagged(out, tag, proto::status_word::no, proto::code::haschildren(),
                        "Delete the mailboxes below it first.");
    return {};
  }
  const std::uint64_t id = t->info->id;
  storage::write_unit unit = [account = bal.access.address, name = t->name, id](storage::write_txn& txn) {
    auto mb = storage::mailboxes::get(txn, account, name);
    if (!mb || mb->id != id) return make_error_code(storage::errc::not_found);  // replaced meanwhile
    return storage::mailboxes::remove(txn, account, name);
  };
  log::audit("imap.mailbox.delete", {{"identity", a.who().describe()}, {"bal", bal.access.address},
                                     {"mailbox", t->name}, {"client", peer_.address},
                                     {"session", peer_.session_id}});
  return commit(std::move(unit), [this, tag, id](std::error_code ec, std::string& o) {
    if (ec == storage::errc::not_found) {
      proto::write_tagged(o, tag, proto::status_word::no, proto::code::nonexistent(), "No such mailbox.");
      return;
    }
    if (ec) {
      proto::write_tagged(o, tag, proto::status_word::no, proto::code::serverbug(), "DELETE failed.");
      return;
    }
    // RFC 9051 §6.3.4: deleting the selected mailbox deselects it.
    if (auto* s = sel(); s && s->box.mailbox_id() == id) deselect(o, false);
    if (sel()) {
      complete(o, tag, proto::status_word::ok, {}, "DELETE completed.");
    } else {
      proto::write_tagged(o, tag, proto::status_word::ok, {}, "DELETE completed.");
    }
  });
}

}  // namespace mssgw::imap::server
