// A blocking libldap client for the operator's LDAP replica of the Annuaire (deps.md §4): connect and bind (simple,
// or SASL EXTERNAL over TLS), a full RFC 2696 paged search, and an RFC 4533 refreshOnly sync.
//
// We drive the sync search ourselves (ldap_search_ext + ldap_result with a short poll) instead of libldap's
// ldap_sync_* helpers: ldap_sync_init polls forever on a silent server (no overall deadline, no way to stop), and
// its destroy unbinds the connection behind the caller's back (deps.md §4). Here every wait is bounded by
// `timeout` of silence, and a stop flag is honoured within a quarter second (the search is abandoned).
//
// Results are strict: any result code other than success (rc=4 size limit above all), a referral, or a malformed
// control fails the whole operation, so a partial result is never mistaken for a complete one.
//
// Threading: a connection is used by one thread; every call blocks (the dedicated sync thread, or a CLI command).
// Never call it from an I/O thread.
#pragma once
#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "directory/config.hpp"
#include "directory/entry.hpp"
#include "directory/mirror.hpp"

namespace mssgw::directory::ldap {

// What a refresh returned.
struct refresh_result {
  sync_delta delta;
  std::optional<std::string> cookie;  // the new cookie, if the server sent one
  std::size_t entries = 0;            // entries with a sync state (add/modify/present/delete)
  std::size_t skipped = 0;            // unusable entries (no or invalid mail, unknown type): logged, not applied
  bool refused = false;               // we sent a cookie and the server would not resume from it
};

class connection {
 public:
  // Connects, sets up TLS as configured and binds. `detail` explains a failure (server text included).
  static std::unique_ptr<connection> open(const ldap_config& config, std::error_code& ec, std::string& detail,
                                          const std::atomic<bool>* stop = nullptr);
  ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  // Every entry under the configured base matching the configured filter, page by page (RFC 2696). `on_entry` gets
  // each usable entry; unusable ones are counted in `skipped`.
  std::error_code fetch_all(const std::function<void(entry&&)>& on_entry, std::size_t& skipped, std::string& detail);

  // RFC 4533 refreshOnly from `cookie` (empty: initial content) with `filter` (empty: the configured one). A result
  // error, or an empty cookie where one was sent, sets result.refused and returns errc::ldap_search.
  std::error_code refresh(std::string_view cookie, std::string_view filter, refresh_result& result,
                          std::string& detail);

 private:
  struct impl;
  explicit connection(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

// Reads one LDAP entry's attributes (schema: deploy/ldap/mssgw-directory.schema) into `out`. False with `why` when
// the entry is unusable (no valid mail, unknown or missing type, invalid text).
struct attribute_value {
  std::string_view name;
  std::string_view value;
};
bool entry_from_attributes(const std::vector<attribute_value>& attributes, entry& out, std::string& why);

}  // namespace mssgw::directory::ldap
