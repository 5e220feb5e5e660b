// The whitelist parser and snapshot (trustspace/whitelist.hpp): valid files (a generated list with every form of the
// real one, and the test PKI's shape), every malformed case with its line, hostile XML, and the holder.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>

#include "tests/unit/trustspace/whitelist_gen.hpp"
#include "trustspace/error.hpp"
#include "trustspace/whitelist.hpp"

using namespace mssgw::trustspace;
using mssgw::test::domaine_xml;
using mssgw::test::whitelist_xml;

namespace {

const char* alpha_dn = "CN=mx.alpha.mssante.test,OU=1750000016,O=CHU ALPHA,ST=Paris (75),C=FR";
const char* beta_dn = "CN=mx.beta.mssante.test,OU=31234567800019,O=GCS BETA SANTE,ST=Bouches-du-Rhône (13),C=FR";
const char* gamma_dn = "CN=mx.gamma.mssante.test, OU=1690000026, O=CLINIQUE GAMMA, L=Lyon (69), C=FR";

std::string key_of(std::string_view text) {
  auto r = dn::parse(text);
  REQUIRE(r);
  return r.value->key();
}

// The shape of deploy/pki's whitelist.xml (8 entries), written here so the test does not depend on the PKI.
std::string pki_like() {
  return whitelist_xml(domaine_xml("alpha.mssante.test", alpha_dn, "CHU ALPHA") +
                       domaine_xml("beta.mssante.test", beta_dn, "GCS BETA SANTE") +
                       domaine_xml("gamma.mssante.test", gamma_dn, "CLINIQUE GAMMA") +
                       domaine_xml("Alpha-Pharma.mssante.test", alpha_dn, "CHU ALPHA PHARMA") +
                       domaine_xml("revoked.mssante.test",
                                   "CN=mx.revoked.mssante.test,OU=1750000099,O=HOPITAL REVOQUE,ST=Paris (75),C=FR") +
                       domaine_xml("expired.mssante.test",
                                   "CN=mx.expired.mssante.test,OU=1750000098,O=HOPITAL EXPIRE,ST=Paris (75),C=FR") +
                       domaine_xml("patient.mssante.test", alpha_dn, "ESPACE PATIENT (operateur alpha)") +
                       domaine_xml("patient.mssante.test", beta_dn, "ESPACE PATIENT (operateur beta)"),
                   "2026-11-22T10:00:00Z");
}

}  // namespace

TEST_CASE("whitelist: the PKI-shaped list", "[whitelist]") {
  auto r = parse_whitelist(pki_like());
  INFO(r.issue.to_string());
  REQUIRE(r);
  const snapshot& s = *r.value;
  CHECK(s.entries().size() == 8);
  CHECK(s.domain_count() == 7);  // patient.mssante.test twice
  CHECK(s.dns().size() == 5);
  CHECK(s.operator_count() == 5);
  CHECK(s.generated() == "2026-11-22T10:00:00Z");
  REQUIRE(s.generated_at());
  CHECK(format_iso8601(*s.generated_at()) == "2026-11-22T10:00:00Z");
  CHECK(s.sha256().size() == 64);
  CHECK(s.warnings().empty());

  CHECK(s.listed("alpha.mssante.test"));
  CHECK(s.listed("ALPHA.MSSANTE.TEST"));
  CHECK(s.listed("alpha-pharma.mssante.test"));
  CHECK_FALSE(s.listed("delta.mssante.test"));
  CHECK_FALSE(s.listed("alpha.mssante.test."));
  CHECK(s.dn_listed_for("alpha.mssante.test", key_of(alpha_dn)));
  CHECK(s.dn_listed_for("Alpha-Pharma.MSSante.test", key_of(alpha_dn)));
  CHECK_FALSE(s.dn_listed_for("alpha.mssante.test", key_of(beta_dn)));
  CHECK(s.dn_listed_for("gamma.mssante.test",
                        key_of("CN=mx.gamma.mssante.test,OU=1690000026,O=CLINIQUE GAMMA,L=Lyon (69),C=FR")));
  CHECK(s.dn_listed_for("patient.mssante.test", key_of(alpha_dn)));
  CHECK(s.dn_listed_for("patient.mssante.test", key_of(beta_dn)));
  const auto* patient = s.find("patient.mssante.test");
  REQUIRE(patient);
  CHECK(patient->dns.size() == 2);
  CHECK(patient->entries.size() == 2);
  CHECK(s.dn_listed_anywhere(key_of(beta_dn)));
  CHECK_FALSE(s.dn_listed_anywhere(key_of("CN=x,C=FR")));
  CHECK(s.domains_for(key_of(alpha_dn)) ==
        std::vector<std::string>{"alpha-pharma.mssante.test", "alpha.mssante.test", "patient.mssante.test"});
  CHECK(s.domain_names().front() == "alpha-pharma.mssante.test");

  const auto& e = s.entries()[3];
  CHECK(e.domain == "Alpha-Pharma.mssante.test");  // as written
  CHECK(e.description == "CHU ALPHA PHARMA");
  CHECK(e.responsable_contact == "08 10  61 50 50, responsable@operateur.example");
  CHECK(e.date_maj == "2024-01-01T00:00:00Z");
  CHECK(e.line > 1);
}

TEST_CASE("whitelist: a generated 6,500-entry list with every form of the real one", "[whitelist]") {
  auto g = mssgw::test::generate_whitelist();
  auto r = parse_whitelist(g.xml);
  INFO(r.issue.to_string());
  REQUIRE(r);
  const snapshot& s = *r.value;
  CHECK(s.entries().size() == g.entries);
  CHECK(s.domain_count() == g.domains);
  CHECK(g.entries >= 6500);
  CHECK(s.dns().size() > 300);
  for (const auto& f : g.forms) {
    INFO(f.name << ": " << f.domain << " / " << f.list_dn);
    CHECK(s.listed(f.domain));
    CHECK(s.dn_listed_for(f.domain, dn::from_rdns(f.cert).key()));
  }
  // Repeated Nom in two cases: one domain with both DNs.
  const auto* uc = s.find("uc-cmp.mssante.fr");
  REQUIRE(uc);
  CHECK(uc->dns.size() == 2);
  // The same DN written quoted and unquoted is one distinct DN.
  const auto* quoted = s.find("hlrs-lamusse.mssante.fr");
  const auto* unquoted = s.find("hlrs-lamusse-bis.mssante.fr");
  REQUIRE((quoted && unquoted));
  CHECK(quoted->dns == unquoted->dns);
  // A Nom that is no host name is kept, with a warning.
  CHECK(s.listed("sessad@ase.ditep.mssante.fr"));
  bool warned = false;
  for (const auto& w : s.warnings()) warned |= w.message.find("sessad@") != std::string::npos;
  CHECK(warned);
  // Entities in text are decoded.
  bool amp = false, gt = false;
  for (const auto& e : s.entries()) {
    amp |= e.description.find("& VIE") != std::string::npos;
    gt |= e.responsable_contact.rfind("ResponsableContact>", 0) == 0;
  }
  CHECK(amp);
  CHECK(gt);
  // Entry lines increase through the file.
  for (std::size_t i = 1; i < s.entries().size(); ++i) REQUIRE(s.entries()[i].line > s.entries()[i - 1].line);
}

TEST_CASE("whitelist: variants that are still valid", "[whitelist]") {
  struct row {
    std::string name;
    std::string xml;
    std::size_t entries;
  };
  const std::string d = domaine_xml("a.mssante.fr", alpha_dn);
  const std::vector<row> rows = {
      {"no XML declaration",
       "<ListeBlancheMSSante><ListeDomaines><Domaine><Nom>a.fr</Nom><DNCertificatOperateur>CN=a</DNCertificatOperateur>"
       "</Domaine></ListeDomaines></ListeBlancheMSSante>",
       1},
      {"namespace prefix",
       "<lb:ListeBlancheMSSante xmlns:lb=\"https://listeblanche.mssante.fr/schema\"><lb:ListeDomaines><lb:Domaine>"
       "<lb:Nom>a.fr</lb:Nom><lb:DNCertificatOperateur>CN=a</lb:DNCertificatOperateur></lb:Domaine>"
       "</lb:ListeDomaines></lb:ListeBlancheMSSante>",
       1},
      {"CRLF line ends", "<?xml version=\"1.0\"?>\r\n<ListeBlancheMSSante>\r\n<ListeDomaines>\r\n<Domaine>\r\n<Nom>a.fr"
                         "</Nom>\r\n<DNCertificatOperateur>CN=a</DNCertificatOperateur>\r\n</Domaine>\r\n"
                         "</ListeDomaines>\r\n</ListeBlancheMSSante>\r\n",
       1},
      {"UTF-8 BOM", "\xEF\xBB\xBF" + whitelist_xml(d), 1},
      {"comments and CDATA",
       whitelist_xml("<!-- a comment -->\n<Domaine><Nom><![CDATA[b.fr]]></Nom><DNCertificatOperateur>CN=b&amp;c"
                     "</DNCertificatOperateur></Domaine>\n" + d),
       2},
      {"unknown elements are ignored",
       whitelist_xml("<Autre>x</Autre><Domaine><Nom>b.fr</Nom><Futur>y</Futur><DNCertificatOperateur>CN=b"
                     "</DNCertificatOperateur></Domaine>"),
       1},
      {"no DateDeGeneration",
       "<ListeBlancheMSSante><ListeDomaines>" + d + "</ListeDomaines></ListeBlancheMSSante>", 1},
      {"whitespace around text", whitelist_xml("<Domaine><Nom>\n  b.fr \n</Nom><DNCertificatOperateur>\n CN=b\n"
                                               "</DNCertificatOperateur></Domaine>"),
       1},
      {"the same (Nom, DN) twice", whitelist_xml(d + d), 2},
      {"root never closed, as the ANS publishes it", whitelist_xml(d + d, "2025-03-13T14:54:10Z", false), 2},
  };
  for (const auto& r : rows) {
    auto p = parse_whitelist(r.xml);
    INFO(r.name << ": " << p.issue.to_string());
    REQUIRE(p);
    CHECK(p.value->entries().size() == r.entries);
  }
  auto twice = parse_whitelist(whitelist_xml(d + d));
  REQUIRE(twice);
  CHECK(twice.value->find("a.mssante.fr")->dns.size() == 1);
  auto open_root = parse_whitelist(whitelist_xml(d, "2025-03-13T14:54:10Z", false));
  REQUIRE(open_root);
  REQUIRE(open_root.value->warnings().size() == 1);
  CHECK(open_root.value->warnings()[0].message.find("</ListeBlancheMSSante>") != std::string::npos);
  auto bad_date = parse_whitelist(whitelist_xml(d, "hier"));
  REQUIRE(bad_date);
  CHECK_FALSE(bad_date.value->generated_at());
  CHECK(bad_date.value->warnings().size() == 1);
}

TEST_CASE("whitelist: malformed files are refused as a whole, naming the line", "[whitelist]") {
  struct row {
    std::string name;
    std::string xml;
    errc code;
    std::size_t line;  // 0: not checked
    std::string needle;
  };
  const std::string ok = domaine_xml("a.mssante.fr", alpha_dn);  // 8 lines
  // whitelist_xml: line 1 declaration + root, line 2 DateDeGeneration, line 3 <ListeDomaines>, entries from line 4.
  const std::vector<row> rows = {
      {"empty input", "", errc::xml_syntax, 0, "not well-formed"},
      {"not XML", "hello, world", errc::xml_syntax, 0, ""},
      {"JSON", "{\"ListeBlancheMSSante\": []}", errc::xml_syntax, 0, ""},
      {"truncated", whitelist_xml(ok).substr(0, 300), errc::xml_syntax, 0, "not well-formed"},
      {"unclosed element on line 5", whitelist_xml("        <Domaine>\n<Nom>a</Domaine>\n"), errc::xml_syntax, 5, ""},
      {"wrong root", "<?xml version=\"1.0\"?>\n<html><body/></html>", errc::wrong_root, 2, "<html>"},
      {"two roots", "<ListeBlancheMSSante/>\n<ListeBlancheMSSante/>", errc::xml_syntax, 2, "more than one root"},
      {"no ListeDomaines", "<ListeBlancheMSSante><DateDeGeneration>2025-01-01T00:00:00Z</DateDeGeneration>"
                           "</ListeBlancheMSSante>",
       errc::missing_field, 1, "ListeDomaines"},
      {"two ListeDomaines", "<ListeBlancheMSSante><ListeDomaines>" + ok + "</ListeDomaines>\n<ListeDomaines>" + ok +
                                "</ListeDomaines></ListeBlancheMSSante>",
       errc::xml_syntax, 10, "more than one"},
      {"empty ListeDomaines", whitelist_xml(""), errc::missing_field, 3, "no <Domaine>"},
      {"Domaine without Nom", whitelist_xml(ok + "        <Domaine>\n<DNCertificatOperateur>CN=a</DNCertificatOperateur>"
                                                 "\n</Domaine>\n"),
       errc::missing_field, 12, "has no <Nom>"},
      {"empty Nom", whitelist_xml(ok + ok + "        <Domaine><Nom>  </Nom><DNCertificatOperateur>CN=a"
                                            "</DNCertificatOperateur></Domaine>\n"),
       errc::missing_field, 20, "<Nom> is empty"},
      {"Nom with a space", whitelist_xml("<Domaine><Nom>a b.fr</Nom><DNCertificatOperateur>CN=a</DNCertificatOperateur>"
                                         "</Domaine>\n"),
       errc::invalid_field, 4, "not a domain name"},
      {"two Nom", whitelist_xml("<Domaine><Nom>a.fr</Nom>\n<Nom>b.fr</Nom><DNCertificatOperateur>CN=a"
                                "</DNCertificatOperateur></Domaine>\n"),
       errc::invalid_field, 5, "two <Nom>"},
      {"element inside Nom", whitelist_xml("<Domaine><Nom>a<b/>.fr</Nom><DNCertificatOperateur>CN=a"
                                           "</DNCertificatOperateur></Domaine>\n"),
       errc::invalid_field, 4, "must contain text"},
      {"Domaine without DN", whitelist_xml(ok + "        <Domaine><Nom>b.fr</Nom></Domaine>\n"), errc::missing_field, 12,
       "has no <DNCertificatOperateur>"},
      {"empty DN", whitelist_xml(ok + "        <Domaine><Nom>b.fr</Nom>\n<DNCertificatOperateur></DNCertificatOperateur>"
                                      "</Domaine>\n"),
       errc::missing_field, 13, "is empty"},
      {"unparsable DN", whitelist_xml(ok + ok + ok + domaine_xml("c.fr", "CN=a,O=b\\q,C=FR")), errc::invalid_field, 31,
       "is not a DN"},
      {"DN with a dangling separator", whitelist_xml(domaine_xml("c.fr", "CN=a,O=b,")), errc::invalid_field, 7,
       "not a DN"},
      {"DN that is not a DN", whitelist_xml(domaine_xml("c.fr", "mx.alpha.mssante.test")), errc::invalid_field, 7,
       "not a DN"},
      {"invalid UTF-8", whitelist_xml(ok + domaine_xml("c.fr", "CN=a", "caf\xE9")), errc::xml_syntax, 14, "UTF-8"},
      {"cut after a Domaine (root and list left open)",
       whitelist_xml(ok + ok, "2025-03-13T14:54:10Z", false).substr(0, whitelist_xml(ok + ok).find("    </ListeDomaines>")),
       errc::xml_syntax, 0, "not well-formed"},
      {"cut inside a Domaine", whitelist_xml(ok + ok, "2025-03-13T14:54:10Z", false).substr(0, 700), errc::xml_syntax, 0,
       "not well-formed"},
      {"DOCTYPE", "<?xml version=\"1.0\"?>\n<!DOCTYPE ListeBlancheMSSante>\n<ListeBlancheMSSante/>",
       errc::xml_doctype, 2, "DOCTYPE"},
      {"lowercase doctype", "<!doctype x><ListeBlancheMSSante/>", errc::xml_doctype, 1, "DOCTYPE"},
  };
  for (const auto& r : rows) {
    auto p = parse_whitelist(r.xml);
    INFO(r.name << " -> " << p.issue.to_string());
    CHECK_FALSE(p);
    CHECK(p.error == r.code);
    if (r.line) CHECK(p.issue.line == r.line);
    if (!r.needle.empty()) CHECK(p.issue.message.find(r.needle) != std::string::npos);
    CHECK_FALSE(p.issue.to_string().empty());
  }
}

TEST_CASE("whitelist: hostile XML is refused quickly and without blowing memory", "[whitelist]") {
  using clock = std::chrono::steady_clock;
  auto timed = [](const std::string& xml, const parse_options& options = {}) {
    auto t0 = clock::now();
    auto r = parse_whitelist(xml, options);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - t0).count();
    CHECK(ms < 10000);  // linear: ~0.5 s for the largest case here in a release build, ~4 s under ASan
    return r;
  };
  SECTION("billion laughs") {
    std::string bomb = "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n <!ENTITY lol \"lol\">\n";
    for (int i = 1; i <= 9; ++i) {
      bomb += " <!ENTITY lol" + std::to_string(i) + " \"";
      for (int k = 0; k < 10; ++k) bomb += "&lol" + (i == 1 ? std::string() : std::to_string(i - 1)) + ";";
      bomb += "\">\n";
    }
    bomb += "]>\n<ListeBlancheMSSante><ListeDomaines><Domaine><Nom>&lol9;</Nom><DNCertificatOperateur>CN=a"
            "</DNCertificatOperateur></Domaine></ListeDomaines></ListeBlancheMSSante>";
    auto r = timed(bomb);
    CHECK(r.error == errc::xml_doctype);
    CHECK(r.issue.line == 2);
  }
  SECTION("external entity") {
    auto r = timed("<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>"
                   "<ListeBlancheMSSante><ListeDomaines><Domaine><Nom>&xxe;</Nom></Domaine></ListeDomaines>"
                   "</ListeBlancheMSSante>");
    CHECK(r.error == errc::xml_doctype);
  }
  SECTION("undeclared entity without DOCTYPE stays text and is refused as a Nom") {
    auto r = timed(whitelist_xml("<Domaine><Nom>&lol9;</Nom><DNCertificatOperateur>CN=a</DNCertificatOperateur>"
                                 "</Domaine>"));
    // pugixml keeps unknown references as text: "&lol9;" is no domain, but harmless; it is kept with a warning.
    REQUIRE(r);
    CHECK(r.value->listed("&lol9;"));
    CHECK_FALSE(r.value->warnings().empty());
  }
  SECTION("over the size limit: refused before parsing") {
    std::string big = whitelist_xml(std::string(2 << 20, ' ') + domaine_xml("a.fr", "CN=a"));
    auto r = timed(big, parse_options{1 << 20, 1000});
    CHECK(r.error == errc::too_large);
    CHECK(r.issue.message.find("over the limit") != std::string::npos);
  }
  SECTION("too many entries") {
    std::string many;
    for (int i = 0; i < 11; ++i) many += domaine_xml("d" + std::to_string(i) + ".fr", "CN=a");
    auto r = timed(whitelist_xml(many), parse_options{64 << 20, 10});
    CHECK(r.error == errc::too_many_entries);
    CHECK(r.issue.line == 4 + 10 * 8);
  }
  SECTION("deep nesting") {
    std::string deep;
    for (int i = 0; i < 200000; ++i) deep += "<x>";
    for (int i = 0; i < 200000; ++i) deep += "</x>";
    auto r = timed(whitelist_xml("<Domaine><Nom>a.fr</Nom><Description>" + deep +
                                 "</Description><DNCertificatOperateur>CN=a</DNCertificatOperateur></Domaine>"));
    CHECK(r.error == errc::invalid_field);
  }
  SECTION("a huge attribute and a huge DN") {
    std::string attr = "<ListeBlancheMSSante a=\"" + std::string(8 << 20, 'x') + "\"><ListeDomaines>" +
                       domaine_xml("a.fr", "CN=" + std::string(4 << 20, 'y')) + "</ListeDomaines></ListeBlancheMSSante>";
    auto r = timed(attr);
    REQUIRE(r);  // big but well-formed, under 64 MB
    CHECK(r.value->dns()[0].rdns()[0][0].value.size() == (4u << 20));
  }
  SECTION("NUL bytes") {
    std::string nul = whitelist_xml(domaine_xml("a.fr", "CN=a"));
    nul.insert(nul.find("<Nom>") + 5, std::string(1, '\0'));
    auto r = timed(nul);
    CHECK(r.error == errc::xml_syntax);
    CHECK(r.issue.line == 5);
  }
}

TEST_CASE("whitelist: ISO 8601 dates", "[whitelist]") {
  auto t = parse_iso8601("2025-03-13T14:54:10Z");
  REQUIRE(t);
  CHECK(format_iso8601(*t) == "2025-03-13T14:54:10Z");
  CHECK(parse_iso8601("2025-03-13T15:54:10+01:00") == t);
  CHECK(parse_iso8601("2025-03-13T14:54:10.123Z"));
  CHECK_FALSE(parse_iso8601("2025-03-13T14:54:10"));
  CHECK_FALSE(parse_iso8601("2025-13-13T14:54:10Z"));
  CHECK_FALSE(parse_iso8601("13/03/2025"));
  CHECK_FALSE(parse_iso8601(""));
}

TEST_CASE("whitelist: the holder swaps snapshots while readers read", "[whitelist]") {
  whitelist holder;
  REQUIRE(holder.current());
  CHECK(holder.current()->entries().empty());
  CHECK_FALSE(holder.loaded());
  CHECK_FALSE(holder.verified_at());

  std::vector<std::shared_ptr<const snapshot>> versions;
  for (int i = 0; i < 5; ++i) {
    auto r = parse_whitelist(whitelist_xml(domaine_xml("v" + std::to_string(i) + ".fr", "CN=a")));
    REQUIRE(r);
    versions.push_back(r.value);
  }
  auto t0 = clock::now();
  holder.publish(versions[0], t0);
  CHECK(holder.loaded());
  CHECK(holder.current() == versions[0]);
  REQUIRE(holder.verified_at());
  CHECK(std::chrono::abs(*holder.verified_at() - t0) < std::chrono::milliseconds(1));

  std::atomic<bool> stop{false};
  std::atomic<long> reads{0};
  std::atomic<bool> regressed{false};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&] {
      std::size_t last = 0;
      while (!stop) {
        auto s = holder.current();
        std::size_t v = static_cast<std::size_t>(s->entries()[0].domain[1] - '0');
        if (v < last) regressed = true;  // a reader never goes back to an older snapshot
        last = v;
        ++reads;
      }
    });
  }
  for (int i = 1; i < 5; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    holder.publish(versions[static_cast<std::size_t>(i)], clock::now());
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  stop = true;
  for (auto& t : readers) t.join();
  CHECK_FALSE(regressed);
  CHECK(reads > 0);
  CHECK(holder.current() == versions[4]);
  holder.confirm(t0);
  CHECK(*holder.verified_at() == std::chrono::time_point_cast<std::chrono::milliseconds>(t0));

  // Two holders on one thread do not share a cache.
  whitelist other;
  other.publish(versions[1], t0);
  CHECK(holder.current() == versions[4]);
  CHECK(other.current() == versions[1]);
  CHECK(holder.current() == versions[4]);
}

TEST_CASE("whitelist: every prefix of a list fails cleanly, only the whole parses", "[whitelist]") {
  // The split-point habit (STYLE.md habit 2) for a parser that takes whole documents: a download cut anywhere is
  // refused (except after </ListeDomaines>, the ANS shape), never crashes, and never yields a partial list.
  std::string xml = pki_like();
  std::size_t accepted = 0;
  for (std::size_t n = 0; n <= xml.size(); ++n) {
    auto r = parse_whitelist(std::string_view(xml).substr(0, n));
    if (r) {
      ++accepted;
      CHECK(r.value->entries().size() == 8);
    } else {
      CHECK(r.error);
      CHECK_FALSE(r.issue.message.empty());
    }
  }
  // Four cuts parse: right after </ListeDomaines> and after its newline (the ANS shape), after
  // </ListeBlancheMSSante> and after the final newline. A cut inside the closing tag is refused.
  CHECK(accepted == 4);
}
