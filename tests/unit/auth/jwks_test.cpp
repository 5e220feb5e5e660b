// JWK Set loading (auth/jwks.hpp): what is kept, skipped or refused.
#include "auth/jwks.hpp"

#include <catch2/catch.hpp>

#include "auth/codec.hpp"
#include "test_keys.hpp"

using namespace mssgw;
using namespace mssgw::test;
using auth::errc;
using auth::key_set;
using auth::key_type;

TEST_CASE("jwks: RSA and EC keys load; lookups by kid and type", "[auth][jwks]") {
  auto r = key_set::from_json(jwks_of({&rsa_key(), &ec_key()}).dump());
  REQUIRE(r.keys);
  CHECK(r.warnings.empty());
  CHECK(r.keys->keys().size() == 2);
  CHECK(r.keys->find("rsa-1", key_type::rsa));
  CHECK_FALSE(r.keys->find("rsa-1", key_type::ec_p256));
  CHECK(r.keys->has_kid("ec-1"));
  CHECK_FALSE(r.keys->has_kid("nope"));
  CHECK(r.keys->only(key_type::rsa) == r.keys->find("rsa-1", key_type::rsa));
  CHECK(r.keys->find("rsa-1", key_type::rsa)->bits == 2048);
}

TEST_CASE("jwks: table of refused and skipped members", "[auth][jwks]") {
  struct row {
    const char* name;
    std::function<json()> doc;
    bool loads;
    std::size_t keys = 0;
    std::size_t warnings = 0;
    errc error{};
  };
  auto with = [](std::function<void(json&)> edit) {
    json set = jwks_of({&rsa_key(), &ec_key()});
    edit(set);
    return set;
  };
  std::vector<row> rows = {
      {"encryption key skipped", [&] { return with([](json& s) { s["keys"][0]["use"] = "enc"; }); }, true, 1, 1},
      {"key_ops without verify skipped",
       [&] { return with([](json& s) { s["keys"][0]["key_ops"] = json::array({"encrypt"}); }); }, true, 1, 1},
      {"key_ops with verify kept",
       [&] { return with([](json& s) { s["keys"][0]["key_ops"] = json::array({"verify"}); }); }, true, 2, 0},
      {"RSA key declared RSA-OAEP skipped", [&] { return with([](json& s) { s["keys"][0]["alg"] = "RSA-OAEP"; }); },
       true, 1, 1},
      {"EC P-384 skipped", [&] { return with([](json& s) { s["keys"][1]["crv"] = "P-384"; }); }, true, 1, 1},
      {"oct (HMAC) key skipped",
       [&] { return with([](json& s) {
               s["keys"].push_back({{"kty", "oct"}, {"k", "c2VjcmV0"}});
             }); }, true, 2, 1},
      {"no alg member is fine",
       [&] {
         return with([](json& s) {
           s["keys"][0].erase("alg");
           s["keys"][1].erase("alg");
         });
       },
       true, 2, 0},
      {"RSA 1024 skipped as weak",
       [&] {
         static const test_key weak = weak_rsa_key();
         return jwks_of({&weak, &ec_key()});
       },
       true, 1, 1},
      {"only unusable keys",
       [&] {
         return with([](json& s) {
           s["keys"][0]["use"] = "enc";
           s["keys"][1]["use"] = "enc";
         });
       },
       false, 0, 0, errc::file_syntax},
      {"empty keys",
       [] {
         return json{{"keys", json::array()}};
       },
       false, 0, 0, errc::file_syntax},
      {"not a JWKS",
       [] {
         return json{{"kty", "RSA"}};
       },
       false, 0, 0, errc::file_syntax},
      {"kty missing", [&] { return with([](json& s) { s["keys"][0].erase("kty"); }); }, false, 0, 0, errc::file_syntax},
      {"n not base64url", [&] { return with([](json& s) { s["keys"][0]["n"] = "a+b/"; }); }, false, 0, 0,
       errc::file_syntax},
      {"EC x too short",
       [&] { return with([](json& s) { s["keys"][1]["x"] = auth::base64url_encode(std::string(31, 'a')); }); }, false,
       0, 0, errc::file_syntax},
      {"EC point not on the curve",
       [&] { return with([](json& s) { s["keys"][1]["y"] = auth::base64url_encode(std::string(32, '\x01')); }); },
       false, 0, 0, errc::file_syntax},
      {"duplicate kid of the same type", [&] { return with([](json& s) { s["keys"].push_back(s["keys"][0]); }); },
       false, 0, 0, errc::duplicate_entry},
      {"same kid, other type is fine", [&] { return with([](json& s) { s["keys"][1]["kid"] = s["keys"][0]["kid"]; }); },
       true, 2, 0},
      {"kid not a string", [&] { return with([](json& s) { s["keys"][0]["kid"] = 7; }); }, false, 0, 0,
       errc::file_syntax},
  };
  for (const auto& r : rows) {
    SECTION(r.name) {
      auto result = key_set::from_json(r.doc().dump());
      INFO(result.message);
      CHECK(static_cast<bool>(result.keys) == r.loads);
      if (r.loads) {
        CHECK(result.keys->keys().size() == r.keys);
        CHECK(result.warnings.size() == r.warnings);
      } else {
        CHECK(result.error == r.error);
        CHECK_FALSE(result.message.empty());
      }
    }
  }
}

TEST_CASE("jwks: duplicate member names and bad JSON are refused", "[auth][jwks]") {
  CHECK_FALSE(key_set::from_json(R"({"keys":[],"keys":[]})").keys);
  CHECK_FALSE(key_set::from_json("{").keys);
  CHECK_FALSE(key_set::from_json("").keys);
}

TEST_CASE("jwks: from a file, and a missing file", "[auth][jwks]") {
  temp_dir dir;
  auto file = dir.write("jwks.json", jwks_of({&ec_key()}).dump(2));
  auto r = key_set::from_file(file);
  REQUIRE(r.keys);
  CHECK(r.keys->only(key_type::ec_p256));
  auto missing = key_set::from_file(dir.path / "none.json");
  CHECK_FALSE(missing.keys);
  CHECK(missing.error == errc::file_unreadable);
  auto broken = key_set::from_file(dir.write("broken.json", "{\"keys\": ["));
  CHECK_FALSE(broken.keys);
  CHECK(broken.message.find("broken.json") != std::string::npos);
}
