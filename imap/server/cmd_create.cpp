// CREATE (RFC 3501 §6.3.3, RFC 6154 §3 CREATE-SPECIAL-USE). Missing parent levels are created too.
#include "common/ascii.hpp"
#include "imap/server/session.hpp"

#include <cctype>

#include "storage/mailbox_store.hpp"

namespace mssgw::imap::server {
namespace {

using common::iequals;

}  // namespace

step session::cmd_create(const std::string& tag, const proto::cmd::create& c, std::string& out) {
  std::string name = c.mailbox;
  // RFC 3501 §6.3.3: a trailing delimiter only says the client means to create children.
  if (!name.empty() && name.back() == delimiter) name.pop_back();
  if (name == "INBOX") {
    proto::write_tagged(out, tag, proto::status_word::no, proto::code::alreadyexists(), "INBOX exists.");
    return {};
  }
  account& a = *acct();
  auto loc = a.locate(name);
  if (!loc || loc->name.empty()) {
    proto::write_tagged(out, tag, proto::status_word::no, proto::code::cannot(),
                        "This name is reserved for shared mailboxes.");
    return {};
  }
  const bal_entry& bal = a.bals()[loc->bal];
  if (!bal.may_write()) {
    proto::write_tagged(out, tag, proto::status_word::no, proto::code::noperm(), "Permission denied.");
    return {};
  }
  if (loc->name.size() > settings_.max_mailbox_name) {
    proto::write_tagged(out, tag, proto::status_word::no, proto::code::limit(), "Mailbox name too long.");
    return {};
  }
  if (!account::acceptable_name(loc->name, settings_.max_mailbox_name)) {
    proto::write_tagged(out, tag, proto::status_word::no, proto::code::cannot(), "Invalid mailbox name.");
    return {};
  }
  std::string special_use;
  if (c.special_use.size() > 1) {
    proto::write_tagged(out, tag, proto::status_word::no, proto::code::named("USEATTR"),
                        "One special use per mailbox.");
    return {};
  }
  if (!c.special_use.empty()) {
    for (std::string_view known : {"\\Sent", "\\Drafts", "\\Trash", "\\Junk", "\\Archive"}) {
      if (iequals(c.special_use[0], known)) special_use = known;
    }
    if (special_use.empty()) {
      proto::write_tagged(out, tag, proto::status_word::no, proto::code::named("USEATTR"),
                          "Unsupported special use.");
      return {};
    }
  }
  storage::write_unit unit = [account = bal.access.address, name = loc->name,
                              special_use](storage::write_txn& txn) -> std::error_code {
    for (auto slash = name.find(delimiter); slash != std::string::npos; slash = name.find(delimiter, slash + 1)) {
      const std::string parent = name.substr(0, slash);
      if (!storage::mailboxes::get(txn, account, parent)) {
        if (auto ec = storage::mailboxes::create(txn, account, parent, "")) return ec;
      }
    }
    return storage::mailboxes::create(txn, account, name, special_use);
  };
  log_.info("imap.mailbox.create", {{"bal", bal.access.address}, {"mailbox", loc->name}});
  return commit(std::move(unit), [this, tag](std::error_code ec, std::string& o) {
    if (ec == storage::errc::already_exists) {
      proto::write_tagged(o, tag, proto::status_word::no, proto::code::alreadyexists(), "Mailbox exists.");
    } else if (ec) {
      proto::write_tagged(o, tag, proto::status_word::no, proto::code::cannot(), "CREATE failed.");
    } else if (sel()) {
      complete(o, tag, proto::status_word::ok, {}, "CREATE completed.");
    } else {
      proto::write_tagged(o, tag, proto::status_word::ok, {}, "CREATE completed.");
    }
  });
}

}  // namespace mssgw::imap::server
