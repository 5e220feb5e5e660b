// The plain data model of ENVELOPE and BODYSTRUCTURE (RFC 3501 §7.4.2, RFC 9051 §7.5.2), and their writers.
//
// The server fills these structs once per message at delivery (through the guarded mimetic adapter) and stores
// them; write_envelope() / write_body_structure() serialise them for FETCH. Strings are raw header values as the
// RFC asks (no RFC 2047 decoding); an absent value is nullopt (NIL).
//
// write_body_structure() recurses once per nesting level of the tree: the adapter that builds the tree bounds its
// depth (DESIGN.md §5, deps.md: MIME depth), so this writer does not re-check it.
//
// Pure functions; thread-safe.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mssgw::imap::proto {

// RFC 3501 §7.4.2 address: (addr-name addr-adl addr-mailbox addr-host). Group syntax (RFC 2822 §3.4): a start
// marker has host NIL and the group name in `mailbox`; the end marker has mailbox and host NIL.
struct address {
  std::optional<std::string> name;
  std::optional<std::string> adl;
  std::optional<std::string> mailbox;
  std::optional<std::string> host;
  friend bool operator==(const address&, const address&) = default;
};

struct envelope {
  std::optional<std::string> date;
  std::optional<std::string> subject;
  std::vector<address> from, sender, reply_to, to, cc, bcc;  // empty: NIL
  std::optional<std::string> in_reply_to;
  std::optional<std::string> message_id;
  friend bool operator==(const envelope&, const envelope&) = default;
};

// RFC 3501 §7.4.2: an absent or empty Sender or Reply-To takes the value of From.
void apply_default_senders(envelope& e);

using body_params = std::vector<std::pair<std::string, std::string>>;  // empty: NIL

struct body_disposition {
  std::string type;  // "attachment", "inline"
  body_params params;
  friend bool operator==(const body_disposition&, const body_disposition&) = default;
};

struct body_structure {
  std::string type = "text";     // "multipart" makes a multipart body; "message"/"rfc822" (or "global") with
  std::string subtype = "plain"; // message_envelope and one part makes an encapsulated message
  body_params params;            // multipart: its extension parameters (boundary ...)
  std::optional<std::string> id;
  std::optional<std::string> description;
  std::string encoding = "7BIT";
  std::uint64_t size = 0;   // octets of the (encoded) body
  std::uint64_t lines = 0;  // text/* and message/rfc822: lines of the body
  std::optional<std::string> md5;
  std::optional<body_disposition> disposition;
  std::vector<std::string> language;  // empty: NIL
  std::optional<std::string> location;
  std::vector<body_structure> parts;        // multipart children; message/rfc822: parts[0] is the inner body
  std::optional<envelope> message_envelope;  // message/rfc822
  friend bool operator==(const body_structure&, const body_structure&) = default;
};

// `utf8`: UTF-8 may be written in quoted strings (IMAP4rev2 / UTF8=ACCEPT).
void write_address_list(std::string& out, const std::vector<address>& list, bool utf8 = false);
void write_envelope(std::string& out, const envelope& e, bool utf8 = false);
// `extended`: BODYSTRUCTURE (with extension data); false: BODY.
void write_body_structure(std::string& out, const body_structure& b, bool extended, bool utf8 = false);

}  // namespace mssgw::imap::proto
