// CAPABILITY, NOOP, LOGOUT, ID, ENABLE and NAMESPACE: the commands that need a few lines each.
#include "imap/server/session.hpp"

namespace mssgw::imap::server {

// RFC 3501 §6.1.1
step session::cmd_capability(const std::string& tag, std::string& out) {
  proto::write_capability(out, capabilities());
  if (sel()) {
    complete(out, tag, proto::status_word::ok, {}, "CAPABILITY completed.");
  } else {
    proto::write_tagged(out, tag, proto::status_word::ok, {}, "CAPABILITY completed.");
  }
  return {};
}

// RFC 3501 §6.1.2: a chance for updates; expunges may be told.
step session::cmd_noop(const std::string& tag, std::string& out) {
  if (sel()) {
    complete(out, tag, proto::status_word::ok, {}, "NOOP completed.");
  } else {
    proto::write_tagged(out, tag, proto::status_word::ok, {}, "NOOP completed.");
  }
  return {};
}

// RFC 3501 §6.1.3
step session::cmd_logout(const std::string& tag, std::string& out) {
  proto::write_untagged(out, proto::status_word::bye, {}, "Logging out.");
  proto::write_tagged(out, tag, proto::status_word::ok, {}, "LOGOUT completed.");
  closing_ = true;
  return {step::kind::close};
}

// RFC 2971: the client's identification goes to the log (bounded); we name ourselves.
step session::cmd_id(const std::string& tag, const proto::cmd::id& c, std::string& out) {
  std::string client;
  for (const auto& [k, v] : c.params) {
    if (client.size() > 256) break;
    if (!client.empty()) client += ' ';
    client += k.substr(0, 32) + "=" + (v ? v->substr(0, 64) : std::string("NIL"));
  }
  if (!client.empty()) log_.info("imap.id", {{"client", client}});
  const std::pair<std::string, std::optional<std::string>> ours[] = {{"name", std::string("mssgw")},
                                                                      {"vendor", std::string("mssgw")}};
  proto::write_id(out, ours);
  proto::write_tagged(out, tag, proto::status_word::ok, {}, "ID completed.");
  return {};
}

// RFC 5161; RFC 7162 §3.2.3 (QRESYNC implies CONDSTORE); RFC 9051 §6.3.1 (IMAP4rev2).
step session::cmd_enable(const std::string& tag, const proto::cmd::enable& c, std::string& out) {
  if (sel()) {
    // RFC 5161 §3.1: only valid in the authenticated state (the selected mailbox's view would change meaning).
    return bad(tag, "ENABLE is only valid before SELECT.", "ENABLE in selected state", out);
  }
  std::vector<std::string> enabled;
  for (const auto& cap : c.capabilities) {
    if (cap == "CONDSTORE") {
      condstore_ = true;
      enabled.push_back(cap);
    } else if (cap == "QRESYNC") {
      qresync_ = true;
      condstore_ = true;
      enabled.push_back(cap);
    } else if (cap == "IMAP4REV2") {
      rev2_ = true;
      enabled.push_back("IMAP4rev2");
    }
  }
  proto::write_enabled(out, enabled);
  proto::write_tagged(out, tag, proto::status_word::ok, {}, "ENABLE completed.");
  return {};
}

// RFC 2342: personal namespace for the primary BAL, shared namespace for the others (account.hpp).
step session::cmd_namespace(const std::string& tag, std::string& out) {
  const account& a = *acct();
  std::vector<proto::namespace_entry> personal, other, shared;
  if (a.primary()) personal.push_back({"", delimiter});
  if (a.bals().size() > (a.primary() ? 1u : 0u)) shared.push_back({std::string(shared_root) + delimiter, delimiter});
  proto::write_namespace(out, personal, other, shared, rev2_);
  if (sel()) {
    complete(out, tag, proto::status_word::ok, {}, "NAMESPACE completed.");
  } else {
    proto::write_tagged(out, tag, proto::status_word::ok, {}, "NAMESPACE completed.");
  }
  return {};
}

}  // namespace mssgw::imap::server
