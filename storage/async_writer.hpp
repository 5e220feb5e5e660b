// Asio adapter for the group-commit writer: `co_await async_commit(writer, unit, asio::use_awaitable)` returns the
// unit's std::error_code once its group is durable. The completion is posted to the awaiting coroutine's executor,
// so the coroutine never resumes on the writer thread. Build the unit as a named local before the co_await
// (common/asio.hpp explains the g++ 12 miscompilation otherwise).
#pragma once
#include "common/asio.hpp"
#include "storage/writer.hpp"

namespace mssgw::storage {

template <class CompletionToken>
auto async_commit(writer& w, write_unit unit, CompletionToken&& token) {
  return asio::async_initiate<CompletionToken, void(std::error_code)>(
      [&w](auto handler, write_unit u) {
        // A tracked executor counts as outstanding work, so io_context::run() does not return while a commit is
        // in flight (the writer thread is invisible to Asio).
        auto executor = asio::prefer(asio::get_associated_executor(handler), asio::execution::outstanding_work.tracked);
        w.submit(std::move(u), [h = std::move(handler), executor](std::error_code ec) mutable {
          asio::post(executor, [h = std::move(h), ec]() mutable { h(ec); });
        });
      },
      token, std::move(unit));
}

}  // namespace mssgw::storage
