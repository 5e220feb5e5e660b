// Error values of the IMAP protocol core (imap/proto).
//
// Every reader and parser in imap/proto reports failures as an `errc` (never an exception). `describe()` is the
// log reason; `response_for()` says how the session answers: a tagged BAD or NO, with which response code, or
// `* BYE` and close. The client gets a short, generic text; the log gets the reason (STYLE.md habit 9).
//
// Pure and thread-safe.
#pragma once
#include <cstdint>
#include <string_view>
#include <system_error>

namespace mssgw::imap::proto {

enum class errc : std::uint8_t {
  ok = 0,

  // Framing (command_reader). Each names the limit it hit.
  line_too_long,            // command text outside literals longer than limits::max_line
  command_too_long,         // the whole command (lines + literals) longer than limits::max_command
  literal_too_big,          // a literal announced larger than limits::max_literal (RFC 7889 APPENDLIMIT)
  nonsync_literal_too_big,  // a {n+} literal larger than limits::max_nonsync_literal (RFC 7888 §4, LITERAL-)
  nesting_too_deep,         // more nested parentheses than limits::max_depth
  bare_lf,                  // LF not preceded by CR (RFC 3501 §2.2: lines end with CRLF)
  bare_cr,                  // CR not followed by LF

  // Lexical (value parser).
  syntax_error,             // generic: a token where another was expected, a missing or extra SP
  invalid_character,        // NUL, CTL or an 8-bit octet where none may appear (atoms, tags)
  unterminated_quoted,      // a quoted string without its closing DQUOTE
  invalid_escape,           // a backslash in a quoted string not followed by DQUOTE or backslash
  invalid_literal,          // "{" not followed by digits, "}" and CRLF, or fewer bytes than announced
  nul_in_literal,           // NUL in a literal that is not a literal8 (RFC 3516 §4.3)
  invalid_utf8,             // 8-bit octets in a quoted string that are not UTF-8 (RFC 9051 §4.3)
  trailing_data,            // bytes after the last argument of a command

  // Command level.
  missing_tag,              // empty line, or no SP after the tag
  invalid_tag,
  unknown_command,          // the session answers BAD "unknown command"
  missing_argument,
  invalid_argument,         // an argument of the right kind with a wrong value
  number_out_of_range,      // a number over its grammar's range (number, nz-number, number64, mod-sequence)
  invalid_sequence_set,
  invalid_date,
  invalid_flag,
  invalid_section,          // FETCH BODY[...] / BINARY[...] section or <partial>
  invalid_fetch_attribute,
  invalid_search_key,
  invalid_mailbox_name,     // not valid modified UTF-7 (RFC 3501 §5.1.3) or not UTF-8 (RFC 9051 §5.1)
  unknown_option,           // a SELECT, LIST, CREATE, STATUS, FETCH or STORE option we do not implement
  search_too_deep,          // NOT / OR / parenthesis nesting in SEARCH over parse_options::max_search_depth
};

const std::error_category& error_category();
inline std::error_code make_error_code(errc e) { return {static_cast<int>(e), error_category()}; }

// The log reason: a short, stable phrase ("literal larger than the literal limit").
std::string_view describe(errc e);

// How the session answers a failure. Texts are static, short and generic.
struct error_response {
  enum class kind : std::uint8_t {
    bad,  // tagged BAD (or untagged "* BAD" when no tag could be read)
    no,   // tagged NO
    bye,  // "* BYE", then close: the session cannot resynchronise with the client
  };
  kind what = kind::bad;
  std::string_view code;  // response code without brackets ("TOOBIG"), or empty
  std::string_view text;
};

// `fatal` is true when the reader reported status::fatal (a non-synchronising literal we refused: its bytes are
// on the way and would be read as commands). RFC 9051 §7.1 TOOBIG, RFC 7888 §4.
error_response response_for(errc e, bool fatal = false);

}  // namespace mssgw::imap::proto

template <>
struct std::is_error_code_enum<mssgw::imap::proto::errc> : std::true_type {};
