// SELECT and EXAMINE (RFC 3501 §6.3.1-2, RFC 9051, RFC 7162 CONDSTORE/QRESYNC parameters), CLOSE and UNSELECT
// (RFC 3501 §6.4.2, RFC 3691), and the name lookup every mailbox command shares.
#include "imap/server/session.hpp"

#include "storage/mailbox_store.hpp"

namespace mssgw::imap::server {

std::optional<session::target> session::find_mailbox(const std::string& name, bool must_exist, std::string_view tag,
                                                     std::string& out) {
  account& a = *acct();
  auto loc = a.locate(name);
  if (!loc || loc->name.empty()) {
    proto::write_tagged(out, tag, proto::status_word::no, proto::code::nonexistent(), "No such mailbox.");
    return std::nullopt;
  }
  target t;
  t.bal = loc->bal;
  t.name = std::move(loc->name);
  {
    auto txn = read();
    t.info = storage::mailboxes::get(*txn, a.bals()[t.bal].access.address, t.name);
  }
  if (must_exist && !t.info) {
    proto::write_tagged(out, tag, proto::status_word::no, proto::code::nonexistent(), "No such mailbox.");
    return std::nullopt;
  }
  return t;
}

step session::cmd_select(const std::string& tag, const proto::cmd::select& c, std::string& out) {
  // RFC 3501 §6.3.1: a SELECT deselects first, even when it then fails.
  if (sel()) deselect(out, qresync_ || rev2_);
  if (c.qresync && !qresync_) return bad(tag, "QRESYNC is not enabled.", "SELECT QRESYNC without ENABLE", out);
  auto t = find_mailbox(c.mailbox, true, tag, out);
  if (!t) return {};
  account& a = *acct();
  const std::string bal = a.bals()[t->bal].access.address;
  std::optional<mailbox::view> box;
  std::uint32_t rights = 0;
  std::vector<std::pair<std::uint32_t, std::uint64_t>> changed;  // QRESYNC: (uid, modseq) since the client's
  std::vector<std::uint32_t> vanished;
  {
    auto txn = read();
    // Rights are read again: a delegation revoked since login takes effect at the next SELECT.
    rights = auth::rights_on(*txn, a.who(), bal);
    a.set_rights(t->bal, rights);
    if (rights & storage::right_read) {
      box = mailbox::view::open(*txn, t->info->id, a.bals()[t->bal].per_user_seen() ? a.seen_user() : "");
    }
    if (box && c.qresync && c.qresync->uidvalidity == box->uidvalidity()) {
      // RFC 7162 §3.2.5.1: what the client missed since its MODSEQ, within the UIDs it knows.
      std::vector<proto::seq_range> known;
      if (c.qresync->known_uids) known = proto::normalise(*c.qresync->known_uids, box->highest_uid());
      storage::mailboxes::expunged_since(*txn, box->mailbox_id(), c.qresync->modseq,
                                         [&](std::uint32_t uid, std::uint64_t) {
                                           if (!c.qresync->known_uids || proto::contains(known, uid)) {
                                             vanished.push_back(uid);
                                           }
                                           return true;
                                         });
      storage::mailboxes::changed_since(*txn, box->mailbox_id(), c.qresync->modseq,
                                        [&](std::uint32_t uid, std::uint64_t modseq) {
                                          changed.emplace_back(uid, modseq);
                                          return true;
                                        });
    }
  }
  if (!box) {
    log::audit("imap.mailbox.denied", {{"identity", a.who().describe()}, {"bal", bal}, {"mailbox", t->name},
                                       {"client", peer_.address}, {"session", peer_.session_id}});
    proto::write_tagged(out, tag, proto::status_word::no, proto::code::noperm(), "Access denied.");
    return {};
  }
  if (c.condstore) condstore_ = true;
  const bool read_only = c.read_only || !(rights & storage::right_write);
  box->write_flag_lists(out, read_only);
  proto::write_exists(out, box->exists());
  if (!rev2_) {
    // IMAP4rev1 RECENT and [UNSEEN]; \Recent is not kept (every session sees 0), RFC 9051 dropped both.
    proto::write_recent(out, 0);
    if (auto first = box->first_unseen()) {
      proto::write_untagged(out, proto::status_word::ok, proto::code::unseen(first), "First unseen.");
    }
  }
  proto::write_untagged(out, proto::status_word::ok, proto::code::uidvalidity(box->uidvalidity()), "UIDs valid.");
  proto::write_untagged(out, proto::status_word::ok, proto::code::uidnext(box->uidnext()), "Predicted next UID.");
  // RFC 7162 §3.1.2.1: every SELECT of a mailbox with persistent MODSEQs gives HIGHESTMODSEQ.
  proto::write_untagged(out, proto::status_word::ok, proto::code::highestmodseq(box->highestmodseq()),
                        "Highest MODSEQ.");
  if (!vanished.empty()) proto::write_vanished(out, proto::compress(vanished), true);
  for (const auto& [uid, modseq] : changed) {
    const std::uint32_t seq = box->seq_of(uid);
    if (seq == 0) continue;
    proto::fetch_writer w(out, seq);
    w.uid(uid);
    w.flags(box->flag_names(seq));
    w.modseq(box->at(seq).modseq);
    w.finish();
  }
  log::audit("imap.mailbox.open", {{"identity", a.who().describe()}, {"bal", bal}, {"mailbox", t->name},
                                   {"read_only", read_only}, {"client", peer_.address},
                                   {"session", peer_.session_id}});
  account moved = std::move(a);
  selected s{std::move(moved), t->bal, t->name, std::move(*box), read_only};
  state_ = std::move(s);
  proto::write_tagged(out, tag, proto::status_word::ok,
                      read_only ? proto::code::read_only() : proto::code::read_write(),
                      c.read_only ? "EXAMINE completed." : "SELECT completed.");
  return {};
}

// CLOSE expunges silently (RFC 3501 §6.4.2) unless read-only; UNSELECT does not (RFC 3691).
step session::cmd_close(const std::string& tag, bool expunge, std::string& out) {
  selected& s = *sel();
  if (!expunge || s.read_only) {
    deselect(out, false);
    proto::write_tagged(out, tag, proto::status_word::ok, {}, expunge ? "CLOSE completed." : "UNSELECT completed.");
    return {};
  }
  const std::uint64_t mailbox = s.box.mailbox_id();
  const std::uint32_t known = s.box.highest_uid();
  storage::write_unit unit = [mailbox, known](storage::write_txn& txn) -> std::error_code {
    std::vector<std::uint32_t> deleted;
    storage::mailboxes::scan_uids(txn, mailbox, 1, known, [&](const storage::uid_entry& u) {
      if (u.flags.system & storage::flag_deleted) deleted.push_back(u.uid);
      return true;
    });
    for (std::uint32_t uid : deleted) {
      if (auto ec = storage::mailboxes::expunge(txn, mailbox, uid)) return ec;
    }
    return {};
  };
  return commit(std::move(unit), [this, tag](std::error_code ec, std::string& o) {
    deselect(o, false);
    if (ec) {
      proto::write_tagged(o, tag, proto::status_word::no, proto::code::serverbug(), "CLOSE failed to expunge.");
    } else {
      proto::write_tagged(o, tag, proto::status_word::ok, {}, "CLOSE completed.");
    }
  });
}

}  // namespace mssgw::imap::server
