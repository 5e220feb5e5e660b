// What IMAP adds to the mailbox store, on both backends: per-user \Seen of shared mailboxes (marks, counts, MODSEQ,
// cleanup on expunge and mailbox removal), RENAME with children, subscriptions, and the lazily computed cache.
#include <catch2/catch.hpp>

#include "backends.hpp"
#include "storage/mailbox_store.hpp"

using namespace mssgw;
using namespace mssgw::storage;

namespace {
mailbox_info create_box(kv_store& s, std::string name, std::string account = "org@x.test") {
  mailbox_info mb;
  REQUIRE_FALSE(s.commit_one([&](write_txn& txn) { return mailboxes::create(txn, account, name, "", &mb); }));
  return mb;
}
appended add_message(kv_store& s, std::uint64_t mailbox, std::string body) {
  appended a;
  REQUIRE_FALSE(s.commit_one([&](write_txn& t) {
    auto id = messages::create(t, body, 1700000000, "");
    return mailboxes::append(t, mailbox, id, {}, &a);
  }));
  return a;
}
std::vector<std::uint32_t> seen_uids(kv_store& s, std::uint64_t mailbox, const std::string& user) {
  std::vector<std::uint32_t> out;
  seen::scan(*s.begin_read(), mailbox, user, 1, [&](std::uint32_t uid) {
    out.push_back(uid);
    return true;
  });
  return out;
}
}  // namespace

TEMPLATE_TEST_CASE("seen: per-user marks with counts and new MODSEQs", "[storage]", test::memory_backend,
                   test::lmdb_backend) {
  TestType b;
  auto& s = *b.store;
  auto mb = create_box(s, "INBOX");
  auto a1 = add_message(s, mb.id, "one");
  auto a2 = add_message(s, mb.id, "two");
  const std::string alice = seen::user_of("810001234567"), bob = seen::user_of("dn:CN=lgc,O=x,C=FR");
  CHECK(alice.size() == 16);
  CHECK(alice != bob);

  std::uint64_t modseq = 0;
  REQUIRE_FALSE(s.commit_one([&](write_txn& t) { return seen::set(t, mb.id, alice, a2.uid, true, &modseq); }));
  CHECK(modseq > a2.modseq);
  {
    auto txn = s.begin_read();
    CHECK(seen::is_seen(*txn, mb.id, alice, a2.uid));
    CHECK_FALSE(seen::is_seen(*txn, mb.id, bob, a2.uid));
    CHECK(seen::count(*txn, mb.id, alice) == 1);
    CHECK(seen::count(*txn, mb.id, bob) == 0);
    CHECK(mailboxes::get(*txn, mb.id)->highestmodseq == modseq);
    CHECK(mailboxes::get_uid(*txn, mb.id, a2.uid)->modseq == modseq);
    CHECK(mailboxes::get_uid(*txn, mb.id, a2.uid)->flags.system == 0);  // shared flags untouched
    CHECK(mailboxes::get(*txn, mb.id)->unseen == 2);
  }
  // Setting it again changes nothing, not even the MODSEQ.
  std::uint64_t again = 0;
  REQUIRE_FALSE(s.commit_one([&](write_txn& t) { return seen::set(t, mb.id, alice, a2.uid, true, &again); }));
  CHECK(again == modseq);
  REQUIRE_FALSE(s.commit_one([&](write_txn& t) { return seen::set(t, mb.id, alice, a1.uid, true); }));
  REQUIRE_FALSE(s.commit_one([&](write_txn& t) { return seen::set(t, mb.id, bob, a1.uid, true); }));
  CHECK(seen_uids(s, mb.id, alice) == std::vector<std::uint32_t>{a1.uid, a2.uid});
  CHECK(seen_uids(s, mb.id, bob) == std::vector<std::uint32_t>{a1.uid});
  REQUIRE_FALSE(s.commit_one([&](write_txn& t) { return seen::set(t, mb.id, alice, a1.uid, false); }));
  CHECK(seen_uids(s, mb.id, alice) == std::vector<std::uint32_t>{a2.uid});
  CHECK(seen::count(*s.begin_read(), mb.id, alice) == 1);
  CHECK(s.commit_one([&](write_txn& t) { return seen::set(t, mb.id, alice, 99, true); }) == errc::not_found);

  // Expunge erases every user's mark of that UID.
  REQUIRE_FALSE(s.commit_one([&](write_txn& t) { return mailboxes::expunge(t, mb.id, a1.uid); }));
  CHECK(seen_uids(s, mb.id, bob).empty());
  CHECK(seen::count(*s.begin_read(), mb.id, bob) == 0);
  CHECK(seen::count(*s.begin_read(), mb.id, alice) == 1);

  // Removing the mailbox erases the rest.
  REQUIRE_FALSE(s.commit_one([&](write_txn& t) { return mailboxes::remove(t, "org@x.test", "INBOX"); }));
  std::size_t left = 0;
  s.begin_read()->scan(table::seen, "", "", [&](std::string_view, std::string_view) {
    ++left;
    return true;
  });
  CHECK(left == 0);
}

TEMPLATE_TEST_CASE("mailboxes: rename moves children and keeps UIDVALIDITY", "[storage]", test::memory_backend,
                   test::lmdb_backend) {
  TestType b;
  auto& s = *b.store;
  auto a = create_box(s, "Projets");
  auto a1 = create_box(s, "Projets/2024");
  auto other = create_box(s, "Projets2");
  create_box(s, "Archive");
  add_message(s, a1.id, "x");
  REQUIRE_FALSE(s.commit_one([&](write_txn& t) { return mailboxes::rename(t, "org@x.test", "Projets", "Dossiers"); }));
  auto txn = s.begin_read();
  CHECK_FALSE(mailboxes::get(*txn, "org@x.test", "Projets"));
  auto moved = mailboxes::get(*txn, "org@x.test", "Dossiers");
  REQUIRE(moved);
  CHECK(moved->id == a.id);
  CHECK(moved->uidvalidity == a.uidvalidity);
  auto child = mailboxes::get(*txn, "org@x.test", "Dossiers/2024");
  REQUIRE(child);
  CHECK(child->exists == 1);
  CHECK(mailboxes::get(*txn, a1.id)->name == "Dossiers/2024");
  CHECK(mailboxes::get(*txn, "org@x.test", "Projets2")->id == other.id);  // a sibling with the same prefix stays
  txn.reset();
  CHECK(s.commit_one([&](write_txn& t) { return mailboxes::rename(t, "org@x.test", "Dossiers", "Archive"); }) ==
        errc::already_exists);
  CHECK(s.commit_one([&](write_txn& t) { return mailboxes::rename(t, "org@x.test", "Nope", "X"); }) ==
        errc::not_found);
  CHECK(s.commit_one([&](write_txn& t) { return mailboxes::rename(t, "org@x.test", "Dossiers", "Dossiers/x"); }) ==
        errc::invalid_argument);
  CHECK(s.commit_one([&](write_txn& t) {
          return mailboxes::rename(t, "org@x.test", "Archive", std::string(300, 'a'));
        }) == errc::invalid_argument);
}

TEMPLATE_TEST_CASE("mailboxes: subscriptions and message caches", "[storage]", test::memory_backend,
                   test::lmdb_backend) {
  TestType b;
  auto& s = *b.store;
  auto mb = create_box(s, "Drafts");
  CHECK(mb.subscribed);
  REQUIRE_FALSE(s.commit_one([&](write_txn& t) { return mailboxes::set_subscribed(t, "org@x.test", "Drafts", false); }));
  CHECK_FALSE(mailboxes::get(*s.begin_read(), "org@x.test", "Drafts")->subscribed);
  CHECK(s.commit_one([&](write_txn& t) { return mailboxes::set_subscribed(t, "org@x.test", "No", true); }) ==
        errc::not_found);
  auto a = add_message(s, mb.id, "body");
  auto id = mailboxes::get_uid(*s.begin_read(), mb.id, a.uid)->message_id;
  REQUIRE_FALSE(s.commit_one([&](write_txn& t) { return messages::set_cache(t, id, "cached"); }));
  auto m = messages::get(*s.begin_read(), id);
  CHECK(m->cache == "cached");
  CHECK(m->refs == 1);
  CHECK(s.commit_one([&](write_txn& t) { return messages::set_cache(t, 424242, "x"); }) == errc::not_found);
}
