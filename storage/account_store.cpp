#include "storage/account_store.hpp"

#include <algorithm>
#include <chrono>
#include <set>

#include "common/ascii.hpp"
#include "storage/mailbox_store.hpp"
#include "storage/schema.hpp"

namespace mssgw::storage {
namespace {

constexpr std::uint8_t account_version = 1;

bool atext(char c) {
  // RFC 5322 §3.2.3 atext
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
}

std::string encode(const account_record& a) {
  schema::encoder e(account_version);
  e.u8(static_cast<std::uint8_t>(a.type)).str(a.owner_idnat).str(a.display_name).i64(a.created);
  e.u32(static_cast<std::uint32_t>(a.delegations.size()));
  for (const auto& d : a.delegations) e.str(d.identity).u32(d.rights);
  return e.take();
}

std::optional<account_record> decode(std::string_view address, std::string_view v) {
  schema::decoder d(v);
  account_record a;
  a.address = address;
  a.type = static_cast<bal_type>(d.u8());
  a.owner_idnat = d.str();
  a.display_name = d.str();
  a.created = d.i64();
  std::uint32_t n = d.u32();
  for (std::uint32_t i = 0; i < n && d.ok(); ++i) {
    delegation del;
    del.identity = d.str();
    del.rights = d.u32();
    a.delegations.push_back(std::move(del));
  }
  if (!d.ok() || d.version() != account_version || static_cast<int>(a.type) > 3) return std::nullopt;
  return a;
}

}  // namespace

std::string_view to_string(bal_type t) {
  switch (t) {
    case bal_type::PER: return "PER";
    case bal_type::ORG: return "ORG";
    case bal_type::APP: return "APP";
    case bal_type::CAB: return "CAB";
  }
  return "?";
}

std::optional<bal_type> parse_bal_type(std::string_view text) {
  const std::string t = common::ascii_lowercase(text);
  if (t == "per") return bal_type::PER;
  if (t == "org") return bal_type::ORG;
  if (t == "app") return bal_type::APP;
  if (t == "cab") return bal_type::CAB;
  return std::nullopt;
}

std::string rights_to_string(std::uint32_t rights) {
  std::string out;
  auto add = [&](std::uint32_t bit, std::string_view name) {
    if (rights & bit) out += (out.empty() ? "" : ",") + std::string(name);
  };
  add(right_read, "read");
  add(right_write, "write");
  add(right_send, "send");
  add(right_admin, "admin");
  return out;
}

std::optional<std::uint32_t> parse_rights(std::string_view text) {
  std::uint32_t rights = 0;
  while (!text.empty()) {
    auto comma = text.find(',');
    std::string_view word = text.substr(0, comma);
    if (word == "read") rights |= right_read;
    else if (word == "write") rights |= right_write;
    else if (word == "send") rights |= right_send;
    else if (word == "admin") rights |= right_admin;
    else if (word == "all") rights |= right_read | right_write | right_send | right_admin;
    else return std::nullopt;
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  if (rights == 0) return std::nullopt;
  return rights;
}

std::optional<std::string> normalise_bal_address(std::string_view address) {
  if (address.size() < 3 || address.size() > 254) return std::nullopt;
  auto at = address.rfind('@');
  if (at == std::string_view::npos || at == 0 || at > 64) return std::nullopt;
  std::string_view local = address.substr(0, at), domain = address.substr(at + 1);
  // Local part: dot-atom (no leading, trailing or double dots).
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos) return std::nullopt;
  for (char c : local) {
    if (c != '.' && !atext(c)) return std::nullopt;
  }
  // Domain: LDH labels of 1..63, at least two labels, no leading or trailing hyphen.
  if (domain.empty() || domain.size() > 253 || domain.find('.') == std::string_view::npos) return std::nullopt;
  std::size_t start = 0;
  while (start <= domain.size()) {
    auto dot = domain.find('.', start);
    std::string_view label = domain.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return std::nullopt;
    for (char c : label) {
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-')) return std::nullopt;
    }
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return common::ascii_lowercase(address);
}

bool valid_idnat(std::string_view idnat) {
  if (idnat.size() < 2 || idnat.size() > 30) return false;
  return std::all_of(idnat.begin(), idnat.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
  });
}

bool valid_identity(std::string_view identity) {
  if (identity.starts_with("dn:")) {
    return identity.size() > 3 && identity.size() <= 1024 &&
           std::none_of(identity.begin(), identity.end(), [](char c) { return c == '\0' || c == '\n' || c == '\r'; });
  }
  return valid_idnat(identity);
}

namespace accounts {
namespace {

// The index buckets of one BAL (schema.hpp).
std::set<std::string> buckets_of(const account_record& a) {
  std::set<std::string> out;
  if (a.type == bal_type::PER && !a.owner_idnat.empty()) out.insert(common::ascii_lowercase(a.owner_idnat));
  for (const auto& d : a.delegations) {
    if (d.identity.starts_with(schema::account_index_dn_bucket)) {
      out.insert(std::string(schema::account_index_dn_bucket));
    } else {
      out.insert(common::ascii_lowercase(d.identity));
    }
  }
  return out;
}

// Writes `after`'s index keys, erasing those of `before` it no longer has.
void reindex(write_txn& txn, const account_record* before, const account_record* after) {
  const auto old_keys = before ? buckets_of(*before) : std::set<std::string>{};
  const auto new_keys = after ? buckets_of(*after) : std::set<std::string>{};
  const std::string& address = after ? after->address : before->address;
  for (const auto& b : old_keys) {
    if (!new_keys.contains(b)) txn.erase(table::account_index, schema::account_index_key(b, address));
  }
  for (const auto& b : new_keys) {
    if (!old_keys.contains(b)) txn.put(table::account_index, schema::account_index_key(b, address), {});
  }
}

}  // namespace

void ensure_index(write_txn& txn) {
  if (index_ready(txn)) return;
  for (const auto& a : list(txn)) reindex(txn, nullptr, &a);
  txn.put(table::meta, schema::meta_account_index, "1");
}

bool index_ready(const read_txn& txn) { return txn.get(table::meta, schema::meta_account_index).has_value(); }

std::vector<std::string> indexed(const read_txn& txn, std::string_view bucket) {
  std::vector<std::string> out;
  std::string prefix(bucket);
  prefix.push_back('\0');
  txn.scan_prefix(table::account_index, prefix, [&](std::string_view k, std::string_view) {
    out.emplace_back(k.substr(prefix.size()));
    return true;
  });
  return out;
}

std::error_code create(write_txn& txn, account_record record) {
  auto address = normalise_bal_address(record.address);
  if (!address) return errc::invalid_argument;
  if (!record.owner_idnat.empty() && !valid_idnat(record.owner_idnat)) return errc::invalid_argument;
  if (record.type == bal_type::PER && record.owner_idnat.empty()) return errc::invalid_argument;
  record.address = *address;
  if (txn.get(table::accounts, schema::account_key(record.address))) return errc::already_exists;
  if (record.created == 0) {
    record.created =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  }
  ensure_index(txn);
  txn.put(table::accounts, schema::account_key(record.address), encode(record));
  reindex(txn, nullptr, &record);
  for (const auto& mb : default_mailboxes) {
    if (auto ec = mailboxes::create(txn, record.address, mb.name, mb.special_use)) return ec;
  }
  return {};
}

std::optional<account_record> get(const read_txn& txn, std::string_view address) {
  auto normalised = normalise_bal_address(address);
  if (!normalised) return std::nullopt;
  auto v = txn.get(table::accounts, schema::account_key(*normalised));
  if (!v) return std::nullopt;
  return decode(*normalised, *v);
}

std::vector<account_record> list(const read_txn& txn) {
  std::vector<account_record> out;
  txn.scan(table::accounts, {}, {}, [&](std::string_view k, std::string_view v) {
    if (auto a = decode(k, v)) out.push_back(std::move(*a));
    return true;
  });
  return out;
}

std::error_code remove(write_txn& txn, std::string_view address) {
  auto a = get(txn, address);
  if (!a) return errc::not_found;
  for (const auto& mb : mailboxes::list(txn, a->address)) {
    if (auto ec = mailboxes::remove(txn, a->address, mb.name)) return ec;
  }
  ensure_index(txn);
  txn.erase(table::accounts, schema::account_key(a->address));
  reindex(txn, &*a, nullptr);
  return {};
}

std::error_code grant(write_txn& txn, std::string_view address, std::string_view identity, std::uint32_t rights) {
  if (!valid_identity(identity) || rights == 0) return errc::invalid_argument;
  auto a = get(txn, address);
  if (!a) return errc::not_found;
  ensure_index(txn);
  const account_record before = *a;
  auto it = std::find_if(a->delegations.begin(), a->delegations.end(),
                         [&](const delegation& d) { return d.identity == identity; });
  if (it == a->delegations.end()) {
    a->delegations.push_back({std::string(identity), rights});
  } else {
    it->rights |= rights;
  }
  txn.put(table::accounts, schema::account_key(a->address), encode(*a));
  reindex(txn, &before, &*a);
  return {};
}

std::error_code revoke(write_txn& txn, std::string_view address, std::string_view identity, std::uint32_t rights) {
  auto a = get(txn, address);
  if (!a) return errc::not_found;
  auto it = std::find_if(a->delegations.begin(), a->delegations.end(),
                         [&](const delegation& d) { return d.identity == identity; });
  if (it == a->delegations.end()) return errc::not_found;
  ensure_index(txn);
  const account_record before = *a;
  it->rights &= ~rights;
  if (it->rights == 0) a->delegations.erase(it);
  txn.put(table::accounts, schema::account_key(a->address), encode(*a));
  reindex(txn, &before, &*a);
  return {};
}

}  // namespace accounts
}  // namespace mssgw::storage
