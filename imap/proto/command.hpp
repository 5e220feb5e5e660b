// Typed IMAP commands: RFC 3501 (IMAP4rev1) and RFC 9051 (IMAP4rev2) plus the extensions mssgw implements
// (SASL-IR, ENABLE, UNSELECT, UIDPLUS, MOVE, CONDSTORE/QRESYNC, SPECIAL-USE, LIST-EXTENDED, LIST-STATUS,
// NAMESPACE, ID, IDLE, LITERAL+, ESEARCH, SEARCHRES, SORT/ESORT, BINARY, MULTIAPPEND, STATUS=SIZE, QUOTA).
//
// parse_command(text) takes one command framed by command_reader (without its final CRLF) and returns its tag and
// a `command_body`: a std::variant with one struct per command (namespace cmd). Every struct owns its data, so
// the caller may drop its input buffer at once. Failures are values: `error` names what is wrong (the session
// answers `tag BAD` — or `* BAD` when `tag` is empty — using response_for(error)); errc::unknown_command means
// the tag was read but the command name is not one we know.
//
// The parser checks syntax only: whether a command is allowed in the session's state, whether an extension was
// enabled (CONDSTORE, QRESYNC, UTF8=ACCEPT) or a mailbox exists is the session's business. Mailbox names are
// decoded to UTF-8 (modified UTF-7 unless parse_options::utf8), "INBOX" is normalised.
//
// Pure functions; thread-safe.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "imap/proto/date_time.hpp"
#include "imap/proto/errc.hpp"
#include "imap/proto/sequence_set.hpp"
#include "imap/proto/value.hpp"

namespace mssgw::imap::proto {

struct parse_options {
  // IMAP4rev2 or UTF8=ACCEPT is enabled: mailbox names are UTF-8 (RFC 9051 §5.1, RFC 6855 §3).
  bool utf8 = false;
  // Parentheses nesting (same as limits::max_depth).
  std::size_t max_depth = default_max_depth;
  // SEARCH keys nested through NOT, OR and parentheses. OR chains grow one level per alternative
  // ("OR OR OR a b c d"), so this is larger than max_depth; it bounds the parser's recursion.
  std::size_t max_search_depth = 256;
};

// ---------------------------------------------------------------------------------------------------------------
// Pieces shared by several commands.

// Flags as sent, system flags spelled canonically ("\seen" -> "\Seen"). RFC 3501 §2.3.2.
using flag_list = std::vector<std::string>;

enum class status_item : std::uint8_t {
  messages, recent, uidnext, uidvalidity, unseen,
  highestmodseq,  // RFC 7162 §3.1.6
  size,           // RFC 8438
  deleted,        // RFC 9051 §6.3.11
  appendlimit,    // RFC 7889 §5
};
std::string_view to_string(status_item s);

// FETCH section (RFC 3501 §6.4.5, §9 section-spec; RFC 3516 section-binary).
struct section {
  enum class kind : std::uint8_t { all, header, header_fields, header_fields_not, text, mime };
  std::vector<std::uint32_t> part;  // "1.2" -> {1, 2}; empty: the message itself
  kind k = kind::all;               // all: BODY[] or BODY[1.2] (the whole part)
  std::vector<std::string> fields;  // header_fields(_not), as sent
  friend bool operator==(const section&, const section&) = default;
};

struct partial {
  std::uint64_t offset = 0;
  std::uint64_t length = 0;  // nz-number
  friend bool operator==(const partial&, const partial&) = default;
};

struct fetch_att {
  enum class kind : std::uint8_t {
    envelope, flags, internaldate, uid, modseq,
    rfc822, rfc822_header, rfc822_size, rfc822_text,
    body,           // BODY without a section: the non-extensible BODYSTRUCTURE
    bodystructure,
    body_section,   // BODY[...] / BODY.PEEK[...]
    binary,         // BINARY[...] / BINARY.PEEK[...]
    binary_size,    // BINARY.SIZE[...]
  };
  kind k = kind::flags;
  bool peek = false;
  section sec;                  // body_section, binary (part only), binary_size (part only)
  std::optional<partial> part;  // body_section, binary
  friend bool operator==(const fetch_att&, const fetch_att&) = default;
};
// Parses one fetch-att atom ("FLAGS", "BODY.PEEK[1.2.HEADER.FIELDS (From)]<0.1024>").
errc parse_fetch_att(std::string_view atom, fetch_att& out, std::size_t max_depth = default_max_depth);

// SEARCH keys (RFC 3501 §6.4.4, RFC 7162 §3.1.5 MODSEQ, RFC 5182 "$").
struct search_key {
  enum class kind : std::uint8_t {
    all, answered, deleted, draft, flagged, new_, old, recent, seen,
    unanswered, undeleted, undraft, unflagged, unseen,
    bcc, body, cc, from, subject, text, to,  // `str`
    header,                                  // `field`, `str`
    keyword, unkeyword,                      // `str` (a flag keyword)
    before, on, since, sentbefore, senton, sentsince,  // `day`
    larger, smaller,                         // `number`
    uid, sequence_set,                       // `set`
    modseq,                                  // `number`; optional `field` (entry name) and `entry`
    not_,                                    // children[0]
    or_,                                     // children[0], children[1]
    and_,                                    // children (parenthesised list, or the command's top level)
  };
  enum class entry_type : std::uint8_t { none, priv, shared, all };
  kind k = kind::all;
  std::string field;
  std::string str;
  date day;
  std::uint64_t number = 0;
  proto::sequence_set set;
  entry_type entry = entry_type::none;
  std::vector<search_key> children;
  friend bool operator==(const search_key&, const search_key&) = default;
};

// ESEARCH RETURN options (RFC 4731 §3.1, RFC 5182 SAVE). `RETURN ()` means ALL.
struct search_return {
  bool min = false, max = false, count = false, all = false, save = false;
  friend bool operator==(const search_return&, const search_return&) = default;
};

struct sort_criterion {
  enum class key : std::uint8_t { arrival, cc, date, from, size, subject, to, display_from, display_to };
  key k = key::arrival;
  bool reverse = false;
  friend bool operator==(const sort_criterion&, const sort_criterion&) = default;
};

struct append_message {
  flag_list flags;
  std::optional<date_time> internal_date;
  std::string data;     // the literal's octets
  bool binary = false;  // sent as literal8 (RFC 3516 §4.4: may hold NUL and 8-bit in any part)
  friend bool operator==(const append_message&, const append_message&) = default;
};

// RFC 7162 §3.2.5.
struct qresync_params {
  std::uint32_t uidvalidity = 0;
  std::uint64_t modseq = 0;
  std::optional<sequence_set> known_uids;
  std::optional<sequence_set> known_seqs;      // seq-match-data: message sequence numbers ...
  std::optional<sequence_set> known_seq_uids;  // ... and their UIDs
  friend bool operator==(const qresync_params&, const qresync_params&) = default;
};

// ---------------------------------------------------------------------------------------------------------------
// One struct per command. `uid` marks the UID form (RFC 3501 §6.4.8).
namespace cmd {

struct capability { friend bool operator==(const capability&, const capability&) = default; };
struct noop { friend bool operator==(const noop&, const noop&) = default; };
struct logout { friend bool operator==(const logout&, const logout&) = default; };
struct starttls { friend bool operator==(const starttls&, const starttls&) = default; };
struct authenticate {
  std::string mechanism;                        // upper-cased
  std::optional<std::string> initial_response;  // SASL-IR (RFC 4959): base64 text as sent; "" for "="
  friend bool operator==(const authenticate&, const authenticate&) = default;
};
struct login {
  std::string user;
  std::string password;
  friend bool operator==(const login&, const login&) = default;
};
struct enable {
  std::vector<std::string> capabilities;  // upper-cased
  friend bool operator==(const enable&, const enable&) = default;
};
struct select {  // SELECT and EXAMINE (read_only)
  std::string mailbox;
  bool read_only = false;
  bool condstore = false;  // RFC 7162 §3.1.8
  std::optional<qresync_params> qresync;
  friend bool operator==(const select&, const select&) = default;
};
struct create {
  std::string mailbox;
  flag_list special_use;  // RFC 6154 §3 USE (\Sent ...)
  friend bool operator==(const create&, const create&) = default;
};
struct delete_mailbox {
  std::string mailbox;
  friend bool operator==(const delete_mailbox&, const delete_mailbox&) = default;
};
struct rename {
  std::string from;
  std::string to;
  friend bool operator==(const rename&, const rename&) = default;
};
struct subscribe {
  std::string mailbox;
  friend bool operator==(const subscribe&, const subscribe&) = default;
};
struct unsubscribe {
  std::string mailbox;
  friend bool operator==(const unsubscribe&, const unsubscribe&) = default;
};
struct list {  // LIST, with LIST-EXTENDED (RFC 5258), LIST-STATUS (RFC 5819), SPECIAL-USE (RFC 6154)
  std::string reference;              // decoded; not INBOX-normalised
  std::vector<std::string> patterns;  // decoded; one unless the extended "(p1 p2)" form was used
  bool extended = false;              // selection options, several patterns or RETURN were given
  // selection options
  bool select_subscribed = false, select_remote = false, select_recursive_match = false,
       select_special_use = false;
  // return options
  bool return_subscribed = false, return_children = false, return_special_use = false;
  std::optional<std::vector<status_item>> return_status;
  friend bool operator==(const list&, const list&) = default;
};
struct lsub {
  std::string reference;
  std::string pattern;
  friend bool operator==(const lsub&, const lsub&) = default;
};
struct namespace_query { friend bool operator==(const namespace_query&, const namespace_query&) = default; };
struct status {
  std::string mailbox;
  std::vector<status_item> items;
  friend bool operator==(const status&, const status&) = default;
};
struct append {
  std::string mailbox;
  std::vector<append_message> messages;  // more than one with MULTIAPPEND (RFC 3502)
  friend bool operator==(const append&, const append&) = default;
};
struct check { friend bool operator==(const check&, const check&) = default; };
struct close { friend bool operator==(const close&, const close&) = default; };
struct unselect { friend bool operator==(const unselect&, const unselect&) = default; };
struct expunge {
  std::optional<sequence_set> uids;  // UID EXPUNGE (RFC 4315 §2.1)
  friend bool operator==(const expunge&, const expunge&) = default;
};
struct search {
  bool uid = false;
  std::optional<search_return> ret;  // ESEARCH form when present
  std::string charset;               // empty when not given
  search_key key;                    // kind::and_ holding the top-level keys
  friend bool operator==(const search&, const search&) = default;
};
struct sort {
  bool uid = false;
  std::optional<search_return> ret;  // ESORT (RFC 5267 §3.2)
  std::vector<sort_criterion> criteria;
  std::string charset;
  search_key key;
  friend bool operator==(const sort&, const sort&) = default;
};
struct fetch {
  bool uid = false;
  sequence_set set;
  std::vector<fetch_att> atts;  // macros ALL, FAST, FULL expanded (RFC 3501 §6.4.5)
  std::optional<std::uint64_t> changed_since;  // RFC 7162 §3.1.4
  bool vanished = false;                       // RFC 7162 §3.2.6 (UID FETCH with CHANGEDSINCE only)
  friend bool operator==(const fetch&, const fetch&) = default;
};
struct store {
  enum class mode : std::uint8_t { replace, add, remove };
  bool uid = false;
  sequence_set set;
  mode how = mode::replace;
  bool silent = false;
  flag_list flags;
  std::optional<std::uint64_t> unchanged_since;  // RFC 7162 §3.1.3
  friend bool operator==(const store&, const store&) = default;
};
struct copy {
  bool uid = false;
  sequence_set set;
  std::string mailbox;
  friend bool operator==(const copy&, const copy&) = default;
};
struct move {  // RFC 6851
  bool uid = false;
  sequence_set set;
  std::string mailbox;
  friend bool operator==(const move&, const move&) = default;
};
struct idle { friend bool operator==(const idle&, const idle&) = default; };
struct id {  // RFC 2971; NIL gives no pairs
  std::vector<std::pair<std::string, std::optional<std::string>>> params;
  friend bool operator==(const id&, const id&) = default;
};
struct getquota {  // RFC 9208
  std::string root;
  friend bool operator==(const getquota&, const getquota&) = default;
};
struct getquotaroot {
  std::string mailbox;
  friend bool operator==(const getquotaroot&, const getquotaroot&) = default;
};

}  // namespace cmd

using command_body =
    std::variant<cmd::capability, cmd::noop, cmd::logout, cmd::starttls, cmd::authenticate, cmd::login, cmd::enable,
                 cmd::select, cmd::create, cmd::delete_mailbox, cmd::rename, cmd::subscribe, cmd::unsubscribe,
                 cmd::list, cmd::lsub, cmd::namespace_query, cmd::status, cmd::append, cmd::check, cmd::close,
                 cmd::unselect, cmd::expunge, cmd::search, cmd::sort, cmd::fetch, cmd::store, cmd::copy, cmd::move,
                 cmd::idle, cmd::id, cmd::getquota, cmd::getquotaroot>;

struct parsed_command {
  errc error = errc::ok;
  std::string tag;   // empty when no valid tag could be read
  std::string name;  // upper-cased command name ("UID FETCH"), when read; for logs and metrics
  command_body body;
};

parsed_command parse_command(std::string_view text, const parse_options& options = {});

// IDLE ends with a "DONE" line (RFC 2177 §3), any case.
bool is_idle_done(std::string_view line);
// A SASL exchange is cancelled by a "*" line (RFC 3501 §6.2.2).
bool is_sasl_cancel(std::string_view line);

// Canonical spelling of the five system flags and \Recent, any case in; other flags unchanged. RFC 3501 §2.3.2.
std::string canonical_flag(std::string_view flag);
// flag = "\Answered" / ... / flag-keyword / flag-extension ("\" atom). `allow_wildcard`: "\*" (flag-perm).
bool is_valid_flag(std::string_view flag, bool allow_wildcard = false);

}  // namespace mssgw::imap::proto
