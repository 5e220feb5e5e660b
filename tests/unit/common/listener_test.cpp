#include "common/listener.hpp"

#include <catch2/catch.hpp>

using mssgw::net::admission;

TEST_CASE("admission: the global limit and the per-address limit", "[listener]") {
  admission a(3, 2);
  CHECK(a.admit("10.0.0.1"));
  CHECK(a.admit("10.0.0.1"));
  CHECK_FALSE(a.admit("10.0.0.1"));  // per address
  CHECK(a.admit("10.0.0.2"));
  CHECK_FALSE(a.admit("10.0.0.3"));  // in all
  CHECK(a.sessions() == 3);
  a.release("10.0.0.1");
  CHECK(a.admit("10.0.0.3"));
  CHECK(a.sessions() == 3);
}

TEST_CASE("admission: refusals and releases never leave empty entries behind", "[listener]") {
  admission a(1, 5);
  REQUIRE(a.admit("10.0.0.1"));
  for (int i = 0; i < 100; ++i) CHECK_FALSE(a.admit("192.0.2." + std::to_string(i)));
  CHECK(a.addresses() == 1);
  a.release("10.0.0.1");
  CHECK(a.addresses() == 0);
  CHECK(a.sessions() == 0);
  a.release("10.0.0.9");  // never admitted: ignored
  CHECK(a.sessions() == 0);
}

TEST_CASE("admission: a zero limit admits nobody", "[listener]") {
  admission none(0, 10), no_per_ip(10, 0);
  CHECK_FALSE(none.admit("10.0.0.1"));
  CHECK_FALSE(no_per_ip.admit("10.0.0.1"));
  CHECK(none.addresses() == 0);
}

TEST_CASE("bind_listener: errors name the listener and the address", "[listener]") {
  mssgw::asio::io_context io;
  auto bad = mssgw::net::bind_listener(io, "mx", "not-an-ip", 25);
  CHECK(bad.acceptor == nullptr);
  CHECK(bad.error == "mx listener: bad address not-an-ip");

  auto first = mssgw::net::bind_listener(io, "imap", "127.0.0.1", 0);
  REQUIRE(first.acceptor != nullptr);
  CHECK(first.error.empty());
  const auto port = first.acceptor->local_endpoint().port();
  CHECK(port != 0);
  auto taken = mssgw::net::bind_listener(io, "imaps", "127.0.0.1", port);
  CHECK(taken.acceptor == nullptr);
  CHECK(taken.error.rfind("imaps listener 127.0.0.1:" + std::to_string(port) + ": ", 0) == 0);
}
