// Internal to imap/proto: a cursor over parsed argument values and the typed extractors the command parsers
// share (astring, mailbox, numbers, sequence sets, flag lists). Not for use outside imap/proto.
//
// Pure; thread-safe.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "imap/proto/command.hpp"
#include "imap/proto/value.hpp"

namespace mssgw::imap::proto::detail {

bool iequals(std::string_view a, std::string_view b);
std::string upper(std::string_view s);

class args {
 public:
  // Values are handed out mutable so that parsers can move large strings (APPEND literals) out of them.
  explicit args(std::vector<value>& v) : v_(&v) {}
  bool done() const { return i_ == v_->size(); }
  value* peek() const { return done() ? nullptr : &(*v_)[i_]; }
  value* next() { return done() ? nullptr : &(*v_)[i_++]; }
  // The next value is the atom `kw` (any case).
  bool peek_keyword(std::string_view kw) const {
    const value* v = peek();
    return v != nullptr && v->k == value::kind::atom && iequals(v->text, kw);
  }
  bool next_keyword(std::string_view kw) {
    if (!peek_keyword(kw)) return false;
    ++i_;
    return true;
  }

 private:
  std::vector<value>* v_;
  std::size_t i_ = 0;
};

constexpr std::uint64_t max_number = 0xffffffffULL;          // RFC 3501 §9 number
constexpr std::uint64_t max_number64 = 0x7fffffffffffffffULL;  // RFC 9051 §9 number64, RFC 7162 mod-sequence-value

// astring (RFC 3501 §9): an atom of ASTRING-CHARs, or a string.
errc as_astring(const value* v, std::string& out);
// string (quoted or literal) only.
errc as_string(const value* v, std::string& out);
// nstring: a string or NIL.
errc as_nstring(const value* v, std::optional<std::string>& out);
// mailbox: astring, decoded to UTF-8, "INBOX" normalised.
errc as_mailbox(const value* v, const parse_options& o, std::string& out);
// list-mailbox (LIST/LSUB patterns and reference): atom with "%" "*" "]" allowed, or a string; decoded.
errc as_list_mailbox(const value* v, const parse_options& o, std::string& out);
errc as_number(const value* v, std::uint64_t max, bool nonzero, std::uint64_t& out);
errc as_number32(const value* v, bool nonzero, std::uint32_t& out);
errc as_sequence_set(const value* v, sequence_set& out, bool allow_saved = true, bool allow_star = true);
// flag-list = "(" [flag *(SP flag)] ")"
errc as_flag_list(const value* v, flag_list& out);
// A search date: date-text as an atom or in DQUOTEs (RFC 3501 §9 date).
errc as_date(const value* v, date& out);

// Command parsers (one group per file).
errc parse_fetch_cmd(args& a, const parse_options& o, bool uid, command_body& out);
errc parse_store_cmd(args& a, const parse_options& o, bool uid, command_body& out);
errc parse_search_cmd(args& a, const parse_options& o, bool uid, command_body& out);
errc parse_sort_cmd(args& a, const parse_options& o, bool uid, command_body& out);
errc parse_select_cmd(args& a, const parse_options& o, bool read_only, command_body& out);
errc parse_create_cmd(args& a, const parse_options& o, command_body& out);
errc parse_list_cmd(args& a, const parse_options& o, command_body& out);
errc parse_lsub_cmd(args& a, const parse_options& o, command_body& out);
errc parse_status_cmd(args& a, const parse_options& o, command_body& out);
errc parse_append_cmd(args& a, const parse_options& o, command_body& out);

}  // namespace mssgw::imap::proto::detail
