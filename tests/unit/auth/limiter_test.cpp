// Failure throttling (auth/limiter.hpp): delays, window, independence of keys, eviction, blocking, threads.
#include "auth/limiter.hpp"

#include <catch2/catch.hpp>
#include <thread>
#include <vector>

using namespace mssgw::auth;
using namespace std::chrono_literals;
using tp = failure_limiter::clock::time_point;

namespace {
tp t(std::int64_t seconds) {
  return tp(std::chrono::seconds(1'700'000'000 + seconds));
}
}  // namespace

TEST_CASE("limiter: delays grow by doubling and cap", "[auth][limiter]") {
  throttle_config cfg;  // free 2, base 1 s, max 15 s
  const std::chrono::milliseconds expected[] = {0ms,    0ms,    0ms,     1000ms,  2000ms,
                                                4000ms, 8000ms, 15000ms, 15000ms, 15000ms};
  for (int n = 0; n < 10; ++n) {
    INFO(n);
    CHECK(failure_limiter::delay_for(cfg, n) == expected[n]);
  }
  CHECK(failure_limiter::delay_for(cfg, 1000000) == 15000ms);  // no overflow

  failure_limiter l(cfg);
  std::vector<std::chrono::milliseconds> seen;
  for (int i = 0; i < 8; ++i) seen.push_back(l.record_failure("192.0.2.1", "", t(i)).delay);
  CHECK(seen == std::vector<std::chrono::milliseconds>{0ms, 0ms, 1000ms, 2000ms, 4000ms, 8000ms, 15000ms, 15000ms});
}

TEST_CASE("limiter: failures leave the sliding window", "[auth][limiter]") {
  throttle_config cfg;
  cfg.window = 60s;
  failure_limiter l(cfg);
  l.record_failure("192.0.2.1", "", t(0));
  l.record_failure("192.0.2.1", "", t(10));
  CHECK(l.record_failure("192.0.2.1", "", t(20)).ip_failures == 3);
  CHECK(l.check("192.0.2.1", "", t(59)).ip_failures == 3);
  CHECK(l.check("192.0.2.1", "", t(60)).ip_failures == 2);  // the failure at 0 is exactly 60 s old: gone
  CHECK(l.check("192.0.2.1", "", t(75)).ip_failures == 1);
  CHECK(l.record_failure("192.0.2.1", "", t(75)).delay == 0ms);  // 2 in the window: still free
  CHECK(l.check("192.0.2.1", "", t(200)).ip_failures == 0);
  CHECK(l.tracked_ips() == 0);  // emptied entries are dropped
}

TEST_CASE("limiter: addresses and identities count independently; the larger delay applies", "[auth][limiter]") {
  failure_limiter l;
  for (int i = 0; i < 4; ++i) l.record_failure("192.0.2.1", "810001234567", t(i));
  // Another address guessing the same identity: its own count is 1, the identity's is 5.
  auto d = l.record_failure("198.51.100.7", "810001234567", t(5));
  CHECK(d.ip_failures == 1);
  CHECK(d.identity_failures == 5);
  CHECK(d.delay == 4000ms);
  // The first address guessing another identity: the address's count carries the delay.
  d = l.record_failure("192.0.2.1", "810009999999", t(6));
  CHECK(d.ip_failures == 5);
  CHECK(d.identity_failures == 1);
  CHECK(d.delay == 4000ms);
  // Unrelated address and identity: untouched.
  auto c = l.check("203.0.113.9", "810000000001", t(7));
  CHECK(c.ip_failures == 0);
  CHECK(c.identity_failures == 0);
  CHECK_FALSE(c.blocked);
}

TEST_CASE("limiter: a success resets the identity, not the address", "[auth][limiter]") {
  failure_limiter l;
  for (int i = 0; i < 5; ++i) l.record_failure("192.0.2.1", "810001234567", t(i));
  l.record_success("810001234567");
  auto c = l.check("192.0.2.1", "810001234567", t(6));
  CHECK(c.identity_failures == 0);
  CHECK(c.ip_failures == 5);
  l.record_success("");  // harmless
  l.record_success("never-seen");
}

TEST_CASE("limiter: hard limits block until the window slides", "[auth][limiter]") {
  throttle_config cfg;
  cfg.window = 100s;
  cfg.identity_block = 3;
  cfg.ip_block = 5;
  failure_limiter l(cfg);
  CHECK_FALSE(l.record_failure("192.0.2.1", "u1", t(0)).blocked);
  CHECK_FALSE(l.record_failure("192.0.2.2", "u1", t(1)).blocked);
  auto d = l.record_failure("192.0.2.3", "u1", t(2));
  CHECK(d.blocked);
  CHECK(d.delay == cfg.max_delay);
  auto c = l.check("192.0.2.9", "u1", t(3));
  CHECK(c.blocked);
  CHECK(c.delay == cfg.max_delay);
  CHECK_FALSE(l.check("192.0.2.9", "u2", t(3)).blocked);
  // More failures while blocked keep at most identity_block timestamps: unblocked once the oldest kept leaves.
  for (int i = 0; i < 10; ++i) l.record_failure("192.0.2.4", "u1", t(10 + i));
  CHECK(l.check("", "u1", t(109)).blocked);
  CHECK_FALSE(l.check("", "u1", t(118)).blocked);  // kept: 17, 18, 19; at 118 only 18 and 19 remain
  // Per-address block.
  for (int i = 0; i < 5; ++i) l.record_failure("198.51.100.1", "", t(200 + i));
  CHECK(l.check("198.51.100.1", "", t(205)).blocked);
  CHECK_FALSE(l.check("198.51.100.2", "", t(205)).blocked);
}

TEST_CASE("limiter: memory is bounded; the least recently touched key is evicted", "[auth][limiter]") {
  throttle_config cfg;
  cfg.max_keys = 100;
  failure_limiter l(cfg);
  l.record_failure("10.0.0.0", "id-0", t(0));
  for (int i = 1; i < 1000; ++i) {
    l.record_failure("10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256), "id-" + std::to_string(i),
                     t(1));
    if (i % 50 == 0) l.record_failure("10.0.0.0", "id-0", t(1));  // keep the first one warm
    CHECK(l.tracked_ips() <= 100);
    CHECK(l.tracked_identities() <= 100);
  }
  CHECK(l.tracked_ips() == 100);
  CHECK(l.check("10.0.0.0", "id-0", t(2)).ip_failures > 1);   // touched recently: kept
  CHECK(l.check("10.0.0.1", "id-1", t(2)).ip_failures == 0);  // cold: evicted
  cfg.max_keys = 10;
  l.reconfigure(cfg);
  CHECK(l.tracked_ips() == 10);
  CHECK(l.tracked_identities() == 10);
}

TEST_CASE("limiter: IPv6 counted per /64; IPv4-mapped as IPv4", "[auth][limiter]") {
  CHECK(failure_limiter::address_key("192.0.2.1") == "192.0.2.1");
  CHECK(failure_limiter::address_key("2001:db8:1:2:3:4:5:6") == "2001:db8:1:2::/64");
  CHECK(failure_limiter::address_key("2001:db8:1:2::ffff") == "2001:db8:1:2::/64");
  CHECK(failure_limiter::address_key("[2001:db8::1]") == "2001:db8:0:0::/64");
  CHECK(failure_limiter::address_key("::ffff:192.0.2.1") == "192.0.2.1");
  CHECK(failure_limiter::address_key("not an address") == "not an address");
  failure_limiter l;
  l.record_failure(failure_limiter::address_key("2001:db8:1:2::1"), "", t(0));
  CHECK(l.record_failure(failure_limiter::address_key("2001:db8:1:2::2"), "", t(1)).ip_failures == 2);
}

TEST_CASE("limiter: concurrent sessions on several threads", "[auth][limiter]") {
  throttle_config cfg;
  cfg.max_keys = 1000;
  cfg.ip_block = 1000000;
  cfg.identity_block = 1000000;
  failure_limiter l(cfg);
  std::vector<std::thread> threads;
  for (int th = 0; th < 4; ++th) {
    threads.emplace_back([&, th] {
      for (int i = 0; i < 2000; ++i) {
        l.record_failure("ip-" + std::to_string(i % 50), "id-" + std::to_string((i + th) % 3000), t(0));
        l.check("ip-" + std::to_string(i % 7), "", t(0));
        if (i % 10 == 0) l.record_success("id-" + std::to_string(i % 3000));
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(l.check("ip-0", "", t(0)).ip_failures == 4 * 2000 / 50);
  CHECK(l.tracked_identities() <= 1000);
}
