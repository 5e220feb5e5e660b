#include "directory/mirror.hpp"

#include <algorithm>
#include <cerrno>
#include <random>
#include <set>
#include <unordered_set>

#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "common/log.hpp"
#include "storage/schema.hpp"

namespace mssgw::directory {

namespace schema = storage::schema;
using storage::table;

namespace {

constexpr std::uint8_t record_format = 1;
constexpr std::uint8_t lease_format = 1;
constexpr std::uint8_t run_format = 1;
constexpr std::uint8_t cookie_format = 1;
constexpr std::uint8_t phase_building = 0;
constexpr std::uint8_t phase_cleanup = 1;

class category : public std::error_category {
 public:
  const char* name() const noexcept override { return "mssgw.directory"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::busy: return "another directory update is in progress";
      case errc::lease_lost: return "the directory update lease was taken over";
      case errc::header_invalid: return "the extraction header is not usable";
      case errc::too_many_errors: return "too many malformed lines: nothing applied";
      case errc::too_many_deletes: return "the update would delete too many entries: nothing applied";
      case errc::corrupt_record: return "corrupt directory record";
      case errc::not_configured: return "LDAP sync is not configured ([directory.ldap] url)";
      case errc::ldap_connect: return "cannot connect to the LDAP server";
      case errc::ldap_bind: return "LDAP bind refused";
      case errc::ldap_search: return "LDAP search failed";
      case errc::ldap_size_limit: return "LDAP size limit exceeded: incomplete result not applied";
      case errc::ldap_protocol: return "malformed LDAP response";
      case errc::ldap_timeout: return "LDAP operation timed out";
      case errc::stopped: return "stopped";
    }
    return "unknown directory error";
  }
};

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::uint64_t process_nonce() {
  static const std::uint64_t nonce = [] {
    std::random_device rd;
    return (static_cast<std::uint64_t>(rd()) << 32) ^ rd() ^ static_cast<std::uint64_t>(getpid());
  }();
  return nonce;
}

std::string host_name() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "?";
  return buf;
}

struct lease_record {
  std::uint64_t token = 0;
  std::uint64_t generation = 0;
  source_kind source = source_kind::extraction;
  std::uint8_t phase = phase_building;
  std::string host;
  std::uint32_t pid = 0;
  std::uint64_t nonce = 0;
  std::int64_t started = 0, expires = 0;
};

std::string encode_lease(const lease_record& l) {
  schema::encoder e(lease_format);
  e.u64(l.token).u64(l.generation).u8(static_cast<std::uint8_t>(l.source)).u8(l.phase).str(l.host).u32(l.pid);
  e.u64(l.nonce).i64(l.started).i64(l.expires);
  return e.take();
}

std::optional<lease_record> decode_lease(std::string_view v) {
  schema::decoder d(v);
  lease_record l;
  l.token = d.u64();
  l.generation = d.u64();
  l.source = static_cast<source_kind>(d.u8());
  l.phase = d.u8();
  l.host = d.str();
  l.pid = d.u32();
  l.nonce = d.u64();
  l.started = d.i64();
  l.expires = d.i64();
  if (!d.ok() || d.version() != lease_format) return std::nullopt;
  return l;
}

// A lease holds while it has not expired and its owner may still be running.
bool lease_alive(const lease_record& l, std::int64_t now) {
  if (l.expires <= now) return false;
  static const std::string self_host = host_name();
  if (l.host != self_host) return true;  // cannot check a process elsewhere: wait for expiry
  if (l.pid == static_cast<std::uint32_t>(getpid())) return l.nonce == process_nonce();  // else: our previous life
  if (kill(static_cast<pid_t>(l.pid), 0) == 0) return true;
  return errno == EPERM;
}

std::error_code corrupt() { return make_error_code(errc::corrupt_record); }

// Checks that the lease is still ours and renews it. Returns the lease for callers that update it further.
std::error_code renew(storage::write_txn& txn, std::uint64_t token, std::chrono::seconds duration,
                      lease_record* out = nullptr) {
  auto v = txn.get(table::directory, schema::directory_meta_lease);
  if (!v) return make_error_code(errc::lease_lost);
  auto l = decode_lease(*v);
  if (!l || l->token != token) return make_error_code(errc::lease_lost);
  l->expires = unix_now() + duration.count();
  txn.put(table::directory, schema::directory_meta_lease, encode_lease(*l));
  if (out) *out = *l;
  return {};
}

// Brings one record back to a single visible version at committed generation `g`: versions newer than g (an aborted
// build) and older than the visible one (superseded by a committed build) are dropped with the index keys only
// they had; a record whose visible version is a tombstone disappears.
std::error_code settle_record(storage::write_txn& txn, std::string_view address, std::uint64_t g) {
  std::string key = schema::directory_entry_key(address);
  auto value = txn.get(table::directory, key);
  if (!value) return {};
  std::string bytes(*value);  // the view dies with the first write below
  std::vector<record_version> versions;
  if (!decode_record(bytes, versions)) return corrupt();
  const record_version* keep = nullptr;
  for (const auto& v : versions) {
    if (v.generation <= g) keep = &v;
  }
  if (versions.size() == 1 && keep && !keep->tombstone) return {};  // an insert: already what readers see
  std::vector<std::string> keep_keys, drop_keys;
  if (keep && !keep->tombstone) index_keys(address, keep->content, keep_keys);
  for (const auto& v : versions) {
    if (&v == keep || v.tombstone) continue;
    index_keys(address, v.content, drop_keys);
  }
  std::sort(keep_keys.begin(), keep_keys.end());
  for (const auto& k : drop_keys) {
    if (!std::binary_search(keep_keys.begin(), keep_keys.end(), k)) txn.erase(table::directory_index, k);
  }
  if (!keep || keep->tombstone) {
    txn.erase(table::directory, key);
  } else if (versions.size() > 1) {
    txn.put(table::directory, key, encode_record({*keep}));
  }
  return {};
}

// One step of the merged, address-ordered walk over a plan's upserts and deletes.
struct plan_item {
  std::string_view address;
  const std::string* content;  // null: delete
};

std::vector<plan_item> merge_items(const plan& p) {
  std::vector<plan_item> ups, dels, items;
  ups.reserve(p.upserts.size());
  dels.reserve(p.deletes.size());
  for (const auto& [a, c] : p.upserts) ups.push_back({a, &c});
  for (const auto& a : p.deletes) dels.push_back({a, nullptr});
  auto by_address = [](const plan_item& x, const plan_item& y) { return x.address < y.address; };
  // Plans come sorted; sort anyway if one is not (a linear check).
  if (!std::is_sorted(ups.begin(), ups.end(), by_address)) std::sort(ups.begin(), ups.end(), by_address);
  if (!std::is_sorted(dels.begin(), dels.end(), by_address)) std::sort(dels.begin(), dels.end(), by_address);
  items.resize(ups.size() + dels.size());
  std::merge(ups.begin(), ups.end(), dels.begin(), dels.end(), items.begin(), by_address);
  return items;
}

}  // namespace

const std::error_category& error_category() {
  static const category c;
  return c;
}

// ---- records ----

bool decode_record(std::string_view bytes, std::vector<record_version>& out) {
  out.clear();
  schema::decoder d(bytes);
  std::uint8_t count = d.u8();
  if (!d.ok() || d.version() != record_format || count == 0 || count > 4) return false;
  for (std::uint8_t i = 0; i < count; ++i) {
    record_version v;
    v.generation = d.u64();
    v.tombstone = d.u8() == 0;
    auto src = d.u8();
    v.source = static_cast<source_kind>(src);
    v.updated = d.i64();
    v.content = d.str();
    if (!d.ok() || src < 1 || src > 3) return false;
    if (!out.empty() && out.back().generation >= v.generation) return false;
    out.push_back(v);
  }
  return d.at_end();
}

std::string encode_record(const std::vector<record_version>& versions) {
  schema::encoder e(record_format);
  e.u8(static_cast<std::uint8_t>(versions.size()));
  for (const auto& v : versions) {
    e.u64(v.generation).u8(v.tombstone ? 0 : 1).u8(static_cast<std::uint8_t>(v.source)).i64(v.updated);
    e.str(v.tombstone ? std::string_view() : v.content);
  }
  return e.take();
}

const record_version* visible_version(const std::vector<record_version>& versions, std::uint64_t g) {
  const record_version* best = nullptr;
  for (const auto& v : versions) {
    if (v.generation <= g) best = &v;
  }
  return best && !best->tombstone ? best : nullptr;
}

namespace {
// The indexed values of one version: (kind, value), with the joined name tokens for kind 'p'. Kind 'u' is the
// entryUUID. index_keys() and the index phase of a build both derive their keys from this one function.
template <class Visit>
void visit_index_values(std::string_view content, Visit&& visit) {
  index_view v;
  if (!decode_index_view(content, v)) return;
  if (!v.idnat.empty() && v.idnat.size() <= schema::directory_max_indexed) visit('n', v.idnat, std::string_view());
  if (!v.structure_id.empty() && v.structure_id.size() <= schema::directory_max_indexed) {
    visit('s', v.structure_id, std::string_view());
  }
  auto tokens = name_tokens(v.surname, v.given_name);
  std::string joined;
  for (const auto& t : tokens) joined += (joined.empty() ? "" : " ") + t;
  for (const auto& t : tokens) visit('p', std::string_view(t), std::string_view(joined));
  if (v.entry_uuid.size() == 16) visit('u', v.entry_uuid, std::string_view());
}

std::string make_index_key(char kind, std::string_view value, std::string_view address) {
  return kind == 'u' ? schema::directory_uuid_key(value, address) : schema::directory_index_key(kind, value, address);
}

template <class Add>
void visit_index(std::string_view address, std::string_view content, Add&& add) {
  visit_index_values(content, [&](char kind, std::string_view value, std::string_view joined) {
    add(make_index_key(kind, value, address), joined);
  });
}
}  // namespace

void index_keys(std::string_view address, std::string_view content, std::vector<std::string>& out) {
  visit_index(address, content, [&](std::string&& key, std::string_view) { out.push_back(std::move(key)); });
}

void index_entries(std::string_view address, std::string_view content,
                   std::vector<std::pair<std::string, std::string>>& out) {
  visit_index(address, content,
              [&](std::string&& key, std::string_view value) { out.emplace_back(std::move(key), value); });
}

std::size_t unknown_uuids(const storage::read_txn& txn, const std::vector<std::string>& uuids) {
  const std::uint64_t g = committed_generation(txn);
  std::vector<record_version> versions;
  std::vector<std::string> candidates;
  std::size_t unknown = 0;
  for (const auto& uuid : uuids) {
    candidates.clear();
    txn.scan_prefix(table::directory_index, schema::directory_uuid_key(uuid, ""),
                    [&](std::string_view key, std::string_view) {
                      candidates.emplace_back(key.substr(17));
                      return true;
                    });
    bool found = false;
    for (const auto& a : candidates) {
      auto value = txn.get(table::directory, schema::directory_entry_key(a));
      if (!value || !decode_record(*value, versions)) continue;
      const record_version* v = visible_version(versions, g);
      index_view iv;
      if (v && v->source == source_kind::ldap && decode_index_view(v->content, iv) && iv.entry_uuid == uuid) {
        found = true;
        break;
      }
    }
    unknown += !found;
  }
  return unknown;
}

std::uint64_t committed_generation(const storage::read_txn& txn) {
  auto v = txn.get(table::directory, schema::directory_meta_generation);
  return v && v->size() == 8 ? schema::get_u64(*v) : 0;
}

// ---- meta ----

std::optional<run_stats> read_run_stats(const storage::read_txn& txn, source_kind source) {
  auto v = txn.get(table::directory, schema::directory_run_key(to_string(source)));
  if (!v) return std::nullopt;
  schema::decoder d(*v);
  run_stats s;
  s.last_success = d.i64();
  s.entries = d.u64();
  s.added = d.u64();
  s.updated = d.u64();
  s.deleted = d.u64();
  s.mode = static_cast<run_mode>(d.u8());
  if (!d.ok() || d.version() != run_format) return std::nullopt;
  return s;
}

void write_run_stats(storage::write_txn& txn, source_kind source, const run_stats& s) {
  schema::encoder e(run_format);
  e.i64(s.last_success).u64(s.entries).u64(s.added).u64(s.updated).u64(s.deleted).u8(static_cast<std::uint8_t>(s.mode));
  txn.put(table::directory, schema::directory_run_key(to_string(source)), e.take());
}

std::optional<stored_cookie> read_cookie(const storage::read_txn& txn) {
  auto v = txn.get(table::directory, schema::directory_meta_cookie);
  if (!v) return std::nullopt;
  schema::decoder d(*v);
  stored_cookie c;
  c.fingerprint = d.str();
  c.cookie = d.str();
  if (!d.ok() || d.version() != cookie_format) return std::nullopt;
  return c;
}

void write_cookie(storage::write_txn& txn, const stored_cookie& c) {
  schema::encoder e(cookie_format);
  e.str(c.fingerprint).str(c.cookie);
  txn.put(table::directory, schema::directory_meta_cookie, e.take());
}

void erase_cookie(storage::write_txn& txn) { txn.erase(table::directory, schema::directory_meta_cookie); }

std::optional<lease_info> read_lease(const storage::read_txn& txn) {
  auto v = txn.get(table::directory, schema::directory_meta_lease);
  if (!v) return std::nullopt;
  auto l = decode_lease(*v);
  if (!l) return std::nullopt;
  return lease_info{l->host, l->pid, l->source, l->generation, l->started, l->expires};
}

// ---- build session ----

build_session::build_session(storage::kv_store& store, storage::writer& writer, source_kind source,
                             build_options options)
    : store_(store), writer_(writer), source_(source), options_(options) {
  std::random_device rd;
  token_ = (static_cast<std::uint64_t>(rd()) << 32) | rd();
  if (token_ == 0) token_ = 1;
  status_ = acquire();
  if (!status_) status_ = settle();
  if (status_ && status_ != errc::busy) release();
}

build_session::~build_session() { release(); }

std::error_code build_session::run(storage::write_unit unit) { return writer_.run(std::move(unit)); }

std::error_code build_session::acquire() {
  std::optional<lease_info> holder;
  bool took_over = false;
  auto ec = run([this, &holder, &took_over](storage::write_txn& txn) -> std::error_code {
    holder.reset();
    took_over = false;
    const std::int64_t now = unix_now();
    if (auto v = txn.get(table::directory, schema::directory_meta_lease)) {
      auto l = decode_lease(*v);
      if (l && lease_alive(*l, now)) {
        holder = lease_info{l->host, l->pid, l->source, l->generation, l->started, l->expires};
        return make_error_code(errc::busy);
      }
      took_over = true;
    }
    lease_record mine;
    mine.token = token_;
    mine.source = source_;
    mine.host = host_name();
    mine.pid = static_cast<std::uint32_t>(getpid());
    mine.nonce = process_nonce();
    mine.started = now;
    mine.expires = now + options_.lease.count();
    txn.put(table::directory, schema::directory_meta_lease, encode_lease(mine));
    return {};
  });
  holder_ = holder;
  if (!ec && took_over) {
    log::context(log::module::directory).warn("directory.lease.taken_over", {{"source", to_string(source_)}});
  }
  if (ec) released_ = true;  // nothing of ours to release
  return ec;
}

std::error_code build_session::settle() {
  const std::size_t batch = std::max<std::size_t>(1, options_.batch_keys / 2);
  for (;;) {
    bool more = false;
    auto ec = run([this, batch, &more](storage::write_txn& txn) -> std::error_code {
      more = false;
      if (auto lost = renew(txn, token_, options_.lease)) return lost;
      const std::uint64_t g = committed_generation(txn);
      std::vector<std::string> keys;
      txn.scan_prefix(table::directory_index, "c", [&](std::string_view k, std::string_view) {
        keys.emplace_back(k);
        return keys.size() < batch;
      });
      for (const auto& k : keys) {
        if (k.size() < 9) {
          txn.erase(table::directory_index, k);
          continue;
        }
        if (auto bad = settle_record(txn, std::string_view(k).substr(9), g)) return bad;
        txn.erase(table::directory_index, k);
      }
      more = keys.size() == batch;
      if (more) return {};
      // Range keys: inserts of a build. Committed: nothing to clean. Aborted: every record of the range that
      // carries a version newer than g is rolled back (records of the range the build did not touch are left).
      std::vector<std::pair<std::string, std::string>> ranges;
      txn.scan_prefix(table::directory_index, "r", [&](std::string_view k, std::string_view v) {
        ranges.emplace_back(k, v);
        return ranges.size() < 64;
      });
      std::vector<record_version> versions;
      for (const auto& [k, last] : ranges) {
        if (k.size() >= 9 && schema::get_u64(k, 1) > g) {
          std::vector<std::string> aborted;
          std::string from = schema::directory_entry_key(std::string_view(k).substr(9));
          std::string to = schema::directory_entry_key(last);
          to.push_back('\0');  // inclusive of `last`
          txn.scan(table::directory, from, to, [&](std::string_view key, std::string_view value) {
            if (!decode_record(value, versions) || versions.back().generation > g) aborted.emplace_back(key.substr(1));
            return true;
          });
          for (const auto& a : aborted) {
            if (auto bad = settle_record(txn, a, g)) return bad;
          }
        }
        txn.erase(table::directory_index, k);
      }
      more = ranges.size() == 64;
      return {};
    });
    if (ec) return ec;
    if (!more) return {};
  }
}

void build_session::release() {
  if (released_) return;
  released_ = true;
  auto ec = run([token = token_](storage::write_txn& txn) -> std::error_code {
    auto v = txn.get(table::directory, schema::directory_meta_lease);
    if (!v) return {};
    auto l = decode_lease(*v);
    if (l && l->token == token) txn.erase(table::directory, schema::directory_meta_lease);
    return {};
  });
  if (ec) log::context(log::module::directory).warn("directory.lease.release_failed", {{"reason", ec.message()}});
}

plan build_session::plan_replace(content_map&& desired, std::int64_t) {
  plan p;
  p.source = source_;
  auto txn = store_.begin_read();
  const std::uint64_t g = committed_generation(*txn);
  std::vector<record_version> versions;
  txn->scan_prefix(table::directory, "e", [&](std::string_view key, std::string_view value) {
    const std::string_view address = key.substr(1);
    if (!decode_record(value, versions)) return true;  // left alone; `status` reports corrupt records
    const record_version* v = visible_version(versions, g);
    if (!v) return true;
    auto it = desired.find(address);
    if (v->source == source_) {
      ++p.owned_before;
      if (it == desired.end()) {
        p.deletes.emplace_back(address);
        ++p.deleted;
      } else {
        if (v->content == it->second) {
          ++p.unchanged;
        } else {
          p.upserts.emplace_back(address, std::move(it->second));
          ++p.updated;
        }
        desired.erase(it);
      }
    } else if (it != desired.end()) {
      if (precedence(v->source) > precedence(source_)) {
        ++p.shadowed;
      } else {
        p.upserts.emplace_back(address, std::move(it->second));
        ++p.taken_over;
      }
      desired.erase(it);
    }
    return true;
  });
  for (auto& [a, c] : desired) {
    p.upserts.emplace_back(a, std::move(c));
    ++p.added;
  }
  desired.clear();
  std::sort(p.upserts.begin(), p.upserts.end(),
            [](const auto& x, const auto& y) { return x.first < y.first; });
  return p;
}

plan build_session::plan_delta(sync_delta&& delta, std::int64_t) {
  plan p;
  p.source = source_;
  auto txn = store_.begin_read();
  const std::uint64_t g = committed_generation(*txn);
  if (auto stats = read_run_stats(*txn, source_)) p.owned_before = stats->entries;

  std::vector<record_version> versions;
  // The visible version of `address`: {source, content}, or nothing.
  auto visible = [&](std::string_view address) -> std::optional<std::pair<source_kind, std::string>> {
    auto value = txn->get(table::directory, schema::directory_entry_key(address));
    if (!value || !decode_record(*value, versions)) return std::nullopt;
    const record_version* v = visible_version(versions, g);
    if (!v) return std::nullopt;
    return std::make_pair(v->source, std::string(v->content));
  };
  // entryUUID -> the address whose visible LDAP version carries it (index keys are hints: check each).
  auto resolve = [&](std::string_view uuid) -> std::optional<std::string> {
    std::optional<std::string> found;
    std::vector<std::string> candidates;
    txn->scan_prefix(table::directory_index, schema::directory_uuid_key(uuid, ""),
                     [&](std::string_view key, std::string_view) {
                       candidates.emplace_back(key.substr(17));
                       return true;
                     });
    for (const auto& a : candidates) {
      auto v = visible(a);
      index_view iv;
      if (v && v->first == source_kind::ldap && decode_index_view(v->second, iv) && iv.entry_uuid == uuid) {
        found = a;
        break;
      }
    }
    return found;
  };

  content_map ups;  // address -> content
  std::set<std::string> dels;
  for (auto& e : delta.changed) {
    e.source = source_kind::ldap;
    if (auto old = resolve(e.entry_uuid); old && *old != e.address) dels.insert(*old);  // a rename (modrdn)
    ups[e.address] = encode_content(e);
  }
  for (const auto& u : delta.deleted_uuids) {
    if (auto a = resolve(u)) dels.insert(*a);
  }
  if (delta.present_phase) {
    // RFC 4533 §3.3.1: with refreshDeletes FALSE, entries neither present nor changed are gone.
    std::unordered_set<std::string> kept(delta.present_uuids.begin(), delta.present_uuids.end());
    for (const auto& e : delta.changed) kept.insert(e.entry_uuid);
    std::string uuid;
    txn->scan_prefix(table::directory, "e", [&](std::string_view key, std::string_view value) {
      if (!decode_record(value, versions)) return true;
      const record_version* v = visible_version(versions, g);
      index_view iv;
      if (!v || v->source != source_kind::ldap || !decode_index_view(v->content, iv)) return true;
      uuid.assign(iv.entry_uuid);
      if (!kept.count(uuid)) dels.emplace(key.substr(1));
      return true;
    });
  }
  for (auto& [address, content] : ups) {
    dels.erase(address);  // an address both vacated and re-used in one refresh stays
    auto existing = visible(address);
    if (!existing) {
      ++p.added;
    } else if (existing->first == source_kind::ldap) {
      if (existing->second == content) {
        ++p.unchanged;
        continue;
      }
      ++p.updated;
    } else if (precedence(existing->first) > precedence(source_)) {
      ++p.shadowed;
      continue;
    } else {
      ++p.taken_over;
    }
    p.upserts.emplace_back(address, std::move(content));
  }
  for (const auto& a : dels) {
    auto existing = visible(a);
    if (!existing || existing->first != source_) continue;
    p.deletes.push_back(a);
    ++p.deleted;
  }
  std::sort(p.upserts.begin(), p.upserts.end(),
            [](const auto& x, const auto& y) { return x.first < y.first; });
  return p;
}

std::error_code build_session::apply(const plan& p, std::int64_t now,
                                     std::function<void(storage::write_txn&)> at_flip) {
  if (status_) return status_;
  if (p.empty()) {
    return run([this, &at_flip](storage::write_txn& txn) -> std::error_code {
      if (auto lost = renew(txn, token_, options_.lease)) return lost;
      if (at_flip) at_flip(txn);
      return {};
    });
  }
  const auto t_start = std::chrono::steady_clock::now();
  timespec cpu_start{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu_start);
  auto ms_since = [](std::chrono::steady_clock::time_point t) {
    return static_cast<std::int64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t).count());
  };
  const std::uint64_t g = committed_generation(*store_.begin_read());
  const std::uint64_t b = g + 1;
  const std::size_t batch = std::max<std::size_t>(1, options_.batch_keys);
  const source_kind source = source_;

  // 0. Record the generation being built in the lease (status shows it; a crash is rolled back by the next build).
  if (auto ec = run([this, g, b](storage::write_txn& txn) -> std::error_code {
        lease_record l;
        if (auto lost = renew(txn, token_, options_.lease, &l)) return lost;
        if (committed_generation(txn) != g) return make_error_code(errc::lease_lost);
        l.generation = b;
        txn.put(table::directory, schema::directory_meta_lease, encode_lease(l));
        return {};
      })) {
    return ec;
  }

  auto data_unit = [this](storage::write_unit unit) -> std::error_code {
    if (units_run_ >= fail_after_) return make_error_code(errc::stopped);
    ++units_run_;
    return run(std::move(unit));
  };

  // 1. New versions and the change list, in address order (two keys per address: a record and a change key).
  const std::vector<plan_item> items = merge_items(p);
  const std::size_t per_unit = std::max<std::size_t>(1, batch / 2);
  for (std::size_t start = 0; start < items.size(); start += per_unit) {
    const std::size_t end = std::min(items.size(), start + per_unit);
    auto ec = data_unit([this, &items, start, end, g, b, now, source](storage::write_txn& txn) -> std::error_code {
      if (auto lost = renew(txn, token_, options_.lease)) return lost;
      std::vector<record_version> versions, next;
      std::string_view first_insert, last_insert;
      for (std::size_t i = start; i < end; ++i) {
        const plan_item& item = items[i];
        std::string key = schema::directory_entry_key(item.address);
        std::string old;
        if (auto v = txn.get(table::directory, key)) old.assign(*v);
        next.clear();
        if (!old.empty()) {
          if (!decode_record(old, versions)) return corrupt();
          const record_version* keep = nullptr;
          for (const auto& v : versions) {
            if (v.generation <= g) keep = &v;
          }
          if (keep) next.push_back(*keep);
        }
        if (!item.content && (next.empty() || next.back().tombstone)) continue;  // nothing to delete
        record_version fresh;
        fresh.generation = b;
        fresh.tombstone = item.content == nullptr;
        fresh.source = source;
        fresh.updated = now;
        if (item.content) fresh.content = *item.content;
        const bool insert = next.empty();
        next.push_back(fresh);
        txn.put(table::directory, key, encode_record(next));
        if (insert) {
          // Inserts need no cleanup after the flip, only a rollback after a crash: one range key per unit.
          if (first_insert.empty()) first_insert = item.address;
          last_insert = item.address;
        } else {
          txn.put(table::directory_index, schema::directory_change_key(b, item.address), "");
        }
      }
      if (!first_insert.empty()) {
        txn.put(table::directory_index, schema::directory_range_key(b, first_insert), last_insert);
      }
      return {};
    });
    if (ec) return ec;
  }

  const std::int64_t records_ms = ms_since(t_start);
  const auto t_index = std::chrono::steady_clock::now();
  std::size_t index_count = 0;
  std::int64_t group_ms = 0;
  // 2. Index keys of the new versions, written in key order so that each unit touches neighbouring pages (random
  // order would rewrite most of the index's pages at every commit). The sort is over small (kind, view, position)
  // triples, not over the keys themselves, which are only built when written.
  {
    // (kind, value, upsert) triples; values are views into the plan's contents or into `joined`, which outlive them.
    struct indexed {
      char kind;
      std::string_view value;
      std::uint32_t upsert;
    };
    std::vector<std::string> joined(p.upserts.size());
    std::vector<indexed> values;
    values.reserve(p.upserts.size() * 4);
    for (std::uint32_t i = 0; i < p.upserts.size(); ++i) {
      visit_index_values(p.upserts[i].second, [&](char kind, std::string_view value, std::string_view names) {
        if (kind != 'p') {
          values.push_back({kind, value, i});  // a view into p.upserts[i].second
        } else if (joined[i].empty()) {
          joined[i].assign(names);  // the tokens, space-separated: view each one inside it
          for (auto t : split_tokens(joined[i])) values.push_back({'p', t, i});
        }
      });
    }
    // Kind, then value, then address (upserts are in address order): exactly the order of the keys.
    std::sort(values.begin(), values.end(), [](const indexed& x, const indexed& y) {
      if (x.kind != y.kind) return x.kind < y.kind;
      if (int c = x.value.compare(y.value); c != 0) return c < 0;
      return x.upsert < y.upsert;
    });
    group_ms = ms_since(t_index);
    std::vector<std::pair<std::string, std::string>> pending;
    pending.reserve(batch);
    auto flush = [&]() -> std::error_code {
      if (pending.empty()) return {};
      index_count += pending.size();
      auto ec = data_unit([this, &pending](storage::write_txn& txn) -> std::error_code {
        if (auto lost = renew(txn, token_, options_.lease)) return lost;
        for (const auto& [key, value] : pending) txn.put(table::directory_index, key, value);
        return {};
      });
      pending.clear();
      return ec;
    };
    for (const auto& v : values) {
      pending.emplace_back(make_index_key(v.kind, v.value, p.upserts[v.upsert].first),
                           v.kind == 'p' ? joined[v.upsert] : std::string());
      if (pending.size() >= batch) {
        if (auto ec = flush()) return ec;
      }
    }
    if (auto ec = flush()) return ec;
  }
  const std::int64_t index_ms = ms_since(t_index);
  // 3. The flip: from this commit on, readers see generation b.
  if (auto ec = run([this, g, b, &at_flip](storage::write_txn& txn) -> std::error_code {
        lease_record l;
        if (auto lost = renew(txn, token_, options_.lease, &l)) return lost;
        if (committed_generation(txn) != g) return make_error_code(errc::lease_lost);
        txn.put(table::directory, schema::directory_meta_generation, schema::u64_key(b));
        l.phase = phase_cleanup;
        txn.put(table::directory, schema::directory_meta_lease, encode_lease(l));
        if (at_flip) at_flip(txn);
        return {};
      })) {
    return ec;
  }

  // 4. Cleanup: superseded versions and their index keys. A failure here is harmless for readers; the next build
  // finishes it.
  if (skip_cleanup_) return {};
  const auto t_cleanup = std::chrono::steady_clock::now();
  if (auto ec = settle()) {
    log::context(log::module::directory).warn("directory.cleanup.deferred", {{"reason", ec.message()}});
  }
  timespec cpu_end{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu_end);
  const std::int64_t cpu_ms =
      (cpu_end.tv_sec - cpu_start.tv_sec) * 1000 + (cpu_end.tv_nsec - cpu_start.tv_nsec) / 1000000;
  log::context(log::module::directory)
      .info("directory.build.done", {{"source", to_string(source_)}, {"generation", b}, {"records", items.size()},
                                     {"index_keys", index_count}, {"records_ms", records_ms},
                                     {"index_ms", index_ms}, {"index_group_ms", group_ms}, {"cleanup_ms", ms_since(t_cleanup)},
                                     {"total_ms", ms_since(t_start)}, {"process_cpu_ms", cpu_ms}});
  return {};
}

}  // namespace mssgw::directory
