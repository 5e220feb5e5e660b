#include "trustspace/verdict.hpp"

namespace mssgw::trustspace {
namespace {

// The DNs listed for a domain, for a log line ("a | b"); bounded so that a domain with many DNs stays readable.
std::string listed_dns(const snapshot& list, const snapshot::domain_record& rec) {
  std::string out;
  std::size_t shown = 0;
  for (std::uint32_t i : rec.dns) {
    if (shown == 4) {
      out += " | ... (" + std::to_string(rec.dns.size()) + " in all)";
      break;
    }
    if (shown++) out += " | ";
    out += list.dns()[i].to_string();
  }
  return out;
}

verdict refuse(int code, std::string_view enhanced, std::string_view text, std::string_view reason, std::string log) {
  return verdict{false, code, enhanced, text, reason, std::move(log)};
}

}  // namespace

verdict inbound(const dn* peer, std::string_view sender_domain, const snapshot& list) {
  if (!peer || peer->empty()) {
    return refuse(550, "5.7.1", "A client certificate of the MSSante trust space is required", "no_certificate",
                  "the peer presented no client certificate");
  }
  if (sender_domain.empty()) {
    // Decision 1: a bounce (null reverse-path) has no domain to check; any listed operator may send one.
    if (list.dn_listed_anywhere(peer->key())) return verdict{true, 250, "2.1.0", "Sender OK", "ok", {}};
    return refuse(550, "5.7.1", "Sender not authorized", "dn_not_listed",
                  "null sender from certificate DN \"" + peer->to_string() + "\", which the whitelist lists for no domain");
  }
  const snapshot::domain_record* rec = list.find(sender_domain);
  if (!rec) {
    return refuse(550, "5.7.1", "Sender domain not in the MSSante trust space", "sender_domain_not_listed",
                  "sender domain \"" + std::string(sender_domain) + "\" is not in the whitelist");
  }
  for (std::uint32_t i : rec->dns) {
    if (list.dns()[i].same_as(*peer)) return verdict{true, 250, "2.1.0", "Sender OK", "ok", {}};
  }
  return refuse(550, "5.7.1", "Certificate not authorized for this sender domain", "dn_not_listed",
                "certificate DN \"" + peer->to_string() + "\" is not listed for sender domain \"" +
                    std::string(sender_domain) + "\" (listed: " + listed_dns(list, *rec) + ")");
}

verdict outbound(std::string_view recipient_domain, const snapshot& list) {
  if (list.listed(recipient_domain)) return verdict{true, 250, "2.1.5", "Recipient OK", "ok", {}};
  return refuse(550, "5.7.1", "Recipient not in the MSSante trust space", "recipient_domain_not_listed",
                "recipient domain \"" + std::string(recipient_domain) + "\" is not in the whitelist");
}

verdict outbound_server(const dn* server, std::string_view recipient_domain, const snapshot& list) {
  if (!server || server->empty()) {
    return refuse(451, "4.7.5", "Remote server presented no certificate", "server_no_certificate",
                  "the server for \"" + std::string(recipient_domain) + "\" presented no certificate");
  }
  const snapshot::domain_record* rec = list.find(recipient_domain);
  if (!rec) {
    return refuse(451, "4.7.1", "Recipient domain no longer in the MSSante trust space", "recipient_domain_not_listed",
                  "recipient domain \"" + std::string(recipient_domain) +
                      "\" is not in the whitelist (removed since submission?)");
  }
  for (std::uint32_t i : rec->dns) {
    if (list.dns()[i].same_as(*server)) return verdict{true, 250, "2.0.0", "Server authorized", "ok", {}};
  }
  return refuse(451, "4.7.1", "Remote server certificate not authorized for the recipient domain", "server_dn_not_listed",
                "server certificate DN \"" + server->to_string() + "\" is not listed for \"" +
                    std::string(recipient_domain) + "\" (listed: " + listed_dns(list, *rec) + ")");
}

}  // namespace mssgw::trustspace
