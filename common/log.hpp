// Structured logging (DESIGN.md §7). One event per line, as text (`event key=value ...`) or as a JSON object.
//
// Every line names its module; a `log::context` adds the session id and queue id where known. The audit log (who
// did what to which mailbox, from where) is a separate sink that module levels never silence.
//
// Rules for callers: events are dotted names (`smtp.mail.refused`); never pass passwords, tokens or message bodies
// as field values. Values are escaped, so a hostile peer cannot forge lines.
//
// Thread-safe after init(); init() and shutdown() are called from main only.
#pragma once
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <string>
#include <string_view>
#include <variant>

namespace mssgw::common {
class config_section;
}

namespace mssgw::log {

enum class level : std::uint8_t { trace, debug, info, warn, error, critical, off };
enum class module : std::uint8_t { app, common, storage, trustspace, directory, auth, routing, smtp, queue, imap, api };
inline constexpr std::size_t module_count = 11;

std::string_view name(module m);
std::string_view name(level l);

// A field value: text, a signed or unsigned integer, or a boolean.
struct value {
  std::variant<std::string_view, std::int64_t, std::uint64_t, bool> v;
  value(std::string_view s) : v(s) {}
  value(const char* s) : v(std::string_view(s ? s : "")) {}
  value(const std::string& s) : v(std::string_view(s)) {}
  value(bool b) : v(b) {}
  value(int i) : v(std::int64_t{i}) {}
  value(long i) : v(std::int64_t{i}) {}
  value(long long i) : v(std::int64_t{i}) {}
  value(unsigned i) : v(std::uint64_t{i}) {}
  value(unsigned long i) : v(std::uint64_t{i}) {}
  value(unsigned long long i) : v(std::uint64_t{i}) {}
};

struct field {
  std::string_view key;
  value val;
};

struct config {
  std::string format = "text";          // text | json
  level default_level = level::info;
  level module_levels[module_count] = {level::info, level::info, level::info, level::info, level::info, level::info,
                                       level::info, level::info, level::info, level::info, level::info};
  std::filesystem::path file;           // empty: standard error
  std::filesystem::path audit_file;     // default: <state_dir>/audit.log

  // Reads [log]: format, level, file, audit_file, [log.levels] module = level.
  void read(common::config_section& section);
};

bool parse_level(std::string_view text, level& out);

// Sets up sinks and per-module loggers. May be called again to apply new levels (SIGHUP); sinks are kept.
void init(const config& cfg);
// Flushes and stops the logging thread. Call before exit.
void shutdown();
// Flushes the sinks.
void flush();

// A cheap, copyable handle: a module plus the ids to tag each line with.
class context {
 public:
  explicit context(module m) : module_(m) {}
  context with_session(std::string id) const {
    context c = *this;
    c.session_ = std::move(id);
    return c;
  }
  context with_queue(std::string id) const {
    context c = *this;
    c.queue_ = std::move(id);
    return c;
  }
  const std::string& session() const { return session_; }
  const std::string& queue() const { return queue_; }

  bool enabled(level l) const;
  void write(level l, std::string_view event, std::initializer_list<field> fields = {}) const;
  void trace(std::string_view event, std::initializer_list<field> fields = {}) const { write(level::trace, event, fields); }
  void debug(std::string_view event, std::initializer_list<field> fields = {}) const { write(level::debug, event, fields); }
  void info(std::string_view event, std::initializer_list<field> fields = {}) const { write(level::info, event, fields); }
  void warn(std::string_view event, std::initializer_list<field> fields = {}) const { write(level::warn, event, fields); }
  void error(std::string_view event, std::initializer_list<field> fields = {}) const { write(level::error, event, fields); }

 private:
  module module_;
  std::string session_;
  std::string queue_;
};

// The audit log: every login, mailbox access and administrative change.
void audit(std::string_view event, std::initializer_list<field> fields);

// Escapes `text` for inclusion inside a JSON string (RFC 8259 §7): quotes, backslash, control characters as
// \uXXXX, and invalid UTF-8 as U+FFFD.
void append_json_escaped(std::string& out, std::string_view text);
std::string json_escape(std::string_view text);

// Renders the fields of one event in the configured format (exposed for tests).
std::string render(bool json, std::string_view event, std::string_view session, std::string_view queue,
                   std::initializer_list<field> fields);

}  // namespace mssgw::log
