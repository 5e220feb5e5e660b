#include "directory/lookup.hpp"

#include <algorithm>
#include <unordered_set>

#include "directory/mirror.hpp"
#include "storage/account_store.hpp"
#include "storage/schema.hpp"

namespace mssgw::directory {

namespace schema = storage::schema;
using storage::table;

namespace {

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool starts_with_any(const std::vector<std::string>& tokens, std::string_view word) {
  return std::any_of(tokens.begin(), tokens.end(),
                     [&](const std::string& t) { return std::string_view(t).substr(0, word.size()) == word; });
}

}  // namespace

bool local_policy::domain_is_local(std::string_view address) const {
  auto at = address.rfind('@');
  if (at == std::string_view::npos || domains.empty()) return false;
  std::string domain = lower_ascii(address.substr(at + 1));
  return std::find(domains.begin(), domains.end(), domain) != domains.end();
}

reader::reader(const storage::read_txn& txn, const local_policy* local) : txn_(txn), local_(local) {
  generation_ = committed_generation(txn);
  for (auto s : {source_kind::extraction, source_kind::ldap}) {
    if (auto stats = read_run_stats(txn, s)) seen_[static_cast<int>(s)] = stats->last_success;
  }
}

std::optional<entry> reader::load(std::string_view address) const {
  thread_local std::string key;
  key.assign(1, 'e');  // schema::directory_entry_key, without an allocation per lookup
  key.append(address);
  auto value = txn_.get(table::directory, key);
  if (!value) return std::nullopt;
  thread_local std::vector<record_version> versions;
  if (!decode_record(*value, versions)) return std::nullopt;
  const record_version* v = visible_version(versions, generation_);
  if (!v) return std::nullopt;
  entry e;
  if (!decode_content(v->content, e)) return std::nullopt;
  e.address.assign(address);
  e.source = v->source;
  e.updated = v->updated;
  return e;
}

void reader::finish(entry& e) const {
  auto s = static_cast<int>(e.source);
  e.last_seen = (s >= 0 && s < 4) ? seen_[s] : 0;
  // schema::account_key(address) is the address itself.
  e.local = e.source == source_kind::local || (local_ && local_->domain_is_local(e.address)) ||
            txn_.get(table::accounts, e.address).has_value();
}

std::optional<entry> reader::by_address(std::string_view address) const {
  thread_local std::string key;
  key.assign(address);
  for (char& c : key) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  if (key.empty() || key.size() > storage::max_key_size - 1) return std::nullopt;
  if (auto e = load(key)) {
    finish(*e);
    return e;
  }
  auto bal = storage::accounts::get(txn_, key);
  if (!bal) return std::nullopt;
  // A local BAL that no source lists: what the operator knows of it.
  entry e;
  e.address = bal->address;
  e.type = bal->type;
  e.idnat = bal->owner_idnat;
  if (e.type == bal_type::PER || e.type == bal_type::CAB) {
    e.surname = bal->display_name;
  } else {
    e.service = bal->display_name;
  }
  e.source = source_kind::local;
  e.updated = bal->created;
  finish(e);
  return e;
}

std::vector<entry> reader::by_index(char kind, std::string_view value, const search_options& options) const {
  std::vector<entry> out;
  if (value.empty() || value.size() > schema::directory_max_indexed || options.limit == 0) return out;
  std::string prefix = schema::directory_index_prefix(kind, value, true);
  std::vector<std::string> addresses;
  txn_.scan_prefix(table::directory_index, prefix, [&](std::string_view key, std::string_view) {
    addresses.emplace_back(key.substr(prefix.size()));
    return true;
  });
  for (const auto& a : addresses) {
    auto e = load(a);
    if (!e) continue;  // a key left by a build: its record is gone or not visible yet
    if ((kind == 'n' ? e->idnat : e->structure_id) != value) continue;
    if (e->liste_rouge && !options.include_liste_rouge) continue;
    finish(*e);
    out.push_back(std::move(*e));
    if (out.size() >= options.limit) break;
  }
  return out;
}

std::vector<entry> reader::by_idnat(std::string_view idnat, const search_options& options) const {
  return by_index('n', idnat, options);
}

std::vector<entry> reader::by_structure(std::string_view structure_id, const search_options& options) const {
  return by_index('s', structure_id, options);
}

std::vector<entry> reader::search_name(std::string_view text, const search_options& options) const {
  std::vector<entry> out;
  std::string folded = fold(text);
  std::vector<std::string> words;
  for (auto w : split_tokens(folded)) words.emplace_back(w.substr(0, max_token_size));
  if (words.empty() || options.limit == 0) return out;
  // Scan on the longest word: the most selective prefix.
  const std::string& scan_word =
      *std::max_element(words.begin(), words.end(), [](const auto& a, const auto& b) { return a.size() < b.size(); });
  std::string prefix = schema::directory_index_prefix('p', scan_word, false);
  std::unordered_set<std::string> seen;
  std::vector<std::string_view> hint;
  txn_.scan_prefix(table::directory_index, prefix, [&](std::string_view key, std::string_view value) {
    auto nul = key.find('\0', 1);
    if (nul == std::string_view::npos) return true;
    if (!value.empty() && words.size() > 1) {
      // The key's value lists the entry's tokens: most candidates of a multi-word search stop here, unread.
      hint = split_tokens(value);
      for (const auto& w : words) {
        if (std::none_of(hint.begin(), hint.end(), [&](std::string_view t) { return t.substr(0, w.size()) == w; })) {
          return true;
        }
      }
    }
    std::string address(key.substr(nul + 1));
    if (!seen.insert(address).second) return true;
    auto e = load(address);
    if (!e) return true;
    if (e->liste_rouge && !options.include_liste_rouge) return true;
    auto tokens = name_tokens(e->surname, e->given_name);
    for (const auto& w : words) {
      if (!starts_with_any(tokens, w)) return true;
    }
    finish(*e);
    out.push_back(std::move(*e));
    return out.size() < options.limit;
  });
  return out;
}

void reader::for_each(const std::function<bool(const entry&)>& visit) const {
  std::vector<record_version> versions;
  txn_.scan_prefix(table::directory, "e", [&](std::string_view key, std::string_view value) {
    if (!decode_record(value, versions)) return true;
    const record_version* v = visible_version(versions, generation_);
    if (!v) return true;
    entry e;
    if (!decode_content(v->content, e)) return true;
    e.address.assign(key.substr(1));
    e.source = v->source;
    e.updated = v->updated;
    finish(e);
    return visit(e);
  });
}

}  // namespace mssgw::directory
