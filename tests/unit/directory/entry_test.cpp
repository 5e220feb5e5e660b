// The entry model: content encoding, text folding for the name search, index tokens, UUIDs.
#include <catch2/catch.hpp>

#include "directory/entry.hpp"

using namespace mssgw::directory;

TEST_CASE("fold: accents and case go, separators collapse", "[directory][fold]") {
  struct row {
    const char* in;
    const char* out;
  };
  const row rows[] = {
      {"Dupont", "dupont"},
      {"LEFÈVRE", "lefevre"},
      {"Hélène", "helene"},
      {"Éloïse-Anaïs", "eloise anais"},
      {"Œdipe Cœur", "oedipe coeur"},
      {"Straße", "strasse"},
      {"Ångström", "angstrom"},
      {"N'Guessan", "n guessan"},
      {"N’Guessan", "n guessan"},  // typographic apostrophe U+2019
      {"  Le   Goff  ", "le goff"},
      {"Çà et là", "ca et la"},
      {"Łukasz Żółć", "lukasz zolc"},
      {"Ÿvonne", "yvonne"},
      {"e\xCC\x81mile", "emile"},          // decomposed é (e + U+0301)
      {"a\xFF" "b", "a b"},                // an invalid byte is a separator
      {"\xE2\x82", "", },                  // truncated sequence
      {"Müller×2", "muller 2"},            // × is not a letter
      {"Ωmega", "\xCE\xA9mega"},           // other scripts are kept as they are
      {"", ""},
  };
  for (const auto& r : rows) {
    INFO(r.in);
    CHECK(fold(r.in) == r.out);
  }
}

TEST_CASE("name tokens: each token, the joined name, no duplicates", "[directory][fold]") {
  CHECK(name_tokens("Le Goff", "Jean-Pierre") ==
        std::vector<std::string>{"le", "goff", "legoff", "jean", "pierre", "jeanpierre"});
  CHECK(name_tokens("Martin", "Martin") == std::vector<std::string>{"martin"});
  CHECK(name_tokens("", "") == std::vector<std::string>{});
  std::string longname(200, 'a');
  auto t = name_tokens(longname, "");
  REQUIRE(t.size() == 1);
  CHECK(t[0].size() == max_token_size);
  // Truncation never cuts a UTF-8 sequence.
  std::string greek;
  for (int i = 0; i < 40; ++i) greek += "\xCE\xA9";
  auto g = name_tokens(greek, "");
  REQUIRE(g.size() == 1);
  CHECK(g[0].size() == 64);
  CHECK(clean_text(g[0]));
}

TEST_CASE("content encoding round-trips and compares by bytes", "[directory][entry]") {
  entry e;
  e.address = "jean.dupont@hop.mssante.fr";
  e.type = bal_type::ORG;
  e.idnat = "810001234567";
  e.surname = "Dupont";
  e.given_name = "Jean";
  e.structure_address.postal_code = "75013";
  e.structure_address.country = "France";
  e.liste_rouge = true;
  e.entry_uuid = std::string(16, '\x42');
  e.profession_label = std::string(300, 'x');  // a length over one varint byte
  std::string bytes = encode_content(e);
  entry back;
  REQUIRE(decode_content(bytes, back));
  CHECK(same_content(e, back));
  CHECK(back.structure_address == e.structure_address);
  CHECK(back.liste_rouge);
  CHECK(back.entry_uuid == e.entry_uuid);

  entry changed = e;
  changed.structure_address.postal_code = "75014";
  CHECK_FALSE(same_content(e, changed));
  CHECK(encode_content(changed) != bytes);
  entry bookkeeping = e;
  bookkeeping.updated = 42;
  bookkeeping.source = source_kind::ldap;
  bookkeeping.local = true;
  CHECK(encode_content(bookkeeping) == bytes);  // not content

  index_view v;
  REQUIRE(decode_index_view(bytes, v));
  CHECK(v.idnat == "810001234567");
  CHECK(v.surname == "Dupont");
  CHECK(v.given_name == "Jean");
  CHECK(v.liste_rouge);
  CHECK(v.type == bal_type::ORG);

  // Every truncation is rejected, never read past the end.
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    entry partial;
    CHECK_FALSE(decode_content(std::string_view(bytes).substr(0, n), partial));
  }
  CHECK_FALSE(decode_content(bytes + "x", back));
}

TEST_CASE("every field has a name and a slot", "[directory][entry]") {
  entry e;
  for (std::size_t i = 0; i < field_count; ++i) e.text(static_cast<field>(i)) = "v" + std::to_string(i);
  for (std::size_t i = 0; i < field_count; ++i) {
    CHECK(e.text(static_cast<field>(i)) == "v" + std::to_string(i));
    CHECK_FALSE(field_name(static_cast<field>(i)).empty());
  }
  CHECK(e.structure_address.country == "v" + std::to_string(field_count - 1));
}

TEST_CASE("entryUUID text form", "[directory][entry]") {
  auto raw = parse_uuid("8a72288a-7a6c-1041-96aa-234e87f38e0c");
  REQUIRE(raw);
  CHECK(raw->size() == 16);
  CHECK(format_uuid(*raw) == "8a72288a-7a6c-1041-96aa-234e87f38e0c");
  CHECK(parse_uuid("8A72288A-7A6C-1041-96AA-234E87F38E0C") == raw);
  CHECK(parse_uuid("8a72288a7a6c104196aa234e87f38e0c") == raw);
  CHECK_FALSE(parse_uuid("8a72288a-7a6c-1041-96aa-234e87f38e0"));
  CHECK_FALSE(parse_uuid("8a72288a-7a6c-1041-96aa-234e87f38e0g"));
  CHECK_FALSE(parse_uuid(""));
}

TEST_CASE("clean_text accepts UTF-8 text and refuses controls and bad bytes", "[directory][entry]") {
  CHECK(clean_text("Hôpital Saint-Éloi"));
  CHECK(clean_text(""));
  CHECK_FALSE(clean_text("a\tb"));
  CHECK_FALSE(clean_text(std::string("a\0b", 3)));
  CHECK_FALSE(clean_text("a\x7f"));
  CHECK_FALSE(clean_text("\xC3"));          // truncated
  CHECK_FALSE(clean_text("\xC0\xAF"));      // overlong
  CHECK_FALSE(clean_text("\xED\xA0\x80"));  // surrogate
  CHECK_FALSE(clean_text("\xF4\x90\x80\x80"));  // beyond U+10FFFF
}
