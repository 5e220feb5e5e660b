// Mailbox change notification (DESIGN.md §3 step 5, §6): IMAP sessions watch the mailbox they selected; the writer
// publishes the mailboxes each group changed, after the commit and before it completes the group's submitters.
// A session then reads the changes through a fresh read transaction and turns them into EXISTS/EXPUNGE/FETCH.
//
// Callbacks run on the writer thread: they must be quick and must not block or touch the store (post to the
// session's strand and return). A callback may still run once after its subscription is destroyed, if the publish
// had started: hold only weak references in it. Changes made by another process (an admin command) are not seen
// here: sessions also compare HIGHESTMODSEQ when they poll (NOOP, IDLE timer). A distributed backend would implement
// this interface over its own bus (PostgreSQL LISTEN/NOTIFY or similar).
//
// Thread-safe.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>

namespace mssgw::storage {

class mailbox_watchers {
 public:
  using callback = std::function<void(std::uint64_t mailbox_id)>;

  class subscription {
   public:
    subscription() = default;
    subscription(subscription&& other) noexcept { *this = std::move(other); }
    subscription& operator=(subscription&& other) noexcept;
    ~subscription() { reset(); }
    void reset();

   private:
    friend class mailbox_watchers;
    subscription(mailbox_watchers* owner, std::uint64_t mailbox, std::uint64_t token)
        : owner_(owner), mailbox_(mailbox), token_(token) {}
    mailbox_watchers* owner_ = nullptr;
    std::uint64_t mailbox_ = 0;
    std::uint64_t token_ = 0;
  };

  // Calls `cb` after every commit that changed `mailbox_id`, until the subscription is destroyed.
  [[nodiscard]] subscription watch(std::uint64_t mailbox_id, callback cb);
  // Tells the watchers of each id (duplicates are told once).
  void publish(std::span<const std::uint64_t> mailbox_ids);
  std::size_t watcher_count() const;

 private:
  void unwatch(std::uint64_t mailbox, std::uint64_t token);
  mutable std::mutex mutex_;
  std::uint64_t next_token_ = 1;
  std::multimap<std::uint64_t, std::pair<std::uint64_t, std::shared_ptr<callback>>> watchers_;
};

}  // namespace mssgw::storage
