// Lookups: by address (case-insensitive), idNat, structure, the accent-insensitive name search, liste rouge, and
// the marking of BALs hosted here.
#include <catch2/catch.hpp>

#include "directory/lookup.hpp"
#include "storage/account_store.hpp"
#include "test_support.hpp"

using namespace mssgw::directory;
using namespace mssgw::directory::test;

namespace {

void load(fixture& f) {
  entry hidden = make_entry("cache@hop.mssante.fr", "Cachée", "Zoé", "810000000005", "S1");
  hidden.liste_rouge = true;
  replace(f, source_kind::extraction,
          {make_entry("jean.dupont@hop.mssante.fr", "Dupont", "Jean", "810000000001", "S1"),
           make_entry("j.dupont@cab.mssante.fr", "Dupont", "Jean", "810000000001", "S2"),
           make_entry("helene@hop.mssante.fr", "Lefèvre", "Hélène", "810000000002", "S1"),
           make_entry("legoff@hop.mssante.fr", "Le Goff", "Anne-Sophie", "810000000003", "S1"),
           make_entry("nguessan@hop.mssante.fr", "N'Guessan", "Élodie", "810000000004", "S1"),
           make_entry("accueil@hop.mssante.fr", "", "", "", "S1", bal_type::ORG), hidden});
}

std::vector<std::string> addresses(const std::vector<entry>& v) {
  std::vector<std::string> out;
  for (const auto& e : v) out.push_back(e.address);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("lookup by address is exact and case-insensitive", "[directory][lookup]") {
  fixture f(GENERATE(false, true));
  load(f);
  auto txn = f.store->begin_read();
  reader r(*txn);
  auto e = r.by_address("Jean.Dupont@HOP.mssante.fr");
  REQUIRE(e);
  CHECK(e->address == "jean.dupont@hop.mssante.fr");
  CHECK(e->surname == "Dupont");
  CHECK(e->source == source_kind::extraction);
  CHECK(e->updated == 1000);
  CHECK_FALSE(r.by_address("jean.dupont@hop.mssante"));
  CHECK_FALSE(r.by_address("ean.dupont@hop.mssante.fr"));
  CHECK_FALSE(r.by_address(""));
  // Liste rouge entries exist for routing.
  auto hidden = r.by_address("cache@hop.mssante.fr");
  REQUIRE(hidden);
  CHECK(hidden->liste_rouge);
}

TEST_CASE("lookup by idNat and by structure", "[directory][lookup]") {
  fixture f(false);
  load(f);
  auto txn = f.store->begin_read();
  reader r(*txn);
  CHECK(addresses(r.by_idnat("810000000001")) ==
        std::vector<std::string>{"j.dupont@cab.mssante.fr", "jean.dupont@hop.mssante.fr"});
  CHECK(r.by_idnat("81000000000").empty());  // exact, not a prefix
  CHECK(r.by_structure("S1").size() == 5);   // liste rouge left out
  CHECK(r.by_structure("S1", {50, true}).size() == 6);
  CHECK(r.by_structure("S1", {2, false}).size() == 2);
  CHECK(r.by_structure("S").empty());
  CHECK(r.by_idnat("810000000005").empty());
  CHECK(r.by_idnat("810000000005", {50, true}).size() == 1);
}

TEST_CASE("name search: prefixes, accents and case ignored, every word must match", "[directory][lookup]") {
  fixture f(false);
  load(f);
  auto txn = f.store->begin_read();
  reader r(*txn);
  struct row {
    const char* query;
    std::vector<std::string> expected;
  };
  const row rows[] = {
      {"dupont", {"j.dupont@cab.mssante.fr", "jean.dupont@hop.mssante.fr"}},
      {"DUP", {"j.dupont@cab.mssante.fr", "jean.dupont@hop.mssante.fr"}},
      {"lefevre", {"helene@hop.mssante.fr"}},
      {"LEFÈVRE", {"helene@hop.mssante.fr"}},
      {"hélène lef", {"helene@hop.mssante.fr"}},
      {"helene", {"helene@hop.mssante.fr"}},
      {"le goff", {"legoff@hop.mssante.fr"}},
      {"legoff", {"legoff@hop.mssante.fr"}},
      {"goff anne", {"legoff@hop.mssante.fr"}},
      {"sophie", {"legoff@hop.mssante.fr"}},
      {"n'guessan", {"nguessan@hop.mssante.fr"}},
      {"guessan elodie", {"nguessan@hop.mssante.fr"}},
      {"dupont jean", {"j.dupont@cab.mssante.fr", "jean.dupont@hop.mssante.fr"}},
      {"dupont claire", {}},
      {"cachee", {}},  // liste rouge
      {"upont", {}},   // prefixes only
      {"", {}},
      {"  -- ", {}},
  };
  for (const auto& q : rows) {
    INFO(q.query);
    CHECK(addresses(r.search_name(q.query)) == q.expected);
  }
  CHECK(r.search_name("cachee", {50, true}).size() == 1);
  CHECK(r.search_name("d", {1, false}).size() == 1);
}

TEST_CASE("BALs hosted here are marked local; a local BAL unknown to the sources is found", "[directory][lookup]") {
  fixture f(GENERATE(false, true));
  load(f);
  mssgw::storage::account_record bal;
  bal.address = "nouveau@ici.mssante.fr";
  bal.type = bal_type::PER;
  bal.owner_idnat = "810000000099";
  bal.display_name = "Nouveau Praticien";
  REQUIRE_FALSE(f.writer->run([&](mssgw::storage::write_txn& txn) { return mssgw::storage::accounts::create(txn, bal); }));
  local_policy policy;
  policy.domains = {"hop.mssante.fr"};
  auto txn = f.store->begin_read();
  reader r(*txn, &policy);
  CHECK(r.by_address("helene@hop.mssante.fr")->local);
  CHECK_FALSE(r.by_address("j.dupont@cab.mssante.fr")->local);
  auto mine = r.by_address("NOUVEAU@ici.mssante.fr");
  REQUIRE(mine);
  CHECK(mine->local);
  CHECK(mine->source == source_kind::local);
  CHECK(mine->idnat == "810000000099");
  CHECK(mine->surname == "Nouveau Praticien");
  reader no_policy(*txn);
  CHECK_FALSE(no_policy.by_address("helene@hop.mssante.fr")->local);
  CHECK(no_policy.by_address("nouveau@ici.mssante.fr")->local);  // a BAL exists: local whatever the domains
}

TEST_CASE("last_seen is the last successful run of the entry's source", "[directory][lookup]") {
  fixture f(false);
  load(f);
  REQUIRE_FALSE(f.writer->run([](mssgw::storage::write_txn& txn) {
    run_stats s;
    s.last_success = 123456;
    write_run_stats(txn, source_kind::extraction, s);
    return std::error_code{};
  }));
  auto txn = f.store->begin_read();
  CHECK(reader(*txn).by_address("helene@hop.mssante.fr")->last_seen == 123456);
}
