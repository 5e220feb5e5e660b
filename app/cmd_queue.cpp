// `mssgw queue list|show ID|retry ID|delete ID`: the outbound queue, as Postfix's postqueue/postsuper do.
// `retry` makes an entry due now; the running scheduler picks it up on its next pass.
#include <chrono>
#include <iostream>

#include <nlohmann/json.hpp>

#include "app/commands.hpp"
#include "storage/queue_store.hpp"

namespace mssgw::app {
namespace {

using nlohmann::json;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string_view status_name(storage::rcpt_status s) {
  switch (s) {
    case storage::rcpt_status::pending: return "pending";
    case storage::rcpt_status::delivered: return "delivered";
    case storage::rcpt_status::failed: return "failed";
  }
  return "?";
}

json to_json(const storage::queue_entry& q) {
  json rcpts = json::array();
  for (const auto& r : q.recipients) {
    rcpts.push_back({{"address", r.address}, {"status", status_name(r.status)}, {"last_code", r.last_code},
                     {"last_status", r.last_status}, {"last_reply", r.last_reply}});
  }
  return {{"queue_id", q.display_id()}, {"sender", q.sender}, {"size", q.size}, {"created_ms", q.created_ms},
          {"next_due_ms", q.next_due_ms}, {"attempts", q.attempts}, {"envid", q.envid}, {"recipients", rcpts}};
}

}  // namespace

void register_queue(CLI::App& app, global_options& options) {
  auto id_text = std::make_shared<std::string>();
  auto* queue = app.add_subcommand("queue", "the outbound queue");
  queue->require_subcommand(1);

  auto* list = queue->add_subcommand("list", "list queued messages");
  list->add_flag("--json", options.json, "JSON output, one object per line (like postqueue -j)");
  list->callback([&options] {
    auto ctx = open_admin(options);
    if (!ctx) return void(options.exit_code = 1);
    std::size_t count = 0;
    storage::queue::scan_all(*ctx->store->begin_read(), [&](const storage::queue_entry& q) {
      ++count;
      if (options.json) {
        std::cout << to_json(q).dump() << "\n";
      } else {
        std::cout << q.display_id() << "\t" << q.size << "\t<" << q.sender << ">\t" << q.recipients.size()
                  << " recipient(s)\tattempts " << q.attempts << "\n";
      }
      return true;
    });
    if (!options.json) std::cout << count << (count == 1 ? " message\n" : " messages\n");
  });

  auto find = [&options, id_text](admin_context& ctx) -> std::optional<std::uint64_t> {
    auto id = storage::queue::parse_display_id(*id_text);
    if (!id || !storage::queue::get(*ctx.store->begin_read(), *id)) {
      print_error("no queued message " + *id_text);
      options.exit_code = 1;
      return std::nullopt;
    }
    return id;
  };

  auto* show = queue->add_subcommand("show", "show one queued message's envelope and status");
  show->add_option("id", *id_text, "queue id")->required();
  show->add_flag("--json", options.json, "JSON output");
  show->callback([&options, find] {
    auto ctx = open_admin(options);
    if (!ctx) return void(options.exit_code = 1);
    auto id = find(*ctx);
    if (!id) return;
    auto q = storage::queue::get(*ctx->store->begin_read(), *id);
    std::cout << to_json(*q).dump(2) << "\n";  // the envelope is structured data: JSON either way
  });

  auto* retry = queue->add_subcommand("retry", "make a queued message due now");
  retry->add_option("id", *id_text, "queue id")->required();
  retry->callback([&options, find, id_text] {
    auto ctx = open_admin(options);
    if (!ctx) return void(options.exit_code = 1);
    auto id = find(*ctx);
    if (!id) return;
    auto ec = ctx->writer->run([id = *id](storage::write_txn& txn) -> std::error_code {
      auto q = storage::queue::get(txn, id);
      if (!q) return storage::errc::not_found;
      q->next_due_ms = now_ms();
      return storage::queue::update(txn, *q);
    });
    if (ec) {
      print_error(*id_text + ": " + ec.message());
      options.exit_code = 1;
      return;
    }
    log::audit("queue.retry", {{"queue", *id_text}, {"by", "cli"}});
    std::cout << "retry scheduled for " << *id_text << "\n";
  });

  auto* remove = queue->add_subcommand("delete", "delete a queued message (no bounce is sent)");
  remove->add_option("id", *id_text, "queue id")->required();
  remove->callback([&options, find, id_text] {
    auto ctx = open_admin(options);
    if (!ctx) return void(options.exit_code = 1);
    auto id = find(*ctx);
    if (!id) return;
    auto ec = ctx->writer->run([id = *id](storage::write_txn& txn) { return storage::queue::remove(txn, id); });
    if (ec) {
      print_error(*id_text + ": " + ec.message());
      options.exit_code = 1;
      return;
    }
    log::audit("queue.delete", {{"queue", *id_text}, {"by", "cli"}});
    std::cout << "deleted " << *id_text << "\n";
  });
}

}  // namespace mssgw::app
