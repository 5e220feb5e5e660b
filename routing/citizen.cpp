#include "routing/citizen.hpp"

#include <algorithm>

#include "common/ascii.hpp"
#include "common/config.hpp"
#include "common/mime_text.hpp"
#include "routing/classify.hpp"
#include "storage/kv.hpp"
#include "storage/schema.hpp"

namespace mssgw::routing::citizen {
namespace {

char upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

bool iequal(std::string_view a, std::string_view b) { return common::iequals(a, b); }

// The first addr-spec of an address list: the text in <...>, else the whole value trimmed (RFC 5322 §3.4).
std::string first_address(std::string_view value) {
  auto lt = value.find('<');
  if (lt != std::string_view::npos) {
    auto gt = value.find('>', lt);
    if (gt != std::string_view::npos) return lowercase(trim(value.substr(lt + 1, gt - lt - 1)));
  }
  auto comma = value.find(',');
  return lowercase(trim(value.substr(0, comma)));
}

constexpr std::uint8_t conversation_version = 1;

std::string encode(const conversation& c) {
  return storage::schema::encoder(conversation_version)
      .str(c.bal)
      .u8(c.open ? 1 : 0)
      .i64(c.opened_ms)
      .i64(c.updated_ms)
      .u32(c.messages)
      .take();
}

std::optional<conversation> decode(std::string_view ins, std::string_view address, std::string_view value) {
  storage::schema::decoder d(value);
  if (d.version() != conversation_version) return std::nullopt;
  conversation c;
  c.ins = ins;
  c.address = address;
  c.bal = d.str();
  c.open = d.u8() != 0;
  c.opened_ms = d.i64();
  c.updated_ms = d.i64();
  c.messages = d.u32();
  if (!d.ok()) return std::nullopt;
  return c;
}

}  // namespace

ins_problem check_ins(std::string_view ins) {
  if (ins.size() != 15) return ins_problem::syntax;
  std::string digits(ins.substr(0, 13));
  const char dept = upper(digits[6]);
  if (digits[5] == '2' && (dept == 'A' || dept == 'B')) {
    digits[5] = '1';
    digits[6] = dept == 'A' ? '9' : '8';
  }
  if (!std::all_of(digits.begin(), digits.end(), is_digit) || !is_digit(ins[13]) || !is_digit(ins[14])) {
    return ins_problem::syntax;
  }
  std::uint64_t number = 0;
  for (char c : digits) number = number * 10 + static_cast<std::uint64_t>(c - '0');
  const auto key = static_cast<std::uint64_t>((ins[13] - '0') * 10 + (ins[14] - '0'));
  return key == 97 - number % 97 ? ins_problem::none : ins_problem::key;
}

std::string_view describe(ins_problem p) {
  switch (p) {
    case ins_problem::none: return "valid";
    case ins_problem::syntax: return "not a matricule INS: 15 characters, digits (2A or 2B for Corsica)";
    case ins_problem::key: return "matricule INS with a wrong key";
  }
  return "invalid";
}

std::string normalise_ins(std::string_view ins) {
  std::string out(ins);
  for (char& c : out) c = upper(c);
  return out;
}

void config::read(common::config_section& s) {
  s.string("domain", domain, 253);
  domain = lowercase(domain);
  std::string role_text = mode == role::host ? "host" : "relay";
  s.one_of("role", role_text, {"relay", "host"});
  mode = role_text == "host" ? role::host : role::relay;
  s.byte_size("max_message_size", max_message_size, 1024, 1ull << 31);
  s.string_list("pharmacies", pharmacies, 100000);
  for (auto& p : pharmacies) p = lowercase(p);
}

header_facts read_headers(std::string_view message) {
  header_facts out;
  // The header block ends at the first empty line (RFC 5322 §2.1).
  std::size_t end = message.find("\r\n\r\n");
  std::string_view block = message.substr(0, end == std::string_view::npos ? message.size() : end + 2);
  std::string name, value;
  auto flush = [&] {
    if (name.empty()) return;
    if (iequal(name, "Subject") && !out.subject) out.subject = common::decode_header_text(trim(value));
    if (iequal(name, "X-MSS-MES") && !out.mss_mes) out.mss_mes = std::string(trim(value));
    if (iequal(name, "Reply-To") && !out.reply_to) out.reply_to = first_address(value);
    name.clear();
    value.clear();
  };
  std::size_t pos = 0;
  while (pos < block.size()) {
    std::size_t eol = block.find("\r\n", pos);
    if (eol == std::string_view::npos) eol = block.size();
    std::string_view line = block.substr(pos, eol - pos);
    pos = eol + 2;
    if (!line.empty() && (line.front() == ' ' || line.front() == '\t')) {  // folded (RFC 5322 §2.2.3)
      if (!name.empty()) value.append(line);
      continue;
    }
    flush();
    auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    name = std::string(trim(line.substr(0, colon)));
    value = std::string(line.substr(colon + 1));
  }
  flush();
  return out;
}

bool subject_closes(std::string_view subject) { return subject.find("[FIN]") != std::string_view::npos; }

bool closes(const header_facts& h) {
  return (h.subject && subject_closes(*h.subject)) || (h.mss_mes && iequal(trim(*h.mss_mes), "FIN"));
}

std::optional<std::string> with_closing_header(std::string_view message) {
  auto h = read_headers(message);
  if (h.mss_mes || !h.subject || !subject_closes(*h.subject)) return std::nullopt;
  // After our Received header if the message starts with one (trace fields stay on top, RFC 5321 §4.4).
  std::size_t at = 0;
  if (message.starts_with("Received:")) {
    std::size_t pos = 0;
    while (true) {
      std::size_t eol = message.find("\r\n", pos);
      if (eol == std::string_view::npos) break;
      pos = eol + 2;
      if (pos >= message.size() || (message[pos] != ' ' && message[pos] != '\t')) break;
    }
    at = pos;
  }
  std::string out;
  out.reserve(message.size() + 16);
  out.append(message.substr(0, at));
  out.append("X-MSS-MES: FIN\r\n");
  out.append(message.substr(at));
  return out;
}

namespace conversations {

std::optional<conversation> get(const storage::read_txn& txn, std::string_view ins, std::string_view address) {
  auto v = txn.get(storage::table::conversations, storage::schema::conversation_key(ins, address));
  if (!v) return std::nullopt;
  return decode(ins, address, *v);
}

std::vector<conversation> of_patient(const storage::read_txn& txn, std::string_view ins) {
  std::vector<conversation> out;
  std::string prefix(ins);
  prefix.push_back('\0');
  txn.scan_prefix(storage::table::conversations, prefix, [&](std::string_view key, std::string_view value) {
    if (auto c = decode(ins, key.substr(prefix.size()), value)) out.push_back(std::move(*c));
    return true;
  });
  return out;
}

void opened(storage::write_txn& txn, std::string_view ins, std::string_view bal,
            const std::optional<std::string>& reply_to, std::int64_t now_ms) {
  auto open_one = [&](std::string_view address) {
    conversation c = get(txn, ins, address).value_or(conversation{});
    if (!c.open) c.opened_ms = now_ms;
    c.bal = bal;
    c.open = true;
    c.updated_ms = now_ms;
    ++c.messages;
    txn.put(storage::table::conversations, storage::schema::conversation_key(ins, address), encode(c));
  };
  open_one(bal);
  if (reply_to && !reply_to->empty() && *reply_to != bal) open_one(*reply_to);
}

std::size_t closed(storage::write_txn& txn, std::string_view ins, std::string_view bal, std::int64_t now_ms) {
  std::size_t n = 0;
  bool own_record = false;
  for (auto c : of_patient(txn, ins)) {
    if (c.bal != bal) continue;
    own_record = own_record || c.address == bal;
    n += c.open ? 1 : 0;
    c.open = false;
    c.updated_ms = now_ms;
    txn.put(storage::table::conversations, storage::schema::conversation_key(ins, c.address), encode(c));
  }
  if (!own_record) {  // a [FIN] before any message: record it closed, so a patient's reply says "closed"
    conversation c;
    c.bal = bal;
    c.updated_ms = now_ms;
    txn.put(storage::table::conversations, storage::schema::conversation_key(ins, bal), encode(c));
  }
  return n;
}

}  // namespace conversations

}  // namespace mssgw::routing::citizen
