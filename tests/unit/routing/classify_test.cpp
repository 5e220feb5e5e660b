// Recipient classification over a real whitelist snapshot and a real (in-memory) store.
#include <catch2/catch.hpp>

#include "routing/classify.hpp"
#include "storage/account_store.hpp"
#include "storage/memory/memory_store.hpp"
#include "trustspace/whitelist.hpp"

using namespace mssgw;

namespace {
const char* whitelist_xml = R"(<?xml version="1.0" encoding="UTF-8"?><ListeBlancheMSSante xmlns="https://listeblanche.mssante.fr/schema">
<DateDeGeneration>2026-11-22T10:00:00Z</DateDeGeneration>
<ListeDomaines>
<Domaine><Nom>beta.mssante.test</Nom><Description>B</Description>
<DNCertificatOperateur>CN=mx.beta.mssante.test,OU=31234567800019,O=GCS BETA SANTE,ST=Bouches-du-Rhône (13),C=FR</DNCertificatOperateur>
<ResponsableContact>x</ResponsableContact><SupportContact>y</SupportContact><DateMAJ>2026-11-22T10:00:00Z</DateMAJ></Domaine>
<Domaine><Nom>Patient.MSSante.test</Nom><Description>P</Description>
<DNCertificatOperateur>CN=mx.beta.mssante.test,OU=31234567800019,O=GCS BETA SANTE,ST=Bouches-du-Rhône (13),C=FR</DNCertificatOperateur>
<ResponsableContact>x</ResponsableContact><SupportContact>y</SupportContact><DateMAJ>2026-11-22T10:00:00Z</DateMAJ></Domaine>
</ListeDomaines></ListeBlancheMSSante>)";
}  // namespace

TEST_CASE("routing: local, unknown local, remote, citizen, outside the trust space", "[routing]") {
  auto store = storage::make_memory_store();
  storage::account_record bal;
  bal.address = "dupont@alpha.mssante.test";
  bal.owner_idnat = "810001234567";
  REQUIRE_FALSE(store->commit_one([&](storage::write_txn& t) { return storage::accounts::create(t, bal); }));
  auto parsed = trustspace::parse_whitelist(whitelist_xml);
  REQUIRE(parsed);
  auto txn = store->begin_read();
  const std::vector<std::string> local = {"alpha.mssante.test"};
  routing::facts f{local, *txn, parsed.value.get(), "patient.mssante.test"};

  struct row {
    std::string address;
    routing::route_kind kind;
  };
  const row rows[] = {
      {"dupont@alpha.mssante.test", routing::route_kind::local},
      {"DUPONT@Alpha.MSSante.test", routing::route_kind::local},
      {"nobody@alpha.mssante.test", routing::route_kind::unknown_local},
      {"someone@beta.mssante.test", routing::route_kind::remote},
      {"someone@BETA.mssante.test", routing::route_kind::remote},
      {"146026322000196@patient.mssante.test", routing::route_kind::citizen},
      {"friend@gmail.com", routing::route_kind::outside_trust_space},
      {"x@mssante.test", routing::route_kind::outside_trust_space},
      {"x@sub.beta.mssante.test", routing::route_kind::outside_trust_space},
      {"no-domain", routing::route_kind::outside_trust_space},
  };
  for (const auto& r : rows) {
    INFO(r.address);
    CHECK(routing::classify(r.address, f).kind == r.kind);
  }
  auto local_route = routing::classify("Dupont@alpha.mssante.test", f);
  CHECK(local_route.address == "dupont@alpha.mssante.test");
  CHECK(local_route.inbox != 0);

  routing::facts no_list{local, *txn, nullptr, ""};
  CHECK(routing::classify("someone@beta.mssante.test", no_list).kind == routing::route_kind::outside_trust_space);
  CHECK(routing::classify("dupont@alpha.mssante.test", no_list).kind == routing::route_kind::local);
}
