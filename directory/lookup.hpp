// Directory lookups over one read snapshot: by address, by idNat, by structure id, and the name search. This is
// what SMTP, IMAP and the API call (DESIGN.md §2); `mssgw directory lookup|search` print its results.
//
// - A reader wraps a storage::read_txn it does not own; it sees one committed generation of the mirror (never a
//   half-applied import or sync, see mirror.hpp). Keep it short-lived and never across a co_await.
// - by_address is exact and case-insensitive, and returns liste-rouge entries (routing needs them). The searches
//   (idNat, structure, name) leave liste-rouge entries out unless asked, since they serve directory browsing.
// - Entries hosted by this operator are marked `local`: their domain is one of [server] local_domains, or a local
//   BAL exists (`mssgw bal create`). A local BAL that no source lists is returned by by_address as an entry of
//   source `local`, built from the BAL.
// - last_seen is the time of the last successful run of the entry's source.
//
// Thread-safety: a reader is used by one thread at a time; several readers may share one read_txn.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "directory/entry.hpp"
#include "storage/kv.hpp"

namespace mssgw::directory {

// Which addresses this operator hosts.
struct local_policy {
  std::vector<std::string> domains;  // lowercased mail domains ([server] local_domains)
  bool domain_is_local(std::string_view address) const;
};

struct search_options {
  std::size_t limit = 50;
  bool include_liste_rouge = false;
};

class reader {
 public:
  explicit reader(const storage::read_txn& txn, const local_policy* local = nullptr);

  std::optional<entry> by_address(std::string_view address) const;
  std::vector<entry> by_idnat(std::string_view idnat, const search_options& options = {}) const;
  std::vector<entry> by_structure(std::string_view structure_id, const search_options& options = {}) const;
  // Every word of `text` (folded: accents and case ignored) must be a prefix of a token of the surname or the given
  // name ("dup jean" finds Jean Dupont; "le goff" and "legoff" find Le Goff). Results in index order.
  std::vector<entry> search_name(std::string_view text, const search_options& options = {}) const;

  // Visits every visible entry in address order until `visit` returns false.
  void for_each(const std::function<bool(const entry&)>& visit) const;

  std::uint64_t generation() const { return generation_; }

 private:
  std::optional<entry> load(std::string_view address) const;  // the mirror only
  void finish(entry& e) const;                                 // last_seen and local
  std::vector<entry> by_index(char kind, std::string_view value, const search_options& options) const;

  const storage::read_txn& txn_;
  const local_policy* local_;
  std::uint64_t generation_ = 0;
  std::int64_t seen_[4] = {0, 0, 0, 0};  // by source_kind
};

}  // namespace mssgw::directory
