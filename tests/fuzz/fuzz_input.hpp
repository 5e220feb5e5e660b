// Input layouts of the smtp/proto fuzz targets: a few leading octets choose options, the rest is the payload.
// Shared by the targets (decode) and by make_seeds.cpp (encode), so seeds from the unit-test rows land on the
// options the rows were written for.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#define FUZZ_CHECK(cond)                                                            \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                 \
    }                                                                               \
  } while (0)

namespace mssgw::smtp::proto::fuzz {

inline std::string_view as_view(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Split point: an octet scaled to the payload size.
inline std::size_t split_at(std::uint8_t b, std::size_t n) {
  return n * b / 255;
}

// Command stream: [flags: 1 minimal extensions, 2 transaction SMTPUTF8][split] payload.
struct command_input {
  bool minimal = false;
  bool smtputf8 = false;
  std::uint8_t split = 128;
  std::string_view payload;

  static command_input decode(std::string_view in) {
    command_input c;
    if (in.size() < 2) return c;
    c.minimal = in[0] & 1;
    c.smtputf8 = in[0] & 2;
    c.split = static_cast<std::uint8_t>(in[1]);
    c.payload = in.substr(2);
    return c;
  }
  std::string encode() const {
    std::string s;
    s.push_back(static_cast<char>((minimal ? 1 : 0) | (smtputf8 ? 2 : 0)));
    s.push_back(static_cast<char>(split));
    s.append(payload);
    return s;
  }
};

// Path: [flags: 1 allow null, 2 allow postmaster, 4 SMTPUTF8] payload.
struct address_input {
  bool allow_null = false;
  bool allow_postmaster = false;
  bool smtputf8 = false;
  std::string_view payload;

  static address_input decode(std::string_view in) {
    address_input a;
    if (in.empty()) return a;
    a.allow_null = in[0] & 1;
    a.allow_postmaster = in[0] & 2;
    a.smtputf8 = in[0] & 4;
    a.payload = in.substr(1);
    return a;
  }
  std::string encode() const {
    std::string s;
    s.push_back(static_cast<char>((allow_null ? 1 : 0) | (allow_postmaster ? 2 : 0) | (smtputf8 ? 4 : 0)));
    s.append(payload);
    return s;
  }
};

// Message data: [max_size lo][max_size hi][max_line - 3][flags: 1 accept long lines, 2 binary BDAT][split]
// payload. max_size 0xffff means 1 MiB; max_line octet 0 means 1000.
struct data_input {
  std::uint64_t max_size = 1 << 20;
  std::size_t max_line = 1000;
  bool refuse_long_lines = true;
  bool binary = false;
  std::uint8_t split = 128;
  std::string_view payload;

  static data_input decode(std::string_view in) {
    data_input d;
    if (in.size() < 5) return d;
    const unsigned size16 = static_cast<std::uint8_t>(in[0]) | static_cast<unsigned>(static_cast<std::uint8_t>(in[1]))
                                                                   << 8;
    d.max_size = size16 == 0xffff ? (1u << 20) : size16;
    const auto line = static_cast<std::uint8_t>(in[2]);
    d.max_line = line == 0 ? 1000 : line + 3;
    d.refuse_long_lines = !(in[3] & 1);
    d.binary = in[3] & 2;
    d.split = static_cast<std::uint8_t>(in[4]);
    d.payload = in.substr(5);
    return d;
  }
  std::string encode() const {
    std::string s;
    const unsigned size16 = max_size >= 0xffff ? 0xffff : static_cast<unsigned>(max_size);
    s.push_back(static_cast<char>(size16 & 0xff));
    s.push_back(static_cast<char>(size16 >> 8));
    s.push_back(static_cast<char>(max_line >= 258 ? 0 : max_line - 3));
    s.push_back(static_cast<char>((refuse_long_lines ? 0 : 1) | (binary ? 2 : 0)));
    s.push_back(static_cast<char>(split));
    s.append(payload);
    return s;
  }
};

// Replies: [split][max_lines (0: 128)] payload.
struct reply_input {
  std::uint8_t split = 128;
  std::size_t max_lines = 128;
  std::string_view payload;

  static reply_input decode(std::string_view in) {
    reply_input r;
    if (in.size() < 2) return r;
    r.split = static_cast<std::uint8_t>(in[0]);
    r.max_lines = static_cast<std::uint8_t>(in[1]) == 0 ? 128 : static_cast<std::uint8_t>(in[1]);
    r.payload = in.substr(2);
    return r;
  }
  std::string encode() const {
    std::string s;
    s.push_back(static_cast<char>(split));
    s.push_back(static_cast<char>(max_lines >= 128 ? 0 : max_lines));
    s.append(payload);
    return s;
  }
};

}  // namespace mssgw::smtp::proto::fuzz
