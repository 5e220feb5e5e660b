// SORT and UID SORT (RFC 5256 §3: ARRIVAL, CC, DATE, FROM, SIZE, SUBJECT, TO; RFC 5957 DISPLAYFROM/DISPLAYTO),
// with ESORT's RETURN options (RFC 5267 §3). Keys come from the message record and the MIME cache; the sequence
// number breaks ties (RFC 5256 §3).
#include <algorithm>

#include "imap/server/message_access.hpp"
#include "imap/server/session.hpp"

namespace mssgw::imap::server {

step session::cmd_sort(const std::string& tag, const proto::cmd::sort& c, std::string& out) {
  auto matches = search_matches(c.key, c.charset, tag, out, nullptr);
  if (!matches) return {};
  selected& s = *sel();
  struct keys {
    std::uint32_t seq = 0;
    std::int64_t arrival = 0, date = 0;
    std::uint64_t size = 0;
    std::string cc, from, subject, to, display_from, display_to;
  };
  std::vector<keys> rows;
  rows.reserve(matches->size());
  {
    auto txn = read();
    for (std::uint32_t seq : *matches) {
      message_access a(*txn, s.box.mailbox_id(), s.box.at(seq).uid, settings_.mime);
      keys k;
      k.seq = seq;
      if (const auto* r = a.record()) {
        k.arrival = r->internal_date;
        k.date = r->internal_date;  // RFC 5256: no valid Date header -> the internal date
        k.size = r->size;
      }
      if (const auto* m = a.cache()) {
        if (m->has_date) k.date = m->sent_unix;
        k.cc = m->sort_cc;
        k.from = m->sort_from;
        k.subject = m->sort_subject;
        k.to = m->sort_to;
        k.display_from = m->display_from;
        k.display_to = m->display_to;
      }
      rows.push_back(std::move(k));
    }
  }
  using key = proto::sort_criterion::key;
  auto compare = [&](const keys& a, const keys& b) {
    for (const auto& cr : c.criteria) {
      int r = 0;
      switch (cr.k) {
        case key::arrival: r = a.arrival < b.arrival ? -1 : a.arrival > b.arrival; break;
        case key::date: r = a.date < b.date ? -1 : a.date > b.date; break;
        case key::size: r = a.size < b.size ? -1 : a.size > b.size; break;
        case key::cc: r = a.cc.compare(b.cc); break;
        case key::from: r = a.from.compare(b.from); break;
        case key::subject: r = a.subject.compare(b.subject); break;
        case key::to: r = a.to.compare(b.to); break;
        case key::display_from: r = a.display_from.compare(b.display_from); break;
        case key::display_to: r = a.display_to.compare(b.display_to); break;
      }
      if (r != 0) return cr.reverse ? r > 0 : r < 0;
    }
    return a.seq < b.seq;
  };
  std::sort(rows.begin(), rows.end(), compare);
  std::vector<std::uint32_t> numbers;
  numbers.reserve(rows.size());
  for (const auto& r : rows) numbers.push_back(c.uid ? s.box.at(r.seq).uid : r.seq);
  if (c.ret) {
    proto::search_return requested = *c.ret;
    if (!requested.min && !requested.max && !requested.count && !requested.all) requested.all = true;
    proto::esearch_result r;
    if (!numbers.empty()) {
      // RFC 5267 §3.2: MIN and MAX are the first and last in sort order; ALL keeps the order.
      if (requested.min) r.min = numbers.front();
      if (requested.max) r.max = numbers.back();
      if (requested.all) r.all = proto::compress_ordered(numbers);
    }
    if (requested.count) r.count = numbers.size();
    proto::write_esearch(out, tag, c.uid, requested, r);
  } else {
    proto::write_search(out, numbers, std::nullopt, "SORT");
  }
  complete(out, tag, proto::status_word::ok, {}, "SORT completed.", c.uid);
  return {};
}

}  // namespace mssgw::imap::server
