// libFuzzer target: data_reader (DATA) and bdat_reader (BDAT), with dot_stuff.
// Checks: identical outcome (done, verdict, body, bytes left) whole, in two chunks and byte by byte; "not done"
// always consumes everything; the sink never receives more than max_size octets; only CRLF.CRLF ends the data;
// an accepted body has no bare CR/LF and dot_stuff() of it reads back the same; BDAT gives the same verdict and
// body in one chunk or two, and in one feed or two.
#include <array>
#include <string>
#include <vector>

#include "fuzz_input.hpp"
#include "smtp/proto/data_reader.hpp"

using namespace mssgw::smtp::proto;

namespace {

struct outcome {
  bool done = false;
  errc error = errc::ok;
  std::string body;
  std::size_t consumed_total = 0;
  bool operator==(const outcome&) const = default;
};

template <class Chunks>
outcome run_data(const Chunks& chunks, const data_limits& limits) {
  data_reader dr(limits);
  outcome o;
  std::uint64_t sunk = 0;
  auto sink = [&](std::string_view s) {
    sunk += s.size();
    o.body.append(s);
  };
  for (std::string_view part : chunks) {
    if (o.done) break;
    const auto r = dr.feed(part, sink);
    FUZZ_CHECK(r.consumed <= part.size());
    o.consumed_total += r.consumed;
    if (r.done) {
      o.done = true;
      o.error = r.error;
    } else {
      FUZZ_CHECK(r.consumed == part.size());
    }
  }
  FUZZ_CHECK(sunk <= limits.max_size);
  if (!o.done || o.error != errc::ok) o.body.clear();  // unspecified unless accepted
  return o;
}

bool no_bare_newlines(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r')) return false;
    if (s[i] == '\r' && (i + 1 == s.size() || s[i + 1] != '\n')) return false;
  }
  return true;
}

struct bdat_outcome {
  errc error = errc::ok;
  std::string body;
  bool operator==(const bdat_outcome&) const = default;
};

// The payload as chunks cut at `cuts` (declared sizes), each chunk fed in `feeds_per_chunk` pieces.
bdat_outcome run_bdat(std::string_view p, const std::vector<std::size_t>& cuts, bool split_feeds,
                      const data_limits& limits, bool binary) {
  bdat_reader br(limits, binary);
  bdat_outcome o;
  std::uint64_t sunk = 0;
  auto sink = [&](std::string_view s) {
    sunk += s.size();
    o.body.append(s);
  };
  std::size_t from = 0;
  for (std::size_t i = 0; i <= cuts.size(); ++i) {
    const std::size_t to = i < cuts.size() ? cuts[i] : p.size();
    const std::string_view chunk = p.substr(from, to - from);
    br.start_chunk(chunk.size(), i == cuts.size());
    std::string with_next = std::string(chunk) + "BDAT 1 LAST\r\n";  // the next command must stay unconsumed
    std::vector<std::string_view> feeds;
    if (split_feeds && chunk.size() > 1) {
      feeds = {std::string_view(with_next).substr(0, chunk.size() / 2),
               std::string_view(with_next).substr(chunk.size() / 2)};
    } else {
      feeds = {with_next};
    }
    std::size_t consumed = 0;
    bool done = false;
    for (auto f : feeds) {
      if (done) break;
      const auto r = br.feed(f, sink);
      consumed += r.consumed;
      done = r.done;
      if (done) o.error = r.error;
    }
    FUZZ_CHECK(done && consumed == chunk.size());
    from = to;
  }
  FUZZ_CHECK(sunk <= limits.max_size);
  FUZZ_CHECK(o.error == br.error());
  if (o.error != errc::ok) o.body.clear();
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mssgw::smtp::proto::fuzz;
  const auto in = data_input::decode(as_view(data, size));
  const data_limits limits{.max_size = in.max_size, .max_line = in.max_line, .refuse_long_lines = in.refuse_long_lines};
  const std::string_view p = in.payload;

  // DATA
  const outcome whole = run_data(std::array<std::string_view, 1>{p}, limits);
  const std::size_t k = split_at(in.split, p.size());
  FUZZ_CHECK(run_data(std::array<std::string_view, 2>{p.substr(0, k), p.substr(k)}, limits) == whole);
  if (p.size() <= 2048) {
    std::vector<std::string_view> bytes;
    for (std::size_t i = 0; i < p.size(); ++i) bytes.push_back(p.substr(i, 1));
    FUZZ_CHECK(run_data(bytes, limits) == whole);
  }
  if (whole.done) {
    // Only CRLF "." CRLF ends the data (or "." CRLF right at the start).
    const std::string_view consumed = p.substr(0, whole.consumed_total);
    FUZZ_CHECK(consumed.size() >= 3 && consumed.substr(consumed.size() - 3) == ".\r\n");
    FUZZ_CHECK(consumed.size() == 3 || consumed.substr(consumed.size() - 5, 2) == "\r\n");
  }
  if (whole.done && whole.error == errc::ok) {
    FUZZ_CHECK(whole.body.size() <= in.max_size);
    FUZZ_CHECK(no_bare_newlines(whole.body));
    std::string wire;
    dot_stuff(whole.body, wire);
    const outcome again = run_data(std::array<std::string_view, 1>{wire}, limits);
    FUZZ_CHECK(again.done && again.error == errc::ok && again.body == whole.body);
    FUZZ_CHECK(again.consumed_total == wire.size());
  }

  // BDAT: one chunk, or two cut at k; fed whole or in two pieces; all four must agree.
  const bdat_outcome one = run_bdat(p, {}, false, limits, in.binary);
  FUZZ_CHECK(run_bdat(p, {}, true, limits, in.binary) == one);
  FUZZ_CHECK(run_bdat(p, {k}, false, limits, in.binary) == one);
  FUZZ_CHECK(run_bdat(p, {k}, true, limits, in.binary) == one);
  if (one.error == errc::ok) {
    FUZZ_CHECK(one.body == p);
    FUZZ_CHECK(in.binary || no_bare_newlines(p));
  }
  return 0;
}
