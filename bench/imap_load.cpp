// IMAP load generator (issue 5, "Benchmark"): N concurrent clients doing a realistic mix, or M idle IDLE
// connections for memory measurements. It speaks to any IMAP server (mssgw, Dovecot), plaintext, STARTTLS or
// implicit TLS.
//
// --mode mix (default): each client runs full sessions one after another until --duration ends:
//   connect, LOGIN, SELECT INBOX, UID FETCH 1:* (UID FLAGS headers: From To Subject Date) [FETCH headers],
//   UID FETCH of 3 random UIDs (BODY.PEEK[]) [FETCH bodies], UID STORE +FLAGS (\Seen or \Flagged) [STORE],
//   UID SEARCH (SUBJECT word, or UNSEEN) [SEARCH], APPEND of one --size message (LITERAL+ when offered) [APPEND],
//   UID STORE +FLAGS (\Deleted) on the oldest message then EXPUNGE [EXPUNGE] (the mailbox keeps its size),
//   IDLE then DONE [IDLE], LOGOUT. 11 commands per session.
//   Before the timed run, --populate K gives every user K messages (skipped when the INBOX holds K already).
// --mode idle: opens --connections M connections (at most 100 handshakes in flight), each LOGIN, SELECT INBOX, IDLE;
//   prints "READY <n>" on stdout once all are idling, then holds them until stdin is closed or --hold seconds pass.
//
// Users: client i logs in as --user with %d replaced by (i mod --users) + 1, with --password.
// Output: sessions and commands per second, command latencies (p50/p99 by command), failures by command and
// status; --json prints one JSON object. Exit status 0; 1 when something failed; 2 for usage errors.
//
// One io_context on --threads threads (default 1); each client is one coroutine on its own strand.
#include "common/asio.hpp"

#pragma GCC diagnostic ignored "-Wmismatched-new-delete"  // Asio's frame allocator (see bench/smtp_load.cpp)

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace asio = mssgw::asio;
namespace ssl = asio::ssl;
using asio::awaitable;
using asio::use_awaitable;
using tcp = asio::ip::tcp;
using steady = std::chrono::steady_clock;

namespace {

enum class tls_mode { none, starttls, implicit };

struct options {
  std::string host = "127.0.0.1";
  std::string port = "143";
  tls_mode tls = tls_mode::none;
  std::string ca;
  std::string mode = "mix";
  int clients = 20;
  int users = 0;  // 0: as many as clients
  std::string user = "u%d@bench.test";
  std::string password = "secret";
  double duration = 20;
  int populate = 50;
  std::size_t size = 4096;
  int connections = 1000;
  double hold = 0;  // idle mode: 0 = until stdin closes
  int threads = 1;
  bool json = false;
};

struct stats {
  std::mutex mutex;
  std::map<std::string, std::vector<double>> latency_ms;  // by command
  std::map<std::string, std::uint64_t> failures;          // "COMMAND status"
  std::string example_failure;
  std::uint64_t sessions = 0;
  std::uint64_t commands = 0;
  void merge(std::map<std::string, std::vector<double>>& l, std::map<std::string, std::uint64_t>& f,
             std::uint64_t s, std::uint64_t c, const std::string& example) {
    std::lock_guard lock(mutex);
    for (auto& [k, v] : l) latency_ms[k].insert(latency_ms[k].end(), v.begin(), v.end());
    for (auto& [k, v] : f) failures[k] += v;
    sessions += s;
    commands += c;
    if (example_failure.empty()) example_failure = example;
  }
};

std::string user_name(const options& o, int i) {
  std::string u = o.user;
  const int users = o.users > 0 ? o.users : o.clients;
  if (auto p = u.find("%d"); p != std::string::npos) u.replace(p, 2, std::to_string(i % users + 1));
  return u;
}

std::string make_message(std::size_t size, std::uint64_t n, std::mt19937_64& rng) {
  static const char* words[] = {"compte-rendu", "consultation", "patient", "ordonnance", "biologie", "radiologie",
                                "cardiologie", "urgence", "resultats", "hospitalisation", "courrier", "avis"};
  std::string subject = std::string(words[rng() % 12]) + " " + words[rng() % 12] + " " + std::to_string(n);
  std::string m = "From: Dr Bench <bench" + std::to_string(rng() % 50) + "@beta.mssante.test>\r\nTo: user@bench.test\r\n"
                  "Subject: " + subject + "\r\nDate: Tue, 1 Jul 2025 10:52:37 +0200\r\nMessage-ID: <" +
                  std::to_string(n) + "." + std::to_string(rng()) + "@bench>\r\nMIME-Version: 1.0\r\n"
                  "Content-Type: text/plain; charset=utf-8\r\n\r\n";
  while (m.size() + 2 < size) {
    std::string line;
    while (line.size() < 70) line += std::string(words[rng() % 12]) + " ";
    m += line + "\r\n";
  }
  return m;
}

// One IMAP connection: writes commands, reads responses (literals included) up to the tagged line.
class connection {
 public:
  connection(asio::any_io_executor ex, const options& o, ssl::context* ctx) : socket_(ex), timer_(ex), o_(o), ctx_(ctx) {}

  awaitable<bool> open() {
    tcp::resolver resolver(socket_.get_executor());
    auto endpoints = co_await resolver.async_resolve(o_.host, o_.port, use_awaitable);
    boost::system::error_code ec;
    co_await asio::async_connect(socket_, endpoints, asio::redirect_error(use_awaitable, ec));
    if (ec) co_return false;
    socket_.set_option(tcp::no_delay(true));
    if (o_.tls == tls_mode::implicit && !co_await handshake()) co_return false;
    std::string greeting = co_await read_line();
    if (greeting.rfind("* OK", 0) != 0) co_return false;
    capabilities_ = greeting;
    if (o_.tls == tls_mode::starttls) {
      auto r = co_await command("STARTTLS");
      if (r.status != "OK" || !co_await handshake()) co_return false;
    }
    co_return true;
  }

  struct response {
    std::string status;  // OK, NO, BAD, or "error"
    std::string text;    // everything received, untagged lines included
  };

  awaitable<response> command(std::string_view text, std::string_view literal = {}, bool sync_literal = false) {
    const std::string tag = "t" + std::to_string(++tag_);
    std::string out = tag + " " + std::string(text);
    if (!literal.empty()) {
      out += " {" + std::to_string(literal.size()) + (sync_literal ? "}" : "+}") + "\r\n";
      if (sync_literal) {
        co_await write(out);
        std::string cont = co_await read_line();
        if (cont.empty() || cont[0] != '+') co_return response{"error", cont};
        out.clear();
      }
      out.append(literal);
    }
    out += "\r\n";
    co_await write(out);
    co_return co_await read_tagged(tag);
  }

  awaitable<response> read_tagged(const std::string& tag) {
    response r;
    for (;;) {
      std::string line = co_await read_line();
      if (failed_) {
        r.status = "error";
        co_return r;
      }
      // A literal at the end of a line: its octets, then the rest of the response line.
      while (line.size() > 2 && line.back() == '}') {
        const auto open = line.rfind('{');
        if (open == std::string::npos) break;
        const std::size_t n = std::strtoull(line.c_str() + open + 1, nullptr, 10);
        r.text += line;
        r.text += "\r\n";
        std::string data = co_await read_exact(n);
        r.text += data;
        line = co_await read_line();
        if (failed_) {
          r.status = "error";
          co_return r;
        }
      }
      r.text += line;
      r.text += "\r\n";
      if (line.compare(0, tag.size() + 1, tag + " ") == 0) {
        const auto sp = line.find(' ', tag.size() + 1);
        r.status = line.substr(tag.size() + 1, sp == std::string::npos ? sp : sp - tag.size() - 1);
        co_return r;
      }
    }
  }

  awaitable<void> write(std::string_view data) {
    boost::system::error_code ec;
    arm();
    if (tls_) {
      co_await asio::async_write(*tls_, asio::buffer(data), asio::redirect_error(use_awaitable, ec));
    } else {
      co_await asio::async_write(socket_, asio::buffer(data), asio::redirect_error(use_awaitable, ec));
    }
    timer_.cancel();
    if (ec) failed_ = true;
  }

  awaitable<std::string> read_line() {
    for (;;) {
      auto pos = buf_.find("\r\n");
      if (pos != std::string::npos) {
        std::string line = buf_.substr(0, pos);
        buf_.erase(0, pos + 2);
        co_return line;
      }
      if (!co_await fill()) co_return std::string();
    }
  }

  awaitable<std::string> read_exact(std::size_t n) {
    while (buf_.size() < n) {
      if (!co_await fill()) co_return std::string();
    }
    std::string out = buf_.substr(0, n);
    buf_.erase(0, n);
    co_return out;
  }

  void close() {
    boost::system::error_code ec;
    socket_.close(ec);
  }
  bool failed() const { return failed_; }
  const std::string& capabilities() const { return capabilities_; }
  tcp::socket& socket() { return socket_; }

 private:
  void arm() {
    timer_.expires_after(std::chrono::seconds(60));
    timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      boost::system::error_code ignored;
      socket_.cancel(ignored);
    });
  }

  awaitable<bool> fill() {
    if (failed_) co_return false;
    char chunk[16384];
    boost::system::error_code ec;
    std::size_t n = 0;
    if (tls_) {
      n = co_await tls_->async_read_some(asio::buffer(chunk), asio::redirect_error(use_awaitable, ec));
    } else {
      n = co_await socket_.async_read_some(asio::buffer(chunk), asio::redirect_error(use_awaitable, ec));
    }
    if (ec) {
      failed_ = true;
      co_return false;
    }
    buf_.append(chunk, n);
    co_return true;
  }

  awaitable<bool> handshake() {
    tls_ = std::make_unique<ssl::stream<tcp::socket&>>(socket_, *ctx_);
    boost::system::error_code ec;
    co_await tls_->async_handshake(ssl::stream_base::client, asio::redirect_error(use_awaitable, ec));
    co_return !ec;
  }

  tcp::socket socket_;
  asio::steady_timer timer_;
  const options& o_;
  ssl::context* ctx_;
  std::unique_ptr<ssl::stream<tcp::socket&>> tls_;
  std::string buf_;
  std::string capabilities_;
  std::uint64_t tag_ = 0;
  bool failed_ = false;
};

std::vector<std::uint32_t> uids_in(const std::string& text) {
  std::vector<std::uint32_t> out;
  std::size_t pos = 0;
  while ((pos = text.find("UID ", pos)) != std::string::npos) {
    pos += 4;
    out.push_back(static_cast<std::uint32_t>(std::strtoul(text.c_str() + pos, nullptr, 10)));
  }
  return out;
}

struct client_state {
  std::map<std::string, std::vector<double>> latency;
  std::map<std::string, std::uint64_t> failures;
  std::uint64_t sessions = 0, commands = 0;
  std::string example;
};

awaitable<connection::response> timed(client_state& st, connection& c, const char* name, std::string_view text,
                                      std::string_view literal = {}, bool sync_literal = false) {
  const auto t0 = steady::now();
  auto r = co_await c.command(text, literal, sync_literal);
  const double ms = std::chrono::duration<double, std::milli>(steady::now() - t0).count();
  ++st.commands;
  if (r.status == "OK") {
    st.latency[name].push_back(ms);
  } else {
    ++st.failures[std::string(name) + " " + r.status];
    if (st.example.empty()) st.example = std::string(name) + ": " + r.text.substr(0, 300);
  }
  co_return r;
}

awaitable<void> populate(const options& o, ssl::context* ctx, int index, std::atomic<int>& failed) {
  connection c(co_await asio::this_coro::executor, o, ctx);
  if (!co_await c.open()) {
    ++failed;
    co_return;
  }
  auto login = co_await c.command("LOGIN \"" + user_name(o, index) + "\" \"" + o.password + "\"");
  if (login.status != "OK") {
    ++failed;
    co_return;
  }
  auto status = co_await c.command("STATUS INBOX (MESSAGES)");
  const auto p = status.text.find("MESSAGES ");
  const int have = p == std::string::npos ? 0 : std::atoi(status.text.c_str() + p + 9);
  std::mt19937_64 rng(static_cast<std::uint64_t>(index) * 7919u);
  for (int i = have; i < o.populate; ++i) {
    std::string m = make_message(o.size, static_cast<std::uint64_t>(i), rng);
    auto r = co_await c.command("APPEND INBOX", m, true);
    if (r.status != "OK") {
      ++failed;
      break;
    }
  }
  co_await c.command("LOGOUT");
  c.close();
}

awaitable<void> run_client(const options& o, ssl::context* ctx, int index, steady::time_point end, stats& total) {
  client_state st;
  std::mt19937_64 rng(static_cast<std::uint64_t>(index) * 104729u + 1);
  std::uint64_t appended = 0;
  auto ex = co_await asio::this_coro::executor;
  while (steady::now() < end) {
    connection c(ex, o, ctx);
    if (!co_await c.open()) {
      ++st.failures["CONNECT error"];
      asio::steady_timer wait(ex, std::chrono::milliseconds(100));
      co_await wait.async_wait(use_awaitable);
      continue;
    }
    const bool literal_plus = c.capabilities().find("LITERAL+") != std::string::npos;
    const std::string login_cmd = "LOGIN \"" + user_name(o, index) + "\" \"" + o.password + "\"";
    auto r = co_await timed(st, c, "LOGIN", login_cmd);
    if (r.status != "OK") {
      c.close();
      continue;
    }
    r = co_await timed(st, c, "SELECT", "SELECT INBOX");
    auto headers = co_await timed(st, c, "FETCH_HEADERS", "UID FETCH 1:* (UID FLAGS BODY.PEEK[HEADER.FIELDS (FROM TO SUBJECT DATE)])");
    std::vector<std::uint32_t> uids = uids_in(headers.text);
    if (!uids.empty()) {
      std::string set;
      for (int i = 0; i < 3; ++i) set += (i ? "," : "") + std::to_string(uids[rng() % uids.size()]);
      co_await timed(st, c, "FETCH_BODIES", "UID FETCH " + set + " (BODY.PEEK[])");
      const std::string flag = rng() % 2 ? "\\Seen" : "\\Flagged";
      co_await timed(st, c, "STORE", "UID STORE " + std::to_string(uids[rng() % uids.size()]) + " +FLAGS (" + flag + ")");
    }
    static const char* needles[] = {"ordonnance", "radiologie", "urgence", "avis"};
    const std::string search = rng() % 2 ? "UID SEARCH UNSEEN" : "UID SEARCH SUBJECT " + std::string(needles[rng() % 4]);
    co_await timed(st, c, "SEARCH", search);
    std::string m = make_message(o.size, 1000000 + appended++, rng);
    co_await timed(st, c, "APPEND", "APPEND INBOX", m, !literal_plus);
    if (!uids.empty()) {
      co_await timed(st, c, "STORE_DELETED", "UID STORE " + std::to_string(uids.front()) + " +FLAGS.SILENT (\\Deleted)");
      co_await timed(st, c, "EXPUNGE", "EXPUNGE");
    }
    {
      const auto t0 = steady::now();
      co_await c.write("ti IDLE\r\n");
      std::string cont = co_await c.read_line();
      co_await c.write("DONE\r\n");
      auto done = co_await c.read_tagged("ti");
      ++st.commands;
      if (done.status == "OK" && !cont.empty() && cont[0] == '+') {
        st.latency["IDLE"].push_back(std::chrono::duration<double, std::milli>(steady::now() - t0).count());
      } else {
        ++st.failures["IDLE " + done.status];
      }
    }
    r = co_await timed(st, c, "LOGOUT", "LOGOUT");
    if (!c.failed()) ++st.sessions;
    c.close();
  }
  total.merge(st.latency, st.failures, st.sessions, st.commands, st.example);
}

awaitable<void> idle_client(const options& o, ssl::context* ctx, int index, std::atomic<int>& ready,
                            std::atomic<int>& failed, std::shared_ptr<asio::steady_timer> release) {
  auto ex = co_await asio::this_coro::executor;
  connection c(ex, o, ctx);
  bool ok = co_await c.open();
  if (ok) ok = (co_await c.command("LOGIN \"" + user_name(o, index) + "\" \"" + o.password + "\"")).status == "OK";
  if (ok) ok = (co_await c.command("SELECT INBOX")).status == "OK";
  if (ok) {
    co_await c.write("ti IDLE\r\n");
    std::string cont = co_await c.read_line();
    ok = !cont.empty() && cont[0] == '+';
  }
  if (ok) {
    ++ready;
  } else {
    ++failed;
  }
  boost::system::error_code ec;
  co_await release->async_wait(asio::redirect_error(use_awaitable, ec));
  c.close();
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * (v.size() - 1) + 0.5))];
}

int usage(const char* why) {
  std::fprintf(stderr,
               "%s\nusage: bench_imap_load [--host H] [--port P] [--tls none|starttls|implicit] [--ca FILE]\n"
               "  [--mode mix|idle] [--clients N] [--users N] [--user PATTERN] [--password P] [--duration S]\n"
               "  [--populate K] [--size BYTES] [--connections M] [--hold S] [--threads T] [--json]\n",
               why);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error("missing value for " + a);
      return argv[++i];
    };
    try {
      if (a == "--host") o.host = next();
      else if (a == "--port") o.port = next();
      else if (a == "--tls") {
        std::string t = next();
        o.tls = t == "starttls" ? tls_mode::starttls : t == "implicit" ? tls_mode::implicit : tls_mode::none;
      } else if (a == "--ca") o.ca = next();
      else if (a == "--mode") o.mode = next();
      else if (a == "--clients") o.clients = std::stoi(next());
      else if (a == "--users") o.users = std::stoi(next());
      else if (a == "--user") o.user = next();
      else if (a == "--password") o.password = next();
      else if (a == "--duration") o.duration = std::stod(next());
      else if (a == "--populate") o.populate = std::stoi(next());
      else if (a == "--size") o.size = std::stoul(next());
      else if (a == "--connections") o.connections = std::stoi(next());
      else if (a == "--hold") o.hold = std::stod(next());
      else if (a == "--threads") o.threads = std::stoi(next());
      else if (a == "--json") o.json = true;
      else return usage(("unknown option " + a).c_str());
    } catch (const std::exception& e) {
      return usage(e.what());
    }
  }
  std::unique_ptr<ssl::context> ctx;
  if (o.tls != tls_mode::none) {
    ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
    if (!o.ca.empty()) {
      ctx->load_verify_file(o.ca);
      ctx->set_verify_mode(ssl::verify_peer);
    }
  }
  asio::io_context io;
  auto run_io = [&] {
    std::vector<std::thread> pool;
    for (int t = 1; t < o.threads; ++t) pool.emplace_back([&] { io.run(); });
    io.run();
    for (auto& t : pool) t.join();
    io.restart();
  };
  auto on_error = [](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      std::fprintf(stderr, "client crashed: %s\n", ex.what());
    }
  };

  if (o.mode == "idle") {
    std::atomic<int> ready{0}, failed{0};
    auto release = std::make_shared<asio::steady_timer>(io, steady::time_point::max());
    asio::co_spawn(io, [&]() -> awaitable<void> {
      // At most 100 connections in their setup at once (a burst of 1,000 handshakes would only measure the
      // accept queue).
      int started = 0;
      while (ready.load() + failed.load() < o.connections) {
        while (started < o.connections && started - ready.load() - failed.load() < 100) {
          asio::co_spawn(asio::make_strand(io), idle_client(o, ctx.get(), started, ready, failed, release), on_error);
          ++started;
        }
        asio::steady_timer t(io, std::chrono::milliseconds(10));
        co_await t.async_wait(use_awaitable);
      }
      std::printf("READY %d failed %d\n", ready.load(), failed.load());
      std::fflush(stdout);
      if (o.hold > 0) {
        asio::steady_timer t(io, std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>(o.hold)));
        co_await t.async_wait(use_awaitable);
      } else {
        std::thread([&io, release] {
          std::string line;
          while (std::getline(std::cin, line)) {
          }
          asio::post(io, [release] { release->cancel(); });
        }).detach();
        co_return;
      }
      release->cancel();
    }, on_error);
    run_io();
    return failed.load() ? 1 : 0;
  }

  // Mix: populate, then the timed run.
  if (o.populate > 0) {
    std::atomic<int> failed{0};
    const int users = o.users > 0 ? o.users : o.clients;
    for (int i = 0; i < users; ++i) asio::co_spawn(asio::make_strand(io), populate(o, ctx.get(), i, failed), on_error);
    const auto t0 = steady::now();
    run_io();
    if (failed) {
      std::fprintf(stderr, "populate: %d users failed\n", failed.load());
      return 1;
    }
    if (!o.json) {
      std::printf("populated %d users with %d messages in %.1f s\n", users, o.populate,
                  std::chrono::duration<double>(steady::now() - t0).count());
    }
  }
  stats total;
  const auto t0 = steady::now();
  const auto end = t0 + std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>(o.duration));
  for (int i = 0; i < o.clients; ++i) {
    asio::co_spawn(asio::make_strand(io), run_client(o, ctx.get(), i, end, total), on_error);
  }
  run_io();
  const double elapsed = std::chrono::duration<double>(steady::now() - t0).count();
  std::uint64_t failures = 0;
  for (const auto& [k, v] : total.failures) failures += v;
  if (o.json) {
    std::printf("{\"clients\":%d,\"elapsed\":%.3f,\"sessions\":%llu,\"commands\":%llu,\"sessions_per_s\":%.1f,"
                "\"commands_per_s\":%.1f,\"failures\":%llu,\"latency_ms\":{",
                o.clients, elapsed, static_cast<unsigned long long>(total.sessions),
                static_cast<unsigned long long>(total.commands), total.sessions / elapsed, total.commands / elapsed,
                static_cast<unsigned long long>(failures));
    bool first = true;
    for (const auto& [k, v] : total.latency_ms) {
      std::printf("%s\"%s\":{\"p50\":%.2f,\"p99\":%.2f,\"n\":%zu}", first ? "" : ",", k.c_str(), percentile(v, 0.5),
                  percentile(v, 0.99), v.size());
      first = false;
    }
    std::printf("}}\n");
  } else {
    std::printf("clients %d, %.1f s: %llu sessions (%.1f/s), %llu commands (%.1f/s), %llu failures\n", o.clients,
                elapsed, static_cast<unsigned long long>(total.sessions), total.sessions / elapsed,
                static_cast<unsigned long long>(total.commands), total.commands / elapsed,
                static_cast<unsigned long long>(failures));
    for (const auto& [k, v] : total.latency_ms) {
      std::printf("  %-14s p50 %7.2f ms  p99 %7.2f ms  (%zu)\n", k.c_str(), percentile(v, 0.5), percentile(v, 0.99),
                  v.size());
    }
    for (const auto& [k, v] : total.failures) std::printf("  failed %-20s %llu\n", k.c_str(), static_cast<unsigned long long>(v));
    if (!total.example_failure.empty()) std::printf("  example: %s\n", total.example_failure.c_str());
  }
  return failures ? 1 : 0;
}
