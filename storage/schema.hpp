// Every key encoding of the storage schema, in one place (DESIGN.md §4, STYLE.md habit 7), and the small binary
// codec that records use.
//
// Keys: integers are fixed-width big-endian so that byte order is numeric order; strings are lowercased where the
// schema says so and separated by a NUL byte (callers reject NUL in names). Records start with a version byte.
//
// | table          | key                                  | value                          |
// |----------------|--------------------------------------|--------------------------------|
// | meta           | ascii name                           | u64 counter / text             |
// | blobs          | sha256 (32 bytes)                    | raw message bytes              |
// | blob_refs      | sha256 (32 bytes)                    | u64 reference count            |
// | messages       | u64 message id                       | message_record                 |
// | mailboxes      | account \0 mailbox name              | mailbox_record                 |
// | mailbox_ids    | u64 mailbox id                       | account \0 mailbox name        |
// | mailbox_uids   | u64 mailbox id, u32 uid              | uid_record                     |
// | mailbox_modseq | u64 mailbox id, u64 modseq           | u32 uid                        |
// | expunged       | u64 mailbox id, u64 modseq           | u32 uid                        |
// | queue          | u64 queue id                         | queue_record                   |
// | queue_due      | u64 due (unix ms), u64 queue id      | empty                          |
// | accounts       | lowercased BAL address               | account_record                 |
// | conversations  | patient INS \0 lowercased BAL        | (citizen messaging)            |
// | whitelist      | "copy" / "meta"                      | raw XML bytes / whitelist meta |
// | directory      | 'e' lowercased BAL address           | directory record (below)       |
// | directory      | 'm' meta name                        | directory meta (below)         |
// | directory_index| 'n' idNat \0 address                 | empty: index by idNat          |
// | directory_index| 's' structure id \0 address          | empty: index by structure id   |
// | directory_index| 'p' folded name token \0 address     | the entry's tokens: name index |
// | directory_index| 'u' entryUUID (16 raw bytes) address | empty: LDAP entryUUID -> address|
// | directory_index| 'c' u64 generation, address          | empty: build's updates/deletes |
// | directory_index| 'r' u64 generation, first address    | last address: build's inserts  |
// | seen           | u64 mailbox id, 'u', user hash (16)  | u32 count of that user's marks |
// | seen           | u64 mailbox id, 's', user hash, u32 uid | empty: the user has seen uid |
// | account_index  | bucket \0 lowercased BAL address      | empty: identity -> BALs        |
// | meta           | "account_index"                      | "1": account_index is complete |
//
// account_index buckets: the lowercased idNat (or INS) of a PER BAL's owner and of every idNat delegation; "dn:"
// for every BAL with a delegation to a certificate DN (DNs compare canonically, in auth/: the bucket is scanned).
//
// Directory (directory/mirror.hpp explains the generations): a record is
//   u8 version(1), u8 count, count x { u64 generation, u8 kind (0 tombstone, 1 entry), u8 source, i64 updated,
//   str content (directory/entry.hpp encode_content) }
// in ascending generation order; readers see the newest version whose generation <= the committed generation.
// Index keys are hints: readers check each hit against the visible version, so stale keys left by a build are
// harmless until the build's cleanup erases them. Indexed values longer than directory_max_indexed are not indexed.
// Meta: "mgen" u64 committed generation; "mlease" build lease {u64 token, u64 generation, u8 source, u8 phase,
// str host, u32 pid, u64 process nonce, i64 started, i64 expires}; "mcookie" {str fingerprint, str RFC 4533
// cookie}; "mrun:<source>" {i64 last success, u64 entries, u64 added, u64 updated, u64 deleted, u8 mode}.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace mssgw::storage::schema {

inline constexpr std::uint64_t version = 1;

// meta keys
inline constexpr std::string_view meta_version = "schema_version";
inline constexpr std::string_view meta_next_message_id = "next_message_id";
inline constexpr std::string_view meta_next_mailbox_id = "next_mailbox_id";
inline constexpr std::string_view meta_next_queue_id = "next_queue_id";
inline constexpr std::string_view meta_uidvalidity = "last_uidvalidity";

inline void put_u32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}
inline void put_u64(std::string& out, std::uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}
inline std::uint32_t get_u32(std::string_view in, std::size_t at = 0) {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(in[at + i]);
  return v;
}
inline std::uint64_t get_u64(std::string_view in, std::size_t at = 0) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(in[at + i]);
  return v;
}

inline std::string u64_key(std::uint64_t a) {
  std::string k;
  put_u64(k, a);
  return k;
}
inline std::string u64_u32_key(std::uint64_t a, std::uint32_t b) {
  std::string k;
  put_u64(k, a);
  put_u32(k, b);
  return k;
}
inline std::string u64_u64_key(std::uint64_t a, std::uint64_t b) {
  std::string k;
  put_u64(k, a);
  put_u64(k, b);
  return k;
}
inline std::string pair_key(std::string_view a, std::string_view b) {
  std::string k(a);
  k.push_back('\0');
  k.append(b);
  return k;
}

// whitelist (owned by trustspace/refresher.cpp): the last good copy of the ANS whitelist, loaded at start-up.
// "copy" holds the raw XML bytes as fetched (or read from the [whitelist] file); "meta" the record
// v1 | str source (URL or file) | str ETag | str Last-Modified | i64 fetched_at (unix s) | i64 verified_at (unix ms:
// last 200/304, or the file's mtime) | str sha256 hex of the copy | u64 size. Both are written in one write unit, so
// the validators always describe the stored bytes; a 304 rewrites "meta" only.
inline constexpr std::string_view whitelist_copy_key = "copy";
inline constexpr std::string_view whitelist_meta_key = "meta";

// Keys by table.
inline std::string message_key(std::uint64_t id) { return u64_key(id); }
inline std::string mailbox_key(std::string_view account, std::string_view name) { return pair_key(account, name); }
inline std::string mailbox_id_key(std::uint64_t id) { return u64_key(id); }
inline std::string uid_key(std::uint64_t mailbox, std::uint32_t uid) { return u64_u32_key(mailbox, uid); }
inline std::string modseq_key(std::uint64_t mailbox, std::uint64_t modseq) { return u64_u64_key(mailbox, modseq); }
inline std::string queue_key(std::uint64_t id) { return u64_key(id); }
inline std::string queue_due_key(std::uint64_t due_ms, std::uint64_t id) { return u64_u64_key(due_ms, id); }
inline std::string account_key(std::string_view address) { return std::string(address); }  // already lowercased
inline std::string account_index_key(std::string_view bucket, std::string_view address) {
  std::string k(bucket);
  k.push_back('\0');
  k.append(address);
  return k;
}
inline constexpr std::string_view meta_account_index = "account_index";
inline constexpr std::string_view account_index_dn_bucket = "dn:";
inline std::string conversation_key(std::string_view ins, std::string_view bal) { return pair_key(ins, bal); }

// seen (IMAP per-user \Seen on shared mailboxes, mailbox_store.hpp): the user is the first 16 bytes of SHA-256 of the
// identity's id (idNat, "dn:..." or address), so keys stay short whatever the identity. Per mailbox, a 'u' key per
// user holds how many marks that user has (STATUS UNSEEN without a scan, and the list of users to clean when a
// message is expunged); an 's' key per (user, uid) marks a message that user has seen.
inline constexpr std::size_t seen_user_size = 16;
inline std::string seen_user_key(std::uint64_t mailbox, std::string_view user) {
  std::string k;
  put_u64(k, mailbox);
  k.push_back('u');
  k.append(user);
  return k;
}
inline std::string seen_mark_prefix(std::uint64_t mailbox, std::string_view user) {
  std::string k;
  put_u64(k, mailbox);
  k.push_back('s');
  k.append(user);
  return k;
}
inline std::string seen_mark_key(std::uint64_t mailbox, std::string_view user, std::uint32_t uid) {
  std::string k = seen_mark_prefix(mailbox, user);
  put_u32(k, uid);
  return k;
}

// Directory keys (table above). `address` is already lowercased; indexed values never contain NUL.
inline constexpr std::size_t directory_max_indexed = 128;
inline constexpr std::string_view directory_meta_generation = "mgen";
inline constexpr std::string_view directory_meta_lease = "mlease";
inline constexpr std::string_view directory_meta_cookie = "mcookie";
inline std::string directory_entry_key(std::string_view address) { return "e" + std::string(address); }
inline std::string directory_run_key(std::string_view source) { return "mrun:" + std::string(source); }
// kind: 'n' idNat, 's' structure id, 'p' name token.
inline std::string directory_index_key(char kind, std::string_view value, std::string_view address) {
  std::string k(1, kind);
  k.append(value);
  k.push_back('\0');
  k.append(address);
  return k;
}
inline std::string directory_index_prefix(char kind, std::string_view value, bool exact) {
  std::string k(1, kind);
  k.append(value);
  if (exact) k.push_back('\0');
  return k;
}
inline std::string directory_uuid_key(std::string_view uuid16, std::string_view address) {
  std::string k(1, 'u');
  k.append(uuid16);
  k.append(address);
  return k;
}
inline std::string directory_change_key(std::uint64_t generation, std::string_view address) {
  std::string k(1, 'c');
  put_u64(k, generation);
  k.append(address);
  return k;
}
// The addresses a build unit inserted (records with no earlier version) span [first, value].
inline std::string directory_range_key(std::uint64_t generation, std::string_view first) {
  std::string k(1, 'r');
  put_u64(k, generation);
  k.append(first);
  return k;
}

// Appends fields of a record; fixed-width big-endian integers, strings with a u32 length.
class encoder {
 public:
  explicit encoder(std::uint8_t record_version) { out_.push_back(static_cast<char>(record_version)); }
  encoder& u8(std::uint8_t v) { out_.push_back(static_cast<char>(v)); return *this; }
  encoder& u32(std::uint32_t v) { put_u32(out_, v); return *this; }
  encoder& u64(std::uint64_t v) { put_u64(out_, v); return *this; }
  encoder& i64(std::int64_t v) { put_u64(out_, static_cast<std::uint64_t>(v)); return *this; }
  encoder& str(std::string_view s) {
    put_u32(out_, static_cast<std::uint32_t>(s.size()));
    out_.append(s);
    return *this;
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

// Reads fields back; any overrun sets !ok() and yields zeros, so callers check ok() once at the end.
class decoder {
 public:
  explicit decoder(std::string_view in) : in_(in) {
    if (in_.empty()) {
      ok_ = false;
    } else {
      version_ = static_cast<std::uint8_t>(in_[0]);
      pos_ = 1;
    }
  }
  std::uint8_t version() const { return version_; }
  std::uint8_t u8() { return need(1) ? static_cast<std::uint8_t>(in_[pos_++]) : 0; }
  std::uint32_t u32() {
    if (!need(4)) return 0;
    auto v = get_u32(in_, pos_);
    pos_ += 4;
    return v;
  }
  std::uint64_t u64() {
    if (!need(8)) return 0;
    auto v = get_u64(in_, pos_);
    pos_ += 8;
    return v;
  }
  std::int64_t i64() { return static_cast<std::int64_t>(u64()); }
  std::string_view str() {
    std::uint32_t n = u32();
    if (!need(n)) return {};
    auto s = in_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  bool ok() const { return ok_; }
  bool at_end() const { return pos_ == in_.size(); }

 private:
  bool need(std::size_t n) {
    if (!ok_ || in_.size() - pos_ < n) {
      ok_ = false;
      return false;
    }
    return true;
  }
  std::string_view in_;
  std::size_t pos_ = 0;
  std::uint8_t version_ = 0;
  bool ok_ = true;
};

}  // namespace mssgw::storage::schema
