#include "common/listener.hpp"

namespace mssgw::net {

bound_listener bind_listener(asio::io_context& io, std::string_view label, const std::string& host, std::uint16_t port) {
  bound_listener out;
  boost::system::error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (ec) {
    out.error = std::string(label) + " listener: bad address " + host;
    return out;
  }
  auto acceptor = std::make_unique<tcp::acceptor>(io);
  const tcp::endpoint endpoint(address, port);
  acceptor->open(endpoint.protocol(), ec);
  if (!ec) acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor->bind(endpoint, ec);
  if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    out.error = std::string(label) + " listener " + host + ":" + std::to_string(port) + ": " + ec.message();
    return out;
  }
  out.acceptor = std::move(acceptor);
  return out;
}

bool admission::admit(const std::string& ip) {
  if (sessions_ >= max_sessions_ || max_per_ip_ <= 0) return false;
  auto it = per_ip_.find(ip);  // find first: a refusal must not insert an entry
  if (it != per_ip_.end() && it->second >= max_per_ip_) return false;
  ++sessions_;
  ++per_ip_[ip];
  return true;
}

void admission::release(const std::string& ip) {
  auto it = per_ip_.find(ip);
  if (it == per_ip_.end()) return;  // never admitted: nothing to uncount
  --sessions_;
  if (--it->second <= 0) per_ip_.erase(it);
}

}  // namespace mssgw::net
