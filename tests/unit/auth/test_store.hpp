// A memory store with a few BALs and delegations, shared by the SASL and rights tests.
#pragma once
#include <catch2/catch.hpp>
#include <memory>

#include "storage/account_store.hpp"
#include "storage/memory/memory_store.hpp"

namespace mssgw::test {

inline constexpr std::string_view org_dn = "CN=lgc-alpha,OU=1234567890,O=Clinique Alpha,ST=Paris (75),C=FR";

// dupont@hopital.test      PER  owner 810001234567
// martin@hopital.test      PER  owner 810009999999; delegates 810001234567 read (no send)
// secretariat@hopital.test ORG  delegates 810001234567 read,write,send
// lgc@hopital.test         APP  delegates dn:<org_dn> read,send
// compta@hopital.test      ORG  delegated to 810001234567 read, then revoked
// labo@hopital.test        APP  owner 810001234567 (ownership of an APP BAL gives nothing)
inline std::unique_ptr<storage::kv_store> make_test_store() {
  auto store = storage::make_memory_store();
  using storage::bal_type;
  auto ec = store->commit_one([](storage::write_txn& txn) -> std::error_code {
    auto create = [&](std::string address, bal_type type, std::string owner) {
      storage::account_record r;
      r.address = std::move(address);
      r.type = type;
      r.owner_idnat = std::move(owner);
      r.created = 1700000000;
      return storage::accounts::create(txn, std::move(r));
    };
    for (auto e : {create("dupont@hopital.test", bal_type::PER, "810001234567"),
                   create("martin@hopital.test", bal_type::PER, "810009999999"),
                   create("secretariat@hopital.test", bal_type::ORG, ""), create("lgc@hopital.test", bal_type::APP, ""),
                   create("compta@hopital.test", bal_type::ORG, ""),
                   create("labo@hopital.test", bal_type::APP, "810001234567")}) {
      if (e) return e;
    }
    using namespace storage;
    if (auto e = accounts::grant(txn, "martin@hopital.test", "810001234567", right_read)) return e;
    if (auto e =
            accounts::grant(txn, "secretariat@hopital.test", "810001234567", right_read | right_write | right_send))
      return e;
    if (auto e = accounts::grant(txn, "lgc@hopital.test", "dn:" + std::string(org_dn), right_read | right_send))
      return e;
    if (auto e = accounts::grant(txn, "compta@hopital.test", "810001234567", right_read)) return e;
    if (auto e = accounts::revoke(txn, "compta@hopital.test", "810001234567", right_read)) return e;
    return {};
  });
  REQUIRE_FALSE(ec);
  return store;
}

}  // namespace mssgw::test
