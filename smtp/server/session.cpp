#include "smtp/server/session.hpp"

#include <random>

#include "smtp/proto/codec.hpp"

namespace mssgw::smtp::server {
namespace {

// RFC 5322 §3.3 date-time, always in UTC ("+0000").
std::string rfc5322_date(std::chrono::system_clock::time_point t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  static constexpr const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday,
                months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

// Text inside an RFC 5322 comment: parentheses and backslashes are quoted-pairs; controls are dropped.
std::string comment_text(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '(' || c == ')' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) out += c;
  }
  return out;
}

}  // namespace

std::string_view name(listener_kind k) {
  switch (k) {
    case listener_kind::mx: return "mx";
    case listener_kind::submission: return "submission";
    case listener_kind::submissions: return "submissions";
  }
  return "?";
}

std::string new_message_id() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char hex[] = "0123456789ABCDEF";
  std::uint64_t v = rng();
  if (v == 0) v = 1;
  std::string s(16, '0');
  for (int i = 15; i >= 0; --i, v >>= 4) s[static_cast<std::size_t>(i)] = hex[v & 0xf];
  return s;
}

session::session(session_settings settings, policy& pol, peer_facts peer)
    : settings_(std::move(settings)),
      policy_(pol),
      peer_(std::move(peer)),
      log_(log::context(log::module::smtp).with_session(peer_.session_id)),
      lines_(proto::extended_max_line) {}

std::string session::greeting() const {
  return proto::format_reply(220, "", settings_.hostname + " ESMTP");
}

std::string session::timeout_reply() const {
  return proto::format_reply(421, "4.4.2", settings_.hostname + " Error: timeout exceeded");
}

std::string session::shutdown_reply() const {
  return proto::format_reply(421, "4.3.2", settings_.hostname + " Service shutting down");
}

void session::reply(int code, std::string_view enhanced, std::string_view text, std::string& out) const {
  out += proto::format_reply(code, enhanced, text);
}

step session::refuse(int code, std::string_view enhanced, std::string_view text, std::string_view reason,
                     std::string& out) {
  log_.info("smtp.refused", {{"code", code}, {"status", enhanced}, {"reason", reason}, {"client", peer_.address}});
  reply(code, enhanced, text, out);
  if (++errors_ >= settings_.max_errors) {
    log_.warn("smtp.too_many_errors", {{"client", peer_.address}, {"errors", errors_}});
    reply(421, "4.7.0", settings_.hostname + " Error: too many errors", out);
    phase_ = closed_phase{};
    return {step::kind::close};
  }
  return {step::kind::read};
}

proto::extensions session::advertised() const {
  proto::extensions ext;
  ext.max_size = settings_.max_message_size;
  ext.starttls = settings_.tls_offered && !tls_.active && settings_.kind != listener_kind::submissions;
  // RFC 4954 §4: no AUTH before TLS (we never accept credentials in the clear), none on the MX.
  if (settings_.kind != listener_kind::mx && tls_.active && !auth_) {
    ext.auth = policy_.sasl_mechanisms(tls_);
  }
  ext.chunking = settings_.chunking;
  ext.binarymime = false;
  ext.smtputf8 = false;
  return ext;
}

void session::reset_transaction() {
  txn_.reset();
}

step session::feed(std::string_view input, std::string& out) {
  std::size_t pos = 0;
  for (;;) {
    std::string_view rest = input.substr(pos);
    if (std::holds_alternative<closed_phase>(phase_)) return {step::kind::close, pos};

    if (auto* d = std::get_if<data_phase>(&phase_)) {
      auto r = d->reader.feed(rest, txn_->body);
      pos += r.consumed;
      if (!r.done) return {step::kind::read, pos};
      step s = finish_message(r.error, out);
      s.consumed = pos;
      if (s.next != step::kind::read) return s;
      continue;
    }

    if (auto* b = std::get_if<bdat_phase>(&phase_)) {
      proto::data_result r;
      if (b->discard) {
        auto drop = [](std::string_view) {};  // refused chunk: read and drop
        r = b->discard_reader.feed(rest, drop);
      } else {
        r = txn_->bdat->feed(rest, txn_->body);
      }
      pos += r.consumed;
      if (!r.done) return {step::kind::read, pos};
      if (b->discard) {
        bdat_phase done = std::move(*b);
        phase_ = command_phase{};
        step s = refuse(done.refusal_code, done.refusal_enhanced, done.refusal_text, "BDAT chunk refused", out);
        s.consumed = pos;
        if (s.next != step::kind::read) return s;
        continue;
      }
      phase_ = command_phase{};
      if (txn_->bdat->last()) {
        step s = finish_message(txn_->bdat->error(), out);
        s.consumed = pos;
        if (s.next != step::kind::read) return s;
        continue;
      }
      reply(250, "2.0.0", std::to_string(txn_->bdat->size()) + " octets received", out);
      continue;
    }

    const bool in_sasl = std::holds_alternative<sasl_phase>(phase_);
    auto r = lines_.next(rest);
    pos += r.consumed;
    if (r.st == proto::line_reader::status::need_more) return {step::kind::read, pos};
    step s;
    if (r.st == proto::line_reader::status::error) {
      if (in_sasl) {
        phase_ = command_phase{};
        lines_.set_max_line(proto::extended_max_line);
        s = refuse(500, "5.5.6", "Authentication exchange line too long", "AUTH line too long", out);
      } else {
        auto e = proto::reply_for(r.error);
        s = refuse(e.code, e.enhanced, e.text, proto::describe(r.error), out);
      }
    } else if (in_sasl) {
      s = on_sasl_line(r.line, out);
    } else {
      // STARTTLS must be the last command in its segment: anything after it was sent in plaintext and would be
      // executed after the handshake (CVE-2011-0411 class).
      const bool more_input = pos < input.size();
      auto parsed = proto::parse_command(r.line, advertised(), txn_ && txn_->params.smtputf8);
      if (parsed.ok() && std::holds_alternative<proto::starttls_command>(parsed.cmd)) {
        s = on_starttls(more_input, out);
      } else {
        s = on_command(parsed, out);
      }
    }
    if (s.next != step::kind::read) {
      s.consumed = pos;
      return s;
    }
  }
}

step session::on_command(const proto::command_result& parsed, std::string& out) {
  if (!parsed.ok()) {
    auto role = parsed.verb == proto::verb::mail   ? proto::address_role::sender
                : parsed.verb == proto::verb::rcpt ? proto::address_role::recipient
                                                   : proto::address_role::none;
    auto e = proto::reply_for(parsed.error, role);
    return refuse(e.code, e.enhanced, e.text, proto::describe(parsed.error), out);
  }
  return std::visit(
      [&](const auto& c) -> step {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, proto::ehlo_command>) {
          return on_ehlo(c, out);
        } else if constexpr (std::is_same_v<T, proto::mail_command>) {
          return on_mail(c, out);
        } else if constexpr (std::is_same_v<T, proto::rcpt_command>) {
          return on_rcpt(c, out);
        } else if constexpr (std::is_same_v<T, proto::data_command>) {
          return on_data(out);
        } else if constexpr (std::is_same_v<T, proto::bdat_command>) {
          return on_bdat(c, out);
        } else if constexpr (std::is_same_v<T, proto::rset_command>) {
          reset_transaction();
          reply(250, "2.0.0", "Ok", out);
          return {};
        } else if constexpr (std::is_same_v<T, proto::noop_command>) {
          reply(250, "2.0.0", "Ok", out);
          return {};
        } else if constexpr (std::is_same_v<T, proto::quit_command>) {
          reply(221, "2.0.0", "Bye", out);
          phase_ = closed_phase{};
          return {step::kind::close};
        } else if constexpr (std::is_same_v<T, proto::vrfy_command>) {
          // RFC 5321 §3.5.3: 252 neither confirms nor denies (the directory is not disclosed here).
          reply(252, "2.5.0", "Cannot VRFY user, but will accept message and attempt delivery", out);
          return {};
        } else if constexpr (std::is_same_v<T, proto::help_command>) {
          reply(214, "2.0.0", "See RFC 5321", out);
          return {};
        } else if constexpr (std::is_same_v<T, proto::auth_command>) {
          return on_auth(c, out);
        } else {
          return refuse(502, "5.5.1", "Command not implemented", "unexpected command", out);
        }
      },
      parsed.cmd);
}

step session::on_ehlo(const proto::ehlo_command& c, std::string& out) {
  // RFC 5321 §4.1.4: EHLO resets the transaction and the greeting state.
  reset_transaction();
  helo_ = c.domain;
  extended_ = c.extended;
  if (!c.extended) {
    reply(250, "", settings_.hostname, out);
    return {};
  }
  proto::ehlo_reply(settings_.hostname, advertised()).append_wire(out);
  return {};
}

step session::on_starttls(bool input_pending, std::string& out) {
  if (!settings_.tls_offered || settings_.kind == listener_kind::submissions) {
    return refuse(502, "5.5.1", "Command not implemented", "STARTTLS not offered", out);
  }
  if (tls_.active) return refuse(503, "5.5.1", "TLS already active", "STARTTLS under TLS", out);
  if (input_pending) {
    log_.warn("smtp.starttls.injection", {{"client", peer_.address}});
    reply(554, "5.5.1", "Error: pipelined input after STARTTLS", out);
    phase_ = closed_phase{};
    return {step::kind::close};
  }
  reply(220, "2.0.0", "Ready to start TLS", out);
  return {step::kind::start_tls};
}

void session::tls_started(tls_facts facts) {
  tls_ = std::move(facts);
  // RFC 3207 §4.2: forget everything learnt before TLS; the client must EHLO again.
  helo_.reset();
  extended_ = false;
  reset_transaction();
  lines_.reset();
  log_.info("smtp.tls", {{"version", tls_.version}, {"cipher", tls_.cipher}, {"peer_verified", tls_.peer_verified},
                         {"peer", tls_.peer_subject}});
}

step session::on_mail(const proto::mail_command& c, std::string& out) {
  if (!helo_) return refuse(503, "5.5.1", "Error: send HELO/EHLO first", "MAIL before EHLO", out);
  if (txn_) return refuse(503, "5.5.1", "Error: nested MAIL command", "nested MAIL", out);
  if (!tls_.active) {
    return refuse(530, "5.7.0", "Must issue a STARTTLS command first", "MAIL without TLS", out);
  }
  if (settings_.kind != listener_kind::mx && !auth_) {
    return refuse(530, "5.7.0", "Authentication required", "MAIL without AUTH", out);
  }
  if (c.params.size && *c.params.size > settings_.max_message_size) {
    return refuse(552, "5.3.4", "Message size exceeds fixed limit", "SIZE parameter over the limit", out);
  }
  if (c.params.body == proto::body_type::binary_mime) {
    return refuse(555, "5.5.4", "BINARYMIME not supported", "BODY=BINARYMIME", out);
  }
  verdict v = settings_.kind == listener_kind::mx ? policy_.mx_sender(tls_, c.reverse_path)
                                                  : policy_.submission_sender(*auth_, c.reverse_path);
  if (!v.accepted) return refuse(v.code, v.enhanced, v.client_text, v.log_reason, out);
  txn_.emplace();
  txn_->sender = c.reverse_path;
  txn_->params = c.params;
  log_.debug("smtp.mail", {{"from", c.reverse_path.normalised()}});
  reply(250, "2.1.0", "Ok", out);
  return {};
}

step session::on_rcpt(const proto::rcpt_command& c, std::string& out) {
  if (!txn_) return refuse(503, "5.5.1", "Error: need MAIL command", "RCPT without MAIL", out);
  if (txn_->recipients.size() >= settings_.max_recipients) {
    // RFC 5321 §4.5.3.1.10: 452 tells the client to send the rest in another transaction.
    return refuse(452, "4.5.3", "Error: too many recipients", "recipient limit", out);
  }
  routed_recipient route;
  verdict v = settings_.kind == listener_kind::mx
                  ? policy_.mx_recipient(c.forward_path, route)
                  : policy_.submission_recipient(*auth_, txn_->sender, c.forward_path, route);
  if (!v.accepted) return refuse(v.code, v.enhanced, v.client_text, v.log_reason, out);
  if (route.address.empty()) route.address = c.forward_path.normalised();
  bool duplicate = false;
  for (const auto& r : txn_->recipients) duplicate = duplicate || r.route.address == route.address;
  if (!duplicate) txn_->recipients.push_back({std::move(route), c.params});
  log_.debug("smtp.rcpt", {{"to", c.forward_path.normalised()}, {"duplicate", duplicate}});
  reply(250, "2.1.5", "Ok", out);
  return {};
}

step session::on_data(std::string& out) {
  if (!txn_) return refuse(503, "5.5.1", "Error: need MAIL command", "DATA without MAIL", out);
  if (txn_->recipients.empty()) return refuse(554, "5.5.1", "Error: no valid recipients", "DATA without RCPT", out);
  if (txn_->bdat) return refuse(503, "5.5.1", "Error: DATA after BDAT", "DATA after BDAT", out);
  proto::data_limits limits;
  limits.max_size = settings_.max_message_size;
  phase_ = data_phase{proto::data_reader(limits)};
  txn_->body.reserve(std::min<std::uint64_t>(txn_->params.size.value_or(64 * 1024), settings_.max_message_size));
  reply(354, "", "End data with <CR><LF>.<CR><LF>", out);
  return {};
}

step session::on_bdat(const proto::bdat_command& c, std::string&) {
  // RFC 3030 §2: the chunk's octets follow the command at once and must be read whatever the reply.
  auto refuse_chunk = [&](int code, std::string enhanced, std::string text) {
    bdat_phase p;
    p.discard = true;
    p.discard_reader = proto::bdat_reader(proto::data_limits{~0ull, ~std::size_t{0}, false}, true);
    p.discard_reader.start_chunk(c.size, c.last);
    p.refusal_code = code;
    p.refusal_enhanced = std::move(enhanced);
    p.refusal_text = std::move(text);
    phase_ = std::move(p);
    return step{};
  };
  if (!txn_) return refuse_chunk(503, "5.5.1", "Error: need MAIL command");
  if (txn_->recipients.empty()) return refuse_chunk(554, "5.5.1", "Error: no valid recipients");
  if (!txn_->bdat) {
    proto::data_limits limits;
    limits.max_size = settings_.max_message_size;
    txn_->bdat.emplace(limits, false);
  }
  txn_->bdat->start_chunk(c.size, c.last);
  phase_ = bdat_phase{proto::bdat_reader(), false, 0, {}, {}};
  return {};
}

step session::finish_message(proto::errc verdict_code, std::string& out) {
  phase_ = command_phase{};
  if (verdict_code != proto::errc::ok) {
    auto e = proto::reply_for(verdict_code);
    reset_transaction();
    return refuse(e.code, e.enhanced, e.text, proto::describe(verdict_code), out);
  }
  pending_ = std::make_shared<pending_message>();
  pending_->id = new_message_id();
  pending_->content = received_header(pending_->id);  // reads the transaction: before it is moved out
  pending_->content += txn_->body;
  pending_->sender = txn_->sender.is_null ? std::string() : txn_->sender.normalised();
  pending_->params = txn_->params;
  pending_->recipients = std::move(txn_->recipients);
  pending_->submitted_by = auth_;
  const bool submission = settings_.kind != listener_kind::mx;
  reset_transaction();
  verdict v = submission ? policy_.submission_message(*pending_) : policy_.mx_message(*pending_);
  if (!v.accepted) {
    pending_.reset();
    return refuse(v.code, v.enhanced, v.client_text, v.log_reason, out);
  }
  return {step::kind::commit};
}

void session::committed(std::error_code ec, std::string& out) {
  if (ec) {
    log_.error("smtp.commit.failed", {{"id", pending_->id}, {"reason", ec.message()}});
    reply(451, "4.3.0", "Error: queue file write error", out);
  } else {
    ++messages_accepted_;
    std::size_t local = 0;
    for (const auto& r : pending_->recipients) local += r.route.where == destination::local;
    log_.with_queue(pending_->id)
        .info("smtp.accepted", {{"from", pending_->sender}, {"recipients", pending_->recipients.size()},
                                {"local", local}, {"size", pending_->content.size()}, {"client", peer_.address}});
    reply(250, "2.0.0", "Ok: queued as " + pending_->id, out);
  }
  pending_.reset();
}

step session::on_auth(const proto::auth_command& c, std::string& out) {
  if (settings_.kind == listener_kind::mx) return refuse(502, "5.5.1", "Command not implemented", "AUTH on MX", out);
  if (!tls_.active) return refuse(538, "5.7.11", "Encryption required for requested authentication mechanism",
                                  "AUTH without TLS", out);
  if (auth_) return refuse(503, "5.5.1", "Error: already authenticated", "second AUTH", out);
  if (txn_) return refuse(503, "5.5.1", "Error: AUTH not allowed during a mail transaction", "AUTH in MAIL", out);
  auto exchange = policy_.start_sasl(c.mechanism, tls_, peer_.address);
  if (!exchange) return refuse(504, "5.5.4", "Unrecognized authentication type", "unknown SASL mechanism", out);
  sasl_step first = exchange->step(c.initial_response);
  phase_ = sasl_phase{std::move(exchange), c.mechanism};
  return sasl_result(std::move(first), out);
}

step session::on_sasl_line(std::string_view line, std::string& out) {
  auto response = proto::parse_auth_response(line);
  auto& sp = std::get<sasl_phase>(phase_);
  if (response.error == proto::errc::auth_cancelled) {
    phase_ = command_phase{};
    lines_.set_max_line(proto::extended_max_line);
    return refuse(501, "5.7.0", "Authentication cancelled", "AUTH cancelled by client", out);
  }
  if (response.error != proto::errc::ok) {
    phase_ = command_phase{};
    lines_.set_max_line(proto::extended_max_line);
    return refuse(501, "5.5.2", "Invalid base64 data", "AUTH response not base64", out);
  }
  return sasl_result(sp.exchange->step(response.data), out);
}

step session::sasl_result(sasl_step s, std::string& out) {
  const std::string mechanism = std::get<sasl_phase>(phase_).mechanism;
  switch (s.what) {
    case sasl_step::kind::challenge:
      lines_.set_max_line(proto::auth_max_line);
      out += "334 " + proto::base64_encode(s.challenge) + "\r\n";
      return {};
    case sasl_step::kind::success:
      phase_ = command_phase{};
      lines_.set_max_line(proto::extended_max_line);
      auth_ = std::move(s.who);
      policy_.auth_succeeded(*auth_);
      log::audit("smtp.login", {{"session", peer_.session_id}, {"identity", auth_->who.describe()},
                                {"authzid", auth_->authzid}, {"client", peer_.address}, {"result", "ok"}});
      log_.info("smtp.auth.ok", {{"identity", auth_->who.describe()}, {"authzid", auth_->authzid}});
      reply(235, "2.7.0", "Authentication successful", out);
      return {};
    case sasl_step::kind::failure:
      break;
  }
  phase_ = command_phase{};
  lines_.set_max_line(proto::extended_max_line);
  ++auth_failures_;
  log::audit("smtp.login", {{"session", peer_.session_id}, {"mechanism", mechanism}, {"client", peer_.address},
                            {"result", "failed"}, {"reason", s.log_reason}});
  log_.info("smtp.auth.failed", {{"mechanism", mechanism}, {"reason", s.log_reason}, {"client", peer_.address}});
  auto delay = policy_.auth_failed(peer_.address, s.throttle_identity);
  delayed_reply_ = proto::format_reply(s.reply_code, s.reply_enhanced, s.reply_text);
  ++errors_;
  close_after_delay_ = auth_failures_ >= settings_.max_auth_failures || errors_ >= settings_.max_errors;
  if (close_after_delay_) delayed_reply_ += proto::format_reply(421, "4.7.0", settings_.hostname + " Error: too many errors");
  if (delay.count() > 0) return {step::kind::delay, 0, delay};
  resume(out);
  return {close_after_delay_ ? step::kind::close : step::kind::read};
}

void session::resume(std::string& out) {
  out += delayed_reply_;
  delayed_reply_.clear();
  if (close_after_delay_) phase_ = closed_phase{};
}

std::string session::received_header(const std::string& id) const {
  // RFC 5321 §4.4 trace information; RFC 3848 protocol types (ESMTPS/ESMTPSA); TLS facts and the peer's
  // certificate subject in comments, as the issue asks (the operator DN is what the trust space checked).
  std::string protocol = extended_ ? "ESMTP" : "SMTP";
  if (tls_.active) protocol += "S";
  if (auth_) protocol += "A";
  std::string h = "Received: from " + comment_text(helo_.value_or("unknown")) + " ([" + peer_.address + "])\r\n";
  h += "\tby " + settings_.hostname + " (mssgw) with " + protocol;
  if (tls_.active) h += " (" + tls_.version + " cipher " + tls_.cipher + ")";
  h += "\r\n";
  if (tls_.active && !tls_.peer_subject.empty()) {
    h += "\t(client certificate \"" + comment_text(tls_.peer_subject) + "\" " +
         (tls_.peer_verified ? "verified" : "not verified") + ")\r\n";
  }
  h += "\tid " + id;
  if (txn_ && txn_->recipients.size() == 1) h += "\r\n\tfor <" + txn_->recipients.front().route.address + ">";
  h += ";\r\n\t" + rfc5322_date(settings_.now()) + "\r\n";
  return h;
}

}  // namespace mssgw::smtp::server
