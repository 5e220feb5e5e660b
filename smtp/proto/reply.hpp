// SMTP replies: the builder the server uses (RFC 5321 §4.2, enhanced status codes RFC 2034 / RFC 3463), the EHLO
// reply for a set of advertised extensions, and the incremental reply parser the client side (outbound
// delivery) uses.
//
// Builder: make_reply(250, "2.1.0", "OK") -> reply; to_wire() gives "250 2.1.0 OK\r\n", or for several lines
// "250-2.1.0 a\r\n250 2.1.0 b\r\n" (the enhanced code on every line, RFC 2034 §4). Texts are sanitised: CR, LF,
// other controls and 8-bit octets become '?' / ' ', and a line is cut so that it fits in 512 octets with its code
// and CRLF (RFC 5321 §4.5.3.1.5). Keep texts short and generic: the log gets the reason.
//
// Parser: reply_parser::next(input) follows the same contract as line_reader (erase `consumed` after every call;
// need_more may consume). It returns one complete reply at a time: code, enhanced code (when the first line
// carries one whose class matches the code; it is then stripped from every line that repeats it) and text lines.
// Limits (constructor): octets per line, lines per reply. Bare LF is an error (we speak to MTAs that send CRLF).
// After an error the parser has consumed the offending line and is reset; a client normally drops the session.
//
// Not thread-safe (reply_parser: one per connection); the free functions are pure.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "smtp/proto/errc.hpp"

namespace mssgw::smtp::proto {

struct reply {
  int code = 0;                    // 200..599
  std::string enhanced;            // "x.y.z" or empty
  std::vector<std::string> lines;  // text of each line, without code and enhanced code; never empty once built

  std::string to_wire() const;
  void append_wire(std::string& out) const;
  // The lines joined with "; " (for logs and DSN diagnostic text).
  std::string text() const;

  friend bool operator==(const reply&, const reply&) = default;
};

reply make_reply(int code, std::string_view enhanced, std::string_view text);
reply make_reply(int code, std::string_view enhanced, std::vector<std::string> lines);
inline reply make_reply(const error_reply& e) {
  return make_reply(e.code, e.enhanced, e.text);
}
// One-line wire form without building a reply object.
std::string format_reply(int code, std::string_view enhanced, std::string_view text);

// True for "c.s.d" with c in {2,4,5}, s and d of 1..3 digits (RFC 3463 §2), no leading zeros beyond one digit.
bool is_enhanced_code(std::string_view s);

// What the server advertises in EHLO; the command parser refuses the parameters of extensions not advertised.
// Defaults: what the MX always offers (DESIGN.md, issue 4); the session turns on STARTTLS (before TLS), AUTH
// (submission), CHUNKING / BINARYMIME / SMTPUTF8 as configured.
struct extensions {
  bool pipelining = true;           // RFC 2920
  bool size = true;                 // RFC 1870
  std::uint64_t max_size = 0;       // the SIZE value; 0 advertises "SIZE" without a fixed limit
  bool eightbitmime = true;         // RFC 6152
  bool enhancedstatuscodes = true;  // RFC 2034
  bool dsn = true;                  // RFC 3461
  bool starttls = false;            // RFC 3207
  std::vector<std::string> auth;    // RFC 4954 mechanisms, e.g. {"XOAUTH2", "OAUTHBEARER"}; empty: no AUTH line
  bool chunking = false;            // RFC 3030
  bool binarymime = false;          // RFC 3030 (only with chunking)
  bool smtputf8 = false;            // RFC 6531
};

// "250-<hostname>" then one line per extension. No enhanced codes: RFC 2034 §3 excludes EHLO replies.
reply ehlo_reply(std::string_view hostname, const extensions& ext);

struct reply_limits {
  std::size_t max_line = 2048;  // octets per line with CRLF; RFC 5321 says 512, servers send more
  std::size_t max_lines = 128;
};

class reply_parser {
 public:
  enum class status : std::uint8_t { need_more, reply, error };
  struct result {
    status st = status::need_more;
    std::size_t consumed = 0;
    errc error = errc::ok;
    struct reply value;  // status::reply
  };

  explicit reply_parser(reply_limits limits = {});
  result next(std::string_view input);
  void reset();

 private:
  reply_limits limits_;
  std::size_t scanned_ = 0;  // bytes of the current partial line already searched for LF
  bool discarding_ = false;  // inside an overlong line
  struct reply partial_;     // lines so far of a multi-line reply
  bool in_reply_ = false;
};

}  // namespace mssgw::smtp::proto
