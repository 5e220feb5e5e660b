// libFuzzer target: line_reader + parse_command + parse_auth_response over a pipelined command stream.
// Checks: the same transcript whole, in two chunks and byte by byte; lines never hold CR or LF; every failure
// has a well-formed reply; a parsed path's canonical form parses back to the same mailbox; strict base64 and
// xtext round-trip.
#include <array>
#include <string>
#include <vector>

#include "fuzz_input.hpp"
#include "smtp/proto/codec.hpp"
#include "smtp/proto/command.hpp"
#include "smtp/proto/line_reader.hpp"
#include "smtp/proto/reply.hpp"

using namespace mssgw::smtp::proto;

namespace {

extensions make_ext(bool minimal) {
  extensions e;
  if (minimal) {
    e.dsn = false;
    e.size = false;
    return e;
  }
  e.max_size = 1 << 20;
  e.starttls = true;
  e.auth = {"PLAIN", "XOAUTH2"};
  e.chunking = e.binarymime = e.smtputf8 = true;
  return e;
}

void check_path(const path& p, bool utf8) {
  if (p.is_null || p.is_postmaster) return;
  const std::string mb = p.mailbox();
  const auto again = parse_mailbox(mb, utf8 || p.utf8);
  FUZZ_CHECK(again.error == errc::ok);
  FUZZ_CHECK(again.value.local_part == p.local_part);
  FUZZ_CHECK(again.value.domain == p.domain);
  FUZZ_CHECK(again.value.normalised() == p.normalised());
  FUZZ_CHECK(p.canonical_local_part().size() <= max_local_part);
}

std::string handle_line(std::string_view line, const extensions& ext, bool smtputf8) {
  FUZZ_CHECK(line.find('\r') == std::string_view::npos && line.find('\n') == std::string_view::npos);
  const command_result r = parse_command(line, ext, smtputf8);
  std::string ev = std::string(name(r.verb)) + ":" + std::string(describe(r.error));
  if (!r.ok()) {
    const auto rep = r.reply();
    FUZZ_CHECK(rep.code == 500 || rep.code == 501 || rep.code == 553 || rep.code == 555);
    FUZZ_CHECK(is_enhanced_code(rep.enhanced));
  } else if (const auto* m = std::get_if<mail_command>(&r.cmd)) {
    check_path(m->reverse_path, m->params.smtputf8);
    if (m->params.envid) FUZZ_CHECK(xtext_decode(xtext_encode(*m->params.envid)) == *m->params.envid);
    ev += m->reverse_path.normalised();
  } else if (const auto* c = std::get_if<rcpt_command>(&r.cmd)) {
    check_path(c->forward_path, smtputf8);
    FUZZ_CHECK(!c->forward_path.is_null);
    ev += c->forward_path.normalised();
  } else if (const auto* a = std::get_if<auth_command>(&r.cmd)) {
    FUZZ_CHECK(!a->mechanism.empty() && a->mechanism.size() <= 20);
  }
  // The same line as an AUTH response: strict base64 means one encoding per byte string.
  const auth_response ar = parse_auth_response(line);
  if (ar.error == errc::ok) FUZZ_CHECK(base64_encode(ar.data) == line);
  return ev;
}

template <class Chunks>
std::string run(const Chunks& chunks, const extensions& ext, bool smtputf8) {
  line_reader lr(64);  // small limit, so the fuzzer reaches the overlong-line paths
  std::string buf, out;
  for (std::string_view part : chunks) {
    buf.append(part);
    while (true) {
      const auto r = lr.next(buf);
      FUZZ_CHECK(r.consumed <= buf.size());
      std::string ev;
      if (r.st == line_reader::status::line) ev = handle_line(r.line, ext, smtputf8);
      if (r.st == line_reader::status::error) ev = "E:" + std::string(describe(r.error));
      buf.erase(0, r.consumed);
      FUZZ_CHECK(buf.size() <= 64 + part.size());  // never holds more than the limit plus one read
      if (r.st == line_reader::status::need_more) break;
      FUZZ_CHECK(r.consumed > 0);
      out += ev + "\n";
    }
  }
  return out + "R:" + buf;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mssgw::smtp::proto::fuzz;
  const auto in = command_input::decode(as_view(data, size));
  const extensions ext = make_ext(in.minimal);
  const std::string_view p = in.payload;
  const std::string whole = run(std::array<std::string_view, 1>{p}, ext, in.smtputf8);
  const std::size_t k = split_at(in.split, p.size());
  FUZZ_CHECK(run(std::array<std::string_view, 2>{p.substr(0, k), p.substr(k)}, ext, in.smtputf8) == whole);
  if (p.size() <= 512) {
    std::vector<std::string_view> bytes;
    for (std::size_t i = 0; i < p.size(); ++i) bytes.push_back(p.substr(i, 1));
    FUZZ_CHECK(run(bytes, ext, in.smtputf8) == whole);
  }
  // The whole payload as one line, bypassing the reader (no length limit, may hold CR/LF: must not crash).
  (void)parse_command(p, ext, in.smtputf8);
  return 0;
}
