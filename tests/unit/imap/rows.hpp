// Table rows for the imap/proto tests: RFC examples (RFC 3501 §6 and §8, and the extension RFCs) and hostile
// inputs, with the expected outcome.
//
// Shared by the Catch2 tests in this folder (each row is checked whole, one byte at a time and at every two-chunk
// split) and by the libFuzzer seed generator (tests/fuzz/imap_seeds.cpp), which writes each row as a seed.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "imap/proto/command_reader.hpp"
#include "imap/proto/errc.hpp"

namespace mssgw::imap::proto::rows {

using namespace std::literals;

inline std::string repeat(std::string_view s, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += s;
  return out;
}

// A message of exactly `n` octets (CRLF lines), for APPEND rows.
inline std::string message(std::size_t n) {
  std::string m = "Date: Mon, 7 Feb 1994 21:52:25 -0800 (PST)\r\nFrom: Fred Foobar <foobar@Blurdybloop.example>\r\n"
                  "Subject: afternoon meeting\r\nTo: mooch@owatagu.siam.edu.example\r\n\r\nHello Joe, do you think we "
                  "can meet at 3:30 tomorrow?\r\n";
  while (m.size() < n) m += "x";
  m.resize(n);
  return m;
}

// ---------------------------------------------------------------------------------------------------------------
// command_reader: a byte stream, limits, and the transcript of events joined by '|':
//   "C:<text>" command, "+:<tag>" need_continuation, "E:<describe(errc)>:<tag>" error,
//   "F:<describe(errc)>:<tag>" fatal (the transcript stops there), then "R:<bytes left in the buffer>".
struct reader_row {
  std::string name;
  std::string stream;
  limits lim;
  std::string transcript;
};

inline limits small_limits() {
  limits l;
  l.max_line = 32;
  l.max_literal = 100;
  l.max_nonsync_literal = 100;
  l.max_command = 200;
  l.max_depth = 8;
  return l;
}

inline limits literal_minus_limits() {
  limits l;
  l.max_literal = 10000;
  l.max_nonsync_literal = literal_minus_max;
  return l;
}

inline const std::vector<reader_row>& reader_rows() {
  static const std::vector<reader_row> rows = {
      {"one command", "a001 CAPABILITY\r\n", {}, "C:a001 CAPABILITY|R:"},
      {"pipelined", "a1 NOOP\r\na2 LOGOUT\r\n", {}, "C:a1 NOOP|C:a2 LOGOUT|R:"},
      {"partial line kept", "a1 NOOP\r\na2 NO", {}, "C:a1 NOOP|R:a2 NO"},
      {"CR at the end kept", "a1 NOOP\r", {}, "R:a1 NOOP\r"},
      {"empty line", "\r\n", {}, "C:|R:"},
      {"synchronising literals", "A1 LOGIN {5}\r\nalice {6}\r\nsecret\r\n", {},
       "+:A1|+:A1|C:A1 LOGIN {5}\r\nalice {6}\r\nsecret|R:"},
      {"non-synchronising literals (RFC 7888)", "A1 LOGIN {5+}\r\nalice {6+}\r\nsecret\r\nA2 NOOP\r\n", {},
       "C:A1 LOGIN {5+}\r\nalice {6+}\r\nsecret|C:A2 NOOP|R:"},
      {"literal8 (RFC 3516)", "A1 APPEND INBOX ~{5}\r\na\0b\r\n\r\n"s, {}, "+:A1|C:A1 APPEND INBOX ~{5}\r\na\0b\r\n|R:"s},
      {"literal8 non-synchronising", "A1 APPEND INBOX ~{3+}\r\nx\0y\r\n"s, {}, "C:A1 APPEND INBOX ~{3+}\r\nx\0y|R:"s},
      {"empty literals", "A1 LOGIN {0}\r\n {0+}\r\n\r\n", {}, "+:A1|C:A1 LOGIN {0}\r\n {0+}\r\n|R:"},
      {"literal holding CRLF and a fake announcement", "A1 APPEND INBOX {7}\r\nx {3}\r\n\r\nA2 NOOP\r\n", {},
       "+:A1|C:A1 APPEND INBOX {7}\r\nx {3}\r\n|C:A2 NOOP|R:"},
      {"literal with leading zeros", "A1 LOGIN {003}\r\nabc x\r\n", {}, "+:A1|C:A1 LOGIN {003}\r\nabc x|R:"},
      {"literal shorter than announced waits", "A1 LOGIN {5}\r\nabc", {}, "+:A1|R:A1 LOGIN {5}\r\nabc"},
      {"not a literal: {-1}", "A1 LOGIN {-1}\r\n", {}, "C:A1 LOGIN {-1}|R:"},
      {"not a literal: {}", "A1 LOGIN {}\r\n", {}, "C:A1 LOGIN {}|R:"},
      {"not a literal: {5} inside the line", "A1 LOGIN {5} x\r\n", {}, "C:A1 LOGIN {5} x|R:"},
      {"not a literal: {5} in a quoted string", "A1 LOGIN \"x {5}\r\n", {}, "C:A1 LOGIN \"x {5}|R:"},
      {"quoted string with escaped quote", "A1 LOGIN \"a\\\"{5}\" x\r\n", {}, "C:A1 LOGIN \"a\\\"{5}\" x|R:"},
      {"escaped backslash closes the quote", "A1 LOGIN \"a\\\\\" {2}\r\nab\r\n", {},
       "+:A1|C:A1 LOGIN \"a\\\\\" {2}\r\nab|R:"},
      {"literal at the maximum size", "A1 X {100}\r\n" + repeat("y", 100) + "\r\n", small_limits(),
       "+:A1|C:A1 X {100}\r\n" + repeat("y", 100) + "|R:"},
      {"synchronising literal over the limit is refused at once", "A1 APPEND INBOX {101}\r\nA2 NOOP\r\n",
       small_limits(), "E:literal larger than the literal limit:A1|C:A2 NOOP|R:"},
      {"non-synchronising literal over the limit is fatal", "A1 X {101+}\r\n" + repeat("z", 101) + "\r\n",
       small_limits(), "F:literal larger than the literal limit:A1"},
      {"huge literal announced by a tiny command", "A1 APPEND INBOX {52428801}\r\nA2 NOOP\r\n", {},
       "E:literal larger than the literal limit:A1|C:A2 NOOP|R:"},
      {"literal size over 64 bits", "A1 APPEND INBOX {18446744073709551616}\r\nA2 NOOP\r\n", {},
       "E:literal larger than the literal limit:A1|C:A2 NOOP|R:"},
      {"literal size 99999999999", "A1 APPEND INBOX {99999999999}\r\n", {},
       "E:literal larger than the literal limit:A1|R:"},
      {"non-synchronising literal over 64 bits", "A1 APPEND INBOX {99999999999999999999999+}\r\nxx", {},
       "F:literal larger than the literal limit:A1"},
      {"LITERAL-: non-synchronising over 4096 is fatal", "A1 APPEND INBOX {4097+}\r\n", literal_minus_limits(),
       "F:non-synchronising literal larger than its limit:A1"},
      {"LITERAL-: synchronising over 4096 is fine", "A1 APPEND INBOX {4097}\r\n", literal_minus_limits(),
       "+:A1|R:A1 APPEND INBOX {4097}\r\n"},
      {"LITERAL-: non-synchronising of 4096 is fine", "A1 X {4096+}\r\n" + repeat("q", 4096) + "\r\n",
       literal_minus_limits(), "C:A1 X {4096+}\r\n" + repeat("q", 4096) + "|R:"},
      {"command over the total limit", "A1 X {95}\r\n" + repeat("a", 95) + " {95}\r\nA2 NOOP\r\n", small_limits(),
       "+:A1|E:command longer than the command limit:A1|C:A2 NOOP|R:"},
      {"line at the limit", "A1 " + repeat("x", 27) + "\r\n", small_limits(), "C:A1 " + repeat("x", 27) + "|R:"},
      {"line over the limit", "A1 " + repeat("x", 28) + "\r\nA2 NOOP\r\n", small_limits(),
       "E:command line longer than the line limit:A1|C:A2 NOOP|R:"},
      {"overlong line discarded as it comes", "A1 " + repeat("x", 200) + "\r\nA2 NOOP\r\n", small_limits(),
       "E:command line longer than the line limit:A1|C:A2 NOOP|R:"},
      {"overlong line ending with a non-synchronising literal", "A1 " + repeat("x", 40) + " {5+}\r\nhello\r\n",
       small_limits(), "F:command line longer than the line limit:A1"},
      {"overlong line ending with a synchronising literal", "A1 " + repeat("x", 40) + " {5}\r\nA2 NOOP\r\n",
       small_limits(), "E:command line longer than the line limit:A1|C:A2 NOOP|R:"},
      {"lines of one command count together", "A1 X {1}\r\na" + repeat("y", 30) + "\r\n", small_limits(),
       "+:A1|E:command line longer than the line limit:A1|R:"},
      {"nesting at the limit", "A1 X " + repeat("(", 8) + repeat(")", 8) + "\r\n", small_limits(),
       "C:A1 X " + repeat("(", 8) + repeat(")", 8) + "|R:"},
      {"nesting over the limit", "A1 X " + repeat("(", 9) + "\r\nA2 NOOP\r\n", small_limits(),
       "E:parentheses nested deeper than the limit:A1|C:A2 NOOP|R:"},
      {"parentheses in quoted strings do not nest", "A1 X \"" + repeat("(", 20) + "\"\r\n", small_limits(),
       "C:A1 X \"" + repeat("(", 20) + "\"|R:"},
      {"bare LF", "A1 NOOP\nA2 NOOP\r\n", {}, "E:bare LF in command:A1|C:A2 NOOP|R:"},
      {"bare LF after a non-synchronising literal announcement", "A1 X {2+}\nab\r\n", {},
       "F:bare LF in command:A1"},
      {"bare CR", "A1 NO\rOP\r\nA2 NOOP\r\n", {}, "E:bare CR in command:A1|C:A2 NOOP|R:"},
      {"double CR", "A1 NOOP\r\r\nA2 NOOP\r\n", {}, "E:bare CR in command:A1|C:A2 NOOP|R:"},
      {"NUL and 8-bit pass the framing", "A1 LOGIN a\0b caf\xc3\xa9\r\n"s, {}, "C:A1 LOGIN a\0b caf\xc3\xa9|R:"s},
      {"error without a valid tag", "+ " + repeat("x", 40) + "\r\n", small_limits(),
       "E:command line longer than the line limit:|R:"},
      {"error with a tag too long to echo", repeat("t", 65) + " NOOP\nA2 NOOP\r\n", {},
       "E:bare LF in command:|C:A2 NOOP|R:"},
      {"unterminated quote ends at CRLF", "A1 LOGIN \"abc\r\nA2 NOOP\r\n", {}, "C:A1 LOGIN \"abc|C:A2 NOOP|R:"},
      {"RFC 3501 §8 APPEND", "A003 APPEND saved-messages (\\Seen) {310}\r\n" + message(310) + "\r\n", {},
       "+:A003|C:A003 APPEND saved-messages (\\Seen) {310}\r\n" + message(310) + "|R:"},
      {"RFC 3502 MULTIAPPEND",
       "A003 APPEND saved-messages (\\Seen) {40}\r\n" + message(40) + " (\\Seen) \" 1-Aug-2002 22:00:00 +0100\" {20}\r\n" +
           message(20) + "\r\n",
       {},
       "+:A003|+:A003|C:A003 APPEND saved-messages (\\Seen) {40}\r\n" + message(40) +
           " (\\Seen) \" 1-Aug-2002 22:00:00 +0100\" {20}\r\n" + message(20) + "|R:"},
  };
  return rows;
}

// ---------------------------------------------------------------------------------------------------------------
// Commands: the wire form (CRLF included; literals in place) and the expected parse outcome.
struct command_row {
  std::string wire;
  errc error;
  std::string_view name;  // upper-cased command name expected in parsed_command::name ("" when not read)
};

inline const std::vector<command_row>& command_rows() {
  static const std::vector<command_row> rows = {
      // RFC 3501 §8 sample session (client side)
      {"a001 login mrc secret\r\n", errc::ok, "LOGIN"},
      {"a002 select inbox\r\n", errc::ok, "SELECT"},
      {"a003 fetch 12 full\r\n", errc::ok, "FETCH"},
      {"a004 fetch 12 body[header]\r\n", errc::ok, "FETCH"},
      {"a005 store 12 +flags \\deleted\r\n", errc::ok, "STORE"},
      {"a006 logout\r\n", errc::ok, "LOGOUT"},
      // RFC 3501 §6 examples
      {"a001 CAPABILITY\r\n", errc::ok, "CAPABILITY"},
      {"a002 NOOP\r\n", errc::ok, "NOOP"},
      {"A023 LOGOUT\r\n", errc::ok, "LOGOUT"},
      {"a002 STARTTLS\r\n", errc::ok, "STARTTLS"},
      {"A001 AUTHENTICATE GSSAPI\r\n", errc::ok, "AUTHENTICATE"},
      {"a001 LOGIN SMITH SESAME\r\n", errc::ok, "LOGIN"},
      {"A142 SELECT INBOX\r\n", errc::ok, "SELECT"},
      {"A932 EXAMINE blurdybloop\r\n", errc::ok, "EXAMINE"},
      {"A003 CREATE owatagusiam/\r\n", errc::ok, "CREATE"},
      {"A004 CREATE owatagusiam/blurdybloop\r\n", errc::ok, "CREATE"},
      {"A683 DELETE blurdybloop\r\n", errc::ok, "DELETE"},
      {"A683 RENAME blurdybloop sarasoop\r\n", errc::ok, "RENAME"},
      {"A002 SUBSCRIBE #news.comp.mail.mime\r\n", errc::ok, "SUBSCRIBE"},
      {"A002 UNSUBSCRIBE #news.comp.mail.mime\r\n", errc::ok, "UNSUBSCRIBE"},
      {"A101 LIST \"\" \"\"\r\n", errc::ok, "LIST"},
      {"A682 LIST \"\" *\r\n", errc::ok, "LIST"},
      {"A102 LIST #news.comp.mail.misc \"\"\r\n", errc::ok, "LIST"},
      {"A202 LIST ~/Mail/ %\r\n", errc::ok, "LIST"},
      {"A002 LSUB \"#news.\" \"comp.mail.*\"\r\n", errc::ok, "LSUB"},
      {"A042 STATUS blurdybloop (UIDNEXT MESSAGES)\r\n", errc::ok, "STATUS"},
      {"A003 APPEND saved-messages (\\Seen) {310}\r\n" + message(310) + "\r\n", errc::ok, "APPEND"},
      {"FXXZ CHECK\r\n", errc::ok, "CHECK"},
      {"A341 CLOSE\r\n", errc::ok, "CLOSE"},
      {"A202 EXPUNGE\r\n", errc::ok, "EXPUNGE"},
      {"A282 SEARCH FLAGGED SINCE 1-Feb-1994 NOT FROM \"Smith\"\r\n", errc::ok, "SEARCH"},
      {"A283 SEARCH TEXT \"string not in mailbox\"\r\n", errc::ok, "SEARCH"},
      {"A284 SEARCH CHARSET UTF-8 TEXT {6}\r\n\xe6\x97\xa5\xe6\x9c\xac\r\n", errc::ok, "SEARCH"},
      {"A654 FETCH 2:4 (FLAGS BODY[HEADER.FIELDS (DATE FROM)])\r\n", errc::ok, "FETCH"},
      {"A003 STORE 2:4 +FLAGS (\\Deleted)\r\n", errc::ok, "STORE"},
      {"A003 COPY 2:4 MEETING\r\n", errc::ok, "COPY"},
      {"A999 UID FETCH 4827313:4828442 FLAGS\r\n", errc::ok, "UID FETCH"},
      // Extensions
      {"a01 AUTHENTICATE PLAIN dGVzdAB0ZXN0AHRlc3Q=\r\n", errc::ok, "AUTHENTICATE"},  // RFC 4959
      {"a01 AUTHENTICATE PLAIN =\r\n", errc::ok, "AUTHENTICATE"},
      {"t2 ENABLE CONDSTORE X-GOOD-IDEA\r\n", errc::ok, "ENABLE"},                      // RFC 5161
      {"A03 SELECT INBOX (CONDSTORE)\r\n", errc::ok, "SELECT"},                          // RFC 7162
      {"A02 SELECT INBOX (QRESYNC (67890007 20050715194045000 41,43:211,214:541))\r\n", errc::ok, "SELECT"},
      {"B02 SELECT INBOX (QRESYNC (67890007 90060115194045000 1:29997 (5000,7500,9000,9990:9999 "
       "15000,22500,27000,29970,29973,29976,29979,29982,29985,29988,29991,29994,29997)))\r\n",
       errc::ok, "SELECT"},
      {"s100 UID FETCH 300:500 (FLAGS) (CHANGEDSINCE 12345 VANISHED)\r\n", errc::ok, "UID FETCH"},
      {"a103 UID STORE 6,4,8 (UNCHANGEDSINCE 12121230045) +FLAGS.SILENT (\\Deleted)\r\n", errc::ok, "UID STORE"},
      {"a SEARCH MODSEQ \"/flags/\\\\draft\" all 620162338\r\n", errc::ok, "SEARCH"},
      {"a FETCH 1:* (FLAGS) (CHANGEDSINCE 12345)\r\n", errc::ok, "FETCH"},
      {"A282 SEARCH RETURN (MIN COUNT) FLAGGED SINCE 1-Feb-1994 NOT FROM \"Smith\"\r\n", errc::ok, "SEARCH"},
      {"A283 SEARCH RETURN () FLAGGED SINCE 1-Feb-1994 NOT FROM \"Smith\"\r\n", errc::ok, "SEARCH"},
      {"A282 SEARCH RETURN (SAVE) FLAGGED\r\n", errc::ok, "SEARCH"},  // RFC 5182
      {"A283 FETCH $ (UID INTERNALDATE FLAGS RFC822.SIZE)\r\n", errc::ok, "FETCH"},
      {"A282 SORT (SUBJECT) UTF-8 SINCE 1-Feb-1994\r\n", errc::ok, "SORT"},  // RFC 5256
      {"A283 SORT (SUBJECT REVERSE DATE) UTF-8 ALL\r\n", errc::ok, "SORT"},
      {"A284 SORT (SUBJECT) US-ASCII TEXT \"not in mailbox\"\r\n", errc::ok, "SORT"},
      {"A301 UID SORT RETURN (MIN MAX) (REVERSE ARRIVAL) UTF-8 UNDELETED\r\n", errc::ok, "UID SORT"},  // RFC 5267
      {"A01 LIST (SUBSCRIBED) \"\" \"*\"\r\n", errc::ok, "LIST"},  // RFC 5258
      {"A02 LIST (SUBSCRIBED REMOTE) \"\" \"*\"\r\n", errc::ok, "LIST"},
      {"A03 LIST () \"\" \"%\" RETURN (CHILDREN)\r\n", errc::ok, "LIST"},
      {"A06 LIST \"\" (\"INBOX\" \"Drafts\" \"Sent/%\")\r\n", errc::ok, "LIST"},
      {"C04 LIST (SUBSCRIBED RECURSIVEMATCH) \"\" \"%\"\r\n", errc::ok, "LIST"},
      {"A01 LIST \"\" % RETURN (STATUS (MESSAGES UNSEEN))\r\n", errc::ok, "LIST"},  // RFC 5819
      {"t1 LIST \"\" \"%\" RETURN (SPECIAL-USE)\r\n", errc::ok, "LIST"},             // RFC 6154
      {"t1 LIST (SPECIAL-USE) \"\" \"*\"\r\n", errc::ok, "LIST"},
      {"t3 CREATE MySpecial (USE (\\Drafts \\Sent))\r\n", errc::ok, "CREATE"},
      {"a023 ID (\"name\" \"sodr\" \"version\" \"19.34\" \"vendor\" \"Pink Floyd Music Limited\")\r\n", errc::ok,
       "ID"},  // RFC 2971
      {"a042 ID NIL\r\n", errc::ok, "ID"},
      {"a UID MOVE 42:69 foo\r\n", errc::ok, "UID MOVE"},      // RFC 6851
      {"a MOVE 1:3 Trash\r\n", errc::ok, "MOVE"},
      {"A003 UID EXPUNGE 3000:3002\r\n", errc::ok, "UID EXPUNGE"},  // RFC 4315
      {"A004 UID COPY 1:* Archive\r\n", errc::ok, "UID COPY"},
      {"A001 IDLE\r\n", errc::ok, "IDLE"},                    // RFC 2177
      {"A5 UNSELECT\r\n", errc::ok, "UNSELECT"},              // RFC 3691
      {"A6 NAMESPACE\r\n", errc::ok, "NAMESPACE"},            // RFC 2342
      {"A7 GETQUOTAROOT INBOX\r\n", errc::ok, "GETQUOTAROOT"},  // RFC 9208
      {"A8 GETQUOTA \"\"\r\n", errc::ok, "GETQUOTA"},
      {"A9 STATUS Sent (HIGHESTMODSEQ SIZE DELETED APPENDLIMIT)\r\n", errc::ok, "STATUS"},
      {"b1 FETCH 1 (BINARY[1.2]<0.1024> BINARY.SIZE[1] BINARY.PEEK[])\r\n", errc::ok, "FETCH"},  // RFC 3516
      {"b2 APPEND Drafts ~{5}\r\nab\0cd\r\n"s, errc::ok, "APPEND"},
      {"b3 APPEND Sent (\\Seen) \" 1-Aug-2002 22:00:00 +0100\" {3+}\r\nabc (\\Draft) {2}\r\nxy\r\n", errc::ok,
       "APPEND"},  // RFC 3502 + RFC 7888
      {"c1 FETCH 1 BODY.PEEK[1.2.HEADER.FIELDS.NOT (Received \"X-Spam\" {4}\r\nDate)]<100.200>\r\n", errc::ok, "FETCH"},
      {"c2 FETCH 1:3,5 (ENVELOPE BODYSTRUCTURE BODY UID MODSEQ RFC822 RFC822.HEADER RFC822.TEXT)\r\n", errc::ok,
       "FETCH"},
      {"c3 SEARCH OR (FROM a TO b) NOT (SEEN UNDELETED) UID 1:5,$\r\n", errc::ok, "SEARCH"},
      {"c4 SELECT \"[Gmail]/Sent Mail\"\r\n", errc::ok, "SELECT"},
      {"c5 SELECT [Gmail]/Sent\r\n", errc::ok, "SELECT"},
      {"c6 CREATE &AOk-t&AOk-\r\n", errc::ok, "CREATE"},

      // Hostile and malformed input
      {"\r\n", errc::missing_tag, ""},
      {" NOOP\r\n", errc::missing_tag, ""},
      {"A1\r\n", errc::syntax_error, ""},
      {"A1 \r\n", errc::syntax_error, ""},
      {"+ NOOP\r\n", errc::invalid_tag, ""},
      {"A*1 NOOP\r\n", errc::invalid_tag, ""},
      {"A\xff NOOP\r\n"s, errc::invalid_tag, ""},
      {repeat("t", 65) + " NOOP\r\n", errc::invalid_tag, ""},
      {"A1 FROBNICATE\r\n", errc::unknown_command, "FROBNICATE"},
      {"A1 UID LOGIN a b\r\n", errc::unknown_command, "UID LOGIN"},
      {"A1 UID\r\n", errc::missing_argument, "UID"},
      {"A1 NO\xc3\xa9OP\r\n"s, errc::unknown_command, ""},
      {"A1 NOOP \r\n", errc::syntax_error, "NOOP"},
      {"A1 NOOP extra\r\n", errc::trailing_data, "NOOP"},
      {"A1 LOGIN \"abc\r\n", errc::unterminated_quoted, "LOGIN"},
      {"A1 LOGIN \"a\\bc\" x\r\n", errc::invalid_escape, "LOGIN"},
      {"A1 LOGIN \"a\0b\" x\r\n"s, errc::invalid_character, "LOGIN"},
      {"A1 LOGIN a\0b x\r\n"s, errc::invalid_character, "LOGIN"},
      {"A1 LOGIN caf\xc3\xa9 x\r\n"s, errc::invalid_character, "LOGIN"},
      {"A1 LOGIN \"caf\xe9\" x\r\n"s, errc::invalid_utf8, "LOGIN"},
      {"A1 LOGIN \"caf\xc3\xa9\" x\r\n"s, errc::ok, "LOGIN"},
      {"A1 LOGIN {-1}\r\n", errc::invalid_literal, "LOGIN"},
      {"A1 LOGIN {3}\r\na\0b x\r\n"s, errc::nul_in_literal, "LOGIN"},
      {"A1 LOGIN  a b\r\n", errc::syntax_error, "LOGIN"},
      {"A1 LOGIN a\r\n", errc::missing_argument, "LOGIN"},
      {"A1 LOGIN a b c\r\n", errc::trailing_data, "LOGIN"},
      {"A1 LOGIN (a) b\r\n", errc::syntax_error, "LOGIN"},
      {"A1 SEARCH " + repeat("(", 65) + "ALL" + repeat(")", 65) + "\r\n", errc::nesting_too_deep, "SEARCH"},
      {"A1 SEARCH " + repeat("NOT ", 300) + "ALL\r\n", errc::search_too_deep, "SEARCH"},
      {"A1 SEARCH " + repeat("NOT ", 200) + "ALL\r\n", errc::ok, "SEARCH"},
      {"A1 SEARCH (ALL\r\n", errc::syntax_error, "SEARCH"},
      {"A1 SEARCH ALL)\r\n", errc::syntax_error, "SEARCH"},
      {"A1 SEARCH ()\r\n", errc::invalid_search_key, "SEARCH"},
      {"A1 SEARCH\r\n", errc::missing_argument, "SEARCH"},
      {"A1 SEARCH FOO\r\n", errc::invalid_search_key, "SEARCH"},
      {"A1 SEARCH OR SEEN\r\n", errc::missing_argument, "SEARCH"},
      {"A1 SEARCH SINCE 31-Feb-2024\r\n", errc::invalid_date, "SEARCH"},
      {"A1 SEARCH SINCE 1-Foo-2024\r\n", errc::invalid_date, "SEARCH"},
      {"A1 SEARCH LARGER 99999999999999999999\r\n", errc::number_out_of_range, "SEARCH"},
      {"A1 SEARCH KEYWORD \\Seen\r\n", errc::invalid_flag, "SEARCH"},
      {"A1 SEARCH RETURN (FOO) ALL\r\n", errc::unknown_option, "SEARCH"},
      {"A1 FETCH 0 FLAGS\r\n", errc::invalid_sequence_set, "FETCH"},
      {"A1 FETCH 1:4294967296 FLAGS\r\n", errc::invalid_sequence_set, "FETCH"},
      {"A1 FETCH 1,,2 FLAGS\r\n", errc::invalid_sequence_set, "FETCH"},
      {"A1 FETCH 1 ()\r\n", errc::invalid_fetch_attribute, "FETCH"},
      {"A1 FETCH 1 (FLAGS ALL)\r\n", errc::invalid_fetch_attribute, "FETCH"},
      {"A1 FETCH 1 BODY[HEADER.FIELDS ()]\r\n", errc::invalid_section, "FETCH"},
      {"A1 FETCH 1 BODY[HEADER.FIELDS]\r\n", errc::invalid_section, "FETCH"},
      {"A1 FETCH 1 BODY[1.MIME.TEXT]\r\n", errc::invalid_section, "FETCH"},
      {"A1 FETCH 1 BODY[MIME]\r\n", errc::invalid_section, "FETCH"},
      {"A1 FETCH 1 BODY[0]\r\n", errc::invalid_section, "FETCH"},
      {"A1 FETCH 1 BODY[1.]\r\n", errc::invalid_section, "FETCH"},
      {"A1 FETCH 1 BINARY[HEADER]\r\n", errc::invalid_section, "FETCH"},
      {"A1 FETCH 1 BINARY.SIZE[1]<0.10>\r\n", errc::invalid_section, "FETCH"},
      {"A1 FETCH 1 BODY[]<0.0>\r\n", errc::invalid_section, "FETCH"},
      {"A1 FETCH 1 BODY[]<5>\r\n", errc::invalid_section, "FETCH"},
      {"A1 FETCH 1 BODY[TEXT\r\n", errc::syntax_error, "FETCH"},
      {"A1 FETCH 1 (FLAGS) (VANISHED)\r\n", errc::invalid_argument, "FETCH"},
      {"A1 FETCH 1 (FLAGS) (CHANGEDSINCE 1 VANISHED)\r\n", errc::invalid_argument, "FETCH"},
      {"A1 FETCH 1 (FLAGS) (FOO)\r\n", errc::unknown_option, "FETCH"},
      {"A1 STORE 1 +FLAGS (\\*)\r\n", errc::invalid_flag, "STORE"},
      {"A1 STORE 1 FLAGS.LOUD (\\Seen)\r\n", errc::syntax_error, "STORE"},
      {"A1 STORE 1 +FLAGS\r\n", errc::missing_argument, "STORE"},
      {"A1 SELECT &Jjo\r\n", errc::invalid_mailbox_name, "SELECT"},
      {"A1 SELECT &AGE-\r\n", errc::invalid_mailbox_name, "SELECT"},
      {"A1 SELECT INBOX (FOO)\r\n", errc::unknown_option, "SELECT"},
      {"A1 SELECT INBOX (QRESYNC (0 1))\r\n", errc::number_out_of_range, "SELECT"},
      {"A1 LIST (RECURSIVEMATCH) \"\" *\r\n", errc::invalid_argument, "LIST"},
      {"A1 LIST (FOO) \"\" *\r\n", errc::unknown_option, "LIST"},
      {"A1 STATUS INBOX ()\r\n", errc::syntax_error, "STATUS"},
      {"A1 STATUS INBOX (FOO)\r\n", errc::unknown_option, "STATUS"},
      {"A1 APPEND INBOX\r\n", errc::missing_argument, "APPEND"},
      {"A1 APPEND INBOX \"hello\"\r\n", errc::invalid_date, "APPEND"},
      {"A1 APPEND INBOX (\\Seen) x\r\n", errc::syntax_error, "APPEND"},
      {"A1 APPEND INBOX \"31-Feb-2020 00:00:00 +0000\" {1}\r\nx\r\n", errc::invalid_date, "APPEND"},
      {"A1 APPEND INBOX (\\Seen\r\n", errc::syntax_error, "APPEND"},
      {"A1 AUTHENTICATE PLAIN abc\r\n", errc::invalid_argument, "AUTHENTICATE"},
      {"A1 ENABLE\r\n", errc::missing_argument, "ENABLE"},
      {"A1 ID (\"name\")\r\n", errc::syntax_error, "ID"},
      {"A1 CREATE x (USE (Sent))\r\n", errc::invalid_argument, "CREATE"},
      {"A1 SORT (FOO) UTF-8 ALL\r\n", errc::unknown_option, "SORT"},
      {"A1 SORT (REVERSE) UTF-8 ALL\r\n", errc::syntax_error, "SORT"},
  };
  return rows;
}

}  // namespace mssgw::imap::proto::rows
