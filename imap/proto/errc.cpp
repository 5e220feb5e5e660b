#include "imap/proto/errc.hpp"

#include <string>

namespace mssgw::imap::proto {
namespace {

class category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "imap.proto"; }
  std::string message(int v) const override { return std::string(describe(static_cast<errc>(v))); }
};

}  // namespace

const std::error_category& error_category() {
  static const category c;
  return c;
}

std::string_view describe(errc e) {
  switch (e) {
    case errc::ok: return "ok";
    case errc::line_too_long: return "command line longer than the line limit";
    case errc::command_too_long: return "command longer than the command limit";
    case errc::literal_too_big: return "literal larger than the literal limit";
    case errc::nonsync_literal_too_big: return "non-synchronising literal larger than its limit";
    case errc::nesting_too_deep: return "parentheses nested deeper than the limit";
    case errc::bare_lf: return "bare LF in command";
    case errc::bare_cr: return "bare CR in command";
    case errc::syntax_error: return "command syntax error";
    case errc::invalid_character: return "invalid character in command";
    case errc::unterminated_quoted: return "unterminated quoted string";
    case errc::invalid_escape: return "invalid escape in quoted string";
    case errc::invalid_literal: return "invalid literal";
    case errc::nul_in_literal: return "NUL in a non-binary literal";
    case errc::invalid_utf8: return "invalid UTF-8";
    case errc::trailing_data: return "unexpected data after the last argument";
    case errc::missing_tag: return "missing tag";
    case errc::invalid_tag: return "invalid tag";
    case errc::unknown_command: return "unknown command";
    case errc::missing_argument: return "missing argument";
    case errc::invalid_argument: return "invalid argument";
    case errc::number_out_of_range: return "number out of range";
    case errc::invalid_sequence_set: return "invalid sequence set";
    case errc::invalid_date: return "invalid date or date-time";
    case errc::invalid_flag: return "invalid flag";
    case errc::invalid_section: return "invalid section or partial";
    case errc::invalid_fetch_attribute: return "invalid fetch attribute";
    case errc::invalid_search_key: return "invalid search key";
    case errc::invalid_mailbox_name: return "invalid mailbox name encoding";
    case errc::unknown_option: return "unknown or unsupported option";
    case errc::search_too_deep: return "search keys nested deeper than the limit";
  }
  return "unknown error";
}

error_response response_for(errc e, bool fatal) {
  using k = error_response::kind;
  switch (e) {
    case errc::literal_too_big:
    case errc::nonsync_literal_too_big:
    case errc::command_too_long:
      // RFC 9051 §7.1 TOOBIG; RFC 7889 §4 (APPENDLIMIT). A synchronising literal we refuse was never sent (we did
      // not send "+"), so a tagged BAD keeps the session in step. A non-synchronising one is already on its way:
      // RFC 7888 §4 lets the server close the connection instead of reading it.
      if (fatal) return {k::bye, "TOOBIG", "Literal too big"};
      return {k::bad, "TOOBIG", "Literal too big"};
    case errc::line_too_long:
      if (fatal) return {k::bye, "TOOBIG", "Command line too long"};
      return {k::bad, "TOOBIG", "Command line too long"};
    case errc::nesting_too_deep:
    case errc::search_too_deep:
      return {k::bad, "LIMIT", "Too deeply nested"};
    case errc::unknown_command: return {k::bad, "", "Unknown command"};
    case errc::missing_tag:
    case errc::invalid_tag: return {k::bad, "", "Invalid tag"};
    case errc::invalid_mailbox_name: return {k::no, "CANNOT", "Invalid mailbox name"};
    case errc::unknown_option: return {k::bad, "", "Unsupported option"};
    default: break;
  }
  if (fatal) return {k::bye, "", "Protocol error"};
  return {k::bad, "", "Syntax error"};
}

}  // namespace mssgw::imap::proto
