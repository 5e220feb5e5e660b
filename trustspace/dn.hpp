// Distinguished names (RFC 4514) and the comparison of product decision 2 (mssante/README §7): both sides are
// parsed; attribute types compare case-insensitively (and through their aliases and OIDs: `ST`, `S`,
// `stateOrProvinceName`, `2.5.4.8` and `OID.2.5.4.8` are one type); values compare after trimming, collapsing inner
// whitespace and folding case. Raw DN strings are never compared.
//
// Order rule. RDNs are kept in RFC 4514 string order: the most specific first (`CN=...,OU=...,O=...,ST=...,C=FR`),
// which is the reverse of the ASN.1 RDNSequence order a certificate stores (C first, RFC 4514 §2.1). from_x509()
// reverses the certificate's order, so a certificate DN and a whitelist DN compare as two sequences in the same
// order. The comparison is ordered (X.500 semantics): the same RDNs in another order are another DN. Inside a
// multi-valued RDN (`A=1+B=2`) the attributes compare as a set.
//
// Accepted text: RFC 4514 plus the RFC 2253 legacy forms found in the real ANS whitelist: spaces around `,` `+` `=`,
// `;` as an RDN separator, a value in double quotes (`O="C H U  DE  LIMOGES"`), and a `"` `<` `>` inside an unquoted
// value taken literally (`O=CRLCC "PAUL STRAUSS"`). Escapes: `\,` `\+` `\"` `\\` `\;` `\<` `\>` `\=` `\#` `\ ` and hex
// pairs (`\C3\A9` is é); the decoded value must be UTF-8. A `#hex` value (BER) is decoded when it holds a string type.
//
// Case folding covers ASCII, Latin-1 and Latin Extended-A (enough for French: É/é, Ô/ô, Œ/œ); accents are kept
// (`Rhône` and `Rhone` differ). Whitespace is space, tab, CR, LF and U+00A0.
//
// A `dn` is an immutable value; its comparison key is computed once at construction, so equality and hashing cost
// one string comparison. Thread-safe to share once built. No I/O.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "common/tls.hpp"  // name_rdn (no OpenSSL or Asio include)

namespace mssgw::trustspace {

struct dn_attribute {
  std::string type;     // as written ("CN", "st", "2.5.4.3") or, from a certificate, OpenSSL's short name or OID
  std::string value;    // the decoded value in UTF-8 (escapes resolved, quotes removed, outer spaces kept if escaped)
  bool binary = false;  // value is "#" + lowercase hex of a BER encoding that is not a string type
};
using dn_rdn = std::vector<dn_attribute>;  // one RDN: one attribute, or several joined by '+'

struct dn_parse_result;

class dn {
 public:
  dn() = default;  // the empty DN: no RDN, empty key, equal only to another empty DN

  // Parses `text` (see the header comment for what is accepted). Never throws.
  static dn_parse_result parse(std::string_view text);
  // Builds from RDNs in RFC 4514 order (most specific first). Types must be names or OIDs (unknown ones are kept
  // as lowercase names).
  static dn from_rdns(std::vector<dn_rdn> rdns);
  // Builds from a certificate's subject or issuer name; reverses OpenSSL's ASN.1 order (C..CN) into RFC 4514 order.
  static dn from_x509(const X509_name_st* name);
  // Builds from the RDNs of a peer identity (common::tls::peer_identity::subject_rdns, already in RFC 4514 order):
  // what an SMTP session does once after the handshake.
  static dn from_name_rdns(const std::vector<common::tls::name_rdn>& rdns);

  const std::vector<dn_rdn>& rdns() const { return rdns_; }
  // The canonical comparison key: `cn=mx.alpha.mssante.test,ou=...,c=fr` with types canonical, values normalised,
  // attributes of a multi-valued RDN sorted, and RFC 4514 escaping so that the key is unambiguous.
  const std::string& key() const { return key_; }
  // A 64-bit hash of key(): compare it first, then the key (refusal and multi-DN paths touch no key text).
  std::uint64_t key_hash() const { return key_hash_; }
  // True when both DNs compare equal under decision 2.
  bool same_as(const dn& other) const { return key_hash_ == other.key_hash_ && key_ == other.key_; }
  // RFC 4514 rendering with conventional short names (`CN=...,ST=Bouches-du-Rhône (13),C=FR`), UTF-8 unescaped.
  // Computed once at construction (log lines of refusals cost no formatting).
  const std::string& to_string() const { return text_; }
  bool empty() const { return rdns_.empty(); }
  // The value of the first attribute of `type` (any alias: "st", "S", "2.5.4.8"), or nothing.
  std::optional<std::string_view> find(std::string_view type) const;

  friend bool operator==(const dn& a, const dn& b) { return a.same_as(b); }

 private:
  void build_key();
  std::string render() const;
  std::vector<dn_rdn> rdns_;
  std::string key_;
  std::uint64_t key_hash_ = 14695981039346656037ull;  // FNV-1a of the empty key
  std::string text_;
};

struct dn_parse_result {
  std::optional<dn> value;
  std::error_code error;     // trustspace::errc::dn_syntax or dn_empty when !value
  std::size_t position = 0;  // byte offset in the text where the problem was found
  std::string message;       // e.g. "invalid escape \\q at offset 12"
  explicit operator bool() const { return value.has_value(); }
};

// Decision 2 on one value: trims, collapses whitespace runs to one space, folds case. Input must be UTF-8.
std::string normalise_value(std::string_view value);
// Canonical attribute type: the lowercase short name of a known type ("cn", "st", "serialnumber", "gn", ...), the
// dotted OID of an unknown numeric type, the lowercase name of an unknown named type; empty if not a valid type.
std::string canonical_type(std::string_view type);
// The RFC 4514 short name used when rendering ("CN", "ST", "serialNumber", ...), or the OID.
std::string display_type(std::string_view type);
// Parses both texts and compares them; false when either does not parse.
bool same_dn(std::string_view a, std::string_view b);
// True when `text` is valid UTF-8 (no overlong forms, no surrogates).
bool valid_utf8(std::string_view text);

}  // namespace mssgw::trustspace
