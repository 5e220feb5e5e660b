// The ANS extraction parser: header variants, bad lines with their numbers, duplicates, and the same results
// whatever the chunking (whole input, one byte at a time, and split at every point).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "directory/extraction.hpp"

using namespace mssgw::directory;

namespace {

std::string header(std::string_view sep = "|") {
  std::string h;
  for (std::size_t i = 0; i < extraction_columns.size(); ++i) {
    if (i) h += sep;
    h += extraction_columns[i];
  }
  return h;
}

// A data row: type, address, idNat, surname, given name, structure id; the rest empty or filled with `filler`.
std::string row(std::string type, std::string address, std::string idnat = "", std::string surname = "",
                std::string given = "", std::string structure = "") {
  std::vector<std::string> f(extraction_column_count);
  f[0] = type;
  f[1] = address;
  f[4] = idnat;
  f[6] = structure;
  f[9] = surname;
  f[10] = given;
  std::string out;
  for (std::size_t i = 0; i < f.size(); ++i) out += (i ? "|" : "") + f[i];
  return out;
}

struct parsed {
  std::vector<std::pair<std::size_t, entry>> rows;
  std::vector<extraction_error> errors;
  std::vector<std::string> warnings;
  bool header_ok = false;
  std::size_t lines = 0;
};

parsed parse_chunks(const std::string& input, const std::vector<std::size_t>& cuts) {
  parsed out;
  extraction_parser p([&](std::size_t line, entry&& e) { out.rows.emplace_back(line, std::move(e)); });
  std::size_t at = 0;
  for (std::size_t cut : cuts) {
    p.feed(std::string_view(input).substr(at, cut - at));
    at = cut;
  }
  p.feed(std::string_view(input).substr(at));
  p.finish();
  out.errors = p.errors();
  out.warnings = p.warnings();
  out.header_ok = p.header_ok();
  out.lines = p.lines();
  return out;
}

bool same(const parsed& a, const parsed& b) {
  if (a.rows.size() != b.rows.size() || a.errors.size() != b.errors.size() || a.header_ok != b.header_ok ||
      a.lines != b.lines || a.warnings != b.warnings) {
    return false;
  }
  for (std::size_t i = 0; i < a.rows.size(); ++i) {
    if (a.rows[i].first != b.rows[i].first || a.rows[i].second.address != b.rows[i].second.address ||
        !same_content(a.rows[i].second, b.rows[i].second)) {
      return false;
    }
  }
  for (std::size_t i = 0; i < a.errors.size(); ++i) {
    if (a.errors[i].line != b.errors[i].line || a.errors[i].reason != b.errors[i].reason) return false;
  }
  return true;
}

// Parses `input` whole, byte by byte, and split at every single point; all must agree. Returns the whole parse.
parsed parse_everywhere(const std::string& input) {
  parsed whole = parse_chunks(input, {});
  std::vector<std::size_t> bytes;
  for (std::size_t i = 1; i < input.size(); ++i) bytes.push_back(i);
  CHECK(same(whole, parse_chunks(input, bytes)));
  for (std::size_t i = 1; i < input.size(); ++i) {
    if (!same(whole, parse_chunks(input, {i}))) {
      FAIL("split at " << i << " differs");
    }
  }
  return whole;
}

}  // namespace

TEST_CASE("extraction: a well-formed file", "[directory][extraction]") {
  std::string input = header() + "\n" + row("PER", "Jean.Dupont@hop.mssante.fr", "810001234567", "Dupont", "Jean") +
                      "\n" + row("ORG", "secretariat@hop.mssante.fr", "", "", "", "1750000001") + "\n";
  parsed p = parse_everywhere(input);
  REQUIRE(p.header_ok);
  CHECK(p.errors.empty());
  CHECK(p.warnings.empty());
  REQUIRE(p.rows.size() == 2);
  CHECK(p.rows[0].first == 2);
  CHECK(p.rows[0].second.address == "jean.dupont@hop.mssante.fr");  // lowercased
  CHECK(p.rows[0].second.type == bal_type::PER);
  CHECK(p.rows[0].second.idnat == "810001234567");
  CHECK(p.rows[0].second.surname == "Dupont");
  CHECK(p.rows[0].second.given_name == "Jean");
  CHECK(p.rows[1].second.type == bal_type::ORG);
  CHECK(p.rows[1].second.structure_id == "1750000001");
}

TEST_CASE("extraction: header variants", "[directory][extraction]") {
  const std::string data = row("PER", "a@x.mssante.fr", "810000000001", "Durand", "Éric");
  struct variant {
    const char* name;
    std::string text;
    bool ok;
    std::size_t warnings;
  };
  std::string folded_header;  // no accents, other case, odd spacing and apostrophe
  for (std::size_t i = 0; i < extraction_columns.size(); ++i) {
    std::string c = fold(extraction_columns[i]);
    for (char& ch : c) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    folded_header += (i ? " | " : "") + c;
  }
  // Columns in another order: swap address and type, and the two name columns.
  std::vector<std::string> names(extraction_columns.begin(), extraction_columns.end());
  std::swap(names[0], names[1]);
  std::swap(names[9], names[10]);
  std::string reordered;
  for (std::size_t i = 0; i < names.size(); ++i) reordered += (i ? "|" : "") + names[i];
  const variant variants[] = {
      {"plain", header() + "\n" + data + "\n", true, 0},
      {"BOM", "\xEF\xBB\xBF" + header() + "\n" + data + "\n", true, 0},
      {"CRLF", header() + "\r\n" + data + "\r\n", true, 0},
      {"trailing bar everywhere", header() + "|\r\n" + data + "|\r\n", true, 0},
      {"trailing bar on data only", header() + "\n" + data + "|\n", true, 0},
      {"no final newline", header() + "\n" + data, true, 0},
      {"blank lines", "\n" + header() + "\n\n" + data + "\n\n", true, 0},
      {"folded names", folded_header + "\n" + data + "\n", true, 0},
  };
  for (const auto& v : variants) {
    INFO(v.name);
    parsed p = parse_everywhere(v.text);
    CHECK(p.header_ok == v.ok);
    CHECK(p.warnings.size() == v.warnings);
    CHECK(p.errors.empty());
    REQUIRE(p.rows.size() == 1);
    CHECK(p.rows[0].second.address == "a@x.mssante.fr");
    CHECK(p.rows[0].second.surname == "Durand");
    CHECK(p.rows[0].second.given_name == "Éric");
  }
  SECTION("reordered columns are matched by name") {
    std::vector<std::string> f(extraction_column_count);
    f[0] = "b@x.mssante.fr";
    f[1] = "ORG";
    f[9] = "Prénom";
    f[10] = "Nom";
    std::string line;
    for (std::size_t i = 0; i < f.size(); ++i) line += (i ? "|" : "") + f[i];
    parsed p = parse_everywhere(reordered + "\n" + line + "\n");
    REQUIRE(p.rows.size() == 1);
    CHECK(p.rows[0].second.type == bal_type::ORG);
    CHECK(p.rows[0].second.address == "b@x.mssante.fr");
    CHECK(p.rows[0].second.surname == "Nom");
    CHECK(p.rows[0].second.given_name == "Prénom");
  }
  SECTION("missing optional and unknown columns are warnings") {
    std::string h = "Type de BAL|Adresse BAL|Nom d'exercice|Colonne Inconnue";
    parsed p = parse_everywhere(h + "\nPER|c@x.mssante.fr|Martin|zzz\n");
    CHECK(p.header_ok);
    CHECK(p.warnings.size() == 1 + (extraction_column_count - 3));
    REQUIRE(p.rows.size() == 1);
    CHECK(p.rows[0].second.surname == "Martin");
  }
  SECTION("header errors stop the parse") {
    struct bad {
      const char* name;
      std::string text;
      std::string reason;
    };
    const bad bads[] = {
        {"no address column", "Type de BAL|Nom d'exercice\nPER|Martin\n", "required column \"Adresse BAL\""},
        {"data first", data + "\n" + data + "\n", "required column"},
        {"a column twice", "Type de BAL|Adresse BAL|Adresse BAL\nPER|a@x.fr|a@x.fr\n", "appears twice"},
        {"empty file", "", "no header line"},
        {"only blank lines", "\n\r\n  \n", "no header line"},
    };
    for (const auto& b : bads) {
      INFO(b.name);
      parsed p = parse_everywhere(b.text);
      CHECK_FALSE(p.header_ok);
      CHECK(p.rows.empty());
      REQUIRE(p.errors.size() == 1);
      CHECK(p.errors[0].reason.find(b.reason) != std::string::npos);
    }
  }
}

TEST_CASE("extraction: malformed lines are reported with their numbers and skipped", "[directory][extraction]") {
  std::string long_field(3000, 'x');
  std::vector<std::pair<std::string, std::string>> lines = {
      {row("PER", "ok1@x.mssante.fr", "810000000001", "Un"), ""},
      {"PER|short@x.mssante.fr|8", "expected 31 fields, found 3"},
      {row("XYZ", "t@x.mssante.fr"), "unknown BAL type"},
      {row("PER", "not-an-address"), "invalid BAL address"},
      {row("PER", "a..b@x.mssante.fr"), "invalid BAL address"},
      {row("PER", ""), "invalid BAL address"},
      {row("PER", "ctl@x.mssante.fr", "", "Bad\x01Name"), "not valid UTF-8 text"},
      {row("PER", "utf@x.mssante.fr", "", "Caf\xE9"), "not valid UTF-8 text"},  // Latin-1, not UTF-8
      {row("PER", "long@x.mssante.fr", "", long_field), "longer than"},
      {row("PER", "ok2@x.mssante.fr", "810000000002", "Deux") + "|extra|fields", "expected 31 fields, found 33"},
      {row("cab", "ok3@x.mssante.fr", "", "Trois"), ""},  // type is case-insensitive
  };
  std::string input = header() + "\n";
  for (const auto& [text, reason] : lines) input += text + "\n";
  parsed p = parse_chunks(input, {});
  std::size_t expected_errors = 0;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].second.empty()) continue;
    INFO("line " << i + 2);
    REQUIRE(expected_errors < p.errors.size());
    CHECK(p.errors[expected_errors].line == i + 2);
    CHECK(p.errors[expected_errors].reason.find(lines[i].second) != std::string::npos);
    ++expected_errors;
  }
  CHECK(p.errors.size() == expected_errors);
  REQUIRE(p.rows.size() == 2);
  CHECK(p.rows[0].second.address == "ok1@x.mssante.fr");
  CHECK(p.rows[1].second.address == "ok3@x.mssante.fr");
  CHECK(p.rows[1].second.type == bal_type::CAB);
  // The same at every split point (a smaller input keeps this quadratic check quick).
  parse_everywhere(header() + "\n" + lines[1].first + "\n" + lines[0].first + "\n" + lines[7].first + "\n");
}

TEST_CASE("extraction: an over-long line is reported and skipped, whatever the chunking", "[directory][extraction]") {
  extraction_limits limits;
  limits.max_line_size = 1000;  // the header is ~700 bytes
  std::string big = header() + "\n" + row("PER", "a@x.mssante.fr", "", std::string(1200, 'y')) + "\n" +
                    row("PER", "b@x.mssante.fr") + "\n";
  for (std::size_t chunk : {big.size(), std::size_t(1), std::size_t(7), std::size_t(333)}) {
    INFO("chunk " << chunk);
    std::vector<std::string> addresses;
    extraction_parser p([&](std::size_t, entry&& e) { addresses.push_back(e.address); }, limits);
    for (std::size_t at = 0; at < big.size(); at += chunk) p.feed(std::string_view(big).substr(at, chunk));
    p.finish();
    REQUIRE(p.errors().size() == 1);
    CHECK(p.errors()[0].line == 2);
    CHECK(p.errors()[0].reason.find("line longer than 1000") != std::string::npos);
    CHECK(addresses == std::vector<std::string>{"b@x.mssante.fr"});
    CHECK(p.lines() == 3);
  }
}

TEST_CASE("extraction: errors beyond the reporting cap are counted", "[directory][extraction]") {
  extraction_limits limits;
  limits.max_reported_errors = 3;
  std::string input = header() + "\n";
  for (int i = 0; i < 10; ++i) input += "bad line\n";
  extraction_parser p(nullptr, limits);
  p.feed(input);
  p.finish();
  CHECK(p.error_count() == 10);
  CHECK(p.errors().size() == 3);
}

TEST_CASE("extraction: duplicates are merged, conflicting ones refused", "[directory][extraction]") {
  std::string input = header() + "\n" + row("PER", "dup@x.mssante.fr", "810000000001", "Dupont", "") + "\n" +
                      row("PER", "DUP@x.mssante.fr", "810000000009", "Autre", "Jean", "1750000001") + "\n" +
                      row("ORG", "dup@x.mssante.fr", "", "", "", "1750000002") + "\n" +
                      row("ORG", "other@x.mssante.fr") + "\n";
  extraction_loader loader;
  loader.feed(input);
  loader.finish();
  auto& set = loader.set();
  CHECK(set.size() == 2);
  CHECK(set.duplicates() == 1);
  REQUIRE(loader.parser().errors().size() == 1);
  CHECK(loader.parser().errors()[0].line == 4);
  CHECK(loader.parser().errors()[0].reason.find("another BAL type") != std::string::npos);
  entry merged;
  REQUIRE(decode_content(set.contents().at("dup@x.mssante.fr"), merged));
  CHECK(merged.idnat == "810000000001");   // the first row wins
  CHECK(merged.surname == "Dupont");
  CHECK(merged.given_name == "Jean");      // empty in the first row: filled from the second
  CHECK(merged.structure_id == "1750000001");
}

TEST_CASE("extraction: written rows parse back", "[directory][extraction]") {
  entry e;
  e.address = "x@y.mssante.fr";
  e.type = bal_type::APP;
  for (std::size_t i = 0; i < field_count; ++i) e.text(static_cast<field>(i)) = "f" + std::to_string(i) + " é";
  e.service = "a|b";  // the format cannot carry '|': written as a space
  std::string text = format_extraction_header() + format_extraction_row(e);
  extraction_loader loader;
  loader.feed(text);
  loader.finish();
  REQUIRE(loader.parser().errors().empty());
  REQUIRE(loader.set().size() == 1);
  entry back;
  REQUIRE(decode_content(loader.set().contents().at("x@y.mssante.fr"), back));
  e.service = "a b";
  CHECK(same_content(e, back));
}
