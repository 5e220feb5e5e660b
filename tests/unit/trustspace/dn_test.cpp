// DN parsing and decision 2 (trustspace/dn.hpp): table-driven rows for every DN form of the real whitelist, the
// RFC 4514 escapes, malformed input, and the certificate side (X509_NAME in ASN.1 order).
#include <catch2/catch.hpp>

#include <openssl/x509.h>

#include "common/tls.hpp"
#include "tests/unit/trustspace/whitelist_gen.hpp"
#include "trustspace/dn.hpp"
#include "trustspace/error.hpp"

using namespace mssgw::trustspace;

namespace {

dn parse_ok(std::string_view text) {
  auto r = dn::parse(text);
  INFO("DN: " << text << " error: " << r.message);
  REQUIRE(r);
  return *r.value;
}

struct expected_attr {
  std::string type;
  std::string value;
};

}  // namespace

TEST_CASE("dn: parses the forms of the real whitelist into RDNs", "[dn]") {
  struct row {
    std::string text;
    std::vector<std::vector<expected_attr>> rdns;
  };
  const std::vector<row> rows = {
      {"CN=medimail-asip.mipih.fr,OU=318310021300028,O=GIP MIPIH,ST=Haute-Garonne (31),C=FR",
       {{{"CN", "medimail-asip.mipih.fr"}}, {{"OU", "318310021300028"}}, {{"O", "GIP MIPIH"}},
        {{"ST", "Haute-Garonne (31)"}}, {{"C", "FR"}}}},
      {"CN=mailin.interop-mssante.apicrypt.org, OU=343975235300037, O=APICEM, ST=Nord (59), C=FR",
       {{{"CN", "mailin.interop-mssante.apicrypt.org"}}, {{"OU", "343975235300037"}}, {{"O", "APICEM"}},
        {{"ST", "Nord (59)"}}, {{"C", "FR"}}}},
      {"CN=x,OU=300000000099622,O=GIP - TEST9962,L=Paris (75),C=FR",
       {{{"CN", "x"}}, {{"OU", "300000000099622"}}, {{"O", "GIP - TEST9962"}}, {{"L", "Paris (75)"}}, {{"C", "FR"}}}},
      {"O=\"C H U  DE  LIMOGES\",C=FR", {{{"O", "C H U  DE  LIMOGES"}}, {{"C", "FR"}}}},
      {"O=CRLCC \"PAUL STRAUSS\",C=FR", {{{"O", "CRLCC \"PAUL STRAUSS\""}}, {{"C", "FR"}}}},
      {"O=CENTRE HOSPITALIER D'AIX,ST=Côtes-d'Armor (22)",
       {{{"O", "CENTRE HOSPITALIER D'AIX"}}, {{"ST", "Côtes-d'Armor (22)"}}}},
      {"O=HOPITAL LA  MUSSE ST SEBASTIEN/MORSENT", {{{"O", "HOPITAL LA  MUSSE ST SEBASTIEN/MORSENT"}}}},
      {"O=A\\, B", {{{"O", "A, B"}}}},
      {"O=A\\+B", {{{"O", "A+B"}}}},
      {"O=\\\"Q\\\" \\\\ R", {{{"O", "\"Q\" \\ R"}}}},
      {"O=a\\;b\\<c\\>d\\=e", {{{"O", "a;b<c>d=e"}}}},
      {"ST=Is\\C3\\A8re (38)", {{{"ST", "Isère (38)"}}}},
      {"ST=Is\\c3\\a8re (38)", {{{"ST", "Isère (38)"}}}},
      {"CN=\\ lead,O=trail\\ ", {{{"CN", " lead"}}, {{"O", "trail "}}}},
      {"CN=\\#hash", {{{"CN", "#hash"}}}},
      {"CN=a+UID=b,C=FR", {{{"CN", "a"}, {"UID", "b"}}, {{"C", "FR"}}}},
      {"CN = a , O = b", {{{"CN", "a"}}, {{"O", "b"}}}},
      {"CN=a;O=b", {{{"CN", "a"}}, {{"O", "b"}}}},
      {"2.5.4.3=a,OID.2.5.4.6=FR", {{{"2.5.4.3", "a"}}, {{"OID.2.5.4.6", "FR"}}}},
      {"CN=#0C03616263", {{{"CN", "abc"}}}},                         // UTF8String "abc"
      {"CN=#1E0400E90061", {{{"CN", "éa"}}}},                      // BMPString
      {"CN=", {{{"CN", ""}}}},
      {"CN=a=b", {{{"CN", "a=b"}}}},
      {"CN=\"a,b+c\"", {{{"CN", "a,b+c"}}}},
  };
  for (const auto& r : rows) {
    dn d = parse_ok(r.text);
    INFO("DN: " << r.text);
    REQUIRE(d.rdns().size() == r.rdns.size());
    for (std::size_t i = 0; i < r.rdns.size(); ++i) {
      REQUIRE(d.rdns()[i].size() == r.rdns[i].size());
      for (std::size_t k = 0; k < r.rdns[i].size(); ++k) {
        CHECK(d.rdns()[i][k].type == r.rdns[i][k].type);
        CHECK(d.rdns()[i][k].value == r.rdns[i][k].value);
      }
    }
  }
}

TEST_CASE("dn: decision 2 comparison, equal pairs", "[dn]") {
  const std::vector<std::pair<std::string, std::string>> equal = {
      {"CN=a.example,O=X,C=FR", "cn=A.EXAMPLE,o=x,c=fr"},
      {"CN=a,OU=1,O=X,ST=Nord (59),C=FR", "CN=a, OU=1, O=X, ST=Nord (59), C=FR"},
      {"O=C H U  DE  LIMOGES", "O=\"C H U  DE  LIMOGES\""},
      {"O=C H U DE LIMOGES", "O=\"C H U  DE  LIMOGES\""},
      {"O=  padded  value  ", "O=padded value"},
      {"O=tab\there", "O=tab here"},
      {"O=nbsp\xC2\xA0here", "O=nbsp here"},
      {"ST=ISÈRE", "ST=isère"},
      {"ST=Is\\C3\\A8re (38)", "ST=Isère (38)"},
      {"O=ŒUVRE", "O=œuvre"},
      {"O=ĀĂĄ", "O=āăą"},
      {"O=ŸVES", "O=ÿves"},
      {"ST=x", "S=x"},
      {"ST=x", "stateOrProvinceName=x"},
      {"ST=x", "2.5.4.8=x"},
      {"ST=x", "OID.2.5.4.8=x"},
      {"CN=x", "commonName=x"},
      {"GN=x", "givenName=x"},
      {"E=x@y", "emailAddress=x@y"},
      {"serialNumber=8100", "SERIALNUMBER=8100"},
      {"CN=abc", "CN=#0C03616263"},
      {"CN=a+UID=b,C=FR", "UID=b+CN=a,C=FR"},
      {"O=A\\, B", "O=\"A, B\""},
      {"O=A\\2C B", "O=A\\, B"},
      {"CN=x;O=y", "CN=x,O=y"},
      {"1.2.3.4=v", "OID.1.2.3.4=V"},
      {"X-Custom=v", "x-custom=V"},
  };
  for (const auto& [a, b] : equal) {
    INFO(a << "  ==  " << b);
    CHECK(parse_ok(a) == parse_ok(b));
    CHECK(same_dn(a, b));
  }
}

TEST_CASE("dn: decision 2 comparison, different pairs", "[dn]") {
  const std::vector<std::pair<std::string, std::string>> different = {
      {"CN=a,O=X,C=FR", "O=X,CN=a,C=FR"},                 // order matters (X.500)
      {"CN=a,O=X,C=FR", "CN=a,O=X"},                      // missing RDN
      {"ST=Rhône (69)", "ST=Rhone (69)"},                 // accents are kept
      {"ST=Paris (75)", "L=Paris (75)"},                  // L and ST are different types
      {"O=AB", "O=A B"},                                  // spaces are collapsed, not removed
      {"CN=a+UID=b", "CN=a,UID=b"},                       // one multi-valued RDN vs two RDNs
      {"O=CRLCC \"PAUL STRAUSS\"", "O=CRLCC PAUL STRAUSS"},  // inner quotes are part of the value
      {"CN=x", "CN=#0403616263"},                         // OCTET STRING: binary, not text
  };
  for (const auto& [a, b] : different) {
    INFO(a << "  !=  " << b);
    CHECK_FALSE(parse_ok(a) == parse_ok(b));
    CHECK_FALSE(same_dn(a, b));
  }
}

TEST_CASE("dn: malformed texts are refused with a position", "[dn]") {
  struct row {
    std::string text;
    errc code;
  };
  const std::vector<row> rows = {
      {"", errc::dn_empty},
      {"   ", errc::dn_empty},
      {"CN", errc::dn_syntax},
      {"CN=a,", errc::dn_syntax},
      {"CN=a+", errc::dn_syntax},
      {",CN=a", errc::dn_syntax},
      {"=a", errc::dn_syntax},
      {"CN=a,,O=b", errc::dn_syntax},
      {"C N=a", errc::dn_syntax},
      {"CN=a\\", errc::dn_syntax},
      {"CN=a\\q", errc::dn_syntax},
      {"CN=a\\4", errc::dn_syntax},
      {"CN=a\\4g", errc::dn_syntax},
      {"CN=\"abc", errc::dn_syntax},
      {"CN=\"a\"b", errc::dn_syntax},
      {"CN=#", errc::dn_syntax},
      {"CN=#abc", errc::dn_syntax},
      {"CN=#0c03616263x", errc::dn_syntax},
      {"1=a", errc::dn_syntax},
      {"1..2=a", errc::dn_syntax},
      {"OID.=a", errc::dn_syntax},
      {"CN=\\C3", errc::dn_syntax},           // hex escape that is not UTF-8
      {"CN=\xC3\x28", errc::dn_syntax},       // raw invalid UTF-8
      {"CN=\xED\xA0\x80", errc::dn_syntax},   // surrogate
      {"CN=\xC0\xAF", errc::dn_syntax},       // overlong
      {std::string("CN=a\0b", 6), errc::dn_syntax},
  };
  for (const auto& r : rows) {
    auto p = dn::parse(r.text);
    INFO("DN: " << r.text << " -> " << p.message);
    CHECK_FALSE(p);
    CHECK(p.error == r.code);
    CHECK_FALSE(p.message.empty());
    CHECK(p.position <= r.text.size());
  }
  CHECK_FALSE(same_dn("CN=a", "CN=a,"));
}

TEST_CASE("dn: every prefix of every form parses or fails cleanly", "[dn]") {
  // The split-point habit (STYLE.md habit 2), for a parser that is not incremental: no prefix may crash or hang.
  auto g = mssgw::test::generate_whitelist({200, 1, "2025-01-01T00:00:00Z"});
  for (const auto& f : g.forms) {
    for (std::size_t n = 0; n <= f.list_dn.size(); ++n) {
      auto r = dn::parse(std::string_view(f.list_dn).substr(0, n));
      if (!r) CHECK(r.error);
    }
  }
}

TEST_CASE("dn: rendering round-trips through the parser", "[dn]") {
  const std::vector<std::string> texts = {
      "CN=mx.alpha.mssante.test,OU=1750000016,O=CHU ALPHA,ST=Paris (75),C=FR",
      "O=A\\, B\\+C,C=FR",
      "O=\\\"Q\\\" \\\\ R",
      "CN=\\ lead\\ ",
      "CN=\\#x",
      "CN=a+UID=b,C=FR",
      "ST=Bouches-du-Rhône (13)",
      "CN=#04020102",
      "O=a\\;b\\<c",
  };
  for (const auto& t : texts) {
    dn d = parse_ok(t);
    std::string rendered = d.to_string();
    INFO(t << " -> " << rendered);
    CHECK(parse_ok(rendered) == d);
  }
  CHECK(parse_ok("cn=x,st=y,s=z,2.5.4.10=o").to_string() == "CN=x,ST=y,ST=z,O=o");
  CHECK(parse_ok("CN=mx,ST=Bouches-du-Rh\\C3\\B4ne (13)").to_string() == "CN=mx,ST=Bouches-du-Rhône (13)");
}

TEST_CASE("dn: values, types and lookups", "[dn]") {
  CHECK(normalise_value("  A  b\t\tC  ") == "a b c");
  CHECK(normalise_value("ÉCOLE ÀÇÔ") == "école àçô");
  CHECK(normalise_value("×÷") == "×÷");  // not letters: unchanged
  CHECK(normalise_value("") == "");
  CHECK(canonical_type("St") == "st");
  CHECK(canonical_type("S") == "st");
  CHECK(canonical_type("OID.2.5.4.8") == "st");
  CHECK(canonical_type("2.5.4.97") == "organizationidentifier");
  CHECK(canonical_type("1.2.250.1") == "1.2.250.1");
  CHECK(canonical_type("Foo-Bar") == "foo-bar");
  CHECK(canonical_type("1foo").empty());
  CHECK(canonical_type("a b").empty());
  CHECK(display_type("2.5.4.3") == "CN");
  CHECK(display_type("serialnumber") == "serialNumber");
  dn d = parse_ok("CN=x,S=Paris,C=FR");
  REQUIRE(d.find("st"));
  CHECK(*d.find("stateOrProvinceName") == "Paris");
  CHECK_FALSE(d.find("O"));
  CHECK(d.key() == "cn=x,st=paris,c=fr");
  CHECK(dn().empty());
  CHECK(dn().key().empty());
  // Keys escape what their syntax uses, so that different DNs never share a key.
  CHECK_FALSE(parse_ok("CN=a\\,O\\=b") == parse_ok("CN=a,O=b"));
  CHECK_FALSE(parse_ok("CN=a\\+UID\\=b") == parse_ok("CN=a+UID=b"));
}

TEST_CASE("dn: certificate names compare with whitelist texts (ASN.1 order reversed)", "[dn]") {
  // A certificate stores C first (ASN.1 RDNSequence); the whitelist writes CN first (RFC 4514 §2.1).
  X509_NAME* name = X509_NAME_new();
  auto add = [&](const char* field, const char* value, int set) {
    REQUIRE(X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(value), -1,
                                       -1, set) == 1);
  };
  add("C", "FR", 0);
  add("ST", "Bouches-du-Rhône (13)", 0);
  add("O", "GCS BETA SANTE", 0);
  add("OU", "31234567800019", 0);
  add("CN", "mx.beta.mssante.test", 0);
  dn cert = dn::from_x509(name);
  CHECK(cert.to_string() == "CN=mx.beta.mssante.test,OU=31234567800019,O=GCS BETA SANTE,ST=Bouches-du-Rhône (13),C=FR");
  CHECK(cert == parse_ok("CN=mx.beta.mssante.test, OU=31234567800019, O=GCS BETA SANTE, ST=Bouches-du-Rh\\C3\\B4ne "
                         "(13), C=FR"));
  CHECK_FALSE(cert == parse_ok("C=FR,ST=Bouches-du-Rhône (13),O=GCS BETA SANTE,OU=31234567800019,"
                               "CN=mx.beta.mssante.test"));
  // A multi-valued RDN (set = -1: added to the previous RDN).
  add("UID", "op42", -1);
  dn multi = dn::from_x509(name);
  CHECK(multi == parse_ok("UID=op42+CN=mx.beta.mssante.test,OU=31234567800019,O=GCS BETA SANTE,"
                          "ST=Bouches-du-Rhône (13),C=FR"));
  X509_NAME_free(name);

  // A value that is not a character string (here a BIT STRING) becomes "#" + hex of its DER on both sides, as
  // OpenSSL prints it.
  X509_NAME* bin = X509_NAME_new();
  const unsigned char bits[] = {0x01, 0x02};
  REQUIRE(X509_NAME_add_entry_by_txt(bin, "1.2.250.1.71.4.2.1", V_ASN1_BIT_STRING, bits, 2, -1, 0) == 1);
  dn b = dn::from_x509(bin);
  REQUIRE(b.rdns().size() == 1);
  CHECK(b.rdns()[0][0].binary);
  CHECK(b.to_string() == mssgw::common::tls::name_string(bin));
  CHECK(b == parse_ok(mssgw::common::tls::name_string(bin)));
  X509_NAME_free(bin);
}

TEST_CASE("dn: every generated whitelist form matches its certificate", "[dn]") {
  auto g = mssgw::test::generate_whitelist({300, 7, "2025-01-01T00:00:00Z"});
  REQUIRE(g.forms.size() >= 15);
  for (const auto& f : g.forms) {
    INFO(f.name << ": " << f.list_dn);
    dn listed = parse_ok(f.list_dn);
    dn cert = dn::from_rdns(f.cert);
    CHECK(listed == cert);
  }
}
