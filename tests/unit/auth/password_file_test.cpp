// PLAIN's users file (auth/password_file.hpp): schemes, syntax errors, verification.
#include "auth/password_file.hpp"

#include <crypt.h>
#include <openssl/evp.h>

#include <catch2/catch.hpp>
#include <memory>

#include "auth/codec.hpp"
#include "test_keys.hpp"

using namespace mssgw;
using namespace mssgw::auth;

namespace {

std::string crypt_hash(const std::string& password, const std::string& setting) {
  auto data = std::make_unique<crypt_data>();
  const char* out = crypt_r(password.c_str(), setting.c_str(), data.get());
  REQUIRE(out);
  REQUIRE(out[0] != '*');
  return out;
}

std::string ssha512(const std::string& password, const std::string& salt) {
  unsigned char md[64];
  unsigned int len = 0;
  std::string input = password + salt;
  EVP_Digest(input.data(), input.size(), md, &len, EVP_sha512(), nullptr);
  return base64_encode(std::string(reinterpret_cast<char*>(md), len) + salt);
}

}  // namespace

TEST_CASE("users file: every supported scheme verifies, wrong passwords do not", "[auth][plain]") {
  // crypt_gensalt returns a static buffer: copy each salt before the next call.
  const std::string bcrypt_salt = crypt_gensalt("$2b$", 5, nullptr, 0);
  const std::string yescrypt_salt = crypt_gensalt("$y$", 0, nullptr, 0);
  std::string text =
      "# mssgw users\n"
      "\n"
      "810001234567:{SHA512-CRYPT}" +
      crypt_hash("correct horse", "$6$abcdefgh12345678") + "\n" + "Secretariat@Hopital.test:{SSHA512}" +
      ssha512("battery staple", "saltsalt") + "::::::\n" + "899700000001:{SHA256-CRYPT}" +
      crypt_hash("five-six", "$5$saltsalt") + "\r\n" + "899700000002:{BLF-CRYPT}" +
      crypt_hash("bcrypt pw", bcrypt_salt) + "\n" + "899700000003:{CRYPT}" + crypt_hash("yes", yescrypt_salt) + "\n";
  auto r = user_db::from_text(text);
  INFO(r.message);
  REQUIRE(r.users);
  const user_db& db = *r.users;
  CHECK(db.size() == 5);
  CHECK(db.verify("810001234567", "correct horse") == password_check::ok);
  CHECK(db.verify("810001234567", "correct horsE") == password_check::bad_password);
  CHECK(db.verify("810001234567", "correct horse ") == password_check::bad_password);
  CHECK(db.verify("810001234567", "") == password_check::bad_password);
  CHECK(db.verify("secretariat@hopital.test", "battery staple") == password_check::ok);
  CHECK(db.verify("SECRETARIAT@hopital.TEST", "battery staple") == password_check::ok);  // addresses fold case
  CHECK(db.verify("secretariat@hopital.test", "battery") == password_check::bad_password);
  CHECK(db.verify("899700000001", "five-six") == password_check::ok);
  CHECK(db.verify("899700000002", "bcrypt pw") == password_check::ok);
  CHECK(db.verify("899700000003", "yes") == password_check::ok);
  CHECK(db.verify("899700000003", "no") == password_check::bad_password);
  CHECK(db.verify("810009999999", "correct horse") == password_check::unknown_user);
  CHECK(db.verify("810001234567", std::string("correct horse\0x", 15)) == password_check::bad_password);
  CHECK(db.contains("810001234567"));
  CHECK_FALSE(db.contains("8100012345670"));
}

TEST_CASE("users file: syntax errors name the line, never the hash", "[auth][plain]") {
  std::string good = "{SHA512-CRYPT}" + crypt_hash("pw", "$6$saltsalt");
  struct row {
    std::string text;
    errc error;
    std::size_t line;
  };
  std::vector<row> rows = {
      {"810001234567\n", errc::file_syntax, 1},
      {"# c\n810001234567:{PLAIN}secret\n", errc::unsupported_scheme, 2},
      {"810001234567:{CLEAR}secret\n", errc::unsupported_scheme, 1},
      {"810001234567:{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$c2FsdA$aGFzaA\n", errc::unsupported_scheme, 1},
      {"810001234567:secret-without-scheme\n", errc::unsupported_scheme, 1},
      {"810001234567:{SHA512-CRYPT\n", errc::file_syntax, 1},
      {"810001234567:{SHA512-CRYPT}$1$md5salt$abcdefghijklmnopqrstuv\n", errc::unsupported_scheme, 1},
      {"810001234567:{CRYPT}abJnggxhB/yWI\n", errc::unsupported_scheme, 1},  // traditional DES crypt
      {"810001234567:{SSHA512}bm90IGEgZGlnZXN0\n", errc::file_syntax, 1},
      {"not an id!:" + good + "\n", errc::file_syntax, 1},
      {"810001234567:" + good + "\n810001234567:" + good + "\n", errc::duplicate_entry, 2},
      {"a@b.test:" + good + "\nA@B.TEST:" + good + "\n", errc::duplicate_entry, 2},
  };
  for (const auto& r : rows) {
    auto result = user_db::from_text(r.text, "users");
    INFO(r.text);
    INFO(result.message);
    CHECK_FALSE(result.users);
    CHECK(result.error == r.error);
    CHECK(result.message.starts_with("users:" + std::to_string(r.line) + ":"));
    CHECK(result.message.find("$6$") == std::string::npos);
    CHECK(result.message.find("secret") == std::string::npos);
  }
}

TEST_CASE("users file: from a file; empty file means no users", "[auth][plain]") {
  test::temp_dir dir;
  auto r =
      user_db::from_file(dir.write("users", "810001234567:{SHA512-CRYPT}" + crypt_hash("pw", "$6$saltsalt") + "\n"));
  REQUIRE(r.users);
  CHECK(r.users->verify("810001234567", "pw") == password_check::ok);
  auto empty = user_db::from_file(dir.write("empty", ""));
  REQUIRE(empty.users);
  CHECK(empty.users->size() == 0);
  CHECK(empty.users->verify("810001234567", "pw") == password_check::unknown_user);
  auto missing = user_db::from_file(dir.path / "missing");
  CHECK(missing.error == errc::file_unreadable);
}
