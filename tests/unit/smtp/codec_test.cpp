#include "smtp/proto/codec.hpp"

#include <catch2/catch.hpp>

using namespace mssgw::smtp::proto;
using namespace std::literals;

TEST_CASE("base64: RFC 4648 §10 test vectors", "[smtp][codec]") {
  const std::pair<std::string_view, std::string_view> vectors[] = {{"", ""},
                                                                   {"f", "Zg=="},
                                                                   {"fo", "Zm8="},
                                                                   {"foo", "Zm9v"},
                                                                   {"foob", "Zm9vYg=="},
                                                                   {"fooba", "Zm9vYmE="},
                                                                   {"foobar", "Zm9vYmFy"}};
  for (auto [raw, enc] : vectors) {
    CHECK(base64_encode(raw) == enc);
    const auto dec = base64_decode(enc);
    REQUIRE(dec.has_value());
    CHECK(*dec == raw);
  }
  const std::string all = [] {
    std::string s;
    for (int i = 0; i < 256; ++i) s.push_back(static_cast<char>(i));
    return s;
  }();
  CHECK(base64_decode(base64_encode(all)) == all);
}

TEST_CASE("base64: strict decoding", "[smtp][codec]") {
  for (auto bad : {"Zg"sv, "Zg="sv, "Zg=A"sv, "Z==="sv, "===="sv, "Zm9v\r\n"sv, " Zm9v"sv, "Zm 9v"sv, "Zh=="sv,
                   "Zm9="sv, "Zm9v!A=="sv, "Zm\0v"sv, "Zm9vYg==Zg=="sv})
    CHECK_FALSE(base64_decode(bad).has_value());
  // What EVP_DecodeBlock would accept but we refuse: padding in the middle, non-zero trailing bits.
  CHECK_FALSE(base64_decode("dGVzdA=A").has_value());
  CHECK_FALSE(base64_decode("dGVzdB==").has_value());
  CHECK(base64_decode("dGVzdA==") == "test");
}

TEST_CASE("xtext (RFC 3461 §4)", "[smtp][codec]") {
  CHECK(xtext_encode("a+b=c d") == "a+2Bb+3Dc+20d");
  CHECK(xtext_encode("\xc3\xa9") == "+C3+A9");
  CHECK(xtext_encode("") == "");
  CHECK(xtext_decode("a+2Bb+3Dc+20d") == "a+b=c d");
  CHECK(xtext_decode("+c3+a9") == "\xc3\xa9");
  CHECK(xtext_decode("") == "");
  for (auto bad : {"+"sv, "+2"sv, "+2G"sv, "a=b"sv, "a b"sv, "a\x7f"sv, "\xc3\xa9"sv, "a\0"sv})
    CHECK_FALSE(xtext_decode(bad).has_value());
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  CHECK(xtext_decode(xtext_encode(all)) == all);
}

TEST_CASE("UTF-8 validation (RFC 3629 §4)", "[smtp][codec]") {
  for (auto ok : {""sv, "abc"sv, "\xc3\xa9"sv, "\xe2\x82\xac"sv, "\xf0\x9f\x98\x80"sv, "\xf4\x8f\xbf\xbf"sv,
                  "\xed\x9f\xbf"sv, "\xee\x80\x80"sv, "a\0b"sv})
    CHECK(is_valid_utf8(ok));
  for (auto bad :
       {"\x80"sv, "\xc3"sv, "\xc0\xaf"sv, "\xc1\xbf"sv, "\xe0\x80\xaf"sv, "\xed\xa0\x80"sv, "\xf0\x80\x80\xaf"sv,
        "\xf4\x90\x80\x80"sv, "\xf5\x80\x80\x80"sv, "\xff"sv, "\xe2\x82"sv, "\xc3\xa9\xc3"sv})
    CHECK_FALSE(is_valid_utf8(bad));
}

TEST_CASE("ASCII case helpers", "[smtp][codec]") {
  CHECK(iequals("MAIL", "mail"));
  CHECK_FALSE(iequals("MAIL", "mai"));
  CHECK_FALSE(iequals("\xc3\xa9", "\xc3\x89"));
  CHECK(istarts_with("From:<a>", "FROM:"));
  CHECK(to_lower("Example.ORG") == "example.org");
}
