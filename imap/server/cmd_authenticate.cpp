// STARTTLS (RFC 3501 §6.2.1), AUTHENTICATE (§6.2.2, RFC 4959 SASL-IR) and LOGIN (§6.2.3), through the SASL
// mechanisms and the failure limiter shared with SMTP submission (auth/sasl.hpp).
#include <openssl/crypto.h>

#include "auth/codec.hpp"
#include "imap/server/session.hpp"

namespace mssgw::imap::server {
namespace {

proto::response_code code_of(std::string_view name) {
  return name.empty() ? proto::response_code{} : proto::code::named(name);
}

// RFC 3501 §6.2.2: "+ " then the base64 challenge, which may be empty (proto::write_continuation would put a text
// there, which a client would take for base64).
void write_challenge(std::string& out, std::string_view raw) {
  out += "+ ";
  out += auth::base64_encode(raw);
  out += "\r\n";
}

}  // namespace

step session::cmd_starttls(const std::string& tag, std::string& out) {
  if (tls_.active) return bad(tag, "TLS is already active.", "STARTTLS under TLS", out);
  if (!settings_.starttls_offered) {
    proto::write_tagged(out, tag, proto::status_word::no, proto::code::cannot(), "STARTTLS is not available.");
    return {};
  }
  proto::write_tagged(out, tag, proto::status_word::ok, {}, "Begin TLS negotiation now.");
  return {step::kind::start_tls};
}

void session::tls_started(tls_facts facts) {
  tls_ = std::move(facts);
  reader_.reset();  // nothing sent in clear survives the handshake (RFC 3501 §6.2.1)
  log_.info("imap.tls", {{"version", tls_.version}, {"cipher", tls_.cipher},
                         {"client_certificate", tls_.certificate ? tls_.certificate->subject_dn : std::string()}});
}

step session::cmd_authenticate(const std::string& tag, proto::cmd::authenticate& c, std::string& out) {
  const bool secure = tls_.active || settings_.plaintext_auth;
  if (!secure) {
    proto::write_tagged(out, tag, proto::status_word::no, proto::code::privacyrequired(),
                        "Authentication requires TLS (STARTTLS).");
    return {};
  }
  auto ctx = deps_.sasl ? deps_.sasl(tls_.certificate) : auth::sasl::context{};
  bool offered = false;
  for (auto m : auth::sasl::offered(ctx, secure)) offered = offered || m == c.mechanism;
  std::unique_ptr<auth::sasl::mechanism> mech = offered ? auth::sasl::make_mechanism(c.mechanism, ctx) : nullptr;
  if (!mech) {
    const auto r = auth::sasl::imap_reply(auth::sasl::failure_class::unavailable);
    proto::write_tagged(out, tag, r.bad ? proto::status_word::bad : proto::status_word::no, code_of(r.code), r.text);
    return {};
  }
  if (deps_.limiter) {
    auto gate = auth::sasl::admit(*deps_.limiter, auth::failure_limiter::address_key(peer_.address), deps_.now());
    if (!gate.accepted) {
      log_.warn("imap.auth.blocked", {{"client", peer_.address}, {"reason", gate.log_reason}});
      const auto r = auth::sasl::imap_reply(gate.kind);
      delayed_reply_.clear();
      proto::write_tagged(delayed_reply_, tag, proto::status_word::no, code_of(r.code), r.text);
      return {step::kind::delay, 0, gate.delay};
    }
  }
  auth::sasl::outcome o;
  if (c.initial_response) {
    auto line = auth::decode_initial_response(*c.initial_response);
    if (line.what != auth::client_line::kind::data) {
      const auto r = auth::sasl::imap_reply(auth::sasl::failure_class::malformed);
      proto::write_tagged(out, tag, r.bad ? proto::status_word::bad : proto::status_word::no, code_of(r.code), r.text);
      return {};
    }
    o = mech->start(line.data, deps_.now());
    OPENSSL_cleanse(line.data.data(), line.data.size());
  } else {
    o = mech->start(std::nullopt, deps_.now());
  }
  if (o.state == auth::sasl::status::challenge) {
    write_challenge(out, o.challenge);
    phase_ = sasl_phase{tag, std::move(mech)};
    return {};
  }
  return sasl_outcome(tag, std::move(o), out);
}

step session::on_sasl_line(std::string_view line, std::string& out) {
  auto& ph = std::get<sasl_phase>(phase_);
  const std::string tag = ph.tag;
  std::unique_ptr<auth::sasl::mechanism> mech = std::move(ph.mechanism);
  phase_ = command_phase{};
  auto decoded = auth::decode_continuation(line);
  auth::sasl::outcome o;
  if (decoded.what == auth::client_line::kind::cancel) {
    o = mech->cancel();
  } else if (decoded.what == auth::client_line::kind::invalid) {
    o.state = auth::sasl::status::failure;
    o.mechanism = mech->kind();
    o.kind = auth::sasl::failure_class::malformed;
    o.log_reason = "response is not base64";
  } else {
    o = mech->step(decoded.data, deps_.now());
    OPENSSL_cleanse(decoded.data.data(), decoded.data.size());
  }
  if (o.state == auth::sasl::status::challenge) {
    write_challenge(out, o.challenge);
    phase_ = sasl_phase{tag, std::move(mech)};
    return {};
  }
  return sasl_outcome(tag, std::move(o), out);
}

step session::cmd_login(const std::string& tag, proto::cmd::login& c, std::string& out) {
  struct wipe {
    std::string& s;
    ~wipe() { OPENSSL_cleanse(s.data(), s.size()); }
  } wipe_password{c.password};
  const bool secure = tls_.active || settings_.plaintext_auth;
  if (!secure) {
    // RFC 3501 §6.2.3, §7.2.1: LOGINDISABLED is advertised before TLS.
    proto::write_tagged(out, tag, proto::status_word::no, proto::code::privacyrequired(),
                        "LOGIN requires TLS (STARTTLS).");
    return {};
  }
  auto ctx = deps_.sasl ? deps_.sasl(tls_.certificate) : auth::sasl::context{};
  auto mech = auth::sasl::make_mechanism("PLAIN", ctx);
  if (!mech) {
    proto::write_tagged(out, tag, proto::status_word::no, proto::code::cannot(),
                        "LOGIN is disabled; use AUTHENTICATE.");
    return {};
  }
  if (deps_.limiter) {
    auto gate = auth::sasl::admit(*deps_.limiter, auth::failure_limiter::address_key(peer_.address), deps_.now());
    if (!gate.accepted) {
      log_.warn("imap.auth.blocked", {{"client", peer_.address}, {"reason", gate.log_reason}});
      const auto r = auth::sasl::imap_reply(gate.kind);
      delayed_reply_.clear();
      proto::write_tagged(delayed_reply_, tag, proto::status_word::no, code_of(r.code), r.text);
      return {step::kind::delay, 0, gate.delay};
    }
  }
  std::string message = auth::sasl::plain_message("", c.user, c.password);
  auto o = mech->start(message, deps_.now());
  OPENSSL_cleanse(message.data(), message.size());
  return sasl_outcome(tag, std::move(o), out);
}

step session::sasl_outcome(const std::string& tag, auth::sasl::outcome o, std::string& out) {
  auth::sasl::conclusion end;
  if (deps_.limiter) {
    end = auth::sasl::conclude(*deps_.limiter, auth::failure_limiter::address_key(peer_.address), o, deps_.now());
  } else {
    end.accepted = o.ok();
    end.kind = o.kind;
    end.log_reason = o.log_reason;
  }
  if (end.accepted) {
    log_.info("imap.auth.ok", {{"identity", o.who->describe()}, {"client", peer_.address}});
    return login_as(tag, *o.who, o.bal, out);
  }
  const std::string reason = end.log_reason.empty() ? o.log_reason : end.log_reason;
  log_.info("imap.auth.failed", {{"client", peer_.address}, {"mechanism", auth::to_string(o.mechanism)},
                                 {"reason", reason}});
  if (o.kind != auth::sasl::failure_class::cancelled) {
    log::audit("imap.login.failed", {{"client", peer_.address}, {"mechanism", auth::to_string(o.mechanism)},
                                     {"reason", reason}, {"session", peer_.session_id}});
  }
  const auto r = auth::sasl::imap_reply(end.kind);
  std::string reply;
  proto::write_tagged(reply, tag, r.bad ? proto::status_word::bad : proto::status_word::no, code_of(r.code), r.text);
  bool close = false;
  if (o.kind != auth::sasl::failure_class::cancelled && ++auth_failures_ >= settings_.max_auth_failures) {
    proto::write_untagged(reply, proto::status_word::bye, {}, "Too many authentication failures.");
    close = true;
  }
  if (end.delay.count() > 0) {
    delayed_reply_ = std::move(reply);
    close_after_delay_ = close;
    return {step::kind::delay, 0, end.delay};
  }
  out += reply;
  if (close) {
    closing_ = true;
    return {step::kind::close};
  }
  return {};
}

step session::login_as(const std::string& tag, const auth::identity& who, const std::string& bal, std::string& out) {
  std::vector<auth::bal_access> bals;
  {
    auto txn = read();
    bals = auth::bals_for(*txn, who);
  }
  if (deps_.acquire && !deps_.acquire(who)) {
    log_.warn("imap.login.limit", {{"identity", who.describe()}, {"client", peer_.address}});
    log::audit("imap.login.refused", {{"identity", who.describe()}, {"client", peer_.address},
                                      {"reason", "sessions per identity"}, {"session", peer_.session_id}});
    proto::write_tagged(out, tag, proto::status_word::no, proto::code::limit(), "Too many sessions for this user.");
    return {};
  }
  slot_ = who;
  account a(who, std::move(bals), bal);
  const bal_entry* p = a.primary();
  std::string addresses;
  for (const auto& b : a.bals()) {
    if (addresses.size() > 1024) break;
    if (!addresses.empty()) addresses += ',';
    addresses += b.access.address;
  }
  log::audit("imap.login", {{"identity", who.describe()}, {"client", peer_.address}, {"port", peer_.port},
                            {"tls", tls_.active}, {"primary_bal", p ? p->access.address : std::string()},
                            {"bals", addresses}, {"session", peer_.session_id}});
  state_ = authenticated{std::move(a)};
  reader_.set_limits(settings_.limits);
  proto::write_tagged(out, tag, proto::status_word::ok, proto::code::capability(capabilities()), "Logged in.");
  return {};
}

}  // namespace mssgw::imap::server
