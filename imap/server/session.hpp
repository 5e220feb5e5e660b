// One IMAP server session (RFC 3501 IMAP4rev1, RFC 9051 IMAP4rev2 for clients that ENABLE it, and the extensions
// of issue 5) as a plain state machine that does no I/O (STYLE.md habit 3). The driver (service.cpp) owns the
// socket: it sends greeting(), then repeatedly calls feed(buffered input) and does what the returned step says:
//
//   read       send `out`, read more input, call feed() again with the unconsumed bytes plus the new ones
//   flush      send `out` (a long response is produced in pieces), then call feed() again at once
//   start_tls  send `out` (the OK to STARTTLS), run the TLS handshake, call tls_started(), then feed() again
//   commit     send `out`, commit take_unit() through the storage writer, call committed(), then feed() again
//   delay      send `out`, wait `delay` (throttled authentication failure), call resume(), then feed() again
//   close      send `out` and close the connection
//
// While idling() (IDLE, RFC 2177) the driver keeps reading (for DONE) and, when the storage watchers report a
// change of watched_mailbox() or its periodic check fires, calls poll() and sends what it appended.
//
// State is a type: std::variant<not_authenticated, authenticated, selected>, each holding only what is valid there
// (the account once logged in; the mailbox view once selected). The phase (commands, a SASL exchange, IDLE) is a
// second variant. Storage is read through short read transactions inside one call (never across a step); every
// write is a write unit the driver commits through the group-commit writer (DESIGN.md §3).
//
// Not thread-safe: one session per connection, driven by one coroutine on the connection's strand.
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "auth/identity.hpp"
#include "auth/limiter.hpp"
#include "auth/sasl.hpp"
#include "common/log.hpp"
#include "imap/mailbox/view.hpp"
#include "imap/mime/cache.hpp"
#include "imap/proto/command.hpp"
#include "imap/proto/command_reader.hpp"
#include "imap/proto/response.hpp"
#include "imap/server/account.hpp"
#include "storage/kv.hpp"

namespace mssgw::imap::server {

struct session_settings {
  std::string hostname = "localhost";
  bool starttls_offered = false;  // plaintext listener with a server certificate: STARTTLS advertised
  // LOGIN and AUTHENTICATE without TLS. Off in production (LOGINDISABLED before TLS); loopback tests and
  // benchmarks turn it on ([imap] plaintext_auth_loopback, for loopback clients only).
  bool plaintext_auth = false;
  proto::limits preauth_limits{8 * 1024, 16 * 1024, 16 * 1024, 64 * 1024, 8};  // what a stranger can make us buffer
  proto::limits limits;                     // once authenticated; max_literal is APPENDLIMIT
  std::size_t max_mailbox_name = 255;       // octets of a stored mailbox name (storage limit)
  int max_bad_commands = 20;                // then BYE
  int max_auth_failures = 3;                // then BYE
  std::size_t output_chunk = 256 * 1024;    // FETCH output produced per flush step
  std::size_t max_keywords = 64;            // keywords per message (STORE, APPEND)
  mime::limits mime;
};

struct peer_facts {
  std::string address;
  std::uint16_t port = 0;
  std::string session_id;
  bool loopback = false;
};

struct tls_facts {
  bool active = false;
  std::string version;
  std::string cipher;
  std::optional<auth::certificate_facts> certificate;  // EXTERNAL
};

struct session_deps {
  storage::kv_store* store = nullptr;
  // The SASL context for this session (auth::service::context_for with the certificate facts).
  std::function<auth::sasl::context(const std::optional<auth::certificate_facts>&)> sasl;
  auth::failure_limiter* limiter = nullptr;  // null: no throttling
  // Sessions per identity: acquire() says whether one more may start; release() ends one. Null: unlimited.
  std::function<bool(const auth::identity&)> acquire;
  std::function<void(const auth::identity&)> release;
  // Fire-and-forget writes (caches computed lazily). Null: not stored.
  std::function<void(storage::write_unit)> background;
  std::function<auth::clock::time_point()> now = [] { return auth::clock::now(); };
};

struct step {
  enum class kind : std::uint8_t { read, flush, start_tls, commit, delay, close } next = kind::read;
  std::size_t consumed = 0;
  std::chrono::milliseconds delay{0};
};

class session {
 public:
  session(session_settings settings, session_deps deps, peer_facts peer);
  ~session();
  session(const session&) = delete;
  session& operator=(const session&) = delete;

  // "* OK [CAPABILITY ...] <hostname> IMAP4rev1 ready".
  std::string greeting() const;
  step feed(std::string_view input, std::string& out);

  void tls_started(tls_facts facts);
  const tls_facts& tls() const { return tls_; }

  // After step::commit: the unit to commit (once), then its outcome.
  storage::write_unit take_unit();
  void committed(std::error_code ec, std::string& out);
  // After step::delay.
  void resume(std::string& out);

  bool idling() const { return std::holds_alternative<idle_phase>(phase_); }
  // While idling: refresh the view and append the updates. False: the mailbox is gone, a BYE was appended and the
  // driver closes.
  bool poll(std::string& out);
  // The selected mailbox's id (for the storage watchers), 0 when none.
  std::uint64_t watched_mailbox() const;
  bool logged_in() const { return !std::holds_alternative<not_authenticated>(state_); }

  // RFC 9051 §5.4: the autologout timer is at least 30 minutes once authenticated; shorter before.
  std::string timeout_reply() const;
  std::string shutdown_reply() const;
  const log::context& log() const { return log_; }

 private:
  // ---- states --------------------------------------------------------------------------------------------------
  struct not_authenticated {};
  struct authenticated {
    account acct;
  };
  struct selected {
    account acct;
    std::size_t bal = 0;        // index in acct.bals()
    std::string name;           // stored mailbox name
    mailbox::view box;
    bool read_only = false;     // EXAMINE, or no write right on the BAL
  };
  using state = std::variant<not_authenticated, authenticated, selected>;

  // ---- phases --------------------------------------------------------------------------------------------------
  struct command_phase {};
  struct sasl_phase {
    std::string tag;
    std::unique_ptr<auth::sasl::mechanism> mechanism;
  };
  struct idle_phase {
    std::string tag;
  };
  using phase = std::variant<command_phase, sasl_phase, idle_phase>;

  struct pending_write {
    storage::write_unit unit;
    std::function<void(std::error_code, std::string&)> then;
  };

  // ---- dispatch (session.cpp) ----------------------------------------------------------------------------------
  step execute(std::string_view text, std::string& out);
  step dispatch(const std::string& tag, proto::command_body& body, std::string& out);
  step on_sasl_line(std::string_view line, std::string& out);
  step on_idle_line(std::string_view line, std::string& out);
  step bad(std::string_view tag, std::string_view text, std::string_view reason, std::string& out);
  step commit(storage::write_unit unit, std::function<void(std::error_code, std::string&)> then);
  // Ends a command in the selected state: pending updates, then the tagged response.
  void complete(std::string& out, std::string_view tag, proto::status_word w, const proto::response_code& c,
                std::string_view text, bool allow_expunge = true);
  // Reads changes into the view and writes what may be told now; false if the mailbox went away (then the
  // session is back in the authenticated state and a BYE... no: an untagged NO is written; see session.cpp).
  bool sync(std::string& out, bool allow_expunge);
  std::vector<std::string> capabilities() const;
  proto::parse_options parse_options() const;
  account* acct();
  selected* sel() { return std::get_if<selected>(&state_); }
  std::unique_ptr<storage::read_txn> read() const { return deps_.store->begin_read(); }
  // Sequence numbers a set names (sequence numbers or UIDs), "$" resolved. Nothing: answered with BAD already.
  std::optional<std::vector<std::uint32_t>> resolve(const proto::sequence_set& set, bool uid, std::string_view tag,
                                                    std::string& out);
  void deselect(std::string& out, bool closed_code);
  void log_command(std::string_view name, std::string_view tag) const;

  // ---- commands (one file each, imap/server/cmd_*.cpp) ---------------------------------------------------------
  step cmd_capability(const std::string& tag, std::string& out);
  step cmd_noop(const std::string& tag, std::string& out);
  step cmd_logout(const std::string& tag, std::string& out);
  step cmd_id(const std::string& tag, const proto::cmd::id& c, std::string& out);
  step cmd_starttls(const std::string& tag, std::string& out);
  step cmd_authenticate(const std::string& tag, proto::cmd::authenticate& c, std::string& out);
  step cmd_login(const std::string& tag, proto::cmd::login& c, std::string& out);
  step cmd_enable(const std::string& tag, const proto::cmd::enable& c, std::string& out);
  step cmd_select(const std::string& tag, const proto::cmd::select& c, std::string& out);
  step cmd_create(const std::string& tag, const proto::cmd::create& c, std::string& out);
  step cmd_delete(const std::string& tag, const proto::cmd::delete_mailbox& c, std::string& out);
  step cmd_rename(const std::string& tag, const proto::cmd::rename& c, std::string& out);
  step cmd_subscribe(const std::string& tag, const std::string& mailbox, bool subscribe, std::string& out);
  step cmd_list(const std::string& tag, const proto::cmd::list& c, bool lsub, std::string& out);
  step cmd_namespace(const std::string& tag, std::string& out);
  step cmd_status(const std::string& tag, const proto::cmd::status& c, std::string& out);
  step cmd_append(const std::string& tag, proto::cmd::append& c, std::string& out);
  step cmd_idle(const std::string& tag, std::string& out);
  step cmd_close(const std::string& tag, bool expunge, std::string& out);
  step cmd_expunge(const std::string& tag, const proto::cmd::expunge& c, std::string& out);
  step cmd_search(const std::string& tag, const proto::cmd::search& c, std::string& out);
  step cmd_sort(const std::string& tag, const proto::cmd::sort& c, std::string& out);
  step cmd_fetch(const std::string& tag, proto::cmd::fetch& c, std::string& out);
  step cmd_store(const std::string& tag, const proto::cmd::store& c, std::string& out);
  step cmd_copy(const std::string& tag, const proto::sequence_set& set, bool uid, const std::string& mailbox,
                bool move, std::string& out);

  // Authentication (cmd_authenticate.cpp).
  step sasl_outcome(const std::string& tag, auth::sasl::outcome o, std::string& out);
  step login_as(const std::string& tag, const auth::identity& who, const std::string& bal, std::string& out);

  // A client name to (BAL, stored name), with the checks every mailbox command shares (cmd_select.cpp).
  struct target {
    std::size_t bal = 0;
    std::string name;                  // stored name
    std::optional<storage::mailbox_info> info;  // when it exists
  };
  std::optional<target> find_mailbox(const std::string& name, bool must_exist, std::string_view tag,
                                     std::string& out);
  std::vector<std::pair<proto::status_item, std::uint64_t>> status_values(
      const storage::read_txn& txn, const account& a, std::size_t bal, const storage::mailbox_info& info,
      const std::vector<proto::status_item>& items) const;
  std::optional<std::vector<std::uint32_t>> search_matches(const proto::search_key& key, std::string_view charset,
                                                           std::string_view tag, std::string& out,
                                                           std::uint64_t* highest_modseq);

  session_settings settings_;
  session_deps deps_;
  peer_facts peer_;
  log::context log_;
  proto::command_reader reader_;
  state state_ = not_authenticated{};
  phase phase_ = command_phase{};
  tls_facts tls_;
  std::optional<pending_write> pending_;
  std::function<bool(std::string&)> job_;  // a response produced in pieces: returns true when finished
  std::string delayed_reply_;
  bool close_after_delay_ = false;
  bool closing_ = false;
  int bad_commands_ = 0;
  int auth_failures_ = 0;
  std::optional<auth::identity> slot_;  // the per-identity session slot held
  // ENABLE (RFC 5161)
  bool condstore_ = false;
  bool qresync_ = false;
  bool rev2_ = false;
  std::vector<std::uint32_t> saved_uids_;  // SEARCH RETURN (SAVE), RFC 5182
  bool saved_valid_ = false;
};

// A new 12-hex-digit session id.
std::string new_session_id();

}  // namespace mssgw::imap::server
