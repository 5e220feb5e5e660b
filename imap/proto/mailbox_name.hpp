// Mailbox name encodings: modified UTF-7 (RFC 3501 §5.1.3) for IMAP4rev1 clients, UTF-8 for IMAP4rev2
// (RFC 9051 §5.1) and UTF8=ACCEPT (RFC 6855 §3). Internally, mailbox names are always UTF-8.
//
// decode_mailbox() turns what the client sent into the internal UTF-8 name; encode_mailbox() does the reverse for
// responses (LIST, LSUB, STATUS). Both refuse what they cannot round-trip: invalid or non-canonical modified
// UTF-7, invalid UTF-8, and control characters (C0, DEL and C1), which a mailbox name never needs.
// "INBOX" is case-insensitive (RFC 3501 §5.1): normalise_inbox() spells it "INBOX" (and "inbox/x" as "INBOX/x"
// when the hierarchy delimiter is given).
//
// Pure functions; thread-safe.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace mssgw::imap::proto {

// Well-formed UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF.
bool is_valid_utf8(std::string_view s);

// Modified UTF-7 (RFC 3501 §5.1.3) -> UTF-8. nullopt if invalid: an octet outside 0x20..0x7e, an unterminated or
// empty shift other than "&-", a non-zero padding, an unpaired surrogate, a shift encoding a printable ASCII
// character, two adjacent shifts, or a decoded control character.
std::optional<std::string> mutf7_decode(std::string_view s);

// UTF-8 -> modified UTF-7. nullopt if `utf8` is not valid UTF-8 or holds a control character.
std::optional<std::string> mutf7_encode(std::string_view utf8);

// The client's spelling -> internal UTF-8. `utf8_mode`: IMAP4rev2 or UTF8=ACCEPT is enabled: the name is taken
// as UTF-8 and "&" has no special meaning (RFC 6855 §3).
std::optional<std::string> decode_mailbox(std::string_view wire, bool utf8_mode);

// Internal UTF-8 -> what we send (modified UTF-7 unless utf8_mode). nullopt if the name is not valid UTF-8.
std::optional<std::string> encode_mailbox(std::string_view name, bool utf8_mode);

// "inbox" (any case) -> "INBOX"; with a delimiter, also the INBOX prefix of "inbox<delim>child".
std::string normalise_inbox(std::string name, char delimiter = '\0');

}  // namespace mssgw::imap::proto
