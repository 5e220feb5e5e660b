#include "storage/mailbox_store.hpp"

#include <algorithm>
#include <chrono>

#include "storage/schema.hpp"

namespace mssgw::storage {
namespace {

constexpr std::uint8_t message_version = 1;
constexpr std::uint8_t mailbox_version = 1;
constexpr std::uint8_t uid_version = 1;

std::string encode(const message_record& m) {
  schema::encoder e(message_version);
  e.str(as_key(m.blob)).u64(m.size).i64(m.internal_date).u32(m.refs).str(m.cache);
  return e.take();
}

std::optional<message_view> decode_message_view(std::uint64_t id, std::string_view v) {
  schema::decoder d(v);
  message_view m;
  m.id = id;
  auto blob = d.str();
  m.size = d.u64();
  m.internal_date = d.i64();
  m.refs = d.u32();
  m.cache = d.str();
  if (!d.ok() || blob.size() != m.blob.size() || d.version() != message_version) return std::nullopt;
  std::copy(blob.begin(), blob.end(), m.blob.begin());
  return m;
}

std::optional<message_record> decode_message(std::uint64_t id, std::string_view v) {
  auto view = decode_message_view(id, v);
  if (!view) return std::nullopt;
  return message_record{view->id, view->blob, view->size, view->internal_date, view->refs, std::string(view->cache)};
}

std::string encode(const mailbox_info& mb) {
  schema::encoder e(mailbox_version);
  e.u64(mb.id).u32(mb.uidvalidity).u32(mb.uidnext).u64(mb.highestmodseq).u32(mb.exists).u32(mb.unseen).u64(mb.size);
  e.str(mb.special_use).u8(mb.subscribed ? 1 : 0);
  return e.take();
}

std::optional<mailbox_info> decode_mailbox(std::string_view account, std::string_view name, std::string_view v) {
  schema::decoder d(v);
  mailbox_info mb;
  mb.account = account;
  mb.name = name;
  mb.id = d.u64();
  mb.uidvalidity = d.u32();
  mb.uidnext = d.u32();
  mb.highestmodseq = d.u64();
  mb.exists = d.u32();
  mb.unseen = d.u32();
  mb.size = d.u64();
  mb.special_use = d.str();
  mb.subscribed = d.u8() != 0;
  if (!d.ok() || d.version() != mailbox_version) return std::nullopt;
  return mb;
}

std::string encode(const uid_entry& u) {
  schema::encoder e(uid_version);
  e.u64(u.message_id).u64(u.modseq).u32(u.flags.system).u32(static_cast<std::uint32_t>(u.flags.keywords.size()));
  for (const auto& k : u.flags.keywords) e.str(k);
  return e.take();
}

std::optional<uid_entry> decode_uid(std::uint32_t uid, std::string_view v) {
  schema::decoder d(v);
  uid_entry u;
  u.uid = uid;
  u.message_id = d.u64();
  u.modseq = d.u64();
  u.flags.system = d.u32();
  std::uint32_t n = d.u32();
  for (std::uint32_t i = 0; i < n && d.ok(); ++i) u.flags.keywords.emplace_back(d.str());
  if (!d.ok() || d.version() != uid_version) return std::nullopt;
  return u;
}

void put_mailbox(write_txn& txn, const mailbox_info& mb) {
  txn.put(table::mailboxes, schema::mailbox_key(mb.account, mb.name), encode(mb));
}

std::error_code release_message(write_txn& txn, std::uint64_t message_id) {
  auto m = messages::get(txn, message_id);
  if (!m) return errc::corrupt_record;
  if (m->refs <= 1) {
    txn.erase(table::messages, schema::message_key(message_id));
    return blobs::release(txn, m->blob);
  }
  m->refs -= 1;
  txn.put(table::messages, schema::message_key(message_id), encode(*m));
  return {};
}

// Places a message in a mailbox: UID, MODSEQ, counters. The caller accounts for the message's reference.
std::error_code place(write_txn& txn, mailbox_info& mb, std::uint64_t message_id, std::uint64_t size,
                      const message_flags& flags, appended* out) {
  if (mb.uidnext == 0xffffffffu) return errc::conflict;  // UID space exhausted: needs a new UIDVALIDITY
  uid_entry u;
  u.uid = mb.uidnext++;
  u.message_id = message_id;
  u.modseq = ++mb.highestmodseq;
  u.flags = flags;
  mb.exists += 1;
  if (!(flags.system & flag_seen)) mb.unseen += 1;
  mb.size += size;
  txn.put(table::mailbox_uids, schema::uid_key(mb.id, u.uid), encode(u));
  std::string uid_value;
  schema::put_u32(uid_value, u.uid);
  txn.put(table::mailbox_modseq, schema::modseq_key(mb.id, u.modseq), uid_value);
  put_mailbox(txn, mb);
  txn.mailbox_changed(mb.id);
  if (out) *out = {u.uid, u.modseq};
  return {};
}

// Erases every user's \Seen mark of an expunged UID (namespace seen), keeping the per-user counts right.
void forget_seen(write_txn& txn, std::uint64_t mailbox_id, std::uint32_t uid) {
  std::vector<std::pair<std::string, std::uint32_t>> users;
  txn.scan_prefix(table::seen, schema::seen_user_key(mailbox_id, ""), [&](std::string_view k, std::string_view v) {
    users.emplace_back(std::string(k.substr(9)), v.size() == 4 ? schema::get_u32(v) : 0);
    return true;
  });
  for (auto& [user, n] : users) {
    if (!txn.erase(table::seen, schema::seen_mark_key(mailbox_id, user, uid))) continue;
    std::string count;
    schema::put_u32(count, n > 0 ? n - 1 : 0);
    txn.put(table::seen, schema::seen_user_key(mailbox_id, user), count);
  }
}

}  // namespace

namespace messages {

std::error_code deliver(write_txn& txn, std::string_view raw, const content_hash& hash, std::int64_t internal_date,
                        std::string cache, std::span<const std::uint64_t> mailbox_ids, std::vector<appended>* placed) {
  message_record m;
  m.id = next_counter(txn, schema::meta_next_message_id);
  m.blob = hash;
  m.size = raw.size();
  m.internal_date = internal_date;
  m.refs = static_cast<std::uint32_t>(mailbox_ids.size());
  m.cache = std::move(cache);
  for (std::uint64_t id : mailbox_ids) {
    auto mb = mailboxes::get(txn, id);
    if (!mb) return errc::not_found;
    appended a;
    if (auto ec = place(txn, *mb, m.id, m.size, {}, &a)) return ec;
    if (placed) placed->push_back(a);
  }
  blobs::put(txn, raw, hash);
  txn.put(table::messages, schema::message_key(m.id), encode(m));
  return {};
}

std::uint64_t create(write_txn& txn, std::string_view raw, std::int64_t internal_date, std::string cache) {
  return create(txn, raw, hash_content(raw), internal_date, std::move(cache));
}

std::uint64_t create(write_txn& txn, std::string_view raw, const content_hash& hash, std::int64_t internal_date,
                     std::string cache) {
  message_record m;
  m.id = next_counter(txn, schema::meta_next_message_id);
  m.blob = hash;
  blobs::put(txn, raw, hash);
  m.size = raw.size();
  m.internal_date = internal_date;
  m.refs = 0;
  m.cache = std::move(cache);
  txn.put(table::messages, schema::message_key(m.id), encode(m));
  return m.id;
}

std::optional<message_record> get(const read_txn& txn, std::uint64_t id) {
  auto v = txn.get(table::messages, schema::message_key(id));
  if (!v) return std::nullopt;
  return decode_message(id, *v);
}

std::optional<message_view> view(const read_txn& txn, std::uint64_t id) {
  auto v = txn.get(table::messages, schema::message_key(id));
  if (!v) return std::nullopt;
  return decode_message_view(id, *v);
}

std::error_code set_cache(write_txn& txn, std::uint64_t id, std::string cache) {
  auto m = get(txn, id);
  if (!m) return errc::not_found;
  m->cache = std::move(cache);
  txn.put(table::messages, schema::message_key(id), encode(*m));
  return {};
}

}  // namespace messages

namespace mailboxes {

std::error_code create(write_txn& txn, std::string_view account, std::string_view name, std::string_view special_use,
                       mailbox_info* out) {
  if (account.empty() || name.empty() || name.size() > max_name_size ||
      account.find('\0') != std::string_view::npos || name.find('\0') != std::string_view::npos) {
    return errc::invalid_argument;
  }
  if (txn.get(table::mailboxes, schema::mailbox_key(account, name))) return errc::already_exists;
  mailbox_info mb;
  mb.id = next_counter(txn, schema::meta_next_mailbox_id);
  mb.account = account;
  mb.name = name;
  mb.special_use = special_use;
  // RFC 3501 §2.3.1.1: a new mailbox (even one re-created with an old name) needs a UIDVALIDITY never used before
  // for that name. A store-wide counter seeded by the clock is strictly increasing and survives restarts.
  auto last = txn.get(table::meta, schema::meta_uidvalidity);
  std::uint64_t previous = last && last->size() == 8 ? schema::get_u64(*last) : 0;
  auto now = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
  std::uint64_t uidvalidity = std::max(previous + 1, now & 0xffffffffu);
  if (uidvalidity > 0xffffffffu) uidvalidity = previous + 1;  // keeps increasing; wraps only after 4e9 mailboxes
  std::string v;
  schema::put_u64(v, uidvalidity);
  txn.put(table::meta, schema::meta_uidvalidity, v);
  mb.uidvalidity = static_cast<std::uint32_t>(uidvalidity);
  put_mailbox(txn, mb);
  txn.put(table::mailbox_ids, schema::mailbox_id_key(mb.id), schema::pair_key(account, name));
  if (out) *out = mb;
  return {};
}

std::optional<mailbox_info> get(const read_txn& txn, std::string_view account, std::string_view name) {
  auto v = txn.get(table::mailboxes, schema::mailbox_key(account, name));
  if (!v) return std::nullopt;
  return decode_mailbox(account, name, *v);
}

std::optional<mailbox_info> get(const read_txn& txn, std::uint64_t mailbox_id) {
  auto v = txn.get(table::mailbox_ids, schema::mailbox_id_key(mailbox_id));
  if (!v) return std::nullopt;
  auto nul = v->find('\0');
  if (nul == std::string_view::npos) return std::nullopt;
  std::string account(v->substr(0, nul)), name(v->substr(nul + 1));  // copy: the next get may move pages
  return get(txn, account, name);
}

std::vector<mailbox_info> list(const read_txn& txn, std::string_view account) {
  std::vector<mailbox_info> out;
  txn.scan_prefix(table::mailboxes, schema::pair_key(account, ""), [&](std::string_view key, std::string_view value) {
    if (auto mb = decode_mailbox(account, key.substr(account.size() + 1), value)) out.push_back(std::move(*mb));
    return true;
  });
  return out;
}

std::error_code remove(write_txn& txn, std::string_view account, std::string_view name) {
  auto mb = get(txn, account, name);
  if (!mb) return errc::not_found;
  std::vector<uid_entry> entries;
  scan_uids(txn, mb->id, 1, 0xffffffffu, [&](const uid_entry& u) {
    entries.push_back(u);
    return true;
  });
  for (const auto& u : entries) {
    txn.erase(table::mailbox_uids, schema::uid_key(mb->id, u.uid));
    if (auto ec = release_message(txn, u.message_id)) return ec;
  }
  std::vector<std::string> keys;
  for (table t : {table::mailbox_modseq, table::expunged}) {
    keys.clear();
    txn.scan_prefix(t, schema::u64_key(mb->id), [&](std::string_view k, std::string_view) {
      keys.emplace_back(k);
      return true;
    });
    for (const auto& k : keys) txn.erase(t, k);
  }
  keys.clear();
  txn.scan_prefix(table::seen, schema::u64_key(mb->id), [&](std::string_view k, std::string_view) {
    keys.emplace_back(k);
    return true;
  });
  for (const auto& k : keys) txn.erase(table::seen, k);
  txn.erase(table::mailbox_ids, schema::mailbox_id_key(mb->id));
  txn.erase(table::mailboxes, schema::mailbox_key(account, name));
  return {};
}

std::error_code rename(write_txn& txn, std::string_view account, std::string_view from, std::string_view to,
                       char delimiter) {
  if (from == to) return get(txn, account, from) ? std::error_code{} : make_error_code(errc::not_found);
  if (to.empty() || to.size() > max_name_size || to.find('\0') != std::string_view::npos) return errc::invalid_argument;
  const std::string child_prefix = std::string(from) + delimiter;
  if (to.substr(0, child_prefix.size()) == child_prefix) return errc::invalid_argument;  // into itself
  std::vector<mailbox_info> moving;
  for (auto& mb : list(txn, account)) {
    if (mb.name == from || mb.name.compare(0, child_prefix.size(), child_prefix) == 0) moving.push_back(std::move(mb));
  }
  bool found = false;
  for (const auto& mb : moving) found = found || mb.name == from;
  if (!found) return errc::not_found;
  auto new_name = [&](const std::string& old) { return std::string(to) + old.substr(from.size()); };
  for (const auto& mb : moving) {
    const std::string n = new_name(mb.name);
    if (n.size() > max_name_size) return errc::invalid_argument;
    if (txn.get(table::mailboxes, schema::mailbox_key(account, n))) return errc::already_exists;
  }
  for (auto& mb : moving) {
    txn.erase(table::mailboxes, schema::mailbox_key(account, mb.name));
    mb.name = new_name(mb.name);
    put_mailbox(txn, mb);
    txn.put(table::mailbox_ids, schema::mailbox_id_key(mb.id), schema::pair_key(account, mb.name));
  }
  return {};
}

std::error_code set_subscribed(write_txn& txn, std::string_view account, std::string_view name, bool subscribed) {
  auto mb = get(txn, account, name);
  if (!mb) return errc::not_found;
  if (mb->subscribed == subscribed) return {};
  mb->subscribed = subscribed;
  put_mailbox(txn, *mb);
  return {};
}

std::error_code append(write_txn& txn, std::uint64_t mailbox_id, std::uint64_t message_id, const message_flags& flags,
                       appended* out) {
  auto mb = get(txn, mailbox_id);
  if (!mb) return errc::not_found;
  auto m = messages::get(txn, message_id);
  if (!m) return errc::not_found;
  if (auto ec = place(txn, *mb, message_id, m->size, flags, out)) return ec;
  m->refs += 1;
  txn.put(table::messages, schema::message_key(message_id), encode(*m));
  return {};
}

std::error_code set_flags(write_txn& txn, std::uint64_t mailbox_id, std::uint32_t uid, const message_flags& flags,
                          std::uint64_t* modseq) {
  auto u = get_uid(txn, mailbox_id, uid);
  if (!u) return errc::not_found;
  if (u->flags == flags) {
    if (modseq) *modseq = u->modseq;
    return {};
  }
  auto mb = get(txn, mailbox_id);
  if (!mb) return errc::corrupt_record;
  const bool was_seen = u->flags.system & flag_seen, now_seen = flags.system & flag_seen;
  if (was_seen && !now_seen) mb->unseen += 1;
  if (!was_seen && now_seen) mb->unseen -= 1;
  txn.erase(table::mailbox_modseq, schema::modseq_key(mailbox_id, u->modseq));
  u->modseq = ++mb->highestmodseq;
  u->flags = flags;
  txn.put(table::mailbox_uids, schema::uid_key(mailbox_id, uid), encode(*u));
  std::string uid_value;
  schema::put_u32(uid_value, uid);
  txn.put(table::mailbox_modseq, schema::modseq_key(mailbox_id, u->modseq), uid_value);
  put_mailbox(txn, *mb);
  txn.mailbox_changed(mailbox_id);
  if (modseq) *modseq = u->modseq;
  return {};
}

std::error_code expunge(write_txn& txn, std::uint64_t mailbox_id, std::uint32_t uid) {
  auto u = get_uid(txn, mailbox_id, uid);
  if (!u) return errc::not_found;
  auto mb = get(txn, mailbox_id);
  auto m = messages::get(txn, u->message_id);
  if (!mb || !m) return errc::corrupt_record;
  mb->exists -= 1;
  if (!(u->flags.system & flag_seen)) mb->unseen -= 1;
  mb->size -= std::min(mb->size, m->size);
  const std::uint64_t modseq = ++mb->highestmodseq;
  txn.erase(table::mailbox_uids, schema::uid_key(mailbox_id, uid));
  txn.erase(table::mailbox_modseq, schema::modseq_key(mailbox_id, u->modseq));
  std::string uid_value;
  schema::put_u32(uid_value, uid);
  txn.put(table::expunged, schema::modseq_key(mailbox_id, modseq), uid_value);
  put_mailbox(txn, *mb);
  txn.mailbox_changed(mailbox_id);
  forget_seen(txn, mailbox_id, uid);
  return release_message(txn, u->message_id);
}

std::optional<uid_entry> get_uid(const read_txn& txn, std::uint64_t mailbox_id, std::uint32_t uid) {
  auto v = txn.get(table::mailbox_uids, schema::uid_key(mailbox_id, uid));
  if (!v) return std::nullopt;
  return decode_uid(uid, *v);
}

void scan_uids(const read_txn& txn, std::uint64_t mailbox_id, std::uint32_t first, std::uint32_t last,
               const std::function<bool(const uid_entry&)>& visit) {
  if (first > last) return;
  std::string to = last == 0xffffffffu ? schema::u64_key(mailbox_id + 1) : schema::uid_key(mailbox_id, last + 1);
  txn.scan(table::mailbox_uids, schema::uid_key(mailbox_id, first), to, [&](std::string_view k, std::string_view v) {
    auto u = decode_uid(schema::get_u32(k, 8), v);
    return u ? visit(*u) : true;
  });
}

void changed_since(const read_txn& txn, std::uint64_t mailbox_id, std::uint64_t since,
                   const std::function<bool(std::uint32_t, std::uint64_t)>& visit) {
  txn.scan(table::mailbox_modseq, schema::modseq_key(mailbox_id, since + 1), schema::u64_key(mailbox_id + 1),
           [&](std::string_view k, std::string_view v) {
             return v.size() == 4 ? visit(schema::get_u32(v), schema::get_u64(k, 8)) : true;
           });
}

void expunged_since(const read_txn& txn, std::uint64_t mailbox_id, std::uint64_t since,
                    const std::function<bool(std::uint32_t, std::uint64_t)>& visit) {
  txn.scan(table::expunged, schema::modseq_key(mailbox_id, since + 1), schema::u64_key(mailbox_id + 1),
           [&](std::string_view k, std::string_view v) {
             return v.size() == 4 ? visit(schema::get_u32(v), schema::get_u64(k, 8)) : true;
           });
}

}  // namespace mailboxes

namespace seen {

std::string user_of(std::string_view identity_id) {
  const content_hash h = hash_content(identity_id);
  return std::string(reinterpret_cast<const char*>(h.data()), schema::seen_user_size);
}

std::error_code set(write_txn& txn, std::uint64_t mailbox_id, std::string_view user, std::uint32_t uid, bool value,
                    std::uint64_t* modseq) {
  if (user.size() != schema::seen_user_size) return errc::invalid_argument;
  auto u = mailboxes::get_uid(txn, mailbox_id, uid);
  if (!u) return errc::not_found;
  const std::string mark = schema::seen_mark_key(mailbox_id, user, uid);
  const bool was = txn.get(table::seen, mark).has_value();
  if (was == value) {
    if (modseq) *modseq = u->modseq;
    return {};
  }
  const std::string user_key = schema::seen_user_key(mailbox_id, user);
  auto c = txn.get(table::seen, user_key);
  std::uint32_t n = c && c->size() == 4 ? schema::get_u32(*c) : 0;
  if (value) {
    txn.put(table::seen, mark, "");
    ++n;
  } else {
    txn.erase(table::seen, mark);
    n = n > 0 ? n - 1 : 0;
  }
  std::string count;
  schema::put_u32(count, n);
  txn.put(table::seen, user_key, count);
  // A new MODSEQ, as a flag change would give (RFC 7162 §3.1: metadata changed).
  auto mb = mailboxes::get(txn, mailbox_id);
  if (!mb) return errc::corrupt_record;
  txn.erase(table::mailbox_modseq, schema::modseq_key(mailbox_id, u->modseq));
  u->modseq = ++mb->highestmodseq;
  txn.put(table::mailbox_uids, schema::uid_key(mailbox_id, uid), encode(*u));
  std::string uid_value;
  schema::put_u32(uid_value, uid);
  txn.put(table::mailbox_modseq, schema::modseq_key(mailbox_id, u->modseq), uid_value);
  put_mailbox(txn, *mb);
  txn.mailbox_changed(mailbox_id);
  if (modseq) *modseq = u->modseq;
  return {};
}

bool is_seen(const read_txn& txn, std::uint64_t mailbox_id, std::string_view user, std::uint32_t uid) {
  return txn.get(table::seen, schema::seen_mark_key(mailbox_id, user, uid)).has_value();
}

void scan(const read_txn& txn, std::uint64_t mailbox_id, std::string_view user, std::uint32_t first_uid,
          const std::function<bool(std::uint32_t uid)>& visit) {
  const std::string prefix = schema::seen_mark_prefix(mailbox_id, user);
  const std::string end = prefix + std::string(5, '\xff');  // above every (prefix, u32 uid)
  txn.scan(table::seen, schema::seen_mark_key(mailbox_id, user, first_uid), end,
           [&](std::string_view k, std::string_view) { return visit(schema::get_u32(k, prefix.size())); });
}

std::uint32_t count(const read_txn& txn, std::uint64_t mailbox_id, std::string_view user) {
  auto c = txn.get(table::seen, schema::seen_user_key(mailbox_id, user));
  return c && c->size() == 4 ? schema::get_u32(*c) : 0;
}

}  // namespace seen
}  // namespace mssgw::storage
