// Throughput of the DATA reader (smtp/proto/data_reader): dot-unstuffing, CRLF.CRLF detection, bare CR/LF and
// line-length checks, on a generated 100 KB message (and a 4 KB one), fed whole and in 16 KiB reads.
//
//   bench_smtp_data [file]    a file's content replaces the generated 100 KB message (LF line ends become CRLF)
//
// Target (issue 4): > 1 GB/s on a 100 KB message.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>

#include "smtp/proto/data_reader.hpp"

using namespace mssgw::smtp::proto;

namespace {

// A message shaped like real mail: headers, then 76-column base64-like lines; one line in 40 starts with '.'.
std::string make_message(std::size_t size) {
  std::string m =
      "Received: from mx.alpha.example ([127.0.0.1]) by mx.beta.example with ESMTPS id 4F2a\r\n"
      "From: Dr Alice <alice@alpha.example>\r\nTo: bob@beta.example\r\nSubject: Compte rendu\r\n"
      "MIME-Version: 1.0\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n";
  static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  unsigned x = 12345;
  for (int line = 0; m.size() < size; ++line) {
    std::string l;
    if (line % 40 == 0) l.push_back('.');
    while (l.size() < 76) {
      x = x * 1103515245u + 12345u;
      l.push_back(alphabet[(x >> 16) % 64]);
    }
    m += l + "\r\n";
  }
  return m;
}

std::string to_crlf(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r')) out.push_back('\r');
    out.push_back(s[i]);
  }
  if (out.size() < 2 || out.compare(out.size() - 2, 2, "\r\n") != 0) out += "\r\n";
  return out;
}

struct figures {
  double gb_per_s;
  double us_per_msg;
};

figures measure(const std::string& wire, std::size_t body_size, std::size_t read_size) {
  data_reader dr({.max_size = 64 << 20, .max_line = 1000, .refuse_long_lines = false});
  std::string body;
  body.reserve(body_size);
  const auto one = [&] {
    dr.reset();
    body.clear();
    std::size_t pos = 0;
    while (pos < wire.size()) {
      const std::size_t n = std::min(read_size, wire.size() - pos);
      const auto r = dr.feed(std::string_view(wire).substr(pos, n), body);
      pos += r.consumed;
      if (r.done) {
        if (r.error != errc::ok || body.size() != body_size) std::abort();
        return;
      }
    }
    std::abort();
  };
  for (int i = 0; i < 200; ++i) one();  // warm-up
  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  std::size_t iterations = 0;
  double elapsed = 0;
  do {
    for (int i = 0; i < 100; ++i) one();
    iterations += 100;
    elapsed = std::chrono::duration<double>(clock::now() - start).count();
  } while (elapsed < 1.5);
  return {static_cast<double>(wire.size()) * static_cast<double>(iterations) / elapsed / 1e9,
          elapsed / static_cast<double>(iterations) * 1e6};
}

}  // namespace

int main(int argc, char** argv) {
  std::string body;
  if (argc > 1) {
    std::ifstream f(argv[1], std::ios::binary);
    if (!f) {
      std::fprintf(stderr, "cannot read %s\n", argv[1]);
      return 2;
    }
    body = to_crlf(std::string(std::istreambuf_iterator<char>(f), {}));
  } else {
    body = make_message(100 * 1024);
  }
  const std::string small = make_message(4 * 1024);
  std::printf("DATA reader (dot-unstuffing, CRLF.CRLF, bare CR/LF and line checks), body appended to a string\n");
  for (const std::string* b : {static_cast<const std::string*>(&body), &small}) {
    std::string wire;
    dot_stuff(*b, wire);
    for (std::size_t read : {wire.size(), std::size_t{16384}, std::size_t{4096}}) {
      const figures f = measure(wire, b->size(), read);
      std::printf("  %7zu-octet message, reads of %7zu: %6.2f GB/s  %8.2f us/message\n", wire.size(), read, f.gb_per_s,
                  f.us_per_msg);
    }
  }
  return 0;
}
