// The one way mssgw includes Boost.Asio. Boost 1.74's awaitable.hpp uses std::exchange without including
// <utility> (deps.md §1, pitfall 1), so <utility> must come first. Include this only from files that do I/O.
#pragma once
#include <utility>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>

namespace mssgw {
namespace asio = boost::asio;
}
