// Internal to auth/: the mechanism classes behind sasl::make_mechanism(), and the response parsers they use
// (exposed for table-driven tests and fuzzing: pure functions over the decoded bytes).
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "auth/sasl.hpp"

namespace mssgw::auth::sasl::detail {

std::unique_ptr<mechanism> make_xoauth2(const context& ctx);
std::unique_ptr<mechanism> make_oauthbearer(const context& ctx);
std::unique_ptr<mechanism> make_external(const context& ctx);
std::unique_ptr<mechanism> make_plain(const context& ctx);

// A parsed bearer response: the requested authorization identity and the token.
struct bearer_response {
  std::string authzid;  // XOAUTH2 user=, OAUTHBEARER a= (unescaped)
  std::string token;
};
// Parsers return nothing on a syntax error and then set *error to a reason for the log (never quoting the token).
// Google's XOAUTH2 client response.
std::optional<bearer_response> parse_xoauth2(std::string_view response, std::string* error = nullptr);
// RFC 7628 §3.1 client response (gs2 header, kvpairs).
std::optional<bearer_response> parse_oauthbearer(std::string_view response, std::string* error = nullptr);
// The HTTP credentials "Bearer" 1*SP b64token (RFC 6750 §2.1); returns the token.
std::optional<std::string_view> parse_bearer_credentials(std::string_view value);

// RFC 4616 §2: [authzid] NUL authcid NUL passwd.
struct plain_response {
  std::string authzid, authcid, password;
};
std::optional<plain_response> parse_plain(std::string_view response, std::string* error = nullptr);

}  // namespace mssgw::auth::sasl::detail
