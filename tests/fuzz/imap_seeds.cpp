// Writes the seed corpora of the imap/proto fuzz targets from the unit-test rows (tests/unit/imap/rows.hpp):
//   fuzz_imap_seeds <dir>   ->  <dir>/imap_reader, <dir>/imap_command, <dir>/imap_response
// Each row becomes one file, encoded with the option octets its target expects (imap_fuzz_input.hpp).
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "imap_fuzz_input.hpp"
#include "tests/unit/imap/rows.hpp"

namespace fs = std::filesystem;
using namespace mssgw::imap::proto;
using namespace mssgw::imap::proto::fuzz;

namespace {

int write_all(const fs::path& dir, const std::vector<std::string>& seeds) {
  fs::create_directories(dir);
  int n = 0;
  for (const auto& s : seeds) {
    char name[32];
    std::snprintf(name, sizeof name, "row-%04d", n++);
    std::ofstream(dir / name, std::ios::binary).write(s.data(), static_cast<std::streamsize>(s.size()));
  }
  return n;
}

unsigned selector_of(const limits& l) {
  if (l.max_line == limits_for(1).max_line && l.max_literal == limits_for(1).max_literal) return 1;
  if (l.max_nonsync_literal == literal_minus_max) return 2;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <corpus dir>\n", argv[0]);
    return 2;
  }
  const fs::path root = argv[1];

  std::vector<std::string> reader;
  std::vector<std::string> command;
  std::string pipelined;
  for (const auto& row : rows::reader_rows()) {
    reader.push_back(reader_input{selector_of(row.lim), false, 128, row.stream}.encode());
    reader.push_back(reader_input{3, false, 40, row.stream}.encode());
  }
  for (const auto& row : rows::command_rows()) {
    reader.push_back(reader_input{0, false, 128, row.wire}.encode());
    if (row.error == errc::ok && pipelined.size() < 4000) pipelined += row.wire;
    // The parser target takes the framed text: without the final CRLF.
    const std::string_view framed = std::string_view(row.wire).substr(0, row.wire.size() - 2);
    command.push_back(text_input{false, 0, framed}.encode());
  }
  reader.push_back(reader_input{0, false, 77, pipelined}.encode());
  reader.push_back(reader_input{0, true, 200, pipelined}.encode());

  // The special forms on their own, for the round trips of imap_command.
  for (const char* s : {"1:*", "2,4:7,9,12:*", "$", "1:5,$", "*:4", "17-Jul-1996 02:44:25 -0700",
                        " 1-Aug-2002 22:00:00 +0100", "1-Feb-1994", "&AOk-t&AOk-", "~peter/mail/&U,BTFw-/&ZeVnLIqe-",
                        "a&-b", "&2D3eAA-", "BODY.PEEK[1.2.HEADER.FIELDS.NOT (Received \"X\")]<0.10>",
                        "BINARY.SIZE[1]", "BODY[3.MIME]", "a (b \"c\" {1}\r\nd) NIL 42 ~{1}\r\nx"}) {
    command.push_back(text_input{false, 0, s}.encode());
    command.push_back(text_input{true, 2, s}.encode());
  }

  std::vector<std::string> response;
  for (const char* s : {"hello", "say \"hi\"", "two\r\nlines", "\xc3\xa9t\xc3\xa9", "INBOX", "Envoy\xc3\xa9s/2024",
                        "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f"}) {
    response.push_back(std::string("\0", 1) + s);
    response.push_back(std::string("\1", 1) + s);
  }

  int n = 0;
  n += write_all(root / "imap_reader", reader);
  n += write_all(root / "imap_command", command);
  n += write_all(root / "imap_response", response);
  std::printf("%d seeds written under %s\n", n, root.c_str());
  return 0;
}
