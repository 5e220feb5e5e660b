#include "tests/unit/trustspace/whitelist_gen.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <random>
#include <set>

namespace mssgw::test {
namespace {

using trustspace::dn_attribute;
using trustspace::dn_rdn;

dn_rdn one(std::string type, std::string value) { return dn_rdn{dn_attribute{std::move(type), std::move(value), false}}; }

std::vector<dn_rdn> server_dn(std::string cn, std::string ou, std::string o, std::string st_type, std::string st) {
  return {one("CN", std::move(cn)), one("OU", std::move(ou)), one("O", std::move(o)),
          one(std::move(st_type), std::move(st)), one("C", "FR")};
}

constexpr std::array<std::string_view, 16> departments{
    "Haute-Garonne (31)", "Puy-de-Dôme (63)", "Hérault (34)",        "Côtes-d'Armor (22)",
    "Bouches-du-Rhône (13)", "Paris (75)",    "Guyane (973)",        "Saône-et-Loire (71)",
    "Pyrénées-Atlantiques (64)", "Isère (38)", "Rhône (69)",         "Haute-Saône (70)",
    "Nord (59)",          "Gironde (33)",     "Côte-d'Or (21)",      "Vaucluse (84)"};

constexpr std::array<std::string_view, 12> org_patterns{
    "CENTRE HOSPITALIER DE ",   "CH D'",                 "GCS E-SANTE ",       "CLINIQUE ",
    "CENTRE HOSPITALIER REGIONAL D'", "HOPITAL ",       "ASSOCIATION HOSPITALIERE ", "SASU ",
    "CENTRE LUTTE CONTRE LE CANCER J.", "EHPAD LES ", "GIP ",                "INSTITUT "};

constexpr std::array<std::string_view, 16> towns{"AIX",    "ORLEANS", "EMBRUN", "PAU",     "BEAUNE",  "APT",
                                                  "ERSTEIN", "LIMOGES", "ISSOIRE", "BREST", "AVIGNON", "THAU",
                                                  "ORTHEZ",  "CURIE",   "PERRIN",  "MIPIH"};

constexpr std::array<std::string_view, 8> host_patterns{"mss.", "esm.", "mail.", "cpsure.",
                                                        "medimail-", "mssante.", "mx.", "smtp.mss."};

constexpr std::array<std::string_view, 8> domain_words{"ch-", "ehpad-", "clinique-", "ssiad-",
                                                       "cabinet-", "psypro-", "sad-", "centre-"};

struct op {
  std::string dn_text;
  std::string description;
  std::string contact;
};

std::string digits(std::mt19937& rng, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s.push_back(static_cast<char>('0' + rng() % 10));
  return s;
}

}  // namespace

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

std::string domaine_xml(std::string_view nom, std::string_view dn, std::string_view description,
                        std::string_view date_maj) {
  std::string out;
  out += "        <Domaine>\n";
  out += "            <Nom>" + xml_escape(nom) + "</Nom>\n";
  out += "            <Description>" + xml_escape(description) + "</Description>\n";
  out += "            <DNCertificatOperateur>" + xml_escape(dn) + "</DNCertificatOperateur>\n";
  out += "            <ResponsableContact>08 10  61 50 50, responsable@operateur.example</ResponsableContact>\n";
  out += "            <SupportContact>08 10 61 50 51, support@operateur.example</SupportContact>\n";
  out += "            <DateMAJ>" + std::string(date_maj) + "</DateMAJ>\n";
  out += "        </Domaine>\n";
  return out;
}

std::string whitelist_xml(std::string_view domaines, std::string_view generated, bool close_root) {
  std::string out =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListeBlancheMSSante "
      "xmlns=\"https://listeblanche.mssante.fr/schema\">\n";
  out += "    <DateDeGeneration>" + std::string(generated) + "</DateDeGeneration>\n";
  out += "    <ListeDomaines>\n";
  out += domaines;
  out += "    </ListeDomaines>\n";
  if (close_root) out += "</ListeBlancheMSSante>\n";
  return out;
}

generated_whitelist generate_whitelist(const gen_options& options) {
  generated_whitelist g;
  std::mt19937 rng(options.seed);

  // Every DN form found in the real list, plus the escapes RFC 4514 allows; each with the certificate it matches.
  g.forms = {
      {"plain ST", "ch-plain.mssante.fr",
       "CN=mss.ch-plain.example,OU=1870000016,O=CENTRE HOSPITALIER PLAIN,ST=Haute-Vienne (87),C=FR",
       server_dn("mss.ch-plain.example", "1870000016", "CENTRE HOSPITALIER PLAIN", "ST", "Haute-Vienne (87)")},
      {"spaces after commas", "interop-apicem.mssante.fr",
       "CN=mailin.interop-mssante.apicrypt.example, OU=343975235300037, O=APICEM, ST=Nord (59), C=FR",
       server_dn("mailin.interop-mssante.apicrypt.example", "343975235300037", "APICEM", "ST", "Nord (59)")},
      {"L= instead of ST=", "cert-expire-audit.mssante.fr",
       "CN=cert-expire-audit.espacedeconfiance.example,OU=300000000099622,O=GIP - TEST9962,L=Paris (75),C=FR",
       server_dn("cert-expire-audit.espacedeconfiance.example", "300000000099622", "GIP - TEST9962", "L",
                 "Paris (75)")},
      {"quoted value with double spaces", "chu-limoges.mssante.fr",
       "CN=mss.chu-limoges.example,OU=1870000015,O=\"C H U  DE  LIMOGES\",ST=Haute-Vienne (87),C=FR",
       server_dn("mss.chu-limoges.example", "1870000015", "C H U  DE  LIMOGES", "ST", "Haute-Vienne (87)")},
      {"unescaped inner quotes", "strasbourg-unicancer.mssante.fr",
       "CN=mss.strasbourg.unicancer.example,OU=1670000033,O=CRLCC \"PAUL STRAUSS\",ST=Bas-Rhin (67),C=FR",
       server_dn("mss.strasbourg.unicancer.example", "1670000033", "CRLCC \"PAUL STRAUSS\"", "ST", "Bas-Rhin (67)")},
      {"escaped comma", "clinique-parc.mssante.fr",
       "CN=mx.parc.example,OU=1130000001,O=CLINIQUE DU PARC\\, SITE NORD,ST=Rhône (69),C=FR",
       server_dn("mx.parc.example", "1130000001", "CLINIQUE DU PARC, SITE NORD", "ST", "Rhône (69)")},
      {"escaped plus", "soins-domicile.mssante.fr",
       "CN=mx.soins.example,OU=1130000002,O=SOINS\\+DOMICILE,ST=Isère (38),C=FR",
       server_dn("mx.soins.example", "1130000002", "SOINS+DOMICILE", "ST", "Isère (38)")},
      {"hex-escaped accents", "ch-alpes-isere.mssante.fr",
       "CN=mx.isere.example,OU=1380780247,O=CENTRE HOSPITALIER ALPES-IS\\C3\\88RE,ST=Is\\C3\\A8re (38),C=FR",
       server_dn("mx.isere.example", "1380780247", "CENTRE HOSPITALIER ALPES-ISÈRE", "ST", "Isère (38)")},
      {"raw accents and apostrophe", "ahbretagne.mssante.fr",
       "CN=esm.ahbretagne.example,OU=1220017974,O=ASS HOSPITALIERE DE PLOUGUERNEVEL,ST=Côtes-d'Armor (22),C=FR",
       server_dn("esm.ahbretagne.example", "1220017974", "ASS HOSPITALIERE DE PLOUGUERNEVEL", "ST",
                 "Côtes-d'Armor (22)")},
      {"parentheses, apostrophe and slash", "hlrs-arc.mssante.fr",
       "CN=mss.hlrs.example,OU=1270000912,O=HOPITAL D'ARC (SITE 2) ST SEBASTIEN/MORSENT,ST=Eure (27),C=FR",
       server_dn("mss.hlrs.example", "1270000912", "HOPITAL D'ARC (SITE 2) ST SEBASTIEN/MORSENT", "ST",
                 "Eure (27)")},
      {"escaped quote and backslash", "atelier-sante.mssante.fr",
       "CN=mx.atelier.example,OU=1750000003,O=ATELIER \\\"SANTE\\\" \\\\ NORD,ST=Paris (75),C=FR",
       server_dn("mx.atelier.example", "1750000003", "ATELIER \"SANTE\" \\ NORD", "ST", "Paris (75)")},
      {"multi-valued RDN", "multi-sante.mssante.fr",
       "CN=mx.multi.example+UID=op42,OU=1750000004,O=MULTI SANTE,ST=Paris (75),C=FR",
       {dn_rdn{dn_attribute{"UID", "op42", false}, dn_attribute{"CN", "mx.multi.example", false}},
        one("OU", "1750000004"), one("O", "MULTI SANTE"), one("ST", "Paris (75)"), one("C", "FR")}},
      {"case and spaces differ from the certificate", "clinique-casse.mssante.fr",
       "cn=Mx.Casse.Example , ou=1750000005 ,o=clinique  de la  casse,st=paris (75),c=fr",
       server_dn("mx.casse.example", "1750000005", "CLINIQUE DE LA CASSE", "ST", "Paris (75)")},
      {"same DN quoted", "hlrs-lamusse.mssante.fr",
       "CN=mss.hlrs-lamusse.example,OU=1270000913,O=\"HOPITAL LA  MUSSE ST SEBASTIEN/MORSENT\",ST=Eure (27),C=FR",
       server_dn("mss.hlrs-lamusse.example", "1270000913", "HOPITAL LA  MUSSE ST SEBASTIEN/MORSENT", "ST",
                 "Eure (27)")},
      {"same DN unquoted", "hlrs-lamusse-bis.mssante.fr",
       "CN=mss.hlrs-lamusse.example,OU=1270000913,O=HOPITAL LA  MUSSE ST SEBASTIEN/MORSENT,ST=Eure (27),C=FR",
       server_dn("mss.hlrs-lamusse.example", "1270000913", "HOPITAL LA  MUSSE ST SEBASTIEN/MORSENT", "ST",
                 "Eure (27)")},
      {"Nom that is not a host name", "sessad@ase.ditep.mssante.fr",
       "CN=medimail-asip.mipih.example,OU=318310021300028,O=GIP MIPIH,ST=Haute-Garonne (31),C=FR",
       server_dn("medimail-asip.mipih.example", "318310021300028", "GIP MIPIH", "ST", "Haute-Garonne (31)")},
      {"mixed-case Nom, first DN", "UC-CMP.mssante.fr",
       "CN=mss.uc-cmp.example,OU=1750000006,O=UC CMP,ST=Paris (75),C=FR",
       server_dn("mss.uc-cmp.example", "1750000006", "UC CMP", "ST", "Paris (75)")},
      {"mixed-case Nom, second DN (repeated Nom)", "uc-cmp.mssante.fr",
       "CN=mss2.uc-cmp.example,OU=1750000006,O=UC CMP,ST=Paris (75),C=FR",
       server_dn("mss2.uc-cmp.example", "1750000006", "UC CMP", "ST", "Paris (75)")},
  };

  // Operators: about 17 entries per DN, as in the real list.
  std::size_t n_ops = std::max<std::size_t>(20, options.entries / 17);
  std::vector<op> ops;
  ops.reserve(n_ops);
  for (std::size_t k = 0; k < n_ops; ++k) {
    std::string town(towns[k % towns.size()]);
    std::string org = std::string(org_patterns[(k / towns.size()) % org_patterns.size()]) + town;
    if (k >= towns.size() * org_patterns.size()) org += " " + std::to_string(k / (towns.size() * org_patterns.size()));
    std::string host = std::string(host_patterns[k % host_patterns.size()]) + "op" + std::to_string(k) + "-" +
                       town.substr(0, 3) + ".example";
    for (char& c : host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string ou = (k % 3 == 0) ? "3" + digits(rng, 14) : "1" + digits(rng, 9);
    std::string st(departments[k % departments.size()]);
    std::string dn = "CN=" + host + ",OU=" + ou + ",O=" + org + ",ST=" + st + ",C=FR";
    std::string description = "Domaine de messagerie MSSanté " + org;
    if (k % 11 == 0) description += " & VIE";  // becomes &amp; in the XML
    std::string contact = "0" + std::to_string(1 + k % 9) + " 00 00 00 00, mss@op" + std::to_string(k) + ".example";
    if (k % 13 == 0) contact = "ResponsableContact>" + contact;  // the real list has "&gt;" leftovers
    if (k % 17 == 0) contact += "\n";                            // and a contact with a line break
    ops.push_back({std::move(dn), std::move(description), std::move(contact)});
  }

  std::string body;
  body.reserve(options.entries * 600);
  std::set<std::string> names;
  std::size_t form_every = std::max<std::size_t>(1, options.entries / (g.forms.size() + 1));
  std::size_t next_form = 0;
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::size_t domain_no = 0;
  auto add = [&](const std::string& nom, const std::string& dn, const std::string& description,
                 const std::string& contact, const std::string& date) {
    body += "        <Domaine>\n";
    body += "            <Nom>" + xml_escape(nom) + "</Nom>\n";
    body += "            <Description>" + xml_escape(description) + "</Description>\n";
    body += "            <DNCertificatOperateur>" + xml_escape(dn) + "</DNCertificatOperateur>\n";
    body += "            <ResponsableContact>" + xml_escape(contact) + "</ResponsableContact>\n";
    body += "            <SupportContact>" + xml_escape(contact) + "</SupportContact>\n";
    body += "            <DateMAJ>" + date + "</DateMAJ>\n";
    body += "        </Domaine>\n";
    std::string lower = nom;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    names.insert(lower);
    ++g.entries;
  };
  while (g.entries < options.entries) {
    if (next_form < g.forms.size() && g.entries >= (next_form + 1) * form_every) {
      const auto& f = g.forms[next_form++];
      add(f.domain, f.list_dn, "Domaine de messagerie MSSanté (forme: " + f.name + ")",
          "04 42 70 38 15, mssante@wraptor.example", "2023-03-01T15:21:59Z");
      continue;
    }
    ++domain_no;
    std::string nom = std::string(domain_words[domain_no % domain_words.size()]) + std::to_string(domain_no) +
                      (domain_no % 7 == 0 ? ".ght.mssante.fr" : ".mssante.fr");
    if (domain_no % 97 == 0) nom[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(nom[0])));
    // About one domain in five has several DNs (the real list: 1,064 of ~5,000).
    double r = u(rng);
    int dns = r < 0.8 ? 1 : (r < 0.95 ? 2 : 3);
    std::string date = std::to_string(2020 + domain_no % 6) + "-0" + std::to_string(1 + domain_no % 9) + "-1" +
                       std::to_string(domain_no % 10) + "T1" + std::to_string(domain_no % 10) + ":54:10Z";
    for (int k = 0; k < dns && g.entries < options.entries; ++k) {
      // A few operators serve most domains (the real list: one operator has 1,281 entries).
      double x = u(rng);
      auto idx = static_cast<std::size_t>(static_cast<double>(n_ops) * x * x);
      const op& o = ops[std::min(idx, n_ops - 1)];
      add(nom, o.dn_text, o.description, o.contact, date);
    }
  }
  while (next_form < g.forms.size()) {
    const auto& f = g.forms[next_form++];
    add(f.domain, f.list_dn, "Domaine de messagerie MSSanté (forme: " + f.name + ")",
        "04 42 70 38 15, mssante@wraptor.example", "2023-03-01T15:21:59Z");
  }
  g.domains = names.size();
  g.xml = whitelist_xml(body, options.generated, options.close_root);
  return g;
}

}  // namespace mssgw::test
