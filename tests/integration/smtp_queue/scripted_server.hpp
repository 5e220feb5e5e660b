// A small scripted SMTP server for the queue's integration tests, on 127.0.0.1 with a port chosen by the kernel.
// It speaks just enough ESMTP: EHLO (optionally advertising STARTTLS, PIPELINING, DSN), STARTTLS with a certificate
// from the test PKI and a client-certificate check against a chosen CA, MAIL/RCPT with a scripted reply per
// recipient, DATA (dot-unstuffed and recorded), QUIT. It runs its own io_context thread.
#pragma once
#include "common/asio.hpp"

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "trustspace/dn.hpp"

namespace mssgw::testing {

class scripted_server {
 public:
  struct options {
    bool starttls = true;
    bool pipelining = true;
    bool dsn = true;
    std::string cert_chain, key;  // what the server presents
    std::string client_ca;        // CA file that must have issued the client's certificate
    bool tls13_only = false;
    bool tls12_only = false;
    // The reply to RCPT TO:<address> (CRLF added). Default: 250.
    std::function<std::string(const std::string& address)> rcpt_reply;
    std::string data_reply = "250 2.0.0 Ok: queued as SCRIPTED";
    std::chrono::milliseconds data_delay{0};  // wait before answering the end of data
    // After a RSET, a session idle this long gets "421 4.4.2 ... timeout exceeded" and is closed (0: never).
    std::chrono::milliseconds idle_timeout{0};
  };
  struct received {
    std::string mail_from;  // the whole MAIL command line
    std::vector<std::string> rcpt_lines;
    std::vector<std::string> accepted;
    std::string data;  // unstuffed
    std::string peer_subject;
    std::string tls_version;
  };

  explicit scripted_server(options o) : opts_(std::move(o)), ctx_(asio::ssl::context::tls_server) {
    ctx_.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                     asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
    if (opts_.tls13_only) SSL_CTX_set_min_proto_version(ctx_.native_handle(), TLS1_3_VERSION);
    if (opts_.tls12_only) SSL_CTX_set_max_proto_version(ctx_.native_handle(), TLS1_2_VERSION);
    if (!opts_.cert_chain.empty()) {
      ctx_.use_certificate_chain_file(opts_.cert_chain);
      ctx_.use_private_key_file(opts_.key, asio::ssl::context::pem);
    }
    if (!opts_.client_ca.empty()) {
      ctx_.load_verify_file(opts_.client_ca);
      ctx_.set_verify_mode(asio::ssl::verify_peer | asio::ssl::verify_fail_if_no_peer_cert);
    }
    acceptor_.open(asio::ip::tcp::v4());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind({asio::ip::make_address("127.0.0.1"), 0});
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    asio::co_spawn(io_, accept_loop(), [](std::exception_ptr) {});
    thread_ = std::thread([this] { io_.run(); });
  }
  ~scripted_server() {
    asio::post(io_, [this] {
      boost::system::error_code ec;
      acceptor_.close(ec);
    });
    io_.stop();
    thread_.join();
  }

  std::uint16_t port() const { return port_; }
  int connections() const { return connections_.load(); }
  int max_concurrent() const { return max_active_.load(); }
  std::vector<received> messages() const {
    std::lock_guard lock(mutex_);
    return messages_;
  }
  std::vector<std::string> transcript() const {
    std::lock_guard lock(mutex_);
    return lines_;
  }
  void set_rcpt_reply(std::function<std::string(const std::string&)> f) {
    std::lock_guard lock(mutex_);
    opts_.rcpt_reply = std::move(f);
  }

 private:
  using tcp = asio::ip::tcp;

  asio::awaitable<void> accept_loop() {
    for (;;) {
      boost::system::error_code ec;
      tcp::socket s = co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      ++connections_;
      asio::co_spawn(io_, session(std::move(s)), [](std::exception_ptr) {});
    }
  }

  void note(const std::string& line) {
    std::lock_guard lock(mutex_);
    lines_.push_back(line);
  }

  std::string reply_for(const std::string& address) {
    std::lock_guard lock(mutex_);
    return opts_.rcpt_reply ? opts_.rcpt_reply(address) : "250 2.1.5 Ok";
  }

  template <class Stream>
  static asio::awaitable<bool> send(Stream& s, const std::string& text) {
    boost::system::error_code ec;
    co_await asio::async_write(s, asio::buffer(text), asio::redirect_error(asio::use_awaitable, ec));
    co_return !ec;
  }

  // Returns true when the client asked for STARTTLS (and got 220).
  template <class Stream>
  asio::awaitable<bool> dialog(Stream& s, std::string& buf, bool tls, received& msg) {
    bool idle = false;  // between transactions (after RSET)
    for (;;) {
      boost::system::error_code ec;
      asio::steady_timer idle_timer(s.get_executor());
      bool timed_out = false;
      if (idle && opts_.idle_timeout.count() > 0) {
        idle_timer.expires_after(opts_.idle_timeout);
        idle_timer.async_wait([&s, &timed_out](const boost::system::error_code& e) {
          if (e) return;
          timed_out = true;
          boost::system::error_code ignored;
          s.lowest_layer().cancel(ignored);
        });
      }
      std::size_t n = co_await asio::async_read_until(s, asio::dynamic_buffer(buf), "\r\n",
                                                      asio::redirect_error(asio::use_awaitable, ec));
      idle_timer.cancel();
      if (ec && timed_out) {
        note("IDLE-TIMEOUT");
        co_await send(s, "421 4.4.2 mx.scripted.test Error: timeout exceeded\r\n");
        co_return false;
      }
      if (ec) co_return false;
      idle = false;
      std::string line = buf.substr(0, n - 2);
      buf.erase(0, n);
      note(line);
      std::string verb = line.substr(0, 4);
      for (auto& c : verb) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      std::string out;
      if (verb == "EHLO") {
        out = "250-mx.scripted.test Hello\r\n";
        if (opts_.pipelining) out += "250-PIPELINING\r\n";
        if (opts_.dsn) out += "250-DSN\r\n";
        if (opts_.starttls && !tls) out += "250-STARTTLS\r\n";
        out += "250-SIZE 10000000\r\n250 ENHANCEDSTATUSCODES\r\n";
      } else if (verb == "STAR" && !tls && opts_.starttls) {
        co_await send(s, "220 2.0.0 Ready to start TLS\r\n");
        co_return true;
      } else if (verb == "MAIL") {
        if (!tls) {
          out = "530 5.7.0 Must issue a STARTTLS command first\r\n";
        } else {
          received fresh;
          fresh.peer_subject = msg.peer_subject;
          fresh.tls_version = msg.tls_version;
          fresh.mail_from = line;
          msg = std::move(fresh);
          out = "250 2.1.0 Ok\r\n";
        }
      } else if (verb == "RCPT") {
        msg.rcpt_lines.push_back(line);
        auto lt = line.find('<'), gt = line.find('>');
        std::string address = line.substr(lt + 1, gt - lt - 1);
        std::string r = reply_for(address);
        if (r.starts_with("2")) msg.accepted.push_back(address);
        out = r + "\r\n";
      } else if (verb == "DATA") {
        if (msg.accepted.empty()) {
          out = "554 5.5.1 No valid recipients\r\n";
        } else {
          if (!co_await send(s, "354 End data with <CR><LF>.<CR><LF>\r\n")) co_return false;
          std::size_t m = co_await asio::async_read_until(s, asio::dynamic_buffer(buf), "\r\n.\r\n",
                                                          asio::redirect_error(asio::use_awaitable, ec));
          if (ec) co_return false;
          std::string raw = buf.substr(0, m - 3);  // keeps the last line's CRLF
          buf.erase(0, m);
          std::string body;
          std::size_t pos = 0;
          while (pos < raw.size()) {  // RFC 5321 §4.5.2: remove the transparency dot
            auto eol = raw.find("\r\n", pos);
            std::string_view l(raw.data() + pos, (eol == std::string::npos ? raw.size() : eol + 2) - pos);
            if (l.starts_with('.')) l.remove_prefix(1);
            body.append(l);
            pos = eol == std::string::npos ? raw.size() : eol + 2;
          }
          msg.data = std::move(body);
          if (opts_.data_delay.count() > 0) {
            asio::steady_timer wait(s.get_executor());
            wait.expires_after(opts_.data_delay);
            co_await wait.async_wait(asio::redirect_error(asio::use_awaitable, ec));
          }
          {
            std::lock_guard lock(mutex_);
            messages_.push_back(msg);
          }
          out = opts_.data_reply + "\r\n";
        }
      } else if (verb == "QUIT") {
        co_await send(s, "221 2.0.0 Bye\r\n");
        co_return false;
      } else if (verb == "RSET" || verb == "NOOP") {
        out = "250 2.0.0 Ok\r\n";
        idle = verb == "RSET";
      } else {
        out = "502 5.5.2 Command not recognized\r\n";
      }
      if (!co_await send(s, out)) co_return false;
    }
  }

  asio::awaitable<void> session(tcp::socket sock) {
    struct counting {
      scripted_server& s;
      explicit counting(scripted_server& x) : s(x) {
        int now = ++s.active_;
        int seen = s.max_active_.load();
        while (now > seen && !s.max_active_.compare_exchange_weak(seen, now)) {
        }
      }
      ~counting() { --s.active_; }
    } count(*this);
    std::string buf;
    received msg;
    if (!co_await send(sock, "220 mx.scripted.test ESMTP\r\n")) co_return;
    if (!co_await dialog(sock, buf, false, msg)) co_return;
    asio::ssl::stream<tcp::socket> tls(std::move(sock), ctx_);
    boost::system::error_code ec;
    co_await tls.async_handshake(asio::ssl::stream_base::server, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      note("TLS-FAILED " + ec.message());
      co_return;
    }
    if (X509* cert = SSL_get1_peer_certificate(tls.native_handle())) {
      msg.peer_subject = trustspace::dn::from_x509(X509_get_subject_name(cert)).to_string();
      X509_free(cert);
    }
    msg.tls_version = SSL_get_version(tls.native_handle());
    buf.clear();
    co_await dialog(tls, buf, true, msg);
    note("CLOSED");
  }

  options opts_;
  asio::io_context io_;
  asio::ssl::context ctx_;
  tcp::acceptor acceptor_{io_};
  std::uint16_t port_ = 0;
  std::thread thread_;
  std::atomic<int> connections_{0};
  std::atomic<int> active_{0}, max_active_{0};
  mutable std::mutex mutex_;
  std::vector<received> messages_;
  std::vector<std::string> lines_;
};

}  // namespace mssgw::testing
