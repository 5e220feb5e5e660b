// RFC 5322 address lists (§3.4) as IMAP ENVELOPE addresses (RFC 3501 §7.4.2), parsed here rather than by
// mimetic's typed accessors, which crash on inputs such as "To: :" (deps.md §2, item 2).
//
// parse_address_list() takes a header field's unfolded raw value and returns one proto::address per mailbox, with
// group syntax as RFC 3501 wants it: a start marker (mailbox = group name, host NIL), the members, an end marker
// (everything NIL). Values stay raw: no RFC 2047 decoding (the ENVELOPE carries header text as it is). Tolerant of
// what mail really holds: comments are skipped, a missing domain becomes "MISSING_DOMAIN" and a missing local part
// "MISSING_MAILBOX" (as Dovecot does, so that host NIL keeps meaning "group marker"), unbalanced brackets and
// quotes end the list. At most max_addresses entries are returned.
//
// Pure functions; thread-safe; linear in the input.
#pragma once
#include <cstddef>
#include <string_view>
#include <vector>

#include "imap/proto/message_model.hpp"

namespace mssgw::imap::mime {

inline constexpr std::size_t max_addresses = 1000;

std::vector<proto::address> parse_address_list(std::string_view value);

}  // namespace mssgw::imap::mime
