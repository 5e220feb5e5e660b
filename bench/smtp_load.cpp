// SMTP load generator (SMTP issue, "Benchmark"). smtp-source has no TLS; this one speaks what MSSanté operators
// speak: STARTTLS (or implicit TLS, or plaintext) with a client certificate, server verification against a CA file,
// connection reuse, PIPELINING of MAIL+RCPT+DATA when the server offers it (RFC 2920), and optional AUTH PLAIN /
// XOAUTH2 / OAUTHBEARER for submission.
//
// N sessions run concurrently (default 20). Each opens a connection, sends messages one after another on it (RSET
// between them unless --no-rset), and reconnects after --per-connection messages or after an error. The run stops
// after --count messages in total or after --duration seconds, whichever comes first.
//
// It measures, per message, the latency from the end of the DATA terminator (the write of "\r\n.\r\n" completed)
// to the server's final reply, and prints: messages attempted / accepted / failed, failures by stage and reply code
// (e.g. "MAIL 530", "EHLO2 tls-error", "connect error"), throughput (accepted msg/s and MB/s of accepted message
// bytes, 1 MB = 10^6 B), latency p50/p90/p99/max/mean, connections and TLS handshakes (with handshake time).
// --json prints the same as one JSON object on stdout. Exit status: 0; 1 when the failed fraction exceeds
// --max-fail (default 0: any failure), or nothing was accepted; 2 for a usage or setup error.
//
// Threads: one io_context run by --threads threads (default 1); each session is one coroutine on its own strand
// (deps.md §1 item 9), owning its socket and a deadline timer; sessions share only atomics and the read-only TLS
// context, and merge their statistics when they end.
#include "common/asio.hpp"

// g++ 12 reports -Wmismatched-new-delete inside Asio's awaitable frame allocator (its recycling operator new/delete
// pair) wherever a coroutine is instantiated: a false positive in the headers, silenced for this file only.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include <openssl/evp.h>
#include <openssl/ssl.h>

#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace asio = mssgw::asio;
namespace ssl = asio::ssl;
using asio::awaitable;
using asio::use_awaitable;
using tcp = asio::ip::tcp;
using clock_type = std::chrono::steady_clock;

namespace {

enum class tls_mode { starttls, implicit, none };
enum class auth_mech { none, plain, xoauth2, oauthbearer };

struct options {
  std::string host = "127.0.0.1";
  std::string port = "25";
  int sessions = 20;
  std::uint64_t count = 0;        // total messages (0: only --duration limits)
  double duration = 0;            // seconds (0: only --count limits)
  std::uint64_t per_connection = 0;  // messages per connection before QUIT and reconnect (0: unlimited)
  std::size_t size = 4096;        // bytes per message, headers included
  tls_mode tls = tls_mode::starttls;
  std::string cert, key, ca, verify_name, sni;
  std::string tls_version;        // "", "1.2" or "1.3": pin the version
  std::string ehlo = "smtp-load.test";
  std::string from = "load@smtp-load.test";
  std::string to = "user%d@example.test";
  std::uint64_t to_lo = 1, to_hi = 1;  // %d in --to takes values lo..hi in turn
  int rcpts = 1;                  // recipients per message
  auth_mech auth = auth_mech::none;
  std::string user, password, token;
  bool pipelining = true;         // use it when advertised
  bool rset = true;
  double timeout = 60;            // seconds per network operation
  int threads = 1;
  double max_fail = 0;
  bool json = false;
  bool progress = false;
};

[[noreturn]] void usage(const std::string& error) {
  if (!error.empty()) std::fprintf(stderr, "smtp_load: %s\n", error.c_str());
  std::fprintf(stderr,
      "usage: smtp_load [options]\n"
      "  --host H (127.0.0.1)  --port P (25)  --sessions N (20)  --threads N (1)\n"
      "  --count N  --duration S      total messages and/or seconds (default: --count 1000)\n"
      "  --per-connection M           messages per connection, then QUIT and reconnect (0: unlimited)\n"
      "  --size BYTES (4k)            message size, headers included: 4096, 4k, 100k, 1m\n"
      "  --tls starttls|implicit|none (starttls)   --tls-version 1.2|1.3 (pin)\n"
      "  --cert FILE --key FILE       client certificate chain and key\n"
      "  --ca FILE                    verify the server against these anchors (no --ca: not verified)\n"
      "  --verify-name NAME           also check the server certificate's name; --sni NAME sets SNI\n"
      "  --ehlo NAME  --from ADDR  --to PATTERN (user%%d@example.test)  --to-range LO-HI (1-1)  --rcpts N (1)\n"
      "  --auth plain|xoauth2|oauthbearer --user U [--password P | --token T]\n"
      "  --no-pipelining  --no-rset  --timeout S (60)  --max-fail FRACTION (0)  --json  --progress\n");
  std::exit(2);
}

std::size_t parse_size(const std::string& s) {
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  std::string unit = end ? end : "";
  double mult = 1;
  if (unit == "k" || unit == "K" || unit == "kb" || unit == "KB") mult = 1024;
  else if (unit == "m" || unit == "M" || unit == "mb" || unit == "MB") mult = 1024 * 1024;
  else if (!unit.empty()) usage("bad size: " + s);
  if (!(v > 0)) usage("bad size: " + s);
  return static_cast<std::size_t>(v * mult);
}

std::uint64_t parse_u64(const std::string& s, const char* what) {
  char* end = nullptr;
  unsigned long long v = std::strtoull(s.c_str(), &end, 10);
  if (s.empty() || *end != '\0') usage(std::string("bad ") + what + ": " + s);
  return v;
}

double parse_double(const std::string& s, const char* what) {
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (s.empty() || *end != '\0' || v < 0) usage(std::string("bad ") + what + ": " + s);
  return v;
}

options parse_options(int argc, char** argv) {
  options o;
  bool count_given = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    bool has_value = false;
    if (auto eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      has_value = true;
    }
    auto next = [&]() -> std::string {
      if (has_value) return value;
      if (i + 1 >= argc) usage("missing value for " + arg);
      return argv[++i];
    };
    if (arg == "--help" || arg == "-h") usage("");
    else if (arg == "--host") o.host = next();
    else if (arg == "--port") o.port = next();
    else if (arg == "--sessions") o.sessions = static_cast<int>(parse_u64(next(), "--sessions"));
    else if (arg == "--threads") o.threads = static_cast<int>(parse_u64(next(), "--threads"));
    else if (arg == "--count") { o.count = parse_u64(next(), "--count"); count_given = true; }
    else if (arg == "--duration") o.duration = parse_double(next(), "--duration");
    else if (arg == "--per-connection") o.per_connection = parse_u64(next(), "--per-connection");
    else if (arg == "--size") o.size = parse_size(next());
    else if (arg == "--tls") {
      auto v = next();
      if (v == "starttls") o.tls = tls_mode::starttls;
      else if (v == "implicit") o.tls = tls_mode::implicit;
      else if (v == "none" || v == "plain" || v == "plaintext") o.tls = tls_mode::none;
      else usage("bad --tls: " + v);
    } else if (arg == "--tls-version") {
      o.tls_version = next();
      if (o.tls_version != "1.2" && o.tls_version != "1.3") usage("bad --tls-version: " + o.tls_version);
    } else if (arg == "--cert") o.cert = next();
    else if (arg == "--key") o.key = next();
    else if (arg == "--ca") o.ca = next();
    else if (arg == "--verify-name") o.verify_name = next();
    else if (arg == "--sni") o.sni = next();
    else if (arg == "--ehlo") o.ehlo = next();
    else if (arg == "--from") o.from = next();
    else if (arg == "--to") o.to = next();
    else if (arg == "--to-range") {
      auto v = next();
      auto dash = v.find('-');
      if (dash == std::string::npos) usage("bad --to-range (LO-HI): " + v);
      o.to_lo = parse_u64(v.substr(0, dash), "--to-range");
      o.to_hi = parse_u64(v.substr(dash + 1), "--to-range");
      if (o.to_hi < o.to_lo) usage("bad --to-range: " + v);
    } else if (arg == "--rcpts") o.rcpts = static_cast<int>(parse_u64(next(), "--rcpts"));
    else if (arg == "--auth") {
      auto v = next();
      if (v == "plain") o.auth = auth_mech::plain;
      else if (v == "xoauth2") o.auth = auth_mech::xoauth2;
      else if (v == "oauthbearer") o.auth = auth_mech::oauthbearer;
      else if (v == "none") o.auth = auth_mech::none;
      else usage("bad --auth: " + v);
    } else if (arg == "--user") o.user = next();
    else if (arg == "--password") o.password = next();
    else if (arg == "--token") o.token = next();
    else if (arg == "--no-pipelining") o.pipelining = false;
    else if (arg == "--no-rset") o.rset = false;
    else if (arg == "--timeout") o.timeout = parse_double(next(), "--timeout");
    else if (arg == "--max-fail") o.max_fail = parse_double(next(), "--max-fail");
    else if (arg == "--json") o.json = true;
    else if (arg == "--progress") o.progress = true;
    else usage("unknown option " + arg);
  }
  if (!count_given && o.duration == 0) o.count = 1000;
  if (o.sessions < 1) usage("--sessions must be at least 1");
  if (o.threads < 1) usage("--threads must be at least 1");
  if (o.rcpts < 1) usage("--rcpts must be at least 1");
  if (o.cert.empty() != o.key.empty()) usage("--cert and --key go together");
  if (o.tls == tls_mode::none && (!o.cert.empty() || !o.ca.empty())) usage("--cert/--ca need TLS");
  if (o.auth != auth_mech::none && o.user.empty()) usage("--auth needs --user");
  if (o.auth == auth_mech::plain && o.password.empty()) usage("--auth plain needs --password");
  if ((o.auth == auth_mech::xoauth2 || o.auth == auth_mech::oauthbearer) && o.token.empty())
    usage("--auth xoauth2/oauthbearer needs --token");
  if (o.timeout <= 0) usage("--timeout must be positive");
  return o;
}

std::string base64(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

// "user%d@domain" with %d replaced by n; no %d: the pattern itself.
std::string expand(const std::string& pattern, std::uint64_t n) {
  auto pos = pattern.find("%d");
  if (pos == std::string::npos) return pattern;
  return pattern.substr(0, pos) + std::to_string(n) + pattern.substr(pos + 2);
}

// A message body of text lines: none starts with '.', so no dot-stuffing is needed; ends with the DATA terminator.
std::string make_body(std::size_t bytes) {
  static constexpr std::string_view alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::string body;
  body.reserve(bytes + 80);
  std::size_t k = 0;
  while (body.size() + 2 < bytes) {
    std::size_t len = std::min<std::size_t>(76, bytes - body.size() - 2);
    for (std::size_t j = 0; j < len; ++j) body += alphabet[(k + j) % alphabet.size()];
    body += "\r\n";
    ++k;
  }
  if (body.empty()) body = "x\r\n";
  body += ".\r\n";
  return body;
}

struct stats {
  std::uint64_t attempted = 0, accepted = 0, failed = 0, connections = 0, handshakes = 0;
  std::uint64_t bytes_accepted = 0, rcpt_refused = 0;
  std::vector<double> latency_ms, handshake_ms;
  std::map<std::string, std::uint64_t> failures;  // "MAIL 530", "connect error"...
  std::map<std::string, std::string> examples;    // first text seen per failure key
  bool pipelining_used = false;

  void fail(const std::string& key, const std::string& text) {
    ++failures[key];
    examples.emplace(key, text);
  }
  void merge(const stats& o) {
    attempted += o.attempted;
    accepted += o.accepted;
    failed += o.failed;
    connections += o.connections;
    handshakes += o.handshakes;
    bytes_accepted += o.bytes_accepted;
    rcpt_refused += o.rcpt_refused;
    latency_ms.insert(latency_ms.end(), o.latency_ms.begin(), o.latency_ms.end());
    handshake_ms.insert(handshake_ms.end(), o.handshake_ms.begin(), o.handshake_ms.end());
    for (auto& [k, v] : o.failures) failures[k] += v;
    for (auto& [k, v] : o.examples) examples.emplace(k, v);
    pipelining_used = pipelining_used || o.pipelining_used;
  }
};

// What every session shares: options, the TLS context, the work counter, live counters for --progress.
struct shared_state {
  shared_state(const options& o, ssl::context& t) : opt(o), tls(t) {}
  const options& opt;
  ssl::context& tls;
  std::string body;
  std::string date;   // one Date header for the run (RFC 5322 §3.3)
  std::string run_id;
  clock_type::time_point deadline = clock_type::time_point::max();
  std::atomic<std::uint64_t> next{0};
  std::atomic<std::uint64_t> live_accepted{0}, live_failed{0};
  std::mutex mutex;
  stats total;

  // Claims the next message index; false when the run is over.
  bool take(std::uint64_t& index) {
    if (clock_type::now() >= deadline) return false;
    std::uint64_t i = next.fetch_add(1, std::memory_order_relaxed);
    if (opt.count != 0 && i >= opt.count) return false;
    index = i;
    return true;
  }
};

struct reply {
  int code = 0;
  std::string text;  // every line's text, joined with " / "
};

// A failure the session reports: `key` groups it in the summary ("MAIL 530", "EHLO2 tls-error").
struct smtp_failure : std::runtime_error {
  std::string key;
  bool close;  // the connection is unusable afterwards
  smtp_failure(std::string k, const std::string& text, bool c) : std::runtime_error(text), key(std::move(k)), close(c) {}
};

// One SMTP connection: a TCP socket that may be upgraded to TLS, a read buffer, and a deadline timer. Every network
// operation is bounded by opt.timeout: the timer cancels the socket, the operation ends with operation_aborted.
class connection {
 public:
  connection(const asio::any_io_executor& ex, shared_state& shared)
      : shared_(shared), stream_(ex, shared.tls), timer_(ex) {}

  bool tls() const { return tls_; }
  bool pipelining = false, size_ext = false;

  awaitable<void> connect(const tcp::resolver::results_type& endpoints) {
    stage_ = "connect";
    arm();
    co_await asio::async_connect(stream_.next_layer(), endpoints, use_awaitable);
    disarm();
    stream_.next_layer().set_option(tcp::no_delay(true));
  }

  // TLS handshake as a client; returns its duration in ms.
  awaitable<double> handshake() {
    stage_ = "TLS";
    const auto& o = shared_.opt;
    std::string sni = !o.sni.empty() ? o.sni : o.verify_name;
    // SSL_set_tlsext_host_name is a macro with a C cast; this is what it expands to.
    if (!sni.empty())
      SSL_ctrl(stream_.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, sni.data());
    if (!o.verify_name.empty()) stream_.set_verify_callback(ssl::host_name_verification(o.verify_name));
    auto t0 = clock_type::now();
    arm();
    co_await stream_.async_handshake(ssl::stream_base::client, use_awaitable);
    disarm();
    tls_ = true;
    co_return std::chrono::duration<double, std::milli>(clock_type::now() - t0).count();
  }

  awaitable<reply> read_reply(const char* stage) {
    stage_ = stage;
    reply r;
    for (;;) {
      auto eol = in_.find("\r\n");
      if (eol == std::string::npos) {
        if (in_.size() > 65536) throw smtp_failure(std::string(stage) + " bad-reply", "reply line too long", true);
        char chunk[16384];
        arm();
        std::size_t n = tls_ ? co_await stream_.async_read_some(asio::buffer(chunk), use_awaitable)
                             : co_await stream_.next_layer().async_read_some(asio::buffer(chunk), use_awaitable);
        disarm();
        in_.append(chunk, n);
        continue;
      }
      std::string line = in_.substr(0, eol);
      in_.erase(0, eol + 2);
      if (line.size() < 3 || !std::isdigit(static_cast<unsigned char>(line[0])) ||
          !std::isdigit(static_cast<unsigned char>(line[1])) || !std::isdigit(static_cast<unsigned char>(line[2])))
        throw smtp_failure(std::string(stage) + " bad-reply", "malformed reply: " + line, true);
      r.code = std::stoi(line.substr(0, 3));
      if (!r.text.empty()) r.text += " / ";
      r.text += line.size() > 4 ? line.substr(4) : "";
      if (line.size() == 3 || line[3] == ' ') co_return r;
      if (line[3] != '-') throw smtp_failure(std::string(stage) + " bad-reply", "malformed reply: " + line, true);
    }
  }

  template <class Buffers>
  awaitable<void> write(const Buffers& buffers, const char* stage) {
    stage_ = stage;
    arm();
    if (tls_) co_await asio::async_write(stream_, buffers, use_awaitable);
    else co_await asio::async_write(stream_.next_layer(), buffers, use_awaitable);
    disarm();
  }

  // Bytes the server sent that no command asked for yet (after 220 to STARTTLS they would be an injection).
  bool input_pending() const { return !in_.empty(); }
  const char* stage() const { return stage_; }
  bool timed_out() const { return timed_out_; }

  void close() {
    boost::system::error_code ec;
    stream_.next_layer().shutdown(tcp::socket::shutdown_both, ec);
    stream_.next_layer().close(ec);
    timer_.cancel();
  }

 private:
  void arm() {
    armed_ = true;
    deadline_ = clock_type::now() + std::chrono::duration_cast<clock_type::duration>(
                                        std::chrono::duration<double>(shared_.opt.timeout));
    timer_.expires_at(deadline_);
    // Runs on the session's strand: it only acts if the operation it guards is still pending and late.
    timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec || !armed_ || clock_type::now() < deadline_) return;
      timed_out_ = true;
      boost::system::error_code ignored;
      stream_.next_layer().cancel(ignored);
    });
  }
  void disarm() {
    armed_ = false;
    timer_.cancel();
  }

  shared_state& shared_;
  ssl::stream<tcp::socket> stream_;
  asio::steady_timer timer_;
  std::string in_;
  bool tls_ = false, armed_ = false, timed_out_ = false;
  clock_type::time_point deadline_{};
  const char* stage_ = "connect";
};

std::string classify_io_error(const connection& c, const std::exception& e, std::string& text) {
  text = e.what();
  std::string kind = "io-error";
  if (c.timed_out()) kind = "timeout";
  else if (auto* se = dynamic_cast<const boost::system::system_error*>(&e)) {
    auto code = se->code();
    if (code == asio::error::eof || code == asio::error::connection_reset || code == asio::ssl::error::stream_truncated)
      kind = "closed";
    else if (code.category() == asio::error::get_ssl_category()) kind = "tls-error";
    else if (code == asio::error::connection_refused) kind = "refused";
  }
  return std::string(c.stage()) + " " + kind;
}

class session {
 public:
  session(int id, shared_state& shared, tcp::resolver::results_type endpoints)
      : id_(id), shared_(shared), opt_(shared.opt), endpoints_(std::move(endpoints)) {}

  awaitable<void> run() {
    auto ex = co_await asio::this_coro::executor;
    std::optional<connection> conn;
    std::uint64_t on_this_connection = 0;
    bool need_rset = false;
    std::uint64_t index = 0;
    while (shared_.take(index)) {
      ++st_.attempted;
      try {
        if (!conn) {
          conn.emplace(ex, shared_);
          on_this_connection = 0;
          need_rset = false;
          co_await open(*conn);
        }
        bool ok = co_await transaction(*conn, index, need_rset);
        need_rset = opt_.rset || !ok;
        ++on_this_connection;
        if (opt_.per_connection != 0 && on_this_connection >= opt_.per_connection) {
          // The message is already counted: a failing QUIT only ends the connection.
          try {
            co_await quit(*conn);
          } catch (const std::exception&) {
          }
          conn->close();
          conn.reset();
        }
      } catch (const smtp_failure& f) {
        fail(f.key, f.what());
        if (f.close && conn) {
          conn->close();
          conn.reset();
        }
        need_rset = true;
      } catch (const std::exception& e) {
        std::string text;
        std::string key = conn ? classify_io_error(*conn, e, text) : std::string("setup error");
        fail(key, text.empty() ? e.what() : text);
        if (conn) {
          conn->close();
          conn.reset();
        }
      }
      if (!conn && opt_.duration > 0 && st_.failed > st_.accepted) {
        // The server refuses us: do not spin on connection attempts during a timed run.
        asio::steady_timer pause(ex, std::chrono::milliseconds(50));
        co_await pause.async_wait(use_awaitable);
      }
    }
    if (conn) {
      try {
        co_await quit(*conn);
      } catch (const std::exception&) {
      }
      conn->close();
    }
    std::lock_guard lock(shared_.mutex);
    shared_.total.merge(st_);
  }

 private:
  void fail(const std::string& key, const std::string& text) {
    ++st_.failed;
    shared_.live_failed.fetch_add(1, std::memory_order_relaxed);
    st_.fail(key, text);
  }

  awaitable<reply> command(connection& c, const std::string& line, const char* stage) {
    co_await c.write(asio::buffer(line), stage);
    co_return co_await c.read_reply(stage);
  }

  static smtp_failure failure_or(const std::optional<smtp_failure>& f, const reply& r, const char* stage) {
    if (f) return *f;
    return smtp_failure(std::string(stage) + " " + std::to_string(r.code), r.text, r.code == 421);
  }

  static void expect(const reply& r, int code, const char* stage, bool close = true) {
    if (r.code != code) throw smtp_failure(std::string(stage) + " " + std::to_string(r.code), r.text, close);
  }

  void read_ehlo(connection& c, const reply& r) {
    // Capabilities are the reply lines after the first; read_reply joined them with " / ".
    c.pipelining = false;
    c.size_ext = false;
    std::string upper;
    for (char ch : r.text) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    std::size_t pos = 0;
    while (pos <= upper.size()) {
      auto end = upper.find(" / ", pos);
      std::string cap = upper.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
      if (cap == "PIPELINING") c.pipelining = true;
      if (cap.rfind("SIZE", 0) == 0) c.size_ext = true;
      if (end == std::string::npos) break;
      pos = end + 3;
    }
  }

  awaitable<void> open(connection& c) {
    co_await c.connect(endpoints_);
    ++st_.connections;
    if (opt_.tls == tls_mode::implicit) {
      double ms = co_await c.handshake();
      st_.handshake_ms.push_back(ms);
      ++st_.handshakes;
    }
    auto greeting = co_await c.read_reply("greeting");
    expect(greeting, 220, "greeting");
    std::string ehlo = "EHLO " + opt_.ehlo + "\r\n";
    auto r = co_await command(c, ehlo, "EHLO");
    expect(r, 250, "EHLO");
    read_ehlo(c, r);
    if (opt_.tls == tls_mode::starttls) {
      std::string starttls = "STARTTLS\r\n";
      auto s = co_await command(c, starttls, "STARTTLS");
      expect(s, 220, "STARTTLS");
      if (c.input_pending())  // RFC 3207 §5 / CVE-2011-0411: nothing may follow 220 in plaintext
        throw smtp_failure("STARTTLS injection", "server sent data after 220 to STARTTLS", true);
      double ms = co_await c.handshake();
      st_.handshake_ms.push_back(ms);
      ++st_.handshakes;
      // deps.md §1 item 6: a TLS 1.3 client-certificate rejection shows up on this first read.
      auto r2 = co_await command(c, ehlo, "EHLO2");
      expect(r2, 250, "EHLO2");
      read_ehlo(c, r2);
    }
    if (opt_.auth != auth_mech::none) co_await authenticate(c);
    if (c.pipelining && opt_.pipelining) st_.pipelining_used = true;
  }

  awaitable<void> authenticate(connection& c) {
    std::string line;
    std::string abort_line = "\r\n";
    switch (opt_.auth) {
      case auth_mech::plain:  // RFC 4616
        line = "AUTH PLAIN " + base64(std::string(1, '\0') + opt_.user + std::string(1, '\0') + opt_.password);
        break;
      case auth_mech::xoauth2:  // Google's XOAUTH2: user=U^Aauth=Bearer T^A^A
        line = "AUTH XOAUTH2 " + base64("user=" + opt_.user + "\x01" "auth=Bearer " + opt_.token + "\x01\x01");
        break;
      case auth_mech::oauthbearer:  // RFC 7628 §3.1
        line = "AUTH OAUTHBEARER " + base64("n,a=" + opt_.user + ",\x01" "auth=Bearer " + opt_.token + "\x01\x01");
        abort_line = "AQ==\r\n";  // RFC 7628 §3.2.3: the client answers an error challenge with %x01
        break;
      case auth_mech::none:
        co_return;
    }
    line += "\r\n";
    auto r = co_await command(c, line, "AUTH");
    if (r.code == 334) r = co_await command(c, abort_line, "AUTH");
    expect(r, 235, "AUTH");
  }

  // One message. Returns true when accepted; a refusal that leaves the connection usable returns false after
  // recording it; anything else throws.
  awaitable<bool> transaction(connection& c, std::uint64_t index, bool need_rset) {
    std::vector<std::string> rcpts;
    std::uint64_t span = opt_.to_hi - opt_.to_lo + 1;
    for (int j = 0; j < opt_.rcpts; ++j)
      rcpts.push_back(expand(opt_.to, opt_.to_lo + (index * static_cast<std::uint64_t>(opt_.rcpts) + j) % span));
    std::string from = expand(opt_.from, index);
    std::string header = "From: <" + from + ">\r\nTo: <" + rcpts.front() + ">\r\nSubject: smtp_load " +
                         std::to_string(index) + "\r\nDate: " + shared_.date + "\r\nMessage-ID: <" +
                         shared_.run_id + "." + std::to_string(id_) + "." + std::to_string(index) +
                         "@smtp-load.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n";
    std::size_t message_bytes = header.size() + shared_.body.size() - 3;  // without the terminator
    std::string mail = "MAIL FROM:<" + from + ">";
    if (c.size_ext) mail += " SIZE=" + std::to_string(message_bytes);
    mail += "\r\n";

    const bool pipeline = c.pipelining && opt_.pipelining;
    int accepted_rcpts = 0;
    std::optional<smtp_failure> refusal;
    auto note = [&](const reply& r, int want, const char* stage) {
      if (r.code != want && !refusal) refusal.emplace(std::string(stage) + " " + std::to_string(r.code), r.text, r.code == 421);
    };
    reply data_reply;
    if (pipeline) {
      // RFC 2920 §3.1: RSET, MAIL, RCPT and DATA may be sent in one group; DATA ends it.
      std::string batch;
      if (need_rset) batch += "RSET\r\n";
      batch += mail;
      for (auto& r : rcpts) batch += "RCPT TO:<" + r + ">\r\n";
      batch += "DATA\r\n";
      co_await c.write(asio::buffer(batch), "MAIL");
      reply rset_reply{250, ""};
      if (need_rset) rset_reply = co_await c.read_reply("RSET");
      auto m = co_await c.read_reply("MAIL");
      note(m, 250, "MAIL");  // a refused MAIL says more than the RSET before it (e.g. both 530 without TLS)
      note(rset_reply, 250, "RSET");
      for (std::size_t j = 0; j < rcpts.size(); ++j) {
        auto r = co_await c.read_reply("RCPT");
        if (r.code == 250 || r.code == 251) ++accepted_rcpts;
        else {
          ++st_.rcpt_refused;
          note(r, 250, "RCPT");
        }
      }
      data_reply = co_await c.read_reply("DATA");
    } else {
      if (need_rset) {
        std::string rset = "RSET\r\n";
        auto r = co_await command(c, rset, "RSET");
        expect(r, 250, "RSET", r.code == 421);
      }
      auto m = co_await command(c, mail, "MAIL");
      expect(m, 250, "MAIL", m.code == 421);
      for (auto& rc : rcpts) {
        std::string line = "RCPT TO:<" + rc + ">\r\n";
        auto r = co_await command(c, line, "RCPT");
        if (r.code == 250 || r.code == 251) ++accepted_rcpts;
        else {
          ++st_.rcpt_refused;
          note(r, 250, "RCPT");
          if (r.code == 421) throw failure_or(refusal, r, "RCPT");
        }
      }
      if (accepted_rcpts == 0) throw failure_or(refusal, reply{}, "RCPT");
      std::string data = "DATA\r\n";
      data_reply = co_await command(c, data, "DATA");
    }
    if (data_reply.code != 354) {
      if (refusal && accepted_rcpts == 0) throw failure_or(refusal, data_reply, "DATA");  // the cause, not DATA's "no valid recipients"
      expect(data_reply, 354, "DATA", data_reply.code == 421);
    }
    if (accepted_rcpts == 0) {
      // DATA was accepted although nothing else was: end the empty transaction cleanly.
      std::string dot = ".\r\n";
      auto r = co_await command(c, dot, "DOT");
      throw failure_or(refusal, r, "DOT");
    }
    std::array<asio::const_buffer, 2> buffers{asio::buffer(header), asio::buffer(shared_.body)};
    co_await c.write(buffers, "DOT");
    auto t0 = clock_type::now();  // the terminator has been handed to the kernel
    auto final_reply = co_await c.read_reply("DOT");
    double ms = std::chrono::duration<double, std::milli>(clock_type::now() - t0).count();
    if (final_reply.code / 100 == 2) {
      ++st_.accepted;
      shared_.live_accepted.fetch_add(1, std::memory_order_relaxed);
      st_.bytes_accepted += message_bytes;
      st_.latency_ms.push_back(ms);
      co_return true;
    }
    expect(final_reply, 250, "DOT", final_reply.code == 421);
    co_return false;
  }

  awaitable<void> quit(connection& c) {
    std::string line = "QUIT\r\n";
    co_await c.write(asio::buffer(line), "QUIT");
    auto r = co_await c.read_reply("QUIT");
    (void)r;
    c.close();
  }

  int id_;
  shared_state& shared_;
  const options& opt_;
  tcp::resolver::results_type endpoints_;
  stats st_;
};

double percentile(std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  return sorted[std::min(sorted.size() - 1, rank == 0 ? 0 : rank - 1)];
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (unsigned char ch : s) {
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += static_cast<char>(ch);
    } else if (ch < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", ch);
      out += buf;
    } else out += static_cast<char>(ch);
  }
  return out + "\"";
}

std::string rfc5322_date() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  options opt = parse_options(argc, argv);

  ssl::context tls(ssl::context::tls_client);
  try {
    tls.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                    ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::no_compression);
    if (opt.tls_version == "1.2") {
      SSL_CTX_set_min_proto_version(tls.native_handle(), TLS1_2_VERSION);
      SSL_CTX_set_max_proto_version(tls.native_handle(), TLS1_2_VERSION);
    } else if (opt.tls_version == "1.3") {
      SSL_CTX_set_min_proto_version(tls.native_handle(), TLS1_3_VERSION);
    }
    if (!opt.cert.empty()) {
      tls.use_certificate_chain_file(opt.cert);
      tls.use_private_key_file(opt.key, ssl::context::pem);
    }
    if (!opt.ca.empty()) {
      tls.load_verify_file(opt.ca);
      tls.set_verify_mode(ssl::verify_peer);
    } else {
      tls.set_verify_mode(ssl::verify_none);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "smtp_load: TLS setup: %s\n", e.what());
    return 2;
  }

  asio::io_context ioc(opt.threads);
  tcp::resolver::results_type endpoints;
  try {
    tcp::resolver resolver(ioc);
    endpoints = resolver.resolve(opt.host, opt.port);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "smtp_load: cannot resolve %s:%s: %s\n", opt.host.c_str(), opt.port.c_str(), e.what());
    return 2;
  }

  shared_state shared(opt, tls);
  shared.body = make_body(opt.size > 400 ? opt.size - 300 : 100);  // ~300 bytes of headers per message
  shared.date = rfc5322_date();
  shared.run_id = std::to_string(std::time(nullptr)) + "." + std::to_string(::getpid());

  auto t0 = clock_type::now();
  if (opt.duration > 0)
    shared.deadline = t0 + std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(opt.duration));
  std::vector<std::unique_ptr<session>> sessions;
  std::atomic<int> running{opt.sessions};
  std::atomic<bool> crashed{false};
  std::atomic<clock_type::rep> t_end{0};
  auto tick_strand = asio::make_strand(ioc);
  std::optional<asio::steady_timer> ticker;
  for (int i = 0; i < opt.sessions; ++i) {
    sessions.push_back(std::make_unique<session>(i, shared, endpoints));
    auto strand = asio::make_strand(ioc);
    // deps.md §1 item 5: never `detached`; an exception here is a bug in this program.
    asio::co_spawn(strand, sessions.back()->run(), [&](std::exception_ptr e) {
      if (e) {
        crashed = true;
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          std::fprintf(stderr, "smtp_load: session crashed: %s\n", ex.what());
        }
      }
      if (--running == 0) {  // the run ends here, not when the progress ticker notices
        t_end = (clock_type::now() - t0).count();
        asio::post(tick_strand, [&] {
          if (ticker) ticker->cancel();
        });
      }
    });
  }
  std::function<void(const boost::system::error_code&)> tick;
  if (opt.progress) {
    ticker.emplace(tick_strand, std::chrono::seconds(1));
    tick = [&](const boost::system::error_code& ec) {
      if (ec || running == 0) return;
      double s = std::chrono::duration<double>(clock_type::now() - t0).count();
      std::fprintf(stderr, "smtp_load: %.0f s: %" PRIu64 " accepted, %" PRIu64 " failed\n", s,
                   shared.live_accepted.load(), shared.live_failed.load());
      ticker->expires_after(std::chrono::seconds(1));
      ticker->async_wait(tick);
    };
    ticker->async_wait(tick);
  }
  std::vector<std::thread> threads;
  for (int i = 1; i < opt.threads; ++i) threads.emplace_back([&] { ioc.run(); });
  ioc.run();
  for (auto& t : threads) t.join();
  double elapsed = std::chrono::duration<double>(clock_type::duration(t_end.load())).count();

  stats& s = shared.total;
  std::sort(s.latency_ms.begin(), s.latency_ms.end());
  double lat_mean = 0;
  for (double v : s.latency_ms) lat_mean += v;
  if (!s.latency_ms.empty()) lat_mean /= static_cast<double>(s.latency_ms.size());
  double hs_mean = 0, hs_max = 0;
  for (double v : s.handshake_ms) {
    hs_mean += v;
    hs_max = std::max(hs_max, v);
  }
  if (!s.handshake_ms.empty()) hs_mean /= static_cast<double>(s.handshake_ms.size());
  double rate = elapsed > 0 ? static_cast<double>(s.accepted) / elapsed : 0;
  double mbps = elapsed > 0 ? static_cast<double>(s.bytes_accepted) / elapsed / 1e6 : 0;
  double p50 = percentile(s.latency_ms, 0.50), p90 = percentile(s.latency_ms, 0.90),
         p99 = percentile(s.latency_ms, 0.99), pmax = s.latency_ms.empty() ? 0 : s.latency_ms.back();
  const char* mode = opt.tls == tls_mode::starttls ? "starttls" : opt.tls == tls_mode::implicit ? "implicit" : "none";

  if (opt.json) {
    std::string failures = "{";
    for (auto& [k, v] : s.failures) {
      if (failures.size() > 1) failures += ",";
      failures += json_string(k) + ":" + std::to_string(v);
    }
    failures += "}";
    std::string examples = "{";
    for (auto& [k, v] : s.examples) {
      if (examples.size() > 1) examples += ",";
      examples += json_string(k) + ":" + json_string(v);
    }
    examples += "}";
    std::printf(
        "{\"host\":%s,\"port\":%s,\"tls\":\"%s\",\"sessions\":%d,\"size\":%zu,\"rcpts\":%d,\"pipelining\":%s,"
        "\"attempted\":%" PRIu64 ",\"accepted\":%" PRIu64 ",\"failed\":%" PRIu64 ",\"rcpt_refused\":%" PRIu64
        ",\"failures\":%s,\"failure_examples\":%s,\"elapsed_s\":%.6f,\"msg_per_s\":%.3f,\"mb_per_s\":%.3f,"
        "\"latency_ms\":{\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,\"max\":%.3f,\"mean\":%.3f},"
        "\"connections\":%" PRIu64 ",\"handshakes\":%" PRIu64 ",\"handshake_ms\":{\"mean\":%.3f,\"max\":%.3f}}\n",
        json_string(opt.host).c_str(), json_string(opt.port).c_str(), mode, opt.sessions, opt.size, opt.rcpts,
        s.pipelining_used ? "true" : "false", s.attempted, s.accepted, s.failed, s.rcpt_refused, failures.c_str(),
        examples.c_str(), elapsed, rate, mbps, p50, p90, p99, pmax, lat_mean, s.connections, s.handshakes, hs_mean,
        hs_max);
  } else {
    std::printf("smtp_load: %s:%s, TLS %s%s%s, %d sessions, %zu-byte messages, %d recipient(s) each%s%s\n",
                opt.host.c_str(), opt.port.c_str(), mode, opt.cert.empty() ? "" : " with client certificate",
                opt.tls == tls_mode::none ? "" : (opt.ca.empty() ? ", server not verified" : ", server verified"),
                opt.sessions, opt.size, opt.rcpts, s.pipelining_used ? ", PIPELINING" : "",
                opt.rset ? ", RSET between messages" : "");
    std::printf("  messages     %" PRIu64 " attempted, %" PRIu64 " accepted, %" PRIu64 " failed", s.attempted,
                s.accepted, s.failed);
    if (s.rcpt_refused) std::printf(" (%" PRIu64 " recipients refused)", s.rcpt_refused);
    std::printf("\n");
    for (auto& [k, v] : s.failures)
      std::printf("  failure      %-18s x%" PRIu64 "  e.g. \"%s\"\n", k.c_str(), v, s.examples[k].c_str());
    std::printf("  elapsed      %.3f s\n", elapsed);
    std::printf("  throughput   %.1f msg/s, %.2f MB/s (accepted message bytes, 1 MB = 10^6 B)\n", rate, mbps);
    std::printf("  latency      end of DATA -> reply: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms, mean %.2f ms\n",
                p50, p90, p99, pmax, lat_mean);
    std::printf("  connections  %" PRIu64 " opened, %" PRIu64 " TLS handshakes (mean %.2f ms, max %.2f ms)\n",
                s.connections, s.handshakes, hs_mean, hs_max);
  }
  std::fflush(stdout);
  if (crashed) return 1;
  if (s.attempted == 0 || s.accepted == 0) return 1;
  double fail_ratio = static_cast<double>(s.failed) / static_cast<double>(s.attempted);
  return fail_ratio > opt.max_fail ? 1 : 0;
}
