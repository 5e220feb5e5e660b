// PLAIN (RFC 4616), only when [auth] plain_enabled: a user name and a password checked against the users file
// (password_file.hpp). Offered over TLS only (sasl::offered()).
#include <openssl/crypto.h>

#include "auth/sasl_mechanisms.hpp"

namespace mssgw::auth::sasl::detail {
namespace {

// RFC 4616 §2: authcid and passwd are 1 to 255 octets; authzid at most 255.
constexpr std::size_t max_field = 255;

void set_error(std::string* error, std::string text) {
  if (error) *error = std::move(text);
}

class plain_mechanism : public mechanism {
 public:
  explicit plain_mechanism(const context& ctx) : mechanism(ctx) {}
  mechanism_kind kind() const override { return mechanism_kind::plain; }

 protected:
  outcome respond(std::string_view response, clock::time_point) override {
    std::string error;
    auto parsed = parse_plain(response, &error);
    if (!parsed) return failure(errc::malformed_response, failure_class::malformed, "PLAIN: " + error);
    std::string user = user_db::normalise(parsed->authcid);
    password_check check = ctx_.users->verify(parsed->authcid, parsed->password);
    OPENSSL_cleanse(parsed->password.data(), parsed->password.size());
    if (check == password_check::unknown_user) {
      return failure(errc::unknown_user, failure_class::credentials, "PLAIN: unknown user " + safe(user), user);
    }
    if (check == password_check::bad_password) {
      return failure(errc::bad_password, failure_class::credentials, "PLAIN: wrong password for " + safe(user), user);
    }
    // A BAL address is a local user; a matricule INS a patient (citizen messaging); anything else an idNat.
    identity who = user.find('@') != std::string::npos ? identity::local_user(user, mechanism_kind::plain)
                   : valid_ins(user)                   ? identity::patient(user, mechanism_kind::plain)
                                                       : identity::professional(user, mechanism_kind::plain);
    return authorized(std::move(who), std::move(parsed->authzid));
  }

 private:
  // User names in the log: bounded and printable.
  static std::string safe(std::string_view u) {
    std::string out;
    for (std::size_t i = 0; i < u.size() && i < 128; ++i) {
      char c = u[i];
      out.push_back(static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? '?' : c);
    }
    return out;
  }
};

}  // namespace

std::optional<plain_response> parse_plain(std::string_view response, std::string* error) {
  // message = [authzid] UTF8NUL authcid UTF8NUL passwd: exactly two NULs.
  auto first = response.find('\0');
  auto second = first == std::string_view::npos ? first : response.find('\0', first + 1);
  if (second == std::string_view::npos) {
    set_error(error, "fewer than two NUL separators");
    return std::nullopt;
  }
  if (response.find('\0', second + 1) != std::string_view::npos) {
    set_error(error, "more than two NUL separators");
    return std::nullopt;
  }
  plain_response out;
  out.authzid = std::string(response.substr(0, first));
  out.authcid = std::string(response.substr(first + 1, second - first - 1));
  out.password = std::string(response.substr(second + 1));
  if (out.authcid.empty() || out.password.empty()) {
    set_error(error, "empty authcid or password");
    return std::nullopt;
  }
  if (out.authzid.size() > max_field || out.authcid.size() > max_field || out.password.size() > max_field) {
    set_error(error, "field over 255 octets");
    return std::nullopt;
  }
  return out;
}

std::unique_ptr<mechanism> make_plain(const context& ctx) {
  return std::make_unique<plain_mechanism>(ctx);
}

}  // namespace mssgw::auth::sasl::detail
