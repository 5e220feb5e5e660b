#include "auth/rights.hpp"

#include <algorithm>

#include "common/ascii.hpp"
#include "storage/schema.hpp"

namespace mssgw::auth {
namespace {

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequal(std::string_view a, std::string_view b) { return common::iequals(a, b); }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Usual names for the OIDs and aliases met in IGC-Santé and operator certificates.
std::string canonical_type(std::string type) {
  for (auto& c : type) c = lower(c);
  static const std::pair<std::string_view, std::string_view> aliases[] = {
      {"2.5.4.3", "cn"},
      {"2.5.4.6", "c"},
      {"2.5.4.10", "o"},
      {"2.5.4.11", "ou"},
      {"2.5.4.7", "l"},
      {"2.5.4.8", "st"},
      {"s", "st"},
      {"2.5.4.5", "serialnumber"},
      {"2.5.4.4", "sn"},
      {"2.5.4.42", "givenname"},
      {"gn", "givenname"},
      {"2.5.4.12", "title"},
      {"2.5.4.9", "street"},
      {"2.5.4.97", "organizationidentifier"},
      {"1.2.840.113549.1.9.1", "emailaddress"},
      {"e", "emailaddress"},
      {"email", "emailaddress"},
      {"0.9.2342.19200300.100.1.25", "dc"},
      {"0.9.2342.19200300.100.1.1", "uid"},
  };
  for (const auto& [from, to] : aliases) {
    if (type == from) return std::string(to);
  }
  return type;
}

bool valid_type(std::string_view t) {
  if (t.empty()) return false;
  if (t[0] >= '0' && t[0] <= '9') {  // numericoid
    return std::all_of(t.begin(), t.end(), [](char c) { return (c >= '0' && c <= '9') || c == '.'; });
  }
  return std::all_of(t.begin(), t.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
  });
}

// Trims, collapses inner space runs to one, lowercases ASCII, escapes every separator the parser knows, so the
// canonical form parses back to itself.
std::string canonical_value(const std::string& raw) {
  std::string out;
  bool pending_space = false;
  for (char c : raw) {
    if (c == ' ') {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    switch (c) {
      case '\\': out.append("\\5c"); break;
      case ',': out.append("\\2c"); break;
      case '+': out.append("\\2b"); break;
      case '=': out.append("\\3d"); break;
      case ';': out.append("\\3b"); break;
      default: out.push_back(lower(c));
    }
  }
  return out;
}

bool holds_all(std::uint32_t have, std::uint32_t want) {
  return want != 0 && (have & want) == want;
}

bool same_identity(const identity& who, std::string_view delegate) {
  if (who.kind == identity_kind::organisation) {
    return delegate.starts_with("dn:") && same_dn(who.subject_dn(), delegate.substr(3));
  }
  if (delegate.starts_with("dn:")) return false;
  return iequal(who.id, delegate);
}

}  // namespace

std::string canonical_dn(std::string_view dn) {
  // RFC 4514 §3: RDNs separated by ',' (';' accepted, RFC 2253 legacy), attributes of an RDN by '+', type '=' value;
  // in values '\' escapes a special character or introduces two hex digits. Spaces around separators are ignored.
  std::vector<std::vector<std::string>> rdns(1);
  std::string type, value;
  bool in_value = false;
  bool any = false;
  auto finish_attribute = [&]() -> bool {
    std::string t = type;
    t.erase(0, t.find_first_not_of(' '));
    t.erase(t.find_last_not_of(' ') + 1);
    if (!in_value || !valid_type(t)) return false;
    // A '#' hexstring (BER value) goes through the same folding: lowercase hex digits.
    rdns.back().push_back(canonical_type(t) + "=" + canonical_value(value));
    type.clear();
    value.clear();
    in_value = false;
    any = true;
    return true;
  };
  for (std::size_t i = 0; i < dn.size(); ++i) {
    char c = dn[i];
    if (c == '\0') return {};
    if (!in_value) {
      if (c == '=') {
        in_value = true;
      } else if (c == ',' || c == ';' || c == '+') {
        return {};
      } else {
        type.push_back(c);
      }
      continue;
    }
    if (c == '\\') {
      if (i + 1 >= dn.size() || dn[i + 1] == '\0') return {};
      int h1 = hex_value(dn[i + 1]);
      int h2 = i + 2 < dn.size() ? hex_value(dn[i + 2]) : -1;
      if (h1 >= 0 && h2 >= 0) {
        char decoded = static_cast<char>(h1 * 16 + h2);
        if (decoded == '\0') return {};
        // An escaped space stays significant inside the value but is still subject to trimming for comparison.
        value.push_back(decoded);
        i += 2;
      } else {
        value.push_back(dn[i + 1]);
        i += 1;
      }
      continue;
    }
    if (c == ',' || c == ';') {
      if (!finish_attribute()) return {};
      rdns.emplace_back();
      continue;
    }
    if (c == '+') {
      if (!finish_attribute()) return {};
      continue;
    }
    value.push_back(c);
  }
  if (!finish_attribute()) return {};
  if (!any) return {};
  std::string out;
  for (auto& rdn : rdns) {
    if (rdn.empty()) return {};
    std::sort(rdn.begin(), rdn.end());
    if (!out.empty()) out.push_back(',');
    for (std::size_t i = 0; i < rdn.size(); ++i) {
      if (i) out.push_back('+');
      out.append(rdn[i]);
    }
  }
  return out;
}

bool same_dn(std::string_view a, std::string_view b) {
  std::string ca = canonical_dn(a);
  return !ca.empty() && ca == canonical_dn(b);
}

std::uint32_t rights_on(const storage::account_record& bal, const identity& who) {
  std::uint32_t rights = 0;
  switch (who.kind) {
    case identity_kind::professional:
    case identity_kind::patient:
      if (bal.type == storage::bal_type::PER && !bal.owner_idnat.empty() && iequal(bal.owner_idnat, who.id)) {
        rights |= all_rights;
      }
      break;
    case identity_kind::local_user:
      if (bal.address == who.id) rights |= local_user_rights;
      return rights;  // a local user's password opens its BAL only: delegations never name addresses
    case identity_kind::organisation: break;
  }
  for (const auto& d : bal.delegations) {
    if (same_identity(who, d.identity)) rights |= d.rights;
  }
  return rights;
}

std::uint32_t rights_on(const storage::read_txn& txn, const identity& who, std::string_view bal) {
  auto record = storage::accounts::get(txn, bal);
  return record ? rights_on(*record, who) : 0;
}

std::vector<bal_access> bals_for(const storage::read_txn& txn, const identity& who) {
  std::vector<bal_access> out;
  if (who.kind == identity_kind::local_user) {
    if (auto record = storage::accounts::get(txn, who.id)) {
      out.push_back({record->address, record->type, rights_on(*record, who), true});
    }
    return out;
  }
  auto add = [&](const storage::account_record& record) {
    std::uint32_t rights = rights_on(record, who);
    if (rights == 0) return;
    bool owned = record.type == storage::bal_type::PER && who.kind != identity_kind::organisation &&
                 iequal(record.owner_idnat, who.id);
    out.push_back({record.address, record.type, rights, owned});
  };
  if (!storage::accounts::index_ready(txn)) {  // a store from before the index, not written since: scan
    for (const auto& record : storage::accounts::list(txn)) add(record);
    return out;
  }
  // The identity's bucket (its lowercased id, or every BAL delegated to a DN: compared canonically by rights_on).
  const std::string bucket = who.kind == identity_kind::organisation
                                 ? std::string(storage::schema::account_index_dn_bucket)
                                 : common::ascii_lowercase(who.id);
  for (const auto& address : storage::accounts::indexed(txn, bucket)) {
    if (auto record = storage::accounts::get(txn, address)) add(*record);
  }
  return out;
}

bool may_open(const storage::read_txn& txn, const identity& who, std::string_view bal, std::uint32_t rights) {
  return holds_all(rights_on(txn, who, bal), rights);
}

bool may_send_as(const storage::read_txn& txn, const identity& who, std::string_view address) {
  return holds_all(rights_on(txn, who, address), storage::right_send);
}

sender_verdict mail_from(const storage::read_txn& txn, const identity& who, std::string_view address) {
  sender_verdict v;
  if (address.empty() || may_send_as(txn, who, address)) {
    v.accept = true;
    v.enhanced = "2.1.0";
    v.client_text = "Sender OK";
    return v;
  }
  v.code = 553;
  v.enhanced = "5.7.1";
  v.client_text = "Sender address not allowed for this login";
  auto normalised = storage::normalise_bal_address(address);
  if (!normalised) {
    v.log_reason = who.describe() + ": MAIL FROM is not a valid BAL address";
  } else if (auto record = storage::accounts::get(txn, *normalised); !record) {
    v.log_reason = who.describe() + ": MAIL FROM " + *normalised + " is not a local BAL";
  } else {
    std::uint32_t rights = rights_on(*record, who);
    v.log_reason = who.describe() + " may not send as " + *normalised +
                   (rights ? " (rights: " + storage::rights_to_string(rights) + ", no send)" : " (no rights)");
  }
  return v;
}

bool is_self(const identity& who, std::string_view requested) {
  if (who.kind == identity_kind::organisation) {
    if (requested.starts_with("dn:")) requested.remove_prefix(3);
    return same_dn(who.subject_dn(), requested);
  }
  return iequal(who.id, requested);
}

authz_verdict authorize(const storage::read_txn& txn, const identity& who, std::string_view requested) {
  authz_verdict v;
  if (requested.empty()) {
    v.allowed = true;
    return v;
  }
  if (is_self(who, requested)) {
    v.allowed = true;
    if (who.kind == identity_kind::local_user) v.bal = who.id;
    return v;
  }
  auto address = storage::normalise_bal_address(requested);
  if (!address) {
    v.log_reason = "authorization identity is neither the identity nor a BAL address";
    return v;
  }
  auto record = storage::accounts::get(txn, *address);
  if (!record) {
    v.log_reason = "authorization identity " + *address + " is not a local BAL";
    return v;
  }
  if (!holds_all(rights_on(*record, who), storage::right_read)) {
    v.log_reason = who.describe() + " may not open " + *address;
    return v;
  }
  v.allowed = true;
  v.bal = *address;
  return v;
}

}  // namespace mssgw::auth
