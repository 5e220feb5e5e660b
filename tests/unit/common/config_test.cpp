// Config reading: every kind of error is reported with file:line, all in one pass; values keep their defaults when
// absent; durations and sizes parse strictly.
#include <catch2/catch.hpp>

#include <fstream>

#include "app/settings.hpp"
#include "common/config.hpp"

using namespace mssgw;
using common::config_errors;

namespace {
// Reads `text` into a full settings object; returns the rendered errors.
std::vector<std::string> errors_of(std::string_view text, app::settings* out = nullptr) {
  config_errors errors;
  common::config_document doc(text, "test.toml", errors);
  app::settings s;
  if (doc.parsed()) {
    auto root = doc.root();
    app::read_settings(root, s);
  }
  if (out) *out = s;
  std::vector<std::string> rendered;
  for (const auto& e : errors.all()) rendered.push_back(e.to_string());
  return rendered;
}
}  // namespace

TEST_CASE("config: defaults apply to an empty file", "[config]") {
  app::settings s;
  CHECK(errors_of("", &s).empty());
  CHECK(s.storage.backend == "lmdb");
  CHECK(s.log.format == "text");
  CHECK(s.server.threads == 0);
}

TEST_CASE("config: values are read", "[config]") {
  app::settings s;
  auto errs = errors_of(R"(
[server]
hostname = "mx.alpha.mssante.test"
local_domains = ["alpha.mssante.test", "Alpha-Pharma.mssante.test"]
threads = 4
[storage]
backend = "memory"
map_size = "64MiB"
max_group = 64
[log]
format = "json"
level = "debug"
[log.levels]
smtp = "trace"
)", &s);
  CHECK(errs.empty());
  CHECK(s.server.hostname == "mx.alpha.mssante.test");
  CHECK(s.server.local_domains.size() == 2);
  CHECK(s.server.threads == 4);
  CHECK(s.storage.backend == "memory");
  CHECK(s.storage.map_size == 64ull * 1024 * 1024);
  CHECK(s.storage.max_group == 64);
  CHECK(s.log.format == "json");
  CHECK(s.log.default_level == log::level::debug);
  CHECK(s.log.module_levels[static_cast<int>(log::module::smtp)] == log::level::trace);
  CHECK(s.log.module_levels[static_cast<int>(log::module::imap)] == log::level::debug);
}

TEST_CASE("config: each kind of error names file, line and key", "[config]") {
  struct row {
    std::string text;
    std::string expected;  // substring of the single error
  };
  const row rows[] = {
      {"[server\nthreads = 1\n", "test.toml:1:"},                                    // TOML syntax
      {"[server]\nthreds = 2\n", "test.toml:2:10: unknown key server.threds"},       // unknown key
      {"[nonsense]\n", "test.toml:1:1: unknown key nonsense"},                      // unknown section
      {"[log.levels]\nsmpt = \"debug\"\n", "test.toml:2:8: unknown key log.levels.smpt"},  // unknown nested key
      {"[server]\nthreads = \"four\"\n", "test.toml:2:11: server.threads: expected an integer"},  // wrong type
      {"[server]\nthreads = 1000\n", "server.threads: 1000 is out of bounds [0, 256]"},  // out of bounds
      {"[storage]\nbackend = \"postgres\"\n", "storage.backend: \"postgres\" is not one of lmdb, memory"},
      {"[storage]\nmap_size = \"lots\"\n", "storage.map_size: expected a size"},
      {"[storage]\nmap_size = \"1KB\"\n", "storage.map_size: 1000 bytes is out of bounds"},
      {"[storage]\nmap_size = \"1GiB\"\nmax_map_size = \"512MiB\"\n", "max_map_size: must be at least map_size"},
      {"[server]\nlocal_domains = \"alpha\"\n", "server.local_domains: expected an array of strings"},
      {"[server]\nlocal_domains = [\"a\", 3]\n", "server.local_domains: expected a string"},
      {"server = 3\n", "server: expected a table"},
      {"[log]\nfile = \"\"\n", "log.file: expected a non-empty path"},
  };
  for (const auto& r : rows) {
    INFO(r.text);
    auto errs = errors_of(r.text);
    REQUIRE(errs.size() == 1);
    CHECK_THAT(errs[0], Catch::Contains(r.expected));
  }
}

TEST_CASE("config: all errors of a file are reported at once, in line order", "[config]") {
  auto errs = errors_of(R"([storage]
backend = "pg"
[server]
threads = -1
bogus = true
[log]
level = "loud"
[extra]
)");
  REQUIRE(errs.size() == 5);
  CHECK_THAT(errs[0], Catch::StartsWith("test.toml:2:"));
  CHECK_THAT(errs[1], Catch::StartsWith("test.toml:4:"));
  CHECK_THAT(errs[2], Catch::StartsWith("test.toml:5:"));
  CHECK_THAT(errs[3], Catch::StartsWith("test.toml:7:"));
  CHECK_THAT(errs[4], Catch::StartsWith("test.toml:8:1: unknown key extra"));
}

TEST_CASE("config: missing files are errors", "[config]") {
  config_errors errors;
  common::config_document doc(std::filesystem::path("/nonexistent/mssgw.toml"), errors);
  REQUIRE(errors.all().size() == 1);
  CHECK_THAT(errors.all()[0].to_string(), Catch::Contains("cannot read"));

  config_errors errors2;
  common::config_document doc2("cert = \"/nonexistent/cert.pem\"\ndir = \"/nonexistent\"\n", "t.toml", errors2);
  auto root = doc2.root();
  std::filesystem::path p;
  root.path("cert", p, common::path_check::file_exists);
  root.path("dir", p, common::path_check::dir_exists);
  root.finish();
  REQUIRE(errors2.all().size() == 2);
  CHECK_THAT(errors2.all()[0].to_string(), Catch::Contains("t.toml:1:8: cert: file not found"));
  CHECK_THAT(errors2.all()[1].to_string(), Catch::Contains("t.toml:2:7: dir: directory not found"));
}

TEST_CASE("config: relative paths resolve against the config file's directory", "[config]") {
  auto dir = std::filesystem::temp_directory_path() / "mssgw-config-test";
  std::filesystem::create_directories(dir / "etc");
  std::ofstream(dir / "etc" / "mssgw.toml") << "[server]\nstate_dir = \"../state\"\n";
  app::global_options opts;
  opts.config_file = (dir / "etc" / "mssgw.toml").string();
  app::settings s;
  config_errors errors;
  REQUIRE(app::load_settings(opts, s, errors));
  CHECK(s.server.state_dir == (dir / "state").lexically_normal());
  CHECK(s.log.audit_file == (dir / "state" / "audit.log").lexically_normal());
  opts.state_dir = "/tmp/other-state";  // --state wins
  REQUIRE(app::load_settings(opts, s, errors));
  CHECK(s.server.state_dir == "/tmp/other-state");
  std::filesystem::remove_all(dir);
}

TEST_CASE("config: durations and sizes", "[config]") {
  std::chrono::seconds d{};
  CHECK((common::parse_duration("30s", d) && d.count() == 30));
  CHECK((common::parse_duration("5m", d) && d.count() == 300));
  CHECK((common::parse_duration("1h", d) && d.count() == 3600));
  CHECK((common::parse_duration("5d", d) && d.count() == 432000));
  CHECK((common::parse_duration("42", d) && d.count() == 42));
  for (auto bad : {"", "m", "5 m", "5x", "-5s", "5.5h", "99999999999999999999d"}) {
    INFO(bad);
    CHECK_FALSE(common::parse_duration(bad, d));
  }
  std::uint64_t n = 0;
  CHECK((common::parse_byte_size("25MB", n) && n == 25'000'000));
  CHECK((common::parse_byte_size("16GiB", n) && n == 16ull << 30));
  CHECK((common::parse_byte_size("512", n) && n == 512));
  CHECK((common::parse_byte_size("64KiB", n) && n == 65536));
  for (auto bad : {"", "MB", "25 MB", "25mb", "1.5GB", "99999999999TB"}) {
    INFO(bad);
    CHECK_FALSE(common::parse_byte_size(bad, n));
  }
}

TEST_CASE("config: the example config in deploy/ is valid and documents every key", "[config]") {
  const auto example = std::filesystem::path(MSSGW_SOURCE_DIR) / "deploy" / "mssgw.example.toml";
  app::global_options opts;
  opts.config_file = example.string();
  app::settings s;
  config_errors errors;
  bool ok = app::load_settings(opts, s, errors);
  for (const auto& e : errors.all()) UNSCOPED_INFO(e.to_string());
  CHECK(ok);
}
