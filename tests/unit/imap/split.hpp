// Split-point helpers for the imap/proto tests (STYLE.md habit 2): the ways of cutting a byte stream the tests try,
// and a driver that runs command_reader (and parse_command) over the chunks like a session would, recording a
// comparable transcript.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "imap/proto/command.hpp"
#include "imap/proto/command_reader.hpp"

namespace mssgw::imap::proto::testing {

using chunks = std::vector<std::string_view>;

// Whole; one octet at a time; and every two-chunk split (k = 0..n, so empty chunks are tried too). Streams over
// 4 KiB get 257 evenly spaced two-chunk splits instead of all of them.
inline std::vector<chunks> splittings(std::string_view s) {
  std::vector<chunks> out;
  out.push_back({s});
  chunks bytes;
  for (std::size_t i = 0; i < s.size(); ++i) bytes.push_back(s.substr(i, 1));
  out.push_back(bytes);
  const std::size_t step = s.size() > 4096 ? s.size() / 256 : 1;
  for (std::size_t k = 0; k <= s.size(); k += step) out.push_back({s.substr(0, k), s.substr(k)});
  return out;
}

inline std::string printable(std::string_view s) {
  std::string out;
  static constexpr char hex[] = "0123456789abcdef";
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 32 && c < 127 && c != '\\') {
      out.push_back(ch);
    } else {
      out += "\\x";
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

// The reader transcript of rows.hpp: "C:<text>" / "+:<tag>" / "E:<reason>:<tag>" / "F:<reason>:<tag>" joined with
// '|', then "R:<leftover>" (not after F: the session closes). `parsed`, when given, receives parse_command()'s
// result for each command, in order.
inline std::string run_reader(const chunks& parts, const limits& lim,
                              std::vector<parsed_command>* parsed = nullptr, const parse_options& po = {}) {
  command_reader rd(lim);
  std::string buf;
  std::string out;
  for (const std::string_view part : parts) {
    buf.append(part);
    while (true) {
      const auto r = rd.next(buf);
      std::string ev;
      switch (r.st) {
        case command_reader::status::need_more: break;
        case command_reader::status::need_continuation: ev = "+:" + std::string(r.tag); break;
        case command_reader::status::command:
          ev = "C:" + std::string(r.text);
          if (parsed != nullptr) parsed->push_back(parse_command(r.text, po));
          break;
        case command_reader::status::error:
          ev = "E:" + std::string(describe(r.error)) + ":" + std::string(r.tag);
          break;
        case command_reader::status::fatal:
          return out + "F:" + std::string(describe(r.error)) + ":" + std::string(r.tag);
      }
      buf.erase(0, r.consumed);
      if (r.st == command_reader::status::need_more) break;
      out += ev + "|";
    }
  }
  return out + "R:" + buf;
}

}  // namespace mssgw::imap::proto::testing
