// Table rows for the smtp/proto tests: RFC examples and hostile inputs, with the expected outcome.
//
// Shared by the Catch2 tests in this folder (each row is checked whole and at every split point) and by the
// libFuzzer seed generator (tests/fuzz/make_seeds.cpp), which writes each row's input as a seed.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "smtp/proto/command.hpp"
#include "smtp/proto/data_reader.hpp"
#include "smtp/proto/errc.hpp"
#include "smtp/proto/reply.hpp"

namespace mssgw::smtp::proto::rows {

using namespace std::literals;

// ---------------------------------------------------------------------------------------------------------------
// line_reader: input stream, limit, and the transcript: "L:<line>" / "E:<describe(errc)>", then "R:<leftover>".
struct line_row {
  std::string_view input;
  std::size_t max_line;
  std::string_view transcript;  // events joined with '|'
};

inline constexpr line_row line_rows[] = {
    {"EHLO x\r\n"sv, 512, "L:EHLO x|R:"sv},
    {"A\r\nB\r\n"sv, 512, "L:A|L:B|R:"sv},
    {"\r\n"sv, 512, "L:|R:"sv},
    {"A\nB\r\n"sv, 512, "E:bare LF in command|L:B|R:"sv},
    {"\n\r\n"sv, 512, "E:bare LF in command|L:|R:"sv},
    {"A\rB\r\nC\r\n"sv, 512, "E:bare CR in command|L:C|R:"sv},
    {"A\r\r\n"sv, 512, "E:bare CR in command|R:"sv},
    {"A\r"sv, 512, "R:A\r"sv},
    {"partial"sv, 512, "R:partial"sv},
    {"STARTTLS\r\nMAIL FROM:<a@b>\r\n"sv, 512, "L:STARTTLS|L:MAIL FROM:<a@b>|R:"sv},
    {"NUL\0byte\r\n"sv, 512, "L:NUL\0byte|R:"sv},
    // Limit 10 octets with CRLF: 8 characters fit, 9 do not.
    {"01234567\r\n"sv, 10, "L:01234567|R:"sv},
    {"012345678\r\n"sv, 10, "E:command line too long|R:"sv},
    {"0123456789AB\r\nOK\r\n"sv, 10, "E:command line too long|L:OK|R:"sv},
    {"0123456789AB\nOK\r\n"sv, 10, "E:command line too long|L:OK|R:"sv},
    {"0123456789ABCDEF"sv, 10, "R:"sv},
    {"0123456789ABCDEF\r"sv, 10, "R:"sv},
    {"0123456789ABCDEF\r\n\r\n"sv, 10, "E:command line too long|L:|R:"sv},
    {"0123456\r\r\n"sv, 10, "E:bare CR in command|R:"sv},
    {"01234567\r\n012345678\r\nx\r\n"sv, 10, "L:01234567|E:command line too long|L:x|R:"sv},
};

// ---------------------------------------------------------------------------------------------------------------
// Commands. `minimal`: parse with minimal_extensions() (no DSN, SMTPUTF8, CHUNKING, AUTH), else full_extensions().
struct command_row {
  std::string_view line;  // without CRLF
  errc error;
  verb v;
  int code = 0;                 // expected reply code on error
  std::string_view enhanced{};  // expected enhanced code on error
  std::string_view address{};   // MAIL/RCPT success: the path's normalised() form
  bool minimal = false;
};

inline extensions full_extensions() {
  extensions e;
  e.max_size = 10 * 1024 * 1024;
  e.starttls = true;
  e.auth = {"PLAIN", "XOAUTH2", "OAUTHBEARER"};
  e.chunking = true;
  e.binarymime = true;
  e.smtputf8 = true;
  return e;
}

inline extensions minimal_extensions() {
  extensions e;
  e.dsn = false;
  e.size = false;
  return e;
}

inline constexpr command_row command_rows[] = {
    // EHLO / HELO (RFC 5321 §4.1.1.1)
    {"EHLO mx.example.org"sv, errc::ok, verb::ehlo},
    {"ehlo [192.0.2.1]"sv, errc::ok, verb::ehlo},
    {"EHLO [IPv6:2001:db8::1]"sv, errc::ok, verb::ehlo},
    {"HELO host"sv, errc::ok, verb::helo},
    {"EHLO under_score"sv, errc::ok, verb::ehlo},
    {"EHLO mx.example.org   "sv, errc::ok, verb::ehlo},
    {"EHLO"sv, errc::invalid_argument, verb::ehlo, 501, "5.5.4"sv},
    {"EHLO a b"sv, errc::invalid_argument, verb::ehlo, 501, "5.5.4"sv},
    {"EHLO h\xc3\xa9llo"sv, errc::invalid_argument, verb::ehlo, 501, "5.5.4"sv},
    {"EHLO\tx"sv, errc::invalid_character, verb::unknown, 500, "5.5.2"sv},
    // MAIL (RFC 5321 §4.1.1.2)
    {"MAIL FROM:<a@example.org>"sv, errc::ok, verb::mail, 0, {}, "a@example.org"sv},
    {"mail from:<A@Example.ORG>"sv, errc::ok, verb::mail, 0, {}, "A@example.org"sv},
    {"MAIL FROM:<>"sv, errc::ok, verb::mail, 0, {}, ""sv},
    {"MAIL FROM:<> SIZE=0"sv, errc::ok, verb::mail, 0, {}, ""sv},
    {"MAIL FROM: <a@example.org>"sv, errc::ok, verb::mail, 0, {}, "a@example.org"sv},
    {"MAIL FROM:  <a@example.org>"sv, errc::address_missing_brackets, verb::mail, 501, "5.1.7"sv},
    {"MAIL FROM : <a@example.org>"sv, errc::syntax_error, verb::mail, 501, "5.5.2"sv},
    {"MAIL FROM :<a@example.org>"sv, errc::syntax_error, verb::mail, 501, "5.5.2"sv},
    {"MAIL  FROM:<a@example.org>"sv, errc::syntax_error, verb::mail, 501, "5.5.2"sv},
    {"MAIL FROM:a@example.org"sv, errc::address_missing_brackets, verb::mail, 501, "5.1.7"sv},
    {"MAIL FROM:<a@example.org"sv, errc::address_syntax, verb::mail, 501, "5.1.7"sv},
    {"MAIL FROM:<a@example.org>>"sv, errc::address_syntax, verb::mail, 501, "5.1.7"sv},
    {"MAIL FROM:<a@example.org>SIZE=10"sv, errc::address_syntax, verb::mail, 501, "5.1.7"sv},
    {"MAIL FROM:<<a@example.org>"sv, errc::address_syntax, verb::mail, 501, "5.1.7"sv},
    {"MAIL FROM:<a@example.org> SIZE=1000 BODY=8BITMIME"sv, errc::ok, verb::mail, 0, {}, "a@example.org"sv},
    {"MAIL FROM:<a@example.org> size=1000 body=8bitmime ret=hdrs envid=QQ+2B1"sv,
     errc::ok,
     verb::mail,
     0,
     {},
     "a@example.org"sv},
    {"MAIL FROM:<a@example.org> FOO=bar"sv, errc::unknown_parameter, verb::mail, 555, "5.5.4"sv},
    {"MAIL FROM:<a@example.org> SIZE=1 SIZE=2"sv, errc::duplicate_parameter, verb::mail, 501, "5.5.4"sv},
    {"MAIL FROM:<a@example.org>  SIZE=1"sv, errc::syntax_error, verb::mail, 501, "5.5.2"sv},
    {"MAIL FROM:<a@example.org> SIZE=abc"sv, errc::invalid_parameter, verb::mail, 501, "5.5.4"sv},
    {"MAIL FROM:<a@example.org> SIZE="sv, errc::invalid_parameter, verb::mail, 501, "5.5.4"sv},
    {"MAIL FROM:<a@example.org> =x"sv, errc::invalid_parameter, verb::mail, 501, "5.5.4"sv},
    {"MAIL FROM:<a@example.org> RET=FULL"sv, errc::unknown_parameter, verb::mail, 555, "5.5.4"sv, {}, true},
    {"MAIL FROM:<a@example.org> SIZE=10"sv, errc::unknown_parameter, verb::mail, 555, "5.5.4"sv, {}, true},
    {"MAIL"sv, errc::syntax_error, verb::mail, 501, "5.5.2"sv},
    {"MAIL TO:<a@example.org>"sv, errc::syntax_error, verb::mail, 501, "5.5.2"sv},
    {"MAIL FROM:<a\0b@example.org>"sv, errc::invalid_character, verb::unknown, 500, "5.5.2"sv},
    {"MAIL FROM:<a@example.org>\0"sv, errc::invalid_character, verb::unknown, 500, "5.5.2"sv},
    {"MAIL FROM:<\xc3\xa9@example.org>"sv, errc::non_ascii_address, verb::mail, 553, "5.6.7"sv},
    {"MAIL FROM:<\xc3\xa9@example.org> SMTPUTF8"sv, errc::ok, verb::mail, 0, {}, "\xc3\xa9@example.org"sv},
    {"MAIL FROM:<a@\xc3\xa9xample.org> SMTPUTF8"sv, errc::ok, verb::mail, 0, {}, "a@\xc3\xa9xample.org"sv},
    {"MAIL FROM:<\xc3\xa9@example.org> SMTPUTF8"sv, errc::unknown_parameter, verb::mail, 555, "5.5.4"sv, {}, true},
    {"MAIL FROM:<\xff@example.org> SMTPUTF8"sv, errc::invalid_utf8, verb::mail, 501, "5.1.7"sv},
    {"MAIL FROM:<a@example.org> SMTPUTF8=yes"sv, errc::invalid_parameter, verb::mail, 501, "5.5.4"sv},
    {"MAIL FROM:<@relay.example,@other.example:a@example.org>"sv, errc::ok, verb::mail, 0, {}, "a@example.org"sv},
    {"MAIL FROM:<\"john doe\"@example.org>"sv, errc::ok, verb::mail, 0, {}, "\"john doe\"@example.org"sv},
    {"MAIL FROM:<\"john\"@example.org>"sv, errc::ok, verb::mail, 0, {}, "john@example.org"sv},
    {"MAIL FROM:<\"a\\\"b\"@example.org>"sv, errc::ok, verb::mail, 0, {}, "\"a\\\"b\"@example.org"sv},
    {"MAIL FROM:<a@[127.0.0.1]>"sv, errc::ok, verb::mail, 0, {}, "a@[127.0.0.1]"sv},
    {"MAIL FROM:<a@[IPv6:::1]>"sv, errc::ok, verb::mail, 0, {}, "a@[ipv6:::1]"sv},
    {"MAIL FROM:<a@[300.0.0.1]>"sv, errc::address_syntax, verb::mail, 501, "5.1.7"sv},
    {"MAIL FROM:<a@[tag:content]>"sv, errc::address_syntax, verb::mail, 501, "5.1.7"sv},
    {"MAIL FROM:<a@example.org> AUTH=<>"sv, errc::ok, verb::mail, 0, {}, "a@example.org"sv},
    {"MAIL FROM:<a@example.org> AUTH=e+2Bx@example.org"sv, errc::ok, verb::mail, 0, {}, "a@example.org"sv},
    {"MAIL FROM:<a@example.org> BODY=BINARYMIME"sv, errc::unknown_parameter, verb::mail, 555, "5.5.4"sv, {}, true},
    {"MAIL FROM:<a@example.org> BODY=BINARYMIME"sv, errc::ok, verb::mail, 0, {}, "a@example.org"sv},
    {"MAIL FROM:<a@example.org> BODY=9BIT"sv, errc::invalid_parameter, verb::mail, 501, "5.5.4"sv},
    {"MAIL FROM:<a@example.org> ENVID=a=b"sv, errc::invalid_parameter, verb::mail, 501, "5.5.4"sv},
    {"MAIL FROM:<a@example.org> ENVID=+0D+0A"sv, errc::invalid_parameter, verb::mail, 501, "5.5.4"sv},
    {"MAIL FROM:<a@example.org> ENVID=+"sv, errc::invalid_parameter, verb::mail, 501, "5.5.4"sv},
    {"MAIL FROM:<a@example.org> RET=ALL"sv, errc::invalid_parameter, verb::mail, 501, "5.5.4"sv},
    {"MAIL FROM:<a@example.org> SIZE=99999999999999999999"sv, errc::ok, verb::mail, 0, {}, "a@example.org"sv},
    {"MAIL FROM:<a@example.org> SIZE=999999999999999999999"sv, errc::invalid_parameter, verb::mail, 501, "5.5.4"sv},
    {"MAIL FROM:<postmaster>"sv, errc::address_syntax, verb::mail, 501, "5.1.7"sv},
    // RCPT (RFC 5321 §4.1.1.3)
    {"RCPT TO:<b@example.org>"sv, errc::ok, verb::rcpt, 0, {}, "b@example.org"sv},
    {"rcpt to:<B@EXAMPLE.org>"sv, errc::ok, verb::rcpt, 0, {}, "B@example.org"sv},
    {"RCPT TO:<Postmaster>"sv, errc::ok, verb::rcpt, 0, {}, "postmaster"sv},
    {"RCPT TO:<postmaster@example.org>"sv, errc::ok, verb::rcpt, 0, {}, "postmaster@example.org"sv},
    {"RCPT TO:<>"sv, errc::null_path_not_allowed, verb::rcpt, 501, "5.1.3"sv},
    {"RCPT TO:b@example.org"sv, errc::address_missing_brackets, verb::rcpt, 501, "5.1.3"sv},
    {"RCPT TO :<b@example.org>"sv, errc::syntax_error, verb::rcpt, 501, "5.5.2"sv},
    {"RCPT FROM:<b@example.org>"sv, errc::syntax_error, verb::rcpt, 501, "5.5.2"sv},
    {"RCPT TO:<b@example.org> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;b@example.org"sv,
     errc::ok,
     verb::rcpt,
     0,
     {},
     "b@example.org"sv},
    {"RCPT TO:<b@example.org> NOTIFY=never"sv, errc::ok, verb::rcpt, 0, {}, "b@example.org"sv},
    {"RCPT TO:<b@example.org> NOTIFY=NEVER,SUCCESS"sv, errc::invalid_parameter, verb::rcpt, 501, "5.5.4"sv},
    {"RCPT TO:<b@example.org> NOTIFY=SUCCESS,SUCCESS"sv, errc::invalid_parameter, verb::rcpt, 501, "5.5.4"sv},
    {"RCPT TO:<b@example.org> NOTIFY=SUCCESS,"sv, errc::invalid_parameter, verb::rcpt, 501, "5.5.4"sv},
    {"RCPT TO:<b@example.org> NOTIFY=DELAY NOTIFY=DELAY"sv, errc::duplicate_parameter, verb::rcpt, 501, "5.5.4"sv},
    {"RCPT TO:<b@example.org> ORCPT=rfc822;nobody"sv, errc::invalid_parameter, verb::rcpt, 501, "5.5.4"sv},
    {"RCPT TO:<b@example.org> ORCPT=rfc822"sv, errc::invalid_parameter, verb::rcpt, 501, "5.5.4"sv},
    {"RCPT TO:<b@example.org> ORCPT=rfc822;a+2"sv, errc::invalid_parameter, verb::rcpt, 501, "5.5.4"sv},
    {"RCPT TO:<b@example.org> ORCPT=rfc822;a@b+00"sv, errc::invalid_parameter, verb::rcpt, 501, "5.5.4"sv},
    {"RCPT TO:<b@example.org> ORCPT=x y;a@b"sv, errc::invalid_parameter, verb::rcpt, 501, "5.5.4"sv},
    {"RCPT TO:<b@example.org> SIZE=1"sv, errc::unknown_parameter, verb::rcpt, 555, "5.5.4"sv},
    {"RCPT TO:<b@example.org> NOTIFY=SUCCESS"sv, errc::unknown_parameter, verb::rcpt, 555, "5.5.4"sv, {}, true},
    {"RCPT TO:<\xc3\xa9@example.org>"sv, errc::non_ascii_address, verb::rcpt, 553, "5.6.7"sv},
    {"RCPT TO:<b@example.org"sv, errc::address_syntax, verb::rcpt, 501, "5.1.3"sv},
    {"RCPT TO:<b@@example.org>"sv, errc::address_syntax, verb::rcpt, 501, "5.1.3"sv},
    {"RCPT TO:<b c@example.org>"sv, errc::address_syntax, verb::rcpt, 501, "5.1.3"sv},
    // Commands without arguments
    {"DATA"sv, errc::ok, verb::data},
    {"data"sv, errc::ok, verb::data},
    {"DATA "sv, errc::ok, verb::data},
    {"DATA x"sv, errc::invalid_argument, verb::data, 501, "5.5.4"sv},
    {"RSET"sv, errc::ok, verb::rset},
    {"QUIT"sv, errc::ok, verb::quit},
    {"QUIT now"sv, errc::invalid_argument, verb::quit, 501, "5.5.4"sv},
    {"STARTTLS"sv, errc::ok, verb::starttls},
    {"STARTTLS x"sv, errc::invalid_argument, verb::starttls, 501, "5.5.4"sv},
    {"NOOP"sv, errc::ok, verb::noop},
    {"NOOP anything at all"sv, errc::ok, verb::noop},
    {"HELP"sv, errc::ok, verb::help},
    {"HELP MAIL"sv, errc::ok, verb::help},
    {"VRFY postmaster"sv, errc::ok, verb::vrfy},
    {"VRFY"sv, errc::invalid_argument, verb::vrfy, 501, "5.5.4"sv},
    // BDAT (RFC 3030)
    {"BDAT 1000"sv, errc::ok, verb::bdat},
    {"BDAT 0 LAST"sv, errc::ok, verb::bdat},
    {"bdat 10 last"sv, errc::ok, verb::bdat},
    {"BDAT 18446744073709551615"sv, errc::ok, verb::bdat},
    {"BDAT 18446744073709551616"sv, errc::invalid_argument, verb::bdat, 501, "5.5.4"sv},
    {"BDAT"sv, errc::invalid_argument, verb::bdat, 501, "5.5.4"sv},
    {"BDAT x"sv, errc::invalid_argument, verb::bdat, 501, "5.5.4"sv},
    {"BDAT -1"sv, errc::invalid_argument, verb::bdat, 501, "5.5.4"sv},
    {"BDAT 1 LAST x"sv, errc::invalid_argument, verb::bdat, 501, "5.5.4"sv},
    {"BDAT 1 FIRST"sv, errc::invalid_argument, verb::bdat, 501, "5.5.4"sv},
    // AUTH (RFC 4954)
    {"AUTH PLAIN"sv, errc::ok, verb::auth},
    {"AUTH PLAIN AGFsaWNlAHNlY3JldA=="sv, errc::ok, verb::auth},
    {"auth xoauth2 ="sv, errc::ok, verb::auth},
    {"AUTH PLAIN !!!!"sv, errc::invalid_base64, verb::auth, 501, "5.5.2"sv},
    {"AUTH PLAIN AGFsaWNl AA=="sv, errc::invalid_argument, verb::auth, 501, "5.5.4"sv},
    {"AUTH PLAIN dGVzdA"sv, errc::invalid_base64, verb::auth, 501, "5.5.2"sv},
    {"AUTH"sv, errc::invalid_argument, verb::auth, 501, "5.5.4"sv},
    {"AUTH MECHANISM_NAME_TOO_LONG"sv, errc::invalid_argument, verb::auth, 501, "5.5.4"sv},
    {"AUTH PL@IN"sv, errc::invalid_argument, verb::auth, 501, "5.5.4"sv},
    // Unknown or hostile
    {""sv, errc::unknown_command, verb::unknown, 500, "5.5.1"sv},
    {"FOO"sv, errc::unknown_command, verb::unknown, 500, "5.5.1"sv},
    {"EXPN list"sv, errc::unknown_command, verb::unknown, 500, "5.5.1"sv},
    {"MAILFROM:<a@example.org>"sv, errc::unknown_command, verb::unknown, 500, "5.5.1"sv},
    {"M\xc3\xa9IL FROM:<a@example.org>"sv, errc::unknown_command, verb::unknown, 500, "5.5.1"sv},
    {" MAIL FROM:<a@example.org>"sv, errc::unknown_command, verb::unknown, 500, "5.5.1"sv},
    {"\0"sv, errc::invalid_character, verb::unknown, 500, "5.5.2"sv},
    {"\x7f"sv, errc::invalid_character, verb::unknown, 500, "5.5.2"sv},
};

// ---------------------------------------------------------------------------------------------------------------
// Paths (parse_path). kind: 'r' reverse-path (null allowed), 'f' forward-path (postmaster allowed).
struct address_row {
  std::string_view input;
  char kind;
  bool smtputf8;
  errc error;
  std::string_view normalised{};  // on success
  std::string_view local{};       // on success: decoded local part
  std::size_t consumed = 0;       // on success; 0: the whole input
};

inline constexpr address_row address_rows[] = {
    {"<user@example.org>"sv, 'f', false, errc::ok, "user@example.org"sv, "user"sv},
    {"<User.Name+tag@Example.ORG>"sv, 'f', false, errc::ok, "User.Name+tag@example.org"sv, "User.Name+tag"sv},
    {"<!#$%&'*+-/=?^_`{|}~@x.org>"sv, 'f', false, errc::ok, "!#$%&'*+-/=?^_`{|}~@x.org"sv, "!#$%&'*+-/=?^_`{|}~"sv},
    {"<>"sv, 'r', false, errc::ok, ""sv, ""sv},
    {"<>"sv, 'f', false, errc::null_path_not_allowed},
    {"<Postmaster>"sv, 'f', false, errc::ok, "postmaster"sv, "Postmaster"sv},
    {"<POSTMASTER>"sv, 'f', false, errc::ok, "postmaster"sv, "POSTMASTER"sv},
    {"<Postmaster>"sv, 'r', false, errc::address_syntax},
    {"<postmaster@Example.org>"sv, 'f', false, errc::ok, "postmaster@example.org"sv, "postmaster"sv},
    {"<user@example.org> SIZE=1"sv, 'r', false, errc::ok, "user@example.org"sv, "user"sv, 18},
    {"<user@example.org>>"sv, 'r', false, errc::ok, "user@example.org"sv, "user"sv, 18},
    // Source routes: accepted and ignored (RFC 5321 §4.1.2, appendix C)
    {"<@a.example,@b.example:user@example.org>"sv, 'f', false, errc::ok, "user@example.org"sv, "user"sv},
    {"<@a.example:user@example.org>"sv, 'f', false, errc::ok, "user@example.org"sv, "user"sv},
    {"<@a.example user@example.org>"sv, 'f', false, errc::address_syntax},
    {"<@a.example,b.example:user@example.org>"sv, 'f', false, errc::address_syntax},
    {"<@[192.0.2.1]:user@example.org>"sv, 'f', false, errc::address_syntax},
    {"<@:user@example.org>"sv, 'f', false, errc::address_syntax},
    {"<@x.org>"sv, 'f', false, errc::address_syntax},
    // Quoted local parts (RFC 5321 §4.1.2 Quoted-string, quoted-pairSMTP)
    {"<\"john doe\"@example.org>"sv, 'f', false, errc::ok, "\"john doe\"@example.org"sv, "john doe"sv},
    {"<\"john\"@example.org>"sv, 'f', false, errc::ok, "john@example.org"sv, "john"sv},
    {"<\"a\\\\b\"@x.org>"sv, 'f', false, errc::ok, "\"a\\\\b\"@x.org"sv, "a\\b"sv},
    {"<\"a\\\"b\"@x.org>"sv, 'f', false, errc::ok, "\"a\\\"b\"@x.org"sv, "a\"b"sv},
    {"<\"\\a\"@x.org>"sv, 'f', false, errc::ok, "a@x.org"sv, "a"sv},
    {"<\"a..b\"@x.org>"sv, 'f', false, errc::ok, "\"a..b\"@x.org"sv, "a..b"sv},
    {"<\"a@b\"@x.org>"sv, 'f', false, errc::ok, "\"a@b\"@x.org"sv, "a@b"sv},
    {"<\"a>b\"@x.org>"sv, 'f', false, errc::ok, "\"a>b\"@x.org"sv, "a>b"sv},
    {"<\"\"@x.org>"sv, 'f', false, errc::ok, "\"\"@x.org"sv, ""sv},
    {"<\"abc@x.org>"sv, 'f', false, errc::address_syntax},
    {"<\"a\x01"
     "b\"@x.org>"sv,
     'f', false, errc::address_syntax},
    {"<\"a\\\x01\"@x.org>"sv, 'f', false, errc::address_syntax},
    {"<\"a\tb\"@x.org>"sv, 'f', false, errc::address_syntax},
    {"<\"a\"b@x.org>"sv, 'f', false, errc::address_syntax},
    {"<a\"b\"@x.org>"sv, 'f', false, errc::address_syntax},
    // Dot-string
    {"<a..b@x.org>"sv, 'f', false, errc::address_syntax},
    {"<.a@x.org>"sv, 'f', false, errc::address_syntax},
    {"<a.@x.org>"sv, 'f', false, errc::address_syntax},
    {"<a b@x.org>"sv, 'f', false, errc::address_syntax},
    {"< a@x.org>"sv, 'f', false, errc::address_syntax},
    {"<a@x.org >"sv, 'f', false, errc::address_syntax},
    {"<a(comment)@x.org>"sv, 'f', false, errc::address_syntax},
    {"<a\0b@x.org>"sv, 'f', false, errc::address_syntax},
    {"<a>"sv, 'f', false, errc::address_syntax},
    {"<a@b@c>"sv, 'f', false, errc::address_syntax},
    {"<@>"sv, 'f', false, errc::address_syntax},
    {"<"sv, 'f', false, errc::address_syntax},
    {""sv, 'f', false, errc::address_missing_brackets},
    {"a@b"sv, 'f', false, errc::address_missing_brackets},
    {"<a@b"sv, 'f', false, errc::address_syntax},
    // Domains
    {"<a@b>"sv, 'f', false, errc::ok, "a@b"sv, "a"sv},
    {"<a@123.example>"sv, 'f', false, errc::ok, "a@123.example"sv, "a"sv},
    {"<a@xn--exmple-cua.org>"sv, 'f', false, errc::ok, "a@xn--exmple-cua.org"sv, "a"sv},
    {"<a@-b.org>"sv, 'f', false, errc::address_syntax},
    {"<a@b-.org>"sv, 'f', false, errc::address_syntax},
    {"<a@b..org>"sv, 'f', false, errc::address_syntax},
    {"<a@b.org.>"sv, 'f', false, errc::address_syntax},
    {"<a@.b.org>"sv, 'f', false, errc::address_syntax},
    {"<a@b_c.org>"sv, 'f', false, errc::address_syntax},
    {"<a@>"sv, 'f', false, errc::address_syntax},
    // Address literals (RFC 5321 §4.1.3)
    {"<a@[127.0.0.1]>"sv, 'f', false, errc::ok, "a@[127.0.0.1]"sv, "a"sv},
    {"<a@[127.000.0.01]>"sv, 'f', false, errc::ok, "a@[127.000.0.01]"sv, "a"sv},
    {"<a@[127.0.0.256]>"sv, 'f', false, errc::address_syntax},
    {"<a@[127.0.0]>"sv, 'f', false, errc::address_syntax},
    {"<a@[1.2.3.4.5]>"sv, 'f', false, errc::address_syntax},
    {"<a@[1.2.3.4.]>"sv, 'f', false, errc::address_syntax},
    {"<a@[1234.2.3.4]>"sv, 'f', false, errc::address_syntax},
    {"<a@[IPv6:2001:db8::1]>"sv, 'f', false, errc::ok, "a@[ipv6:2001:db8::1]"sv, "a"sv},
    {"<a@[ipv6:2001:DB8::1]>"sv, 'f', false, errc::ok, "a@[ipv6:2001:db8::1]"sv, "a"sv},
    {"<a@[IPv6:::ffff:192.0.2.1]>"sv, 'f', false, errc::ok, "a@[ipv6:::ffff:192.0.2.1]"sv, "a"sv},
    {"<a@[IPv6:1:2:3:4:5:6:7:8]>"sv, 'f', false, errc::ok, "a@[ipv6:1:2:3:4:5:6:7:8]"sv, "a"sv},
    {"<a@[IPv6:1:2:3:4:5:6:7:8:9]>"sv, 'f', false, errc::address_syntax},
    {"<a@[IPv6:2001:db8::g]>"sv, 'f', false, errc::address_syntax},
    {"<a@[IPv6:fe80::1%eth0]>"sv, 'f', false, errc::address_syntax},
    {"<a@[IPv6:]>"sv, 'f', false, errc::address_syntax},
    {"<a@[x-tag:abc]>"sv, 'f', false, errc::address_syntax},
    {"<a@[127.0.0.1>"sv, 'f', false, errc::address_syntax},
    {"<a@[]>"sv, 'f', false, errc::address_syntax},
    {"<a@[[127.0.0.1]]>"sv, 'f', false, errc::address_syntax},
    {"<a@x.[127.0.0.1]>"sv, 'f', false, errc::address_syntax},
    // UTF-8 (RFC 6531): refused without SMTPUTF8, checked with it
    {"<\xc3\xa9@example.org>"sv, 'f', false, errc::non_ascii_address},
    {"<\xc3\xa9@example.org>"sv, 'f', true, errc::ok, "\xc3\xa9@example.org"sv, "\xc3\xa9"sv},
    {"<a@ex\xc3\xa4mple.org>"sv, 'f', false, errc::non_ascii_address},
    {"<a@ex\xc3\xa4mple.org>"sv, 'f', true, errc::ok, "a@ex\xc3\xa4mple.org"sv, "a"sv},
    {"<a@EX\xc3\x84MPLE.org>"sv, 'f', true, errc::ok, "a@ex\xc3\x84mple.org"sv, "a"sv},
    {"<\"\xc3\xa9 x\"@example.org>"sv, 'f', true, errc::ok, "\"\xc3\xa9 x\"@example.org"sv, "\xc3\xa9 x"sv},
    {"<\xc3@x.org>"sv, 'f', true, errc::invalid_utf8},
    {"<\xed\xa0\x80@x.org>"sv, 'f', true, errc::invalid_utf8},
    {"<\xc0\xaf@x.org>"sv, 'f', true, errc::invalid_utf8},
    {"<\xf4\x90\x80\x80@x.org>"sv, 'f', true, errc::invalid_utf8},
    {"<\xff@x.org>"sv, 'f', false, errc::invalid_utf8},
    {"<a@x\xe2\x80.org>"sv, 'f', true, errc::invalid_utf8},
};

// ---------------------------------------------------------------------------------------------------------------
// Replies (reply_parser). Transcript: "<code>|<enhanced>|<line>|<line>..." per reply, joined with '#';
// errors as "E:<describe>"; then "#R:<leftover>".
struct reply_row {
  std::string_view input;
  std::string_view transcript;
};

inline constexpr reply_row reply_rows[] = {
    {"250 OK\r\n"sv, "250||OK#R:"sv},
    {"250 2.1.0 Sender OK\r\n"sv, "250|2.1.0|Sender OK#R:"sv},
    {"220\r\n"sv, "220||#R:"sv},
    {"220 \r\n"sv, "220||#R:"sv},
    {"421 4.7.0\r\n"sv, "421|4.7.0|#R:"sv},
    {"250-mx.example.org\r\n250-PIPELINING\r\n250 SIZE 1000\r\n"sv, "250||mx.example.org|PIPELINING|SIZE 1000#R:"sv},
    {"550-5.1.1 No such\r\n550 5.1.1 user\r\n"sv, "550|5.1.1|No such|user#R:"sv},
    {"550-5.1.1 No such\r\n550 user\r\n"sv, "550|5.1.1|No such|user#R:"sv},
    {"250 5.1.1 class differs\r\n"sv, "250||5.1.1 class differs#R:"sv},
    {"250 2.0.0.1 x\r\n"sv, "250||2.0.0.1 x#R:"sv},
    {"250 2.0.0x\r\n"sv, "250||2.0.0x#R:"sv},
    {"250 a\r\n354 b\r\n"sv, "250||a#354||b#R:"sv},
    {"250-a\r\n"sv, "R:"sv},
    {"250-a\r\n250"sv, "R:250"sv},
    {"250-a\r\n251 b\r\n"sv, "E:reply code changes within a multi-line reply#R:"sv},
    {"25 x\r\n"sv, "E:reply syntax error#R:"sv},
    {"abc\r\n"sv, "E:reply syntax error#R:"sv},
    {"250x\r\n"sv, "E:reply syntax error#R:"sv},
    {"600 x\r\n"sv, "E:reply syntax error#R:"sv},
    {"199 x\r\n"sv, "E:reply syntax error#R:"sv},
    {"260 x\r\n"sv, "E:reply syntax error#R:"sv},
    {"\r\n"sv, "E:reply syntax error#R:"sv},
    {"250 OK\n"sv, "E:bare LF in reply#R:"sv},
    {"250 O\rK\r\n"sv, "E:reply syntax error#R:"sv},
    {"250 a\0b\r\n"sv, "250||a\0b#R:"sv},
    {"250-a\r\n250-b\r\n250-c\r\n250-d\r\n250 e\r\n"sv, "E:reply has too many lines#R:"sv},  // limit 4 lines
    {"250 0123456789012345678901234567890123456789\r\n250 ok\r\n"sv, "E:reply line too long#250||ok#R:"sv},
};
inline constexpr reply_limits reply_row_limits{40, 4};

// ---------------------------------------------------------------------------------------------------------------
// DATA (data_reader): the bytes after "354", limits, and the outcome. `rest`: bytes left after the end of data.
struct data_row {
  std::string_view name;
  std::string_view input;
  bool done;
  errc error;
  std::string_view body;  // on done && ok
  std::string_view rest{};
  std::uint64_t max_size = 1 << 20;
  std::size_t max_line = 1000;
  bool refuse_long_lines = true;
};

inline constexpr data_row data_rows[] = {
    {"empty message", ".\r\n"sv, true, errc::ok, ""sv},
    {"one line", "hello\r\n.\r\n"sv, true, errc::ok, "hello\r\n"sv},
    {"empty line", "\r\n.\r\n"sv, true, errc::ok, "\r\n"sv},
    {"pipelined command after end", "hello\r\n.\r\nQUIT\r\n"sv, true, errc::ok, "hello\r\n"sv, "QUIT\r\n"sv},
    {"headers and body", "Subject: x\r\n\r\nbody\r\n.\r\n"sv, true, errc::ok, "Subject: x\r\n\r\nbody\r\n"sv},
    {"dot-stuffed line", "..dot\r\n.\r\n"sv, true, errc::ok, ".dot\r\n"sv},
    {"dot-stuffed only dot", "a\r\n..\r\n.\r\n"sv, true, errc::ok, "a\r\n.\r\n"sv},
    {"single dot then text (deleted)", ".x\r\n.\r\n"sv, true, errc::ok, "x\r\n"sv},
    {"triple dot", "...\r\n.\r\n"sv, true, errc::ok, "..\r\n"sv},
    {"dot not at line start", "a.b\r\n.x.\r\n.\r\n"sv, true, errc::ok, "a.b\r\nx.\r\n"sv},
    {"dot space", ". \r\n.\r\n"sv, true, errc::ok, " \r\n"sv},
    {"NUL and 8-bit kept", "a\0b\xc3\xa9\xff\r\n.\r\n"sv, true, errc::ok, "a\0b\xc3\xa9\xff\r\n"sv},
    {"no end yet", "abc\r\n"sv, false, errc::ok, ""sv},
    {"no end: dot line without CRLF", "abc\r\n."sv, false, errc::ok, ""sv},
    {"no end: dot CR", "abc\r\n.\r"sv, false, errc::ok, ""sv},
    // Smuggling: none of these end the data; bare LF / CR are reported after the real end.
    {"LF.LF is data", "a\n.\nb\r\n.\r\nX"sv, true, errc::data_bare_lf, ""sv, "X"sv},
    {"CR.CR is data", "a\r.\rb\r\n.\r\nX"sv, true, errc::data_bare_cr, ""sv, "X"sv},
    {"LF.CRLF is data", "a\n.\r\nb\r\n.\r\nX"sv, true, errc::data_bare_lf, ""sv, "X"sv},
    {"CRLF.LF is data", "a\r\n.\nb\r\n.\r\nX"sv, true, errc::data_bare_lf, ""sv, "X"sv},
    {"CRLF.CR is data", "a\r\n.\rb\r\n.\r\nX"sv, true, errc::data_bare_cr, ""sv, "X"sv},
    {"CRLF.CRCRLF", "a\r\n.\r\r\n.\r\nX"sv, true, errc::data_bare_cr, ""sv, "X"sv},
    {"LF.LF at start", ".\nMAIL FROM:<x@y>\r\n.\r\n"sv, true, errc::data_bare_lf, ""sv},
    {"bare LF then LF.CRLF never ends", "a\r\n\n.\r\n"sv, false, errc::ok, ""sv},
    {"bare LF then real end", "a\r\n\n.\r\n.\r\n"sv, true, errc::data_bare_lf, ""sv},
    {"bare CR in the middle", "a\rb\r\n.\r\n"sv, true, errc::data_bare_cr, ""sv},
    {"bare CR at line end", "a\r\r\n.\r\n"sv, true, errc::data_bare_cr, ""sv},
    {"bare LF in the middle", "a\nb\r\n.\r\n"sv, true, errc::data_bare_lf, ""sv},
    {"smuggled transaction", "body\r\n\n.\nMAIL FROM:<evil@x>\nRCPT TO:<v@y>\nDATA\nforged\n.\r\n.\r\nQUIT\r\n"sv, true,
     errc::data_bare_lf, ""sv, "QUIT\r\n"sv},
    {"bare LF and too big: bare LF wins", "0123456789\n\r\n.\r\n"sv, true, errc::data_bare_lf, ""sv, ""sv, 5},
    // Size (RFC 1870): exactly at the limit, one over; the transparency dot is not counted.
    {"at size limit", "12345678\r\n.\r\n"sv, true, errc::ok, "12345678\r\n"sv, ""sv, 10},
    {"one over size limit", "123456789\r\n.\r\nNOOP\r\n"sv, true, errc::message_too_big, ""sv, "NOOP\r\n"sv, 10},
    {"stuffed line at size limit", "..2345678\r\n.\r\n"sv, true, errc::ok, ".2345678\r\n"sv, ""sv, 10},
    {"empty body with zero limit", ".\r\n"sv, true, errc::ok, ""sv, ""sv, 0},
    {"one octet over zero limit", "\r\n.\r\n"sv, true, errc::message_too_big, ""sv, ""sv, 0},
    // Line length (limit 10 with CRLF here): 8 octets fit; the transparency dot is not counted.
    {"line at limit", "12345678\r\n.\r\n"sv, true, errc::ok, "12345678\r\n"sv, ""sv, 1 << 20, 10},
    {"line one over limit", "123456789\r\n.\r\n"sv, true, errc::data_line_too_long, ""sv, ""sv, 1 << 20, 10},
    {"stuffed line at limit", "..2345678\r\n.\r\n"sv, true, errc::ok, ".2345678\r\n"sv, ""sv, 1 << 20, 10},
    {"long line accepted by flag", "123456789012\r\n.\r\n"sv, true, errc::ok, "123456789012\r\n"sv, ""sv, 1 << 20, 10,
     false},
    {"long line and too big: line wins", "123456789012\r\n.\r\n"sv, true, errc::data_line_too_long, ""sv, ""sv, 5, 10},
};

// ---------------------------------------------------------------------------------------------------------------
// BDAT (bdat_reader): chunks with their declared sizes.
struct bdat_chunk {
  std::string_view data;  // exactly the chunk (its size is data.size())
  bool last;
};
struct bdat_row {
  std::string_view name;
  std::array<bdat_chunk, 3> chunks;  // unused entries: empty data and last == false after a last chunk
  std::size_t count;
  errc error;
  std::string_view body;
  bool binary = false;
  std::uint64_t max_size = 1 << 20;
};

inline constexpr bdat_row bdat_rows[] = {
    {"one chunk", {{{"hello\r\n"sv, true}}}, 1, errc::ok, "hello\r\n"sv},
    {"dots are data", {{{".\r\n..\r\n"sv, true}}}, 1, errc::ok, ".\r\n..\r\n"sv},
    {"empty last chunk", {{{"abc\r\n"sv, false}, {""sv, true}}}, 2, errc::ok, "abc\r\n"sv},
    {"CRLF across chunks", {{{"abc\r"sv, false}, {"\ndef\r\n"sv, true}}}, 2, errc::ok, "abc\r\ndef\r\n"sv},
    {"no final CRLF", {{{"abc"sv, true}}}, 1, errc::ok, "abc"sv},
    {"bare LF", {{{"a\nb\r\n"sv, true}}}, 1, errc::data_bare_lf, ""sv},
    {"bare CR across chunks", {{{"abc\r"sv, false}, {"x\r\n"sv, true}}}, 2, errc::data_bare_cr, ""sv},
    {"CR at the very end", {{{"abc\r"sv, true}}}, 1, errc::data_bare_cr, ""sv},
    {"binary allows bare LF", {{{"a\nb\rc"sv, true}}}, 1, errc::ok, "a\nb\rc"sv, true},
    {"at size limit", {{{"12345"sv, false}, {"67890"sv, true}}}, 2, errc::ok, "1234567890"sv, false, 10},
    {"over size limit", {{{"12345"sv, false}, {"678901"sv, true}}}, 2, errc::message_too_big, ""sv, false, 10},
};

}  // namespace mssgw::smtp::proto::rows
