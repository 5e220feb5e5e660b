// Trust-space verdicts (mssante/README §7, decisions 1 and 3): pure functions from facts to a verdict
// {accept, SMTP code, enhanced code, client text, log reason} (STYLE.md habit 5). No I/O, no locks; an accepted
// verdict allocates nothing. The caller takes the snapshot once (whitelist::current()) and keeps it for the command.
//
// Tell the client little, the log everything (STYLE.md habit 9): client texts are short and generic; log reasons
// name the domain and the DNs; `reason` is a stable label for metrics.
#pragma once
#include <string>
#include <string_view>

#include "trustspace/dn.hpp"
#include "trustspace/whitelist.hpp"

namespace mssgw::trustspace {

struct verdict {
  bool accept = true;
  int code = 250;
  std::string_view enhanced;     // RFC 3463 status: "2.1.0", "5.7.1", "4.7.1"
  std::string_view client_text;  // what the peer sees after the codes
  std::string_view reason;       // metrics label: "ok", "no_certificate", "sender_domain_not_listed", ...
  std::string log_reason;        // precise, for the log (empty when accepted)
};

// Inbound, at MAIL FROM on port 25 (decision 1). `peer` is the verified client certificate's subject DN
// (dn::from_name_rdns(peer_identity.subject_rdns), computed once per connection), or null when the peer presented
// none. Verification itself (chain, validity, CRL) is the TLS layer's: a `request`/`require` context of
// common/tls.hpp refuses the handshake of a certificate that does not verify, so never pass an unverified DN. `sender_domain` is the envelope sender's domain; empty for the null reverse-path
// `<>` (a bounce), which is accepted from any DN listed in the whitelist.
// Refusals are 550 5.7.1: no certificate; sender domain not whitelisted; DN not listed for that domain (or, for <>,
// for any domain).
verdict inbound(const dn* peer, std::string_view sender_domain, const snapshot& list);

// Submission, at RCPT TO (decision 3): the recipient's domain must be whitelisted, else 550 5.7.1 "not in the
// MSSanté trust space".
verdict outbound(std::string_view recipient_domain, const snapshot& list);

// Delivery, after the TLS handshake with the remote server (decision 3): its certificate (already verified against
// the trust anchors by the TLS layer) must carry a DN listed for the recipient's domain. Failures are temporary
// (451): the message stays queued and bounces when its lifetime ends. `server` is null when no certificate was seen.
verdict outbound_server(const dn* server, std::string_view recipient_domain, const snapshot& list);

}  // namespace mssgw::trustspace
