// Writes the seed corpora of the smtp/proto fuzz targets from the unit-test rows (tests/unit/smtp/rows.hpp):
//   fuzz_smtp_seeds <dir>   ->  <dir>/smtp_command, <dir>/smtp_address, <dir>/smtp_data, <dir>/smtp_reply
// Each row becomes one file, encoded with the option octets its target expects (fuzz_input.hpp).
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "fuzz_input.hpp"
#include "tests/unit/smtp/rows.hpp"

namespace fs = std::filesystem;
using namespace mssgw::smtp::proto;
using namespace mssgw::smtp::proto::fuzz;

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

std::string sample_message() {
  std::string body = "Received: from a by b\r\nSubject: seed\r\nX-MSS-Test: 1\r\n\r\n";
  for (int i = 0; i < 20; ++i) body += (i % 5 == 0 ? ".line " : "line ") + std::to_string(i) + "\r\n";
  std::string wire;
  dot_stuff(body, wire);
  return wire + "QUIT\r\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <corpus dir>\n", argv[0]);
    return 2;
  }
  const fs::path root = argv[1];

  std::vector<std::string> commands;
  std::string pipelined;
  for (const auto& row : rows::command_rows) {
    const std::string line = std::string(row.line) + "\r\n";
    if (!row.minimal) pipelined += line;
    commands.push_back(command_input{row.minimal, false, 128, line}.encode());
    if (row.v == verb::rcpt) commands.push_back(command_input{row.minimal, true, 128, line}.encode());
  }
  for (const auto& row : rows::line_rows) commands.push_back(command_input{false, false, 100, row.input}.encode());
  commands.push_back(command_input{false, false, 77, pipelined}.encode());
  commands.push_back(command_input{false, false, 128, "AUTH PLAIN\r\nAGFsaWNlAHNlY3JldA==\r\n*\r\n"}.encode());

  std::vector<std::string> addresses;
  for (const auto& row : rows::address_rows)
    addresses.push_back(address_input{row.kind == 'r', row.kind == 'f', row.smtputf8, row.input}.encode());

  std::vector<std::string> datas;
  for (const auto& row : rows::data_rows)
    datas.push_back(data_input{row.max_size, row.max_line, row.refuse_long_lines, false, 128, row.input}.encode());
  for (const auto& row : rows::bdat_rows) {
    std::string joined;
    for (std::size_t i = 0; i < row.count; ++i) joined.append(row.chunks[i].data);
    datas.push_back(data_input{row.max_size, 1000, true, row.binary, 128, joined}.encode());
  }
  const std::string msg = sample_message();
  datas.push_back(data_input{1 << 20, 1000, true, false, 200, msg}.encode());
  datas.push_back(data_input{100, 20, true, false, 3, msg}.encode());

  std::vector<std::string> replies;
  for (const auto& row : rows::reply_rows) replies.push_back(reply_input{128, 4, row.input}.encode());
  replies.push_back(reply_input{90, 0, ehlo_reply("mx.example.org", rows::full_extensions()).to_wire()}.encode());

  int n = 0;
  n += write_all(root / "smtp_command", commands);
  n += write_all(root / "smtp_address", addresses);
  n += write_all(root / "smtp_data", datas);
  n += write_all(root / "smtp_reply", replies);
  std::printf("%d seeds written under %s\n", n, root.c_str());
  return 0;
}
