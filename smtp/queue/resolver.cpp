#include "smtp/queue/resolver.hpp"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <ares.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace mssgw::smtp::queue {

mx_order order_mx(std::vector<mx_record> records, std::mt19937& rng) {
  mx_order out;
  std::vector<mx_record> kept;
  for (auto& r : records) {
    // RFC 7505 §3: a null MX is the single record "0 ."; c-ares gives its exchange as "" (or ".").
    if (r.host.empty() || r.host == ".") {
      out.null_mx = true;
      continue;
    }
    if (r.host.ends_with('.')) r.host.pop_back();
    kept.push_back(std::move(r));
  }
  if (!kept.empty()) out.null_mx = false;  // a null MX beside real ones is a misconfiguration: use the real ones
  std::shuffle(kept.begin(), kept.end(), rng);
  std::stable_sort(kept.begin(), kept.end(),
                   [](const mx_record& a, const mx_record& b) { return a.preference < b.preference; });
  out.records = std::move(kept);
  return out;
}

namespace {

std::once_flag ares_init_once;
int ares_init_status = ARES_SUCCESS;

std::string address_text(const sockaddr* sa) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (sa->sa_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, buf, sizeof buf);
  } else if (sa->sa_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr, buf, sizeof buf);
  }
  return buf;
}

class ares_resolver final : public resolver {
 public:
  ares_resolver(const std::vector<std::string>& servers, std::chrono::milliseconds timeout) {
    std::call_once(ares_init_once, [] { ares_init_status = ares_library_init(ARES_LIB_INIT_ALL); });
    if (ares_init_status != ARES_SUCCESS) {
      throw std::runtime_error(std::string("c-ares: ") + ares_strerror(ares_init_status));
    }
    ares_options options{};
    options.timeout = static_cast<int>(timeout.count());
    options.tries = 3;
    int rc = ares_init_options(&channel_, &options, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
    if (rc != ARES_SUCCESS) throw std::runtime_error(std::string("c-ares: ") + ares_strerror(rc));
    if (!servers.empty()) {
      std::string csv;
      for (const auto& s : servers) csv += (csv.empty() ? "" : ",") + s;
      rc = ares_set_servers_ports_csv(channel_, csv.c_str());
      if (rc != ARES_SUCCESS) {
        ares_destroy(channel_);
        throw std::runtime_error("c-ares: invalid dns_servers \"" + csv + "\": " + ares_strerror(rc));
      }
    }
    wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wake_fd_ < 0) {
      ares_destroy(channel_);
      throw std::runtime_error("c-ares: eventfd failed");
    }
    thread_ = std::thread([this] { loop(); });
  }

  ~ares_resolver() override {
    stop();
    if (wake_fd_ >= 0) ::close(wake_fd_);
  }

  void resolve_mx(std::string domain, std::function<void(resolution)> done) override {
    submit({true, std::move(domain), 25, std::move(done)});
  }
  void resolve_host(std::string host, std::uint16_t port, std::function<void(resolution)> done) override {
    submit({false, std::move(host), port, std::move(done)});
  }

  void stop() override {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      stopping_ = true;
    }
    wake();
    if (thread_.joinable()) thread_.join();
  }

 private:
  struct request {
    bool mx = true;
    std::string name;
    std::uint16_t port = 25;
    std::function<void(resolution)> done;
  };

  // One lookup in progress: the MX query, then one A/AAAA query per host. Lives on the resolver thread only.
  struct lookup {
    ares_resolver* self = nullptr;
    std::string domain;
    std::function<void(resolution)> done;
    std::vector<mx_host> hosts;
    std::size_t outstanding = 0;
    std::string error;  // last address lookup error, for the diagnostic when no host has an address
  };
  struct host_query {
    lookup* owner;
    std::size_t index;
  };

  void submit(request r) {
    {
      std::lock_guard lock(mutex_);
      if (!stopping_) {
        pending_.push_back(std::move(r));
        r.done = nullptr;
      }
    }
    if (r.done) {  // stopped: fail at once, outside the lock
      resolution res;
      res.error = "resolver stopped";
      r.done(std::move(res));
      return;
    }
    wake();
  }

  void wake() {
    std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
  }

  void start(request& r) {
    auto* l = new lookup{this, r.name, std::move(r.done), {}, 0, {}};
    if (r.mx) {
      ares_query(channel_, l->domain.c_str(), ns_c_in, ns_t_mx, &ares_resolver::on_mx, l);
    } else {
      l->hosts.push_back({l->domain, 0, {}, r.port});
      resolve_addresses(l);
    }
  }

  static void on_mx(void* arg, int status, int /*timeouts*/, unsigned char* abuf, int alen) {
    auto* l = static_cast<lookup*>(arg);
    if (status == ARES_SUCCESS) {
      ares_mx_reply* replies = nullptr;
      status = ares_parse_mx_reply(abuf, alen, &replies);
      if (status == ARES_SUCCESS) {
        std::vector<mx_record> records;
        for (auto* r = replies; r; r = r->next) records.push_back({r->host ? r->host : "", r->priority});
        ares_free_data(replies);
        auto order = order_mx(std::move(records), l->self->rng_);
        if (order.records.empty() && order.null_mx) {
          l->self->finish(l, resolution::status::no_mail, "the domain accepts no mail (null MX, RFC 7505)");
          return;
        }
        for (auto& r : order.records) l->hosts.push_back({r.host, r.preference, {}, 25});
      }
    }
    if (status == ARES_ENODATA) {
      // RFC 5321 §5.1: no MX records: the domain itself is the host (implicit MX, preference 0).
      l->hosts.push_back({l->domain, 0, {}, 25});
    } else if (status != ARES_SUCCESS) {
      l->self->finish(l, resolution::status::temporary,
                      std::string("MX lookup for ") + l->domain + " failed: " + ares_strerror(status));
      return;
    }
    if (l->hosts.empty()) {
      l->self->finish(l, resolution::status::temporary, "MX lookup for " + l->domain + " gave no host");
      return;
    }
    l->self->resolve_addresses(l);
  }

  void resolve_addresses(lookup* l) {
    l->outstanding = l->hosts.size();
    // Copy the names first: a callback may run (and finish the lookup) inside ares_getaddrinfo (hosts file).
    std::vector<std::string> names;
    for (const auto& h : l->hosts) names.push_back(h.name);
    for (std::size_t i = 0; i < names.size(); ++i) {
      ares_addrinfo_hints hints{};
      hints.ai_family = AF_UNSPEC;
      hints.ai_socktype = SOCK_STREAM;
      auto* q = new host_query{l, i};
      ares_getaddrinfo(channel_, names[i].c_str(), nullptr, &hints, &ares_resolver::on_addresses, q);
    }
  }

  static void on_addresses(void* arg, int status, int /*timeouts*/, ares_addrinfo* res) {
    auto* q = static_cast<host_query*>(arg);
    lookup* l = q->owner;
    if (status == ARES_SUCCESS && res) {
      auto& addresses = l->hosts[q->index].addresses;
      for (auto* n = res->nodes; n; n = n->ai_next) {
        std::string a = address_text(n->ai_addr);
        if (!a.empty() && std::find(addresses.begin(), addresses.end(), a) == addresses.end()) addresses.push_back(a);
      }
    } else {
      l->error = "address lookup for " + l->hosts[q->index].name + " failed: " + ares_strerror(status);
    }
    if (res) ares_freeaddrinfo(res);
    delete q;
    if (--l->outstanding == 0) {
      std::erase_if(l->hosts, [](const mx_host& h) { return h.addresses.empty(); });
      if (l->hosts.empty()) {
        l->self->finish(l, resolution::status::temporary,
                        l->error.empty() ? "no address for the hosts of " + l->domain : l->error);
      } else {
        l->self->finish(l, resolution::status::ok, "");
      }
    }
  }

  void finish(lookup* l, resolution::status st, std::string error) {
    resolution r;
    r.st = st;
    r.error = std::move(error);
    if (st == resolution::status::ok) r.hosts = std::move(l->hosts);
    auto done = std::move(l->done);
    delete l;
    if (done) done(std::move(r));
  }

  void loop() {
    for (;;) {
      std::deque<request> batch;
      bool stopping;
      {
        std::lock_guard lock(mutex_);
        batch.swap(pending_);
        stopping = stopping_;
      }
      if (stopping) {
        for (auto& r : batch) {
          resolution res;
          res.error = "resolver stopped";
          r.done(std::move(res));
        }
        break;
      }
      for (auto& r : batch) start(r);

      ares_socket_t socks[ARES_GETSOCK_MAXNUM];
      int bits = ares_getsock(channel_, socks, ARES_GETSOCK_MAXNUM);
      std::vector<pollfd> fds;
      fds.push_back({wake_fd_, POLLIN, 0});
      for (int i = 0; i < ARES_GETSOCK_MAXNUM; ++i) {
        short events = 0;
        if (ARES_GETSOCK_READABLE(bits, i)) events |= POLLIN;
        if (ARES_GETSOCK_WRITABLE(bits, i)) events |= POLLOUT;
        if (events) fds.push_back({socks[i], events, 0});
      }
      timeval max{1, 0}, buf{};
      timeval* tv = ares_timeout(channel_, &max, &buf);
      int ms = static_cast<int>(tv->tv_sec * 1000 + tv->tv_usec / 1000);
      int n = ::poll(fds.data(), fds.size(), std::max(ms, 1));
      if (n > 0 && fds[0].revents) {
        std::uint64_t count;
        [[maybe_unused]] auto r = ::read(wake_fd_, &count, sizeof count);
      }
      bool processed = false;
      for (std::size_t i = 1; i < fds.size(); ++i) {
        if (!fds[i].revents) continue;
        processed = true;
        ares_socket_t rd = (fds[i].revents & (POLLIN | POLLERR | POLLHUP)) ? fds[i].fd : ARES_SOCKET_BAD;
        ares_socket_t wr = (fds[i].revents & POLLOUT) ? fds[i].fd : ARES_SOCKET_BAD;
        ares_process_fd(channel_, rd, wr);
      }
      if (!processed) ares_process_fd(channel_, ARES_SOCKET_BAD, ARES_SOCKET_BAD);  // timeouts
    }
    // Every query still running completes now with ARES_EDESTRUCTION (a temporary failure).
    ares_destroy(channel_);
    channel_ = nullptr;
  }

  ares_channel channel_ = nullptr;
  int wake_fd_ = -1;
  std::mutex mutex_;
  std::deque<request> pending_;
  bool stopping_ = false;
  std::mt19937 rng_{std::random_device{}()};
  std::thread thread_;
};

}  // namespace

std::unique_ptr<resolver> make_ares_resolver(const std::vector<std::string>& servers,
                                             std::chrono::milliseconds timeout) {
  return std::make_unique<ares_resolver>(servers, timeout);
}

}  // namespace mssgw::smtp::queue
