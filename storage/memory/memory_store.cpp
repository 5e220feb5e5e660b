#include "storage/memory/memory_store.hpp"

#include <array>
#include <map>
#include <mutex>
#include <vector>

namespace mssgw::storage {
namespace {

using table_map = std::map<std::string, std::string, std::less<>>;
using snapshot = std::array<std::shared_ptr<const table_map>, table_count>;

void scan_map(const table_map& m, std::string_view from, std::string_view to,
              const std::function<bool(std::string_view, std::string_view)>& visit) {
  for (auto it = m.lower_bound(from); it != m.end(); ++it) {
    if (!to.empty() && std::string_view(it->first) >= to) break;
    if (!visit(it->first, it->second)) break;
  }
}

void scan_map_reverse(const table_map& m, std::string_view from, std::string_view to,
                      const std::function<bool(std::string_view, std::string_view)>& visit) {
  auto it = from.empty() ? m.end() : m.upper_bound(from);
  while (it != m.begin()) {
    --it;
    if (std::string_view(it->first) <= to && !to.empty()) break;
    if (!visit(it->first, it->second)) break;
  }
}

class memory_read : public read_txn {
 public:
  explicit memory_read(snapshot s) : snap_(std::move(s)) {}
  std::optional<std::string_view> get(table t, std::string_view key) const override {
    const table_map& m = *snap_[static_cast<std::size_t>(t)];
    auto it = m.find(key);
    if (it == m.end()) return std::nullopt;
    return std::string_view(it->second);
  }
  void scan(table t, std::string_view from, std::string_view to,
            const std::function<bool(std::string_view, std::string_view)>& visit) const override {
    scan_map(*snap_[static_cast<std::size_t>(t)], from, to, visit);
  }
  void scan_reverse(table t, std::string_view from, std::string_view to,
                    const std::function<bool(std::string_view, std::string_view)>& visit) const override {
    scan_map_reverse(*snap_[static_cast<std::size_t>(t)], from, to, visit);
  }

 private:
  snapshot snap_;
};

// The working state of one group: copied tables plus the undo log of the running unit.
class memory_write : public write_txn {
 public:
  explicit memory_write(const snapshot& base) : base_(base) {}

  std::optional<std::string_view> get(table t, std::string_view key) const override {
    const table_map& m = current(t);
    auto it = m.find(key);
    if (it == m.end()) return std::nullopt;
    return std::string_view(it->second);
  }
  void scan(table t, std::string_view from, std::string_view to,
            const std::function<bool(std::string_view, std::string_view)>& visit) const override {
    scan_map(current(t), from, to, visit);
  }
  void scan_reverse(table t, std::string_view from, std::string_view to,
                    const std::function<bool(std::string_view, std::string_view)>& visit) const override {
    scan_map_reverse(current(t), from, to, visit);
  }
  void put(table t, std::string_view key, std::string_view value) override {
    if (key.empty() || key.size() > max_key_size) throw std::system_error(make_error_code(errc::key_too_large));
    table_map& m = writable(t);
    auto it = m.find(key);
    if (it == m.end()) {
      undo_.push_back({t, std::string(key), std::nullopt});
      m.emplace(std::string(key), std::string(value));
    } else {
      undo_.push_back({t, std::string(key), it->second});
      it->second.assign(value);
    }
  }
  bool erase(table t, std::string_view key) override {
    table_map& m = writable(t);
    auto it = m.find(key);
    if (it == m.end()) return false;
    undo_.push_back({t, std::string(key), std::move(it->second)});
    m.erase(it);
    return true;
  }

  void begin_unit() { undo_.clear(); }
  void rollback_unit() {
    for (auto it = undo_.rbegin(); it != undo_.rend(); ++it) {
      table_map& m = *working_[static_cast<std::size_t>(it->t)];
      if (it->previous) {
        m[it->key] = std::move(*it->previous);
      } else {
        m.erase(it->key);
      }
    }
    undo_.clear();
  }
  snapshot result() const {
    snapshot out = base_;
    for (std::size_t i = 0; i < table_count; ++i) {
      if (working_[i]) out[i] = working_[i];
    }
    return out;
  }

 private:
  struct undo_entry {
    table t;
    std::string key;
    std::optional<std::string> previous;
  };
  const table_map& current(table t) const {
    auto i = static_cast<std::size_t>(t);
    return working_[i] ? *working_[i] : *base_[i];
  }
  table_map& writable(table t) {
    auto i = static_cast<std::size_t>(t);
    if (!working_[i]) working_[i] = std::make_shared<table_map>(*base_[i]);
    return *working_[i];
  }

  snapshot base_;
  std::array<std::shared_ptr<table_map>, table_count> working_;
  std::vector<undo_entry> undo_;
};

class memory_store : public kv_store {
 public:
  memory_store() {
    for (auto& t : current_) t = std::make_shared<const table_map>();
  }
  std::unique_ptr<read_txn> begin_read() override {
    std::lock_guard lock(mutex_);
    return std::make_unique<memory_read>(current_);
  }
  void commit_group(std::span<const write_unit> units, std::span<unit_result> results) override {
    snapshot base;
    {
      std::lock_guard lock(mutex_);
      base = current_;
    }
    memory_write txn(base);
    for (std::size_t i = 0; i < units.size(); ++i) {
      txn.begin_unit();
      txn.take_changes();
      std::error_code ec;
      try {
        ec = units[i](txn);
      } catch (const std::system_error& e) {
        ec = e.code();
      } catch (...) {
        ec = make_error_code(errc::unit_failed);
      }
      if (ec) txn.rollback_unit();
      results[i].error = ec;
      results[i].changed_mailboxes = ec ? std::vector<std::uint64_t>{} : txn.take_changes();
    }
    snapshot next = txn.result();
    std::lock_guard lock(mutex_);
    current_ = std::move(next);
  }

 private:
  std::mutex mutex_;
  snapshot current_;
};

}  // namespace

std::unique_ptr<kv_store> make_memory_store() { return std::make_unique<memory_store>(); }

}  // namespace mssgw::storage
