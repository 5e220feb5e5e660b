#include "storage/lmdb/lmdb_store.hpp"

#include <lmdb.h>

#include <array>
#include <mutex>
#include <shared_mutex>
#include <stdexcept>
#include <vector>

namespace mssgw::storage {
namespace {

// Thrown inside a group when the map is full; caught by commit_group, which grows the map and runs the group again.
struct map_full_signal {};

[[noreturn]] void throw_lmdb(int rc, const std::string& what) {
  if (rc == MDB_MAP_FULL) throw map_full_signal{};
  errc e = errc::io_error;
  if (rc == MDB_BAD_VALSIZE) e = errc::key_too_large;
  if (rc == MDB_CORRUPTED || rc == MDB_PAGE_NOTFOUND || rc == MDB_INVALID) e = errc::corrupt_record;
  throw std::system_error(make_error_code(e), what + ": " + mdb_strerror(rc));
}

MDB_val to_val(std::string_view s) { return MDB_val{s.size(), const_cast<char*>(s.data())}; }
std::string_view from_val(const MDB_val& v) { return {static_cast<const char*>(v.mv_data), v.mv_size}; }

using dbi_array = std::array<MDB_dbi, table_count>;

// Shared read/scan code for read-only and read-write transactions.
class lmdb_reader {
 public:
  lmdb_reader(MDB_txn* txn, const dbi_array& dbis) : txn_(txn), dbis_(&dbis) {}

  std::optional<std::string_view> get(table t, std::string_view key) const {
    if (key.empty() || key.size() > max_key_size) return std::nullopt;
    MDB_val k = to_val(key), v;
    int rc = mdb_get(txn_, dbi(t), &k, &v);
    if (rc == MDB_NOTFOUND) return std::nullopt;
    if (rc != 0) throw_lmdb(rc, "mdb_get");
    return from_val(v);
  }

  void scan(table t, std::string_view from, std::string_view to,
            const std::function<bool(std::string_view, std::string_view)>& visit) const {
    cursor c(txn_, dbi(t));
    MDB_val k = to_val(from), v;
    int rc = from.empty() ? mdb_cursor_get(c.get(), &k, &v, MDB_FIRST)
                          : mdb_cursor_get(c.get(), &k, &v, MDB_SET_RANGE);
    while (rc == 0) {
      std::string_view key = from_val(k);
      if (!to.empty() && key >= to) return;
      if (!visit(key, from_val(v))) return;
      rc = mdb_cursor_get(c.get(), &k, &v, MDB_NEXT);
    }
    if (rc != MDB_NOTFOUND) throw_lmdb(rc, "mdb_cursor_get");
  }

  void scan_reverse(table t, std::string_view from, std::string_view to,
                    const std::function<bool(std::string_view, std::string_view)>& visit) const {
    cursor c(txn_, dbi(t));
    MDB_val k = to_val(from), v;
    int rc;
    if (from.empty()) {
      rc = mdb_cursor_get(c.get(), &k, &v, MDB_LAST);
    } else {
      // Position on the first key >= from; step back if it is greater.
      rc = mdb_cursor_get(c.get(), &k, &v, MDB_SET_RANGE);
      if (rc == MDB_NOTFOUND) {
        rc = mdb_cursor_get(c.get(), &k, &v, MDB_LAST);
      } else if (rc == 0 && from_val(k) > from) {
        rc = mdb_cursor_get(c.get(), &k, &v, MDB_PREV);
      }
    }
    while (rc == 0) {
      std::string_view key = from_val(k);
      if (!to.empty() && key <= to) return;
      if (!visit(key, from_val(v))) return;
      rc = mdb_cursor_get(c.get(), &k, &v, MDB_PREV);
    }
    if (rc != MDB_NOTFOUND) throw_lmdb(rc, "mdb_cursor_get");
  }

  MDB_dbi dbi(table t) const { return (*dbis_)[static_cast<std::size_t>(t)]; }
  MDB_txn* txn() const { return txn_; }

 private:
  class cursor {
   public:
    cursor(MDB_txn* txn, MDB_dbi dbi) {
      int rc = mdb_cursor_open(txn, dbi, &c_);
      if (rc != 0) throw_lmdb(rc, "mdb_cursor_open");
    }
    ~cursor() { mdb_cursor_close(c_); }
    cursor(const cursor&) = delete;
    cursor& operator=(const cursor&) = delete;
    MDB_cursor* get() const { return c_; }

   private:
    MDB_cursor* c_ = nullptr;
  };

  MDB_txn* txn_;
  const dbi_array* dbis_;
};

class lmdb_read : public read_txn {
 public:
  lmdb_read(MDB_txn* txn, const dbi_array& dbis, std::shared_lock<std::shared_mutex> gate)
      : reader_(txn, dbis), gate_(std::move(gate)) {}
  ~lmdb_read() override { mdb_txn_abort(reader_.txn()); }
  std::optional<std::string_view> get(table t, std::string_view key) const override { return reader_.get(t, key); }
  void scan(table t, std::string_view from, std::string_view to,
            const std::function<bool(std::string_view, std::string_view)>& visit) const override {
    reader_.scan(t, from, to, visit);
  }
  void scan_reverse(table t, std::string_view from, std::string_view to,
                    const std::function<bool(std::string_view, std::string_view)>& visit) const override {
    reader_.scan_reverse(t, from, to, visit);
  }

 private:
  lmdb_reader reader_;
  std::shared_lock<std::shared_mutex> gate_;  // released after the transaction ends (members destroy in reverse)
};

class lmdb_write : public write_txn {
 public:
  lmdb_write(MDB_txn* txn, const dbi_array& dbis) : reader_(txn, dbis) {}
  std::optional<std::string_view> get(table t, std::string_view key) const override { return reader_.get(t, key); }
  void scan(table t, std::string_view from, std::string_view to,
            const std::function<bool(std::string_view, std::string_view)>& visit) const override {
    reader_.scan(t, from, to, visit);
  }
  void scan_reverse(table t, std::string_view from, std::string_view to,
                    const std::function<bool(std::string_view, std::string_view)>& visit) const override {
    reader_.scan_reverse(t, from, to, visit);
  }
  void put(table t, std::string_view key, std::string_view value) override {
    if (key.empty() || key.size() > max_key_size) throw std::system_error(make_error_code(errc::key_too_large));
    MDB_val k = to_val(key), v = to_val(value);
    int rc = mdb_put(reader_.txn(), reader_.dbi(t), &k, &v, 0);
    if (rc != 0) throw_lmdb(rc, "mdb_put");
  }
  bool erase(table t, std::string_view key) override {
    if (key.empty() || key.size() > max_key_size) return false;
    MDB_val k = to_val(key);
    int rc = mdb_del(reader_.txn(), reader_.dbi(t), &k, nullptr);
    if (rc == MDB_NOTFOUND) return false;
    if (rc != 0) throw_lmdb(rc, "mdb_del");
    return true;
  }

 private:
  lmdb_reader reader_;
};

class lmdb_store : public kv_store {
 public:
  explicit lmdb_store(const lmdb_options& options) : options_(options), map_size_(options.map_size) {
    std::error_code ec;
    std::filesystem::create_directories(options.directory, ec);
    if (ec) {
      throw std::system_error(ec, "cannot create storage directory " + options.directory.string());
    }
    check(mdb_env_create(&env_), "mdb_env_create");
    check(mdb_env_set_maxdbs(env_, static_cast<MDB_dbi>(table_count + 4)), "mdb_env_set_maxdbs");
    check(mdb_env_set_maxreaders(env_, options.max_readers), "mdb_env_set_maxreaders");
    check(mdb_env_set_mapsize(env_, map_size_), "mdb_env_set_mapsize");
    int rc = mdb_env_open(env_, options.directory.c_str(), MDB_NOTLS, 0600);
    if (rc != 0) {
      mdb_env_close(env_);
      env_ = nullptr;
      throw std::system_error(make_error_code(errc::io_error),
                              "cannot open LMDB environment " + options.directory.string() + ": " + mdb_strerror(rc));
    }
    // Another process may have grown the map beyond our initial size: adopt the larger of the two.
    MDB_envinfo info;
    mdb_env_info(env_, &info);
    if (info.me_mapsize > map_size_) map_size_ = info.me_mapsize;
    open_tables();
  }

  ~lmdb_store() override {
    if (env_) mdb_env_close(env_);
  }

  std::unique_ptr<read_txn> begin_read() override {
    for (;;) {
      std::shared_lock gate(gate_);
      MDB_txn* txn = nullptr;
      int rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn);
      if (rc == 0) return std::make_unique<lmdb_read>(txn, dbis_, std::move(gate));
      if (rc != MDB_MAP_RESIZED) throw_lmdb(rc, "mdb_txn_begin(read)");
      gate.unlock();
      adopt_map_size();
    }
  }

  void commit_group(std::span<const write_unit> units, std::span<unit_result> results) override {
    for (;;) {
      try {
        run_group(units, results);
        return;
      } catch (const map_full_signal&) {
        grow_map();
      }
    }
  }

 private:
  void check(int rc, const char* what) {
    if (rc != 0) throw std::system_error(make_error_code(errc::io_error), std::string(what) + ": " + mdb_strerror(rc));
  }

  MDB_txn* begin_write(MDB_txn* parent) {
    for (;;) {
      MDB_txn* txn = nullptr;
      int rc = mdb_txn_begin(env_, parent, 0, &txn);
      if (rc == 0) return txn;
      if (rc != MDB_MAP_RESIZED || parent) throw_lmdb(rc, "mdb_txn_begin(write)");
      adopt_map_size();
    }
  }

  void open_tables() {
    MDB_txn* txn = begin_write(nullptr);
    for (std::size_t i = 0; i < table_count; ++i) {
      std::string name(table_name(static_cast<table>(i)));
      int rc = mdb_dbi_open(txn, name.c_str(), MDB_CREATE, &dbis_[i]);
      if (rc != 0) {
        mdb_txn_abort(txn);
        throw std::system_error(make_error_code(errc::io_error), "mdb_dbi_open " + name + ": " + mdb_strerror(rc));
      }
    }
    int rc = mdb_txn_commit(txn);
    if (rc != 0) throw std::system_error(make_error_code(errc::io_error), std::string("open tables: ") + mdb_strerror(rc));
  }

  // Runs one unit in `txn`; map_full propagates, any other failure becomes the unit's error.
  std::error_code run_unit(const write_unit& unit, MDB_txn* txn, std::vector<std::uint64_t>& changed) {
    try {
      lmdb_write w(txn, dbis_);
      std::error_code ec = unit(w);
      changed = ec ? std::vector<std::uint64_t>{} : w.take_changes();
      return ec;
    } catch (const map_full_signal&) {
      throw;
    } catch (const std::system_error& e) {
      return e.code();
    } catch (...) {
      return make_error_code(errc::unit_failed);
    }
  }

  // Optimistic grouping: units run directly in the group transaction (a nested transaction per unit costs LMDB a
  // large dirty-page list each time, which measured at a third of the throughput). When a unit fails, the group is
  // aborted and run again without it; units are re-runnable by contract (kv.hpp). After a few failures in one group,
  // the rest runs with one nested transaction per unit, so a burst of failing units stays linear.
  void run_group(std::span<const write_unit> units, std::span<unit_result> results) {
    constexpr int max_optimistic_retries = 3;
    std::vector<bool> excluded(units.size(), false);
    for (int attempt = 0;; ++attempt) {
      const bool nested = attempt >= max_optimistic_retries;
      MDB_txn* parent = begin_write(nullptr);
      std::size_t failed = units.size();
      try {
        for (std::size_t i = 0; i < units.size(); ++i) {
          if (excluded[i]) continue;
          if (!nested) {
            if (auto ec = run_unit(units[i], parent, results[i].changed_mailboxes)) {
              results[i].error = ec;
              failed = i;
              break;
            }
            results[i].error = {};
            continue;
          }
          MDB_txn* child = begin_write(parent);
          std::error_code ec;
          try {
            ec = run_unit(units[i], child, results[i].changed_mailboxes);
          } catch (...) {
            mdb_txn_abort(child);
            throw;
          }
          if (ec) {
            mdb_txn_abort(child);
            results[i].changed_mailboxes.clear();
          } else if (int rc = mdb_txn_commit(child); rc != 0) {
            throw_lmdb(rc, "mdb_txn_commit(unit)");
          }
          results[i].error = ec;
        }
      } catch (...) {
        mdb_txn_abort(parent);
        throw;
      }
      if (failed != units.size()) {
        mdb_txn_abort(parent);  // drops the failed unit's partial writes with everything else; run again without it
        excluded[failed] = true;
        continue;
      }
      int rc = mdb_txn_commit(parent);  // durable: fdatasync of data then meta page
      if (rc != 0) throw_lmdb(rc, "mdb_txn_commit");
      return;
    }
  }

  void grow_map() {
    std::unique_lock gate(gate_);  // waits for every read transaction of this process to end
    if (map_size_ >= options_.max_map_size) {
      throw std::system_error(make_error_code(errc::map_full),
                              "storage map reached its maximum size " + std::to_string(options_.max_map_size));
    }
    std::uint64_t next = std::min(map_size_ * 2, options_.max_map_size);
    check(mdb_env_set_mapsize(env_, next), "mdb_env_set_mapsize");
    map_size_ = next;
  }

  void adopt_map_size() {
    std::unique_lock gate(gate_);
    check(mdb_env_set_mapsize(env_, 0), "mdb_env_set_mapsize(0)");
    MDB_envinfo info;
    mdb_env_info(env_, &info);
    map_size_ = info.me_mapsize;
  }

  lmdb_options options_;
  std::uint64_t map_size_;
  MDB_env* env_ = nullptr;
  dbi_array dbis_{};
  std::shared_mutex gate_;
};

}  // namespace

std::unique_ptr<kv_store> open_lmdb_store(const lmdb_options& options) { return std::make_unique<lmdb_store>(options); }

}  // namespace mssgw::storage
