#include "common/log.hpp"

#include <array>
#include <atomic>
#include <memory>
#include <mutex>

#include <spdlog/async.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "common/config.hpp"

namespace mssgw::log {
namespace {

constexpr std::array<std::string_view, module_count> module_names = {
    "app", "common", "storage", "trustspace", "directory", "auth", "routing", "smtp", "queue", "imap", "api"};
constexpr std::array<std::string_view, 7> level_names = {"trace", "debug", "info", "warn", "error", "critical", "off"};

struct state {
  std::mutex mutex;
  bool initialised = false;
  std::atomic<bool> json{false};
  std::array<std::shared_ptr<spdlog::logger>, module_count> loggers;
  std::shared_ptr<spdlog::logger> audit;
};

state& global() {
  static state s;
  return s;
}

spdlog::level::level_enum to_spdlog(level l) { return static_cast<spdlog::level::level_enum>(l); }

// Text values are bare when they are plain tokens, otherwise quoted and escaped like JSON strings, so that a
// value can never start a new line or a new key.
bool needs_quotes(std::string_view s) {
  if (s.empty()) return true;
  for (unsigned char c : s) {
    if (c <= 0x20 || c == '"' || c == '=' || c == '\\' || c >= 0x7f) return true;
  }
  return false;
}

void append_value(std::string& out, const value& v, bool json) {
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::string_view>) {
          if (json || needs_quotes(x)) {
            out += '"';
            append_json_escaped(out, x);
            out += '"';
          } else {
            out += x;
          }
        } else if constexpr (std::is_same_v<T, bool>) {
          out += x ? "true" : "false";
        } else {
          out += std::to_string(x);
        }
      },
      v.v);
}

void append_field(std::string& out, std::string_view key, const value& v, bool json) {
  if (json) {
    out += ",\"";
    append_json_escaped(out, key);
    out += "\":";
  } else {
    out += ' ';
    out += key;
    out += '=';
  }
  append_value(out, v, json);
}

}  // namespace

std::string_view name(module m) { return module_names[static_cast<std::size_t>(m)]; }
std::string_view name(level l) { return level_names[static_cast<std::size_t>(l)]; }

bool parse_level(std::string_view text, level& out) {
  for (std::size_t i = 0; i < level_names.size(); ++i) {
    if (text == level_names[i]) {
      out = static_cast<level>(i);
      return true;
    }
  }
  return false;
}

void config::read(common::config_section& section) {
  section.one_of("format", format, {"text", "json"});
  std::string level_text(name(default_level));
  section.one_of("level", level_text, {"trace", "debug", "info", "warn", "error", "critical", "off"});
  parse_level(level_text, default_level);
  for (auto& l : module_levels) l = default_level;
  section.path("file", file);
  section.path("audit_file", audit_file);
  common::config_section levels = section.sub("levels");
  for (std::size_t i = 0; i < module_count; ++i) {
    std::string text(name(module_levels[i]));
    levels.one_of(module_names[i], text, {"trace", "debug", "info", "warn", "error", "critical", "off"});
    parse_level(text, module_levels[i]);
  }
  levels.finish();
}

void append_json_escaped(std::string& out, std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = p + text.size();
  while (p < end) {
    unsigned char c = *p;
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
      ++p;
    } else if (c < 0x20 || c == 0x7f) {
      switch (c) {
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
          out += "\\u00";
          out += hex[c >> 4];
          out += hex[c & 0xf];
      }
      ++p;
    } else if (c < 0x80) {
      out += static_cast<char>(c);
      ++p;
    } else {
      // Validate one UTF-8 sequence (RFC 3629 §4); anything else becomes U+FFFD.
      std::size_t len = 0;
      std::uint32_t cp = 0;
      if ((c & 0xe0) == 0xc0) { len = 2; cp = c & 0x1f; }
      else if ((c & 0xf0) == 0xe0) { len = 3; cp = c & 0x0f; }
      else if ((c & 0xf8) == 0xf0) { len = 4; cp = c & 0x07; }
      bool ok = len != 0 && static_cast<std::size_t>(end - p) >= len;
      for (std::size_t i = 1; ok && i < len; ++i) {
        if ((p[i] & 0xc0) != 0x80) ok = false;
        else cp = (cp << 6) | (p[i] & 0x3f);
      }
      if (ok) {
        static constexpr std::uint32_t min_for_len[] = {0, 0, 0x80, 0x800, 0x10000};
        ok = cp >= min_for_len[len] && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff);
      }
      if (ok) {
        out.append(reinterpret_cast<const char*>(p), len);
        p += len;
      } else {
        out += "\xef\xbf\xbd";
        ++p;
      }
    }
  }
}

std::string json_escape(std::string_view text) {
  std::string out;
  append_json_escaped(out, text);
  return out;
}

std::string render(bool json, std::string_view event, std::string_view session, std::string_view queue,
                   std::initializer_list<field> fields) {
  std::string out;
  out.reserve(128);
  if (json) {
    out += "\"event\":\"";
    append_json_escaped(out, event);
    out += '"';
  } else {
    out += event;
  }
  if (!session.empty()) append_field(out, "session", value(session), json);
  if (!queue.empty()) append_field(out, "queue", value(queue), json);
  for (const field& f : fields) append_field(out, f.key, f.val, json);
  return out;
}

void init(const config& cfg) {
  state& s = global();
  std::lock_guard lock(s.mutex);
  const bool json = cfg.format == "json";
  if (!s.initialised) {
    spdlog::init_thread_pool(8192, 1);
    spdlog::sink_ptr main_sink;
    if (cfg.file.empty()) {
      main_sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    } else {
      main_sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(cfg.file.string());
    }
    const std::string pattern = json ? R"({"ts":"%Y-%m-%dT%H:%M:%S.%f%z","level":"%l","module":"%n",%v})"
                                     : "%Y-%m-%dT%H:%M:%S.%e%z %l %n %v";
    for (std::size_t i = 0; i < module_count; ++i) {
      auto lg = std::make_shared<spdlog::async_logger>(std::string(module_names[i]), main_sink,
                                                       spdlog::thread_pool(), spdlog::async_overflow_policy::block);
      lg->set_pattern(pattern);
      lg->flush_on(spdlog::level::warn);
      spdlog::register_logger(lg);  // for flush_every below
      s.loggers[i] = lg;
    }
    spdlog::sink_ptr audit_sink =
        cfg.audit_file.empty() ? main_sink
                               : std::make_shared<spdlog::sinks::basic_file_sink_mt>(cfg.audit_file.string());
    s.audit = std::make_shared<spdlog::async_logger>("audit", audit_sink, spdlog::thread_pool(),
                                                     spdlog::async_overflow_policy::block);
    s.audit->set_pattern(pattern);
    s.audit->set_level(spdlog::level::info);
    s.audit->flush_on(spdlog::level::info);
    // Info lines reach the file within a second even on a quiet server (an operator tailing the log, a test
    // waiting for a line); warnings and the audit trail are flushed at once.
    spdlog::flush_every(std::chrono::seconds(1));
    s.json = json;
    s.initialised = true;
  }
  for (std::size_t i = 0; i < module_count; ++i) s.loggers[i]->set_level(to_spdlog(cfg.module_levels[i]));
}

void flush() {
  state& s = global();
  std::lock_guard lock(s.mutex);
  if (!s.initialised) return;
  for (auto& lg : s.loggers) lg->flush();
  s.audit->flush();
}

void shutdown() {
  state& s = global();
  {
    std::lock_guard lock(s.mutex);
    if (!s.initialised) return;
    for (auto& lg : s.loggers) lg->flush();
    s.audit->flush();
    s.initialised = false;
    for (auto& lg : s.loggers) lg.reset();
    s.audit.reset();
  }
  spdlog::shutdown();
}

bool context::enabled(level l) const {
  state& s = global();
  if (!s.initialised) return l >= level::warn;
  return s.loggers[static_cast<std::size_t>(module_)]->should_log(to_spdlog(l));
}

void context::write(level l, std::string_view event, std::initializer_list<field> fields) const {
  state& s = global();
  if (!s.initialised) {
    // Before init (early start-up errors, tests): warnings and errors to stderr, plain text.
    if (l >= level::warn) {
      std::string line = std::string(name(l)) + " " + std::string(name(module_)) + " " +
                         render(false, event, session_, queue_, fields) + "\n";
      fwrite(line.data(), 1, line.size(), stderr);
    }
    return;
  }
  const auto& lg = s.loggers[static_cast<std::size_t>(module_)];
  if (!lg->should_log(to_spdlog(l))) return;
  lg->log(to_spdlog(l), "{}", render(s.json, event, session_, queue_, fields));
}

void audit(std::string_view event, std::initializer_list<field> fields) {
  state& s = global();
  if (!s.initialised) return;
  s.audit->info("{}", render(s.json, event, {}, {}, fields));
}

}  // namespace mssgw::log
