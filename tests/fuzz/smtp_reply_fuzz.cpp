// libFuzzer target: reply_parser (client side) and the reply builder.
// Checks: identical transcript whole, in two chunks and byte by byte; limits hold; every reply is well formed
// (code 200..559, enhanced code of the same class, at least one line); a reply whose text the builder keeps as
// is (printable ASCII, short lines) is rebuilt and parsed back unchanged.
#include <array>
#include <string>
#include <vector>

#include "fuzz_input.hpp"
#include "smtp/proto/reply.hpp"

using namespace mssgw::smtp::proto;

namespace {

bool builder_keeps(const reply& r) {
  const std::size_t room = 512 - 4 - (r.enhanced.empty() ? 0 : r.enhanced.size() + 1) - 2;
  for (const auto& l : r.lines) {
    if (l.size() > room) return false;
    for (char c : l)
      if (c < 32 || c > 126) return false;
  }
  return true;
}

template <class Chunks>
std::string run(const Chunks& chunks, const reply_limits& limits) {
  reply_parser p(limits);
  std::string buf, out;
  for (std::string_view part : chunks) {
    buf.append(part);
    while (true) {
      auto r = p.next(buf);
      FUZZ_CHECK(r.consumed <= buf.size());
      std::string ev;
      if (r.st == reply_parser::status::reply) {
        const reply& v = r.value;
        FUZZ_CHECK(v.code >= 200 && v.code <= 559);
        FUZZ_CHECK(!v.lines.empty() && v.lines.size() <= limits.max_lines);
        FUZZ_CHECK(v.enhanced.empty() || (is_enhanced_code(v.enhanced) && v.enhanced[0] == '0' + v.code / 100));
        ev = std::to_string(v.code) + "|" + v.enhanced;
        for (const auto& l : v.lines) {
          FUZZ_CHECK(l.size() <= limits.max_line);
          ev += "|" + l;
        }
        if (builder_keeps(v)) {
          const std::string wire = make_reply(v.code, v.enhanced, v.lines).to_wire();
          reply_parser again;
          const auto back = again.next(wire);
          FUZZ_CHECK(back.st == reply_parser::status::reply && back.consumed == wire.size());
          FUZZ_CHECK(back.value == v);
        }
      }
      if (r.st == reply_parser::status::error) ev = "E:" + std::string(describe(r.error));
      buf.erase(0, r.consumed);
      FUZZ_CHECK(buf.size() <= limits.max_line + part.size());
      if (r.st == reply_parser::status::need_more) break;
      FUZZ_CHECK(r.consumed > 0);
      out += ev + "#";
    }
  }
  return out + "R:" + buf;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mssgw::smtp::proto::fuzz;
  const auto in = reply_input::decode(as_view(data, size));
  const reply_limits limits{.max_line = 128, .max_lines = in.max_lines};
  const std::string_view p = in.payload;
  const std::string whole = run(std::array<std::string_view, 1>{p}, limits);
  const std::size_t k = split_at(in.split, p.size());
  FUZZ_CHECK(run(std::array<std::string_view, 2>{p.substr(0, k), p.substr(k)}, limits) == whole);
  if (p.size() <= 1024) {
    std::vector<std::string_view> bytes;
    for (std::size_t i = 0; i < p.size(); ++i) bytes.push_back(p.substr(i, 1));
    FUZZ_CHECK(run(bytes, limits) == whole);
  }
  return 0;
}
