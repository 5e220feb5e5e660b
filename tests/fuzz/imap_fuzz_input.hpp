// Input layouts of the imap/proto fuzz targets: a few leading octets choose options, the rest is the payload.
// Shared by the targets (decode) and by imap_seeds.cpp (encode), so seeds from the unit-test rows land on the
// options the rows were written for.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "imap/proto/command_reader.hpp"

#define IMAP_FUZZ_CHECK(cond)                                                        \
  do {                                                                               \
    if (!(cond)) {                                                                   \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                  \
    }                                                                                \
  } while (0)

namespace mssgw::imap::proto::fuzz {

inline std::string_view as_view(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Split point: an octet scaled to the payload size.
inline std::size_t split_at(std::uint8_t b, std::size_t n) { return n * b / 255; }

// Reader limits, by selector: 0 defaults, 1 small (as rows::small_limits), 2 LITERAL- (as
// rows::literal_minus_limits), 3 tiny (every limit within a few octets).
inline limits limits_for(unsigned selector) {
  limits l;
  switch (selector & 3) {
    case 1:
      l.max_line = 32, l.max_literal = 100, l.max_nonsync_literal = 100, l.max_command = 200, l.max_depth = 8;
      break;
    case 2:
      l.max_literal = 10000, l.max_nonsync_literal = literal_minus_max;
      break;
    case 3:
      l.max_line = 12, l.max_literal = 5, l.max_nonsync_literal = 3, l.max_command = 40, l.max_depth = 2;
      break;
    default: break;
  }
  return l;
}

// Command stream: [flags: bits 0-1 limits selector, bit 2 UTF-8 mode][split] payload.
struct reader_input {
  unsigned selector = 0;
  bool utf8 = false;
  std::uint8_t split = 128;
  std::string_view payload;

  static reader_input decode(std::string_view in) {
    reader_input r;
    if (in.size() < 2) return r;
    r.selector = static_cast<std::uint8_t>(in[0]) & 3;
    r.utf8 = (static_cast<std::uint8_t>(in[0]) & 4) != 0;
    r.split = static_cast<std::uint8_t>(in[1]);
    r.payload = in.substr(2);
    return r;
  }
  std::string encode() const {
    std::string s;
    s.push_back(static_cast<char>((selector & 3) | (utf8 ? 4 : 0)));
    s.push_back(static_cast<char>(split));
    s.append(payload);
    return s;
  }
};

// One text for the parsers: [flags: bit 0 UTF-8 mode, bits 1-3 small max_depth / max_search_depth] payload.
struct text_input {
  bool utf8 = false;
  unsigned depth = 0;  // 0: defaults; n: max_depth n, max_search_depth 4n
  std::string_view payload;

  static text_input decode(std::string_view in) {
    text_input t;
    if (in.empty()) return t;
    t.utf8 = (static_cast<std::uint8_t>(in[0]) & 1) != 0;
    t.depth = (static_cast<std::uint8_t>(in[0]) >> 1) & 7;
    t.payload = in.substr(1);
    return t;
  }
  std::string encode() const {
    std::string s;
    s.push_back(static_cast<char>((utf8 ? 1 : 0) | ((depth & 7) << 1)));
    s.append(payload);
    return s;
  }
};

}  // namespace mssgw::imap::proto::fuzz
