#include "routing/classify.hpp"

#include <algorithm>

#include "storage/account_store.hpp"
#include "storage/mailbox_store.hpp"
#include "trustspace/whitelist.hpp"

namespace mssgw::routing {

std::string_view name(route_kind k) {
  switch (k) {
    case route_kind::local: return "local";
    case route_kind::unknown_local: return "unknown_local";
    case route_kind::citizen: return "citizen";
    case route_kind::remote: return "remote";
    case route_kind::outside_trust_space: return "outside_trust_space";
  }
  return "?";
}

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string_view domain_of(std::string_view address) {
  auto at = address.rfind('@');
  return at == std::string_view::npos ? std::string_view() : address.substr(at + 1);
}

route classify(std::string_view address, const facts& f) {
  route r;
  r.address = lowercase(address);
  r.domain = std::string(domain_of(r.address));
  if (r.domain.empty()) return r;
  if (std::find(f.local_domains.begin(), f.local_domains.end(), r.domain) != f.local_domains.end()) {
    r.kind = route_kind::unknown_local;
    if (auto bal = storage::accounts::get(f.txn, r.address)) {
      if (auto inbox = storage::mailboxes::get(f.txn, bal->address, "INBOX")) {
        r.kind = route_kind::local;
        r.inbox = inbox->id;
      }
    }
    return r;
  }
  const bool listed = f.whitelist && f.whitelist->listed(r.domain);
  if (!f.citizen_domain.empty() && r.domain == lowercase(f.citizen_domain)) {
    r.kind = listed ? route_kind::citizen : route_kind::outside_trust_space;
    return r;
  }
  r.kind = listed ? route_kind::remote : route_kind::outside_trust_space;
  return r;
}

}  // namespace mssgw::routing
