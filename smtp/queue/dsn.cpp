#include "smtp/queue/dsn.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <ctime>

namespace mssgw::smtp::queue {
namespace {

constexpr std::size_t fold_at = 78;   // RFC 5322 §2.1.1: SHOULD
constexpr std::size_t hard_limit = 998;  // RFC 5322 §2.1.1: MUST

bool has_8bit(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
}

// Printable ASCII only: message/delivery-status is US-ASCII (RFC 3464 §2.1.2), and peers' texts are hostile input.
std::string ascii_text(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '\r' || c == '\n' || c == '\t') {
      out.push_back(' ');
    } else if (u < 0x20 || u >= 0x7f) {
      out.push_back('?');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string hex_random(std::size_t bytes) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1) {
    // RAND_bytes fails only when the DRBG cannot be seeded; uniqueness then rests on the clock.
    auto t = static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    for (std::size_t i = 0; i < bytes; ++i) raw[i] = static_cast<char>(t >> ((i % 8) * 8));
  }
  std::string out;
  for (unsigned char c : raw) {
    out.push_back(hex[c >> 4]);
    out.push_back(hex[c & 15]);
  }
  return out;
}

// RFC 2045 §6.7 quoted-printable for our own UTF-8 text: lines are short and end with CRLF in `text`.
std::string quoted_printable(std::string_view text) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto eol = text.find("\r\n", pos);
    std::string_view line = text.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
    std::size_t col = 0;
    for (std::size_t i = 0; i < line.size(); ++i) {
      auto c = static_cast<unsigned char>(line[i]);
      bool trailing_space = (c == ' ' || c == '\t') && i + 1 == line.size();
      std::string piece;
      if ((c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !trailing_space)) {
        piece.push_back(static_cast<char>(c));
      } else {
        piece = {'=', hex[c >> 4], hex[c & 15]};
      }
      if (col + piece.size() > 75) {  // soft line break keeps lines within 76 (§6.7 rule 5)
        out += "=\r\n";
        col = 0;
      }
      out += piece;
      col += piece.size();
    }
    out += "\r\n";
    if (eol == std::string_view::npos) break;
    pos = eol + 2;
  }
  return out;
}

// RFC 2047 encoded-word (Q) for a short UTF-8 phrase.
std::string encoded_word(std::string_view utf8) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out = "=?UTF-8?Q?";
  for (char ch : utf8) {
    auto c = static_cast<unsigned char>(ch);
    if (c == ' ') {
      out.push_back('_');
    } else if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '!' || c == '*' ||
               c == '+' || c == '-' || c == '/') {
      out.push_back(static_cast<char>(c));
    } else {
      out += {'=', hex[c >> 4], hex[c & 15]};
    }
  }
  out += "?=";
  return out;
}

std::string format_ms(std::int64_t ms) {
  return format_date(std::chrono::system_clock::time_point(std::chrono::milliseconds(ms)));
}

// "rfc822;a@b" (as stored) -> "rfc822; a@b".
std::string original_recipient_value(std::string_view orcpt) {
  auto semi = orcpt.find(';');
  if (semi == std::string_view::npos) return "rfc822; " + std::string(orcpt);
  return std::string(orcpt.substr(0, semi)) + "; " + std::string(orcpt.substr(semi + 1));
}

int rank(dsn_action a) {
  switch (a) {
    case dsn_action::failed: return 0;
    case dsn_action::delayed: return 1;
    case dsn_action::delivered: return 2;
    case dsn_action::relayed: return 3;
  }
  return 4;
}

struct wording {
  std::string_view subject_en, subject_fr, intro_fr, intro_en, line_fr, line_en;
};

wording words(dsn_action a) {
  switch (a) {
    case dsn_action::failed:
      return {"Undelivered Mail Returned to Sender", "Message non distribué",
              "Votre message n'a pas pu être distribué au(x) destinataire(s) ci-dessous.",
              "Your message could not be delivered to the recipient(s) below.", "échec définitif", "failed"};
    case dsn_action::delayed:
      return {"Delayed Mail (still being retried)", "Message en attente",
              "Votre message n'a pas encore pu être distribué au(x) destinataire(s) ci-dessous ; de nouvelles "
              "tentatives auront lieu. Vous n'avez rien à faire.",
              "Your message could not be delivered yet to the recipient(s) below; delivery will be retried. You do "
              "not need to resend it.",
              "en attente", "delayed"};
    case dsn_action::delivered:
      return {"Successful Mail Delivery Report", "Accusé de distribution",
              "Votre message a été distribué au(x) destinataire(s) ci-dessous.",
              "Your message was delivered to the recipient(s) below.", "distribué", "delivered"};
    case dsn_action::relayed:
      return {"Successful Mail Delivery Report", "Accusé de distribution",
              "Votre message a été transmis au(x) destinataire(s) ci-dessous, à un serveur qui ne fournit pas "
              "d'accusé de distribution.",
              "Your message was relayed to the recipient(s) below, to a server that does not return delivery "
              "notifications.",
              "transmis", "relayed"};
  }
  return {};
}

}  // namespace

std::string_view name(dsn_action a) {
  switch (a) {
    case dsn_action::failed: return "failed";
    case dsn_action::delayed: return "delayed";
    case dsn_action::delivered: return "delivered";
    case dsn_action::relayed: return "relayed";
  }
  return "failed";
}

std::string format_date(std::chrono::system_clock::time_point t) {
  static constexpr const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday % 7], tm.tm_mday,
                months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

std::string fold_field(std::string_view name, std::string_view value) {
  const std::string text = ascii_text(value);
  std::string out(name);
  out += ':';
  std::size_t col = out.size();
  std::size_t i = 0;
  // Words are separated by single spaces once folded; runs of spaces collapse (the value is a diagnostic text).
  bool first = true;
  while (i < text.size()) {
    while (i < text.size() && text[i] == ' ') ++i;
    if (i >= text.size()) break;
    auto end = text.find(' ', i);
    if (end == std::string::npos) end = text.size();
    std::string_view word(text.data() + i, end - i);
    i = end;
    if (!first && col + 1 + word.size() > fold_at) {
      out += "\r\n";
      col = 0;
    }
    first = false;
    // A word too long for any line is cut hard (a single space starts each continuation line).
    while (col + 1 + word.size() > hard_limit) {
      std::size_t take = hard_limit - col - 1;
      out += ' ';
      out.append(word.substr(0, take));
      out += "\r\n";
      col = 0;
      word.remove_prefix(take);
    }
    out += ' ';
    out.append(word);
    col += 1 + word.size();
  }
  out += "\r\n";
  return out;
}

std::string_view header_of(std::string_view message) {
  if (message.starts_with("\r\n")) return message.substr(0, 2);
  auto end = message.find("\r\n\r\n");
  if (end == std::string_view::npos) return message;
  return message.substr(0, end + 4);
}

std::string make_message_id(std::string_view host) {
  auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
  return "<" + std::to_string(now.count()) + "." + hex_random(8) + "@" + std::string(host) + ">";
}

std::string make_boundary() { return "=_mssgw_" + hex_random(12); }

std::optional<std::string> build_dsn(const dsn_input& in) {
  if (in.sender.empty() || in.recipients.empty()) return std::nullopt;

  // The subject and the order of the explanations follow the most serious action reported.
  std::vector<dsn_action> actions;
  for (const auto& r : in.recipients) {
    if (std::find(actions.begin(), actions.end(), r.action) == actions.end()) actions.push_back(r.action);
  }
  std::sort(actions.begin(), actions.end(), [](dsn_action a, dsn_action b) { return rank(a) < rank(b); });
  const wording main = words(actions.front());
  const std::string boundary = in.boundary.empty() ? make_boundary() : in.boundary;
  const std::string message_id = in.message_id.empty() ? make_message_id(in.reporting_mta) : in.message_id;
  const std::string host = ascii_text(in.reporting_mta);

  std::string m;
  m.reserve(4096 + (in.ret_full ? in.original.size() : header_of(in.original).size()));
  m += "From: MAILER-DAEMON@" + host + " (Mail Delivery System)\r\n";
  m += "To: <" + ascii_text(in.sender) + ">\r\n";
  m += "Subject: " + std::string(main.subject_en) + " / " + encoded_word(main.subject_fr) + "\r\n";
  m += "Date: " + format_date(in.date) + "\r\n";
  m += "Message-ID: " + ascii_text(message_id) + "\r\n";
  m += "Auto-Submitted: auto-replied\r\n";  // RFC 3834 §5: no automatic answer to this one
  m += "MIME-Version: 1.0\r\n";
  m += "Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"" + boundary + "\"\r\n";
  m += "\r\n";
  m += "This is a MIME-encapsulated delivery status notification (RFC 3464).\r\n";

  // 1. The human-readable part (RFC 6522 §3: first).
  std::string text;
  text += "Ceci est le système de messagerie de " + host + ". / This is the mail system at " + host + ".\r\n\r\n";
  for (dsn_action a : actions) {
    const wording w = words(a);
    text += std::string(w.intro_fr) + "\r\n" + std::string(w.intro_en) + "\r\n\r\n";
    for (const auto& r : in.recipients) {
      if (r.action != a) continue;
      text += "  <" + ascii_text(r.final_recipient) + ">: " + std::string(w.line_fr) + " / " + std::string(w.line_en);
      if (!r.status.empty()) text += " (" + ascii_text(r.status) + ")";
      text += "\r\n";
      if (!r.diagnostic.empty()) text += "    " + ascii_text(r.diagnostic) + "\r\n";
      if (!r.remote_mta.empty()) text += "    remote server / serveur distant: " + ascii_text(r.remote_mta) + "\r\n";
      if (a == dsn_action::delayed && r.will_retry_until_ms > 0) {
        text += "    nouvelles tentatives jusqu'au / retries until: " + format_ms(r.will_retry_until_ms) + "\r\n";
      }
    }
    text += "\r\n";
  }
  text += "Identifiant de file / queue id: " + ascii_text(in.queue_id) + "\r\n";
  m += "\r\n--" + boundary + "\r\n";
  m += "Content-Type: text/plain; charset=utf-8\r\n";
  m += "Content-Transfer-Encoding: quoted-printable\r\n";
  m += "Content-Description: Notification\r\n\r\n";
  m += quoted_printable(text);

  // 2. message/delivery-status (RFC 3464 §2.2 per-message fields, §2.3 per-recipient fields).
  m += "\r\n--" + boundary + "\r\n";
  m += "Content-Type: message/delivery-status\r\n";
  m += "Content-Description: Delivery report\r\n\r\n";
  m += fold_field("Reporting-MTA", "dns; " + in.reporting_mta);
  if (!in.queue_id.empty()) m += fold_field("X-Mssgw-Queue-ID", in.queue_id);
  if (!in.envid.empty()) m += fold_field("Original-Envelope-Id", in.envid);
  if (in.arrival_ms > 0) m += fold_field("Arrival-Date", format_ms(in.arrival_ms));
  for (const auto& r : in.recipients) {
    m += "\r\n";
    if (!r.original_recipient.empty()) m += fold_field("Original-Recipient", original_recipient_value(r.original_recipient));
    m += fold_field("Final-Recipient", "rfc822; " + r.final_recipient);
    m += fold_field("Action", name(r.action));
    m += fold_field("Status", r.status);
    if (!r.remote_mta.empty()) m += fold_field("Remote-MTA", "dns; " + r.remote_mta);
    if (!r.diagnostic.empty()) m += fold_field("Diagnostic-Code", r.diagnostic);
    if (r.last_attempt_ms > 0) m += fold_field("Last-Attempt-Date", format_ms(r.last_attempt_ms));
    if (r.action == dsn_action::delayed && r.will_retry_until_ms > 0) {
      m += fold_field("Will-Retry-Until", format_ms(r.will_retry_until_ms));
    }
  }

  // 3. The original: whole (RET=FULL) or its header (RET=HDRS, the default).
  m += "\r\n--" + boundary + "\r\n";
  std::string_view original = in.ret_full ? in.original : header_of(in.original);
  if (!in.ret_full && original.ends_with("\r\n\r\n")) original.remove_suffix(2);  // the header's blank line
  m += in.ret_full ? "Content-Type: message/rfc822\r\n" : "Content-Type: text/rfc822-headers\r\n";
  if (has_8bit(original)) m += "Content-Transfer-Encoding: 8bit\r\n";
  m += "Content-Description: " + std::string(in.ret_full ? "Original message" : "Original message headers") + "\r\n\r\n";
  m.append(original);
  if (!original.empty() && !original.ends_with("\r\n")) m += "\r\n";
  m += "\r\n--" + boundary + "--\r\n";
  return m;
}

}  // namespace mssgw::smtp::queue
