#include "common/metrics.hpp"

#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <variant>

namespace mssgw::metrics {
namespace {

struct family {
  std::string help;
  bool is_counter = true;
  std::map<std::string, std::variant<std::unique_ptr<counter>, std::unique_ptr<gauge>>> series;  // by labels
};

struct registry {
  std::mutex mutex;
  std::map<std::string, family, std::less<>> families;
};

registry& global() {
  static registry r;
  return r;
}

template <class T>
T& lookup(std::string_view name, std::string_view help, std::string_view labels, bool is_counter) {
  registry& r = global();
  std::lock_guard lock(r.mutex);
  auto it = r.families.find(name);
  if (it == r.families.end()) it = r.families.emplace(std::string(name), family{std::string(help), is_counter, {}}).first;
  auto& slot = it->second.series[std::string(labels)];
  if (!std::holds_alternative<std::unique_ptr<T>>(slot) || !std::get<std::unique_ptr<T>>(slot)) {
    slot = std::make_unique<T>();
  }
  return *std::get<std::unique_ptr<T>>(slot);
}

}  // namespace

counter& get_counter(std::string_view name, std::string_view help, std::string_view labels) {
  return lookup<counter>(name, help, labels, true);
}

gauge& get_gauge(std::string_view name, std::string_view help, std::string_view labels) {
  return lookup<gauge>(name, help, labels, false);
}

std::string render_prometheus() {
  registry& r = global();
  std::lock_guard lock(r.mutex);
  std::ostringstream out;
  for (const auto& [name, fam] : r.families) {
    out << "# HELP " << name << " " << fam.help << "\n# TYPE " << name << (fam.is_counter ? " counter\n" : " gauge\n");
    for (const auto& [labels, series] : fam.series) {
      out << name;
      if (!labels.empty()) out << "{" << labels << "}";
      if (const auto* c = std::get_if<std::unique_ptr<counter>>(&series); c && *c) out << " " << (*c)->value() << "\n";
      if (const auto* g = std::get_if<std::unique_ptr<gauge>>(&series); g && *g) out << " " << (*g)->value() << "\n";
    }
  }
  return out.str();
}

}  // namespace mssgw::metrics
