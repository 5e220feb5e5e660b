// What an SMTP session asks before it acts (STYLE.md habit 5: check, then proceed). Every decision is a verdict:
// accept, or a reply code with an enhanced code and a short client text, plus a precise reason for the log. The
// session never sees the whitelist, the directory or the store: the policy does, so dialog tests can drive a
// session with real policies over an in-memory store.
//
// Implementations must be thread-safe (sessions run on several threads) and must not block on I/O for long:
// lookups are LMDB reads and snapshot reads, which take microseconds.
#pragma once
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/identity.hpp"
#include "smtp/proto/address.hpp"

namespace mssgw::smtp::server {

struct verdict {
  bool accepted = true;
  int code = 250;
  std::string enhanced = "2.0.0";
  std::string client_text = "Ok";
  std::string log_reason;

  static verdict accept() { return {}; }
  static verdict refuse(int code, std::string enhanced, std::string client_text, std::string log_reason) {
    return {false, code, std::move(enhanced), std::move(client_text), std::move(log_reason)};
  }
};

// The TLS facts of a session, filled by the driver after the handshake.
struct tls_facts {
  bool active = false;
  std::string version;   // "TLSv1.3"
  std::string cipher;    // "TLS_AES_256_GCM_SHA384"
  bool peer_verified = false;     // a client certificate was presented and chains to the anchors (CRL checked)
  std::string peer_subject;       // RFC 4514 string of the client certificate's subject, or empty
  std::optional<std::string> peer_idnat;  // national id of a CPS-like personal certificate
};

// Who authenticated on submission.
struct authenticated {
  auth::identity who;   // a professional (idNat), an organisation (certificate DN), a patient (INS), a local user
  std::string authzid;  // the mailbox the client asked to act as, if any (already authorized)
};

// Where one accepted recipient goes.
enum class destination { local, remote };
struct routed_recipient {
  std::string address;  // normalised
  destination where = destination::local;
  std::uint64_t inbox = 0;  // local: the INBOX mailbox id
  // Local, citizen domain hosted here: the patient's mailbox is created by the commit if it does not exist yet
  // (then `inbox` is 0). Its owner is the INS (the local part).
  bool create_patient_mailbox = false;
};

struct pending_message;

// One step of a SASL exchange (RFC 4954 §4).
struct sasl_step {
  enum class kind { challenge, success, failure } what = kind::failure;
  std::string challenge;          // kind::challenge: raw bytes (the session base64-encodes them)
  authenticated who;              // kind::success
  // kind::failure: the reply (RFC 4954 §6: 535 5.7.8 credentials, 454 4.7.0 temporary, 501 cancelled...), the
  // log's reason, and the identity to count the failure against (may be empty: then only the address counts).
  int reply_code = 535;
  std::string reply_enhanced = "5.7.8";
  std::string reply_text = "Authentication credentials invalid";
  std::string log_reason;
  std::string throttle_identity;
};

class sasl_exchange {
 public:
  virtual ~sasl_exchange() = default;
  // `response` is decoded; nullopt when the AUTH command carried no initial response.
  virtual sasl_step step(const std::optional<std::string>& response) = 0;
};

class policy {
 public:
  virtual ~policy() = default;

  // MX (other operators): MAIL FROM after STARTTLS. Applies the trust-space inbound verdict (issue 3).
  virtual verdict mx_sender(const tls_facts& tls, const proto::path& sender) = 0;
  // MX: RCPT TO must be a local BAL that exists.
  virtual verdict mx_recipient(const proto::path& recipient, routed_recipient& out) = 0;

  // Submission: the SASL mechanisms offered, in order.
  virtual std::vector<std::string> sasl_mechanisms(const tls_facts& tls) = 0;
  // Starts an exchange; nullptr if the mechanism is not offered.
  virtual std::unique_ptr<sasl_exchange> start_sasl(std::string_view mechanism, const tls_facts& tls,
                                                    std::string_view client_address) = 0;
  // Counts a failed authentication; returns how long to wait before answering it (throttling).
  virtual std::chrono::milliseconds auth_failed(std::string_view client_address, std::string_view identity) = 0;
  // Forgets the identity's failures after a success.
  virtual void auth_succeeded(const authenticated& who) = 0;
  // Submission: MAIL FROM must be a BAL the identity may send as.
  virtual verdict submission_sender(const authenticated& who, const proto::path& sender) = 0;
  // Submission: RCPT TO is local, a whitelisted remote domain, or refused (outside the trust space).
  virtual verdict submission_recipient(const authenticated& who, const proto::path& sender,
                                       const proto::path& recipient, routed_recipient& out) = 0;

  // After the data, before the commit (both listeners): the policy may refuse the message as a whole, rewrite its
  // content (a header added), drop recipients (a closing message is not delivered to the patient), and attach state
  // changes committed in the same write unit (pending_message::also). Default: accept unchanged.
  virtual verdict mx_message(pending_message&) { return verdict::accept(); }
  virtual verdict submission_message(pending_message&) { return verdict::accept(); }
};

}  // namespace mssgw::smtp::server
