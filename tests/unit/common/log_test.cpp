// Log rendering: JSON lines are valid JSON whatever the input (control characters, quotes, invalid UTF-8), and text
// values cannot forge new lines or keys.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "common/log.hpp"

using namespace mssgw;

TEST_CASE("log: JSON escaping is valid JSON", "[log]") {
  const std::string hostile[] = {
      std::string("plain"),
      std::string("quote \" backslash \\ slash /"),
      std::string("new\nline\r\ttab\x01\x1b[31mred\x7f"),
      std::string("nul \0 inside", 12),
      std::string("accents: é à ç ü, emoji: \xf0\x9f\x93\xa7"),
      std::string("invalid utf-8: \xc3\x28 \xa0\xa1 \xe2\x28\xa1 \xf0\x90\x28\xbc \xff\xfe"),
      std::string("overlong: \xc0\xaf \xe0\x80\xaf, surrogate: \xed\xa0\x80, truncated: \xe2\x82"),
  };
  for (const auto& s : hostile) {
    std::string doc = "{\"v\":\"" + log::json_escape(s) + "\"}";
    INFO(doc);
    nlohmann::json parsed;
    REQUIRE_NOTHROW(parsed = nlohmann::json::parse(doc));
    if (s.find('\xc3') == std::string::npos && s.find('\xc0') == std::string::npos && s.find('\xff') == std::string::npos) {
      CHECK(parsed["v"].get<std::string>() == s);  // valid input round-trips exactly
    }
  }
  CHECK(log::json_escape("\x1b") == "\\u001b");
  CHECK(log::json_escape("\xc3\x28") == "\xef\xbf\xbd(");
}

TEST_CASE("log: rendered events", "[log]") {
  auto json = log::render(true, "smtp.mail.refused", "S1", "Q2",
                          {{"peer", "127.0.0.1"}, {"code", 550}, {"tls", true}, {"size", std::uint64_t{42}}});
  auto parsed = nlohmann::json::parse("{" + json + "}");
  CHECK(parsed["event"] == "smtp.mail.refused");
  CHECK(parsed["session"] == "S1");
  CHECK(parsed["queue"] == "Q2");
  CHECK(parsed["code"] == 550);
  CHECK(parsed["tls"] == true);
  CHECK(parsed["size"] == 42);

  auto text = log::render(false, "smtp.mail", "S1", "", {{"from", "a@b.test"}, {"reason", "DN not listed\nforged=1"}});
  CHECK(text == "smtp.mail session=S1 from=a@b.test reason=\"DN not listed\\nforged=1\"");
  CHECK(log::render(false, "e", "", "", {{"empty", ""}, {"eq", "a=b"}}) == "e empty=\"\" eq=\"a=b\"");
}

TEST_CASE("log: levels parse", "[log]") {
  log::level l{};
  CHECK((log::parse_level("warn", l) && l == log::level::warn));
  CHECK_FALSE(log::parse_level("WARN", l));
  CHECK(log::name(log::module::smtp) == "smtp");
}
