// One outbound SMTP session (RFC 5321 client side, with RFC 3207 STARTTLS, RFC 2920 PIPELINING, RFC 1870 SIZE,
// RFC 6152 8BITMIME, RFC 6531 SMTPUTF8 and RFC 3461 DSN) as a plain state machine that does no I/O (STYLE.md
// habit 3). The driver (delivery.hpp) owns the socket and calls, in a loop:
//
//   step s = c.feed(input, out);   // input: bytes received and not yet consumed; out: bytes to send
//   erase s.consumed bytes from input; send `out`; then by s.next:
//     read       read more (with the timeout s.timeout) and feed again
//     start_tls  run the TLS handshake, check the server certificate (trust space), call tls_ready(verdict)
//     close      close the connection: results() are final
//     park       results() are final and the connection is clean and idle (settings::park): keep it for the next
//                message to the same destination (connection_cache, delivery.hpp), or send QUIT and close
//   On a read/write error, a timeout or a failed handshake: call io_failed(); results() are then final.
//
// The session refuses to go on in plaintext: no STARTTLS in the EHLO reply is a temporary failure (mssante/README
// §7 decision 3). Replies that apply to every recipient (greeting, EHLO, MAIL, DATA, end of data) give each pending
// recipient that reply; RCPT replies are per recipient. 2xx delivered, 5xx failed, anything else deferred. A failure
// on the first read after the TLS handshake is reported as our client certificate being refused (TLS 1.3 sends
// that alert after the handshake, deps.md §1.6).
//
// Connection reuse (settings::park, as Postfix's connection cache): at the end of a transaction the conversation
// sends RSET instead of QUIT; its 250 parks the session. A conversation built from a parked session's extensions
// starts at MAIL FROM (the first feed() sends it); if the connection turns out to be dead before MAIL is answered,
// stale() says so and the driver delivers over a new connection instead (nothing was sent that could count).
//
// retry_elsewhere(): true when the session ended before any MAIL command was answered (connection, greeting, EHLO,
// STARTTLS, TLS or trust-space failure): the driver then tries the next MX address (RFC 5321 §5.1).
//
// Not thread-safe; one per connection.
#pragma once
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "smtp/client/timeouts.hpp"
#include "smtp/proto/reply.hpp"

namespace mssgw::smtp::client {

// What a server advertised in its EHLO reply.
struct server_extensions {
  bool starttls = false;
  bool pipelining = false;
  bool size = false;
  std::uint64_t max_size = 0;  // 0: no limit given
  bool eightbitmime = false;
  bool dsn = false;
  bool smtputf8 = false;
  bool chunking = false;
  bool enhancedstatuscodes = false;
};
server_extensions parse_ehlo(const proto::reply& r);

struct envelope {
  struct recipient {
    std::string address;
    std::uint8_t notify = 0;  // storage::notify_bits; 0: NOTIFY not given
    std::string orcpt;        // "addr-type;address" decoded, or empty
  };
  std::string sender;  // empty: the null reverse-path
  std::string envid;   // decoded; empty: none
  bool ret_full = false;
  std::vector<recipient> recipients;
};

enum class outcome : std::uint8_t { delivered, deferred, failed };

struct recipient_result {
  outcome result = outcome::deferred;
  std::uint16_t code = 0;  // the reply code (remote), or the code we chose for a local reason
  std::string enhanced;    // RFC 3463 status: from the reply, else derived from the code
  std::string diagnostic;  // "smtp; 550 5.1.1 text" (remote reply) or "x-mssgw; text" (local reason)
  bool final = false;      // set once this recipient's result is known for this session
};

struct step {
  enum class kind : std::uint8_t { read, start_tls, close, park } next = kind::read;
  std::size_t consumed = 0;
  timeout_kind timeout = timeout_kind::command;
};

// The result of the trust-space check after the handshake.
struct tls_verdict {
  bool accept = true;
  int code = 451;
  std::string enhanced = "4.7.1";
  std::string reason;  // for the diagnostic and the log
};

enum class io_error : std::uint8_t { connect, closed, timeout, tls_handshake, other };

class conversation {
 public:
  struct settings {
    std::string helo_name = "localhost";
    proto::reply_limits limits{};
    bool park = false;  // end transactions with RSET and park the session, instead of QUIT
  };
  // `body` is the message (CRLF line ends); it is shared, not copied, until DATA.
  conversation(settings s, envelope env, std::shared_ptr<const std::string> body);
  // A new transaction on a parked session (TLS active, `server` as its EHLO over TLS said): the first feed()
  // sends MAIL FROM.
  conversation(settings s, envelope env, std::shared_ptr<const std::string> body, const server_extensions& server);

  step feed(std::string_view input, std::string& out);
  // After the handshake: `verdict` says whether the server's certificate is acceptable for the domain. Returns the
  // next step (send `out`, then read).
  step tls_ready(const tls_verdict& verdict, std::string& out);
  // The connection failed (see io_error); `detail` is the system's text. Every recipient without a result is
  // deferred; the session is done (nothing more is sent on a broken connection).
  void io_failed(io_error kind, std::string_view detail);

  const std::vector<recipient_result>& results() const { return results_; }
  bool retry_elsewhere() const { return !mail_answered_; }
  bool done() const { return phase_ == phase::done; }
  // The session is parked: results are final and the connection may carry another transaction.
  bool parked() const { return phase_ == phase::parked; }
  // A resumed session whose connection failed before MAIL was answered, or whose MAIL got 421 (the server closed
  // the idle session, RFC 5321 §3.8): nothing was delivered; use a new connection.
  bool stale() const { return resumed_ && ((io_failed_ && !mail_answered_) || closed_while_parked_); }
  // The first read after the handshake failed: the server most likely refused our client certificate.
  bool client_certificate_refused() const { return certificate_refused_; }
  const server_extensions& extensions() const { return ext_; }
  bool tls_active() const { return tls_active_; }
  // The phase name for logs ("greeting", "ehlo", "starttls", "mail", "rcpt", "data", "dot", "quit", ...).
  std::string_view phase_name() const;

 private:
  enum class phase : std::uint8_t {
    greeting, ehlo, starttls, handshake, ehlo_tls, resume, mail, rcpt, data, dot, dot_discard, rset, parked, quit, done
  };
  step on_reply(const proto::reply& r, std::string& out);
  void send_mail(std::string& out);
  std::string mail_command() const;
  std::string rcpt_command(const envelope::recipient& r) const;
  void send_body(std::string& out);
  void quit(std::string& out);
  // The transaction is over (every result known): RSET to park the session, or QUIT.
  void end_transaction(std::string& out);
  // The checks before MAIL (RFC 1870 SIZE, RFC 6531), then MAIL (and the pipelined RCPTs and DATA).
  void start_transaction(std::string& out);
  // Gives every recipient without a final result this outcome.
  void settle_all(outcome o, std::uint16_t code, std::string enhanced, std::string diagnostic);
  void settle_all_with(const proto::reply& r);
  void settle(std::size_t i, const proto::reply& r);
  step next_read(std::size_t consumed) const;
  bool any_accepted() const;

  settings settings_;
  envelope env_;
  std::shared_ptr<const std::string> body_;
  proto::reply_parser parser_;
  phase phase_ = phase::greeting;
  server_extensions ext_;
  bool tls_active_ = false;
  bool first_read_after_tls_ = false;
  bool certificate_refused_ = false;
  bool mail_answered_ = false;
  bool resumed_ = false;
  bool closed_while_parked_ = false;
  bool io_failed_ = false;
  bool pipelined_ = false;
  bool mail_ok_ = false;
  std::size_t next_rcpt_ = 0;  // next recipient whose RCPT reply is expected
  std::vector<bool> accepted_;
  std::vector<recipient_result> results_;
};

// "smtp; 550 5.1.1 text" for a reply: the Diagnostic-Code value of RFC 3464 §2.3.6.
std::string diagnostic_of(const proto::reply& r);
// The enhanced status of a reply, or "2.0.0" / "4.0.0" / "5.0.0" from its code (RFC 3463 §3.1).
std::string status_of(const proto::reply& r);

}  // namespace mssgw::smtp::client
