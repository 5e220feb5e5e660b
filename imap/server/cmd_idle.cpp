// IDLE (RFC 2177; RFC 9051 §6.3.13): "+ idling", then updates as they happen (the driver calls poll() when the
// storage watchers report a commit on the selected mailbox, and on a periodic check), until "DONE".
#include "imap/server/session.hpp"

namespace mssgw::imap::server {

step session::cmd_idle(const std::string& tag, std::string& out) {
  if (!sync(out, true)) return {step::kind::close};
  proto::write_continuation(out, "idling");
  phase_ = idle_phase{tag};
  return {};
}

step session::on_idle_line(std::string_view line, std::string& out) {
  const std::string tag = std::get<idle_phase>(phase_).tag;
  phase_ = command_phase{};
  if (!proto::is_idle_done(line)) {
    return bad(tag, "Expected DONE.", "IDLE ended by something other than DONE", out);
  }
  complete(out, tag, proto::status_word::ok, {}, "IDLE terminated.");
  return {};
}

}  // namespace mssgw::imap::server
