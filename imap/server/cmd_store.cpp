// STORE and UID STORE (RFC 3501 §6.4.6; RFC 7162 §3.1.3 UNCHANGEDSINCE and [MODIFIED]). The new flags are
// computed inside the write unit from the flags stored at that moment, so concurrent sessions never lose each
// other's changes; on shared mailboxes \Seen goes to the user's own marks (storage namespace seen).
#include "imap/server/flags.hpp"
#include "imap/server/session.hpp"
#include "storage/mailbox_store.hpp"

namespace mssgw::imap::server {
namespace {

storage::message_flags apply(const storage::message_flags& current, proto::cmd::store::mode how,
                             const storage::message_flags& given) {
  using mode = proto::cmd::store::mode;
  storage::message_flags next = current;
  switch (how) {
    case mode::replace:
      next = given;
      break;
    case mode::add:
      next.system |= given.system;
      for (const auto& k : given.keywords) {
        if (std::none_of(next.keywords.begin(), next.keywords.end(),
                         [&](const std::string& x) { return same_keyword(x, k); })) {
          next.keywords.push_back(k);
        }
      }
      break;
    case mode::remove:
      next.system &= ~given.system;
      std::erase_if(next.keywords, [&](const std::string& x) {
        return std::any_of(given.keywords.begin(), given.keywords.end(),
                           [&](const std::string& k) { return same_keyword(x, k); });
      });
      break;
  }
  return next;
}

}  // namespace

step session::cmd_store(const std::string& tag, const proto::cmd::store& c, std::string& out) {
  selected& s = *sel();
  if (s.read_only) {
    proto::write_tagged(out, tag, proto::status_word::no, proto::code::noperm(), "Mailbox is read-only.");
    return {};
  }
  auto seqs = resolve(c.set, c.uid, tag, out);
  if (!seqs) return {};
  const storage::message_flags given = to_flags(c.flags);
  if (given.keywords.size() > settings_.max_keywords) {
    proto::write_tagged(out, tag, proto::status_word::no, proto::code::limit(), "Too many keywords.");
    return {};
  }
  if (c.unchanged_since) condstore_ = true;  // RFC 7162 §3.1: UNCHANGEDSINCE enables CONDSTORE
  std::vector<std::uint32_t> uids;
  for (std::uint32_t seq : *seqs) {
    if (!(s.box.at(seq).bits & mailbox::view::gone_bit)) uids.push_back(s.box.at(seq).uid);
  }
  struct outcome {
    struct item {
      std::uint32_t uid;
      storage::message_flags flags;
      std::uint64_t modseq;
    };
    std::vector<item> stored;
    std::vector<std::uint32_t> modified;  // UNCHANGEDSINCE failed
  };
  auto result = std::make_shared<outcome>();
  const std::uint64_t mailbox = s.box.mailbox_id();
  const std::string user = s.box.seen_user();
  const auto how = c.how;
  const auto unchanged = c.unchanged_since;
  const std::size_t max_keywords = settings_.max_keywords;
  storage::write_unit unit = [=](storage::write_txn& txn) -> std::error_code {
    result->stored.clear();
    result->modified.clear();
    for (std::uint32_t uid : uids) {
      auto u = storage::mailboxes::get_uid(txn, mailbox, uid);
      if (!u) continue;  // expunged meanwhile (RFC 2180 §4.2.1: silently ignored)
      storage::message_flags current = u->flags;
      if (!user.empty()) {
        current.system &= ~storage::flag_seen;
        if (storage::seen::is_seen(txn, mailbox, user, uid)) current.system |= storage::flag_seen;
      }
      // RFC 7162 §3.1.3: a message changed after UNCHANGEDSINCE is not updated and is reported in MODIFIED.
      if (unchanged && u->modseq > *unchanged) {
        result->modified.push_back(uid);
        continue;
      }
      storage::message_flags next = apply(current, how, given);
      if (next.keywords.size() > max_keywords) next.keywords.resize(max_keywords);
      std::uint64_t modseq = u->modseq;
      if (!user.empty()) {
        storage::message_flags shared = next;
        shared.system = (shared.system & ~storage::flag_seen) | (u->flags.system & storage::flag_seen);
        if (auto ec = storage::mailboxes::set_flags(txn, mailbox, uid, shared, &modseq)) return ec;
        const bool seen = next.system & storage::flag_seen;
        if (seen != static_cast<bool>(current.system & storage::flag_seen)) {
          if (auto ec = storage::seen::set(txn, mailbox, user, uid, seen, &modseq)) return ec;
        }
      } else if (auto ec = storage::mailboxes::set_flags(txn, mailbox, uid, next, &modseq)) {
        return ec;
      }
      result->stored.push_back({uid, std::move(next), modseq});
    }
    return {};
  };
  const bool silent = c.silent, uid_command = c.uid;
  return commit(std::move(unit), [this, tag, result, silent, uid_command](std::error_code ec, std::string& o) {
    auto* cur = sel();
    if (ec || !cur) {
      complete(o, tag, proto::status_word::no, proto::code::serverbug(), "STORE failed.", uid_command);
      return;
    }
    for (const auto& item : result->stored) {
      const std::uint32_t seq = cur->box.seq_of(item.uid);
      if (seq == 0) continue;
      const bool changed = cur->box.at(seq).modseq != item.modseq;
      cur->box.set_flags(seq, item.flags, item.modseq);
      // RFC 3501 §6.4.6: FETCH for each message unless .SILENT; with CONDSTORE a changed message is reported with
      // its new MODSEQ even when silent (RFC 7162 §3.1.3).
      if (silent && !(condstore_ && changed)) continue;
      proto::fetch_writer w(o, seq, rev2_);
      if (uid_command || qresync_) w.uid(item.uid);
      if (!silent) w.flags(cur->box.flag_names(seq));
      if (condstore_) w.modseq(item.modseq);
      w.finish();
    }
    proto::response_code code;
    if (!result->modified.empty()) {
      std::vector<std::uint32_t> numbers;
      for (std::uint32_t uid : result->modified) {
        numbers.push_back(uid_command ? uid : cur->box.seq_of(uid));
      }
      code = proto::code::modified(proto::compress(numbers));
    }
    complete(o, tag, proto::status_word::ok, code, "STORE completed.", uid_command);
  });
}

}  // namespace mssgw::imap::server
