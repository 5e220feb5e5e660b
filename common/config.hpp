// Typed, bounded configuration reading over toml++ (STYLE.md habit 10).
//
// Each module owns a `struct config` with defaults and a `read(section&)` that pulls its keys through a
// `config_section`. A section records every error with file:line:column instead of stopping, remembers which keys
// were read, and reports the rest as unknown when `finish()` is called. So one pass over a file reports every
// mistake at once. Paths are resolved relative to the directory of the config file.
//
// Not thread-safe; used at start-up and on reload only.
#pragma once
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace toml {
inline namespace v3 {
class table;
class node;
}  // namespace v3
}  // namespace toml

namespace mssgw::common {

struct config_error {
  std::string file;
  int line = 0;
  int column = 0;
  std::string message;
  std::string to_string() const;  // "file:line:col: message"
};

// Accumulates errors of one load.
class config_errors {
 public:
  void add(std::string file, int line, int column, std::string message);
  bool empty() const { return errors_.empty(); }
  // In file, line, column order.
  std::vector<config_error> all() const;

 private:
  std::vector<config_error> errors_;
};

enum class path_check { none, file_exists, dir_exists };

// A view of one TOML table (or of a missing one: every read keeps its default).
class config_section {
 public:
  config_section(const toml::table* table, std::string name, std::string file, std::filesystem::path base_dir,
                 config_errors& errors, int line = 0);

  // Each reader leaves `out` untouched when the key is absent, and records an error when the key has the wrong
  // type or is out of bounds.
  void boolean(std::string_view key, bool& out);
  void integer(std::string_view key, std::int64_t& out, std::int64_t min, std::int64_t max);
  void integer(std::string_view key, int& out, int min, int max);
  void string(std::string_view key, std::string& out, std::size_t max_len = 4096);
  void one_of(std::string_view key, std::string& out, std::initializer_list<std::string_view> allowed);
  void string_list(std::string_view key, std::vector<std::string>& out, std::size_t max_items = 10000);
  // "30s", "5m", "1h", "2d", or an integer number of seconds.
  void duration(std::string_view key, std::chrono::seconds& out, std::chrono::seconds min, std::chrono::seconds max);
  // "512", "64KB", "25MB", "16GiB" (KB = 1000, KiB = 1024), or an integer number of bytes.
  void byte_size(std::string_view key, std::uint64_t& out, std::uint64_t min, std::uint64_t max);
  void path(std::string_view key, std::filesystem::path& out, path_check check = path_check::none);

  // A nested table; absent tables give an empty section. Call finish() on it too.
  config_section sub(std::string_view key);
  // Keys of a nested table whose keys are free-form (e.g. per-module log levels). Marks them all as read.
  std::vector<std::string> keys() const;

  // Records an error at the key's position (or the section's when the key is absent).
  void error(std::string_view key, std::string message);
  // Reports every key that no reader asked for.
  void finish();

  const std::string& name() const { return name_; }
  bool present() const { return table_ != nullptr; }
  const std::filesystem::path& base_dir() const { return base_dir_; }

 private:
  const toml::node* find(std::string_view key);
  void error_at(const toml::node* node, std::string message);
  std::string qualified(std::string_view key) const;

  const toml::table* table_;
  std::string name_;
  std::string file_;
  std::filesystem::path base_dir_;
  config_errors* errors_;
  int line_;
  std::set<std::string, std::less<>> read_;
};

// Owns a parsed file. Parse errors go to `errors`; root() is then an absent section.
class config_document {
 public:
  // Reads and parses `file`. A missing or unreadable file is one error.
  config_document(const std::filesystem::path& file, config_errors& errors);
  // Parses `text` as if it came from `file_name` (tests).
  config_document(std::string_view text, std::string file_name, config_errors& errors);
  ~config_document();
  config_document(const config_document&) = delete;
  config_document& operator=(const config_document&) = delete;

  config_section root();
  bool parsed() const { return table_ != nullptr; }

 private:
  std::unique_ptr<toml::table> table_;
  std::string file_;
  std::filesystem::path base_dir_;
  config_errors* errors_;
};

// "5m" -> 300 s. Returns false on a malformed value.
bool parse_duration(std::string_view text, std::chrono::seconds& out);
// "25MB" -> 25'000'000. Returns false on a malformed value or overflow.
bool parse_byte_size(std::string_view text, std::uint64_t& out);

}  // namespace mssgw::common
