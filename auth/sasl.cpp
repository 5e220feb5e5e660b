#include "auth/sasl.hpp"

#include <array>
#include <nlohmann/json.hpp>

#include "auth/sasl_mechanisms.hpp"
#include "common/metrics.hpp"
#include "storage/kv.hpp"

namespace mssgw::auth::sasl {

namespace {

outcome tagged(outcome o, mechanism_kind m) {
  o.mechanism = m;
  return o;
}

}  // namespace

outcome mechanism::start(std::optional<std::string_view> initial_response, clock::time_point now) {
  if (started_ || finished_) {
    finished_ = true;
    return tagged(failure(errc::protocol_violation, failure_class::malformed, "start() called twice"), kind());
  }
  started_ = true;
  // RFC 4422 §5 (and RFC 4954 §4): a client-first mechanism without an initial response gets an empty challenge.
  if (!initial_response) return tagged(challenge({}), kind());
  return step(*initial_response, now);
}

outcome mechanism::step(std::string_view response, clock::time_point now) {
  started_ = true;
  if (finished_) {
    return tagged(failure(errc::protocol_violation, failure_class::malformed, "response after the exchange ended"),
                  kind());
  }
  if (response.size() > ctx_.max_response) {
    finished_ = true;
    return tagged(failure(errc::response_too_large, failure_class::malformed,
                          std::string(name()) + " response of " + std::to_string(response.size()) + " bytes"),
                  kind());
  }
  outcome o = respond(response, now);
  if (o.state != status::challenge) finished_ = true;
  return tagged(std::move(o), kind());
}

outcome mechanism::cancel() {
  finished_ = true;
  return tagged(failure(errc::cancelled, failure_class::cancelled, std::string(name()) + " cancelled by the client"),
                kind());
}

outcome mechanism::authorized(identity who, std::string authzid, std::string client) {
  std::string bal;
  if (!authzid.empty()) {
    authz_answer answer;
    if (ctx_.authorize) {
      answer = ctx_.authorize(who, authzid);
    } else {
      answer.allowed = is_self(who, authzid);
      if (!answer.allowed) answer.log_reason = "no authorizer: only the identity itself may be requested";
    }
    if (!answer.allowed) {
      std::string reason = who.describe() + " may not act as the requested authorization identity";
      if (!answer.log_reason.empty()) reason += ": " + answer.log_reason;
      std::string id = who.id;
      return failure(errc::authzid_denied, failure_class::authorization, std::move(reason), std::move(id));
    }
    bal = std::move(answer.bal);
  }
  outcome o;
  o.state = status::success;
  o.who = std::move(who);
  o.authzid = std::move(authzid);
  o.bal = std::move(bal);
  o.client = std::move(client);
  return o;
}

outcome mechanism::failure(errc e, failure_class kind, std::string log_reason, std::string throttle_identity) {
  outcome o;
  o.state = status::failure;
  o.error = e;
  o.kind = kind;
  o.log_reason = std::move(log_reason);
  o.throttle_identity = std::move(throttle_identity);
  return o;
}

outcome mechanism::challenge(std::string bytes) {
  outcome o;
  o.state = status::challenge;
  o.challenge = std::move(bytes);
  return o;
}

authorizer storage_authorizer(storage::kv_store& store) {
  return [&store](const identity& who, std::string_view authzid) {
    auto txn = store.begin_read();  // short: one record read, released before returning
    authz_verdict v = authorize(*txn, who, authzid);
    return authz_answer{v.allowed, std::move(v.bal), std::move(v.log_reason)};
  };
}

std::unique_ptr<mechanism> make_mechanism(std::string_view name, const context& ctx) {
  auto kind = parse_mechanism(name);
  if (!kind) return nullptr;
  switch (*kind) {
    case mechanism_kind::xoauth2: return ctx.tokens ? detail::make_xoauth2(ctx) : nullptr;
    case mechanism_kind::oauthbearer: return ctx.tokens ? detail::make_oauthbearer(ctx) : nullptr;
    case mechanism_kind::external:
      // Offered only with a verified certificate (offered()), but a client may try it anyway: the exchange then
      // fails with a precise reason (no_certificate, certificate_not_verified) rather than "unknown mechanism".
      return detail::make_external(ctx);
    case mechanism_kind::plain: return ctx.plain_enabled && ctx.users ? detail::make_plain(ctx) : nullptr;
  }
  return nullptr;
}

std::vector<std::string_view> offered(const context& ctx, bool tls) {
  std::vector<std::string_view> out;
  if (!tls) return out;
  if (ctx.tokens) {
    out.push_back(to_string(mechanism_kind::xoauth2));
    out.push_back(to_string(mechanism_kind::oauthbearer));
  }
  if (ctx.certificate && ctx.certificate->verified) out.push_back(to_string(mechanism_kind::external));
  if (ctx.plain_enabled && ctx.users) out.push_back(to_string(mechanism_kind::plain));
  return out;
}

namespace {

// mssgw_auth_attempts_total{mechanism,result}: looked up once, then updated lock-free.
constexpr int max_errc = static_cast<int>(errc::duplicate_entry) + 1;
metrics::counter& attempts(mechanism_kind m, errc e) {
  static const auto table = [] {
    std::array<std::array<metrics::counter*, max_errc>, 4> t{};
    for (int mi = 0; mi < 4; ++mi) {
      for (int ei = 0; ei < max_errc; ++ei) {
        std::string labels = "mechanism=\"" + std::string(to_string(static_cast<mechanism_kind>(mi))) + "\",result=\"" +
                             std::string(ei == 0 ? std::string_view("ok") : label(static_cast<errc>(ei))) + "\"";
        t[mi][ei] = &metrics::get_counter("mssgw_auth_attempts_total",
                                          "SASL exchanges by mechanism and result (ok or the refusal reason)", labels);
      }
    }
    return t;
  }();
  int ei = static_cast<int>(e);
  if (ei < 0 || ei >= max_errc) ei = static_cast<int>(errc::protocol_violation);
  return *table[static_cast<int>(m) & 3][ei];
}

}  // namespace

conclusion admit(failure_limiter& limiter, std::string_view address_key, clock::time_point now) {
  conclusion c;
  c.throttle = limiter.check(address_key, "", now);
  c.accepted = !c.throttle.blocked;
  if (!c.accepted) {
    c.kind = failure_class::temporary;
    c.delay = c.throttle.delay;
    c.log_reason = "address " + std::string(address_key) + " blocked: " + std::to_string(c.throttle.ip_failures) +
                   " failures in the window";
  }
  return c;
}

conclusion conclude(failure_limiter& limiter, std::string_view address_key, const outcome& o, clock::time_point now) {
  conclusion c;
  if (o.state == status::challenge) {
    c.kind = failure_class::malformed;
    c.log_reason = "conclude() called before the exchange ended";
    return c;
  }
  if (o.ok()) {
    c.throttle = limiter.check("", o.who->id, now);
    if (c.throttle.blocked) {
      // Same answer and delay as a failure: a blocked account does not confirm a guessed password.
      c.kind = failure_class::temporary;
      c.delay = c.throttle.delay;
      c.log_reason = o.who->describe() + " authenticated but blocked after " +
                     std::to_string(c.throttle.identity_failures) + " failures in the window";
      attempts(o.mechanism, errc::blocked).inc();
      return c;
    }
    limiter.record_success(o.who->id);
    c.accepted = true;
    attempts(o.mechanism, errc{}).inc();
    return c;
  }
  attempts(o.mechanism, o.error).inc();
  c.kind = o.kind;
  c.log_reason = o.log_reason;
  if (o.kind == failure_class::cancelled || o.kind == failure_class::unavailable) return c;
  c.throttle = limiter.record_failure(address_key, o.throttle_identity, now);
  c.delay = c.throttle.delay;
  if (c.throttle.blocked) c.kind = failure_class::temporary;
  return c;
}

smtp_reply_text smtp_reply(failure_class kind) {
  switch (kind) {
    case failure_class::cancelled: return {501, "5.0.0", "Authentication cancelled"};  // RFC 4954 §4
    case failure_class::malformed: return {501, "5.5.2", "Invalid authentication exchange"};
    case failure_class::credentials: return {535, "5.7.8", "Authentication credentials invalid"};  // RFC 4954 §6
    case failure_class::authorization: return {535, "5.7.8", "Authentication credentials invalid"};
    case failure_class::temporary: return {454, "4.7.0", "Temporary authentication failure"};
    case failure_class::unavailable: return {504, "5.5.4", "Unrecognized authentication type"};
  }
  return {535, "5.7.8", "Authentication credentials invalid"};
}

imap_reply_text imap_reply(failure_class kind) {
  switch (kind) {
    case failure_class::cancelled: return {true, "", "Authentication cancelled"};  // RFC 3501 §6.2.2: BAD
    case failure_class::malformed: return {true, "", "Invalid SASL response"};
    case failure_class::credentials: return {false, "AUTHENTICATIONFAILED", "Authentication failed"};  // RFC 5530
    case failure_class::authorization: return {false, "AUTHORIZATIONFAILED", "Authorization failed"};
    case failure_class::temporary: return {false, "UNAVAILABLE", "Temporary authentication failure"};
    case failure_class::unavailable: return {false, "", "Unsupported authentication mechanism"};
  }
  return {false, "AUTHENTICATIONFAILED", "Authentication failed"};
}

std::string plain_message(std::string_view authzid, std::string_view user, std::string_view password) {
  std::string out(authzid);
  out.push_back('\0');
  out.append(user);
  out.push_back('\0');
  out.append(password);
  return out;
}

std::string xoauth2_error_challenge(std::string_view scope) {
  nlohmann::ordered_json j;
  j["status"] = "401";
  j["schemes"] = "bearer";
  j["scope"] = std::string(scope);
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string oauthbearer_error_challenge(std::string_view scope, std::string_view openid_configuration) {
  // RFC 7628 §3.2.2: status (RFC 6750 §3.1 error code), optional scope and openid-configuration.
  nlohmann::ordered_json j;
  j["status"] = "invalid_token";
  if (!scope.empty()) j["scope"] = std::string(scope);
  if (!openid_configuration.empty()) j["openid-configuration"] = std::string(openid_configuration);
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace mssgw::auth::sasl
