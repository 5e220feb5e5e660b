#include "smtp/client/conversation.hpp"

#include <algorithm>
#include <charconv>

#include "smtp/proto/codec.hpp"
#include "smtp/proto/data_reader.hpp"
#include "storage/queue_store.hpp"

namespace mssgw::smtp::client {
namespace {

bool has_8bit(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
}

outcome outcome_for(int code) {
  if (code >= 200 && code < 300) return outcome::delivered;
  if (code >= 500 && code < 600) return outcome::failed;
  return outcome::deferred;  // 4xx, and anything unexpected: unknown errors count as temporary
}

// A permanent-looking status given to a failure we treat as temporary (e.g. a 554 greeting, where another MX may
// do better): the class becomes 4 so the queue and any DELAY notice stay consistent (RFC 3463 §3.1).
std::string as_temporary(std::string status) {
  if (!status.empty() && status[0] == '5') status[0] = '4';
  return status;
}

std::string_view first_word(std::string_view line) {
  auto sp = line.find(' ');
  return sp == std::string_view::npos ? line : line.substr(0, sp);
}

}  // namespace

server_extensions parse_ehlo(const proto::reply& r) {
  server_extensions e;
  // RFC 5321 §4.1.1.1: the first line is the server's name and greeting; each further line is one extension.
  for (std::size_t i = 1; i < r.lines.size(); ++i) {
    std::string_view line = r.lines[i];
    std::string_view keyword = first_word(line);
    if (proto::iequals(keyword, "STARTTLS")) {
      e.starttls = true;
    } else if (proto::iequals(keyword, "PIPELINING")) {
      e.pipelining = true;
    } else if (proto::iequals(keyword, "SIZE")) {
      e.size = true;
      if (keyword.size() < line.size()) {
        std::string_view v = line.substr(keyword.size() + 1);
        std::uint64_t n = 0;
        auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
        if (ec == std::errc{} && end == v.data() + v.size()) e.max_size = n;
      }
    } else if (proto::iequals(keyword, "8BITMIME")) {
      e.eightbitmime = true;
    } else if (proto::iequals(keyword, "DSN")) {
      e.dsn = true;
    } else if (proto::iequals(keyword, "SMTPUTF8")) {
      e.smtputf8 = true;
    } else if (proto::iequals(keyword, "CHUNKING")) {
      e.chunking = true;
    } else if (proto::iequals(keyword, "ENHANCEDSTATUSCODES")) {
      e.enhancedstatuscodes = true;
    }
  }
  return e;
}

std::chrono::milliseconds timeouts::of(timeout_kind k) const {
  switch (k) {
    case timeout_kind::greeting: return greeting;
    case timeout_kind::command: return command;
    case timeout_kind::data_init: return data_init;
    case timeout_kind::data_block: return data_block;
    case timeout_kind::data_end: return data_end;
  }
  return command;
}

std::string diagnostic_of(const proto::reply& r) {
  std::string d = "smtp; " + std::to_string(r.code);
  if (!r.enhanced.empty()) d += " " + r.enhanced;
  std::string text = r.text();
  if (!text.empty()) d += " " + text;
  return d;
}

std::string status_of(const proto::reply& r) {
  if (!r.enhanced.empty()) return r.enhanced;
  const int cls = r.code / 100;
  if (cls == 2) return "2.0.0";
  if (cls == 5) return "5.0.0";
  return "4.0.0";
}

conversation::conversation(settings s, envelope env, std::shared_ptr<const std::string> body)
    : settings_(std::move(s)),
      env_(std::move(env)),
      body_(std::move(body)),
      parser_(settings_.limits),
      accepted_(env_.recipients.size(), false),
      results_(env_.recipients.size()) {
  if (!body_) body_ = std::make_shared<const std::string>();
}

conversation::conversation(settings s, envelope env, std::shared_ptr<const std::string> body,
                           const server_extensions& server)
    : conversation(std::move(s), std::move(env), std::move(body)) {
  ext_ = server;
  tls_active_ = true;
  resumed_ = true;
  phase_ = phase::resume;
}

std::string_view conversation::phase_name() const {
  switch (phase_) {
    case phase::greeting: return "greeting";
    case phase::ehlo: return "ehlo";
    case phase::starttls: return "starttls";
    case phase::handshake: return "tls handshake";
    case phase::ehlo_tls: return "ehlo after tls";
    case phase::mail: return "mail";
    case phase::rcpt: return "rcpt";
    case phase::data: return "data";
    case phase::dot: return "end of data";
    case phase::dot_discard: return "end of data";
    case phase::resume: return "resume";
    case phase::rset: return "rset";
    case phase::parked: return "parked";
    case phase::quit: return "quit";
    case phase::done: return "done";
  }
  return "?";
}

step conversation::next_read(std::size_t consumed) const {
  step s;
  s.next = step::kind::read;
  s.consumed = consumed;
  switch (phase_) {
    case phase::greeting: s.timeout = timeout_kind::greeting; break;  // RFC 5321 §4.5.3.2.1
    case phase::data: s.timeout = timeout_kind::data_init; break;     // §4.5.3.2.4
    case phase::dot:
    case phase::dot_discard: s.timeout = timeout_kind::data_end; break;  // §4.5.3.2.6
    default: s.timeout = timeout_kind::command; break;                   // §4.5.3.2.2, .3, .7
  }
  if (phase_ == phase::done) s.next = step::kind::close;
  return s;
}

step conversation::feed(std::string_view input, std::string& out) {
  if (phase_ == phase::resume) {
    start_transaction(out);
    if (phase_ == phase::parked) return {step::kind::park, 0, timeout_kind::command};
    return next_read(0);
  }
  std::size_t consumed = 0;
  for (;;) {
    if (phase_ == phase::done) return {step::kind::close, consumed, timeout_kind::command};
    auto r = parser_.next(input.substr(consumed));
    consumed += r.consumed;
    if (r.st == proto::reply_parser::status::need_more) return next_read(consumed);
    if (r.st == proto::reply_parser::status::error || phase_ == phase::handshake) {
      std::string why = r.st == proto::reply_parser::status::error ? std::string(proto::describe(r.error))
                                                                  : "reply during the TLS handshake";
      settle_all(outcome::deferred, 451, "4.5.0", "x-mssgw; invalid reply from the server: " + why);
      phase_ = phase::done;  // the stream is out of sync: no QUIT
      return {step::kind::close, consumed, timeout_kind::command};
    }
    first_read_after_tls_ = false;
    step s = on_reply(r.value, out);
    if (s.next == step::kind::start_tls && consumed < input.size()) {
      // Bytes after the 220 to STARTTLS would be read as if they came through TLS (a response injection, the
      // client side of CVE-2011-0411): refuse the session.
      settle_all(outcome::deferred, 451, "4.7.0",
                 "x-mssgw; the server sent data after its STARTTLS reply (possible injection)");
      phase_ = phase::done;
      return {step::kind::close, consumed, timeout_kind::command};
    }
    if (s.next == step::kind::park && consumed < input.size()) {
      // Bytes after the RSET reply: the stream is not clean enough to carry another transaction.
      quit(out);
      return next_read(consumed);
    }
    if (s.next != step::kind::read || phase_ == phase::done) {
      s.consumed = consumed;
      if (phase_ == phase::done) s.next = step::kind::close;
      return s;
    }
  }
}

step conversation::tls_ready(const tls_verdict& verdict, std::string& out) {
  tls_active_ = true;
  if (!verdict.accept) {
    settle_all(outcome::deferred, static_cast<std::uint16_t>(verdict.code), verdict.enhanced,
               "x-mssgw; " + verdict.reason);
    quit(out);
    return next_read(0);
  }
  // RFC 3207 §4.2: forget everything learnt before TLS and say EHLO again.
  ext_ = {};
  parser_.reset();
  out += "EHLO " + settings_.helo_name + "\r\n";
  phase_ = phase::ehlo_tls;
  first_read_after_tls_ = true;
  return next_read(0);
}

void conversation::io_failed(io_error kind, std::string_view detail) {
  if (phase_ == phase::done) return;
  io_failed_ = true;
  if (phase_ == phase::quit || phase_ == phase::rset || phase_ == phase::parked) {  // every result is already known
    phase_ = phase::done;
    return;
  }
  const std::string what(phase_name());
  std::string text(detail);
  if (kind == io_error::connect) {
    settle_all(outcome::deferred, 451, "4.4.1", "x-mssgw; cannot connect: " + text);  // RFC 3463 X.4.1
  } else if (kind == io_error::tls_handshake) {
    settle_all(outcome::deferred, 451, "4.7.5", "x-mssgw; TLS handshake failed: " + text);
  } else if (first_read_after_tls_ && kind != io_error::timeout) {
    // TLS 1.3: a server that refuses our certificate sends its alert after the handshake; we see it here.
    certificate_refused_ = true;
    settle_all(outcome::deferred, 451, "4.7.5",
               "x-mssgw; TLS: the server refused our client certificate (first read after the handshake failed: " +
                   text + ")");
  } else if (kind == io_error::timeout) {
    settle_all(outcome::deferred, 451, "4.4.2", "x-mssgw; timeout waiting for the server (" + what + ")");
  } else {
    settle_all(outcome::deferred, 451, "4.4.2",
               "x-mssgw; connection lost (" + what + ")" + (text.empty() ? "" : ": " + text));
  }
  phase_ = phase::done;
}

void conversation::settle_all(outcome o, std::uint16_t code, std::string enhanced, std::string diagnostic) {
  for (auto& r : results_) {
    if (r.final) continue;
    r = {o, code, enhanced, diagnostic, true};
  }
}

void conversation::settle(std::size_t i, const proto::reply& r) {
  results_[i] = {outcome_for(r.code), static_cast<std::uint16_t>(r.code), status_of(r), diagnostic_of(r), true};
}

void conversation::settle_all_with(const proto::reply& r) {
  for (std::size_t i = 0; i < results_.size(); ++i) {
    if (!results_[i].final) settle(i, r);
  }
}

bool conversation::any_accepted() const {
  return std::find(accepted_.begin(), accepted_.end(), true) != accepted_.end();
}

void conversation::quit(std::string& out) {
  out += "QUIT\r\n";
  phase_ = phase::quit;
}

void conversation::end_transaction(std::string& out) {
  if (!settings_.park) {
    quit(out);
    return;
  }
  out += "RSET\r\n";  // RFC 5321 §4.1.1.5: a clean state, and proof that the server still answers
  phase_ = phase::rset;
}

void conversation::start_transaction(std::string& out) {
  // A refusal found before MAIL: on a resumed session nothing was sent, so it stays parked as clean as it was.
  auto refuse = [&](std::uint16_t code, const char* enhanced, std::string diagnostic) {
    settle_all(outcome::failed, code, enhanced, std::move(diagnostic));
    if (phase_ == phase::resume) {
      phase_ = phase::parked;
    } else {
      quit(out);
    }
  };
  // RFC 1870 §6.1: a message over the server's fixed limit will not be accepted there: a permanent failure.
  if (ext_.size && ext_.max_size > 0 && body_->size() > ext_.max_size) {
    refuse(552, "5.3.4", "x-mssgw; message size " + std::to_string(body_->size()) +
                             " exceeds the limit of the server (" + std::to_string(ext_.max_size) + ")");
    return;
  }
  // RFC 6531 §3.4: an address with UTF-8 cannot be given to a server without SMTPUTF8.
  bool utf8 = has_8bit(env_.sender);
  for (const auto& rc : env_.recipients) utf8 = utf8 || has_8bit(rc.address);
  if (utf8 && !ext_.smtputf8) {
    refuse(553, "5.6.7", "x-mssgw; the server does not support SMTPUTF8 addresses");
    return;
  }
  send_mail(out);
}

std::string conversation::mail_command() const {
  std::string cmd = "MAIL FROM:<" + env_.sender + ">";
  if (ext_.size) cmd += " SIZE=" + std::to_string(body_->size());
  if (ext_.eightbitmime && has_8bit(*body_)) cmd += " BODY=8BITMIME";
  if (ext_.smtputf8 && has_8bit(env_.sender)) cmd += " SMTPUTF8";
  else if (ext_.smtputf8) {
    for (const auto& r : env_.recipients) {
      if (has_8bit(r.address)) {
        cmd += " SMTPUTF8";
        break;
      }
    }
  }
  // RFC 3461 §5.2.1 (a), (b): what we received is passed on, to a server that supports DSN only (§5.2.2 (a)).
  if (ext_.dsn) {
    if (env_.ret_full) cmd += " RET=FULL";
    if (!env_.envid.empty()) cmd += " ENVID=" + proto::xtext_encode(env_.envid);
  }
  cmd += "\r\n";
  return cmd;
}

std::string conversation::rcpt_command(const envelope::recipient& r) const {
  std::string cmd = "RCPT TO:<" + r.address + ">";
  if (ext_.dsn) {
    // RFC 3461 §5.2.1 (c), (d): NOTIFY only when it was given, ORCPT with the same address.
    if (r.notify & storage::notify_never) {
      cmd += " NOTIFY=NEVER";
    } else if (r.notify != 0) {
      std::string list;
      if (r.notify & storage::notify_success) list += "SUCCESS,";
      if (r.notify & storage::notify_failure) list += "FAILURE,";
      if (r.notify & storage::notify_delay) list += "DELAY,";
      if (!list.empty()) {
        list.pop_back();
        cmd += " NOTIFY=" + list;
      }
    }
    if (!r.orcpt.empty()) {
      auto semi = r.orcpt.find(';');
      if (semi != std::string::npos) {
        cmd += " ORCPT=" + r.orcpt.substr(0, semi) + ";" + proto::xtext_encode(std::string_view(r.orcpt).substr(semi + 1));
      }
    }
  }
  cmd += "\r\n";
  return cmd;
}

void conversation::send_mail(std::string& out) {
  // RFC 2920 §3.1: MAIL, every RCPT and DATA go in one group; the replies come back in order.
  pipelined_ = ext_.pipelining;
  out += mail_command();
  phase_ = phase::mail;
  next_rcpt_ = 0;
  if (pipelined_) {
    for (const auto& r : env_.recipients) out += rcpt_command(r);
    out += "DATA\r\n";
  }
}

void conversation::send_body(std::string& out) {
  out.reserve(out.size() + body_->size() + body_->size() / 64 + 8);
  proto::dot_stuff(*body_, out);  // RFC 5321 §4.5.2 transparency, then CRLF.CRLF
  phase_ = phase::dot;
}

step conversation::on_reply(const proto::reply& r, std::string& out) {
  const bool ok = r.code >= 200 && r.code < 300;
  switch (phase_) {
    case phase::greeting:
      if (r.code != 220) {
        // RFC 5321 §3.1: a 554 greeting means this host will not talk to us; another MX may.
        settle_all(outcome::deferred, static_cast<std::uint16_t>(r.code), as_temporary(status_of(r)), diagnostic_of(r));
        quit(out);
        break;
      }
      out += "EHLO " + settings_.helo_name + "\r\n";
      phase_ = phase::ehlo;
      break;

    case phase::ehlo:
      // No HELO fallback: HELO cannot negotiate STARTTLS, and plaintext is not allowed (decision 3).
      if (!ok) {
        settle_all(outcome::deferred, static_cast<std::uint16_t>(r.code), as_temporary(status_of(r)), diagnostic_of(r));
        quit(out);
        break;
      }
      ext_ = parse_ehlo(r);
      if (!ext_.starttls) {
        settle_all(outcome::deferred, 451, "4.7.4",
                   "x-mssgw; TLS is required, but the server did not offer STARTTLS");
        quit(out);
        break;
      }
      out += "STARTTLS\r\n";
      phase_ = phase::starttls;
      break;

    case phase::starttls:
      if (r.code != 220) {
        settle_all(outcome::deferred, static_cast<std::uint16_t>(r.code), "4.7.4",
                   "x-mssgw; STARTTLS refused: " + diagnostic_of(r).substr(6));
        quit(out);
        break;
      }
      phase_ = phase::handshake;
      return {step::kind::start_tls, 0, timeout_kind::command};

    case phase::ehlo_tls: {
      if (!ok) {
        settle_all(outcome::deferred, static_cast<std::uint16_t>(r.code), as_temporary(status_of(r)), diagnostic_of(r));
        quit(out);
        break;
      }
      ext_ = parse_ehlo(r);
      start_transaction(out);
      break;
    }

    case phase::mail:
      mail_answered_ = true;
      mail_ok_ = ok;
      if (resumed_ && r.code == 421) closed_while_parked_ = true;
      if (!ok) settle_all_with(r);  // 4xx: every recipient deferred; 5xx: failed
      if (pipelined_) {
        phase_ = env_.recipients.empty() ? phase::data : phase::rcpt;
      } else if (ok && !env_.recipients.empty()) {
        out += rcpt_command(env_.recipients[0]);
        phase_ = phase::rcpt;
      } else {
        end_transaction(out);
      }
      break;

    case phase::rcpt: {
      const std::size_t i = next_rcpt_++;
      if (mail_ok_ && i < env_.recipients.size()) {
        if (ok) {
          accepted_[i] = true;
        } else {
          settle(i, r);
        }
      }
      if (next_rcpt_ < env_.recipients.size()) {
        if (!pipelined_) out += rcpt_command(env_.recipients[next_rcpt_]);
        break;
      }
      if (pipelined_) {
        phase_ = phase::data;  // the reply to the pipelined DATA comes next
      } else if (any_accepted()) {
        out += "DATA\r\n";
        phase_ = phase::data;
      } else {
        end_transaction(out);
      }
      break;
    }

    case phase::data:
      if (r.code == 354) {
        if (mail_ok_ && any_accepted()) {
          send_body(out);
        } else {
          // RFC 2920 §3.1: DATA accepted although no recipient was: send an empty message and ignore its reply.
          out += ".\r\n";
          phase_ = phase::dot_discard;
        }
        break;
      }
      if (mail_ok_) settle_all_with(r);  // the accepted recipients get the DATA refusal
      end_transaction(out);
      break;

    case phase::dot:
      settle_all_with(r);  // RFC 5321 §4.1.1.4: one reply for every accepted recipient
      end_transaction(out);
      break;

    case phase::dot_discard:
      end_transaction(out);
      break;

    case phase::rset:
      if (!ok) {
        quit(out);
        break;
      }
      phase_ = phase::parked;
      return {step::kind::park, 0, timeout_kind::command};

    case phase::quit:
      phase_ = phase::done;
      return {step::kind::close, 0, timeout_kind::command};

    case phase::handshake:
    case phase::resume:
    case phase::parked:
    case phase::done:
      break;
  }
  return next_read(0);
}

}  // namespace mssgw::smtp::client
