// Builds and generations on both backends: diffs, precedence between sources, LDAP deltas, crashes before the
// flip (rolled back, never seen) and after it (cleaned up), the lease, the importer's ceilings.
#include <catch2/catch.hpp>

#include <map>
#include <random>

#include "directory/importer.hpp"
#include "directory/lookup.hpp"
#include "directory/mirror.hpp"
#include "storage/schema.hpp"
#include "test_support.hpp"

using namespace mssgw::directory;
using namespace mssgw::directory::test;
using mssgw::storage::table;

namespace {

std::optional<entry> lookup(fixture& f, std::string_view address) {
  auto txn = f.store->begin_read();
  return reader(*txn).by_address(address);
}

entry with_uuid(entry e, char tag) {
  e.entry_uuid = std::string(15, '\x01') + std::string(1, tag);
  return e;
}

}  // namespace

TEST_CASE("mirror: a replacement is a diff", "[directory][mirror]") {
  const bool lmdb = GENERATE(false, true);
  fixture f(lmdb);
  build_options small;
  small.batch_keys = 4;  // many units
  std::vector<entry> v1 = {make_entry("a@x.fr", "Dupont", "Jean", "810000000001", "S1"),
                           make_entry("b@x.fr", "Martin", "Claire", "810000000002", "S1"),
                           make_entry("c@x.fr", "Durand", "", "", "S2", bal_type::ORG)};
  plan p1 = replace(f, source_kind::extraction, v1, small);
  CHECK(p1.added == 3);
  CHECK(p1.owned_after() == 3);
  CHECK(check_consistency(*f.store).empty());
  CHECK(visible_addresses(*f.store) == std::vector<std::string>{"a@x.fr", "b@x.fr", "c@x.fr"});

  // Update b (new surname: the old name token must go), delete c, keep a, add d.
  std::vector<entry> v2 = {v1[0], make_entry("b@x.fr", "Lefèvre", "Claire", "810000000002", "S1"),
                           make_entry("d@x.fr", "Petit", "Léa", "810000000004", "S2")};
  plan p2 = replace(f, source_kind::extraction, v2, small);
  CHECK(p2.added == 1);
  CHECK(p2.updated == 1);
  CHECK(p2.deleted == 1);
  CHECK(p2.unchanged == 1);
  CHECK(p2.owned_after() == 3);
  INFO(check_consistency(*f.store));
  CHECK(check_consistency(*f.store).empty());
  CHECK(visible_addresses(*f.store) == std::vector<std::string>{"a@x.fr", "b@x.fr", "d@x.fr"});
  auto txn = f.store->begin_read();
  reader r(*txn);
  CHECK(r.search_name("martin").empty());
  REQUIRE(r.search_name("lefevre").size() == 1);
  CHECK(r.by_structure("S2").size() == 1);
  CHECK(r.generation() == 2);

  // The same content again changes nothing and moves no generation.
  plan p3 = replace(f, source_kind::extraction, v2, small);
  CHECK(p3.empty());
  CHECK(p3.unchanged == 3);
  CHECK(committed_generation(*f.store->begin_read()) == 2);
}

TEST_CASE("mirror: readers never see a half-applied build; a crash is rolled back", "[directory][mirror]") {
  const bool lmdb = GENERATE(false, true);
  fixture f(lmdb);
  std::vector<entry> v1 = {make_entry("a@x.fr", "Dupont", "Jean", "810000000001"),
                           make_entry("b@x.fr", "Martin", "Claire", "810000000002")};
  replace(f, source_kind::extraction, v1);
  std::vector<entry> v2 = {make_entry("a@x.fr", "Dupont", "Jeanne", "810000000001"),  // updated
                           make_entry("n@x.fr", "Nouveau", "Nina", "810000000009")};  // added; b deleted
  const std::size_t crash_after = GENERATE(0, 1, 2, 3, 5);
  {
    build_options o;
    o.batch_keys = 2;   // one address per record unit, two index keys per index unit
    o.lease = std::chrono::seconds(0);  // expires at once: the next session may take it over
    build_session s(*f.store, *f.writer, source_kind::extraction, o);
    REQUIRE(s.ok());
    s.fail_after_units_for_tests(crash_after);
    plan p = s.plan_replace(desired_of(v2), 2000);
    CHECK(s.apply(p, 2000) == errc::stopped);
    s.abandon_for_tests();
  }
  // Whatever was written, readers still see the first content, by every path.
  auto check_old = [&] {
    auto txn = f.store->begin_read();
    reader r(*txn);
    CHECK(r.generation() == 1);
    auto a = r.by_address("a@x.fr");
    REQUIRE(a);
    CHECK(a->given_name == "Jean");
    CHECK(r.by_address("b@x.fr"));
    CHECK_FALSE(r.by_address("n@x.fr"));
    CHECK(r.by_idnat("810000000009").empty());
    CHECK(r.search_name("nouveau").empty());
    CHECK(r.search_name("jeanne").empty());
    CHECK(r.search_name("jean").size() == 1);
    CHECK(r.by_idnat("810000000002").size() == 1);
  };
  check_old();
  // The next build settles the leftovers first: back to a clean, consistent first content.
  {
    build_session s(*f.store, *f.writer, source_kind::extraction);
    REQUIRE(s.ok());
  }
  check_old();
  INFO(check_consistency(*f.store));
  CHECK(check_consistency(*f.store).empty());
  // And the change can then be applied normally.
  replace(f, source_kind::extraction, v2);
  CHECK(visible_addresses(*f.store) == std::vector<std::string>{"a@x.fr", "n@x.fr"});
  CHECK(check_consistency(*f.store).empty());
}

TEST_CASE("mirror: a crash after the flip is visible and cleaned up later", "[directory][mirror]") {
  const bool lmdb = GENERATE(false, true);
  fixture f(lmdb);
  replace(f, source_kind::extraction, {make_entry("a@x.fr", "Dupont", "Jean"), make_entry("b@x.fr", "Martin")});
  {
    build_options o;
    o.lease = std::chrono::seconds(0);
    build_session s(*f.store, *f.writer, source_kind::extraction, o);
    REQUIRE(s.ok());
    s.skip_cleanup_for_tests();
    plan p = s.plan_replace(desired_of({make_entry("a@x.fr", "Durand", "Jean")}), 2000);
    REQUIRE_FALSE(s.apply(p, 2000));
    s.abandon_for_tests();
  }
  {
    auto txn = f.store->begin_read();
    reader r(*txn);
    CHECK(r.by_address("a@x.fr")->surname == "Durand");
    CHECK_FALSE(r.by_address("b@x.fr"));
    CHECK(r.search_name("dupont").empty());  // the stale key is still there, but checked against the record
    CHECK(r.search_name("durand").size() == 1);
  }
  CHECK_FALSE(check_consistency(*f.store).empty());  // two versions, stale keys, a lease
  { build_session s(*f.store, *f.writer, source_kind::extraction); }
  INFO(check_consistency(*f.store));
  CHECK(check_consistency(*f.store).empty());
  CHECK(visible_addresses(*f.store) == std::vector<std::string>{"a@x.fr"});
}

TEST_CASE("mirror: one build at a time", "[directory][mirror]") {
  fixture f(false);
  auto first = std::make_unique<build_session>(*f.store, *f.writer, source_kind::ldap);
  REQUIRE(first->ok());
  {
    build_session second(*f.store, *f.writer, source_kind::extraction);
    CHECK(second.status() == errc::busy);
    REQUIRE(second.holder());
    CHECK(second.holder()->source == source_kind::ldap);
  }
  // The refused session did not release the holder's lease.
  CHECK(read_lease(*f.store->begin_read()));
  first.reset();
  CHECK_FALSE(read_lease(*f.store->begin_read()));
  build_session third(*f.store, *f.writer, source_kind::extraction);
  CHECK(third.ok());
}

TEST_CASE("mirror: precedence between LDAP and the extraction", "[directory][mirror]") {
  const bool lmdb = GENERATE(false, true);
  fixture f(lmdb);
  replace(f, source_kind::extraction, {make_entry("x@x.fr", "FromFile"), make_entry("y@x.fr", "Only File")});
  plan taken = replace(f, source_kind::ldap, {with_uuid(make_entry("x@x.fr", "FromLdap"), 'x')});
  CHECK(taken.taken_over == 1);
  CHECK(lookup(f, "x@x.fr")->source == source_kind::ldap);
  // The file lists x with other content: LDAP's version stays.
  plan shadowed = replace(f, source_kind::extraction,
                          {make_entry("x@x.fr", "FileAgain"), make_entry("y@x.fr", "Only File")});
  CHECK(shadowed.shadowed == 1);
  CHECK(shadowed.unchanged == 1);
  CHECK(shadowed.deleted == 0);  // x is not the file's to delete
  CHECK(lookup(f, "x@x.fr")->surname == "FromLdap");
  // LDAP drops x: gone (until the file brings it back); y, the file's, is untouched.
  plan dropped = replace(f, source_kind::ldap, {});
  CHECK(dropped.deleted == 1);
  CHECK_FALSE(lookup(f, "x@x.fr"));
  CHECK(lookup(f, "y@x.fr"));
  plan back = replace(f, source_kind::extraction, {make_entry("x@x.fr", "FileAgain"), make_entry("y@x.fr", "Only File")});
  CHECK(back.added == 1);
  CHECK(lookup(f, "x@x.fr")->source == source_kind::extraction);
  CHECK(check_consistency(*f.store).empty());
}

TEST_CASE("mirror: LDAP deltas by entryUUID", "[directory][mirror]") {
  const bool lmdb = GENERATE(false, true);
  fixture f(lmdb);
  entry a = with_uuid(make_entry("a@x.fr", "Alpha", "", "810000000001"), 'a');
  entry b = with_uuid(make_entry("b@x.fr", "Beta"), 'b');
  entry c = with_uuid(make_entry("c@x.fr", "Gamma"), 'c');
  entry d = with_uuid(make_entry("d@x.fr", "Delta"), 'd');
  replace(f, source_kind::ldap, {a, b, c, d});
  replace(f, source_kind::extraction, {make_entry("file@x.fr", "Fichier")});
  {
    build_session s(*f.store, *f.writer, source_kind::ldap);
    REQUIRE(s.ok());
    sync_delta delta;
    entry a2 = a;
    a2.surname = "Alpha Deux";  // a modify (syncprov sends it as an add)
    entry b2 = b;
    b2.address = "b2@x.fr";     // a rename: same entryUUID, new address
    delta.changed = {a2, b2};
    delta.deleted_uuids = {c.entry_uuid, std::string(16, '\x7f')};  // c, and an unknown entryUUID
    plan p = s.plan_delta(std::move(delta), 3000);
    CHECK(p.updated == 1);
    CHECK(p.added == 1);
    CHECK(p.deleted == 2);  // b's old address and c
    REQUIRE_FALSE(s.apply(p, 3000));
  }
  CHECK(visible_addresses(*f.store) == std::vector<std::string>{"a@x.fr", "b2@x.fr", "d@x.fr", "file@x.fr"});
  CHECK(lookup(f, "a@x.fr")->surname == "Alpha Deux");
  CHECK(lookup(f, "b2@x.fr")->entry_uuid == b.entry_uuid);
  INFO(check_consistency(*f.store));
  CHECK(check_consistency(*f.store).empty());
  {
    // RFC 4533 present phase: only a is named present; b2 and d are gone; the file's entry is not LDAP's to drop.
    build_session s(*f.store, *f.writer, source_kind::ldap);
    REQUIRE(s.ok());
    sync_delta delta;
    delta.present_phase = true;
    delta.present_uuids = {a.entry_uuid};
    plan p = s.plan_delta(std::move(delta), 4000);
    CHECK(p.deleted == 2);
    REQUIRE_FALSE(s.apply(p, 4000));
  }
  CHECK(visible_addresses(*f.store) == std::vector<std::string>{"a@x.fr", "file@x.fr"});
  CHECK(check_consistency(*f.store).empty());
  {
    // An empty delta applies nothing but still runs the flip hook (the cookie is stored).
    build_session s(*f.store, *f.writer, source_kind::ldap);
    plan p = s.plan_delta(sync_delta{}, 5000);
    CHECK(p.empty());
    REQUIRE_FALSE(s.apply(p, 5000, [](mssgw::storage::write_txn& txn) { write_cookie(txn, {"fp", "c1"}); }));
  }
  auto txn = f.store->begin_read();
  CHECK(read_cookie(*txn)->cookie == "c1");
  CHECK(committed_generation(*txn) == 4);
}

TEST_CASE("mirror: random builds and crashes keep readers on a committed state", "[directory][mirror]") {
  const bool lmdb = GENERATE(false, true);
  fixture f(lmdb);
  std::mt19937 rng(lmdb ? 7 : 11);
  std::map<std::string, entry> committed;  // the model: what readers must see
  const char* names[] = {"Dupont", "Martin", "Lefèvre", "Le Goff", "Bernard", "Petit"};
  for (int step = 0; step < 25; ++step) {
    std::map<std::string, entry> next;
    for (int i = 0; i < 30; ++i) {
      if (rng() % 3 == 0) continue;
      std::string address = "u" + std::to_string(i) + "@x.fr";
      next[address] = make_entry(address, names[rng() % 6], names[rng() % 6], "8" + std::to_string(rng() % 5),
                                 "S" + std::to_string(rng() % 3));
    }
    std::vector<entry> entries;
    for (auto& [a, e] : next) entries.push_back(e);
    const bool crash = rng() % 3 == 0;
    build_options o;
    o.batch_keys = 2 + rng() % 20;
    o.lease = std::chrono::seconds(crash ? 0 : 300);
    {
      build_session s(*f.store, *f.writer, source_kind::extraction, o);
      REQUIRE(s.ok());
      if (crash) s.fail_after_units_for_tests(rng() % 6);
      plan p = s.plan_replace(desired_of(entries), 1000 + step);
      auto ec = s.apply(p, 1000 + step);
      if (crash) s.abandon_for_tests();
      if (!ec) committed = next;
    }
    auto txn = f.store->begin_read();
    reader r(*txn);
    std::size_t seen = 0;
    r.for_each([&](const entry& e) {
      ++seen;
      auto it = committed.find(e.address);
      CHECK((it != committed.end() && same_content(it->second, e)));
      return true;
    });
    CHECK(seen == committed.size());
    for (const auto& [a, e] : committed) {
      auto hits = r.by_idnat(e.idnat, {1000, true});
      CHECK(std::count_if(hits.begin(), hits.end(), [&](const entry& h) { return h.address == a; }) == 1);
    }
  }
  { build_session s(*f.store, *f.writer, source_kind::extraction); }
  INFO(check_consistency(*f.store));
  CHECK(check_consistency(*f.store).empty());
}

TEST_CASE("importer: ceilings and dry runs", "[directory][import]") {
  fixture f(false);
  auto file = [](std::size_t rows, std::size_t bad) {
    std::string text = format_extraction_header();
    for (std::size_t i = 0; i < rows; ++i) {
      entry e = make_entry("u" + std::to_string(i) + "@x.fr", "Nom" + std::to_string(i));
      text += format_extraction_row(e);
    }
    for (std::size_t i = 0; i < bad; ++i) text += "PER|broken\n";
    return text;
  };
  auto run = [&](const std::string& text, import_options o, import_report& report) {
    extraction_loader loader;
    loader.feed(text);
    loader.finish();
    return import_extraction(*f.store, *f.writer, loader, o, report);
  };
  import_options o;
  o.max_errors = 2;
  {
    import_report r;
    CHECK(run(file(10, 3), o, r) == errc::too_many_errors);
    CHECK(r.error_count == 3);
    CHECK_FALSE(r.applied);
    CHECK(visible_addresses(*f.store).empty());
  }
  {
    import_report r;
    CHECK(run("Nom|Prenom\nx|y\n", o, r) == errc::header_invalid);
  }
  {
    import_report r;
    REQUIRE_FALSE(run(file(1200, 2), o, r));
    CHECK(r.applied);
    CHECK(r.changes.added == 1200);
    CHECK(visible_addresses(*f.store).size() == 1200);
    auto stats = read_run_stats(*f.store->begin_read(), source_kind::extraction);
    REQUIRE(stats);
    CHECK(stats->entries == 1200);
  }
  {
    // A truncated file would delete 700 of 1200 entries: refused unless forced.
    import_report r;
    CHECK(run(file(500, 0), o, r) == errc::too_many_deletes);
    CHECK(r.changes.deleted == 700);
    CHECK(visible_addresses(*f.store).size() == 1200);
    o.dry_run = true;
    o.force = true;
    import_report dry;
    REQUIRE_FALSE(run(file(500, 0), o, dry));
    CHECK_FALSE(dry.applied);
    CHECK(visible_addresses(*f.store).size() == 1200);
    o.dry_run = false;
    import_report forced;
    REQUIRE_FALSE(run(file(500, 0), o, forced));
    CHECK(forced.changes.deleted == 700);
    CHECK(visible_addresses(*f.store).size() == 500);
  }
  CHECK(check_consistency(*f.store).empty());
}
