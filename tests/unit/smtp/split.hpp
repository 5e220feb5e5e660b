// Split-point helpers for the smtp/proto tests (STYLE.md habit 2): every way of cutting an input that the
// tests try, and drivers that run a parser over a list of chunks and record a comparable transcript.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "smtp/proto/data_reader.hpp"
#include "smtp/proto/line_reader.hpp"
#include "smtp/proto/reply.hpp"

namespace mssgw::smtp::proto::testing {

using chunks = std::vector<std::string_view>;

// Whole; one octet at a time; and every two-chunk split (k = 0..n, so empty chunks are tried too).
inline std::vector<chunks> splittings(std::string_view s) {
  std::vector<chunks> out;
  out.push_back({s});
  chunks bytes;
  for (std::size_t i = 0; i < s.size(); ++i) bytes.push_back(s.substr(i, 1));
  out.push_back(bytes);
  for (std::size_t k = 0; k <= s.size(); ++k) out.push_back({s.substr(0, k), s.substr(k)});
  return out;
}

inline std::string printable(std::string_view s) {
  std::string out;
  static constexpr char hex[] = "0123456789abcdef";
  for (char ch : s) {
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

// line_reader: "L:<line>" / "E:<reason>" joined with '|', then "R:<leftover>".
inline std::string run_lines(const chunks& parts, std::size_t max_line) {
  line_reader lr(max_line);
  std::string buf, out;
  for (std::string_view part : parts) {
    buf.append(part);
    while (true) {
      const auto r = lr.next(buf);
      std::string ev;
      if (r.st == line_reader::status::line) ev = "L:" + std::string(r.line);
      if (r.st == line_reader::status::error) ev = "E:" + std::string(describe(r.error));
      buf.erase(0, r.consumed);
      if (r.st == line_reader::status::need_more) break;
      out += ev + "|";
    }
  }
  return out + "R:" + buf;
}

// reply_parser: "<code>|<enhanced>|<line>..." or "E:<reason>" joined with '#', then "R:<leftover>".
inline std::string run_replies(const chunks& parts, reply_limits limits) {
  reply_parser p(limits);
  std::string buf, out;
  for (std::string_view part : parts) {
    buf.append(part);
    while (true) {
      const auto r = p.next(buf);
      std::string ev;
      if (r.st == reply_parser::status::reply) {
        ev = std::to_string(r.value.code) + "|" + r.value.enhanced;
        for (const auto& l : r.value.lines) ev += "|" + l;
      }
      if (r.st == reply_parser::status::error) ev = "E:" + std::string(describe(r.error));
      buf.erase(0, r.consumed);
      if (r.st == reply_parser::status::need_more) break;
      out += ev + "#";
    }
  }
  return out + "R:" + buf;
}

struct data_outcome {
  bool done = false;
  errc error = errc::ok;
  std::string body;
  std::string rest;
  bool all_consumed_until_done = true;  // contract: not done => consumed == input.size()
  bool operator==(const data_outcome&) const = default;
};

inline data_outcome run_data(const chunks& parts, data_limits limits) {
  data_reader dr(limits);
  data_outcome o;
  for (std::string_view part : parts) {
    if (o.done) {
      o.rest.append(part);
      continue;
    }
    const auto r = dr.feed(part, o.body);
    if (r.done) {
      o.done = true;
      o.error = r.error;
      o.rest.append(part.substr(r.consumed));
    } else if (r.consumed != part.size()) {
      o.all_consumed_until_done = false;
    }
  }
  if (o.done && o.error != errc::ok) o.body.clear();  // unspecified on error
  return o;
}

}  // namespace mssgw::smtp::proto::testing
