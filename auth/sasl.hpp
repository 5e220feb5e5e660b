// SASL server mechanisms for SMTP AUTH (RFC 4954) and IMAP AUTHENTICATE (RFC 3501 §6.2.2, RFC 4959), as
// incremental state machines: no I/O, no storage access of their own, no clock of their own.
//
// Wire handling stays in the sessions: they decode each client line (codec.hpp: decode_initial_response,
// decode_continuation; or their own decoder, e.g. smtp::proto::parse_auth_response), turn "*" into cancel(), feed
// the DECODED bytes to start()/step(), and base64-encode the challenge bytes they get back ("334 " / "+ ").
//
//   auto m = sasl::make_mechanism("XOAUTH2", ctx);          // null: unknown or not offered in this session
//   sasl::outcome o = m->start(initial_response, now);      // nullopt when the command carried none
//   while (o.state == sasl::status::challenge) o = (line is "*") ? m->cancel() : m->step(decoded_line, now);
//   success: o.who, o.authzid, o.bal; failure: o.error, o.kind, o.log_reason, o.throttle_identity
//
// Mechanisms (all client-first: without an initial response the first challenge is empty, RFC 4422 §5):
// - XOAUTH2 (Google's format): "user=" addr ^A "auth=Bearer " token ^A ^A. On a token failure the server sends the
//   challenge {"status":"401","schemes":"bearer","scope":...}; the client answers with an empty response; then the
//   exchange fails. user= is the requested authorization identity (a BAL address, usually).
// - OAUTHBEARER (RFC 7628 §3.1): GS2 header "n," or "y," with an optional "a=" authzid (saslname escapes =2C =3D),
//   then ^A-separated key=value pairs (auth required; host, port and others ignored), ended by ^A ^A. Channel
//   binding ("p=") is refused. On a token failure the challenge is {"status":"invalid_token",...} (§3.2.2); the
//   client answers ^A; then the exchange fails.
// - EXTERNAL (RFC 4422 App. A): the identity of the verified client certificate (certificate_facts): an idNat makes
//   a professional, otherwise an organisation "dn:<subject DN>". The response is the authzid (may be empty).
// - PLAIN (RFC 4616), only when [auth] plain_enabled and a users file is loaded: authzid NUL authcid NUL passwd;
//   authcid is an idNat (professional) or a BAL address (local user).
// Any non-empty authorization identity goes through context::authorize (rights.hpp authorize(), run by the session
// on a short read transaction; see storage_authorizer()); without one, only the identity itself is accepted.
//
// Sessions: accept AUTH lines of at least 12,288 octets (RFC 4954 §4; enough for [auth] token_max_size's default);
// wipe the decoded PLAIN response once fed (OPENSSL_cleanse); IMAP LOGIN (after STARTTLS, when PLAIN is enabled)
// runs the PLAIN mechanism on plain_message("", user, password).
//
// Outcomes carry the client's generic text apart from the log's precise reason (STYLE.md habit 9): tokens and
// passwords are never copied into an outcome. A mechanism object serves one exchange; it is not thread-safe (one
// session owns it); its context members are shared immutable objects.
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/errc.hpp"
#include "auth/identity.hpp"
#include "auth/jwt.hpp"
#include "auth/limiter.hpp"
#include "auth/password_file.hpp"
#include "auth/rights.hpp"

namespace mssgw::storage {
class kv_store;
}

namespace mssgw::auth::sasl {

enum class status : std::uint8_t { challenge, success, failure };

// How a session answers a failure (smtp_reply / imap_reply below).
enum class failure_class : std::uint8_t {
  cancelled,      // client sent "*"
  malformed,      // syntax of the response
  credentials,    // token, password or certificate refused
  authorization,  // authenticated, but the requested authorization identity is not allowed
  temporary,      // blocked by the limiter (try later)
  unavailable,    // mechanism not offered here
};

struct outcome {
  status state = status::failure;
  mechanism_kind mechanism = mechanism_kind::plain;  // set by the mechanism on every outcome
  std::string challenge;  // challenge: raw bytes for the session to base64-encode (may be empty)
  // success
  std::optional<identity> who;
  std::string authzid;  // as requested by the client (may be empty); already authorized
  std::string bal;      // the normalised BAL address when authzid named one
  std::string client;   // bearer tokens: the token's azp (the software), for the log
  // failure
  errc error{};
  failure_class kind = failure_class::credentials;
  std::string log_reason;         // precise, safe for logs
  std::string throttle_identity;  // identity to count this failure against (limiter.hpp), or empty

  bool ok() const { return state == status::success; }
};

struct authz_answer {
  bool allowed = false;
  std::string bal;
  std::string log_reason;
};
// Decides whether `who` may act as `authzid` (non-empty). Sessions use storage_authorizer(); tests use lambdas.
using authorizer = std::function<authz_answer(const identity& who, std::string_view authzid)>;
// An authorizer that opens a short read transaction on `store` and applies rights.hpp authorize(). `store` must
// outlive the mechanisms that use it.
authorizer storage_authorizer(storage::kv_store& store);

// What a mechanism may use. Cheap to copy (shared pointers to immutable objects).
struct context {
  std::shared_ptr<const token_verifier> tokens;  // XOAUTH2, OAUTHBEARER (null: not offered)
  std::shared_ptr<const user_db> users;          // PLAIN (null: not offered)
  bool plain_enabled = false;
  std::optional<certificate_facts> certificate;  // EXTERNAL (nullopt: no client certificate)
  authorizer authorize;                          // for non-empty authorization identities
  std::string scope = "openid";                  // in the bearer error challenges
  std::string openid_configuration;              // OAUTHBEARER error challenge (RFC 7628 §3.2.2), may be empty
  std::size_t max_response = 10 * 1024;  // any single response over this fails (response_too_large)
};

class mechanism {
 public:
  virtual ~mechanism() = default;
  virtual mechanism_kind kind() const = 0;
  std::string_view name() const { return to_string(kind()); }

  // First step: the initial response (decoded) if the command carried one, else an empty challenge.
  outcome start(std::optional<std::string_view> initial_response, clock::time_point now);
  // Next step, with the client's decoded response to the last challenge.
  outcome step(std::string_view response, clock::time_point now);
  // The client sent "*".
  outcome cancel();
  bool finished() const { return finished_; }

 protected:
  explicit mechanism(context ctx) : ctx_(std::move(ctx)) {}
  // One response of the exchange (size already checked).
  virtual outcome respond(std::string_view response, clock::time_point now) = 0;

  // Authorizes `authzid` for `who` (context::authorize, or only the identity itself without one) and returns
  // success, or an authorization failure counted against `who`.
  outcome authorized(identity who, std::string authzid, std::string client = {});
  static outcome failure(errc e, failure_class kind, std::string log_reason, std::string throttle_identity = {});
  static outcome challenge(std::string bytes);

  context ctx_;

 private:
  bool started_ = false;
  bool finished_ = false;
};

// A mechanism for this session, or null when `name` is unknown or not offered by `ctx` (PLAIN disabled or without
// users, no token verifier, no verified certificate for EXTERNAL).
std::unique_ptr<mechanism> make_mechanism(std::string_view name, const context& ctx);
// The mechanisms `ctx` offers, in advertising order (EHLO AUTH / CAPABILITY AUTH=): XOAUTH2 OAUTHBEARER EXTERNAL
// PLAIN. `tls` false offers nothing: credentials never cross the network in clear.
std::vector<std::string_view> offered(const context& ctx, bool tls);

// The session's side of throttling (limiter.hpp), so SMTP and IMAP apply the same rules:
//
//   auto key = failure_limiter::address_key(peer_address);
//   auto gate = sasl::admit(limiter, key, now);        // at AUTH/AUTHENTICATE, before reading credentials
//   if (!gate.accepted) { wait gate.delay; reply smtp_reply(gate.kind); }     // blocked address: 454 / NO
//   [UNAVAILABLE]
//   ... run the exchange to its final outcome o ...
//   auto end = sasl::conclude(limiter, key, o, now);
//   wait end.delay; log end.log_reason (and o.who->describe()); then
//   end.accepted ? authenticated as *o.who : reply smtp_reply(end.kind) / imap_reply(end.kind)
//
// conclude(): a failure is counted against the address and o.throttle_identity (cancels are not counted, nor
// delayed); a success resets the identity's counter, unless the identity is blocked: then it is refused as
// temporary, exactly like a failure would be, so a blocked account cannot be used to test passwords. Every final
// outcome also counts in mssgw_auth_attempts_total{mechanism,result}.
struct conclusion {
  bool accepted = false;
  std::chrono::milliseconds delay{0};               // wait this long before answering
  failure_class kind = failure_class::credentials;  // how to answer when !accepted
  std::string log_reason;                           // empty when accepted
  throttle_decision throttle;
};
conclusion admit(failure_limiter& limiter, std::string_view address_key, clock::time_point now);
conclusion conclude(failure_limiter& limiter, std::string_view address_key, const outcome& o, clock::time_point now);

// Replies for a failure: SMTP (RFC 4954 §6) and IMAP (RFC 5530 response codes).
struct smtp_reply_text {
  int code;
  std::string_view enhanced;
  std::string_view text;
};
smtp_reply_text smtp_reply(failure_class kind);
struct imap_reply_text {
  bool bad;               // tagged BAD (syntax, cancel) rather than NO
  std::string_view code;  // "AUTHENTICATIONFAILED", "AUTHORIZATIONFAILED", "UNAVAILABLE", "CANNOT" or empty
  std::string_view text;
};
imap_reply_text imap_reply(failure_class kind);

// RFC 4616 message for IMAP LOGIN: authzid NUL user NUL password.
std::string plain_message(std::string_view authzid, std::string_view user, std::string_view password);

// The bytes of the bearer error challenges (exposed for tests and clients' documentation).
std::string xoauth2_error_challenge(std::string_view scope);
std::string oauthbearer_error_challenge(std::string_view scope, std::string_view openid_configuration);

}  // namespace mssgw::auth::sasl
