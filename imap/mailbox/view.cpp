#include "imap/mailbox/view.hpp"

#include <algorithm>

#include "imap/proto/response.hpp"

namespace mssgw::imap::mailbox {
namespace {

constexpr std::pair<std::uint32_t, std::string_view> system_flags[] = {
    {storage::flag_answered, "\\Answered"}, {storage::flag_flagged, "\\Flagged"}, {storage::flag_deleted, "\\Deleted"},
    {storage::flag_seen, "\\Seen"},         {storage::flag_draft, "\\Draft"},
};

}  // namespace

std::optional<view> view::open(const storage::read_txn& txn, std::uint64_t mailbox_id, std::string seen_user) {
  auto mb = storage::mailboxes::get(txn, mailbox_id);
  if (!mb) return std::nullopt;
  view v;
  v.mailbox_id_ = mailbox_id;
  v.uidvalidity_ = mb->uidvalidity;
  v.uidnext_ = mb->uidnext;
  v.modseq_ = mb->highestmodseq;
  v.seen_user_ = std::move(seen_user);
  v.entries_.reserve(mb->exists);
  storage::mailboxes::scan_uids(txn, mailbox_id, 1, 0xffffffffu, [&](const storage::uid_entry& u) {
    storage::message_flags f = u.flags;
    if (v.per_user_seen()) f.system &= ~storage::flag_seen;
    v.entries_.push_back(v.make_entry(u, f));
    return true;
  });
  if (v.per_user_seen() && !v.entries_.empty()) {
    // Merge the user's marks (ascending UIDs) into the entries (ascending UIDs).
    std::size_t i = 0;
    storage::seen::scan(txn, mailbox_id, v.seen_user_, 1, [&](std::uint32_t uid) {
      while (i < v.entries_.size() && v.entries_[i].uid < uid) ++i;
      if (i == v.entries_.size()) return false;
      if (v.entries_[i].uid == uid) v.entries_[i].bits |= storage::flag_seen;
      return true;
    });
  }
  v.announced_exists_ = v.exists();
  v.keywords_changed_ = false;
  return v;
}

std::uint16_t view::intern(const std::vector<std::string>& keywords) {
  if (keywords.empty()) return 0;
  for (std::size_t i = 1; i < keyword_sets_.size(); ++i) {
    if (keyword_sets_[i] == keywords) return static_cast<std::uint16_t>(i);
  }
  if (keyword_sets_.size() >= 0xffff) return 0;  // bounded: an absurd number of distinct sets loses the rest
  for (const auto& k : keywords) {
    if (std::find(all_keywords_.begin(), all_keywords_.end(), k) == all_keywords_.end()) {
      all_keywords_.push_back(k);
      keywords_changed_ = true;
    }
  }
  keyword_sets_.push_back(keywords);
  return static_cast<std::uint16_t>(keyword_sets_.size() - 1);
}

view::entry view::make_entry(const storage::uid_entry& u, const storage::message_flags& f) {
  entry e;
  e.uid = u.uid;
  e.bits = static_cast<std::uint16_t>(f.system & system_mask);
  e.keywords = intern(f.keywords);
  e.modseq = u.modseq;
  return e;
}

storage::message_flags view::stored_flags(const storage::read_txn& txn, const storage::uid_entry& u) const {
  storage::message_flags f = u.flags;
  if (per_user_seen()) {
    f.system &= ~storage::flag_seen;
    if (storage::seen::is_seen(txn, mailbox_id_, seen_user_, u.uid)) f.system |= storage::flag_seen;
  }
  return f;
}

std::uint32_t view::index_of(std::uint32_t uid) const {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), uid,
                             [](const entry& e, std::uint32_t u) { return e.uid < u; });
  if (it == entries_.end() || it->uid != uid) return static_cast<std::uint32_t>(entries_.size());
  return static_cast<std::uint32_t>(it - entries_.begin());
}

std::uint32_t view::seq_of(std::uint32_t uid) const {
  const std::uint32_t i = index_of(uid);
  return i == entries_.size() ? 0 : i + 1;
}

std::vector<std::uint32_t> view::seqs_of_uids(std::span<const proto::seq_range> uids) const {
  std::vector<std::uint32_t> out;
  for (const auto& r : uids) {
    auto it = std::lower_bound(entries_.begin(), entries_.end(), r.first,
                               [](const entry& e, std::uint32_t u) { return e.uid < u; });
    for (; it != entries_.end() && it->uid <= r.last; ++it) {
      out.push_back(static_cast<std::uint32_t>(it - entries_.begin()) + 1);
    }
  }
  return out;
}

bool view::refresh(const storage::read_txn& txn) {
  auto mb = storage::mailboxes::get(txn, mailbox_id_);
  if (!mb || mb->uidvalidity != uidvalidity_) return false;
  if (mb->highestmodseq == modseq_) return true;
  const std::uint32_t known = highest_uid();
  std::vector<std::uint32_t> added;
  storage::mailboxes::changed_since(txn, mailbox_id_, modseq_, [&](std::uint32_t uid, std::uint64_t) {
    if (uid > known) {
      added.push_back(uid);
      return true;
    }
    const std::uint32_t i = index_of(uid);
    if (i == entries_.size() || (entries_[i].bits & gone_bit)) return true;
    auto u = storage::mailboxes::get_uid(txn, mailbox_id_, uid);
    if (!u) return true;
    const storage::message_flags f = stored_flags(txn, *u);
    entry& e = entries_[i];
    const auto bits = static_cast<std::uint16_t>(f.system & system_mask);
    const std::uint16_t kw = intern(f.keywords);
    if ((e.bits & system_mask) != bits || e.keywords != kw) {
      e.bits = static_cast<std::uint16_t>((e.bits & ~system_mask) | bits | changed_bit);
      e.keywords = kw;
    }
    e.modseq = u->modseq;
    return true;
  });
  std::sort(added.begin(), added.end());
  for (std::uint32_t uid : added) {
    auto u = storage::mailboxes::get_uid(txn, mailbox_id_, uid);
    if (u) entries_.push_back(make_entry(*u, stored_flags(txn, *u)));
  }
  storage::mailboxes::expunged_since(txn, mailbox_id_, modseq_, [&](std::uint32_t uid, std::uint64_t) {
    const std::uint32_t i = index_of(uid);
    if (i < entries_.size()) {
      entries_[i].bits |= gone_bit;
      ++pending_gone_;
    }
    return true;
  });
  modseq_ = mb->highestmodseq;
  uidnext_ = mb->uidnext;
  return true;
}

bool view::has_pending(bool allow_expunge) const {
  if (keywords_changed_ || exists() != announced_exists_) return true;
  if (allow_expunge && pending_gone_ > 0) return true;
  for (const auto& e : entries_) {
    if ((e.bits & changed_bit) && !(e.bits & gone_bit)) return true;
  }
  return false;
}

bool view::announce(std::string& out, const announce_options& o) {
  const std::size_t start = out.size();
  if (o.allow_expunge && pending_gone_ > 0) {
    std::vector<std::uint32_t> vanished;
    for (std::size_t i = entries_.size(); i-- > 0;) {
      if (!(entries_[i].bits & gone_bit)) continue;
      if (o.qresync) {
        vanished.push_back(entries_[i].uid);
      } else {
        proto::write_expunge(out, static_cast<std::uint32_t>(i + 1));  // descending: numbers stay valid
      }
    }
    if (o.qresync && !vanished.empty()) proto::write_vanished(out, proto::compress(vanished), false);
    const auto removed = static_cast<std::uint32_t>(
        std::count_if(entries_.begin(), entries_.end(), [](const entry& e) { return e.bits & gone_bit; }));
    std::erase_if(entries_, [](const entry& e) { return e.bits & gone_bit; });
    announced_exists_ -= std::min(announced_exists_, removed);
    pending_gone_ = 0;
  }
  if (keywords_changed_) {
    std::vector<std::string> all;
    for (const auto& [bit, name] : system_flags) all.emplace_back(name);
    all.insert(all.end(), all_keywords_.begin(), all_keywords_.end());
    proto::write_flags(out, all);
    keywords_changed_ = false;
  }
  if (exists() != announced_exists_) {
    proto::write_exists(out, exists());
    announced_exists_ = exists();
  }
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    entry& e = entries_[i];
    if (!(e.bits & changed_bit) || (e.bits & gone_bit)) continue;
    e.bits &= static_cast<std::uint16_t>(~changed_bit);
    proto::fetch_writer w(out, static_cast<std::uint32_t>(i + 1));
    if (o.qresync) w.uid(e.uid);
    w.flags(flag_names(static_cast<std::uint32_t>(i + 1)));
    if (o.condstore || o.qresync) w.modseq(e.modseq);
    w.finish();
  }
  return out.size() != start;
}

storage::message_flags view::flags(std::uint32_t seq) const {
  const entry& e = at(seq);
  storage::message_flags f;
  f.system = e.bits & system_mask;
  f.keywords = keyword_sets_[e.keywords];
  return f;
}

std::vector<std::string> view::flag_names(std::uint32_t seq) const {
  const entry& e = at(seq);
  std::vector<std::string> out;
  for (const auto& [bit, name] : system_flags) {
    if (e.bits & bit) out.emplace_back(name);
  }
  const auto& kws = keyword_sets_[e.keywords];
  out.insert(out.end(), kws.begin(), kws.end());
  return out;
}

bool view::has_keyword(std::uint32_t seq, std::string_view keyword) const {
  const auto& kws = keyword_sets_[at(seq).keywords];
  for (const auto& k : kws) {
    if (k.size() == keyword.size() &&
        std::equal(k.begin(), k.end(), keyword.begin(), [](char a, char b) {
          return (a >= 'A' && a <= 'Z' ? a + 32 : a) == (b >= 'A' && b <= 'Z' ? b + 32 : b);
        })) {
      return true;
    }
  }
  return false;
}

std::uint32_t view::first_unseen() const {
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    if (!(entries_[i].bits & storage::flag_seen)) return static_cast<std::uint32_t>(i + 1);
  }
  return 0;
}

void view::set_flags(std::uint32_t seq, const storage::message_flags& flags, std::uint64_t modseq) {
  entry& e = entries_[seq - 1];
  e.bits = static_cast<std::uint16_t>((e.bits & ~system_mask) | (flags.system & system_mask));
  e.keywords = intern(flags.keywords);
  e.modseq = modseq;
}

void view::write_flag_lists(std::string& out, bool read_only) const {
  std::vector<std::string> all;
  for (const auto& [bit, name] : system_flags) all.emplace_back(name);
  all.insert(all.end(), all_keywords_.begin(), all_keywords_.end());
  proto::write_flags(out, all);
  std::vector<std::string> permanent;
  if (!read_only) {
    permanent = all;
    permanent.emplace_back("\\*");
  }
  proto::write_untagged(out, proto::status_word::ok, proto::code::permanentflags(permanent), "Flags permitted.");
}

}  // namespace mssgw::imap::mailbox
