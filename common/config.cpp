#include "common/config.hpp"

#include <algorithm>
#include <charconv>
#include <tuple>
#include <fstream>
#include <limits>
#include <sstream>

// Errors as values rather than exceptions (STYLE.md habit 8); this TU is the only one including toml++.
#define TOML_EXCEPTIONS 0
#define TOML_HEADER_ONLY 1  // Debian's libtomlplusplus.so is built with exceptions: compile our own copy here
#include <toml++/toml.h>

namespace mssgw::common {

std::string config_error::to_string() const {
  std::string s = file;
  if (line > 0) {
    s += ':' + std::to_string(line);
    if (column > 0) s += ':' + std::to_string(column);
  }
  return s + ": " + message;
}

void config_errors::add(std::string file, int line, int column, std::string message) {
  errors_.push_back({std::move(file), line, column, std::move(message)});
}

std::vector<config_error> config_errors::all() const {
  std::vector<config_error> sorted = errors_;
  std::stable_sort(sorted.begin(), sorted.end(), [](const config_error& a, const config_error& b) {
    return std::tie(a.file, a.line, a.column) < std::tie(b.file, b.line, b.column);
  });
  return sorted;
}

config_section::config_section(const toml::table* table, std::string name, std::string file,
                               std::filesystem::path base_dir, config_errors& errors, int line)
    : table_(table), name_(std::move(name)), file_(std::move(file)), base_dir_(std::move(base_dir)),
      errors_(&errors), line_(line) {}

std::string config_section::qualified(std::string_view key) const {
  return name_.empty() ? std::string(key) : name_ + "." + std::string(key);
}

const toml::node* config_section::find(std::string_view key) {
  read_.emplace(key);
  if (!table_) return nullptr;
  return table_->get(key);
}

void config_section::error_at(const toml::node* node, std::string message) {
  int line = line_, column = 0;
  if (node) {
    line = static_cast<int>(node->source().begin.line);
    column = static_cast<int>(node->source().begin.column);
  }
  errors_->add(file_, line, column, std::move(message));
}

void config_section::error(std::string_view key, std::string message) {
  const toml::node* node = table_ ? table_->get(key) : nullptr;
  error_at(node, qualified(key) + ": " + std::move(message));
}

void config_section::boolean(std::string_view key, bool& out) {
  const toml::node* node = find(key);
  if (!node) return;
  if (auto v = node->value_exact<bool>()) {
    out = *v;
  } else {
    error_at(node, qualified(key) + ": expected true or false");
  }
}

void config_section::integer(std::string_view key, std::int64_t& out, std::int64_t min, std::int64_t max) {
  const toml::node* node = find(key);
  if (!node) return;
  auto v = node->value_exact<std::int64_t>();
  if (!v) {
    error_at(node, qualified(key) + ": expected an integer");
  } else if (*v < min || *v > max) {
    error_at(node, qualified(key) + ": " + std::to_string(*v) + " is out of bounds [" + std::to_string(min) + ", " +
                       std::to_string(max) + "]");
  } else {
    out = *v;
  }
}

void config_section::integer(std::string_view key, int& out, int min, int max) {
  std::int64_t wide = out;
  integer(key, wide, min, max);
  out = static_cast<int>(wide);
}

void config_section::string(std::string_view key, std::string& out, std::size_t max_len) {
  const toml::node* node = find(key);
  if (!node) return;
  auto v = node->value_exact<std::string>();
  if (!v) {
    error_at(node, qualified(key) + ": expected a string");
  } else if (v->size() > max_len) {
    error_at(node, qualified(key) + ": longer than " + std::to_string(max_len) + " characters");
  } else {
    out = std::move(*v);
  }
}

void config_section::one_of(std::string_view key, std::string& out, std::initializer_list<std::string_view> allowed) {
  const toml::node* node = find(key);
  if (!node) return;
  auto v = node->value_exact<std::string>();
  std::string choices;
  for (auto a : allowed) choices += (choices.empty() ? "" : ", ") + std::string(a);
  if (!v) {
    error_at(node, qualified(key) + ": expected one of " + choices);
    return;
  }
  for (auto a : allowed) {
    if (*v == a) {
      out = std::move(*v);
      return;
    }
  }
  error_at(node, qualified(key) + ": \"" + *v + "\" is not one of " + choices);
}

void config_section::string_list(std::string_view key, std::vector<std::string>& out, std::size_t max_items) {
  const toml::node* node = find(key);
  if (!node) return;
  const toml::array* array = node->as_array();
  if (!array) {
    error_at(node, qualified(key) + ": expected an array of strings");
    return;
  }
  if (array->size() > max_items) {
    error_at(node, qualified(key) + ": more than " + std::to_string(max_items) + " items");
    return;
  }
  std::vector<std::string> values;
  bool ok = true;
  for (const toml::node& item : *array) {
    if (auto v = item.value_exact<std::string>()) {
      values.push_back(std::move(*v));
    } else {
      error_at(&item, qualified(key) + ": expected a string");
      ok = false;
    }
  }
  if (ok) out = std::move(values);
}

bool parse_duration(std::string_view text, std::chrono::seconds& out) {
  std::uint64_t number = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec != std::errc{} || end == text.data()) return false;
  std::string_view unit(end, static_cast<std::size_t>(text.data() + text.size() - end));
  std::uint64_t scale;
  if (unit.empty() || unit == "s") {
    scale = 1;
  } else if (unit == "m") {
    scale = 60;
  } else if (unit == "h") {
    scale = 3600;
  } else if (unit == "d") {
    scale = 86400;
  } else {
    return false;
  }
  if (number > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) / scale) return false;
  out = std::chrono::seconds(static_cast<std::int64_t>(number * scale));
  return true;
}

bool parse_byte_size(std::string_view text, std::uint64_t& out) {
  std::uint64_t number = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec != std::errc{} || end == text.data()) return false;
  std::string_view unit(end, static_cast<std::size_t>(text.data() + text.size() - end));
  struct unit_scale {
    std::string_view name;
    std::uint64_t scale;
  };
  static constexpr unit_scale units[] = {
      {"", 1},          {"B", 1},
      {"KB", 1000},     {"KiB", 1024},
      {"MB", 1000'000}, {"MiB", 1024 * 1024},
      {"GB", 1000'000'000}, {"GiB", 1024ull * 1024 * 1024},
      {"TB", 1000'000'000'000}, {"TiB", 1024ull * 1024 * 1024 * 1024},
  };
  for (const auto& u : units) {
    if (unit == u.name) {
      if (number > std::numeric_limits<std::uint64_t>::max() / u.scale) return false;
      out = number * u.scale;
      return true;
    }
  }
  return false;
}

void config_section::duration(std::string_view key, std::chrono::seconds& out, std::chrono::seconds min,
                              std::chrono::seconds max) {
  const toml::node* node = find(key);
  if (!node) return;
  std::chrono::seconds value{};
  if (auto i = node->value_exact<std::int64_t>(); i && *i >= 0) {
    value = std::chrono::seconds(*i);
  } else if (auto s = node->value_exact<std::string>(); !s || !parse_duration(*s, value)) {
    error_at(node, qualified(key) + ": expected a duration such as \"30s\", \"5m\", \"1h\" or \"2d\"");
    return;
  }
  if (value < min || value > max) {
    error_at(node, qualified(key) + ": " + std::to_string(value.count()) + "s is out of bounds [" +
                       std::to_string(min.count()) + "s, " + std::to_string(max.count()) + "s]");
    return;
  }
  out = value;
}

void config_section::byte_size(std::string_view key, std::uint64_t& out, std::uint64_t min, std::uint64_t max) {
  const toml::node* node = find(key);
  if (!node) return;
  std::uint64_t value = 0;
  if (auto i = node->value_exact<std::int64_t>(); i && *i >= 0) {
    value = static_cast<std::uint64_t>(*i);
  } else if (auto s = node->value_exact<std::string>(); !s || !parse_byte_size(*s, value)) {
    error_at(node, qualified(key) + ": expected a size such as \"64KB\", \"25MB\" or \"16GiB\"");
    return;
  }
  if (value < min || value > max) {
    error_at(node, qualified(key) + ": " + std::to_string(value) + " bytes is out of bounds [" +
                       std::to_string(min) + ", " + std::to_string(max) + "]");
    return;
  }
  out = value;
}

void config_section::path(std::string_view key, std::filesystem::path& out, path_check check) {
  const toml::node* node = find(key);
  if (!node) return;
  auto v = node->value_exact<std::string>();
  if (!v || v->empty()) {
    error_at(node, qualified(key) + ": expected a non-empty path");
    return;
  }
  std::filesystem::path p(*v);
  if (p.is_relative()) p = base_dir_ / p;
  std::error_code ec;
  if (check == path_check::file_exists && !std::filesystem::is_regular_file(p, ec)) {
    error_at(node, qualified(key) + ": file not found: " + p.string());
    return;
  }
  if (check == path_check::dir_exists && !std::filesystem::is_directory(p, ec)) {
    error_at(node, qualified(key) + ": directory not found: " + p.string());
    return;
  }
  out = p.lexically_normal();
}

config_section config_section::sub(std::string_view key) {
  const toml::node* node = find(key);
  const toml::table* table = nullptr;
  int line = line_;
  if (node) {
    line = static_cast<int>(node->source().begin.line);
    table = node->as_table();
    if (!table) error_at(node, qualified(key) + ": expected a table");
  }
  return config_section(table, qualified(key), file_, base_dir_, *errors_, line);
}

std::vector<std::string> config_section::keys() const {
  std::vector<std::string> out;
  if (!table_) return out;
  for (const auto& [k, v] : *table_) out.emplace_back(k.str());
  const_cast<config_section*>(this)->read_.insert(out.begin(), out.end());
  return out;
}

void config_section::finish() {
  if (!table_) return;
  for (const auto& [k, v] : *table_) {
    if (!read_.contains(k.str())) error_at(&v, "unknown key " + qualified(k.str()));
  }
}

config_document::config_document(const std::filesystem::path& file, config_errors& errors)
    : file_(file.string()), base_dir_(std::filesystem::absolute(file).parent_path()), errors_(&errors) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    errors.add(file_, 0, 0, "cannot read the configuration file");
    return;
  }
  std::ostringstream text;
  text << in.rdbuf();
  std::string content = text.str();
  toml::parse_result result = toml::parse(content, file_);
  if (!result) {
    const auto& e = result.error();
    errors.add(file_, static_cast<int>(e.source().begin.line), static_cast<int>(e.source().begin.column),
               std::string(e.description()));
    return;
  }
  table_ = std::make_unique<toml::table>(std::move(result.table()));
}

config_document::config_document(std::string_view text, std::string file_name, config_errors& errors)
    : file_(std::move(file_name)), base_dir_(std::filesystem::current_path()), errors_(&errors) {
  toml::parse_result result = toml::parse(text, file_);
  if (!result) {
    const auto& e = result.error();
    errors.add(file_, static_cast<int>(e.source().begin.line), static_cast<int>(e.source().begin.column),
               std::string(e.description()));
    return;
  }
  table_ = std::make_unique<toml::table>(std::move(result.table()));
}

config_document::~config_document() = default;

config_section config_document::root() { return config_section(table_.get(), "", file_, base_dir_, *errors_); }

}  // namespace mssgw::common
