// LDIF output for the mssgw schema (RFC 2849, RFC 4514) and the reading of LDAP attributes into entries.
#include <catch2/catch.hpp>

#include "directory/ldap/client.hpp"
#include "directory/ldif.hpp"

using namespace mssgw::directory;

TEST_CASE("DN values are escaped (RFC 4514)", "[directory][ldif]") {
  CHECK(escape_dn_value("jean.dupont@hop.fr") == "jean.dupont@hop.fr");
  CHECK(escape_dn_value("a+b@x.fr") == "a\\+b@x.fr");
  CHECK(escape_dn_value("a=b,c@x.fr") == "a\\=b\\,c@x.fr");
  CHECK(escape_dn_value("#x") == "\\#x");
  CHECK(escape_dn_value(" x ") == "\\ x\\ ");
  CHECK(entry_dn("a+b@x.fr", "ou=bal,dc=test") == "mail=a\\+b@x.fr,ou=bal,dc=test");
}

TEST_CASE("LDIF records: safe strings plain, others base64", "[directory][ldif]") {
  entry e;
  e.address = "jean@x.fr";
  e.type = bal_type::PER;
  e.surname = "Dupont";
  e.given_name = "Hélène";
  e.service = " leading space";
  e.structure_name = "trailing ";
  e.profession_label = ":colon";
  e.idnat = "810001234567";
  e.liste_rouge = true;
  std::string ldif = format_ldif_entry(e, "ou=bal,dc=test");
  CHECK(ldif ==
        "dn: mail=jean@x.fr,ou=bal,dc=test\n"
        "objectClass: mssgwMailbox\n"
        "mail: jean@x.fr\n"
        "mssgwBalType: PER\n"
        "mssgwIdNat: 810001234567\n"
        "mssgwService:: IGxlYWRpbmcgc3BhY2U=\n"
        "sn: Dupont\n"
        "givenName:: SMOpbMOobmU=\n"
        "mssgwProfessionLabel:: OmNvbG9u\n"
        "mssgwStructureName:: dHJhaWxpbmcg\n"
        "mssgwListeRouge: TRUE\n"
        "\n");
  std::string out;
  append_ldif_line(out, "x", "ab");
  append_ldif_line(out, "y", "a");
  CHECK(out == "x: ab\ny: a\n");
}

TEST_CASE("every field has a distinct LDAP attribute, found back case-insensitively", "[directory][ldif]") {
  for (std::size_t i = 0; i < field_count; ++i) {
    auto f = static_cast<field>(i);
    std::string name(ldap_attribute(f));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    CHECK(field_for_attribute(name) == f);
  }
  CHECK_FALSE(field_for_attribute("mail"));
  CHECK_FALSE(field_for_attribute("objectClass"));
}

TEST_CASE("LDAP attributes become an entry", "[directory][ldap]") {
  using ldap::attribute_value;
  std::string why;
  entry e;
  std::vector<attribute_value> attrs = {{"objectClass", "mssgwMailbox"},
                                        {"MAIL", "Jean.Dupont@Hop.fr"},
                                        {"mssgwbaltype", "per"},
                                        {"sn", "Dupont"},
                                        {"givenName", "Jean"},
                                        {"mssgwIdNat", "810001234567"},
                                        {"mssgwListeRouge", "TRUE"},
                                        {"entryUUID", "8a72288a-7a6c-1041-96aa-234e87f38e0c"},
                                        {"mssgwCountry", "France"}};
  REQUIRE(ldap::entry_from_attributes(attrs, e, why));
  CHECK(e.address == "jean.dupont@hop.fr");
  CHECK(e.type == bal_type::PER);
  CHECK(e.surname == "Dupont");
  CHECK(e.idnat == "810001234567");
  CHECK(e.liste_rouge);
  CHECK(e.structure_address.country == "France");
  CHECK(format_uuid(e.entry_uuid) == "8a72288a-7a6c-1041-96aa-234e87f38e0c");
  CHECK(e.source == source_kind::ldap);

  entry bad;
  CHECK_FALSE(ldap::entry_from_attributes({{"mssgwBalType", "PER"}}, bad, why));
  CHECK(why.find("no mail") != std::string::npos);
  CHECK_FALSE(ldap::entry_from_attributes({{"mail", "a@x.fr"}}, bad, why));
  CHECK(why.find("mssgwBalType") != std::string::npos);
  CHECK_FALSE(ldap::entry_from_attributes({{"mail", "a@x.fr"}, {"mssgwBalType", "XYZ"}}, bad, why));
  CHECK_FALSE(ldap::entry_from_attributes({{"mail", "not an address"}, {"mssgwBalType", "PER"}}, bad, why));
  CHECK_FALSE(ldap::entry_from_attributes({{"mail", "a@x.fr"}, {"mssgwBalType", "PER"}, {"sn", "a\nb"}}, bad, why));
}
