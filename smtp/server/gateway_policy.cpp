#include "smtp/server/gateway_policy.hpp"

#include "auth/rights.hpp"
#include "common/metrics.hpp"
#include "routing/classify.hpp"
#include "smtp/server/session.hpp"
#include "storage/account_store.hpp"
#include "storage/mailbox_store.hpp"
#include "storage/kv.hpp"
#include "trustspace/dn.hpp"
#include "trustspace/verdict.hpp"
#include "trustspace/whitelist.hpp"

namespace mssgw::smtp::server {
namespace {

verdict from_trustspace(const trustspace::verdict& v) {
  if (v.accept) return verdict::accept();
  return verdict::refuse(v.code, std::string(v.enhanced), std::string(v.client_text), v.log_reason);
}

metrics::counter& refused(std::string_view reason) {
  return metrics::get_counter("mssgw_smtp_refused_total", "SMTP commands refused, by reason",
                              "reason=\"" + std::string(reason) + "\"");
}

// Adapts an auth::sasl::mechanism to the session's exchange interface.
class mechanism_exchange : public sasl_exchange {
 public:
  explicit mechanism_exchange(std::unique_ptr<auth::sasl::mechanism> m) : m_(std::move(m)) {}

  sasl_step step(const std::optional<std::string>& response) override {
    const auto now = std::chrono::system_clock::now();
    auth::sasl::outcome o;
    if (!started_) {
      started_ = true;
      o = m_->start(response ? std::optional<std::string_view>(*response) : std::nullopt, now);
    } else {
      o = m_->step(response.value_or(""), now);
    }
    sasl_step s;
    switch (o.state) {
      case auth::sasl::status::challenge:
        s.what = sasl_step::kind::challenge;
        s.challenge = std::move(o.challenge);
        return s;
      case auth::sasl::status::success:
        s.what = sasl_step::kind::success;
        s.who = {*o.who, o.bal.empty() ? o.authzid : o.bal};
        return s;
      case auth::sasl::status::failure:
        break;
    }
    s.what = sasl_step::kind::failure;
    auto r = auth::sasl::smtp_reply(o.kind);
    s.reply_code = r.code;
    s.reply_enhanced = std::string(r.enhanced);
    s.reply_text = std::string(r.text);
    s.log_reason = std::move(o.log_reason);
    s.throttle_identity = std::move(o.throttle_identity);
    return s;
  }

 private:
  std::unique_ptr<auth::sasl::mechanism> m_;
  bool started_ = false;
};

// Answers every step with "try later": the client's address is blocked by the limiter.
class blocked_exchange : public sasl_exchange {
 public:
  sasl_step step(const std::optional<std::string>&) override {
    sasl_step s;
    auto r = auth::sasl::smtp_reply(auth::sasl::failure_class::temporary);
    s.reply_code = r.code;
    s.reply_enhanced = std::string(r.enhanced);
    s.reply_text = std::string(r.text);
    s.log_reason = "client address blocked by the failure limiter";
    return s;
  }
};

}  // namespace

gateway_policy::gateway_policy(storage::kv_store& store, const trustspace::whitelist& whitelist,
                               sasl_context_factory sasl_for, auth::failure_limiter& limiter,
                               gateway_settings settings)
    : store_(store), whitelist_(whitelist), sasl_for_(std::move(sasl_for)), limiter_(limiter), settings_(std::move(settings)) {
  for (auto& d : settings_.local_domains) d = routing::lowercase(d);
}

verdict gateway_policy::mx_sender(const tls_facts& tls, const proto::path& sender) {
  auto snapshot = whitelist_.current();
  if (!snapshot) {
    refused("no_whitelist").inc();
    return verdict::refuse(451, "4.7.1", "Trust space unavailable, try again later", "no whitelist loaded");
  }
  const std::string domain = sender.is_null ? std::string() : routing::lowercase(sender.domain);
  std::optional<trustspace::dn> peer;
  if (tls.peer_verified && !tls.peer_subject.empty()) {
    auto parsed = trustspace::dn::parse(tls.peer_subject);
    if (parsed.value) peer = std::move(*parsed.value);
  }
  auto v = trustspace::inbound(peer ? &*peer : nullptr, domain, *snapshot);
  if (!v.accept) {
    refused(v.reason).inc();
    return from_trustspace(v);
  }
  return verdict::accept();
}

verdict gateway_policy::mx_recipient(const proto::path& recipient, routed_recipient& out) {
  auto txn = store_.begin_read();
  if (hosts_citizens() && is_citizen(recipient.normalised())) {
    return citizen_recipient(*txn, routing::lowercase(recipient.normalised()), out);
  }
  auto snapshot = whitelist_.current();
  routing::facts f{settings_.local_domains, *txn, snapshot.get(), settings_.citizen.domain};
  auto r = routing::classify(recipient.normalised(), f);
  switch (r.kind) {
    case routing::route_kind::local:
      out = {r.address, destination::local, r.inbox};
      return verdict::accept();
    case routing::route_kind::unknown_local:
      refused("unknown_recipient").inc();
      return verdict::refuse(550, "5.1.1", "Mailbox unavailable", "no BAL " + r.address);
    default:
      refused("relay_denied").inc();
      return verdict::refuse(550, "5.7.1", "Relay access denied",
                             "recipient " + r.address + " is not hosted here (" + std::string(routing::name(r.kind)) + ")");
  }
}

auth::sasl::context gateway_policy::context_for(const tls_facts& tls) const {
  std::optional<auth::certificate_facts> certificate;
  if (tls.peer_verified && !tls.peer_subject.empty()) {
    certificate = auth::certificate_facts{tls.peer_subject, tls.peer_idnat, true};
  }
  return sasl_for_(std::move(certificate));
}

std::vector<std::string> gateway_policy::sasl_mechanisms(const tls_facts& tls) {
  std::vector<std::string> out;
  for (auto m : auth::sasl::offered(context_for(tls), tls.active)) out.emplace_back(m);
  return out;
}

std::unique_ptr<sasl_exchange> gateway_policy::start_sasl(std::string_view mechanism, const tls_facts& tls,
                                                          std::string_view client_address) {
  auto m = auth::sasl::make_mechanism(mechanism, context_for(tls));
  if (!m) return nullptr;
  if (limiter_.check(client_address, "", std::chrono::system_clock::now()).blocked) {
    return std::make_unique<blocked_exchange>();
  }
  return std::make_unique<mechanism_exchange>(std::move(m));
}

std::chrono::milliseconds gateway_policy::auth_failed(std::string_view client_address, std::string_view identity) {
  metrics::get_counter("mssgw_auth_failures_total", "failed authentications", "protocol=\"smtp\"").inc();
  return limiter_.record_failure(client_address, identity, std::chrono::system_clock::now()).delay;
}

void gateway_policy::auth_succeeded(const authenticated& who) { limiter_.record_success(who.who.id); }

verdict gateway_policy::submission_sender(const authenticated& who, const proto::path& sender) {
  if (sender.is_null) {
    refused("null_sender_submission").inc();
    return verdict::refuse(553, "5.7.1", "Sender address rejected: not owned by you", "null sender on submission");
  }
  auto txn = store_.begin_read();
  const std::string address = routing::lowercase(sender.normalised());
  if (!auth::may_send_as(*txn, who.who, address)) {
    refused("sender_not_owned").inc();
    return verdict::refuse(553, "5.7.1", "Sender address rejected: not owned by you",
                           who.who.describe() + " may not send as " + address);
  }
  return verdict::accept();
}

verdict gateway_policy::submission_recipient(const authenticated&, const proto::path& sender,
                                             const proto::path& recipient, routed_recipient& out) {
  auto txn = store_.begin_read();
  const std::string to = routing::lowercase(recipient.normalised());
  if (hosts_citizens() && !sender.is_null && is_citizen(sender.normalised())) {
    // A patient writes (submission_sender already checked that the identity owns this citizen address).
    const std::string from = routing::lowercase(sender.normalised());
    if (auto v = patient_recipient(*txn, from.substr(0, from.find('@')), to); !v.accepted) return v;
  } else if (is_citizen(to)) {
    return citizen_recipient(*txn, to, out);
  }
  auto snapshot = whitelist_.current();
  routing::facts f{settings_.local_domains, *txn, snapshot.get(), settings_.citizen.domain};
  auto r = routing::classify(recipient.normalised(), f);
  switch (r.kind) {
    case routing::route_kind::local:
      out = {r.address, destination::local, r.inbox};
      return verdict::accept();
    case routing::route_kind::unknown_local:
      refused("unknown_recipient").inc();
      return verdict::refuse(550, "5.1.1", "Mailbox unavailable", "no BAL " + r.address);
    case routing::route_kind::remote:
    case routing::route_kind::citizen:
      out = {r.address, destination::remote, 0};
      return verdict::accept();
    case routing::route_kind::outside_trust_space:
      break;
  }
  refused("outside_trust_space").inc();
  return verdict::refuse(550, "5.7.1", "Recipient address rejected: not in the MSSanté trust space",
                         "domain " + r.domain + " is not on the whitelist");
}

// ---- citizen messaging (issue 7; mssante/README §5, decision 5) ----

bool gateway_policy::is_citizen(std::string_view address) const {
  return !settings_.citizen.domain.empty() && routing::lowercase(routing::domain_of(address)) == settings_.citizen.domain;
}

verdict gateway_policy::citizen_recipient(const storage::read_txn& txn, const std::string& address,
                                          routed_recipient& out) {
  const std::string local = address.substr(0, address.find('@'));
  if (auto problem = routing::citizen::check_ins(local); problem != routing::citizen::ins_problem::none) {
    refused("invalid_ins").inc();
    return verdict::refuse(550, "5.1.3", "Bad recipient address syntax: " +
                                             std::string(routing::citizen::describe(problem)),
                           "citizen address " + address + ": " + std::string(routing::citizen::describe(problem)));
  }
  const std::string patient = routing::citizen::normalise_ins(local) + "@" + settings_.citizen.domain;
  if (!hosts_citizens()) {
    auto snapshot = whitelist_.current();
    if (!snapshot || !snapshot->listed(settings_.citizen.domain)) {
      refused("outside_trust_space").inc();
      return verdict::refuse(550, "5.7.1", "Recipient address rejected: not in the MSSanté trust space",
                             "citizen domain " + settings_.citizen.domain + " is not on the whitelist");
    }
    out = {patient, destination::remote, 0};
    return verdict::accept();
  }
  out = {patient, destination::local, 0};
  // Mailbox addresses are stored lowercased; Corsica's INS letters are capitals in the canonical form.
  const std::string key = routing::lowercase(patient);
  out.address = key;
  if (storage::accounts::get(txn, key)) {
    auto inbox = storage::mailboxes::get(txn, key, "INBOX");
    if (inbox) {
      out.inbox = inbox->id;
      return verdict::accept();
    }
  }
  out.create_patient_mailbox = true;  // a patient's mailbox exists from the first message to it
  return verdict::accept();
}

verdict gateway_policy::patient_recipient(const storage::read_txn& txn, const std::string& ins,
                                          const std::string& address) {
  if (is_citizen(address)) {
    refused("patient_to_patient").inc();
    return verdict::refuse(550, "5.7.1", "Recipient address rejected: patients write to health professionals only",
                           "patient " + ins + " to citizen address " + address);
  }
  const auto& pharmacies = settings_.citizen.pharmacies;
  if (std::find(pharmacies.begin(), pharmacies.end(), address) != pharmacies.end()) return verdict::accept();
  auto c = routing::citizen::conversations::get(txn, routing::lowercase(ins), address);
  if (c && c->open) return verdict::accept();
  refused(c ? "conversation_closed" : "no_conversation").inc();
  log::audit("citizen.reply.refused", {{"patient", ins}, {"to", address}, {"reason", c ? "closed" : "never opened"}});
  if (c) {
    return verdict::refuse(550, "5.7.1",
                           "The health professional closed this conversation: you can no longer reply to it",
                           "patient " + ins + " to " + address + ": conversation closed");
  }
  return verdict::refuse(550, "5.7.1",
                         "This health professional has not written to you: you can only reply to a professional's message",
                         "patient " + ins + " to " + address + ": no conversation");
}

verdict gateway_policy::citizen_message(pending_message& message) {
  std::vector<std::string> patients;  // lowercased citizen addresses among the recipients
  for (const auto& r : message.recipients) {
    if (is_citizen(r.route.address)) patients.push_back(r.route.address);
  }
  if (patients.empty()) return verdict::accept();
  if (message.content.size() > settings_.citizen.max_message_size) {
    refused("citizen_size").inc();
    return verdict::refuse(552, "5.3.4", "Message too big for Mon Espace Santé (25 MB at most)",
                           "message of " + std::to_string(message.content.size()) + " bytes to a patient");
  }
  if (!hosts_citizens()) {
    if (auto rewritten = routing::citizen::with_closing_header(message.content)) message.content = std::move(*rewritten);
    return verdict::accept();
  }
  // Host role: the patients' copies. A message from a patient to a patient never gets here (refused at RCPT).
  const auto headers = routing::citizen::read_headers(message.content);
  const bool closing = routing::citizen::closes(headers);
  const std::string bal = message.sender;
  std::optional<std::string> reply_to;
  if (headers.reply_to && routing::domain_of(*headers.reply_to).size() > 0) {
    const std::string domain = routing::lowercase(routing::domain_of(*headers.reply_to));
    auto snapshot = whitelist_.current();
    const bool mssante = std::find(settings_.local_domains.begin(), settings_.local_domains.end(), domain) !=
                             settings_.local_domains.end() ||
                         (snapshot && snapshot->listed(domain));
    if (mssante && domain != settings_.citizen.domain) reply_to = headers.reply_to;
  }
  if (closing) {  // not delivered to the patient (mssante/README §5)
    std::erase_if(message.recipients, [&](const pending_message::recipient& r) { return is_citizen(r.route.address); });
  }
  std::vector<std::string> inses;
  for (const auto& p : patients) inses.push_back(p.substr(0, p.find('@')));
  message.also = [inses, bal, reply_to, closing](storage::write_txn& txn, std::int64_t now_ms) -> std::error_code {
    for (const auto& ins : inses) {
      if (closing) {
        auto n = routing::citizen::conversations::closed(txn, ins, bal, now_ms);
        log::audit("citizen.conversation.closed", {{"patient", ins}, {"bal", bal}, {"were_open", n}});
      } else {
        routing::citizen::conversations::opened(txn, ins, bal, reply_to, now_ms);
        log::audit("citizen.conversation.opened", {{"patient", ins}, {"bal", bal}, {"reply_to", reply_to.value_or("")}});
      }
    }
    return {};
  };
  return verdict::accept();
}

verdict gateway_policy::mx_message(pending_message& message) { return citizen_message(message); }
verdict gateway_policy::submission_message(pending_message& message) { return citizen_message(message); }

}  // namespace mssgw::smtp::server
