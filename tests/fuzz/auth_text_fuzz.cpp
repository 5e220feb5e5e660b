// libFuzzer target: the small text parsers of auth/: DNs (canonical form is a fixed point), strict base64 and
// base64url (decode then encode gives the input back: one encoding per byte string), the users file, JWK Sets,
// SASL client lines and the matricule INS. Input: [kind (auth_fuzz.hpp text_kind)] payload.
#include "auth/codec.hpp"
#include "auth/identity.hpp"
#include "auth/password_file.hpp"
#include "auth/rights.hpp"
#include "auth_fuzz.hpp"

using namespace mssgw::auth;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const auto kind = static_cast<fuzz::text_kind>(data[0] % static_cast<std::uint8_t>(fuzz::text_kind::count_));
  const std::string_view p(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (kind) {
    case fuzz::text_kind::dn: {
      const std::string c = canonical_dn(p);
      if (!c.empty()) {
        AUTH_FUZZ_CHECK(canonical_dn(c) == c);
        AUTH_FUZZ_CHECK(same_dn(p, c));
        AUTH_FUZZ_CHECK(same_dn(c, p));
      }
      const std::string d = identity::organisation(p, mechanism_kind::external).describe();
      AUTH_FUZZ_CHECK(d.find('\n') == std::string::npos && d.find('\r') == std::string::npos);
      break;
    }
    case fuzz::text_kind::base64:
      if (auto d = base64_decode(p)) AUTH_FUZZ_CHECK(base64_encode(*d) == p);
      AUTH_FUZZ_CHECK(base64_decode(base64_encode(p)) == std::string(p));
      break;
    case fuzz::text_kind::base64url:
      if (auto d = base64url_decode(p)) AUTH_FUZZ_CHECK(base64url_encode(*d) == p);
      AUTH_FUZZ_CHECK(base64url_decode(base64url_encode(p)) == std::string(p));
      break;
    case fuzz::text_kind::users: {
      auto r = user_db::from_text(p, "fuzz");
      AUTH_FUZZ_CHECK(static_cast<bool>(r.users) == r.message.empty());
      break;
    }
    case fuzz::text_kind::jwks: {
      auto r = key_set::from_json(p);
      AUTH_FUZZ_CHECK(static_cast<bool>(r.keys) == r.message.empty());
      if (r.keys) AUTH_FUZZ_CHECK(!r.keys->keys().empty());
      break;
    }
    case fuzz::text_kind::sasl_line: {
      auto c = decode_continuation(p);
      if (c.what == client_line::kind::data) AUTH_FUZZ_CHECK(base64_encode(c.data) == p);
      auto i = decode_initial_response(p);
      if (i.what == client_line::kind::data && p != "=") AUTH_FUZZ_CHECK(base64_encode(i.data) == p);
      break;
    }
    case fuzz::text_kind::ins:
      if (valid_ins(p)) AUTH_FUZZ_CHECK(p.size() == 15);
      break;
    case fuzz::text_kind::count_: break;
  }
  return 0;
}
