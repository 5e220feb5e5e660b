// Identity -> BALs and rights (auth/rights.hpp) over a memory store: own BALs, delegations, revocations,
// organisation DNs, unknown identities.
#include "auth/rights.hpp"

#include <catch2/catch.hpp>

#include "storage/schema.hpp"

#include "test_store.hpp"

using namespace mssgw;
using namespace mssgw::auth;
using namespace mssgw::storage;
using test::org_dn;

namespace {
const identity dupont = identity::professional("810001234567", mechanism_kind::xoauth2);
const identity martin = identity::professional("810009999999", mechanism_kind::external);
const identity org = identity::organisation(org_dn, mechanism_kind::external);
const identity stranger = identity::professional("810000000001", mechanism_kind::xoauth2);
const identity other_org = identity::organisation("CN=lgc-beta,O=Clinique Beta,C=FR", mechanism_kind::external);
const identity desk = identity::local_user("secretariat@hopital.test", mechanism_kind::plain);
}  // namespace

TEST_CASE("rights: table of identity x BAL x right", "[auth][rights]") {
  auto store = test::make_test_store();
  auto txn = store->begin_read();
  struct row {
    const char* name;
    const identity* who;
    const char* bal;
    std::uint32_t rights;  // what rights_on must return
    bool open;             // may_open (read)
    bool send;             // may_send_as
  };
  const row rows[] = {
      {"own PER BAL: everything", &dupont, "dupont@hopital.test", all_rights, true, true},
      {"own PER BAL, address in upper case", &dupont, "DUPONT@Hopital.Test", all_rights, true, true},
      {"delegated read only: may open, may not send", &dupont, "martin@hopital.test", right_read, true, false},
      {"delegated ORG with send", &dupont, "secretariat@hopital.test", right_read | right_write | right_send, true,
       true},
      {"revoked delegation", &dupont, "compta@hopital.test", 0, false, false},
      {"APP BAL 'owned' by idNat gives nothing without delegation", &dupont, "labo@hopital.test", 0, false, false},
      {"another's PER BAL", &dupont, "lgc@hopital.test", 0, false, false},
      {"owner of martin's BAL", &martin, "martin@hopital.test", all_rights, true, true},
      {"martin has no right on dupont's BAL", &martin, "dupont@hopital.test", 0, false, false},
      {"organisation DN delegation", &org, "lgc@hopital.test", right_read | right_send, true, true},
      {"organisation on a PER BAL", &org, "dupont@hopital.test", 0, false, false},
      {"other organisation", &other_org, "lgc@hopital.test", 0, false, false},
      {"unknown identity", &stranger, "dupont@hopital.test", 0, false, false},
      {"unknown BAL", &dupont, "nobody@hopital.test", 0, false, false},
      {"invalid address", &dupont, "not an address", 0, false, false},
      {"local user: its BAL", &desk, "secretariat@hopital.test", local_user_rights, true, true},
      {"local user: nothing else", &desk, "dupont@hopital.test", 0, false, false},
  };
  for (const auto& r : rows) {
    INFO(r.name);
    CHECK(rights_on(*txn, *r.who, r.bal) == r.rights);
    CHECK(may_open(*txn, *r.who, r.bal) == r.open);
    CHECK(may_send_as(*txn, *r.who, r.bal) == r.send);
  }
  CHECK(may_open(*txn, dupont, "secretariat@hopital.test", right_read | right_write));
  CHECK_FALSE(may_open(*txn, dupont, "martin@hopital.test", right_read | right_write));
  CHECK_FALSE(may_open(*txn, dupont, "secretariat@hopital.test", right_admin));
  CHECK_FALSE(may_open(*txn, dupont, "dupont@hopital.test", 0));  // asking for nothing is not a grant
}

TEST_CASE("rights: bals_for lists own and granted BALs, sorted", "[auth][rights]") {
  auto store = test::make_test_store();
  auto txn = store->begin_read();
  auto list = bals_for(*txn, dupont);
  std::vector<bal_access> expected = {
      {"dupont@hopital.test", bal_type::PER, all_rights, true},
      {"martin@hopital.test", bal_type::PER, right_read, false},
      {"secretariat@hopital.test", bal_type::ORG, right_read | right_write | right_send, false},
  };
  CHECK(list == expected);
  CHECK(bals_for(*txn, org) ==
        std::vector<bal_access>{{"lgc@hopital.test", bal_type::APP, right_read | right_send, false}});
  CHECK(bals_for(*txn, stranger).empty());
  CHECK(bals_for(*txn, other_org).empty());
  CHECK(bals_for(*txn, desk) ==
        std::vector<bal_access>{{"secretariat@hopital.test", bal_type::ORG, local_user_rights, true}});
  CHECK(bals_for(*txn, identity::local_user("gone@hopital.test", mechanism_kind::plain)).empty());
}

TEST_CASE("rights: a grant after login is seen by the next read transaction", "[auth][rights]") {
  auto store = test::make_test_store();
  CHECK_FALSE(may_open(*store->begin_read(), stranger, "secretariat@hopital.test"));
  REQUIRE_FALSE(store->commit_one(
      [](write_txn& t) { return accounts::grant(t, "secretariat@hopital.test", "810000000001", right_read); }));
  CHECK(may_open(*store->begin_read(), stranger, "secretariat@hopital.test"));
  CHECK_FALSE(may_send_as(*store->begin_read(), stranger, "secretariat@hopital.test"));
}

TEST_CASE("rights: authorize() for SASL authorization identities", "[auth][rights]") {
  auto store = test::make_test_store();
  auto txn = store->begin_read();
  CHECK(authorize(*txn, dupont, "").allowed);
  CHECK(authorize(*txn, dupont, "810001234567").allowed);
  auto own = authorize(*txn, dupont, "Dupont@hopital.test");
  CHECK(own.allowed);
  CHECK(own.bal == "dupont@hopital.test");
  CHECK(authorize(*txn, dupont, "martin@hopital.test").allowed);  // read delegation is enough to open
  auto denied = authorize(*txn, dupont, "lgc@hopital.test");
  CHECK_FALSE(denied.allowed);
  CHECK_FALSE(denied.log_reason.empty());
  CHECK_FALSE(authorize(*txn, dupont, "810009999999").allowed);  // another idNat
  CHECK_FALSE(authorize(*txn, dupont, "nobody@hopital.test").allowed);
  CHECK(authorize(*txn, org, "lgc@hopital.test").allowed);
  CHECK(authorize(*txn, org, "dn:" + std::string(org_dn)).allowed);
  CHECK(authorize(*txn, org, "cn=LGC-alpha, ou=1234567890,o=clinique alpha,st=Paris (75),c=fr").allowed);
  CHECK_FALSE(authorize(*txn, org, "CN=lgc-beta,O=Clinique Beta,C=FR").allowed);
  auto local = authorize(*txn, desk, "secretariat@hopital.test");
  CHECK(local.allowed);
  CHECK(local.bal == "secretariat@hopital.test");
  CHECK_FALSE(authorize(*txn, desk, "dupont@hopital.test").allowed);
}

TEST_CASE("rights: canonical DNs (decision 2: never raw strings)", "[auth][rights]") {
  const std::pair<const char*, const char*> same[] = {
      {"CN=a,O=b,C=FR", "cn=A, o=B, c=fr"},
      {"CN=a,O=Clinique  Alpha ,C=FR", "CN=a,O=Clinique Alpha,C=FR"},
      {"CN=a;O=b", "CN=a,O=b"},
      {"2.5.4.3=a,2.5.4.10=b", "CN=a,O=b"},
      {"CN=a,ST=Paris (75)", "CN=a,S=Paris (75)"},
      {"CN=a\\,b,O=c", "CN=a\\2Cb,O=c"},
      {"CN=a+SERIALNUMBER=123,O=b", "serialNumber=123+CN=a,O=b"},
      {"emailAddress=x@y.test,CN=a", "E=x@y.test,CN=a"},
      {"CN=\\ a", "CN=a"},
  };
  for (auto [a, b] : same) {
    INFO(a << " vs " << b);
    CHECK(same_dn(a, b));
  }
  const std::pair<const char*, const char*> different[] = {
      {"CN=a,O=b", "O=b,CN=a"},  // order matters
      {"CN=a,O=b", "CN=a,O=b,C=FR"}, {"CN=a\\,b", "CN=a,CN=b"}, {"CN=a+O=b", "CN=a,O=b"}, {"CN=ab", "CN=a b"},
  };
  for (auto [a, b] : different) {
    INFO(a << " vs " << b);
    CHECK_FALSE(same_dn(a, b));
  }
  for (const std::string& bad :
       {std::string(""), std::string("CN"), std::string("=a"), std::string("CN=a,,O=b"), std::string("CN=a,"),
        std::string("C N=a"), std::string("CN=a\0b", 6), std::string("CN=a\\\0", 6), std::string("CN=a\\")}) {
    INFO(bad);
    CHECK(canonical_dn(bad).empty());
  }
  CHECK_FALSE(same_dn("", ""));  // an unparsable DN equals nothing, not even itself
  CHECK(canonical_dn("CN=Lgc Alpha , O=Hôpital, C=FR") == "cn=lgc alpha,o=hôpital,c=fr");
}

TEST_CASE("rights: MAIL FROM verdicts (553 5.7.1 unless the identity may send as the BAL)", "[auth][rights]") {
  auto store = test::make_test_store();
  auto txn = store->begin_read();
  auto own = mail_from(*txn, dupont, "Dupont@hopital.test");
  CHECK(own.accept);
  CHECK(own.log_reason.empty());
  CHECK(mail_from(*txn, dupont, "secretariat@hopital.test").accept);
  CHECK(mail_from(*txn, dupont, "").accept);  // null reverse-path: MDNs (RFC 8098 §2.1)
  auto read_only = mail_from(*txn, dupont, "martin@hopital.test");
  CHECK_FALSE(read_only.accept);
  CHECK(read_only.code == 553);
  CHECK(read_only.enhanced == "5.7.1");
  CHECK(read_only.log_reason.find("rights: read") != std::string::npos);
  CHECK(mail_from(*txn, dupont, "lgc@hopital.test").log_reason.find("no rights") != std::string::npos);
  CHECK(mail_from(*txn, dupont, "nobody@hopital.test").log_reason.find("not a local BAL") != std::string::npos);
  CHECK(mail_from(*txn, dupont, "not an address").code == 553);
  CHECK(mail_from(*txn, org, "lgc@hopital.test").accept);
  CHECK_FALSE(mail_from(*txn, org, "dupont@hopital.test").accept);
  CHECK(mail_from(*txn, desk, "secretariat@hopital.test").accept);
}

TEST_CASE("rights: canonical form escapes every separator, so it parses back to itself", "[auth][rights]") {
  for (const char* dn : {"CN=a\\;b,O=c", "CN=a\\,b", "CN=a\\+b", "CN=a\\=b", "CN=a\\\\b", "CN=#0403616263"}) {
    std::string c = canonical_dn(dn);
    INFO(dn << " -> " << c);
    REQUIRE_FALSE(c.empty());
    CHECK(canonical_dn(c) == c);
  }
  CHECK_FALSE(same_dn("CN=a\\;b", "CN=a;CN=b"));
}

TEST_CASE("rights: the account index follows grants, revocations and deletions", "[auth][rights][index]") {
  auto store = test::make_test_store();
  {
    auto txn = store->begin_read();
    CHECK(accounts::index_ready(*txn));
    // compta: revoked; labo: an APP BAL's owner gets nothing, so it is not indexed under that idNat.
    CHECK(accounts::indexed(*txn, "810001234567") ==
          std::vector<std::string>{"dupont@hopital.test", "martin@hopital.test", "secretariat@hopital.test"});
    CHECK(accounts::indexed(*txn, "dn:") == std::vector<std::string>{"lgc@hopital.test"});
    CHECK(accounts::indexed(*txn, "810000000001").empty());
  }
  REQUIRE_FALSE(store->commit_one([](write_txn& t) -> std::error_code {
    if (auto e = accounts::grant(t, "compta@hopital.test", "810000000001", right_read)) return e;
    if (auto e = accounts::revoke(t, "martin@hopital.test", "810001234567", right_read)) return e;
    return accounts::remove(t, "secretariat@hopital.test");
  }));
  auto txn = store->begin_read();
  CHECK(accounts::indexed(*txn, "810001234567") == std::vector<std::string>{"dupont@hopital.test"});
  CHECK(accounts::indexed(*txn, "810000000001") == std::vector<std::string>{"compta@hopital.test"});
  CHECK(bals_for(*txn, stranger) == std::vector<bal_access>{{"compta@hopital.test", bal_type::ORG, right_read, false}});
  CHECK(bals_for(*txn, dupont) == std::vector<bal_access>{{"dupont@hopital.test", bal_type::PER, all_rights, true}});
}

TEST_CASE("rights: a store from before the index is scanned, then indexed by ensure_index", "[auth][rights][index]") {
  auto store = test::make_test_store();
  const auto before = bals_for(*store->begin_read(), dupont);
  const auto before_org = bals_for(*store->begin_read(), org);
  // What an older mssgw left: no index, no marker.
  REQUIRE_FALSE(store->commit_one([](write_txn& t) -> std::error_code {
    std::vector<std::string> keys;
    t.scan(table::account_index, {}, {}, [&](std::string_view k, std::string_view) {
      keys.emplace_back(k);
      return true;
    });
    for (const auto& k : keys) t.erase(table::account_index, k);
    t.erase(table::meta, schema::meta_account_index);
    return {};
  }));
  CHECK_FALSE(accounts::index_ready(*store->begin_read()));
  CHECK(bals_for(*store->begin_read(), dupont) == before);  // scanned
  REQUIRE_FALSE(store->commit_one([](write_txn& t) {
    accounts::ensure_index(t);
    return std::error_code();
  }));
  auto txn = store->begin_read();
  CHECK(accounts::index_ready(*txn));
  CHECK(bals_for(*txn, dupont) == before);
  CHECK(bals_for(*txn, org) == before_org);
  // An idNat written in upper case in a delegation, a login in lower case (INS with 2A/2B).
  REQUIRE_FALSE(store->commit_one(
      [](write_txn& t) { return accounts::grant(t, "compta@hopital.test", "28505" "2A" "12345614", right_read); }));
  const auto patient = identity::patient("285052a12345614", mechanism_kind::plain);
  CHECK(bals_for(*store->begin_read(), patient) ==
        std::vector<bal_access>{{"compta@hopital.test", bal_type::ORG, right_read, false}});
}
