// Errors of the trust space, as values (STYLE.md habit 8): DN syntax, whitelist format, whitelist fetch.
//
// Functions that can fail return one of these codes with a human text (and, for the whitelist, the line). The
// category's messages are short; the accompanying text says what exactly was wrong.
#pragma once
#include <system_error>

namespace mssgw::trustspace {

enum class errc {
  dn_syntax = 1,      // a DN string is not RFC 4514 (nor RFC 2253 legacy) syntax
  dn_empty,           // a DN string has no RDN
  xml_syntax,         // the whitelist is not well-formed XML
  xml_doctype,        // the whitelist has a DOCTYPE (refused: entity tricks)
  too_large,          // input over the configured size limit
  wrong_root,         // the root element is not ListeBlancheMSSante
  missing_field,      // a required element is missing or empty
  invalid_field,      // an element's value is malformed (e.g. a DN that does not parse)
  too_many_entries,   // more Domaine entries than the configured limit
  fetch_failed,       // transport error (DNS, TCP, TLS, timeout, truncated body)
  http_status,        // the server answered with an unexpected HTTP status
  io_error,           // reading a file or persisting the copy failed
  no_source,          // neither a URL nor a file is configured
};

const std::error_category& error_category();
inline std::error_code make_error_code(errc e) { return {static_cast<int>(e), error_category()}; }

}  // namespace mssgw::trustspace

template <>
struct std::is_error_code_enum<mssgw::trustspace::errc> : std::true_type {};
