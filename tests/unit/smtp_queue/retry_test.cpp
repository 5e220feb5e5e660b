// The queue's pure decisions: backoff, grouping by destination, applying an attempt's results (statuses, expiry,
// next due time, DELAY notices), NOTIFY rules; the MX ordering; the [queue] config reader.
#include <catch2/catch.hpp>

#include "common/config.hpp"
#include "smtp/queue/config.hpp"
#include "smtp/queue/resolver.hpp"
#include "smtp/queue/retry.hpp"

using namespace mssgw;
using namespace mssgw::smtp::queue;
using storage::rcpt_status;
using namespace std::chrono_literals;

namespace {

retry_policy seconds_policy() {
  retry_policy p;
  p.minimal_backoff = 5s;
  p.maximal_backoff = 60s;
  p.lifetime = 600s;
  p.delay_warning = 120s;
  return p;
}

storage::queue_entry entry_with(std::vector<std::string> addresses, std::uint8_t notify = 0) {
  storage::queue_entry e;
  e.id = 0xAB;
  e.sender = "alice@alpha.mssante.test";
  e.created_ms = 1'000'000;
  e.next_due_ms = 1'000'000;
  e.lease_owner = "node-a";
  e.lease_until_ms = 2'000'000;
  for (auto& a : addresses) {
    storage::queue_recipient r;
    r.address = a;
    r.notify = notify;
    e.recipients.push_back(r);
  }
  return e;
}

recipient_outcome result(std::size_t i, outcome o, std::uint16_t code, std::string status, std::string diag) {
  return {i, o, code, std::move(status), std::move(diag)};
}

}  // namespace

TEST_CASE("backoff doubles from the minimum to the maximum", "[queue][retry]") {
  retry_policy p;  // defaults: 5 min .. 1 h (Postfix)
  CHECK(backoff(1, p) == 300s);
  CHECK(backoff(2, p) == 600s);
  CHECK(backoff(3, p) == 1200s);
  CHECK(backoff(4, p) == 2400s);
  CHECK(backoff(5, p) == 3600s);
  CHECK(backoff(6, p) == 3600s);
  CHECK(backoff(1000, p) == 3600s);  // no overflow
  CHECK(backoff(0, p) == 300s);
  auto s = seconds_policy();
  CHECK(backoff(1, s) == 5s);
  CHECK(backoff(4, s) == 40s);
  CHECK(backoff(5, s) == 60s);
}

TEST_CASE("pending recipients are grouped by destination domain", "[queue][retry]") {
  auto e = entry_with({"a@beta.mssante.test", "b@gamma.mssante.test", "c@BETA.mssante.test", "d@beta.mssante.test",
                       "e@gamma.mssante.test"});
  e.recipients[3].status = rcpt_status::delivered;
  auto groups = group_by_destination(e);
  REQUIRE(groups.size() == 2);
  CHECK(groups[0].domain == "beta.mssante.test");
  CHECK(groups[0].recipients == std::vector<std::size_t>{0, 2});
  CHECK(groups[1].domain == "gamma.mssante.test");
  CHECK(groups[1].recipients == std::vector<std::size_t>{1, 4});
  e.recipients[0].status = e.recipients[1].status = e.recipients[2].status = e.recipients[4].status =
      rcpt_status::failed;
  CHECK(group_by_destination(e).empty());
}

TEST_CASE("NOTIFY decides which notices are sent (RFC 3461 §5.2)", "[queue][retry]") {
  using storage::notify_delay;
  using storage::notify_failure;
  using storage::notify_never;
  using storage::notify_success;
  struct row {
    std::uint8_t notify;
    bool failed, delayed, relayed;
  };
  const row rows[] = {
      {0, true, true, false},  // not given: FAILURE (and DELAY at our discretion)
      {notify_never, false, false, false},
      {notify_success, false, false, true},
      {notify_failure, true, false, false},
      {notify_delay, false, true, false},
      {notify_success | notify_failure | notify_delay, true, true, true},
  };
  for (const auto& r : rows) {
    INFO("notify " << int(r.notify));
    CHECK(wants_notification(r.notify, dsn_action::failed) == r.failed);
    CHECK(wants_notification(r.notify, dsn_action::delayed) == r.delayed);
    CHECK(wants_notification(r.notify, dsn_action::relayed) == r.relayed);
    CHECK(wants_notification(r.notify, dsn_action::delivered) == r.relayed);
  }
}

TEST_CASE("an attempt with every outcome", "[queue][retry]") {
  auto e = entry_with({"ok@beta.mssante.test", "later@beta.mssante.test", "bad@beta.mssante.test"});
  attempt_report rep;
  rep.remote_mta = "mx.beta.mssante.test";
  rep.outcomes = {result(0, outcome::delivered, 250, "2.0.0", "smtp; 250 2.0.0 Ok"),
                  result(1, outcome::deferred, 451, "4.2.0", "smtp; 451 4.2.0 try later"),
                  result(2, outcome::failed, 550, "5.1.1", "smtp; 550 5.1.1 unknown")};
  const std::int64_t now = 1'010'000;
  auto a = apply_attempt(e, rep, true, now, seconds_policy());
  CHECK_FALSE(a.remove);
  CHECK(a.tally.delivered == 1);
  CHECK(a.tally.deferred == 1);
  CHECK(a.tally.bounced == 1);
  CHECK(a.entry.recipients[0].status == rcpt_status::delivered);
  CHECK(a.entry.recipients[1].status == rcpt_status::pending);
  CHECK(a.entry.recipients[1].last_code == 451);
  CHECK(a.entry.recipients[1].last_reply == "smtp; 451 4.2.0 try later");
  CHECK(a.entry.recipients[2].status == rcpt_status::failed);
  CHECK(a.entry.attempts == 1);
  CHECK(a.entry.next_due_ms == now + 5000);
  CHECK(a.entry.lease_owner.empty());
  CHECK(a.entry.lease_until_ms == 0);
  // One failure notice (no NOTIFY given: FAILURE by default), for the failed recipient only.
  REQUIRE(a.notifications.size() == 1);
  CHECK(a.notifications[0].final_recipient == "bad@beta.mssante.test");
  CHECK(a.notifications[0].action == dsn_action::failed);
  CHECK(a.notifications[0].status == "5.1.1");
  CHECK(a.notifications[0].remote_mta == "mx.beta.mssante.test");
  CHECK(a.notifications[0].diagnostic == "smtp; 550 5.1.1 unknown");

  // The next deferral waits twice as long.
  attempt_report again;
  again.outcomes = {result(1, outcome::deferred, 451, "4.2.0", "smtp; 451 4.2.0 try later")};
  auto b = apply_attempt(a.entry, again, true, now + 5000, seconds_policy());
  CHECK(b.entry.attempts == 2);
  CHECK(b.entry.next_due_ms == now + 5000 + 10000);
  CHECK(b.notifications.empty());
  // Delivered at last: the entry goes.
  attempt_report finally;
  finally.outcomes = {result(1, outcome::delivered, 250, "2.0.0", "smtp; 250 ok")};
  auto c = apply_attempt(b.entry, finally, true, now + 20000, seconds_policy());
  CHECK(c.remove);
  CHECK(c.notifications.empty());
}

TEST_CASE("a partial report (one destination of several) does not count the attempt", "[queue][retry]") {
  auto e = entry_with({"a@beta.mssante.test", "b@gamma.mssante.test"});
  attempt_report rep;
  rep.outcomes = {result(0, outcome::deferred, 451, "4.4.1", "x-mssgw; cannot connect")};
  auto a = apply_attempt(e, rep, false, 1'001'000, seconds_policy());
  CHECK(a.entry.attempts == 0);
  CHECK(a.entry.lease_owner == "node-a");
  CHECK(a.entry.next_due_ms == e.next_due_ms);
  CHECK_FALSE(a.remove);
  attempt_report rest;
  rest.outcomes = {result(1, outcome::delivered, 250, "2.0.0", "smtp; 250 ok")};
  auto b = apply_attempt(a.entry, rest, true, 1'002'000, seconds_policy());
  CHECK(b.entry.attempts == 1);
  CHECK_FALSE(b.remove);
  CHECK(b.entry.next_due_ms == 1'002'000 + 5000);
  // A replayed report changes nothing already final.
  auto c = apply_attempt(b.entry, rest, false, 1'003'000, seconds_policy());
  CHECK(c.tally.delivered == 0);
}

TEST_CASE("NOTIFY=SUCCESS: 'relayed' only when the server has no DSN (RFC 3461 §5.2.1, §5.2.2)", "[queue][retry]") {
  auto e = entry_with({"a@beta.mssante.test"}, storage::notify_success | storage::notify_failure);
  e.recipients[0].orcpt = "rfc822;A@beta.mssante.test";
  attempt_report rep;
  rep.remote_mta = "mx.beta.mssante.test";
  rep.outcomes = {result(0, outcome::delivered, 250, "2.0.0", "smtp; 250 2.0.0 Ok")};
  rep.remote_dsn = false;
  auto a = apply_attempt(e, rep, true, 1'001'000, seconds_policy());
  REQUIRE(a.notifications.size() == 1);
  CHECK(a.notifications[0].action == dsn_action::relayed);
  CHECK(a.notifications[0].original_recipient == "rfc822;A@beta.mssante.test");
  CHECK(a.remove);
  rep.remote_dsn = true;  // NOTIFY was passed on: the final MTA reports the success
  CHECK(apply_attempt(e, rep, true, 1'001'000, seconds_policy()).notifications.empty());
  // NOTIFY=NEVER and NOTIFY=SUCCESS without FAILURE: no failure notice.
  for (std::uint8_t n : {std::uint8_t(storage::notify_never), std::uint8_t(storage::notify_success)}) {
    auto f = entry_with({"a@beta.mssante.test"}, n);
    attempt_report bad;
    bad.outcomes = {result(0, outcome::failed, 550, "5.1.1", "smtp; 550 no")};
    auto r = apply_attempt(f, bad, true, 1'001'000, seconds_policy());
    CHECK(r.notifications.empty());
    CHECK(r.remove);
    CHECK(r.tally.bounced == 1);
  }
}

TEST_CASE("null sender: no notice of any kind", "[queue][retry]") {
  auto e = entry_with({"a@beta.mssante.test"});
  e.sender = "";
  attempt_report bad;
  bad.outcomes = {result(0, outcome::failed, 550, "5.1.1", "smtp; 550 no")};
  auto a = apply_attempt(e, bad, true, 1'001'000, seconds_policy());
  CHECK(a.notifications.empty());
  CHECK(a.remove);
  attempt_report later;
  later.outcomes = {result(0, outcome::deferred, 451, "4.0.0", "smtp; 451 later")};
  CHECK(apply_attempt(e, later, true, e.created_ms + 600'000, seconds_policy()).notifications.empty());
}

TEST_CASE("lifetime: the last due time is the end of life, then pending recipients bounce", "[queue][retry]") {
  auto e = entry_with({"a@beta.mssante.test", "b@beta.mssante.test"});
  e.recipients[1].notify = storage::notify_never;
  e.attempts = 10;
  attempt_report later;
  later.outcomes = {result(0, outcome::deferred, 451, "4.7.1", "x-mssgw; server certificate not accepted"),
                    result(1, outcome::deferred, 451, "4.7.1", "x-mssgw; server certificate not accepted")};
  // 30 s before the end of life: the next attempt is at the end of life, not a backoff later.
  const std::int64_t end = e.created_ms + 600'000;
  auto a = apply_attempt(e, later, true, end - 30'000, seconds_policy());
  CHECK_FALSE(a.remove);
  CHECK(a.entry.next_due_ms == end);
  // At the end of life, still deferred: both fail, one notice (NOTIFY=NEVER for the other).
  auto b = apply_attempt(a.entry, later, true, end, seconds_policy());
  CHECK(b.remove);
  CHECK(b.expired);
  CHECK(b.tally.bounced == 2);
  CHECK(b.entry.recipients[0].status == rcpt_status::failed);
  REQUIRE(b.notifications.size() == 1);
  CHECK(b.notifications[0].action == dsn_action::failed);
  CHECK(b.notifications[0].status == "5.4.7");
  CHECK(b.notifications[0].diagnostic == "x-mssgw; server certificate not accepted");
}

TEST_CASE("one DELAY notice past delay_warning, for NOTIFY=DELAY or no NOTIFY", "[queue][retry]") {
  auto e = entry_with({"a@beta.mssante.test", "b@beta.mssante.test", "c@beta.mssante.test"});
  e.recipients[1].notify = storage::notify_failure;  // no DELAY asked
  e.recipients[2].notify = storage::notify_delay;
  attempt_report later;
  later.outcomes = {result(0, outcome::deferred, 451, "4.4.1", "x-mssgw; cannot connect"),
                    result(1, outcome::deferred, 451, "4.4.1", "x-mssgw; cannot connect"),
                    result(2, outcome::deferred, 451, "4.4.1", "x-mssgw; cannot connect")};
  // Before delay_warning (120 s): nothing.
  auto a = apply_attempt(e, later, true, e.created_ms + 60'000, seconds_policy());
  CHECK(a.notifications.empty());
  // Past it: one notice for a and c, with Will-Retry-Until at the end of life.
  auto b = apply_attempt(a.entry, later, true, e.created_ms + 130'000, seconds_policy());
  REQUIRE(b.notifications.size() == 2);
  CHECK(b.notifications[0].final_recipient == "a@beta.mssante.test");
  CHECK(b.notifications[1].final_recipient == "c@beta.mssante.test");
  CHECK(b.notifications[0].action == dsn_action::delayed);
  CHECK(b.notifications[0].status == "4.4.1");
  CHECK(b.notifications[0].will_retry_until_ms == e.created_ms + 600'000);
  CHECK(b.entry.recipients[0].delay_notified);
  CHECK(b.entry.recipients[1].delay_notified);
  // Only once.
  auto c = apply_attempt(b.entry, later, true, e.created_ms + 200'000, seconds_policy());
  CHECK(c.notifications.empty());
  // delay_warning 0: never.
  auto p = seconds_policy();
  p.delay_warning = 0ms;
  CHECK(apply_attempt(e, later, true, e.created_ms + 500'000, p).notifications.empty());
}

TEST_CASE("finish_run on an entry with nothing pending removes it", "[queue][retry]") {
  auto e = entry_with({"a@beta.mssante.test"});
  e.recipients[0].status = rcpt_status::delivered;
  auto a = finish_run(e, 1'001'000, seconds_policy());
  CHECK(a.remove);
  CHECK(a.notifications.empty());
}

TEST_CASE("MX order: preference, then random among equals, and the null MX", "[queue][resolver]") {
  std::mt19937 rng(42);
  auto o = order_mx({{"c.example.", 20}, {"a.example", 10}, {"b.example", 10}, {"d.example", 5}}, rng);
  CHECK_FALSE(o.null_mx);
  REQUIRE(o.records.size() == 4);
  CHECK(o.records[0].host == "d.example");
  CHECK((o.records[1].host == "a.example" || o.records[1].host == "b.example"));
  CHECK(o.records[3].host == "c.example");  // trailing dot removed
  // Equal preferences are shuffled: over many runs both orders appear.
  bool a_first = false, b_first = false;
  for (int i = 0; i < 64; ++i) {
    auto r = order_mx({{"a.example", 10}, {"b.example", 10}}, rng);
    (r.records[0].host == "a.example" ? a_first : b_first) = true;
  }
  CHECK(a_first);
  CHECK(b_first);
  auto null = order_mx({{"", 0}}, rng);
  CHECK(null.null_mx);
  CHECK(null.records.empty());
  CHECK(order_mx({{".", 0}}, rng).null_mx);
  CHECK_FALSE(order_mx({{".", 0}, {"mx.example", 10}}, rng).null_mx);
}

TEST_CASE("[queue] config: defaults, bounds, routes", "[queue][config]") {
  {
    common::config_errors errors;
    common::config_document doc(R"(
[queue]
node_id = "node-1"
concurrency = 10
per_destination = 2
minimal_backoff = "1s"
maximal_backoff = "10s"
lifetime = "2m"
delay_warning_time = "0"
command_timeout = "5s"
routes = { "beta.mssante.test" = "127.0.0.1:2526", "Gamma.mssante.test" = "[::1]:2527", "*" = "relay.example" }
dns_servers = ["127.0.0.1:5353"]
)",
                                "test.toml", errors);
    config c;
    auto root = doc.root();
    auto s = root.sub("queue");
    c.read(s);
    s.finish();
    for (const auto& e : errors.all()) INFO(e.to_string());
    CHECK(errors.empty());
    CHECK(c.node_id == "node-1");
    CHECK(c.concurrency == 10);
    CHECK(c.per_destination == 2);
    CHECK(c.minimal_backoff == 1s);
    CHECK(c.maximal_backoff == 10s);
    CHECK(c.lifetime == 120s);
    CHECK(c.delay_warning_time == 0s);
    CHECK(c.timeouts.command == 5000ms);
    CHECK(c.timeouts.data_end == 600'000ms);  // default kept
    REQUIRE(c.routes.size() == 3);
    CHECK(c.route_for("BETA.mssante.test") == next_hop{"127.0.0.1", 2526, true});
    CHECK(c.route_for("gamma.mssante.test") == next_hop{"::1", 2527, true});
    CHECK(c.route_for("other.example") == next_hop{"relay.example", 25, false});
    CHECK(c.dns_servers == std::vector<std::string>{"127.0.0.1:5353"});
  }
  {
    common::config_errors errors;
    common::config_document doc(R"(
[queue]
concurrency = 0
minimal_backoff = "2h"
maximal_backoff = "1h"
routes = { "beta.mssante.test" = "::1:25", "bad domain" = "127.0.0.1", "x.test" = "h:99999" }
dns_servers = ["resolver.example"]
unknown = 1
)",
                                "bad.toml", errors);
    config c;
    auto root = doc.root();
    auto s = root.sub("queue");
    c.read(s);
    s.finish();
    auto all = errors.all();
    std::string text;
    for (const auto& e : all) text += e.to_string() + "\n";
    INFO(text);
    CHECK(all.size() == 7);
    CHECK(text.find("bad.toml:3") != std::string::npos);  // every error with its line
  }
  next_hop h;
  CHECK(parse_next_hop("127.0.0.1", h));
  CHECK(h.port == 25);
  CHECK(parse_next_hop("[2001:db8::1]:587", h));
  CHECK(h.host == "2001:db8::1");
  CHECK(h.literal);
  CHECK(parse_next_hop("MX.Example:2525", h));
  CHECK(h.host == "mx.example");
  CHECK_FALSE(h.literal);
  CHECK_FALSE(parse_next_hop("", h));
  CHECK_FALSE(parse_next_hop("a:", h));
  CHECK_FALSE(parse_next_hop("a:0", h));
  CHECK_FALSE(parse_next_hop("[zz]:25", h));
  CHECK_FALSE(parse_next_hop("2001:db8::1", h));
}
