// The c-ares resolver against a tiny scripted DNS server on 127.0.0.1 (UDP): MX order, implicit MX, null MX,
// NXDOMAIN and dangling MX hosts (temporary), static-route host lookups.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <map>
#include <thread>

#include "smtp/queue/resolver.hpp"

using namespace mssgw::smtp::queue;
using namespace std::chrono_literals;

namespace {

// Answers A, AAAA and MX questions from a fixed zone; NXDOMAIN for unknown names; no answer (NODATA) for a known
// name without records of the type asked.
class fake_dns {
 public:
  struct records {
    std::vector<std::pair<std::uint16_t, std::string>> mx;  // preference, exchange ("" for the null MX)
    std::vector<std::string> a;
  };

  explicit fake_dns(std::map<std::string, records> zone) : zone_(std::move(zone)) {
    fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~fake_dns() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  int queries() const { return queries_.load(); }

 private:
  static void put16(std::string& s, std::uint16_t v) {
    s.push_back(static_cast<char>(v >> 8));
    s.push_back(static_cast<char>(v & 0xff));
  }
  static void put_name(std::string& s, const std::string& name) {
    std::size_t pos = 0;
    while (pos < name.size()) {
      auto dot = name.find('.', pos);
      if (dot == std::string::npos) dot = name.size();
      s.push_back(static_cast<char>(dot - pos));
      s.append(name, pos, dot - pos);
      pos = dot + 1;
    }
    s.push_back('\0');
  }

  void serve() {
    char buf[1500];
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      sockaddr_in from{};
      socklen_t len = sizeof from;
      auto n = ::recvfrom(fd_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
      if (n < 17) continue;
      ++queries_;
      std::string q(buf, static_cast<std::size_t>(n));
      // Question: labels from offset 12.
      std::string name;
      std::size_t pos = 12;
      while (pos < q.size() && q[pos] != 0) {
        auto l = static_cast<std::size_t>(static_cast<unsigned char>(q[pos]));
        if (!name.empty()) name += '.';
        name.append(q, pos + 1, l);
        pos += l + 1;
      }
      ++pos;
      const std::uint16_t qtype = static_cast<std::uint16_t>((static_cast<unsigned char>(q[pos]) << 8) |
                                                             static_cast<unsigned char>(q[pos + 1]));
      const std::size_t question_end = pos + 4;
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      auto it = zone_.find(name);
      std::string answers;
      int count = 0;
      int rcode = it == zone_.end() ? 3 : 0;  // NXDOMAIN
      if (it != zone_.end()) {
        if (qtype == 15) {
          for (const auto& [pref, host] : it->second.mx) {
            std::string rdata;
            put16(rdata, pref);
            put_name(rdata, host);
            answers += "\xc0\x0c";
            put16(answers, 15);
            put16(answers, 1);
            answers += std::string("\0\0\0\x3c", 4);
            put16(answers, static_cast<std::uint16_t>(rdata.size()));
            answers += rdata;
            ++count;
          }
        } else if (qtype == 1) {
          for (const auto& a : it->second.a) {
            in_addr ia{};
            inet_pton(AF_INET, a.c_str(), &ia);
            answers += "\xc0\x0c";
            put16(answers, 1);
            put16(answers, 1);
            answers += std::string("\0\0\0\x3c", 4);
            put16(answers, 4);
            answers.append(reinterpret_cast<const char*>(&ia), 4);
            ++count;
          }
        }
      }
      std::string r = q.substr(0, 2);  // id
      put16(r, static_cast<std::uint16_t>(0x8180 | rcode));
      put16(r, 1);
      put16(r, static_cast<std::uint16_t>(count));
      put16(r, 0);
      put16(r, 0);
      r += q.substr(12, question_end - 12);
      r += answers;
      ::sendto(fd_, r.data(), r.size(), 0, reinterpret_cast<sockaddr*>(&from), len);
    }
  }

  std::map<std::string, records> zone_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> queries_{0};
  std::thread thread_;
};

resolution lookup(resolver& r, const std::string& domain, bool mx = true) {
  std::promise<resolution> p;
  auto f = p.get_future();
  auto done = [&p](resolution res) { p.set_value(std::move(res)); };
  if (mx) {
    r.resolve_mx(domain, done);
  } else {
    r.resolve_host(domain, 2526, done);
  }
  REQUIRE(f.wait_for(10s) == std::future_status::ready);
  return f.get();
}

}  // namespace

TEST_CASE("c-ares resolver: MX, implicit MX, null MX and failures", "[queue][resolver][integration]") {
  fake_dns dns({
      {"mx.test", {{{20, "mx2.mx.test"}, {10, "mx1.mx.test"}}, {}}},
      {"mx1.mx.test", {{}, {"127.0.0.1"}}},
      {"mx2.mx.test", {{}, {"127.0.0.2", "127.0.0.3"}}},
      {"implicit.test", {{}, {"127.0.0.4"}}},
      {"nullmx.test", {{{0, ""}}, {}}},
      {"dangling.test", {{{10, "nowhere.test"}}, {}}},
      {"host.test", {{}, {"127.0.0.5"}}},
  });
  auto r = make_ares_resolver({dns.address()}, 500ms);

  auto mx = lookup(*r, "mx.test");
  REQUIRE(mx.st == resolution::status::ok);
  REQUIRE(mx.hosts.size() == 2);
  CHECK(mx.hosts[0].name == "mx1.mx.test");
  CHECK(mx.hosts[0].preference == 10);
  CHECK(mx.hosts[0].addresses == std::vector<std::string>{"127.0.0.1"});
  CHECK(mx.hosts[0].port == 25);
  CHECK(mx.hosts[1].name == "mx2.mx.test");
  CHECK(mx.hosts[1].addresses.size() == 2);

  auto implicit = lookup(*r, "implicit.test");  // RFC 5321 §5.1: no MX, the domain's own address
  REQUIRE(implicit.st == resolution::status::ok);
  REQUIRE(implicit.hosts.size() == 1);
  CHECK(implicit.hosts[0].name == "implicit.test");
  CHECK(implicit.hosts[0].addresses == std::vector<std::string>{"127.0.0.4"});

  auto null = lookup(*r, "nullmx.test");  // RFC 7505
  CHECK(null.st == resolution::status::no_mail);

  auto missing = lookup(*r, "missing.test");  // NXDOMAIN: temporary here (the whitelist says it exists)
  CHECK(missing.st == resolution::status::temporary);
  CHECK(missing.error.find("missing.test") != std::string::npos);

  auto dangling = lookup(*r, "dangling.test");
  CHECK(dangling.st == resolution::status::temporary);

  auto host = lookup(*r, "host.test", false);
  REQUIRE(host.st == resolution::status::ok);
  CHECK(host.hosts[0].addresses == std::vector<std::string>{"127.0.0.5"});
  CHECK(host.hosts[0].port == 2526);
  CHECK(dns.queries() > 0);

  // After stop(), lookups fail at once (temporary), without hanging.
  r->stop();
  auto after = lookup(*r, "mx.test");
  CHECK(after.st == resolution::status::temporary);
}

TEST_CASE("c-ares resolver: an unreachable DNS server is a temporary failure", "[queue][resolver][integration]") {
  // A UDP port nobody answers on: the lookup times out (3 tries of 200 ms), it does not hang.
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  auto r = make_ares_resolver({"127.0.0.1:" + std::to_string(ntohs(addr.sin_port))}, 200ms);
  auto res = lookup(*r, "mx.test");
  CHECK(res.st == resolution::status::temporary);
  ::close(fd);
}
