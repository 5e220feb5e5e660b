// libFuzzer target: access-token verification (auth/jwt.hpp) against a fixed key set and policy.
// Checks: never throws or crashes; a token is accepted only if its signed part is one the seed writer signed with
// the fixed key (a forgery would be a finding), and then its claims are the expected ones; a refusal has a reason
// that never contains the token's signature; verification is deterministic.
#include "auth_fuzz.hpp"

using namespace mssgw::auth;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view token(reinterpret_cast<const char*>(data), size);
  static const token_verifier verifier(fuzz::policy(), fuzz::keys());
  const token_result r = verifier.verify(token, fuzz::now());
  if (r.ok()) {
    const std::string_view signed_part = token.substr(0, token.rfind('.'));
    AUTH_FUZZ_CHECK(fuzz::valid_signing_inputs().count(std::string(signed_part)) == 1);
    AUTH_FUZZ_CHECK(r.claims.idnat == fuzz::idnat);
    AUTH_FUZZ_CHECK(r.log_reason.empty());
  } else {
    AUTH_FUZZ_CHECK(!r.log_reason.empty());
    // A signature-like last part (24+ base64url characters) never shows up in the reason. (Arbitrary text could:
    // the fuzzer learns the reasons' own words and puts them in tokens.)
    const auto dot = token.rfind('.');
    if (dot != std::string_view::npos && token.size() - dot > 24) {
      const std::string_view sig = token.substr(dot + 1, 24);
      const bool b64url = sig.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
                          std::string_view::npos;
      if (b64url) AUTH_FUZZ_CHECK(r.log_reason.find(sig) == std::string::npos);
    }
  }
  const token_result again = verifier.verify(token, fuzz::now());
  AUTH_FUZZ_CHECK(again.error == r.error && again.log_reason == r.log_reason);
  return 0;
}
