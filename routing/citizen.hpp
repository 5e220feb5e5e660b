// Citizen messaging (mssante/README §5 and decision 5): patient addresses <matricule INS>@<citizen domain>, the
// closing marks, and the conversation state a citizen domain's operator keeps.
//
// Roles ([citizen] role):
// - relay: this operator's professionals write to patients; the INS and the 25 MB limit are checked at submission,
//   "X-MSS-MES: FIN" is added when the subject has "[FIN]", and the message goes to the citizen domain's operator.
// - host: this operator is the citizen domain's. A patient's mailbox exists from the first message to it; a
//   professional's message opens (or refreshes) the conversation; a closing message is not delivered to the patient
//   and closes it; a patient writes only within an open conversation, or to a pharmacy's ORG BAL ([citizen]
//   pharmacies).
//
// Conversation records (storage table `conversations`, key INS \0 address): one per address the patient may write
// to: the professional's BAL, and the Reply-To address of the professional's message when it is an MSSanté one (the
// record names the BAL that opened it, so that the BAL's [FIN] closes both).
//
// Pure functions and short LMDB operations; thread-safe.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mssgw::common {
class config_section;
}
namespace mssgw::storage {
class read_txn;
class write_txn;
}  // namespace mssgw::storage

namespace mssgw::routing::citizen {

// ---- matricule INS ----
// 15 characters: 13 (digits, with the department "2A"/"2B" at positions 6-7 for Corsica, A/B in either case) then
// a 2-digit key = 97 - (the 13 as a number mod 97), with 2A counting as 19 and 2B as 18 for the key only.
enum class ins_problem : std::uint8_t { none, syntax, key };
ins_problem check_ins(std::string_view ins);
// The text a refusal gives (550 5.1.3 ...).
std::string_view describe(ins_problem p);
// The canonical form: Corsica's A/B in capitals. Meaningful only when check_ins() is none.
std::string normalise_ins(std::string_view ins);

// ---- configuration: [citizen] ----
enum class role : std::uint8_t { relay, host };
struct config {
  std::string domain = "patient.mssante.fr";  // "" = no citizen domain
  role mode = role::relay;
  std::uint64_t max_message_size = 25ull * 1024 * 1024;  // the Mon Espace Santé limit, whole message
  std::vector<std::string> pharmacies;                    // ORG BALs a patient may write to first (lowercased)
  void read(common::config_section& section);
};

// ---- the closing marks ----
// The header fields the rules read, from the message's header block (unfolded; the first occurrence of each).
struct header_facts {
  std::optional<std::string> subject;   // RFC 2047 encoded words decoded (mail clients encode accented subjects)
  std::optional<std::string> mss_mes;   // X-MSS-MES
  std::optional<std::string> reply_to;  // the address of Reply-To (the first one), lowercased
};
header_facts read_headers(std::string_view message);
// "[FIN]" exactly (capitals, brackets) anywhere in the (decoded) subject.
bool subject_closes(std::string_view subject);
// The subject closes, or X-MSS-MES is FIN (trimmed, case-insensitive).
bool closes(const header_facts& h);
// Relay role: the message with "X-MSS-MES: FIN" added at the top of its header when the subject closes and the
// header is missing; nullopt when nothing is to change.
std::optional<std::string> with_closing_header(std::string_view message);

// ---- conversation state ----
struct conversation {
  std::string ins;
  std::string address;  // where the patient may write: the BAL, or the Reply-To address
  std::string bal;      // the professional's BAL that opened it
  bool open = false;
  std::int64_t opened_ms = 0;   // last (re)opening
  std::int64_t updated_ms = 0;  // last change
  std::uint32_t messages = 0;   // professional messages delivered in it
};
namespace conversations {
std::optional<conversation> get(const storage::read_txn& txn, std::string_view ins, std::string_view address);
std::vector<conversation> of_patient(const storage::read_txn& txn, std::string_view ins);
// A professional's message delivered to the patient: opens or refreshes (ins, bal), and (ins, reply_to) when given.
void opened(storage::write_txn& txn, std::string_view ins, std::string_view bal,
            const std::optional<std::string>& reply_to, std::int64_t now_ms);
// A closing message: closes every record of the patient opened by `bal`. Returns how many were open.
std::size_t closed(storage::write_txn& txn, std::string_view ins, std::string_view bal, std::int64_t now_ms);
}  // namespace conversations

}  // namespace mssgw::routing::citizen
