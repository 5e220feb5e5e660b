// COPY / UID COPY (RFC 3501 §6.4.7) and MOVE / UID MOVE (RFC 6851), with COPYUID (RFC 4315). One write unit
// places every message (bodies are shared, not copied: storage reference counts) and, for MOVE, expunges the
// sources; \Seen follows the user across per-user and shared mailboxes.
#include "imap/server/session.hpp"
#include "storage/mailbox_store.hpp"

namespace mssgw::imap::server {

step session::cmd_copy(const std::string& tag, const proto::sequence_set& set, bool uid, const std::string& mailbox,
                       bool move, std::string& out) {
  selected& s = *sel();
  if (move && s.read_only) {
    proto::write_tagged(out, tag, proto::status_word::no, proto::code::noperm(), "Mailbox is read-only.");
    return {};
  }
  auto seqs = resolve(set, uid, tag, out);
  if (!seqs) return {};
  auto t = find_mailbox(mailbox, false, tag, out);
  if (!t) return {};
  if (!t->info) {
    proto::write_tagged(out, tag, proto::status_word::no, proto::code::trycreate(), "No such mailbox.");
    return {};
  }
  const account& a = s.acct;
  const bal_entry& target_bal = a.bals()[t->bal];
  if (!target_bal.may_write()) {
    proto::write_tagged(out, tag, proto::status_word::no, proto::code::noperm(), "Permission denied.");
    return {};
  }
  // Messages expunged by another session and not yet told are skipped (RFC 2180 §4.4.1): COPYUID lists what was
  // copied.
  std::vector<std::uint32_t> uids;
  for (std::uint32_t seq : *seqs) {
    const auto& e = s.box.at(seq);
    if (!(e.bits & mailbox::view::gone_bit)) uids.push_back(e.uid);
  }
  struct outcome {
    std::vector<std::uint32_t> source, dest;
  };
  auto result = std::make_shared<outcome>();
  const std::uint64_t from = s.box.mailbox_id(), to = t->info->id;
  const std::string from_user = s.box.seen_user();
  const std::string to_user = target_bal.per_user_seen() ? a.seen_user() : std::string();
  storage::write_unit unit = [=](storage::write_txn& txn) -> std::error_code {
    result->source.clear();
    result->dest.clear();
    for (std::uint32_t id : uids) {
      auto u = storage::mailboxes::get_uid(txn, from, id);
      if (!u) continue;  // expunged meanwhile
      const bool seen = from_user.empty() ? (u->flags.system & storage::flag_seen) != 0
                                          : storage::seen::is_seen(txn, from, from_user, id);
      storage::message_flags f = u->flags;
      f.system &= ~storage::flag_seen;
      if (seen && to_user.empty()) f.system |= storage::flag_seen;
      storage::appended placed;
      if (auto ec = storage::mailboxes::append(txn, to, u->message_id, f, &placed)) return ec;
      if (seen && !to_user.empty()) {
        if (auto ec = storage::seen::set(txn, to, to_user, placed.uid, true)) return ec;
      }
      if (move) {
        if (auto ec = storage::mailboxes::expunge(txn, from, id)) return ec;
      }
      result->source.push_back(id);
      result->dest.push_back(placed.uid);
    }
    return {};
  };
  const std::uint32_t uidvalidity = t->info->uidvalidity;
  log_.info(move ? "imap.move" : "imap.copy", {{"messages", uids.size()}, {"to", t->name}});
  return commit(std::move(unit), [this, tag, result, uidvalidity, move, uid](std::error_code ec, std::string& o) {
    if (ec == storage::errc::not_found) {
      complete(o, tag, proto::status_word::no, proto::code::trycreate(), "No such mailbox.", uid || move);
      return;
    }
    if (ec) {
      complete(o, tag, proto::status_word::no, proto::code::serverbug(), move ? "MOVE failed." : "COPY failed.",
               uid || move);
      return;
    }
    proto::response_code code;
    if (!result->source.empty()) {
      code = proto::code::copyuid(uidvalidity, proto::compress_ordered(result->source),
                                  proto::compress_ordered(result->dest));
    }
    if (move) {
      // RFC 6851 §4.3: COPYUID in an untagged OK before the expunges, which MOVE always reports.
      if (!code.empty()) proto::write_untagged(o, proto::status_word::ok, code, "Moved UIDs.");
      complete(o, tag, proto::status_word::ok, {}, "MOVE completed.", true);
      return;
    }
    complete(o, tag, proto::status_word::ok, code, "COPY completed.", uid);
  });
}

}  // namespace mssgw::imap::server
