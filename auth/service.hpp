// The authentication runtime one `serve` process holds, shared by the SMTP submission and IMAP listeners: the
// [auth] config, the loaded key set and users file, and the failure limiter.
//
//   auth::service auth;                               // in server.cpp
//   if (auto err = auth.start(settings.auth); !err.empty()) -> fail start-up with err
//   on SIGHUP: auth.reload(new_settings.auth)         // keeps the running state if a file does not load
//   per session: auth::sasl::context ctx = auth.context_for(cert_facts, sasl::storage_authorizer(store));
//                auth.limiter().check(...) / record_failure(...) / record_success(...)
//
// A state (config + verifier + users) is immutable and swapped atomically on reload; a session keeps the context it
// built for its whole exchange. Events: auth.keys.loaded {keys, path}, auth.users.loaded {users, path},
// auth.reload.failed {error}. Thread-safe: current() and context_for() from any thread; start()/reload() from one
// thread at a time.
#pragma once
#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "auth/config.hpp"
#include "auth/jwt.hpp"
#include "auth/limiter.hpp"
#include "auth/password_file.hpp"
#include "auth/sasl.hpp"

namespace mssgw::auth {

struct state {
  config cfg;
  std::shared_ptr<const token_verifier> tokens;  // null when no jwks_file
  std::shared_ptr<const user_db> users;          // null unless plain_enabled
};

// Loads what `cfg` names. On error `error` says which file and why, and `loaded` is null.
struct load_result {
  std::shared_ptr<const state> loaded;
  std::string error;
  std::vector<std::string> warnings;  // JWKS keys skipped
};
load_result load_state(const config& cfg);

class service {
 public:
  service() = default;
  // Loads the files; returns an error text (empty on success). The limiter takes cfg.throttle.
  std::string start(const config& cfg);
  // Loads a new state and swaps it in; on error logs it and keeps the running one. Returns success.
  bool reload(const config& cfg);
  std::shared_ptr<const state> current() const { return current_.load(); }

  // A SASL context for one session: the current verifier and users, the session's certificate facts, and the
  // authorizer (usually sasl::storage_authorizer(store)).
  sasl::context context_for(std::optional<certificate_facts> certificate, sasl::authorizer authorize) const;

  failure_limiter& limiter() { return limiter_; }

 private:
  std::atomic<std::shared_ptr<const state>> current_;
  std::mutex reload_mutex_;
  failure_limiter limiter_;
};

}  // namespace mssgw::auth
