#include "imap/server/account.hpp"

#include "common/ascii.hpp"
#include "imap/proto/mailbox_name.hpp"
#include "storage/mailbox_store.hpp"

namespace mssgw::imap::server {
namespace {

using common::iequals;

}  // namespace

account::account(auth::identity who, std::vector<auth::bal_access> bals, std::string_view requested_bal)
    : who_(std::move(who)), seen_user_(storage::seen::user_of(who_.id)) {
  std::size_t primary = bals.size();
  for (std::size_t i = 0; i < bals.size() && !requested_bal.empty(); ++i) {
    if (iequals(bals[i].address, requested_bal)) primary = i;
  }
  for (std::size_t i = 0; i < bals.size() && primary == bals.size(); ++i) {
    if (bals[i].owned) primary = i;
  }
  if (primary == bals.size() && bals.size() == 1) primary = 0;
  for (std::size_t i = 0; i < bals.size(); ++i) {
    bal_entry e;
    e.access = std::move(bals[i]);
    e.primary = i == primary;
    if (!e.primary) e.prefix = std::string(shared_root) + delimiter + e.access.address + delimiter;
    bals_.push_back(std::move(e));
  }
}

const bal_entry* account::primary() const {
  for (const auto& b : bals_) {
    if (b.primary) return &b;
  }
  return nullptr;
}

bool account::reserved(std::string_view visible) {
  return visible == shared_root ||
         (visible.size() > shared_root.size() && visible.substr(0, shared_root.size()) == shared_root &&
          visible[shared_root.size()] == delimiter);
}

bool account::acceptable_name(std::string_view stored, std::size_t max) {
  if (stored.empty() || stored.size() > max) return false;
  if (stored.find_first_of("*%") != std::string_view::npos) return false;
  std::size_t start = 0;
  while (true) {
    const auto end = stored.find(delimiter, start);
    const std::string_view level = stored.substr(start, end == std::string_view::npos ? end : end - start);
    if (level.empty() || level == "." || level == "..") return false;
    if (end == std::string_view::npos) return true;
    start = end + 1;
  }
}

std::optional<location> account::locate(std::string_view visible) const {
  if (visible.empty()) return std::nullopt;
  if (reserved(visible)) {
    if (visible.size() <= shared_root.size() + 1) return std::nullopt;
    std::string_view rest = visible.substr(shared_root.size() + 1);
    const auto slash = rest.find(delimiter);
    const std::string_view address = rest.substr(0, slash);
    for (std::size_t i = 0; i < bals_.size(); ++i) {
      if (bals_[i].primary || !iequals(bals_[i].access.address, address)) continue;
      if (slash == std::string_view::npos || slash + 1 == rest.size()) return location{i, ""};
      // INBOX is case-insensitive inside a shared BAL too (RFC 3501 §5.1).
      return location{i, proto::normalise_inbox(std::string(rest.substr(slash + 1)), delimiter)};
    }
    return std::nullopt;
  }
  for (std::size_t i = 0; i < bals_.size(); ++i) {
    if (bals_[i].primary) return location{i, std::string(visible)};
  }
  return std::nullopt;
}

std::string account::visible(std::size_t bal, std::string_view stored) const {
  return bals_[bal].prefix + std::string(stored);
}

}  // namespace mssgw::imap::server
