// Who authenticated: the result of a successful SASL exchange, shared by SMTP submission and IMAP.
//
// Kinds (mssante/README §3-§5):
// - professional: a health professional, by national id (idNat: "8" + RPPS, "0" + ADELI, ...), proven by a Pro Santé
//   Connect access token (XOAUTH2, OAUTHBEARER), a CPS certificate (EXTERNAL) or a password (PLAIN, when enabled);
// - organisation: an organisation certificate (EXTERNAL without an idNat), by subject DN; it opens the BALs
//   delegated to "dn:<subject DN>" (applicative BALs bound to the certificate);
// - patient: a citizen by matricule INS (15 characters, checked with its key): for citizen messaging, not produced
//   by any mechanism yet;
// - local_user: a PLAIN login whose user name is a BAL address: it opens that BAL only.
//
// `id` is the key rights are looked up by (rights.hpp): the idNat, "dn:" + subject DN, the INS, or the address.
// describe() is safe for logs and the audit trail (identifiers are not secrets; tokens and passwords never get
// here). A value type; thread-compatible.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mssgw::auth {

enum class identity_kind : std::uint8_t { professional, organisation, patient, local_user };
enum class mechanism_kind : std::uint8_t { xoauth2, oauthbearer, external, plain };

std::string_view to_string(identity_kind k);
std::string_view to_string(mechanism_kind m);  // the SASL name: "XOAUTH2", "OAUTHBEARER", "EXTERNAL", "PLAIN"
std::optional<mechanism_kind> parse_mechanism(std::string_view name);  // case-insensitive

struct identity {
  identity_kind kind = identity_kind::professional;
  std::string id;
  mechanism_kind mechanism = mechanism_kind::plain;

  static identity professional(std::string idnat, mechanism_kind m) {
    return {identity_kind::professional, std::move(idnat), m};
  }
  // `subject_dn` as RFC 4514 text; id becomes "dn:" + subject_dn.
  static identity organisation(std::string_view subject_dn, mechanism_kind m) {
    return {identity_kind::organisation, "dn:" + std::string(subject_dn), m};
  }
  static identity patient(std::string ins, mechanism_kind m) { return {identity_kind::patient, std::move(ins), m}; }
  static identity local_user(std::string address, mechanism_kind m) {
    return {identity_kind::local_user, std::move(address), m};
  }

  // For organisations: the DN without the "dn:" prefix; otherwise id.
  std::string_view subject_dn() const;
  // "professional 810001234567 via XOAUTH2", "organisation dn:CN=lgc,O=... via EXTERNAL". Control characters are
  // replaced, and a DN is cut at 256 characters.
  std::string describe() const;

  friend bool operator==(const identity&, const identity&) = default;
};

// Matricule INS (mssante/README §5): 13 characters (digits; "2A"/"2B" allowed as the department, positions 6-7)
// then a 2-digit key = 97 - (number mod 97), with 2A counted as 19 and 2B as 18 for the key only.
bool valid_ins(std::string_view ins);

// What the TLS layer learnt from the client certificate, for EXTERNAL (filled by the session from
// common::tls::peer_identity; auth does not read certificates itself).
struct certificate_facts {
  std::string subject_dn;            // RFC 4514
  std::optional<std::string> idnat;  // set only for a person's (CPS-like) certificate issued by a trusted CA
  bool verified = false;             // chain, validity and revocation checked by the handshake
};

}  // namespace mssgw::auth
