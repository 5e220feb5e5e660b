// Recipient classification (DESIGN.md §2 routing/; mssante/README §7 decisions 1, 3 and 5): a pure function from
// an address and the facts it depends on to where the message goes, or why it may not.
//
// Order of the rules:
// 1. A domain this operator hosts ([server] local_domains): the BAL must exist (local), else unknown_local (550 5.1.1).
// 2. The citizen domain (e.g. patient.mssante.fr), when configured: `citizen` (issue 7 adds the INS checks and the
//    conversation rules; until then it goes where its whitelisting says).
// 3. A domain on the ANS whitelist: remote (delivered by the queue over mutual TLS).
// 4. Anything else: outside the trust space (550 5.7.1): MSSanté addresses write only to MSSanté addresses.
// Domains compare case-insensitively. Thread-safe; no I/O beyond the read transaction given.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mssgw::storage {
class read_txn;
}
namespace mssgw::trustspace {
class snapshot;
}

namespace mssgw::routing {

enum class route_kind : std::uint8_t { local, unknown_local, citizen, remote, outside_trust_space };
std::string_view name(route_kind k);

struct route {
  route_kind kind = route_kind::outside_trust_space;
  std::string address;      // normalised: lowercased
  std::string domain;       // lowercased
  std::uint64_t inbox = 0;  // local: the BAL's INBOX mailbox id
};

struct facts {
  const std::vector<std::string>& local_domains;  // lowercased
  const storage::read_txn& txn;
  const trustspace::snapshot* whitelist;  // null: no whitelist loaded yet (then nothing remote is allowed)
  std::string_view citizen_domain;        // empty: none
};

route classify(std::string_view address, const facts& f);

// Lowercases ASCII; the domain part of "local@domain" (empty when there is no '@').
std::string lowercase(std::string_view s);
std::string_view domain_of(std::string_view address);

}  // namespace mssgw::routing
