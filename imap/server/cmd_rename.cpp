// RENAME (RFC 3501 §6.3.5): children move with their parent and keep their UIDVALIDITY; renaming INBOX moves its
// messages into a new mailbox and leaves INBOX empty. Both names must be in the same BAL.
#include "imap/server/session.hpp"

#include "storage/mailbox_store.hpp"

namespace mssgw::imap::server {

step session::cmd_rename(const std::string& tag, const proto::cmd::rename& c, std::string& out) {
  auto from = find_mailbox(c.from, true, tag, out);
  if (!from) return {};
  std::string to_name = c.to;
  if (!to_name.empty() && to_name.back() == delimiter) to_name.pop_back();
  account& a = *acct();
  auto to = a.locate(to_name);
  if (!to || to->name.empty() || to->bal != from->bal) {
    proto::write_tagged(out, tag, proto::status_word::no, proto::code::cannot(),
                        "Mailboxes cannot be renamed into another BAL or a reserved name.");
    return {};
  }
  const bal_entry& bal = a.bals()[from->bal];
  if (!bal.may_write()) {
    proto::write_tagged(out, tag, proto::status_word::no, proto::code::noperm(), "Permission denied.");
    return {};
  }
  if (to->name == "INBOX") {
    proto::write_tagged(out, tag, proto::status_word::no, proto::code::alreadyexists(), "INBOX exists.");
    return {};
  }
  if (to->name.size() > settings_.max_mailbox_name) {
    proto::write_tagged(out, tag, proto::status_word::no, proto::code::limit(), "Mailbox name too long.");
    return {};
  }
  if (!account::acceptable_name(to->name, settings_.max_mailbox_name)) {
    proto::write_tagged(out, tag, proto::status_word::no, proto::code::cannot(), "Invalid mailbox name.");
    return {};
  }
  storage::write_unit unit = [account = bal.access.address, from = from->name,
                              to = to->name](storage::write_txn& txn) -> std::error_code {
    for (auto slash = to.find(delimiter); slash != std::string::npos; slash = to.find(delimiter, slash + 1)) {
      const std::string parent = to.substr(0, slash);
      if (parent == from) return storage::errc::invalid_argument;  // into itself
      if (!storage::mailboxes::get(txn, account, parent)) {
        if (auto ec = storage::mailboxes::create(txn, account, parent, "")) return ec;
      }
    }
    if (from != "INBOX") return storage::mailboxes::rename(txn, account, from, to, delimiter);
    // RFC 3501 §6.3.5: renaming INBOX moves its messages to the new name; INBOX stays, empty.
    auto inbox = storage::mailboxes::get(txn, account, "INBOX");
    if (!inbox) return storage::errc::not_found;
    storage::mailbox_info renamed;
    if (auto ec = storage::mailboxes::create(txn, account, to, "", &renamed)) return ec;
    std::vector<storage::uid_entry> entries;
    storage::mailboxes::scan_uids(txn, inbox->id, 1, 0xffffffffu, [&](const storage::uid_entry& u) {
      entries.push_back(u);
      return true;
    });
    for (const auto& u : entries) {
      if (auto ec = storage::mailboxes::append(txn, renamed.id, u.message_id, u.flags)) return ec;
      if (auto ec = storage::mailboxes::expunge(txn, inbox->id, u.uid)) return ec;
    }
    return {};
  };
  log::audit("imap.mailbox.rename", {{"identity", a.who().describe()}, {"bal", bal.access.address},
                                     {"from", from->name}, {"to", to->name}, {"client", peer_.address},
                                     {"session", peer_.session_id}});
  return commit(std::move(unit), [this, tag](std::error_code ec, std::string& o) {
    if (ec == storage::errc::already_exists) {
      proto::write_tagged(o, tag, proto::status_word::no, proto::code::alreadyexists(), "Target name exists.");
    } else if (ec == storage::errc::not_found) {
      proto::write_tagged(o, tag, proto::status_word::no, proto::code::nonexistent(), "No such mailbox.");
    } else if (ec) {
      proto::write_tagged(o, tag, proto::status_word::no, proto::code::cannot(), "RENAME failed.");
    } else if (sel()) {
      complete(o, tag, proto::status_word::ok, {}, "RENAME completed.");
    } else {
      proto::write_tagged(o, tag, proto::status_word::ok, {}, "RENAME completed.");
    }
  });
}

}  // namespace mssgw::imap::server
