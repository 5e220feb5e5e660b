// The ANS whitelist (liste blanche MSSanté, mssante/README §2): its parser, the immutable snapshot it produces, and
// the holder through which every session reads the current snapshot.
//
// Format: `ListeBlancheMSSante/DateDeGeneration` and `ListeBlancheMSSante/ListeDomaines/Domaine/{Nom, Description,
// DNCertificatOperateur, ResponsableContact, SupportContact, DateMAJ}` (namespace https://listeblanche.mssante.fr/
// schema; elements are matched by local name). A domain served by several certificates appears once per certificate:
// entries with the same `Nom` (compared case-insensitively) merge into one domain with several DNs.
//
// parse_whitelist() takes bytes and does no I/O. A malformed file is refused as a whole, with the line of the problem:
// not XML, not UTF-8, a DOCTYPE (refused outright, so no entity tricks), a wrong root, no ListeDomaines, no Domaine,
// a Domaine without Nom or DNCertificatOperateur, an empty or unparsable DN, a Nom with spaces or control characters,
// more bytes than `max_bytes` (checked before parsing) or more entries than `max_entries`. Odd but harmless entries
// (a Nom that is not a host name, like `x@y.mssante.fr` in the real list) are kept and reported as warnings.
// One defect of the published file is tolerated, with a warning: it ends with `</ListeDomaines>` and never closes
// its root element (true of the ANS list in 2025); a file cut anywhere else is refused.
//
// A snapshot is immutable and shared (shared_ptr<const snapshot>): lookups are const, allocate nothing, and are safe
// from any thread. The `whitelist` holder swaps snapshots atomically; see its comment for the read path.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <vector>

#include "trustspace/dn.hpp"

namespace mssgw::trustspace {

using clock = std::chrono::system_clock;

struct parse_options {
  std::uint64_t max_bytes = 64ull << 20;  // [whitelist] max_size
  std::size_t max_entries = 1'000'000;
};

// A problem found at a line of the file (1-based; 0 when the file as a whole is concerned).
struct parse_issue {
  std::size_t line = 0;
  std::string message;
  std::string to_string() const;  // "line 12: <Domaine> has no <Nom>"
};

// One <Domaine> element, as written.
struct whitelist_entry {
  std::string domain;  // Nom, case kept
  std::string description;
  std::string dn_text;  // DNCertificatOperateur as written
  std::string responsable_contact;
  std::string support_contact;
  std::string date_maj;
  std::uint32_t dn_index = 0;  // into snapshot::dns()
  std::uint32_t line = 0;
};

namespace detail {
// ASCII case-insensitive hashing and equality, transparent so that lookups by string_view allocate nothing.
struct ci_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept;
};
struct ci_equal {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const noexcept;
};
struct sv_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};
}  // namespace detail

class snapshot {
 public:
  struct domain_record {
    std::string name;                   // lowercased
    std::vector<std::uint32_t> dns;     // distinct DN indexes, in file order
    std::vector<std::uint32_t> entries; // entry indexes, in file order
  };

  // Lookups. `domain` is compared case-insensitively (ASCII); `dn_key` is a dn::key().
  bool listed(std::string_view domain) const { return find(domain) != nullptr; }
  bool dn_listed_for(std::string_view domain, std::string_view dn_key) const;
  bool dn_listed_anywhere(std::string_view dn_key) const { return dn_index_.find(dn_key) != dn_index_.end(); }
  const domain_record* find(std::string_view domain) const;
  // Every domain listing `dn_key` (for logs and the CLI; allocates).
  std::vector<std::string> domains_for(std::string_view dn_key) const;

  const std::vector<whitelist_entry>& entries() const { return entries_; }
  const std::vector<dn>& dns() const { return dns_; }  // distinct DNs (by dn::key())
  std::size_t domain_count() const { return domains_.size(); }
  // Distinct organisations: the normalised O attribute of the distinct DNs (the DN itself when it has no O).
  std::size_t operator_count() const { return operator_count_; }
  std::vector<std::string> domain_names() const;  // sorted, lowercased

  const std::string& generated() const { return generated_; }  // DateDeGeneration as written
  std::optional<clock::time_point> generated_at() const { return generated_at_; }
  const std::string& sha256() const { return sha256_; }  // of the parsed bytes, lowercase hex
  std::size_t size_bytes() const { return size_bytes_; }
  const std::vector<parse_issue>& warnings() const { return warnings_; }

 private:
  friend class whitelist_parser;
  std::vector<whitelist_entry> entries_;
  std::vector<dn> dns_;
  std::unordered_map<std::string, domain_record, detail::ci_hash, detail::ci_equal> domains_;
  std::unordered_map<std::string, std::uint32_t, detail::sv_hash, std::equal_to<>> dn_index_;
  std::size_t operator_count_ = 0;
  std::string generated_;
  std::optional<clock::time_point> generated_at_;
  std::string sha256_;
  std::size_t size_bytes_ = 0;
  std::vector<parse_issue> warnings_;
};

struct parse_result {
  std::shared_ptr<const snapshot> value;  // null on error
  std::error_code error;                  // trustspace::errc
  parse_issue issue;                      // where and what, on error
  explicit operator bool() const { return value != nullptr; }
};

// Parses an ANS whitelist from bytes. Never throws (except std::bad_alloc).
parse_result parse_whitelist(std::string_view bytes, const parse_options& options = {});

// "2025-03-13T14:54:10Z" (also with fractional seconds or a +hh:mm offset) -> time point.
std::optional<clock::time_point> parse_iso8601(std::string_view text);
std::string format_iso8601(clock::time_point t);  // "2025-03-13T14:54:10Z"

// The current snapshot, swapped atomically when a refresh succeeds, plus the time the copy was last known current
// (a 200 or a 304 from the URL, or the file's modification time).
//
// Read path: current() compares a generation counter with a per-thread cache and, when nothing changed since this
// thread's last call, returns the cached shared_ptr: one atomic load and one reference-count increment, no lock.
// Only a thread's first call after a swap (hourly at most) copies the new pointer under a mutex that publish() holds
// for a pointer assignment, never during parsing or I/O. (std::atomic<std::shared_ptr> would do the same with a spin
// bit, but libstdc++ 12's is not annotated for ThreadSanitizer, which then reports false races.) A thread's cache
// keeps the snapshot it last saw alive until its next call.
class whitelist {
 public:
  whitelist();
  whitelist(const whitelist&) = delete;
  whitelist& operator=(const whitelist&) = delete;

  // The current snapshot; never null (an empty snapshot lists nothing before the first load).
  std::shared_ptr<const snapshot> current() const;
  // Swaps in `next` (non-null).
  void publish(std::shared_ptr<const snapshot> next, clock::time_point verified_at);
  // The copy is still current (HTTP 304, or an unchanged file).
  void confirm(clock::time_point verified_at);
  // When the copy was last known current; nothing before the first load.
  std::optional<clock::time_point> verified_at() const;
  bool loaded() const { return verified_ms_.load(std::memory_order_acquire) != 0; }

 private:
  std::uint64_t id_;  // distinguishes holders in the per-thread caches
  std::atomic<std::uint64_t> generation_{1};
  mutable std::mutex mutex_;  // guards current_ (slow path and publishers only)
  std::shared_ptr<const snapshot> current_;
  std::atomic<std::int64_t> verified_ms_{0};  // unix ms; 0 = never
};

}  // namespace mssgw::trustspace
