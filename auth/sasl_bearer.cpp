// XOAUTH2 and OAUTHBEARER: a Pro Santé Connect access token carried in a SASL exchange, verified locally
// (jwt.hpp). Both report a token failure with a JSON error challenge, wait for the client's acknowledgement, then
// fail (Google's XOAUTH2 protocol; RFC 7628 §3.2.2-§3.2.3).
#include <optional>

#include "auth/sasl_mechanisms.hpp"

namespace mssgw::auth::sasl::detail {
namespace {

void set_error(std::string* error, std::string text) {
  if (error) *error = std::move(text);
}

bool is_alpha(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

// RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
bool is_b64token(std::string_view t) {
  std::size_t i = 0;
  while (i < t.size() && (is_alpha(t[i]) || (t[i] >= '0' && t[i] <= '9') ||
                          std::string_view("-._~+/").find(t[i]) != std::string_view::npos)) {
    ++i;
  }
  if (i == 0) return false;
  while (i < t.size() && t[i] == '=') ++i;
  return i == t.size();
}

// Splits "k=v" pairs separated by ^A; `pairs` is everything between the leading kvsep and the final one.
// Returns false on a pair without '=', a key that is not 1*ALPHA, or a repeated key.
template <class F>
bool for_each_pair(std::string_view pairs, std::string* error, F&& visit) {
  std::vector<std::string_view> seen;
  while (!pairs.empty()) {
    auto sep = pairs.find('\x01');
    if (sep == std::string_view::npos) {
      set_error(error, "key=value pair not terminated by ^A");
      return false;
    }
    std::string_view pair = pairs.substr(0, sep);
    pairs.remove_prefix(sep + 1);
    auto eq = pair.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      set_error(error, "pair without key=value");
      return false;
    }
    std::string_view key = pair.substr(0, eq), value = pair.substr(eq + 1);
    for (char c : key) {
      if (!is_alpha(c)) {
        set_error(error, "pair key is not alphabetic");
        return false;
      }
    }
    for (auto k : seen) {
      if (k == key) {
        set_error(error, "key \"" + std::string(key) + "\" repeated");
        return false;
      }
    }
    seen.push_back(key);
    // RFC 7628 §3.1: value = *(VCHAR / SP / HTAB / CR / LF)
    for (char c : value) {
      auto u = static_cast<unsigned char>(c);
      if (!((u >= 0x21 && u <= 0x7e) || c == ' ' || c == '\t' || c == '\r' || c == '\n')) {
        set_error(error, "value of \"" + std::string(key) + "\" has a forbidden octet");
        return false;
      }
    }
    if (!visit(key, value)) return false;
  }
  return true;
}

class bearer_mechanism : public mechanism {
 public:
  bearer_mechanism(const context& ctx, mechanism_kind kind) : mechanism(ctx), kind_(kind) {}
  mechanism_kind kind() const override { return kind_; }

 protected:
  outcome respond(std::string_view response, clock::time_point now) override {
    if (pending_) {
      // The client's answer to our error challenge: XOAUTH2 expects an empty response, OAUTHBEARER a lone ^A
      // (RFC 7628 §3.2.3). Anything else still ends in the same failure.
      outcome f = std::move(*pending_);
      pending_.reset();
      if (response != acknowledgement()) f.log_reason += " (unexpected answer to the error challenge)";
      return f;
    }
    std::string error;
    std::optional<bearer_response> parsed =
        kind_ == mechanism_kind::xoauth2 ? parse_xoauth2(response, &error) : parse_oauthbearer(response, &error);
    if (!parsed) return failure(errc::malformed_response, failure_class::malformed, std::string(name()) + ": " + error);
    token_result verdict = ctx_.tokens->verify(parsed->token, now);
    if (!verdict.ok()) {
      // Counted per address only (limiter.hpp): a token in someone's name proves nothing about who sent it.
      return defer(failure(
          verdict.error, failure_class::credentials,
          std::string(name()) + " token refused (" + std::string(label(verdict.error)) + "): " + verdict.log_reason));
    }
    outcome o = authorized(identity::professional(verdict.claims.idnat, kind_), std::move(parsed->authzid),
                           verdict.claims.client);
    if (!o.ok()) return defer(std::move(o));
    return o;
  }

 private:
  std::string_view acknowledgement() const { return kind_ == mechanism_kind::xoauth2 ? "" : "\x01"; }
  outcome defer(outcome f) {
    pending_ = std::move(f);
    return challenge(kind_ == mechanism_kind::xoauth2
                         ? xoauth2_error_challenge(ctx_.scope)
                         : oauthbearer_error_challenge(ctx_.scope, ctx_.openid_configuration));
  }

  mechanism_kind kind_;
  std::optional<outcome> pending_;
};

}  // namespace

std::optional<std::string_view> parse_bearer_credentials(std::string_view value) {
  // RFC 6750 §2.1: credentials = "Bearer" 1*SP b64token; the scheme is case-insensitive (RFC 7235 §2.1).
  constexpr std::string_view scheme = "bearer";
  if (value.size() <= scheme.size()) return std::nullopt;
  for (std::size_t i = 0; i < scheme.size(); ++i) {
    char c = value[i];
    if ((c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c) != scheme[i]) return std::nullopt;
  }
  std::size_t i = scheme.size();
  if (value[i] != ' ') return std::nullopt;
  while (i < value.size() && value[i] == ' ') ++i;
  std::string_view token = value.substr(i);
  if (!is_b64token(token)) return std::nullopt;
  return token;
}

std::optional<bearer_response> parse_xoauth2(std::string_view response, std::string* error) {
  // "user=" {User} ^A "auth=Bearer " {Access Token} ^A ^A
  if (response.size() < 2 || !response.ends_with("\x01\x01")) {
    set_error(error, "response does not end with ^A^A");
    return std::nullopt;
  }
  bearer_response out;
  bool have_auth = false;
  bool ok =
      for_each_pair(response.substr(0, response.size() - 1), error, [&](std::string_view key, std::string_view value) {
        if (key == "user") {
          out.authzid = std::string(value);
        } else if (key == "auth") {
          auto token = parse_bearer_credentials(value);
          if (!token) {
            set_error(error, "auth is not \"Bearer <token>\"");
            return false;
          }
          out.token = std::string(*token);
          have_auth = true;
        }
        // Other keys are ignored (none is defined; room for extensions).
        return true;
      });
  if (!ok) return std::nullopt;
  if (!have_auth) {
    set_error(error, "no auth=Bearer pair");
    return std::nullopt;
  }
  // user= may be absent or empty: no authorization identity requested.
  return out;
}

std::optional<bearer_response> parse_oauthbearer(std::string_view response, std::string* error) {
  // RFC 7628 §3.1: client-resp = (gs2-header kvsep *kvpair kvsep) / kvsep
  //                gs2-header  = gs2-cbind-flag "," [ gs2-authzid ] ","   (RFC 5801 §4)
  if (response == "\x01") {
    set_error(error, "lone ^A outside an error exchange");
    return std::nullopt;
  }
  if (response.size() < 2 || (response[0] != 'n' && response[0] != 'y') || response[1] != ',') {
    set_error(error, response.starts_with("p=") ? "channel binding requested (not supported by OAUTHBEARER)"
                                                : "GS2 header does not start with \"n,\" or \"y,\"");
    return std::nullopt;
  }
  std::string_view rest = response.substr(2);
  auto comma = rest.find(',');
  if (comma == std::string_view::npos) {
    set_error(error, "GS2 header not terminated by ','");
    return std::nullopt;
  }
  std::string_view authz = rest.substr(0, comma);
  rest.remove_prefix(comma + 1);
  bearer_response out;
  if (!authz.empty()) {
    if (!authz.starts_with("a=") || authz.size() == 2) {
      set_error(error, "GS2 authzid is not \"a=<saslname>\"");
      return std::nullopt;
    }
    // saslname: "=2C" is ',' and "=3D" is '='; any other '=' is an error (RFC 5801 §4). NUL is not UTF8-char-safe.
    for (std::size_t i = 2; i < authz.size(); ++i) {
      char c = authz[i];
      if (c == '\0' || c == '\x01') {
        set_error(error, "control octet in GS2 authzid");
        return std::nullopt;
      }
      if (c != '=') {
        out.authzid.push_back(c);
        continue;
      }
      std::string_view esc = authz.substr(i, 3);
      if (esc == "=2C" || esc == "=2c") {
        out.authzid.push_back(',');
      } else if (esc == "=3D" || esc == "=3d") {
        out.authzid.push_back('=');
      } else {
        set_error(error, "bad '=' escape in GS2 authzid");
        return std::nullopt;
      }
      i += 2;
    }
  }
  // kvsep *kvpair kvsep
  if (rest.size() < 2 || rest.front() != '\x01' || !rest.ends_with("\x01\x01")) {
    set_error(error, "pairs are not framed by ^A ... ^A^A");
    return std::nullopt;
  }
  bool have_auth = false;
  bool ok = for_each_pair(rest.substr(1, rest.size() - 2), error, [&](std::string_view key, std::string_view value) {
    if (key == "auth") {
      auto token = parse_bearer_credentials(value);
      if (!token) {
        set_error(error, "auth is not \"Bearer <token>\"");
        return false;
      }
      out.token = std::string(*token);
      have_auth = true;
    }
    return true;  // host, port and unknown keys are ignored (RFC 7628 §3.1: servers ignore unknown keys)
  });
  if (!ok) return std::nullopt;
  if (!have_auth) {
    set_error(error, "no auth pair");
    return std::nullopt;
  }
  return out;
}

std::unique_ptr<mechanism> make_xoauth2(const context& ctx) {
  return std::make_unique<bearer_mechanism>(ctx, mechanism_kind::xoauth2);
}
std::unique_ptr<mechanism> make_oauthbearer(const context& ctx) {
  return std::make_unique<bearer_mechanism>(ctx, mechanism_kind::oauthbearer);
}

}  // namespace mssgw::auth::sasl::detail
