#include "smtp/queue/retry.hpp"

#include <algorithm>

#include "smtp/proto/codec.hpp"

namespace mssgw::smtp::queue {
namespace {

using storage::rcpt_status;

std::string domain_of(std::string_view address) {
  auto at = address.rfind('@');
  return at == std::string_view::npos ? std::string() : proto::to_lower(address.substr(at + 1));
}

// For "failed" after expiry: the class becomes 5 and the detail 4.7 "delivery time expired" (RFC 3463 §3.5).
constexpr std::string_view expired_status = "5.4.7";

dsn_recipient report_line(const storage::queue_recipient& r, dsn_action action, std::string status,
                          std::string remote_mta, std::int64_t now_ms) {
  dsn_recipient d;
  d.final_recipient = r.address;
  d.original_recipient = r.orcpt;
  d.action = action;
  d.status = std::move(status);
  d.remote_mta = std::move(remote_mta);
  d.diagnostic = r.last_reply;
  d.last_attempt_ms = now_ms;
  return d;
}

std::string status_or(std::string_view status, std::string_view fallback) {
  return status.empty() ? std::string(fallback) : std::string(status);
}

void finish(applied& a, std::int64_t now_ms, const retry_policy& policy) {
  auto& e = a.entry;
  ++e.attempts;
  e.lease_owner.clear();
  e.lease_until_ms = 0;
  const bool pending = std::any_of(e.recipients.begin(), e.recipients.end(),
                                   [](const auto& r) { return r.status == rcpt_status::pending; });
  if (!pending) {
    a.remove = true;
    return;
  }
  const std::int64_t end_of_life = e.created_ms + policy.lifetime.count();
  if (now_ms >= end_of_life) {
    // Lifetime over (Postfix maximal_queue_lifetime): every pending recipient fails now.
    a.remove = true;
    a.expired = true;
    for (auto& r : e.recipients) {
      if (r.status != rcpt_status::pending) continue;
      r.status = rcpt_status::failed;
      r.updated_ms = now_ms;
      ++a.tally.bounced;
      if (wants_notification(r.notify, dsn_action::failed)) {
        auto line = report_line(r, dsn_action::failed, std::string(expired_status), "", now_ms);
        if (line.diagnostic.empty()) line.diagnostic = "x-mssgw; delivery time expired";
        a.notifications.push_back(std::move(line));
      }
    }
    return;
  }
  e.next_due_ms = std::min(now_ms + backoff(e.attempts, policy).count(), end_of_life);
  // One DELAY notice per recipient once the message is older than delay_warning (Postfix delay_warning_time).
  if (policy.delay_warning.count() > 0 && now_ms - e.created_ms >= policy.delay_warning.count()) {
    for (auto& r : e.recipients) {
      if (r.status != rcpt_status::pending || r.delay_notified) continue;
      r.delay_notified = true;
      if (!wants_notification(r.notify, dsn_action::delayed)) continue;
      auto line = report_line(r, dsn_action::delayed, status_or(r.last_status, "4.0.0"), "", now_ms);
      line.will_retry_until_ms = end_of_life;
      a.notifications.push_back(std::move(line));
    }
  }
}

}  // namespace

std::chrono::milliseconds backoff(std::uint32_t attempts, const retry_policy& policy) {
  auto delay = policy.minimal_backoff;
  for (std::uint32_t i = 1; i < attempts && delay < policy.maximal_backoff; ++i) delay *= 2;
  return std::min(delay, policy.maximal_backoff);
}

std::vector<destination_group> group_by_destination(const storage::queue_entry& entry) {
  std::vector<destination_group> groups;
  for (std::size_t i = 0; i < entry.recipients.size(); ++i) {
    const auto& r = entry.recipients[i];
    if (r.status != rcpt_status::pending) continue;
    std::string domain = domain_of(r.address);
    auto it = std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.domain == domain; });
    if (it == groups.end()) {
      groups.push_back({std::move(domain), {i}});
    } else {
      it->recipients.push_back(i);
    }
  }
  return groups;
}

bool wants_notification(std::uint8_t notify, dsn_action action) {
  if (notify & storage::notify_never) return false;
  switch (action) {
    case dsn_action::failed:  // RFC 3461 §5.2.6
      return notify == 0 || (notify & storage::notify_failure);
    case dsn_action::delayed:  // RFC 3461 §5.2.5
      return notify == 0 || (notify & storage::notify_delay);
    case dsn_action::delivered:  // RFC 3461 §5.2.2 (b), §5.2.3
    case dsn_action::relayed:
      return (notify & storage::notify_success) != 0;
  }
  return false;
}

applied apply_attempt(storage::queue_entry entry, const attempt_report& report, bool last, std::int64_t now_ms,
                      const retry_policy& policy) {
  applied a;
  a.entry = std::move(entry);
  for (const auto& o : report.outcomes) {
    if (o.index >= a.entry.recipients.size()) continue;
    auto& r = a.entry.recipients[o.index];
    if (r.status != rcpt_status::pending) continue;  // already final (a replayed report)
    r.last_code = o.code;
    r.last_status = o.enhanced;
    r.last_reply = o.diagnostic;
    r.updated_ms = now_ms;
    switch (o.result) {
      case outcome::delivered:
        r.status = rcpt_status::delivered;
        ++a.tally.delivered;
        // RFC 3461 §5.2.1: a server that supports DSN received NOTIFY and takes over the success notice. Only a
        // server without DSN makes us issue a "relayed" one (§5.2.2 (b), RFC 3464 §2.3.3).
        if (!report.remote_dsn && wants_notification(r.notify, dsn_action::relayed)) {
          a.notifications.push_back(
              report_line(r, dsn_action::relayed, status_or(o.enhanced, "2.0.0"), report.remote_mta, now_ms));
        }
        break;
      case outcome::failed:
        r.status = rcpt_status::failed;
        ++a.tally.bounced;
        if (wants_notification(r.notify, dsn_action::failed)) {
          a.notifications.push_back(
              report_line(r, dsn_action::failed, status_or(o.enhanced, "5.0.0"), report.remote_mta, now_ms));
        }
        break;
      case outcome::deferred:
        ++a.tally.deferred;
        break;
    }
  }
  if (last) finish(a, now_ms, policy);
  // No notice of any kind about a bounce (RFC 3461 §5.2 NOTE, RFC 5321 §6.1).
  if (a.entry.sender.empty()) a.notifications.clear();
  return a;
}

applied finish_run(storage::queue_entry entry, std::int64_t now_ms, const retry_policy& policy) {
  return apply_attempt(std::move(entry), {}, true, now_ms, policy);
}

}  // namespace mssgw::smtp::queue
