// Writing IMAP responses (RFC 3501 §7, §9; RFC 9051 §7): strings, lists, status responses with response codes,
// the untagged data a server sends, and FETCH items. Everything appends to a caller-owned std::string, so a
// session builds its output buffer in place; nothing here does I/O.
//
// Strings: write_string() chooses the form by content. A quoted string when the text is short (<= 1024 octets)
// and holds only printable ASCII without DQUOTE or backslash (plus UTF-8 when `utf8`: IMAP4rev2 or UTF8=ACCEPT
// enabled, RFC 9051 §4.3, RFC 6855 §3); otherwise a literal {n}CRLF. A literal never holds NUL (RFC 3501 §4.3):
// write_string() does not check for it; callers with binary content use write_literal8() (only in BINARY
// responses, RFC 3516 §4.3) or fetch_writer::section(), which handles it. Texts of status
// responses have CR, LF and NUL replaced by spaces, so a response is always one line.
//
// Pure functions; thread-safe.
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "imap/proto/command.hpp"
#include "imap/proto/date_time.hpp"
#include "imap/proto/message_model.hpp"

namespace mssgw::imap::proto {

// ---- strings -----------------------------------------------------------------------------------------------------
inline constexpr std::size_t max_quoted_length = 1024;

bool fits_quoted(std::string_view s, bool utf8 = false);
void write_quoted(std::string& out, std::string_view s);  // DQUOTEs around; escapes DQUOTE and backslash
void write_literal(std::string& out, std::string_view s);
void write_literal8(std::string& out, std::string_view s);
void write_string(std::string& out, std::string_view s, bool utf8 = false);
void write_nstring(std::string& out, const std::optional<std::string>& s, bool utf8 = false);
// An atom when `s` is a non-empty run of ASTRING-CHARs other than "NIL", else write_string.
void write_astring(std::string& out, std::string_view s, bool utf8 = false);
// A mailbox name (internal UTF-8) in the client's encoding: modified UTF-7 unless utf8_mode. Returns false (and
// writes nothing) when the name cannot be encoded.
bool write_mailbox(std::string& out, std::string_view name, bool utf8_mode);
// "(" flag *(SP flag) ")"
void write_flag_list(std::string& out, std::span<const std::string> flags);

// ---- status responses ----------------------------------------------------------------------------------------------
enum class status_word : std::uint8_t { ok, no, bad, preauth, bye };

// The inside of "[...]" (RFC 3501 §7.1, RFC 9051 §7.1, RFC 5530, RFC 4315, RFC 7162, RFC 7889). Build one with
// the functions of namespace `code`; an empty text means no code.
struct response_code {
  std::string text;
  bool empty() const { return text.empty(); }
};

namespace code {
response_code alert();
response_code alreadyexists();
response_code appenduid(std::uint32_t uidvalidity, std::string_view uid_set);
response_code authenticationfailed();
response_code authorizationfailed();
response_code badcharset(std::span<const std::string> supported = {});
response_code cannot();
response_code capability(std::span<const std::string> caps);
response_code clientbug();
response_code closed();
response_code contactadmin();
response_code copyuid(std::uint32_t uidvalidity, std::string_view source_set, std::string_view dest_set);
response_code expired();
response_code expungeissued();
response_code haschildren();
response_code highestmodseq(std::uint64_t modseq);
response_code inuse();
response_code limit();
response_code modified(std::string_view set);
response_code nomodseq();
response_code nonexistent();
response_code noperm();
response_code overquota();
response_code parse();
response_code permanentflags(std::span<const std::string> flags);
response_code privacyrequired();
response_code read_only();
response_code read_write();
response_code serverbug();
response_code toobig();
response_code trycreate();
response_code uidnext(std::uint32_t uid);
response_code uidnotsticky();
response_code uidvalidity(std::uint32_t v);
response_code unavailable();
response_code unseen(std::uint32_t seq);
// Any other atom-named code (e.g. from errc.hpp response_for()).
response_code named(std::string_view atom);
}  // namespace code

std::string_view to_string(status_word w);

// "tag OK [code] text\r\n"
void write_tagged(std::string& out, std::string_view tag, status_word w, const response_code& c,
                  std::string_view text);
// "* OK [code] text\r\n" (also BAD, NO, PREAUTH, BYE)
void write_untagged(std::string& out, status_word w, const response_code& c, std::string_view text);
// "+ text\r\n"; for AUTHENTICATE challenges pass the base64 text.
void write_continuation(std::string& out, std::string_view text = "Ready");

// ---- untagged data ---------------------------------------------------------------------------------------------------
void write_capability(std::string& out, std::span<const std::string> caps);  // "* CAPABILITY ...\r\n"
void write_enabled(std::string& out, std::span<const std::string> caps);     // RFC 5161
void write_exists(std::string& out, std::uint32_t n);
void write_recent(std::string& out, std::uint32_t n);
void write_expunge(std::string& out, std::uint32_t seq);
void write_flags(std::string& out, std::span<const std::string> flags);  // "* FLAGS (...)\r\n"
// RFC 7162 §3.2.10: "* VANISHED [(EARLIER)] uid-set\r\n"
void write_vanished(std::string& out, std::string_view uid_set, bool earlier);

struct list_item {
  std::vector<std::string> attributes;  // "\HasNoChildren", "\Sent", "\Subscribed" ...
  char delimiter = '/';                 // '\0' for NIL
  std::string name;                     // internal UTF-8
  std::vector<std::string> childinfo;   // RFC 5258 §4: ("CHILDINFO" ("SUBSCRIBED"))
  std::optional<std::string> old_name;  // RFC 9051 §7.3.1 OLDNAME after RENAME
};
// "* LIST (...) "/" name\r\n" (`lsub` for LSUB). Returns false if the name cannot be encoded (nothing written).
bool write_list(std::string& out, const list_item& item, bool utf8_mode, bool lsub = false);
// "* STATUS name (MESSAGES 2 UIDNEXT 5)\r\n"
bool write_status(std::string& out, std::string_view mailbox, bool utf8_mode,
                  std::span<const std::pair<status_item, std::uint64_t>> items);
// "* SEARCH 2 3 6 [(MODSEQ n)]\r\n" (also SORT with `word` = "SORT")
void write_search(std::string& out, std::span<const std::uint32_t> numbers,
                  std::optional<std::uint64_t> modseq = std::nullopt, std::string_view word = "SEARCH");

// RFC 4731 §3.1: "* ESEARCH (TAG "A1") UID MIN 2 MAX 9 COUNT 3 ALL 2,5,9 [MODSEQ n]\r\n"
struct esearch_result {
  std::optional<std::uint32_t> min, max;
  std::optional<std::uint64_t> count;
  std::string all;  // sequence set, empty when not requested or nothing matched
  std::optional<std::uint64_t> modseq;
};
void write_esearch(std::string& out, std::string_view tag, bool uid, const search_return& requested,
                   const esearch_result& r);

// RFC 2971: "* ID (...)\r\n" or "* ID NIL\r\n" when `params` is empty.
void write_id(std::string& out, std::span<const std::pair<std::string, std::optional<std::string>>> params);

// RFC 2342: each namespace a list of (prefix, delimiter) or NIL when empty. Returns false (nothing written) if a
// prefix cannot be encoded.
struct namespace_entry {
  std::string prefix;  // internal UTF-8
  char delimiter = '/';
};
bool write_namespace(std::string& out, std::span<const namespace_entry> personal,
                     std::span<const namespace_entry> other, std::span<const namespace_entry> shared,
                     bool utf8_mode);

// ---- FETCH ---------------------------------------------------------------------------------------------------------
// "BODY[1.2.HEADER.FIELDS (From To)]<0>" as the response names it: .PEEK dropped, origin only for a partial
// request (RFC 3501 §7.4.2), BINARY[...] / BINARY.SIZE[...] (RFC 3516 §4.2).
void write_fetch_att_name(std::string& out, const fetch_att& att);

// Builds "* 12 FETCH (UID 5 FLAGS (\Seen) ...)\r\n" with the separators in place.
class fetch_writer {
 public:
  fetch_writer(std::string& out, std::uint32_t seq, bool utf8 = false);
  void uid(std::uint32_t uid);
  void flags(std::span<const std::string> flags);
  void modseq(std::uint64_t modseq);                 // "MODSEQ (n)"
  void internaldate(const date_time& dt);
  void rfc822_size(std::uint64_t size);
  void envelope(const proto::envelope& e);
  void body_structure(const proto::body_structure& b, bool extended);  // BODYSTRUCTURE or BODY
  // BODY[...], BINARY[...], RFC822, RFC822.HEADER, RFC822.TEXT with their content (NIL when nullopt).
  // Content holding NUL goes out as literal8 for BINARY, and with NUL shown as 0x80 otherwise (RFC 3501 §4.3).
  void section(const fetch_att& att, const std::optional<std::string_view>& content);
  void binary_size(const fetch_att& att, std::uint64_t size);
  // Any other item, already serialised ("X-GM-MSGID 123").
  void raw(std::string_view item);
  void finish();  // ")\r\n"

 private:
  void sep();
  std::string& out_;
  bool utf8_;
  bool first_ = true;
};

}  // namespace mssgw::imap::proto
