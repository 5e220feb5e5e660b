#include "smtp/server/delivery.hpp"

#include "common/log.hpp"
#include "storage/account_store.hpp"
#include "storage/mailbox_store.hpp"
#include "storage/queue_store.hpp"

namespace mssgw::smtp::server {
namespace {

// The INBOX of a patient's mailbox, created at the first message to it (citizen domain hosted here, issue 7): a PER
// BAL whose owner is the patient's INS (the local part), so that the patient opens it by logging in with the INS.
std::error_code patient_inbox(storage::write_txn& txn, const std::string& address, std::int64_t now_ms,
                              std::uint64_t& inbox) {
  if (!storage::accounts::get(txn, address)) {
    storage::account_record bal;
    bal.address = address;
    bal.type = storage::bal_type::PER;
    bal.owner_idnat = address.substr(0, address.find('@'));
    bal.display_name = "patient";
    bal.created = now_ms / 1000;
    if (auto ec = storage::accounts::create(txn, std::move(bal))) return ec;
    log::audit("citizen.mailbox.created", {{"address", address}});
  }
  auto mb = storage::mailboxes::get(txn, address, "INBOX");
  if (!mb) return storage::errc::not_found;
  inbox = mb->id;
  return {};
}

}  // namespace

storage::write_unit make_commit_unit(std::shared_ptr<const pending_message> message, storage::content_hash hash,
                                     std::int64_t now_ms) {
  return [message = std::move(message), hash, now_ms](storage::write_txn& txn) -> std::error_code {
    std::vector<std::uint64_t> inboxes;
    storage::queue_entry entry;
    for (const auto& r : message->recipients) {
      if (r.route.where == destination::local) {
        std::uint64_t inbox = r.route.inbox;
        if (r.route.create_patient_mailbox) {
          if (auto ec = patient_inbox(txn, r.route.address, now_ms, inbox)) return ec;
        }
        inboxes.push_back(inbox);
        continue;
      }
      storage::queue_recipient q;
      q.address = r.route.address;
      if (r.params.orcpt) q.orcpt = r.params.orcpt->addr_type + ";" + r.params.orcpt->address;
      const auto& n = r.params.notify;
      if (n.present) {
        q.notify = static_cast<std::uint8_t>((n.never ? storage::notify_never : 0) |
                                             (n.success ? storage::notify_success : 0) |
                                             (n.failure ? storage::notify_failure : 0) |
                                             (n.delay ? storage::notify_delay : 0));
      }
      entry.recipients.push_back(std::move(q));
    }
    if (!inboxes.empty()) {
      if (auto ec = storage::messages::deliver(txn, message->content, hash, now_ms / 1000, "", inboxes)) return ec;
    }
    if (!entry.recipients.empty()) {
      entry.id = storage::queue::parse_display_id(message->id).value_or(0);
      entry.sender = message->sender;
      entry.envid = message->params.envid.value_or("");
      entry.ret_full = message->params.ret == proto::dsn_ret::full;
      entry.created_ms = now_ms;
      entry.next_due_ms = now_ms;
      storage::blobs::put(txn, message->content, hash);
      entry.blob = hash;
      entry.size = message->content.size();
      if (auto ec = storage::queue::enqueue_stored(txn, entry)) return ec;
      storage::blobs::release(txn, hash);  // enqueue_stored took its own reference
    }
    if (message->also) return message->also(txn, now_ms);
    return {};
  };
}

}  // namespace mssgw::smtp::server
