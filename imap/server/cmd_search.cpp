// SEARCH and UID SEARCH (RFC 3501 §6.4.4), ESEARCH (RFC 4731), SEARCHRES (RFC 5182), CONDSTORE MODSEQ
// (RFC 7162 §3.1.5), and IMAP4rev2's ESEARCH-only answers (RFC 9051 §6.4.4). Evaluation: search.hpp.
#include <cctype>

#include "imap/server/search.hpp"
#include "imap/server/session.hpp"
#include "storage/mailbox_store.hpp"

namespace mssgw::imap::server {
namespace {

bool supported_charset(std::string_view cs) {
  std::string up(cs);
  for (char& c : up) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return up.empty() || up == "UTF-8" || up == "US-ASCII";
}

}  // namespace

std::optional<std::vector<std::uint32_t>> session::search_matches(const proto::search_key& key,
                                                                  std::string_view charset, std::string_view tag,
                                                                  std::string& out, std::uint64_t* highest_modseq) {
  if (!supported_charset(charset)) {
    const std::string supported[] = {"US-ASCII", "UTF-8"};
    proto::write_tagged(out, tag, proto::status_word::no, proto::code::badcharset(supported),
                        "Unsupported charset.");
    return std::nullopt;
  }
  selected& s = *sel();
  std::vector<std::uint32_t> matches;
  std::vector<std::pair<std::uint64_t, std::string>> computed;
  bool modseq = false;
  {
    auto txn = read();
    searcher engine(s.box, *txn, settings_.mime,
                    saved_valid_ ? std::span<const std::uint32_t>(saved_uids_) : std::span<const std::uint32_t>());
    engine.compile(key);
    for (std::uint32_t seq = 1; seq <= s.box.exists(); ++seq) {
      if (engine.matches(seq)) matches.push_back(seq);
    }
    modseq = engine.uses_modseq();
    computed = engine.take_computed();
  }
  if (!computed.empty() && deps_.background) {
    storage::write_unit unit = [caches = std::move(computed)](storage::write_txn& txn) -> std::error_code {
      for (const auto& [id, cache] : caches) storage::messages::set_cache(txn, id, cache);
      return {};
    };
    deps_.background(std::move(unit));
  }
  if (modseq) {
    condstore_ = true;  // RFC 7162 §3.1: SEARCH MODSEQ enables CONDSTORE
    std::uint64_t highest = 0;
    for (std::uint32_t seq : matches) highest = std::max(highest, s.box.at(seq).modseq);
    if (highest_modseq) *highest_modseq = highest;
  }
  return matches;
}

step session::cmd_search(const std::string& tag, const proto::cmd::search& c, std::string& out) {
  std::uint64_t highest = 0;
  auto matches = search_matches(c.key, c.charset, tag, out, &highest);
  if (!matches) {
    if (c.ret && c.ret->save) {
      saved_uids_.clear();  // RFC 5182 §2.1: a failed SEARCH with SAVE empties "$"
      saved_valid_ = true;
    }
    return {};
  }
  selected& s = *sel();
  std::vector<std::uint32_t> numbers;
  numbers.reserve(matches->size());
  for (std::uint32_t seq : *matches) numbers.push_back(c.uid ? s.box.at(seq).uid : seq);
  // RFC 7162 §3.1.5: with MODSEQ in the key, the highest MODSEQ of the matches (none when nothing matched).
  const bool uses_modseq = highest != 0;
  if (c.ret || rev2_) {
    proto::search_return requested = c.ret.value_or(proto::search_return{});
    if (!requested.min && !requested.max && !requested.count && !requested.all && !requested.save) {
      requested.all = true;  // RETURN () means ALL (RFC 4731 §3.1); IMAP4rev2 plain SEARCH too
    }
    if (requested.save) {
      saved_uids_.clear();
      for (std::uint32_t seq : *matches) saved_uids_.push_back(s.box.at(seq).uid);
      saved_valid_ = true;
    }
    // RFC 5182 §2.4: RETURN (SAVE) alone gives no ESEARCH response.
    if (requested.min || requested.max || requested.count || requested.all) {
      proto::esearch_result r;
      if (!numbers.empty()) {
        if (requested.min) r.min = *std::min_element(numbers.begin(), numbers.end());
        if (requested.max) r.max = *std::max_element(numbers.begin(), numbers.end());
        if (requested.all) r.all = proto::compress(numbers);
      }
      if (requested.count) r.count = numbers.size();
      if (uses_modseq) r.modseq = highest;
      proto::write_esearch(out, tag, c.uid, requested, r);
    }
  } else {
    proto::write_search(out, numbers, uses_modseq ? std::optional<std::uint64_t>(highest) : std::nullopt);
  }
  // RFC 3501 §7.4.1: no EXPUNGE while answering SEARCH (UID SEARCH may).
  complete(out, tag, proto::status_word::ok, {}, "SEARCH completed.", c.uid);
  return {};
}

}  // namespace mssgw::imap::server
