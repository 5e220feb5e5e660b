// One SMTP server session (RFC 5321), MX or submission, as a plain state machine that does no I/O (STYLE.md
// habit 3). The driver (connection.hpp) owns the socket: it sends greeting(), then repeatedly calls
// feed(buffered input) and does what the returned step says:
//
//   read       send `out`, read more input, call feed() again with the unconsumed bytes plus the new ones
//   start_tls  send `out` (the 220 reply), run the TLS handshake, call tls_started(), then feed() again
//   commit     send `out`, make pending() durable (storage writer), call committed(), then feed() again
//   delay      wait `delay`, then call resume() (throttled authentication failures), then feed() again
//   close      send `out` and close the connection
//
// Replies to pipelined commands accumulate in `out` until the session needs more input (RFC 2920 §3.1).
// State is a type: the phase is a variant (commands, message data, BDAT chunk, SASL exchange, closed), and the
// mail transaction is an optional that RSET, EHLO and STARTTLS clear.
//
// Not thread-safe: one session per connection, driven by one coroutine.
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <variant>
#include <vector>

#include "common/log.hpp"
#include "smtp/proto/command.hpp"
#include "smtp/proto/data_reader.hpp"
#include "smtp/proto/line_reader.hpp"
#include "smtp/server/policy.hpp"

namespace mssgw::storage {
class write_txn;
}

namespace mssgw::smtp::server {

// Port 25 for other operators, 587 (STARTTLS) and 465 (implicit TLS) for mail clients and practice software.
enum class listener_kind : std::uint8_t { mx, submission, submissions };
std::string_view name(listener_kind k);

struct session_settings {
  listener_kind kind = listener_kind::mx;
  std::string hostname = "localhost";
  std::uint64_t max_message_size = 25ull * 1024 * 1024;  // the MSSanté citizen limit; operators often use this
  std::size_t max_recipients = 100;                       // RFC 5321 §4.5.3.1.8: at least 100
  int max_errors = 10;                                    // then 421 and close (Postfix: smtpd_hard_error_limit)
  int max_auth_failures = 3;                              // then 421 and close
  bool tls_offered = true;                                // STARTTLS (a server certificate is configured)
  bool chunking = true;                                   // RFC 3030 BDAT
  // Clock for the Received header (tests inject a fixed one).
  std::function<std::chrono::system_clock::time_point()> now = [] { return std::chrono::system_clock::now(); };
};

struct peer_facts {
  std::string address;  // client IP, textual
  std::uint16_t port = 0;
  std::string session_id;
};

// An accepted message waiting for its durable commit.
struct pending_message {
  std::string id;  // 16 hex digits: the queue id given in the 250 reply and the Received header
  std::string sender;  // normalised reverse-path; empty for <>
  proto::mail_params params;
  struct recipient {
    routed_recipient route;
    proto::rcpt_params params;
  };
  std::vector<recipient> recipients;
  std::string content;  // the Received header followed by the message as received (dot-unstuffed)
  std::optional<authenticated> submitted_by;
  // State changes the policy attaches (citizen conversations), run in the commit's write unit after delivery, so
  // they are durable exactly when the 250 is. Must be re-runnable (storage/kv.hpp). May be empty.
  std::function<std::error_code(storage::write_txn&, std::int64_t now_ms)> also;
};

struct step {
  enum class kind { read, start_tls, commit, delay, close } next = kind::read;
  std::size_t consumed = 0;             // bytes of the input the driver must drop
  std::chrono::milliseconds delay{0};   // kind::delay
};

class session {
 public:
  session(session_settings settings, policy& pol, peer_facts peer);

  // "220 <hostname> ESMTP" (or 421 when refusing service from the start).
  std::string greeting() const;
  // Consumes input, appends replies to `out`, and says what to do next.
  step feed(std::string_view input, std::string& out);

  // After a successful handshake (STARTTLS, or at once for implicit TLS).
  void tls_started(tls_facts facts);
  const tls_facts& tls() const { return tls_; }

  // The message to commit after step::commit; committed() takes the outcome and appends the reply.
  std::shared_ptr<const pending_message> pending() const { return pending_; }
  void committed(std::error_code ec, std::string& out);
  // After step::delay.
  void resume(std::string& out);

  // Replies for the driver's own reasons, after which it closes (RFC 5321 §4.5.3.2, §3.8).
  std::string timeout_reply() const;
  std::string shutdown_reply() const;

  // Inside DATA or a BDAT chunk: the driver applies the data-block timeout rather than the command timeout.
  bool in_message_data() const {
    return std::holds_alternative<data_phase>(phase_) || std::holds_alternative<bdat_phase>(phase_);
  }
  const log::context& log() const { return log_; }
  std::uint64_t messages_accepted() const { return messages_accepted_; }

 private:
  struct transaction {
    proto::path sender;
    proto::mail_params params;
    std::vector<pending_message::recipient> recipients;
    std::string body;
    std::optional<proto::bdat_reader> bdat;  // from the first BDAT on (it spans chunks: a CR may end one)
  };
  struct command_phase {};
  struct data_phase {
    proto::data_reader reader;
  };
  struct bdat_phase {
    proto::bdat_reader discard_reader;  // used when the chunk is read in full but refused (RFC 3030 §2)
    bool discard = false;
    int refusal_code = 0;      // with discard: the reply to give
    std::string refusal_enhanced, refusal_text;
  };
  struct sasl_phase {
    std::unique_ptr<sasl_exchange> exchange;
    std::string mechanism;
  };
  struct closed_phase {};
  using phase = std::variant<command_phase, data_phase, bdat_phase, sasl_phase, closed_phase>;

  step on_line(std::string_view line, std::string& out);
  step on_command(const proto::command_result& parsed, std::string& out);
  step on_ehlo(const proto::ehlo_command& c, std::string& out);
  step on_mail(const proto::mail_command& c, std::string& out);
  step on_rcpt(const proto::rcpt_command& c, std::string& out);
  step on_data(std::string& out);
  step on_bdat(const proto::bdat_command& c, std::string& out);
  step on_starttls(bool input_pending, std::string& out);
  step on_auth(const proto::auth_command& c, std::string& out);
  step on_sasl_line(std::string_view line, std::string& out);
  step sasl_result(sasl_step s, std::string& out);
  step finish_message(proto::errc verdict, std::string& out);

  // Sends an error reply and counts it; past max_errors, says 421 and closes.
  step refuse(int code, std::string_view enhanced, std::string_view text, std::string_view reason, std::string& out);
  void reply(int code, std::string_view enhanced, std::string_view text, std::string& out) const;
  proto::extensions advertised() const;
  void reset_transaction();
  std::string received_header(const std::string& id) const;

  session_settings settings_;
  policy& policy_;
  peer_facts peer_;
  log::context log_;
  proto::line_reader lines_;
  phase phase_ = command_phase{};
  std::optional<std::string> helo_;
  bool extended_ = false;  // EHLO rather than HELO
  tls_facts tls_;
  std::optional<authenticated> auth_;
  std::optional<transaction> txn_;
  std::shared_ptr<pending_message> pending_;
  int errors_ = 0;
  int auth_failures_ = 0;
  std::string delayed_reply_;  // sent by resume() after a throttling delay
  bool close_after_delay_ = false;
  std::uint64_t messages_accepted_ = 0;
};

// A new 16-hex-digit message id (random 64 bits).
std::string new_message_id();

}  // namespace mssgw::smtp::server
