// Writes the seed corpora of the auth fuzz targets:
//   fuzz_auth_seeds <dir>   ->  <dir>/auth_jwt, <dir>/auth_sasl, <dir>/auth_text
// The rows mirror tests/unit/auth (valid and broken tokens, each SASL mechanism's good and bad responses, DNs,
// users files, JWK Sets), encoded with the option octets each target expects (auth_fuzz.hpp).
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "auth_fuzz.hpp"

namespace fs = std::filesystem;
using namespace mssgw::auth;
using namespace mssgw::auth::fuzz;

namespace {

int write_all(const fs::path& dir, const std::vector<std::string>& seeds) {
  fs::create_directories(dir);
  int n = 0;
  for (const auto& s : seeds) {
    char name[32];
    std::snprintf(name, sizeof name, "row-%04d", n++);
    std::ofstream(dir / name, std::ios::binary).write(s.data(), static_cast<std::streamsize>(s.size()));
  }
  return n;
}

std::string token_with(const std::function<void(json&, json&)>& edit) {
  json h = {{"alg", "ES256"}, {"typ", "JWT"}, {"kid", "ec-1"}};
  json c = {{"iss", issuer}, {"aud", audience}, {"sub", idnat}, {"exp", now_s + 120}, {"iat", now_s - 5}};
  edit(h, c);
  return sign_es256(base64url_encode(h.dump()) + "." + base64url_encode(c.dump()));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <corpus dir>\n", argv[0]);
    return 2;
  }
  const fs::path root = argv[1];

  std::vector<std::string> tokens;
  for (int v = 0; v < valid_variants; ++v) tokens.push_back(sign_es256(valid_signing_input(v)));
  tokens.push_back(token_with([](json&, json& c) { c["exp"] = now_s - 100; }));
  tokens.push_back(token_with([](json&, json& c) { c["nbf"] = now_s + 100; }));
  tokens.push_back(token_with([](json&, json& c) { c["aud"] = "other"; }));
  tokens.push_back(token_with([](json&, json& c) { c["iss"] = "https://evil.test"; }));
  tokens.push_back(token_with([](json&, json& c) { c["sub"] = "bad id!"; }));
  tokens.push_back(token_with([](json& h, json&) { h["kid"] = "rsa-1"; }));
  tokens.push_back(token_with([](json& h, json&) {
    h["alg"] = "RS256";
    h["kid"] = "rsa-1";
  }));
  tokens.push_back(token_with([](json& h, json&) { h["crit"] = json::array({"x"}); }));
  tokens.push_back(base64url_encode(R"({"alg":"none"})") + "." + base64url_encode(R"({"sub":"810001234567"})") + ".");
  tokens.push_back(base64url_encode(R"({"alg":"HS256","kid":"rsa-1"})") + "." + base64url_encode("{}") + ".c2ln");
  tokens.push_back(base64url_encode(R"({"alg":"ES256","alg":"ES256"})") + "." + base64url_encode("[]") + ".AA");
  tokens.push_back("a.b.c.d.e");
  tokens.push_back("eyJ9.e30.");
  const std::string good = tokens[0];

  std::vector<std::string> sasl;
  auto add = [&](std::uint8_t flags, std::string payload, std::uint8_t split = 255) {
    sasl.push_back(sasl_input{flags, split, payload}.encode());
  };
  const std::string xo =
      "user=dupont@hopital.test\x01"
      "auth=Bearer " +
      good + "\x01\x01";
  add(0, xo);
  add(0 | 32, xo);
  add(0,
      "user=\x01"
      "auth=Bearer " +
          tokens[3] + "\x01\x01");
  add(0,
      "user=a\x01"
      "auth=Basic abc\x01\x01");
  add(0, "");
  const std::string ob =
      "n,a=dupont@hopital.test,\x01host=mail.test\x01port=587\x01"
      "auth=Bearer " +
      good + "\x01\x01";
  add(1, ob);
  add(1 | 32, ob);
  add(1,
      "n,,\x01"
      "auth=Bearer " +
          good + "\x01\x01");
  add(1,
      "y,a=us=2Cer=3D,\x01"
      "auth=Bearer " +
          tokens[3] +
          "\x01\x01"
          "\x01",
      200);
  add(1,
      "p=tls-unique,,\x01"
      "auth=Bearer x\x01\x01");
  add(1, "\x01");
  add(2 | 4 | 8 | 16, "");
  add(2 | 4 | 8, "dupont@hopital.test");
  add(2 | 4, "");
  add(2 | 32, "");
  add(3, std::string("\0", 1) + std::string(plain_user) + '\0' + std::string(plain_password));
  add(3, std::string("dupont@hopital.test") + '\0' + std::string(plain_user) + '\0' + std::string(plain_password));
  add(3 | 32, std::string("\0", 1) + std::string(plain_user) + '\0' + "wrong");
  add(3, std::string(plain_user) + '\0' + std::string(plain_password));
  add(3, std::string("a\0b\0c\0d", 7));

  std::vector<std::string> text;
  auto add_text = [&](text_kind k, std::string payload) {
    text.push_back(std::string(1, static_cast<char>(k)) + payload);
  };
  for (const char* dn : {"CN=lgc-alpha,OU=1234567890,O=Clinique Alpha,ST=Paris (75),C=FR", "cn=A, o=B ;c=fr",
                         "2.5.4.3=x+SERIALNUMBER=1\\2C2,O=a\\;b", "CN=#04024869", "CN=\\ a\\20", "=", "CN=a,,O="}) {
    add_text(text_kind::dn, dn);
  }
  for (const char* b : {"Zm9vYg==", "Zm9v", "", "Zg=A", "====", "AGFsaWNlAHNlY3JldA=="}) add_text(text_kind::base64, b);
  for (const char* b : {"Zm9vYg", "-_8", "e30", "e31", "Zg=="}) add_text(text_kind::base64url, b);
  add_text(text_kind::users,
           "# "
           "c\n810001234567:{SHA512-CRYPT}$6$saltsalt$abcdefghijklmnopqrstuvwxyz0123456789./"
           "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmno\n"
           "a@b.test:{SSHA512}" +
               base64_encode(std::string(68, 'x')) + "::::\n");
  add_text(text_kind::users, "x:{PLAIN}y\n");
  add_text(text_kind::jwks, R"({"keys":[{"kty":"EC","crv":"P-256","x":"AA","y":"AA"},{"kty":"oct","k":"AA"}]})");
  add_text(text_kind::jwks, R"({"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB","use":"sig","key_ops":["verify"]}]})");
  add_text(text_kind::sasl_line, "*");
  add_text(text_kind::sasl_line, "=");
  add_text(text_kind::sasl_line, "AGFsaWNlAHNlY3JldA==");
  add_text(text_kind::ins, "146026322000196");
  add_text(text_kind::ins,
           "18502"
           "2A"
           "00401789");

  int n = write_all(root / "auth_jwt", tokens);
  n += write_all(root / "auth_sasl", sasl);
  n += write_all(root / "auth_text", text);
  std::printf("%d auth seeds written to %s\n", n, root.c_str());
  return 0;
}
