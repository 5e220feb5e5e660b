// libFuzzer target: command_reader + parse_command over a pipelined command stream, as a session drives them.
// Checks: the same transcript and the same parsed commands whole, in two chunks and byte by byte; the caller never
// holds more than the limits allow; a command's text ends where its CRLF is; every failure maps to a response.
#include <string>
#include <vector>

#include "imap/proto/command.hpp"
#include "imap/proto/command_reader.hpp"
#include "imap_fuzz_input.hpp"

using namespace mssgw::imap::proto;
using namespace mssgw::imap::proto::fuzz;

namespace {

struct outcome {
  std::string transcript;
  std::vector<parsed_command> parsed;
};

void check_parsed(const parsed_command& p) {
  if (p.error == errc::ok) {
    IMAP_FUZZ_CHECK(!p.tag.empty());
    IMAP_FUZZ_CHECK(!p.name.empty());
  }
  const error_response r = response_for(p.error);
  IMAP_FUZZ_CHECK(!r.text.empty());
  IMAP_FUZZ_CHECK(p.tag.size() <= max_tag_length);
}

outcome run(const std::vector<std::string_view>& parts, const limits& lim, const parse_options& po) {
  command_reader rd(lim);
  outcome o;
  std::string buf;
  for (const std::string_view part : parts) {
    buf.append(part);
    while (true) {
      const auto r = rd.next(buf);
      IMAP_FUZZ_CHECK(r.consumed <= buf.size());
      IMAP_FUZZ_CHECK(r.tag.size() <= max_tag_length);
      switch (r.st) {
        case command_reader::status::need_more:
          // Everything buffered belongs to the current command: within its limits.
          IMAP_FUZZ_CHECK(buf.size() - r.consumed <= lim.max_command + lim.max_line);
          break;
        case command_reader::status::need_continuation:
          IMAP_FUZZ_CHECK(r.consumed == 0);
          o.transcript += "+:" + std::string(r.tag) + "|";
          break;
        case command_reader::status::command: {
          IMAP_FUZZ_CHECK(r.consumed == r.text.size() + 2);
          IMAP_FUZZ_CHECK(r.text.data() == buf.data());
          IMAP_FUZZ_CHECK(buf.compare(r.text.size(), 2, "\r\n") == 0);
          IMAP_FUZZ_CHECK(r.text.size() + 2 <= lim.max_command);
          o.transcript += "C:" + std::string(r.text) + "|";
          o.parsed.push_back(parse_command(r.text, po));
          check_parsed(o.parsed.back());
          break;
        }
        case command_reader::status::error:
        case command_reader::status::fatal: {
          IMAP_FUZZ_CHECK(r.error != errc::ok);
          IMAP_FUZZ_CHECK(r.consumed > 0);
          const error_response e = response_for(r.error, r.st == command_reader::status::fatal);
          IMAP_FUZZ_CHECK((e.what == error_response::kind::bye) == (r.st == command_reader::status::fatal));
          o.transcript += (r.st == command_reader::status::fatal ? "F:" : "E:") +
                          std::string(describe(r.error)) + ":" + std::string(r.tag) + "|";
          if (r.st == command_reader::status::fatal) return o;  // the session closes
          break;
        }
      }
      buf.erase(0, r.consumed);
      if (r.st == command_reader::status::need_more) break;
    }
  }
  o.transcript += "R:" + buf;
  return o;
}

bool same(const outcome& a, const outcome& b) {
  if (a.transcript != b.transcript || a.parsed.size() != b.parsed.size()) return false;
  for (std::size_t i = 0; i < a.parsed.size(); ++i) {
    if (a.parsed[i].error != b.parsed[i].error || a.parsed[i].tag != b.parsed[i].tag ||
        a.parsed[i].name != b.parsed[i].name || !(a.parsed[i].body == b.parsed[i].body)) {
      return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const reader_input in = reader_input::decode(as_view(data, size));
  const limits lim = limits_for(in.selector);
  parse_options po;
  po.utf8 = in.utf8;
  po.max_depth = lim.max_depth;
  const std::string_view s = in.payload;

  const outcome whole = run({s}, lim, po);
  const std::size_t k = split_at(in.split, s.size());
  IMAP_FUZZ_CHECK(same(run({s.substr(0, k), s.substr(k)}, lim, po), whole));
  if (s.size() <= 2048) {
    std::vector<std::string_view> bytes;
    for (std::size_t i = 0; i < s.size(); ++i) bytes.push_back(s.substr(i, 1));
    IMAP_FUZZ_CHECK(same(run(bytes, lim, po), whole));
  }
  return 0;
}
