// Process-wide metrics in the Prometheus text exposition format (DESIGN.md §7), served later at /metrics.
//
// counter() and gauge() return a reference that stays valid for the life of the process: look it up once (at
// start-up or in a constructor), then update it lock-free from any thread. Names follow Prometheus conventions
// (`mssgw_smtp_sessions_total`); labels are a rendered label set such as `reason="no_tls"`.
#pragma once
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

namespace mssgw::metrics {

class counter {
 public:
  void inc(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

class gauge {
 public:
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  void add(double d) {
    double cur = value_.load(std::memory_order_relaxed);
    while (!value_.compare_exchange_weak(cur, cur + d, std::memory_order_relaxed)) {
    }
  }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

counter& get_counter(std::string_view name, std::string_view help, std::string_view labels = {});
gauge& get_gauge(std::string_view name, std::string_view help, std::string_view labels = {});

// Every metric, grouped by name with its HELP and TYPE lines.
std::string render_prometheus();

}  // namespace mssgw::metrics
