#include "storage/queue_store.hpp"

#include <charconv>

#include "storage/schema.hpp"

namespace mssgw::storage {
namespace {

constexpr std::uint8_t queue_version = 1;

std::string encode(const queue_entry& q) {
  schema::encoder e(queue_version);
  e.str(q.sender).str(q.envid).u8(q.ret_full ? 1 : 0).str(as_key(q.blob)).u64(q.size).i64(q.created_ms);
  e.i64(q.next_due_ms).u32(q.attempts).str(q.lease_owner).i64(q.lease_until_ms);
  e.u32(static_cast<std::uint32_t>(q.recipients.size()));
  for (const auto& r : q.recipients) {
    e.str(r.address).str(r.orcpt).u8(r.notify).u8(static_cast<std::uint8_t>(r.status)).u32(r.last_code);
    e.str(r.last_status).str(r.last_reply).i64(r.updated_ms).u8(r.delay_notified ? 1 : 0);
  }
  return e.take();
}

std::optional<queue_entry> decode(std::uint64_t id, std::string_view v) {
  schema::decoder d(v);
  queue_entry q;
  q.id = id;
  q.sender = d.str();
  q.envid = d.str();
  q.ret_full = d.u8() != 0;
  auto blob = d.str();
  q.size = d.u64();
  q.created_ms = d.i64();
  q.next_due_ms = d.i64();
  q.attempts = d.u32();
  q.lease_owner = d.str();
  q.lease_until_ms = d.i64();
  std::uint32_t n = d.u32();
  for (std::uint32_t i = 0; i < n && d.ok(); ++i) {
    queue_recipient r;
    r.address = d.str();
    r.orcpt = d.str();
    r.notify = d.u8();
    r.status = static_cast<rcpt_status>(d.u8());
    r.last_code = static_cast<std::uint16_t>(d.u32());
    r.last_status = d.str();
    r.last_reply = d.str();
    r.updated_ms = d.i64();
    r.delay_notified = d.u8() != 0;
    q.recipients.push_back(std::move(r));
  }
  if (!d.ok() || d.version() != queue_version || blob.size() != q.blob.size()) return std::nullopt;
  std::copy(blob.begin(), blob.end(), q.blob.begin());
  return q;
}

void write(write_txn& txn, const queue_entry& q) {
  txn.put(table::queue, schema::queue_key(q.id), encode(q));
  txn.put(table::queue_due, schema::queue_due_key(static_cast<std::uint64_t>(q.next_due_ms), q.id), "");
}

}  // namespace

std::string queue_entry::display_id() const {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string s(16, '0');
  for (int i = 15, shift = 0; i >= 0; --i, shift += 4) s[static_cast<std::size_t>(i)] = hex[(id >> shift) & 0xf];
  return s;
}

namespace queue {

// A caller-chosen id (the SMTP session announces it in its Received header before the commit) is kept when free;
// zero, or a taken one, gets the next counter value.
void assign_id(write_txn& txn, queue_entry& entry) {
  if (entry.id != 0 && !txn.get(table::queue, schema::queue_key(entry.id))) return;
  do {
    entry.id = next_counter(txn, schema::meta_next_queue_id);
  } while (txn.get(table::queue, schema::queue_key(entry.id)));
}

std::uint64_t enqueue(write_txn& txn, queue_entry& entry, std::string_view raw) {
  entry.blob = blobs::put(txn, raw);
  entry.size = raw.size();
  assign_id(txn, entry);
  write(txn, entry);
  return entry.id;
}

std::error_code enqueue_stored(write_txn& txn, queue_entry& entry) {
  if (auto ec = blobs::add_ref(txn, entry.blob)) return ec;
  assign_id(txn, entry);
  write(txn, entry);
  return {};
}

std::optional<queue_entry> get(const read_txn& txn, std::uint64_t id) {
  auto v = txn.get(table::queue, schema::queue_key(id));
  if (!v) return std::nullopt;
  return decode(id, *v);
}

std::error_code update(write_txn& txn, const queue_entry& entry) {
  auto old = get(txn, entry.id);
  if (!old) return errc::not_found;
  txn.erase(table::queue_due, schema::queue_due_key(static_cast<std::uint64_t>(old->next_due_ms), old->id));
  write(txn, entry);
  return {};
}

std::error_code remove(write_txn& txn, std::uint64_t id) {
  auto old = get(txn, id);
  if (!old) return errc::not_found;
  txn.erase(table::queue_due, schema::queue_due_key(static_cast<std::uint64_t>(old->next_due_ms), id));
  txn.erase(table::queue, schema::queue_key(id));
  return blobs::release(txn, old->blob);
}

void scan_due(const read_txn& txn, std::int64_t now_ms,
              const std::function<bool(std::uint64_t, std::int64_t)>& visit) {
  const auto end = schema::queue_due_key(static_cast<std::uint64_t>(now_ms) + 1, 0);
  txn.scan(table::queue_due, {}, end, [&](std::string_view k, std::string_view) {
    return visit(schema::get_u64(k, 8), static_cast<std::int64_t>(schema::get_u64(k, 0)));
  });
}

void scan_all(const read_txn& txn, const std::function<bool(const queue_entry&)>& visit) {
  txn.scan(table::queue, {}, {}, [&](std::string_view k, std::string_view v) {
    auto q = decode(schema::get_u64(k), v);
    return q ? visit(*q) : true;
  });
}

std::error_code claim(write_txn& txn, std::uint64_t id, std::string_view owner, std::int64_t now_ms,
                      std::int64_t until_ms) {
  auto q = get(txn, id);
  if (!q) return errc::not_found;
  if (!q->lease_owner.empty() && q->lease_owner != owner && q->lease_until_ms > now_ms) return errc::conflict;
  q->lease_owner = owner;
  q->lease_until_ms = until_ms;
  txn.put(table::queue, schema::queue_key(id), encode(*q));
  return {};
}

std::optional<std::uint64_t> parse_display_id(std::string_view text) {
  if (text.empty() || text.size() > 16) return std::nullopt;
  std::uint64_t id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id, 16);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return id;
}

}  // namespace queue
}  // namespace mssgw::storage
