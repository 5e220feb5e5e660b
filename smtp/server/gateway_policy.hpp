// The production SMTP policy: the trust space (whitelist snapshot, DN matching) decides MX senders, routing decides
// recipients, auth decides SASL, rights and throttling. Every lookup is a short LMDB read transaction or a lock-free
// snapshot read, so it runs inline on the I/O threads.
//
// Thread-safe: shared by every session; the referenced objects must outlive it.
#pragma once
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "auth/limiter.hpp"
#include "auth/sasl.hpp"
#include "routing/citizen.hpp"
#include "smtp/server/policy.hpp"

namespace mssgw::storage {
class kv_store;
class read_txn;
}
namespace mssgw::trustspace {
class whitelist;
}

namespace mssgw::smtp::server {

struct gateway_settings {
  std::vector<std::string> local_domains;  // lowercased
  routing::citizen::config citizen;        // [citizen]: the domain ("" = none), relay or host, pharmacies
};

class gateway_policy : public policy {
 public:
  // Makes the SASL context of one session from its client certificate facts (EXTERNAL): the running auth state
  // (token verifier, users, PLAIN switch) and the authorizer. Called per session, so a SIGHUP reload applies to
  // the next session (auth::service::context_for).
  using sasl_context_factory = std::function<auth::sasl::context(std::optional<auth::certificate_facts>)>;

  gateway_policy(storage::kv_store& store, const trustspace::whitelist& whitelist, sasl_context_factory sasl_for,
                 auth::failure_limiter& limiter, gateway_settings settings);

  verdict mx_sender(const tls_facts& tls, const proto::path& sender) override;
  verdict mx_recipient(const proto::path& recipient, routed_recipient& out) override;
  std::vector<std::string> sasl_mechanisms(const tls_facts& tls) override;
  std::unique_ptr<sasl_exchange> start_sasl(std::string_view mechanism, const tls_facts& tls,
                                            std::string_view client_address) override;
  std::chrono::milliseconds auth_failed(std::string_view client_address, std::string_view identity) override;
  void auth_succeeded(const authenticated& who) override;
  verdict submission_sender(const authenticated& who, const proto::path& sender) override;
  verdict submission_recipient(const authenticated& who, const proto::path& sender, const proto::path& recipient,
                               routed_recipient& out) override;
  verdict mx_message(pending_message& message) override;
  verdict submission_message(pending_message& message) override;

 private:
  bool is_citizen(std::string_view address) const;
  bool hosts_citizens() const { return settings_.citizen.mode == routing::citizen::role::host && !settings_.citizen.domain.empty(); }
  // A recipient at the citizen domain: the INS checked (550 5.1.3), then local (host role; the mailbox may be
  // created by the commit) or remote (relay role).
  verdict citizen_recipient(const storage::read_txn& txn, const std::string& address, routed_recipient& out);
  // A patient writing (host role): only within an open conversation, or to a pharmacy.
  verdict patient_recipient(const storage::read_txn& txn, const std::string& ins, const std::string& address);
  // The citizen rules on a whole message: the 25 MB limit, and [FIN] (relay: header added; host: not delivered
  // to the patient, conversation closed; otherwise opened).
  verdict citizen_message(pending_message& message);
  auth::sasl::context context_for(const tls_facts& tls) const;

  storage::kv_store& store_;
  const trustspace::whitelist& whitelist_;
  sasl_context_factory sasl_for_;
  auth::failure_limiter& limiter_;
  gateway_settings settings_;
};

}  // namespace mssgw::smtp::server
