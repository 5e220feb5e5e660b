// Dialog tests of whole IMAP sessions without a socket (dialog.hpp): authentication and its refusals, namespaces
// and rights, every command of RFC 3501 and the extensions of issue 5, and two sessions sharing a mailbox.
#include <catch2/catch.hpp>

#include "dialog.hpp"

using namespace mssgw;
using namespace mssgw::imap::testing;

TEST_CASE("imap dialog: greeting, capabilities and LOGINDISABLED before TLS") {
  fixture f;
  f.settings.plaintext_auth = false;
  f.settings.starttls_offered = true;
  client c(f);
  CHECK(has(c.greeting(), "* OK [CAPABILITY IMAP4rev1 IMAP4rev2 SASL-IR LITERAL+ ID ENABLE IDLE STARTTLS LOGINDISABLED]"));
  CHECK_FALSE(has(c.greeting(), "AUTH="));
  auto out = c.send("a CAPABILITY\r\n");
  CHECK(has(out, "LOGINDISABLED"));
  CHECK(has(out, "a OK CAPABILITY completed."));
  out = c.send("b LOGIN 810001234567 secret\r\n");
  CHECK(has(out, "b NO [PRIVACYREQUIRED]"));
  out = c.send("c AUTHENTICATE PLAIN ADgxMDAwMTIzNDU2NwBzZWNyZXQ=\r\n");
  CHECK(has(out, "c NO [PRIVACYREQUIRED]"));
  out = c.send("d SELECT INBOX\r\n");
  CHECK(has(out, "d BAD"));
  out = c.send("e STARTTLS\r\n");
  CHECK(has(out, "e OK Begin TLS"));
  out = c.send("f CAPABILITY\r\n");
  CHECK(has(out, "AUTH=PLAIN"));
  CHECK_FALSE(has(out, "STARTTLS"));
  CHECK_FALSE(has(out, "LOGINDISABLED"));
  out = c.login();
  CHECK(has(out, "L1 OK [CAPABILITY IMAP4rev1"));
  CHECK(has(out, "UIDPLUS"));
  CHECK(has(out, "APPENDLIMIT="));
}

TEST_CASE("imap dialog: STARTTLS with pipelined plaintext is refused") {
  fixture f;
  f.settings.starttls_offered = true;
  client c(f);
  auto out = c.send("a STARTTLS\r\nb LOGIN 810001234567 secret\r\n");
  CHECK(has(out, "* BYE"));
  CHECK(c.closed());
}

TEST_CASE("imap dialog: LOGIN and AUTHENTICATE PLAIN, failures, and too many failures") {
  fixture f;
  SECTION("LOGIN") {
    client c(f);
    auto out = c.login("810001234567", "wrong");
    CHECK(has(out, "L1 NO [AUTHENTICATIONFAILED]"));
    out = c.login();
    CHECK(has(out, "L1 OK [CAPABILITY"));
    out = c.send("x LOGIN a b\r\n");
    CHECK(has(out, "x BAD"));
  }
  SECTION("AUTHENTICATE with SASL-IR and with a continuation") {
    client c(f);
    // "\0810001234567\0secret"
    auto out = c.send("a AUTHENTICATE PLAIN ADgxMDAwMTIzNDU2NwBzZWNyZXQ=\r\n");
    CHECK(has(out, "a OK [CAPABILITY"));
    client d(f);
    out = d.send("b AUTHENTICATE PLAIN\r\n");
    CHECK(out == "+ \r\n");
    out = d.send("AGR1cG9udEBhbHBoYS5tc3NhbnRlLmZyAHB3\r\n");  // \0dupont@alpha.mssante.fr\0pw
    CHECK(has(out, "b OK [CAPABILITY"));
    client e(f);
    e.send("c AUTHENTICATE PLAIN\r\n");
    out = e.send("*\r\n");
    CHECK(has(out, "c BAD"));
    out = e.send("d AUTHENTICATE PLAIN not-base64!\r\n");
    CHECK(has(out, "d BAD"));
    out = e.send("e AUTHENTICATE GSSAPI\r\n");
    CHECK(has(out, "e NO"));
  }
  SECTION("three failures end the session") {
    client c(f);
    c.login("810001234567", "x");
    c.login("810001234567", "y");
    auto out = c.login("810001234567", "z");
    CHECK(has(out, "* BYE"));
    CHECK(c.closed());
  }
  SECTION("sessions per identity") {
    f.sessions_per_identity = 1;
    client a(f), b(f);
    CHECK(has(a.login(), "L1 OK"));
    CHECK(has(b.login(), "L1 NO [LIMIT]"));
  }
}

TEST_CASE("imap dialog: namespaces, LIST with special use and the shared BAL") {
  fixture f;
  client c(f);
  c.login();
  auto out = c.send("n NAMESPACE\r\n");
  CHECK(has(out, "* NAMESPACE ((\"\" \"/\")) NIL ((\"Shared/\" \"/\"))"));
  out = c.send("l LIST \"\" \"*\"\r\n");
  CHECK(has(out, "* LIST (\\HasNoChildren) \"/\" \"INBOX\""));
  CHECK(has(out, "* LIST (\\HasNoChildren \\Sent) \"/\" \"Sent\""));
  CHECK(has(out, "* LIST (\\HasNoChildren \\Trash) \"/\" \"Trash\""));
  CHECK(has(out, "* LIST (\\Noselect \\HasChildren) \"/\" \"Shared\""));
  CHECK(has(out, "* LIST (\\Noselect \\HasChildren) \"/\" \"Shared/secretariat@alpha.mssante.fr\""));
  CHECK(has(out, "* LIST (\\HasNoChildren) \"/\" \"Shared/secretariat@alpha.mssante.fr/INBOX\""));
  CHECK_FALSE(has(out, "martin"));
  out = c.send("l2 LIST \"\" \"%\"\r\n");
  CHECK(has(out, "\"/\" \"INBOX\""));
  CHECK(has(out, "\"/\" \"Shared\"\r\n"));
  CHECK_FALSE(has(out, "Shared/"));
  out = c.send("l3 LIST \"\" \"\"\r\n");
  CHECK(has(out, "* LIST (\\Noselect) \"/\" \"\""));
  out = c.send("l4 LIST (SPECIAL-USE) \"\" \"*\" RETURN (STATUS (MESSAGES UNSEEN))\r\n");
  CHECK(has(out, "\\Drafts) \"/\" \"Drafts\""));
  CHECK_FALSE(has(out, "\"/\" \"INBOX\""));
  CHECK(has(out, "* STATUS \"Drafts\" (MESSAGES 0 UNSEEN 0)"));
  out = c.send("l5 LIST \"\" \"inbox\"\r\n");
  CHECK(has(out, "\"/\" \"INBOX\""));
  out = c.send("l6 LSUB \"\" \"*\"\r\n");
  CHECK(has(out, "* LSUB () \"/\" \"INBOX\""));
  out = c.send("l7 LIST (SUBSCRIBED) \"\" \"S*\"\r\n");
  CHECK(has(out, "(\\HasNoChildren \\Subscribed \\Sent) \"/\" \"Sent\""));
}

TEST_CASE("imap dialog: APPEND, SELECT, FETCH and the implicit \\Seen") {
  fixture f;
  client c(f);
  c.login();
  const std::string m = message("Compte-rendu");
  auto out = c.send(append_cmd("a1", "INBOX", m, "\\Flagged $Label1"));
  CHECK(matches(out, R"(a1 OK \[APPENDUID \d+ 1\] APPEND completed)"));
  out = c.send("a2 APPEND Nowhere {3+}\r\nabc\r\n");
  CHECK(has(out, "a2 NO [TRYCREATE]"));
  out = c.send("s1 SELECT INBOX\r\n");
  CHECK(has(out, "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Label1)"));
  CHECK(has(out, "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Label1 \\*)]"));
  CHECK(has(out, "* 1 EXISTS"));
  CHECK(has(out, "* 0 RECENT"));
  CHECK(has(out, "* OK [UNSEEN 1]"));
  CHECK(matches(out, R"(\* OK \[UIDVALIDITY \d+\])"));
  CHECK(has(out, "* OK [UIDNEXT 2]"));
  CHECK(has(out, "* OK [HIGHESTMODSEQ"));
  CHECK(has(out, "s1 OK [READ-WRITE] SELECT completed."));
  out = c.send("f1 FETCH 1 (FLAGS RFC822.SIZE ENVELOPE BODY.PEEK[HEADER.FIELDS (Subject)])\r\n");
  CHECK(has(out, "* 1 FETCH (FLAGS (\\Flagged $Label1) RFC822.SIZE " + std::to_string(m.size())));
  CHECK(has(out, "ENVELOPE (\"Tue, 1 Jul 2003 10:52:37 +0200\" \"Compte-rendu\" ((\"Dr Martin\" NIL \"martin\" "
                 "\"beta.mssante.fr\"))"));
  CHECK(has(out, "BODY[HEADER.FIELDS (Subject)] {25}\r\nSubject: Compte-rendu\r\n\r\n)"));
  CHECK(has(out, "f1 OK FETCH completed."));
  out = c.send("f2 FETCH 1 (BODYSTRUCTURE INTERNALDATE UID)\r\n");
  CHECK(has(out, "BODYSTRUCTURE (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7BIT\" 7 1 NIL NIL NIL NIL)"));
  CHECK(has(out, "UID 1"));
  CHECK(has(out, "INTERNALDATE \""));
  out = c.send("f3 FETCH 1 BODY[TEXT]<0.3>\r\n");
  CHECK(has(out, "BODY[TEXT]<0> \"Hel\""));
  CHECK(has(out, "FLAGS (\\Flagged \\Seen $Label1)"));
  out = c.send("f4 UID FETCH 1:* (FLAGS)\r\n");
  CHECK(has(out, "* 1 FETCH (UID 1 FLAGS (\\Flagged \\Seen $Label1))"));
  out = c.send("f5 FETCH 2 FLAGS\r\n");
  CHECK(has(out, "f5 BAD"));
  out = c.send("f6 FETCH 1 (BINARY.PEEK[1] BINARY.SIZE[1] RFC822.HEADER)\r\n");
  CHECK((has(out, "BINARY[1] \"Hello\\r\\n\"") || has(out, "BINARY[1] {7}\r\nHello\r\n")));
  CHECK(has(out, "BINARY.SIZE[1] 7"));
  out = c.send("e1 EXAMINE INBOX\r\n");
  CHECK(has(out, "e1 OK [READ-ONLY]"));
  out = c.send("e2 STORE 1 +FLAGS (\\Deleted)\r\n");
  CHECK(has(out, "e2 NO [NOPERM]"));
}

TEST_CASE("imap dialog: a message delivered without a cache gets one, computed once") {
  fixture f;
  f.deliver(dupont, message("Lazy"));
  client c(f);
  c.login();
  c.send("s SELECT INBOX\r\n");
  auto out = c.send("f FETCH 1 ENVELOPE\r\n");
  CHECK(has(out, "\"Lazy\""));
  auto txn = f.store->begin_read();
  auto u = storage::mailboxes::get_uid(*txn, f.mailbox_id(dupont, "INBOX"), 1);
  CHECK_FALSE(storage::messages::get(*txn, u->message_id)->cache.empty());
}

TEST_CASE("imap dialog: STORE, EXPUNGE, UID EXPUNGE, CLOSE and UNSELECT") {
  fixture f;
  for (int i = 0; i < 5; ++i) f.deliver(dupont, message("m" + std::to_string(i)));
  client c(f);
  c.login();
  c.send("s SELECT INBOX\r\n");
  auto out = c.send("t1 STORE 2:3 +FLAGS (\\Deleted)\r\n");
  CHECK(has(out, "* 2 FETCH (FLAGS (\\Deleted))"));
  CHECK(has(out, "* 3 FETCH (FLAGS (\\Deleted))"));
  out = c.send("t2 STORE 1 -FLAGS.SILENT (\\Deleted)\r\n");
  CHECK_FALSE(has(out, "FETCH"));
  out = c.send("t3 UID STORE 5 FLAGS (\\Answered foo)\r\n");
  CHECK(has(out, "* 5 FETCH (UID 5 FLAGS (\\Answered foo))"));
  CHECK(has(out, "* FLAGS ("));  // a new keyword is announced
  out = c.send("x1 EXPUNGE\r\n");
  CHECK(has(out, "* 3 EXPUNGE\r\n* 2 EXPUNGE\r\n"));
  CHECK(has(out, "x1 OK"));
  c.send("t4 STORE 1:* +FLAGS (\\Deleted)\r\n");
  out = c.send("x2 UID EXPUNGE 4\r\n");
  CHECK(has(out, "* 2 EXPUNGE"));
  CHECK_FALSE(has(out, "* 1 EXPUNGE"));
  out = c.send("u UNSELECT\r\n");
  CHECK(has(out, "u OK"));
  out = c.send("st STATUS INBOX (MESSAGES DELETED UIDNEXT)\r\n");
  CHECK(has(out, "* STATUS \"INBOX\" (MESSAGES 2 DELETED 2 UIDNEXT 6)"));
  c.send("s2 SELECT INBOX\r\n");
  out = c.send("cl CLOSE\r\n");
  CHECK(has(out, "cl OK"));
  CHECK_FALSE(has(out, "EXPUNGE"));
  out = c.send("st2 STATUS INBOX (MESSAGES)\r\n");
  CHECK(has(out, "* STATUS \"INBOX\" (MESSAGES 0)"));
  out = c.send("n NOOP\r\n");
  CHECK(has(out, "n OK"));
  out = c.send("f FETCH 1 FLAGS\r\n");
  CHECK(has(out, "f BAD"));
}

TEST_CASE("imap dialog: SEARCH keys, ESEARCH, SEARCHRES and SORT") {
  fixture f;
  f.deliver(dupont, message("Alpha", "le patient va bien\r\n", "Zoe <zoe@x.fr>"), 1700000000);
  f.deliver(dupont, message("Re: Bravo", "RAS\r\n", "adam@y.fr"), 1700100000);
  f.deliver(dupont,
            "From: =?UTF-8?Q?Ren=C3=A9?= <r@z.fr>\r\nSubject: =?UTF-8?B?w6l0w6k=?=\r\nContent-Type: text/plain; "
            "charset=utf-8\r\nContent-Transfer-Encoding: base64\r\nX-Dossier: 42\r\n\r\nY2Fmw6kgYXUgbGFpdA==\r\n",
            1700200000);
  client c(f);
  c.login();
  c.send("s SELECT INBOX\r\n");
  c.send("t STORE 2 +FLAGS (\\Flagged)\r\n");
  struct row {
    std::string key, expect;
  };
  const std::vector<row> rows = {
      {"ALL", "* SEARCH 1 2 3"},
      {"FLAGGED", "* SEARCH 2"},
      {"UNFLAGGED", "* SEARCH 1 3"},
      {"FROM zoe", "* SEARCH 1"},
      {"FROM \"ren\xc3\xa9\"", "* SEARCH 3"},
      {"SUBJECT \"\xc3\x89T\xc3\x89\"", "* SEARCH 3"},
      {"SUBJECT bravo", "* SEARCH 2"},
      {"BODY patient", "* SEARCH 1"},
      {"BODY \"caf\xc3\xa9\"", "* SEARCH 3"},
      {"TEXT x-dossier", "* SEARCH 3"},
      {"HEADER X-Dossier 42", "* SEARCH 3"},
      {"HEADER X-Dossier \"\"", "* SEARCH 3"},
      {"NOT HEADER X-Dossier \"\"", "* SEARCH 1 2"},
      {"OR FROM zoe FROM adam", "* SEARCH 1 2"},
      {"LARGER 50", "* SEARCH 1 2 3"},
      {"SMALLER 10", "* SEARCH"},
      {"SINCE 15-Nov-2023", "* SEARCH 2 3"},
      {"BEFORE 15-Nov-2023", "* SEARCH 1"},
      {"ON 16-Nov-2023", "* SEARCH 2"},
      {"SENTON 1-Jul-2003", "* SEARCH 1 2"},
      {"UID 2:*", "* SEARCH 2 3"},
      {"2,3 UNSEEN", "* SEARCH 2 3"},
      {"NEW", "* SEARCH"},
      {"(FLAGGED FROM adam) OR SEEN DRAFT", "* SEARCH"},
      {"KEYWORD $Junk", "* SEARCH"},
  };
  for (const auto& r : rows) {
    INFO(r.key);
    auto out = c.send("q SEARCH " + r.key + "\r\n");
    CHECK(has(out, r.expect + "\r\n"));
    CHECK(has(out, "q OK SEARCH completed."));
  }
  auto out = c.send("q2 SEARCH CHARSET KOI8-R ALL\r\n");
  CHECK(has(out, "q2 NO [BADCHARSET"));
  out = c.send("q3 UID SEARCH RETURN (MIN MAX COUNT ALL) ALL\r\n");
  CHECK(has(out, "* ESEARCH (TAG \"q3\") UID MIN 1 MAX 3 COUNT 3 ALL 1:3"));
  out = c.send("q4 SEARCH RETURN (SAVE) FROM zoe\r\n");
  CHECK_FALSE(has(out, "ESEARCH"));
  out = c.send("q5 FETCH $ (UID)\r\n");
  CHECK(has(out, "* 1 FETCH (UID 1)"));
  CHECK_FALSE(has(out, "* 2 FETCH"));
  out = c.send("q6 SEARCH BAD-KEY\r\n");
  CHECK(has(out, "q6 BAD"));
  out = c.send("o1 SORT (SUBJECT) UTF-8 ALL\r\n");
  CHECK(has(out, "* SORT 1 2 3"));
  out = c.send("o2 SORT (REVERSE ARRIVAL) UTF-8 ALL\r\n");
  CHECK(has(out, "* SORT 3 2 1"));
  out = c.send("o3 UID SORT (FROM) UTF-8 ALL\r\n");
  CHECK(has(out, "* SORT 2 3 1"));
  out = c.send("o4 SORT RETURN (MIN COUNT) (SIZE) UTF-8 ALL\r\n");
  CHECK(has(out, "* ESEARCH (TAG \"o4\")"));
  out = c.send("o5 SORT (DISPLAYFROM) UTF-8 ALL\r\n");
  CHECK(has(out, "* SORT 2 3 1"));
}

TEST_CASE("imap dialog: COPY, MOVE, CREATE, RENAME, DELETE, SUBSCRIBE") {
  fixture f;
  for (int i = 0; i < 3; ++i) f.deliver(dupont, message("m" + std::to_string(i)));
  client c(f);
  c.login();
  auto out = c.send("c1 CREATE Dossiers/Patients/\r\n");
  CHECK(has(out, "c1 OK"));
  out = c.send("c2 CREATE Dossiers\r\n");
  CHECK(has(out, "c2 NO [ALREADYEXISTS]"));
  out = c.send("c3 CREATE Shared/x\r\n");
  CHECK(has(out, "c3 NO [CANNOT]"));
  out = c.send("c4 CREATE a//b\r\n");
  CHECK(has(out, "c4 NO [CANNOT]"));
  out = c.send("c5 CREATE " + std::string(300, 'x') + "\r\n");
  CHECK(has(out, "c5 NO [LIMIT]"));
  out = c.send("c6 CREATE Factures (USE (\\Archive))\r\n");
  CHECK(has(out, "c6 OK"));
  out = c.send("l LIST \"\" \"*\"\r\n");
  CHECK(has(out, "(\\HasChildren) \"/\" \"Dossiers\"\r\n"));
  CHECK(has(out, "(\\HasNoChildren) \"/\" \"Dossiers/Patients\"\r\n"));
  CHECK(has(out, "(\\HasNoChildren \\Archive) \"/\" \"Factures\""));
  c.send("s SELECT INBOX\r\n");
  out = c.send("y1 COPY 1:2 Dossiers/Patients\r\n");
  CHECK(matches(out, R"(y1 OK \[COPYUID \d+ 1:2 1:2\] COPY completed)"));
  out = c.send("y2 COPY 1 Nowhere\r\n");
  CHECK(has(out, "y2 NO [TRYCREATE]"));
  out = c.send("m1 UID MOVE 2 Archive\r\n");
  CHECK(matches(out, R"(\* OK \[COPYUID \d+ 2 1\] Moved UIDs\.\r\n\* 2 EXPUNGE\r\nm1 OK MOVE completed)"));
  out = c.send("r1 RENAME Dossiers Archives2024\r\n");
  CHECK(has(out, "r1 OK"));
  out = c.send("st STATUS Archives2024/Patients (MESSAGES)\r\n");
  CHECK(has(out, "* STATUS \"Archives2024/Patients\" (MESSAGES 2)"));
  out = c.send("r2 RENAME INBOX Ancien\r\n");
  CHECK(has(out, "r2 OK"));
  CHECK(has(out, "* 2 EXPUNGE"));
  CHECK(has(out, "* 1 EXPUNGE"));
  out = c.send("st2 STATUS Ancien (MESSAGES)\r\n");
  CHECK(has(out, "(MESSAGES 2)"));
  out = c.send("r3 RENAME Ancien Shared/x/y\r\n");
  CHECK(has(out, "r3 NO [CANNOT]"));
  out = c.send("d1 DELETE Archives2024\r\n");
  CHECK(has(out, "d1 NO [HASCHILDREN]"));
  out = c.send("d2 DELETE INBOX\r\n");
  CHECK(has(out, "d2 NO"));
  out = c.send("d3 DELETE Archives2024/Patients\r\n");
  CHECK(has(out, "d3 OK"));
  out = c.send("d4 DELETE Nope\r\n");
  CHECK(has(out, "d4 NO [NONEXISTENT]"));
  out = c.send("u1 UNSUBSCRIBE Sent\r\n");
  CHECK(has(out, "u1 OK"));
  out = c.send("u2 LSUB \"\" \"Sent\"\r\n");
  CHECK_FALSE(has(out, "* LSUB"));
  out = c.send("u3 SUBSCRIBE Sent\r\n");
  out = c.send("u4 LSUB \"\" \"Sent\"\r\n");
  CHECK(has(out, "* LSUB () \"/\" \"Sent\""));
  out = c.send("u5 UNSUBSCRIBE Shared/secretariat@alpha.mssante.fr/INBOX\r\n");
  CHECK(has(out, "u5 NO [CANNOT]"));
}

TEST_CASE("imap dialog: two sessions see each other's changes at the allowed moments") {
  fixture f;
  for (int i = 0; i < 3; ++i) f.deliver(dupont, message("m" + std::to_string(i)));
  client a(f), b(f);
  a.login();
  b.login();
  a.send("s SELECT INBOX\r\n");
  b.send("s SELECT INBOX\r\n");
  b.send("t STORE 1 +FLAGS (\\Answered)\r\n");
  auto out = a.send("n NOOP\r\n");
  CHECK(has(out, "* 1 FETCH (FLAGS (\\Answered))"));
  b.send("t STORE 2 +FLAGS (\\Deleted)\r\n");
  b.send("x EXPUNGE\r\n");
  f.deliver(dupont, message("new"));
  // RFC 3501 §7.4.1: no EXPUNGE while answering FETCH, STORE or SEARCH; EXISTS is fine.
  out = a.send("f FETCH 1:3 (FLAGS)\r\n");
  CHECK_FALSE(has(out, "EXPUNGE"));
  CHECK(has(out, "* 4 EXISTS"));
  CHECK(has(out, "* 1 FETCH"));
  CHECK(has(out, "* 3 FETCH"));
  out = a.send("q SEARCH ALL\r\n");
  CHECK_FALSE(has(out, "EXPUNGE"));
  CHECK(has(out, "* SEARCH 1 3 4"));  // the expunged message no longer matches
  out = a.send("t2 STORE 3 +FLAGS (\\Flagged)\r\n");
  CHECK_FALSE(has(out, "EXPUNGE"));
  out = a.send("f2 FETCH 2 BODY.PEEK[]\r\n");
  CHECK(has(out, "f2 NO [EXPUNGEISSUED]"));
  out = a.send("n2 NOOP\r\n");
  CHECK(has(out, "* 2 EXPUNGE"));
  out = a.send("f3 FETCH 3 (UID)\r\n");
  CHECK(has(out, "* 3 FETCH (UID 4)"));
  // A UID command may report expunges.
  b.send("t3 STORE 1 +FLAGS (\\Deleted)\r\n");
  b.send("x2 EXPUNGE\r\n");
  out = a.send("f4 UID FETCH 1:* (FLAGS)\r\n");
  CHECK(has(out, "* 1 EXPUNGE"));
}

TEST_CASE("imap dialog: IDLE reports changes and ends with DONE") {
  fixture f;
  client a(f);
  a.login();
  a.send("s SELECT INBOX\r\n");
  auto out = a.send("i IDLE\r\n");
  CHECK(out == "+ idling\r\n");
  CHECK(a.session().idling());
  CHECK(a.poll().empty());
  f.deliver(dupont, message("ping"));
  out = a.poll();
  CHECK(out == "* 1 EXISTS\r\n");
  out = a.send("DONE\r\n");
  CHECK(out == "i OK IDLE terminated.\r\n");
  CHECK_FALSE(a.session().idling());
  a.send("i2 IDLE\r\n");
  out = a.send("NOPE\r\n");
  CHECK(has(out, "i2 BAD"));
}

TEST_CASE("imap dialog: CONDSTORE and QRESYNC") {
  fixture f;
  for (int i = 0; i < 4; ++i) f.deliver(dupont, message("m" + std::to_string(i)));
  client c(f);
  c.login();
  auto out = c.send("e ENABLE QRESYNC\r\n");
  CHECK(has(out, "* ENABLED QRESYNC"));
  out = c.send("s SELECT INBOX\r\n");
  std::smatch m;
  std::string text = out;
  REQUIRE(std::regex_search(text, m, std::regex(R"(UIDVALIDITY (\d+))")));
  const std::string uidvalidity = m[1];
  REQUIRE(std::regex_search(text, m, std::regex(R"(HIGHESTMODSEQ (\d+))")));
  const std::uint64_t modseq = std::stoull(m[1]);
  out = c.send("t UID STORE 1 +FLAGS (\\Seen)\r\n");
  CHECK(matches(out, R"(\* 1 FETCH \(UID 1 FLAGS \(\\Seen\) MODSEQ \(\d+\)\))"));
  out = c.send("t2 STORE 2 +FLAGS (\\Flagged)\r\n");
  out = c.send("t3 STORE 1,2 (UNCHANGEDSINCE " + std::to_string(modseq) + ") +FLAGS (\\Answered)\r\n");
  CHECK(has(out, "t3 OK [MODIFIED 1:2]"));
  out = c.send("t4 STORE 3 (UNCHANGEDSINCE " + std::to_string(modseq) + ") +FLAGS (\\Answered)\r\n");
  CHECK(has(out, "t4 OK STORE"));
  out = c.send("f FETCH 1:* (FLAGS) (CHANGEDSINCE " + std::to_string(modseq) + ")\r\n");
  CHECK(has(out, "* 1 FETCH"));
  CHECK(has(out, "* 3 FETCH"));
  CHECK_FALSE(has(out, "* 4 FETCH"));
  c.send("d STORE 4 +FLAGS (\\Deleted)\r\n");
  out = c.send("x EXPUNGE\r\n");
  CHECK(has(out, "* VANISHED 4"));
  CHECK(matches(out, R"(x OK \[HIGHESTMODSEQ \d+\])"));
  out = c.send("f2 UID FETCH 1:* (FLAGS) (CHANGEDSINCE " + std::to_string(modseq) + " VANISHED)\r\n");
  CHECK(has(out, "* VANISHED (EARLIER) 4"));
  out = c.send("s2 SELECT INBOX (QRESYNC (" + uidvalidity + " " + std::to_string(modseq) + "))\r\n");
  CHECK(has(out, "* OK [CLOSED]"));
  CHECK(has(out, "* VANISHED (EARLIER) 4"));
  CHECK(matches(out, R"(\* 1 FETCH \(UID 1 FLAGS \([^)]*\) MODSEQ \(\d+\)\))"));
  CHECK_FALSE(has(out, "UID 4 "));
  out = c.send("q SEARCH MODSEQ " + std::to_string(modseq + 1) + "\r\n");
  CHECK(matches(out, R"(\* SEARCH 1 2 3 \(MODSEQ \d+\))"));
}

TEST_CASE("imap dialog: IMAP4rev2 answers SEARCH with ESEARCH and drops RECENT") {
  fixture f;
  f.deliver(dupont, message("m"));
  client c(f);
  c.login();
  auto out = c.send("e ENABLE IMAP4rev2\r\n");
  CHECK(has(out, "* ENABLED IMAP4rev2"));
  out = c.send("s SELECT INBOX\r\n");
  CHECK_FALSE(has(out, "RECENT"));
  out = c.send("q SEARCH ALL\r\n");
  CHECK(has(out, "* ESEARCH (TAG \"q\") ALL 1"));
}

TEST_CASE("imap dialog: delegated BAL rights and per-user \\Seen") {
  fixture f;
  f.deliver(secretariat, message("commun"));
  client dup(f), mar(f);
  dup.login();
  mar.login("810009999999", "secret2");
  const std::string box = "Shared/secretariat@alpha.mssante.fr/INBOX";
  auto out = mar.send("s SELECT " + box + "\r\n");
  CHECK(has(out, "s OK [READ-ONLY]"));
  out = mar.send("t STORE 1 +FLAGS (\\Seen)\r\n");
  CHECK(has(out, "t NO [NOPERM]"));
  out = mar.send("a " + append_cmd("a", box, message("x")).substr(2));
  CHECK(has(out, "a NO [NOPERM]"));
  out = mar.send("c CREATE Shared/secretariat@alpha.mssante.fr/Sub\r\n");
  CHECK(has(out, "c NO [NOPERM]"));
  out = dup.send("s SELECT " + box + "\r\n");
  CHECK(has(out, "s OK [READ-WRITE]"));
  out = dup.send("f FETCH 1 BODY[]\r\n");
  CHECK(has(out, "FLAGS (\\Seen)"));
  // Seen for dupont only: martin's view and the STATUS of each differ.
  out = mar.send("n NOOP\r\n");
  CHECK_FALSE(has(out, "\\Seen"));
  out = mar.send("f FETCH 1 FLAGS\r\n");
  CHECK(has(out, "* 1 FETCH (FLAGS ())"));
  out = dup.send("st STATUS " + box + " (UNSEEN)\r\n");
  CHECK(has(out, "(UNSEEN 0)"));
  out = mar.send("st STATUS " + box + " (UNSEEN)\r\n");
  CHECK(has(out, "(UNSEEN 1)"));
  // Revoking the delegation takes effect at the next SELECT.
  REQUIRE_FALSE(f.store->commit_one([&](storage::write_txn& t) {
    return storage::accounts::revoke(t, secretariat, "810009999999", storage::right_read);
  }));
  out = mar.send("s2 SELECT " + box + "\r\n");
  CHECK(has(out, "s2 NO [NOPERM]"));
  // The other user's PER BAL is not visible at all.
  out = dup.send("s3 SELECT Shared/martin@alpha.mssante.fr/INBOX\r\n");
  CHECK(has(out, "s3 NO [NONEXISTENT]"));
}

TEST_CASE("imap dialog: limits and hostile input") {
  fixture f;
  client c(f);
  // Before login, literals are small.
  auto out = c.send("a LOGIN {100000}\r\n");
  CHECK((has(out, "a BAD [TOOBIG]") || has(out, "a NO [TOOBIG]")));
  out = c.send("b LOGIN {100000+}\r\n");
  CHECK(has(out, "* BYE"));
  CHECK(c.closed());
  client d(f);
  d.login();
  out = d.send("x FOO\r\n");
  CHECK(has(out, "x BAD"));
  out = d.send("y FETCH\r\n");
  CHECK(has(out, "y BAD"));
  out = d.send("\r\n");
  CHECK(has(out, "* BAD"));
  client e(f);
  e.login();
  for (int i = 0; i < 25 && !e.closed(); ++i) out = e.send("z" + std::to_string(i) + " BOGUS\r\n");
  CHECK(e.closed());
  CHECK(has(out, "* BYE Too many invalid commands."));
}

TEST_CASE("imap dialog: LITERAL+, MULTIAPPEND and ID") {
  fixture f;
  client c(f);
  c.login();
  const std::string m1 = message("one"), m2 = message("two");
  auto out = c.send("a APPEND INBOX {" + std::to_string(m1.size()) + "+}\r\n" + m1 + " (\\Seen) {" +
                    std::to_string(m2.size()) + "}\r\n");
  CHECK(has(out, "+ Ready"));
  out = c.send(m2 + "\r\n");
  CHECK(matches(out, R"(a OK \[APPENDUID \d+ 1:2\])"));
  out = c.send("i ID (\"name\" \"mbsync\")\r\n");
  CHECK(has(out, "* ID (\"name\" \"mssgw\""));
  out = c.send("l LOGOUT\r\n");
  CHECK(has(out, "* BYE Logging out."));
  CHECK(has(out, "l OK LOGOUT completed."));
  CHECK(c.closed());
}
