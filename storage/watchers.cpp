#include "storage/watchers.hpp"

#include <algorithm>
#include <utility>
#include <vector>

namespace mssgw::storage {

mailbox_watchers::subscription& mailbox_watchers::subscription::operator=(subscription&& other) noexcept {
  if (this != &other) {
    reset();
    owner_ = std::exchange(other.owner_, nullptr);
    mailbox_ = other.mailbox_;
    token_ = other.token_;
  }
  return *this;
}

void mailbox_watchers::subscription::reset() {
  if (owner_) owner_->unwatch(mailbox_, token_);
  owner_ = nullptr;
}

mailbox_watchers::subscription mailbox_watchers::watch(std::uint64_t mailbox_id, callback cb) {
  std::lock_guard lock(mutex_);
  std::uint64_t token = next_token_++;
  watchers_.emplace(mailbox_id, std::make_pair(token, std::make_shared<callback>(std::move(cb))));
  return subscription(this, mailbox_id, token);
}

void mailbox_watchers::unwatch(std::uint64_t mailbox, std::uint64_t token) {
  std::lock_guard lock(mutex_);
  auto [first, last] = watchers_.equal_range(mailbox);
  for (auto it = first; it != last; ++it) {
    if (it->second.first == token) {
      watchers_.erase(it);
      return;
    }
  }
}

void mailbox_watchers::publish(std::span<const std::uint64_t> mailbox_ids) {
  std::vector<std::uint64_t> ids(mailbox_ids.begin(), mailbox_ids.end());
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  std::vector<std::pair<std::uint64_t, std::shared_ptr<callback>>> to_call;
  {
    std::lock_guard lock(mutex_);
    for (auto id : ids) {
      auto [first, last] = watchers_.equal_range(id);
      for (auto it = first; it != last; ++it) to_call.emplace_back(id, it->second.second);
    }
  }
  for (auto& [id, cb] : to_call) (*cb)(id);  // outside the lock: a callback may subscribe or unsubscribe
}

std::size_t mailbox_watchers::watcher_count() const {
  std::lock_guard lock(mutex_);
  return watchers_.size();
}

}  // namespace mssgw::storage
