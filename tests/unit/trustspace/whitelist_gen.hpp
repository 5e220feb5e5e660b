// A generator of ANS-format whitelists for tests and benchmarks (the project never reads ../shared: it makes its own
// data). It reproduces the shapes of the real list (mssante/README §2): about 17 entries per operator DN, about one
// domain in five served by several DNs (repeated Nom), mixed-case Nom, a Nom that is not a host name, DNs with
// spaces after commas, L= instead of ST=, parentheses, apostrophes, accents raw and as hex escapes, values in
// double quotes with double inner spaces, unescaped inner quotes, escaped `\,` `\+` `\"` `\\`, a multi-valued RDN,
// one DN written in two spellings, XML entities in descriptions and contacts, a contact with a line break, and the
// missing </ListeBlancheMSSante> at the end.
//
// Deterministic for a given seed. No I/O.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "trustspace/dn.hpp"

namespace mssgw::test {

struct gen_options {
  std::size_t entries = 6500;  // approximate: the special forms are added on top
  std::uint32_t seed = 20250313;
  std::string generated = "2025-03-13T14:54:10Z";
  bool close_root = false;  // the ANS file ends after </ListeDomaines> without closing its root
};

// One special DN form: the domain it is listed for, the text as the list writes it, and the RDNs a certificate with
// that subject would give (RFC 4514 order), which must match.
struct dn_form {
  std::string name;     // what the form exercises
  std::string domain;   // as written in Nom
  std::string list_dn;  // as written in DNCertificatOperateur (unescaped XML text)
  std::vector<trustspace::dn_rdn> cert;
};

struct generated_whitelist {
  std::string xml;
  std::vector<dn_form> forms;
  std::size_t entries = 0;
  std::size_t domains = 0;  // distinct Nom, case-insensitively
};

generated_whitelist generate_whitelist(const gen_options& options = {});

// XML text escaping (& < >).
std::string xml_escape(std::string_view text);
// One <Domaine> element in the ANS layout.
std::string domaine_xml(std::string_view nom, std::string_view dn, std::string_view description = "DOMAINE DE TEST",
                        std::string_view date_maj = "2024-01-01T00:00:00Z");
// A whole document around the given <Domaine> elements (well-formed unless close_root is false).
std::string whitelist_xml(std::string_view domaines, std::string_view generated = "2025-03-13T14:54:10Z",
                          bool close_root = true);

}  // namespace mssgw::test
