#include "imap/server/search.hpp"

#include <algorithm>

#include "imap/mime/text.hpp"
#include "imap/server/flags.hpp"
#include "imap/server/message_access.hpp"

namespace mssgw::imap::server {

folded_searcher::folded_searcher(std::string_view needle) : needle_(mime::fold(needle)) {
  const std::size_t m = needle_.size();
  for (auto& s : skip_) s = m == 0 ? 1 : m;
  // Horspool: the shift for a byte is the distance from its last occurrence (but the final position) to the end.
  // The haystack byte is folded before lookup, so the table is indexed by folded values only.
  for (std::size_t i = 0; i + 1 < m; ++i) skip_[static_cast<unsigned char>(needle_[i])] = m - 1 - i;
}

bool folded_searcher::find(std::string_view h) const {
  const std::size_t m = needle_.size();
  if (m == 0) return true;
  if (h.size() < m) return false;
  const auto* n = reinterpret_cast<const unsigned char*>(needle_.data());
  const auto* s = reinterpret_cast<const unsigned char*>(h.data());
  const unsigned char last = n[m - 1];
  std::size_t pos = 0;
  const std::size_t end = h.size() - m;
  while (pos <= end) {
    const unsigned char c = mime::fold_byte(s[pos + m - 1]);
    if (c == last) {
      std::size_t i = m - 1;
      while (i > 0 && mime::fold_byte(s[pos + i - 1]) == n[i - 1]) --i;
      if (i == 0) return true;
    }
    pos += skip_[c];
  }
  return false;
}

std::string decoded_text(std::string_view raw, const mime::message_cache& cache) {
  std::string out;
  for (const auto& e : cache.entities) {
    if (!e.text || e.k != mime::entity::kind::leaf) continue;
    const std::uint32_t end = std::min<std::uint32_t>(e.body_end, static_cast<std::uint32_t>(raw.size()));
    const std::uint32_t begin = std::min(e.body_begin, end);
    std::string_view body = raw.substr(begin, end - begin);
    std::string bytes;
    switch (e.enc) {
      case mime::encoding::base64: bytes = mime::decode_base64(body); break;
      case mime::encoding::quoted_printable: bytes = mime::decode_quoted_printable(body); break;
      default: bytes = std::string(body); break;
    }
    out += mime::to_utf8(bytes, e.charset);
    out += '\n';
  }
  return out;
}

// ---- the compiled tree -----------------------------------------------------------------------------------------

using k = proto::search_key::kind;

struct searcher::node {
  k kind = k::all;
  int cost = 0;
  std::uint32_t flag_bit = 0;
  std::string keyword;
  std::string field;                         // HEADER field name
  std::unique_ptr<folded_searcher> text;     // string keys
  std::vector<proto::seq_range> set;         // UID / sequence set, normalised
  std::int64_t day = 0;
  std::uint64_t number = 0;
  std::vector<node> children;
};

struct searcher::message_state {
  std::uint32_t seq = 0;
  std::optional<message_access> access;
  std::optional<std::string> decoded;  // decoded_text(), built once per message when needed
};

namespace {

std::uint32_t flag_for(k kind) {
  switch (kind) {
    case k::answered: case k::unanswered: return storage::flag_answered;
    case k::deleted: case k::undeleted: return storage::flag_deleted;
    case k::draft: case k::undraft: return storage::flag_draft;
    case k::flagged: case k::unflagged: return storage::flag_flagged;
    case k::seen: case k::unseen: return storage::flag_seen;
    default: return 0;
  }
}

// 0: the view; 1: the message record; 2: the MIME cache; 3: the header bytes; 4: the body.
int base_cost(k kind) {
  switch (kind) {
    case k::larger: case k::smaller: case k::before: case k::on: case k::since: return 1;
    case k::bcc: case k::cc: case k::from: case k::subject: case k::to: case k::sentbefore: case k::senton:
    case k::sentsince: return 2;
    case k::header: return 3;
    case k::body: case k::text: return 4;
    default: return 0;
  }
}

}  // namespace

searcher::searcher(const mailbox::view& box, const storage::read_txn& txn, const mime::limits& lim,
                   std::span<const std::uint32_t> saved_uids)
    : box_(box), txn_(txn), limits_(lim), saved_(saved_uids.begin(), saved_uids.end()) {}

searcher::~searcher() = default;

void searcher::compile(const proto::search_key& key) {
  // Iterative conversion would need an explicit stack; the parser bounds nesting (parse_options::max_search_depth),
  // so plain recursion is safe here.
  struct builder {
    searcher& s;
    node build(const proto::search_key& in) {
      node n;
      n.kind = in.k;
      n.cost = base_cost(in.k);
      n.flag_bit = flag_for(in.k);
      switch (in.k) {
        case k::bcc: case k::body: case k::cc: case k::from: case k::subject: case k::text: case k::to:
          n.text = std::make_unique<folded_searcher>(in.str);
          break;
        case k::header:
          n.field = in.field;
          n.text = std::make_unique<folded_searcher>(in.str);
          break;
        case k::keyword: case k::unkeyword: n.keyword = in.str; break;
        case k::before: case k::on: case k::since: case k::sentbefore: case k::senton: case k::sentsince:
          n.day = proto::to_days(in.day);
          break;
        case k::larger: case k::smaller: n.number = in.number; break;
        case k::modseq:
          n.number = in.number;
          s.uses_modseq_ = true;
          break;
        case k::uid: {
          auto ranges = proto::normalise(in.set, std::max<std::uint32_t>(1, s.box_.highest_uid()));
          if (in.set.saved) {
            for (std::uint32_t u : s.saved_) ranges.push_back({u, u});
            ranges = proto::normalise(std::move(ranges));
          }
          n.set = std::move(ranges);
          break;
        }
        case k::sequence_set: {
          std::vector<proto::seq_range> ranges;
          if (s.box_.exists() > 0 && !in.set.ranges.empty()) {
            ranges = proto::clamp(proto::normalise(in.set, s.box_.exists()), s.box_.exists());
          }
          if (in.set.saved) {
            // "$" holds UIDs: turned into the current sequence numbers.
            std::vector<proto::seq_range> uids;
            for (std::uint32_t u : s.saved_) uids.push_back({u, u});
            for (std::uint32_t seq : s.box_.seqs_of_uids(proto::normalise(std::move(uids)))) {
              ranges.push_back({seq, seq});
            }
            ranges = proto::normalise(std::move(ranges));
          }
          n.set = std::move(ranges);
          break;
        }
        case k::not_: case k::or_: case k::and_:
          for (const auto& c : in.children) {
            n.children.push_back(build(c));
            n.cost = std::max(n.cost, n.children.back().cost);
          }
          if (in.k == k::and_) {
            std::stable_sort(n.children.begin(), n.children.end(),
                             [](const node& a, const node& b) { return a.cost < b.cost; });
          }
          if (in.k == k::or_ && n.children.size() == 2 && n.children[1].cost < n.children[0].cost) {
            std::swap(n.children[0], n.children[1]);
          }
          break;
        default: break;
      }
      return n;
    }
  };
  root_ = std::make_unique<node>(builder{*this}.build(key));
}

bool searcher::matches(std::uint32_t seq) {
  const auto& e = box_.at(seq);
  if (e.bits & mailbox::view::gone_bit) return false;
  // One state for every message of the search: reset, not reallocated.
  if (!current_) current_ = std::make_unique<message_state>();
  current_->seq = seq;
  current_->access.reset();
  current_->decoded.reset();
  const bool result = eval(*root_, seq);
  if (current_->access && current_->access->computed()) {
    if (const auto* c = current_->access->cache()) {
      computed_.emplace_back(current_->access->message_id(), mime::encode(*c));
    }
  }
  return result;
}

bool searcher::eval(const node& n, std::uint32_t seq) {
  const auto& e = box_.at(seq);
  auto access = [&]() -> message_access& {
    if (!current_->access) current_->access.emplace(txn_, box_.mailbox_id(), e.uid, limits_);
    return *current_->access;
  };
  switch (n.kind) {
    case k::all: return true;
    case k::answered: case k::deleted: case k::draft: case k::flagged: case k::seen: return e.bits & n.flag_bit;
    case k::unanswered: case k::undeleted: case k::undraft: case k::unflagged: case k::unseen:
      return !(e.bits & n.flag_bit);
    // \Recent is not kept (cmd_select.cpp): no message is recent, so NEW matches none and OLD all.
    case k::recent: case k::new_: return false;
    case k::old: return true;
    case k::keyword: return box_.has_keyword(seq, n.keyword);
    case k::unkeyword: return !box_.has_keyword(seq, n.keyword);
    case k::uid: return proto::contains(n.set, e.uid);
    case k::sequence_set: return proto::contains(n.set, seq);
    case k::modseq: return e.modseq >= n.number;  // RFC 7162 §3.1.5: equal to or greater than
    case k::not_: return !eval(n.children[0], seq);
    case k::or_: return eval(n.children[0], seq) || eval(n.children[1], seq);
    case k::and_:
      for (const auto& c : n.children) {
        if (!eval(c, seq)) return false;
      }
      return true;
    case k::larger: case k::smaller: {
      const auto* r = access().record();
      if (!r) return false;
      return n.kind == k::larger ? r->size > n.number : r->size < n.number;
    }
    case k::before: case k::on: case k::since: {
      const auto* r = access().record();
      if (!r) return false;
      // INTERNALDATE is given in UTC (cmd_fetch.cpp): its date is the UTC date.
      const std::int64_t day = r->internal_date >= 0 ? r->internal_date / 86400 : (r->internal_date - 86399) / 86400;
      return n.kind == k::before ? day < n.day : n.kind == k::on ? day == n.day : day >= n.day;
    }
    case k::sentbefore: case k::senton: case k::sentsince: {
      const auto* c = access().search();
      if (!c || !c->has_date) return false;
      return n.kind == k::sentbefore ? c->sent_day < n.day : n.kind == k::senton ? c->sent_day == n.day
                                                                                 : c->sent_day >= n.day;
    }
    case k::from: case k::to: case k::cc: case k::bcc: case k::subject: {
      const auto* c = access().search();
      if (!c) return false;
      const std::string_view field = n.kind == k::from ? c->from : n.kind == k::to ? c->to : n.kind == k::cc ? c->cc
                                     : n.kind == k::bcc ? c->bcc : c->subject;
      return n.text->find(field);
    }
    case k::header: {
      auto& a = access();
      const auto* c = a.search();
      auto raw = a.raw();
      if (!c || !raw) return false;
      const std::string_view header = raw->substr(0, std::min<std::size_t>(c->header_end, raw->size()));
      bool found = false;
      mime::for_each_field(header, [&](std::string_view name, std::string_view value) {
        if (!same_keyword(name, n.field)) return true;
        found = n.text->find(mime::decode_header_text(value));
        return !found;
      });
      return found;
    }
    case k::body: case k::text: {
      auto& a = access();
      const auto* c = a.cache();
      auto raw = a.raw();
      if (!c || !raw) return false;
      const std::size_t body_begin = c->entities.empty() ? 0 : std::min<std::size_t>(c->entities[0].body_begin,
                                                                                      raw->size());
      if (n.kind == k::text) {
        // TEXT: the header too (decoded, so encoded words match).
        if (n.text->find(mime::decode_header_text(raw->substr(0, body_begin)))) return true;
      }
      if (!c->needs_decoding_for_search()) return n.text->find(raw->substr(body_begin));
      if (!current_->decoded) current_->decoded = decoded_text(*raw, *c);
      return n.text->find(*current_->decoded);
    }
  }
  return false;
}

}  // namespace mssgw::imap::server
