// The typed stores on both backends: blob reference counts, message placements, UID and MODSEQ monotonicity,
// UIDVALIDITY, the queue and its due index, BALs and delegations.
#include <catch2/catch.hpp>

#include "backends.hpp"
#include "storage/account_store.hpp"
#include "storage/mailbox_store.hpp"
#include "storage/queue_store.hpp"

using namespace mssgw;
using namespace mssgw::storage;

namespace {
template <class F>
auto in_txn(kv_store& s, F f) {
  decltype(f(std::declval<write_txn&>())) out{};
  auto ec = s.commit_one([&](write_txn& txn) {
    out = f(txn);
    return std::error_code{};
  });
  REQUIRE_FALSE(ec);
  return out;
}

mailbox_info make_mailbox(kv_store& s, std::string account = "a@x.test", std::string name = "INBOX") {
  mailbox_info mb;
  REQUIRE_FALSE(s.commit_one([&](write_txn& txn) { return mailboxes::create(txn, account, name, "", &mb); }));
  return mb;
}
}  // namespace

TEMPLATE_TEST_CASE("blobs: stored once, freed with the last reference", "[storage]", test::memory_backend,
                   test::lmdb_backend) {
  TestType b;
  auto& s = *b.store;
  auto h1 = in_txn(s, [](write_txn& t) { return blobs::put(t, "body"); });
  auto h2 = in_txn(s, [](write_txn& t) { return blobs::put(t, "body"); });
  CHECK(h1 == h2);
  CHECK(to_hex(h1) == "230d8358dc8e8890b4c58deeb62912ee2f20357ae92a5cc861b98e68fe31acb5");  // sha256("body")
  CHECK(blobs::refcount(*s.begin_read(), h1) == 2);
  REQUIRE_FALSE(s.commit_one([&](write_txn& t) { return blobs::release(t, h1); }));
  CHECK(blobs::get(*s.begin_read(), h1) == std::optional<std::string_view>("body"));
  REQUIRE_FALSE(s.commit_one([&](write_txn& t) { return blobs::release(t, h1); }));
  CHECK_FALSE(blobs::get(*s.begin_read(), h1));
  CHECK(blobs::refcount(*s.begin_read(), h1) == 0);
  CHECK(s.commit_one([&](write_txn& t) { return blobs::release(t, h1); }) == errc::not_found);
}

TEMPLATE_TEST_CASE("mailboxes: UIDs and MODSEQs strictly increase; counts follow", "[storage]", test::memory_backend,
                   test::lmdb_backend) {
  TestType b;
  auto& s = *b.store;
  auto mb = make_mailbox(s);
  CHECK(mb.uidnext == 1);
  std::vector<appended> placed;
  for (int i = 0; i < 5; ++i) {
    appended a;
    REQUIRE_FALSE(s.commit_one([&](write_txn& t) {
      auto id = messages::create(t, "message " + std::to_string(i), 1700000000 + i, "");
      message_flags f;
      if (i == 0) f.system = flag_seen;
      return mailboxes::append(t, mb.id, id, f, &a);
    }));
    placed.push_back(a);
  }
  for (std::size_t i = 1; i < placed.size(); ++i) {
    CHECK(placed[i].uid > placed[i - 1].uid);
    CHECK(placed[i].modseq > placed[i - 1].modseq);
  }
  auto now = mailboxes::get(*s.begin_read(), mb.id);
  REQUIRE(now);
  CHECK(now->exists == 5);
  CHECK(now->unseen == 4);
  CHECK(now->uidnext == placed.back().uid + 1);
  CHECK(now->highestmodseq == placed.back().modseq);

  // A flag change takes a new MODSEQ; setting the same flags again does not.
  std::uint64_t m1 = 0, m2 = 0;
  message_flags seen{flag_seen | flag_flagged, {"$Label1"}};
  REQUIRE_FALSE(s.commit_one([&](write_txn& t) { return mailboxes::set_flags(t, mb.id, placed[2].uid, seen, &m1); }));
  REQUIRE_FALSE(s.commit_one([&](write_txn& t) { return mailboxes::set_flags(t, mb.id, placed[2].uid, seen, &m2); }));
  CHECK(m1 > placed.back().modseq);
  CHECK(m2 == m1);
  auto entry = mailboxes::get_uid(*s.begin_read(), mb.id, placed[2].uid);
  REQUIRE(entry);
  CHECK(entry->flags == seen);
  CHECK(mailboxes::get(*s.begin_read(), mb.id)->unseen == 3);

  // CHANGEDSINCE sees exactly the changed UID, once.
  std::vector<std::uint32_t> changed;
  mailboxes::changed_since(*s.begin_read(), mb.id, placed.back().modseq, [&](std::uint32_t uid, std::uint64_t) {
    changed.push_back(uid);
    return true;
  });
  CHECK(changed == std::vector<std::uint32_t>{placed[2].uid});

  // Expunge: the UID disappears, leaves a VANISHED trace, and is never reused.
  REQUIRE_FALSE(s.commit_one([&](write_txn& t) { return mailboxes::expunge(t, mb.id, placed[4].uid); }));
  std::vector<std::uint32_t> vanished;
  mailboxes::expunged_since(*s.begin_read(), mb.id, m1, [&](std::uint32_t uid, std::uint64_t) {
    vanished.push_back(uid);
    return true;
  });
  CHECK(vanished == std::vector<std::uint32_t>{placed[4].uid});
  appended again;
  REQUIRE_FALSE(s.commit_one([&](write_txn& t) {
    return mailboxes::append(t, mb.id, messages::create(t, "later", 0, ""), {}, &again);
  }));
  CHECK(again.uid == placed[4].uid + 1);
  auto after = mailboxes::get(*s.begin_read(), mb.id);
  CHECK(after->exists == 5);
  std::vector<std::uint32_t> uids;
  mailboxes::scan_uids(*s.begin_read(), mb.id, 1, 0xffffffffu, [&](const uid_entry& u) {
    uids.push_back(u.uid);
    return true;
  });
  CHECK(uids == std::vector<std::uint32_t>{1, 2, 3, 4, 6});
}

TEMPLATE_TEST_CASE("mailboxes: one message in two mailboxes shares its body until both are gone", "[storage]",
                   test::memory_backend, test::lmdb_backend) {
  TestType b;
  auto& s = *b.store;
  auto inbox1 = make_mailbox(s, "a@x.test"), inbox2 = make_mailbox(s, "b@x.test");
  std::uint64_t id = 0;
  REQUIRE_FALSE(s.commit_one([&](write_txn& t) -> std::error_code {
    id = messages::create(t, "shared body", 0, "cached");
    if (auto ec = mailboxes::append(t, inbox1.id, id, {})) return ec;
    return mailboxes::append(t, inbox2.id, id, {});
  }));
  auto m = messages::get(*s.begin_read(), id);
  REQUIRE(m);
  CHECK(m->refs == 2);
  CHECK(m->cache == "cached");
  CHECK(blobs::refcount(*s.begin_read(), m->blob) == 1);
  REQUIRE_FALSE(s.commit_one([&](write_txn& t) { return mailboxes::expunge(t, inbox1.id, 1); }));
  CHECK(messages::get(*s.begin_read(), id)->refs == 1);
  REQUIRE_FALSE(s.commit_one([&](write_txn& t) { return mailboxes::remove(t, "b@x.test", "INBOX"); }));
  CHECK_FALSE(messages::get(*s.begin_read(), id));
  CHECK_FALSE(blobs::get(*s.begin_read(), m->blob));
  CHECK_FALSE(mailboxes::get(*s.begin_read(), inbox2.id));
}

TEMPLATE_TEST_CASE("messages: deliver places one stored body in several mailboxes", "[storage]",
                   test::memory_backend, test::lmdb_backend) {
  TestType b;
  auto& s = *b.store;
  auto inbox1 = make_mailbox(s, "a@x.test"), inbox2 = make_mailbox(s, "b@x.test");
  const std::string raw = "Subject: hi\r\n\r\nbody\r\n";
  const std::uint64_t ids[] = {inbox1.id, inbox2.id};
  std::vector<appended> placed;
  REQUIRE_FALSE(s.commit_one([&](write_txn& t) {
    placed.clear();
    return messages::deliver(t, raw, hash_content(raw), 1700000000, "c", ids, &placed);
  }));
  REQUIRE(placed.size() == 2);
  auto txn = s.begin_read();
  auto u1 = mailboxes::get_uid(*txn, inbox1.id, placed[0].uid), u2 = mailboxes::get_uid(*txn, inbox2.id, placed[1].uid);
  REQUIRE(u1);
  REQUIRE(u2);
  CHECK(u1->message_id == u2->message_id);
  auto m = messages::get(*txn, u1->message_id);
  REQUIRE(m);
  CHECK(m->refs == 2);
  CHECK(m->size == raw.size());
  CHECK(blobs::get(*txn, m->blob) == std::optional<std::string_view>(raw));
  CHECK(mailboxes::get(*txn, inbox1.id)->exists == 1);
  CHECK(mailboxes::get(*txn, inbox2.id)->unseen == 1);
  const std::uint64_t missing[] = {inbox1.id, 999999};
  CHECK(s.commit_one([&](write_txn& t) { return messages::deliver(t, raw, hash_content(raw), 0, "", missing); }) ==
        errc::not_found);
  CHECK(mailboxes::get(*s.begin_read(), inbox1.id)->exists == 1);  // the failed unit wrote nothing
}

TEMPLATE_TEST_CASE("mailboxes: a re-created mailbox gets a new UIDVALIDITY", "[storage]", test::memory_backend,
                   test::lmdb_backend) {
  TestType b;
  auto& s = *b.store;
  auto first = make_mailbox(s, "a@x.test", "Projects");
  CHECK(s.commit_one([&](write_txn& t) { return mailboxes::create(t, "a@x.test", "Projects", "", nullptr); }) ==
        errc::already_exists);
  REQUIRE_FALSE(s.commit_one([&](write_txn& t) { return mailboxes::remove(t, "a@x.test", "Projects"); }));
  auto second = make_mailbox(s, "a@x.test", "Projects");
  CHECK(second.uidvalidity > first.uidvalidity);
  CHECK(second.id != first.id);
  CHECK(s.commit_one([&](write_txn& t) { return mailboxes::create(t, "a@x.test", std::string("a\0b", 3), "", nullptr); }) ==
        errc::invalid_argument);
}

TEMPLATE_TEST_CASE("queue: due index, update, lease, removal", "[storage]", test::memory_backend, test::lmdb_backend) {
  TestType b;
  auto& s = *b.store;
  auto enqueue = [&](std::int64_t due) {
    queue_entry q;
    q.sender = "a@x.test";
    q.next_due_ms = due;
    queue_recipient r;
    r.address = "b@y.test";
    r.notify = notify_success | notify_failure;
    q.recipients.push_back(r);
    return in_txn(s, [&](write_txn& t) { return queue::enqueue(t, q, "body of " + std::to_string(due)); });
  };
  auto late = enqueue(3000), early = enqueue(1000), middle = enqueue(2000);
  std::vector<std::uint64_t> due;
  queue::scan_due(*s.begin_read(), 2000, [&](std::uint64_t id, std::int64_t) {
    due.push_back(id);
    return true;
  });
  CHECK(due == std::vector<std::uint64_t>{early, middle});

  auto q = queue::get(*s.begin_read(), late);
  REQUIRE(q);
  CHECK(q->recipients.at(0).notify == (notify_success | notify_failure));
  CHECK(q->display_id().size() == 16);
  CHECK(queue::parse_display_id(q->display_id()) == late);
  q->next_due_ms = 500;
  q->attempts = 1;
  q->recipients[0].last_code = 451;
  q->recipients[0].last_reply = "try later";
  REQUIRE_FALSE(s.commit_one([&](write_txn& t) { return queue::update(t, *q); }));
  due.clear();
  queue::scan_due(*s.begin_read(), 600, [&](std::uint64_t id, std::int64_t) {
    due.push_back(id);
    return true;
  });
  CHECK(due == std::vector<std::uint64_t>{late});  // moved, not duplicated
  CHECK(queue::get(*s.begin_read(), late)->recipients[0].last_reply == "try later");

  CHECK_FALSE(s.commit_one([&](write_txn& t) { return queue::claim(t, early, "worker-1", 100, 200); }));
  CHECK(s.commit_one([&](write_txn& t) { return queue::claim(t, early, "worker-2", 150, 300); }) == errc::conflict);
  CHECK_FALSE(s.commit_one([&](write_txn& t) { return queue::claim(t, early, "worker-2", 250, 300); }));  // expired

  auto blob = queue::get(*s.begin_read(), early)->blob;
  REQUIRE_FALSE(s.commit_one([&](write_txn& t) { return queue::remove(t, early); }));
  CHECK_FALSE(queue::get(*s.begin_read(), early));
  CHECK_FALSE(blobs::get(*s.begin_read(), blob));
  CHECK(s.commit_one([&](write_txn& t) { return queue::remove(t, early); }) == errc::not_found);
}

TEMPLATE_TEST_CASE("accounts: BALs, default mailboxes, delegations", "[storage]", test::memory_backend,
                   test::lmdb_backend) {
  TestType b;
  auto& s = *b.store;
  account_record per;
  per.address = "Jean.Dupont@Alpha.MSSante.test";
  per.type = bal_type::PER;
  per.owner_idnat = "810001234567";
  REQUIRE_FALSE(s.commit_one([&](write_txn& t) { return accounts::create(t, per); }));
  CHECK(s.commit_one([&](write_txn& t) { return accounts::create(t, per); }) == errc::already_exists);
  account_record no_owner;
  no_owner.address = "x@alpha.mssante.test";
  CHECK(s.commit_one([&](write_txn& t) { return accounts::create(t, no_owner); }) == errc::invalid_argument);

  auto got = accounts::get(*s.begin_read(), "jean.dupont@alpha.mssante.test");
  REQUIRE(got);
  CHECK(got->address == "jean.dupont@alpha.mssante.test");
  auto boxes = mailboxes::list(*s.begin_read(), got->address);
  REQUIRE(boxes.size() == std::size(default_mailboxes));
  CHECK(std::any_of(boxes.begin(), boxes.end(), [](auto& m) { return m.name == "Sent" && m.special_use == "\\Sent"; }));

  REQUIRE_FALSE(s.commit_one([&](write_txn& t) { return accounts::grant(t, got->address, "810009999999", right_read); }));
  REQUIRE_FALSE(s.commit_one([&](write_txn& t) { return accounts::grant(t, got->address, "810009999999", right_send); }));
  REQUIRE_FALSE(s.commit_one(
      [&](write_txn& t) { return accounts::grant(t, got->address, "dn:CN=lgc.alpha.mssante.test,C=FR", right_read); }));
  got = accounts::get(*s.begin_read(), got->address);
  REQUIRE(got->delegations.size() == 2);
  CHECK(got->delegations[0].rights == (right_read | right_send));
  REQUIRE_FALSE(s.commit_one([&](write_txn& t) { return accounts::revoke(t, got->address, "810009999999", right_read); }));
  CHECK(accounts::get(*s.begin_read(), got->address)->delegations[0].rights == right_send);
  CHECK(s.commit_one([&](write_txn& t) { return accounts::revoke(t, got->address, "nobody1", right_read); }) ==
        errc::not_found);
  CHECK(s.commit_one([&](write_txn& t) { return accounts::grant(t, got->address, "bad identity!", right_read); }) ==
        errc::invalid_argument);

  REQUIRE_FALSE(s.commit_one([&](write_txn& t) { return accounts::remove(t, "jean.dupont@alpha.mssante.test"); }));
  CHECK_FALSE(accounts::get(*s.begin_read(), "jean.dupont@alpha.mssante.test"));
  CHECK(mailboxes::list(*s.begin_read(), "jean.dupont@alpha.mssante.test").empty());
}

TEST_CASE("accounts: address normalisation", "[storage]") {
  struct row {
    std::string_view in;
    std::optional<std::string> out;
  };
  const row rows[] = {
      {"Dr.Dupont@Alpha.MSSante.fr", "dr.dupont@alpha.mssante.fr"},
      {"a+b@x.y", "a+b@x.y"},
      {"secretariat.cardio@chu-alpha.mssante.fr", "secretariat.cardio@chu-alpha.mssante.fr"},
      {"146026322000196@patient.mssante.fr", "146026322000196@patient.mssante.fr"},
      {"no-at-sign", std::nullopt},
      {"@x.y", std::nullopt},
      {"a@", std::nullopt},
      {"a@localhost", std::nullopt},
      {".a@x.y", std::nullopt},
      {"a.@x.y", std::nullopt},
      {"a..b@x.y", std::nullopt},
      {"a b@x.y", std::nullopt},
      {"a@-x.y", std::nullopt},
      {"a@x..y", std::nullopt},
      {"a@x_y.z", std::nullopt},
      {"\"q\"@x.y", std::nullopt},
      {"é@x.y", std::nullopt},
  };
  for (const auto& r : rows) {
    INFO(r.in);
    CHECK(normalise_bal_address(r.in) == r.out);
  }
  CHECK(parse_rights("read,send") == (right_read | right_send));
  CHECK_FALSE(parse_rights("read,fly"));
  CHECK_FALSE(parse_rights(""));
  CHECK(rights_to_string(right_read | right_admin) == "read,admin");
  CHECK(parse_bal_type("org") == bal_type::ORG);
  CHECK_FALSE(parse_bal_type("XYZ"));
}
