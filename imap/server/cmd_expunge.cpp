// EXPUNGE (RFC 3501 §6.4.3) and UID EXPUNGE (RFC 4315 §2.1): removes the messages marked \Deleted that the client
// knows (only those in the UID set for UID EXPUNGE), then tells EXPUNGE or VANISHED (RFC 7162 §3.2.10).
#include "imap/server/session.hpp"

#include "storage/mailbox_store.hpp"

namespace mssgw::imap::server {

step session::cmd_expunge(const std::string& tag, const proto::cmd::expunge& c, std::string& out) {
  selected& s = *sel();
  if (s.read_only) {
    proto::write_tagged(out, tag, proto::status_word::no, proto::code::noperm(), "Mailbox is read-only.");
    return {};
  }
  std::vector<std::uint32_t> candidates;
  if (c.uids) {
    auto seqs = resolve(*c.uids, true, tag, out);
    if (!seqs) return {};
    for (std::uint32_t seq : *seqs) candidates.push_back(s.box.at(seq).uid);
  } else {
    for (std::uint32_t seq = 1; seq <= s.box.exists(); ++seq) candidates.push_back(s.box.at(seq).uid);
  }
  const std::uint64_t mailbox = s.box.mailbox_id();
  // \Deleted is checked in the transaction: a flag cleared by another session a moment ago is respected.
  storage::write_unit unit = [mailbox, uids = std::move(candidates)](storage::write_txn& txn) -> std::error_code {
    for (std::uint32_t uid : uids) {
      auto u = storage::mailboxes::get_uid(txn, mailbox, uid);
      if (!u || !(u->flags.system & storage::flag_deleted)) continue;
      if (auto ec = storage::mailboxes::expunge(txn, mailbox, uid)) return ec;
    }
    return {};
  };
  return commit(std::move(unit), [this, tag](std::error_code ec, std::string& o) {
    if (ec) {
      complete(o, tag, proto::status_word::no, proto::code::serverbug(), "EXPUNGE failed.");
      return;
    }
    if (!sync(o, true)) return;
    // RFC 7162: once CONDSTORE is enabled, the tagged OK of EXPUNGE carries the new HIGHESTMODSEQ.
    proto::response_code code;
    if (condstore_ && sel()) code = proto::code::highestmodseq(sel()->box.highestmodseq());
    proto::write_tagged(o, tag, proto::status_word::ok, code, "EXPUNGE completed.");
  });
}

}  // namespace mssgw::imap::server
