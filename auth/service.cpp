#include "auth/service.hpp"

#include "common/log.hpp"

namespace mssgw::auth {

load_result load_state(const config& cfg) {
  load_result out;
  auto s = std::make_shared<state>();
  s->cfg = cfg;
  if (cfg.tokens_configured()) {
    key_set_result keys = key_set::from_file(cfg.jwks_file);
    if (!keys.keys) {
      out.error = "[auth] jwks_file: " + keys.message;
      return out;
    }
    out.warnings = std::move(keys.warnings);
    s->tokens = std::make_shared<token_verifier>(cfg.policy(), std::move(keys.keys));
  }
  if (cfg.plain_enabled) {
    user_db_result users = user_db::from_file(cfg.users_file);
    if (!users.users) {
      out.error = "[auth] users_file: " + users.message;
      return out;
    }
    s->users = std::move(users.users);
  }
  out.loaded = std::move(s);
  return out;
}

namespace {

void log_loaded(const state& s, const load_result& r) {
  log::context log(log::module::auth);
  for (const auto& w : r.warnings) log.warn("auth.keys.skipped", {{"reason", w}});
  if (s.tokens) {
    log.info("auth.keys.loaded", {{"keys", s.tokens->keys()->keys().size()}, {"path", s.cfg.jwks_file.string()}});
  }
  if (s.users) log.info("auth.users.loaded", {{"users", s.users->size()}, {"path", s.cfg.users_file.string()}});
  if (!s.tokens && !s.users)
    log.warn("auth.no_mechanism", {{"detail", "neither jwks_file nor plain_enabled: only EXTERNAL"}});
}

}  // namespace

std::string service::start(const config& cfg) {
  std::lock_guard lock(reload_mutex_);
  load_result r = load_state(cfg);
  if (!r.loaded) return r.error;
  limiter_.reconfigure(cfg.throttle);
  log_loaded(*r.loaded, r);
  current_.store(r.loaded);
  return {};
}

bool service::reload(const config& cfg) {
  std::lock_guard lock(reload_mutex_);
  load_result r = load_state(cfg);
  if (!r.loaded) {
    log::context(log::module::auth).error("auth.reload.failed", {{"error", r.error}});
    return false;
  }
  limiter_.reconfigure(cfg.throttle);
  log_loaded(*r.loaded, r);
  current_.store(r.loaded);
  return true;
}

sasl::context service::context_for(std::optional<certificate_facts> certificate, sasl::authorizer authorize) const {
  sasl::context ctx;
  ctx.certificate = std::move(certificate);
  ctx.authorize = std::move(authorize);
  auto s = current_.load();
  if (!s) return ctx;  // not started: only EXTERNAL can be attempted
  ctx.tokens = s->tokens;
  ctx.users = s->users;
  ctx.plain_enabled = s->cfg.plain_enabled;
  ctx.scope = s->cfg.scope;
  ctx.openid_configuration = s->cfg.openid_configuration_url();
  // A response carries the token base64url inside the SASL framing: allow the token limit plus room for user=,
  // host= and port= pairs.
  ctx.max_response = static_cast<std::size_t>(s->cfg.token_max_size) + 2048;
  return ctx;
}

}  // namespace mssgw::auth
