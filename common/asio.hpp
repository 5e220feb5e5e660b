// The one way mssgw includes Boost.Asio. Boost 1.74's awaitable.hpp uses std::exchange without including
// <utility> (deps.md §1, pitfall 1), so <utility> must come first. Include this only from files that do I/O.
//
// Coroutine rules (measured with g++ 12.2 and ASan here):
// - Do not build a non-trivial temporary inside a co_await expression, e.g.
//   `co_await f([s = std::string(..)] {...}, use_awaitable)`: g++ 12 relocates it bitwise and a small std::string
//   inside it then frees memory it does not own. Build it as a named local first, then move it in.
// - A capturing lambda that is itself a coroutine must not capture: its closure dies before the body runs. Pass
//   state as coroutine parameters.
// - co_spawn with `asio::detached` swallows exceptions (deps.md §1): always pass a handler that logs.
#pragma once
#include <utility>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>

namespace mssgw {
namespace asio = boost::asio;
}
