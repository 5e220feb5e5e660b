// Citizen messaging rules (routing/citizen.hpp): matricule INS keys over a generated table (Corsica included), the
// closing marks, and the conversation state over a real (in-memory) store.
#include <catch2/catch.hpp>

#include <random>

#include "routing/citizen.hpp"
#include "storage/memory/memory_store.hpp"

using namespace mssgw;
using routing::citizen::check_ins;
using routing::citizen::ins_problem;

namespace {

// The key of 13 characters, computed independently of the code under test (mssante/README §5).
std::string with_key(const std::string& thirteen) {
  std::string digits = thirteen;
  if (digits[5] == '2' && (digits[6] == 'A' || digits[6] == 'a')) digits.replace(5, 2, "19");
  if (digits[5] == '2' && (digits[6] == 'B' || digits[6] == 'b')) digits.replace(5, 2, "18");
  unsigned long long n = std::stoull(digits);
  unsigned key = static_cast<unsigned>(97 - n % 97);
  char buf[3];
  std::snprintf(buf, sizeof buf, "%02u", key);
  return thirteen + buf;
}

}  // namespace

TEST_CASE("citizen: matricule INS keys from a generated table", "[citizen]") {
  CHECK(check_ins("146026322000196") == ins_problem::none);  // the example of the ANS documentation
  std::mt19937 rng(42);
  std::uniform_int_distribution<int> digit(0, 9);
  for (int i = 0; i < 2000; ++i) {
    std::string t;
    for (int j = 0; j < 13; ++j) t.push_back(static_cast<char>('0' + digit(rng)));
    if (i % 4 == 1) t.replace(5, 2, "2A");
    if (i % 4 == 2) t.replace(5, 2, "2B");
    if (i % 8 == 3) t.replace(5, 2, "2a");
    if (i % 8 == 7) t.replace(5, 2, "2b");
    const std::string ins = with_key(t);
    INFO(ins);
    CHECK(check_ins(ins) == ins_problem::none);
    // Every other key is wrong.
    std::string wrong = ins;
    int key = std::stoi(ins.substr(13));
    int other = key == 97 ? 1 : key + 1;
    const std::string two = (other < 10 ? "0" : "") + std::to_string(other);
    wrong.replace(13, 2, two);
    CHECK(check_ins(wrong) == ins_problem::key);
  }
  // Corsica: 2A counts as 19 and 2B as 18 for the key only: the same number with 19 written is another key.
  CHECK(check_ins(with_key("1850520A12345")) == ins_problem::syntax);  // A outside the department
  CHECK(check_ins(with_key("18505" "2C" "123456")) == ins_problem::syntax);
  const char* syntax[] = {"", "14602632200019", "1460263220001960", "14602632200019X", "1460263220001 6",
                          "A46026322000196", "146026322000196\n"};
  for (const char* s : syntax) {
    INFO(s);
    CHECK(check_ins(s) == ins_problem::syntax);
  }
  CHECK(routing::citizen::normalise_ins(with_key("18505" "2a" "123456")).substr(5, 2) == "2A");
}

TEST_CASE("citizen: closing marks and the headers they are read from", "[citizen]") {
  using routing::citizen::closes;
  using routing::citizen::read_headers;
  auto h = read_headers("Received: from x\r\n by y\r\nSubject: Re: compte-rendu\r\n [FIN]\r\n"
                        "Reply-To: \"Secrétariat\" <Secretariat@Alpha.mssante.test>, other@x\r\n\r\nSubject: [FIN]\r\n");
  REQUIRE(h.subject);
  CHECK(*h.subject == "Re: compte-rendu [FIN]");  // unfolded
  CHECK(closes(h));
  CHECK(h.reply_to == "secretariat@alpha.mssante.test");
  CHECK_FALSE(closes(read_headers("Subject: [fin] lower case\r\n\r\n")));
  CHECK_FALSE(closes(read_headers("Subject: FIN\r\n\r\n")));
  CHECK_FALSE(closes(read_headers("Subject: hello\r\n\r\n[FIN] in the body\r\n")));
  CHECK(closes(read_headers("Subject: hello\r\nx-mss-mes:  fin \r\n\r\n")));
  CHECK_FALSE(closes(read_headers("Subject: hello\r\nX-MSS-MES: FINAL\r\n\r\n")));

  using routing::citizen::with_closing_header;
  auto added = with_closing_header("Received: from a\r\n\tby b\r\nSubject: bilan [FIN]\r\n\r\nbody\r\n");
  REQUIRE(added);
  CHECK(*added == "Received: from a\r\n\tby b\r\nX-MSS-MES: FIN\r\nSubject: bilan [FIN]\r\n\r\nbody\r\n");
  CHECK_FALSE(with_closing_header("Subject: bilan [FIN]\r\nX-MSS-MES: FIN\r\n\r\n"));  // already there
  CHECK_FALSE(with_closing_header("Subject: bilan\r\n\r\n"));
}

TEST_CASE("citizen: [FIN] in RFC 2047 encoded subjects (mail clients encode accented subjects)", "[citizen]") {
  using routing::citizen::closes;
  using routing::citizen::read_headers;
  // "Compte-rendu échographie [FIN]" in B encoding: [FIN] is invisible in the raw bytes.
  CHECK(closes(read_headers("Subject: =?UTF-8?B?Q29tcHRlLXJlbmR1IMOpY2hvZ3JhcGhpZSBbRklOXQ==?=\r\n\r\n")));
  CHECK(*read_headers("Subject: =?UTF-8?B?Q29tcHRlLXJlbmR1IMOpY2hvZ3JhcGhpZSBbRklOXQ==?=\r\n\r\n").subject == "Compte-rendu échographie [FIN]");
  CHECK_FALSE(closes(read_headers("Subject: =?UTF-8?B?Q29tcHRlLXJlbmR1IMOpY2hvZ3JhcGhpZSBbZmluXQ==?=\r\n\r\n")));  // [fin]
  // Q encoding, folded over two encoded words, in ISO-8859-1.
  CHECK(closes(read_headers("Subject: =?ISO-8859-1?Q?Bilan_=E9chographie_[F?=\r\n =?ISO-8859-1?Q?IN]?=\r\n\r\n")));
  CHECK(closes(read_headers("Subject: =?utf-8?q?=5BFIN=5D?= suivi\r\n\r\n")));
  // A malformed encoded word is read as it is.
  CHECK(closes(read_headers("Subject: =?UTF-8?X?abc?= [FIN]\r\n\r\n")));

  auto added = routing::citizen::with_closing_header("Subject: =?UTF-8?B?Q29tcHRlLXJlbmR1IMOpY2hvZ3JhcGhpZSBbRklOXQ==?=\r\n\r\nbody\r\n");
  REQUIRE(added);
  CHECK(added->starts_with("X-MSS-MES: FIN\r\nSubject: =?UTF-8?B?Q29tcHRlLXJlbmR1IMOpY2hvZ3JhcGhpZSBbRklOXQ==?=\r\n"));  // the subject left as it was
}

TEST_CASE("citizen: conversations open, close and reopen", "[citizen]") {
  namespace conv = routing::citizen::conversations;
  auto store = storage::make_memory_store();
  const std::string ins = "146026322000196", bal = "dupont@alpha.mssante.test", secretariat = "sec@alpha.mssante.test";
  auto read = [&](const std::string& address) {
    auto txn = store->begin_read();
    return conv::get(*txn, ins, address);
  };
  CHECK_FALSE(read(bal));
  REQUIRE_FALSE(store->commit_one([&](storage::write_txn& t) {
    conv::opened(t, ins, bal, secretariat, 1000);
    return std::error_code{};
  }));
  REQUIRE(read(bal));
  CHECK(read(bal)->open);
  CHECK(read(secretariat)->open);
  CHECK(read(secretariat)->bal == bal);
  std::size_t closed = 0;
  REQUIRE_FALSE(store->commit_one([&](storage::write_txn& t) {
    closed = conv::closed(t, ins, bal, 2000);
    return std::error_code{};
  }));
  CHECK(closed == 2);
  CHECK_FALSE(read(bal)->open);
  CHECK_FALSE(read(secretariat)->open);
  CHECK(read(bal)->updated_ms == 2000);
  REQUIRE_FALSE(store->commit_one([&](storage::write_txn& t) {
    conv::opened(t, ins, bal, std::nullopt, 3000);
    return std::error_code{};
  }));
  CHECK(read(bal)->open);
  CHECK(read(bal)->opened_ms == 3000);
  CHECK(read(bal)->messages == 2);
  CHECK_FALSE(read(secretariat)->open);  // the Reply-To of the old message stays closed
  auto txn = store->begin_read();
  CHECK(conv::of_patient(*txn, ins).size() == 2);
  // Another professional's [FIN] closes nothing of dupont's.
  REQUIRE_FALSE(store->commit_one([&](storage::write_txn& t) {
    conv::closed(t, ins, "martin@beta.mssante.test", 4000);
    return std::error_code{};
  }));
  CHECK(read(bal)->open);
  CHECK_FALSE(read("martin@beta.mssante.test")->open);  // recorded closed: a reply to martin says "closed"
}
