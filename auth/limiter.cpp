#include "auth/limiter.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdio>

namespace mssgw::auth {
namespace {

std::int64_t to_ms(failure_limiter::clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

}  // namespace

failure_limiter::failure_limiter(throttle_config cfg) : cfg_(cfg) {}

std::chrono::milliseconds failure_limiter::delay_for(const throttle_config& cfg, int failures) {
  if (failures <= cfg.free_failures) return std::chrono::milliseconds{0};
  int doublings = failures - cfg.free_failures - 1;
  auto delay = cfg.base_delay;
  for (int i = 0; i < doublings && delay < cfg.max_delay; ++i) delay *= 2;
  return std::min(delay, cfg.max_delay);
}

int failure_limiter::count(table& t, std::string_view key, std::int64_t now_ms) {
  auto it = t.index.find(key);
  if (it == t.index.end()) return 0;
  auto& failures = it->second->failures;
  std::int64_t oldest = now_ms - std::chrono::duration_cast<std::chrono::milliseconds>(cfg_.window).count();
  // A failure exactly `window` old has left the window.
  failures.erase(failures.begin(),
                 std::find_if(failures.begin(), failures.end(), [&](std::int64_t f) { return f > oldest; }));
  if (failures.empty()) {
    auto node = it->second;
    t.index.erase(it);
    t.lru.erase(node);
    return 0;
  }
  return static_cast<int>(failures.size());
}

int failure_limiter::add(table& t, std::string_view key, std::int64_t now_ms, int limit) {
  count(t, key, now_ms);
  auto it = t.index.find(key);
  std::list<entry>::iterator node;
  if (it == t.index.end()) {
    if (cfg_.max_keys == 0) return 1;
    trim(t, cfg_.max_keys - 1);
    t.lru.push_front(entry{std::string(key), {}});
    node = t.lru.begin();
    t.index.emplace(node->key, node);
  } else {
    node = it->second;
    t.lru.splice(t.lru.begin(), t.lru, node);  // most recently touched first; iterators stay valid
  }
  auto& failures = node->failures;
  failures.push_back(now_ms);
  // Beyond the hard limit the exact count no longer matters: keep the newest `limit` timestamps, so the key stays
  // blocked until the oldest of them leaves the window.
  std::size_t keep = static_cast<std::size_t>(std::max(limit, 1));
  if (failures.size() > keep) failures.erase(failures.begin(), failures.end() - static_cast<std::ptrdiff_t>(keep));
  return static_cast<int>(failures.size());
}

void failure_limiter::trim(table& t, std::size_t max) {
  while (t.lru.size() > max) {
    t.index.erase(t.lru.back().key);
    t.lru.pop_back();
  }
}

throttle_decision failure_limiter::check(std::string_view ip, std::string_view identity, clock::time_point now) {
  std::lock_guard lock(mutex_);
  throttle_decision d;
  std::int64_t ms = to_ms(now);
  if (!ip.empty()) d.ip_failures = count(ips_, ip, ms);
  if (!identity.empty()) d.identity_failures = count(identities_, identity, ms);
  d.blocked = d.ip_failures >= cfg_.ip_block || d.identity_failures >= cfg_.identity_block;
  if (d.blocked) d.delay = cfg_.max_delay;
  return d;
}

throttle_decision failure_limiter::record_failure(std::string_view ip, std::string_view identity,
                                                  clock::time_point now) {
  std::lock_guard lock(mutex_);
  throttle_decision d;
  std::int64_t ms = to_ms(now);
  if (!ip.empty()) d.ip_failures = add(ips_, ip, ms, cfg_.ip_block);
  if (!identity.empty()) d.identity_failures = add(identities_, identity, ms, cfg_.identity_block);
  d.blocked = d.ip_failures >= cfg_.ip_block || d.identity_failures >= cfg_.identity_block;
  d.delay = std::max(delay_for(cfg_, d.ip_failures), delay_for(cfg_, d.identity_failures));
  if (d.blocked) d.delay = cfg_.max_delay;
  return d;
}

void failure_limiter::record_success(std::string_view identity) {
  if (identity.empty()) return;
  std::lock_guard lock(mutex_);
  auto it = identities_.index.find(identity);
  if (it == identities_.index.end()) return;
  auto node = it->second;
  identities_.index.erase(it);
  identities_.lru.erase(node);
}

void failure_limiter::reconfigure(const throttle_config& cfg) {
  std::lock_guard lock(mutex_);
  cfg_ = cfg;
  trim(ips_, cfg_.max_keys);
  trim(identities_, cfg_.max_keys);
}

throttle_config failure_limiter::config() const {
  std::lock_guard lock(mutex_);
  return cfg_;
}

std::size_t failure_limiter::tracked_ips() const {
  std::lock_guard lock(mutex_);
  return ips_.lru.size();
}

std::size_t failure_limiter::tracked_identities() const {
  std::lock_guard lock(mutex_);
  return identities_.lru.size();
}

std::string failure_limiter::address_key(std::string_view ip) {
  std::string text(ip.substr(0, 64));
  // "[v6]" as some loggers write it.
  if (text.size() > 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
  unsigned char v6[16];
  unsigned char v4[4];
  if (inet_pton(AF_INET, text.c_str(), v4) == 1) return text;
  if (inet_pton(AF_INET6, text.c_str(), v6) != 1) return std::string(ip);
  static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  char buf[64];
  if (std::equal(mapped, mapped + 12, v6)) {
    std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", v6[12], v6[13], v6[14], v6[15]);
    return buf;
  }
  std::snprintf(buf, sizeof buf, "%x:%x:%x:%x::/64", (v6[0] << 8) | v6[1], (v6[2] << 8) | v6[3], (v6[4] << 8) | v6[5],
                (v6[6] << 8) | v6[7]);
  return buf;
}

}  // namespace mssgw::auth
