// Strict base64 / base64url, the SASL line rules, identities and the matricule INS.
#include "auth/codec.hpp"

#include <catch2/catch.hpp>

#include "auth/identity.hpp"

using namespace mssgw::auth;

TEST_CASE("codec: base64 round trips and RFC 4648 §10 vectors", "[auth][codec]") {
  const std::pair<const char*, const char*> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (auto [raw, enc] : vectors) {
    CHECK(base64_encode(raw) == enc);
    CHECK(base64_decode(enc) == std::optional<std::string>(raw));
  }
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  CHECK(base64_decode(base64_encode(all)) == all);
  CHECK(base64url_decode(base64url_encode(all)) == all);
  CHECK(base64url_encode("\xfb\xff") == "-_8");
}

TEST_CASE("codec: strict decoding refuses every non-canonical form", "[auth][codec]") {
  for (const char* bad : {"Zg", "Zg=", "Zh==", "Zm9=", "Z===", "====", "Zg==Zg==", "Zm9v\r\n", " Zm9v", "Zm 9v", "Zm9-",
                          "Zm9_", "Zg=A", "*"}) {
    INFO(bad);
    CHECK_FALSE(base64_decode(bad));
  }
  for (const char* bad : {"Zg==", "Zg=", "Zm9+", "Zm9/", "Z", "Zh", "Zm9", "Zm9v=", " Zm9v"}) {
    INFO(bad);
    CHECK_FALSE(base64url_decode(bad));
  }
  CHECK(base64url_decode("Zg") == std::optional<std::string>("f"));
  CHECK(base64url_decode("Zm8") == std::optional<std::string>("fo"));
  CHECK(base64url_decode("") == std::optional<std::string>(""));
}

TEST_CASE("codec: SASL client lines (RFC 4954 §4, RFC 4959)", "[auth][codec]") {
  CHECK(decode_continuation("*").what == client_line::kind::cancel);
  auto empty = decode_continuation("");
  CHECK(empty.what == client_line::kind::data);
  CHECK(empty.data.empty());
  auto d = decode_continuation("AGFsaWNlAHNlY3JldA==");
  CHECK(d.what == client_line::kind::data);
  CHECK(d.data == std::string("\0alice\0secret", 13));
  CHECK(decode_continuation("=").what == client_line::kind::invalid);  // "=" is for initial responses only
  CHECK(decode_continuation("not base64!").what == client_line::kind::invalid);
  CHECK(decode_continuation("* ").what == client_line::kind::invalid);

  auto eq = decode_initial_response("=");
  CHECK(eq.what == client_line::kind::data);
  CHECK(eq.data.empty());
  CHECK(decode_initial_response("*").what == client_line::kind::invalid);
  CHECK(decode_initial_response("").what == client_line::kind::invalid);
  CHECK(decode_initial_response("Zm9v").data == "foo");
}

TEST_CASE("identity: kinds, ids and safe descriptions", "[auth][identity]") {
  auto p = identity::professional("810001234567", mechanism_kind::xoauth2);
  CHECK(p.describe() == "professional 810001234567 via XOAUTH2");
  auto o = identity::organisation("CN=lgc-alpha,O=Alpha,C=FR", mechanism_kind::external);
  CHECK(o.id == "dn:CN=lgc-alpha,O=Alpha,C=FR");
  CHECK(o.subject_dn() == "CN=lgc-alpha,O=Alpha,C=FR");
  CHECK(o.describe() == "organisation dn:CN=lgc-alpha,O=Alpha,C=FR via EXTERNAL");
  auto hostile = identity::organisation("CN=x\r\nforged line", mechanism_kind::external);
  CHECK(hostile.describe().find('\n') == std::string::npos);
  CHECK(identity::organisation(std::string(1000, 'a'), mechanism_kind::external).describe().size() < 320);
  CHECK(identity::local_user("secretariat@hopital.test", mechanism_kind::plain).describe() ==
        "local_user secretariat@hopital.test via PLAIN");
  CHECK(parse_mechanism("xoauth2") == mechanism_kind::xoauth2);
  CHECK(parse_mechanism("OAuthBearer") == mechanism_kind::oauthbearer);
  CHECK_FALSE(parse_mechanism("CRAM-MD5"));
  CHECK_FALSE(parse_mechanism(""));
}

TEST_CASE("identity: matricule INS with its key, Corsica included", "[auth][identity]") {
  CHECK(valid_ins("146026322000196"));  // mssante/README §5 example
  CHECK_FALSE(valid_ins("146026322000197"));
  CHECK_FALSE(valid_ins("14602632200019"));
  CHECK_FALSE(valid_ins("1460263220001960"));
  CHECK_FALSE(valid_ins("14602632200019x"));
  // Corsica: 2A counts as 19 and 2B as 18 for the key only.
  auto with_key = [](std::string first13, std::uint64_t as_number) {
    std::uint64_t key = 97 - as_number % 97;
    return first13 + (key < 10 ? "0" : "") + std::to_string(key);
  };
  CHECK(
      valid_ins(with_key("18502"
                         "2A"
                         "004017",
                         1850219004017ull)));
  CHECK(
      valid_ins(with_key("18502"
                         "2B"
                         "004017",
                         1850218004017ull)));
  CHECK_FALSE(
      valid_ins(with_key("18502"
                         "2C"
                         "004017",
                         1850219004017ull)));
  CHECK_FALSE(
      valid_ins(with_key("1850"
                         "2A"
                         "2004017",
                         1850219004017ull)));  // letter outside the department
}
