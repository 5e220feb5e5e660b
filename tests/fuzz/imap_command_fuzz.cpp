// libFuzzer target: the parsers on one arbitrary text (not necessarily framed by command_reader).
// Checks: parse_command never fails without a reason; parse_values -> write_value -> parse_values gives the same
// values; fetch attributes, sequence sets, dates and modified UTF-7 round-trip through their writers.
#include <string>
#include <vector>

#include "imap/proto/command.hpp"
#include "imap/proto/date_time.hpp"
#include "imap/proto/mailbox_name.hpp"
#include "imap/proto/response.hpp"
#include "imap/proto/sequence_set.hpp"
#include "imap/proto/value.hpp"
#include "imap_fuzz_input.hpp"

using namespace mssgw::imap::proto;
using namespace mssgw::imap::proto::fuzz;

namespace {

// Equal up to the form of strings (quoted <-> literal).
bool same_value(const value& a, const value& b) {
  if (a.is_string() != b.is_string() || a.text != b.text || a.items.size() != b.items.size()) return false;
  if (!a.is_string() && a.k != b.k) return false;
  if (a.k == value::kind::literal && b.k == value::kind::literal && a.binary != b.binary) return false;
  for (std::size_t i = 0; i < a.items.size(); ++i) {
    if (!same_value(a.items[i], b.items[i])) return false;
  }
  return true;
}

void values_round_trip(std::string_view s, const parse_options& po) {
  const values_result a = parse_values(s, po.max_depth);
  if (a.error != errc::ok) {
    IMAP_FUZZ_CHECK(a.values.empty());
    IMAP_FUZZ_CHECK(a.offset <= s.size());
    return;
  }
  std::string out;
  for (std::size_t i = 0; i < a.values.size(); ++i) {
    if (i != 0) out.push_back(' ');
    write_value(out, a.values[i], po.utf8);
  }
  const values_result b = parse_values(out, po.max_depth);
  IMAP_FUZZ_CHECK(b.error == errc::ok);
  IMAP_FUZZ_CHECK(b.values.size() == a.values.size());
  for (std::size_t i = 0; i < a.values.size(); ++i) IMAP_FUZZ_CHECK(same_value(a.values[i], b.values[i]));
}

void fetch_att_round_trip(std::string_view s) {
  fetch_att a;
  if (parse_fetch_att(s, a) != errc::ok) return;
  std::string name;
  write_fetch_att_name(name, a);
  if (a.part) return;  // the response names only the origin ("<10>"), which is not request syntax
  fetch_att b;
  IMAP_FUZZ_CHECK(parse_fetch_att(name, b) == errc::ok);
  IMAP_FUZZ_CHECK(b.k == a.k);
  IMAP_FUZZ_CHECK(b.sec == a.sec);
}

void sequence_round_trip(std::string_view s) {
  sequence_set a;
  if (parse_sequence_set(s, a) != errc::ok) return;
  sequence_set b;
  IMAP_FUZZ_CHECK(parse_sequence_set(format(a), b) == errc::ok);
  IMAP_FUZZ_CHECK(a == b);
  for (const std::uint32_t star : {0u, 1u, 1000u, 0xffffffffu}) {
    const auto n = normalise(a, star);
    for (std::size_t i = 0; i < n.size(); ++i) {
      IMAP_FUZZ_CHECK(n[i].first >= 1 && n[i].first <= n[i].last);
      if (i > 0) IMAP_FUZZ_CHECK(static_cast<std::uint64_t>(n[i - 1].last) + 1 < n[i].first);
      IMAP_FUZZ_CHECK(contains(n, n[i].first) && contains(n, n[i].last));
    }
    for (const auto& r : a.ranges) {
      const std::uint32_t f = r.first == seq_star ? star : r.first;
      if (f != 0) IMAP_FUZZ_CHECK(contains(n, f));
    }
    const std::string f = format(n);
    if (!f.empty()) {
      sequence_set c;
      IMAP_FUZZ_CHECK(parse_sequence_set(f, c) == errc::ok);
      IMAP_FUZZ_CHECK(normalise(c, star) == n);
    }
  }
}

void date_round_trip(std::string_view s) {
  date d;
  if (parse_date(s, d) == errc::ok) {
    date e;
    IMAP_FUZZ_CHECK(parse_date(format_date(d), e) == errc::ok);
    IMAP_FUZZ_CHECK(d == e);
  }
  date_time dt;
  if (parse_date_time(s, dt) == errc::ok) {
    const std::string f = format_date_time(dt);
    date_time et;
    IMAP_FUZZ_CHECK(parse_date_time(std::string_view(f).substr(1, f.size() - 2), et) == errc::ok);
    IMAP_FUZZ_CHECK(dt == et);
    IMAP_FUZZ_CHECK(to_unix(from_unix(to_unix(dt), dt.zone_minutes)) == to_unix(dt));
  }
}

void mailbox_round_trip(std::string_view s) {
  if (const auto d = mutf7_decode(s)) {
    IMAP_FUZZ_CHECK(is_valid_utf8(*d));
    IMAP_FUZZ_CHECK(mutf7_encode(*d) == std::string(s));  // canonical spelling only
  }
  if (const auto e = mutf7_encode(s)) {
    IMAP_FUZZ_CHECK(mutf7_decode(*e) == std::string(s));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const text_input in = text_input::decode(as_view(data, size));
  parse_options po;
  po.utf8 = in.utf8;
  if (in.depth != 0) {
    po.max_depth = in.depth;
    po.max_search_depth = 4 * in.depth;
  }
  const std::string_view s = in.payload;

  const parsed_command p = parse_command(s, po);
  if (p.error == errc::ok) {
    IMAP_FUZZ_CHECK(!p.tag.empty() && !p.name.empty());
    if (const auto* f = std::get_if<cmd::fetch>(&p.body)) IMAP_FUZZ_CHECK(!f->atts.empty());
    if (const auto* a = std::get_if<cmd::append>(&p.body)) IMAP_FUZZ_CHECK(!a->messages.empty());
    if (const auto* l = std::get_if<cmd::list>(&p.body)) IMAP_FUZZ_CHECK(!l->patterns.empty());
  }
  values_round_trip(s, po);
  fetch_att_round_trip(s);
  sequence_round_trip(s);
  date_round_trip(s);
  mailbox_round_trip(s);
  return 0;
}
