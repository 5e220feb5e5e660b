// The session's framing, dispatch by state, and the helpers the commands share. Commands live in cmd_*.cpp.
#include "imap/server/session.hpp"

#include <random>

#include "auth/codec.hpp"
#include "common/metrics.hpp"

namespace mssgw::imap::server {
namespace {

template <class... F>
struct overloaded : F... {
  using F::operator()...;
};
template <class... F>
overloaded(F...) -> overloaded<F...>;

metrics::counter& commands_total() {
  static metrics::counter& c = metrics::get_counter("mssgw_imap_commands_total", "IMAP commands executed");
  return c;
}
metrics::counter& bad_total() {
  static metrics::counter& c = metrics::get_counter("mssgw_imap_bad_commands_total", "IMAP commands refused as BAD");
  return c;
}

}  // namespace

std::string new_session_id() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char hex[] = "0123456789abcdef";
  std::uint64_t v = rng();
  std::string out(12, '0');
  for (auto& c : out) {
    c = hex[v & 15];
    v >>= 4;
  }
  return out;
}

session::session(session_settings settings, session_deps deps, peer_facts peer)
    : settings_(std::move(settings)),
      deps_(std::move(deps)),
      peer_(std::move(peer)),
      log_(log::context(log::module::imap).with_session(peer_.session_id)),
      reader_(settings_.preauth_limits) {}

session::~session() {
  if (slot_ && deps_.release) deps_.release(*slot_);
}

std::vector<std::string> session::capabilities() const {
  std::vector<std::string> caps = {"IMAP4rev1", "IMAP4rev2", "SASL-IR", "LITERAL+", "ID", "ENABLE", "IDLE"};
  if (!logged_in()) {
    const bool secure = tls_.active || settings_.plaintext_auth;
    if (!tls_.active && settings_.starttls_offered) caps.emplace_back("STARTTLS");
    auto ctx = deps_.sasl ? deps_.sasl(tls_.certificate) : auth::sasl::context{};
    bool plain = false;
    for (auto m : auth::sasl::offered(ctx, secure)) {
      caps.push_back("AUTH=" + std::string(m));
      plain = plain || m == "PLAIN";
    }
    // RFC 3501 §6.2.3, §7.2.1: LOGIN only where PLAIN is offered, which needs TLS.
    if (!plain) caps.emplace_back("LOGINDISABLED");
    return caps;
  }
  for (const char* c : {"UIDPLUS", "MOVE", "CONDSTORE", "QRESYNC", "SPECIAL-USE", "CREATE-SPECIAL-USE", "NAMESPACE",
                        "UNSELECT", "ESEARCH", "SEARCHRES", "SORT", "SORT=DISPLAY", "ESORT", "CHILDREN",
                        "LIST-EXTENDED", "LIST-STATUS", "MULTIAPPEND", "BINARY", "STATUS=SIZE"}) {
    caps.emplace_back(c);
  }
  caps.push_back("APPENDLIMIT=" + std::to_string(settings_.limits.max_literal));
  return caps;
}

proto::parse_options session::parse_options() const {
  proto::parse_options o;
  o.utf8 = rev2_;
  o.max_depth = reader_.current_limits().max_depth;
  return o;
}

std::string session::greeting() const {
  std::string out;
  auto caps = capabilities();
  proto::write_untagged(out, proto::status_word::ok, proto::code::capability(caps), settings_.hostname + " ready.");
  return out;
}

std::string session::timeout_reply() const {
  std::string out;
  proto::write_untagged(out, proto::status_word::bye, {}, "Autologout; idle for too long.");
  return out;
}

std::string session::shutdown_reply() const {
  std::string out;
  proto::write_untagged(out, proto::status_word::bye, proto::code::unavailable(), "Server shutting down.");
  return out;
}

account* session::acct() {
  if (auto* a = std::get_if<authenticated>(&state_)) return &a->acct;
  if (auto* s = std::get_if<selected>(&state_)) return &s->acct;
  return nullptr;
}

std::uint64_t session::watched_mailbox() const {
  const auto* s = std::get_if<selected>(&state_);
  return s ? s->box.mailbox_id() : 0;
}

step session::feed(std::string_view input, std::string& out) {
  std::size_t consumed = 0;
  for (;;) {
    if (closing_) return {step::kind::close, consumed};
    if (job_) {
      if (!job_(out)) return {step::kind::flush, consumed};
      job_ = nullptr;
      if (closing_) return {step::kind::close, consumed};
    }
    const std::string_view rest = input.substr(consumed);
    if (std::holds_alternative<idle_phase>(phase_) || std::holds_alternative<sasl_phase>(phase_)) {
      auto r = reader_.next_line(rest);
      consumed += r.consumed;
      if (r.st == proto::command_reader::status::need_more) return {step::kind::read, consumed};
      if (r.st == proto::command_reader::status::error) {
        // An overlong or malformed line inside IDLE or a SASL exchange: end it as a protocol error.
        const std::string tag = std::holds_alternative<idle_phase>(phase_) ? std::get<idle_phase>(phase_).tag
                                                                           : std::get<sasl_phase>(phase_).tag;
        phase_ = command_phase{};
        step s = bad(tag, "Line too long or malformed", proto::describe(r.error), out);
        if (s.next != step::kind::read) {
          s.consumed = consumed;
          return s;
        }
        continue;
      }
      step s = std::holds_alternative<idle_phase>(phase_) ? on_idle_line(r.text, out) : on_sasl_line(r.text, out);
      if (s.next != step::kind::read) {
        s.consumed = consumed;
        return s;
      }
      continue;
    }
    auto r = reader_.next(rest);
    consumed += r.consumed;
    switch (r.st) {
      case proto::command_reader::status::need_more:
        return {step::kind::read, consumed};
      case proto::command_reader::status::need_continuation:
        proto::write_continuation(out, "Ready for literal data");
        continue;
      case proto::command_reader::status::error: {
        auto resp = proto::response_for(r.error);
        const std::string tag(r.tag);
        bad_total().inc();
        log_.info("imap.command.refused", {{"reason", proto::describe(r.error)}});
        if (resp.what == proto::error_response::kind::bye) {
          proto::write_untagged(out, proto::status_word::bye, proto::code::named(resp.code), resp.text);
          return {step::kind::close, consumed};
        }
        const auto word = resp.what == proto::error_response::kind::no ? proto::status_word::no
                                                                        : proto::status_word::bad;
        if (tag.empty()) {
          proto::write_untagged(out, word, proto::code::named(resp.code), resp.text);
        } else {
          proto::write_tagged(out, tag, word, proto::code::named(resp.code), resp.text);
        }
        if (++bad_commands_ >= settings_.max_bad_commands) {
          proto::write_untagged(out, proto::status_word::bye, {}, "Too many invalid commands.");
          return {step::kind::close, consumed};
        }
        continue;
      }
      case proto::command_reader::status::fatal: {
        auto resp = proto::response_for(r.error, true);
        log_.info("imap.command.fatal", {{"reason", proto::describe(r.error)}});
        proto::write_untagged(out, proto::status_word::bye, proto::code::named(resp.code), resp.text);
        return {step::kind::close, consumed};
      }
      case proto::command_reader::status::command: {
        step s = execute(r.text, out);
        if (s.next == step::kind::start_tls && consumed < input.size()) {
          // deps.md §1 item 7: bytes after STARTTLS were sent in clear for the TLS session (CVE-2011-0411 class).
          log_.warn("imap.starttls.pipelined", {{"client", peer_.address}});
          out.clear();
          proto::write_untagged(out, proto::status_word::bye, {}, "Pipelined data after STARTTLS.");
          return {step::kind::close, consumed};
        }
        if (s.next != step::kind::read) {
          s.consumed = consumed;
          return s;
        }
        continue;
      }
    }
  }
}

step session::execute(std::string_view text, std::string& out) {
  proto::parsed_command parsed = proto::parse_command(text, parse_options());
  commands_total().inc();
  if (parsed.error != proto::errc::ok) {
    if (parsed.error == proto::errc::unknown_command) {
      return bad(parsed.tag, "Unknown command.", "unknown command " + parsed.name.substr(0, 32), out);
    }
    auto resp = proto::response_for(parsed.error);
    bad_total().inc();
    log_.info("imap.command.refused", {{"command", parsed.name}, {"reason", proto::describe(parsed.error)}});
    const auto word =
        resp.what == proto::error_response::kind::no ? proto::status_word::no : proto::status_word::bad;
    if (parsed.tag.empty()) {
      proto::write_untagged(out, word, proto::code::named(resp.code), resp.text);
    } else {
      proto::write_tagged(out, parsed.tag, word, proto::code::named(resp.code), resp.text);
    }
    if (++bad_commands_ >= settings_.max_bad_commands) {
      proto::write_untagged(out, proto::status_word::bye, {}, "Too many invalid commands.");
      return {step::kind::close};
    }
    return {};
  }
  log_command(parsed.name, parsed.tag);
  return dispatch(parsed.tag, parsed.body, out);
}

void session::log_command(std::string_view name, std::string_view tag) const {
  if (log_.enabled(log::level::debug)) log_.debug("imap.command", {{"command", name}, {"tag", tag}});
}

step session::bad(std::string_view tag, std::string_view text, std::string_view reason, std::string& out) {
  bad_total().inc();
  log_.info("imap.command.refused", {{"reason", reason}});
  if (tag.empty()) {
    proto::write_untagged(out, proto::status_word::bad, {}, text);
  } else {
    proto::write_tagged(out, tag, proto::status_word::bad, {}, text);
  }
  if (++bad_commands_ >= settings_.max_bad_commands) {
    proto::write_untagged(out, proto::status_word::bye, {}, "Too many invalid commands.");
    return {step::kind::close};
  }
  return {};
}

step session::dispatch(const std::string& tag, proto::command_body& body, std::string& out) {
  const bool auth = logged_in();
  const bool sel = std::holds_alternative<selected>(state_);
  auto need_auth = [&]() -> std::optional<step> {
    if (auth) return std::nullopt;
    return bad(tag, "Command not valid in this state: log in first.", "not authenticated", out);
  };
  auto need_selected = [&]() -> std::optional<step> {
    if (sel) return std::nullopt;
    return bad(tag, auth ? "No mailbox selected." : "Command not valid in this state: log in first.",
               "no mailbox selected", out);
  };
  auto need_unauth = [&]() -> std::optional<step> {
    if (!auth) return std::nullopt;
    return bad(tag, "Already authenticated.", "already authenticated", out);
  };
  namespace c = proto::cmd;
  return std::visit(
      overloaded{
          [&](c::capability&) { return cmd_capability(tag, out); },
          [&](c::noop&) { return cmd_noop(tag, out); },
          [&](c::logout&) { return cmd_logout(tag, out); },
          [&](c::id& x) { return cmd_id(tag, x, out); },
          [&](c::starttls&) {
            if (auto s = need_unauth()) return *s;
            return cmd_starttls(tag, out);
          },
          [&](c::authenticate& x) {
            if (auto s = need_unauth()) return *s;
            return cmd_authenticate(tag, x, out);
          },
          [&](c::login& x) {
            if (auto s = need_unauth()) return *s;
            return cmd_login(tag, x, out);
          },
          [&](c::enable& x) {
            if (auto s = need_auth()) return *s;
            return cmd_enable(tag, x, out);
          },
          [&](c::select& x) {
            if (auto s = need_auth()) return *s;
            return cmd_select(tag, x, out);
          },
          [&](c::create& x) {
            if (auto s = need_auth()) return *s;
            return cmd_create(tag, x, out);
          },
          [&](c::delete_mailbox& x) {
            if (auto s = need_auth()) return *s;
            return cmd_delete(tag, x, out);
          },
          [&](c::rename& x) {
            if (auto s = need_auth()) return *s;
            return cmd_rename(tag, x, out);
          },
          [&](c::subscribe& x) {
            if (auto s = need_auth()) return *s;
            return cmd_subscribe(tag, x.mailbox, true, out);
          },
          [&](c::unsubscribe& x) {
            if (auto s = need_auth()) return *s;
            return cmd_subscribe(tag, x.mailbox, false, out);
          },
          [&](c::list& x) {
            if (auto s = need_auth()) return *s;
            return cmd_list(tag, x, false, out);
          },
          [&](c::lsub& x) {
            if (auto s = need_auth()) return *s;
            c::list l;
            l.reference = x.reference;
            l.patterns = {x.pattern};
            return cmd_list(tag, l, true, out);
          },
          [&](c::namespace_query&) {
            if (auto s = need_auth()) return *s;
            return cmd_namespace(tag, out);
          },
          [&](c::status& x) {
            if (auto s = need_auth()) return *s;
            return cmd_status(tag, x, out);
          },
          [&](c::append& x) {
            if (auto s = need_auth()) return *s;
            return cmd_append(tag, x, out);
          },
          [&](c::idle&) {
            if (auto s = need_auth()) return *s;
            return cmd_idle(tag, out);
          },
          [&](c::getquota&) {
            if (auto s = need_auth()) return *s;
            proto::write_tagged(out, tag, proto::status_word::no, proto::code::cannot(), "Quotas are not supported.");
            return step{};
          },
          [&](c::getquotaroot&) {
            if (auto s = need_auth()) return *s;
            proto::write_tagged(out, tag, proto::status_word::no, proto::code::cannot(), "Quotas are not supported.");
            return step{};
          },
          [&](c::check&) {
            if (auto s = need_selected()) return *s;
            complete(out, tag, proto::status_word::ok, {}, "CHECK completed.");
            return step{};
          },
          [&](c::close&) {
            if (auto s = need_selected()) return *s;
            return cmd_close(tag, true, out);
          },
          [&](c::unselect&) {
            if (auto s = need_selected()) return *s;
            return cmd_close(tag, false, out);
          },
          [&](c::expunge& x) {
            if (auto s = need_selected()) return *s;
            return cmd_expunge(tag, x, out);
          },
          [&](c::search& x) {
            if (auto s = need_selected()) return *s;
            return cmd_search(tag, x, out);
          },
          [&](c::sort& x) {
            if (auto s = need_selected()) return *s;
            return cmd_sort(tag, x, out);
          },
          [&](c::fetch& x) {
            if (auto s = need_selected()) return *s;
            return cmd_fetch(tag, x, out);
          },
          [&](c::store& x) {
            if (auto s = need_selected()) return *s;
            return cmd_store(tag, x, out);
          },
          [&](c::copy& x) {
            if (auto s = need_selected()) return *s;
            return cmd_copy(tag, x.set, x.uid, x.mailbox, false, out);
          },
          [&](c::move& x) {
            if (auto s = need_selected()) return *s;
            return cmd_copy(tag, x.set, x.uid, x.mailbox, true, out);
          },
      },
      body);
}

step session::commit(storage::write_unit unit, std::function<void(std::error_code, std::string&)> then) {
  pending_ = pending_write{std::move(unit), std::move(then)};
  return {step::kind::commit};
}

storage::write_unit session::take_unit() {
  return pending_ ? std::move(pending_->unit) : storage::write_unit{};
}

void session::committed(std::error_code ec, std::string& out) {
  if (!pending_) return;
  auto then = std::move(pending_->then);
  pending_.reset();
  if (ec) log_.warn("imap.commit.failed", {{"reason", ec.message()}});
  then(ec, out);
}

void session::resume(std::string& out) {
  out += delayed_reply_;
  delayed_reply_.clear();
  if (close_after_delay_) closing_ = true;
}

bool session::sync(std::string& out, bool allow_expunge) {
  auto* s = sel();
  if (!s) return true;
  bool alive;
  {
    auto txn = read();
    alive = s->box.refresh(*txn);
  }
  if (!alive) {
    log_.info("imap.mailbox.gone", {{"mailbox", s->name}});
    proto::write_untagged(out, proto::status_word::bye, {}, "The selected mailbox was deleted.");
    closing_ = true;
    return false;
  }
  mailbox::view::announce_options o;
  o.allow_expunge = allow_expunge;
  o.qresync = qresync_;
  o.condstore = condstore_;
  s->box.announce(out, o);
  return true;
}

bool session::poll(std::string& out) { return sync(out, true); }

void session::complete(std::string& out, std::string_view tag, proto::status_word w, const proto::response_code& c,
                       std::string_view text, bool allow_expunge) {
  if (!sync(out, allow_expunge)) return;
  proto::write_tagged(out, tag, w, c, text);
}

std::optional<std::vector<std::uint32_t>> session::resolve(const proto::sequence_set& set, bool uid,
                                                           std::string_view tag, std::string& out) {
  auto* s = sel();
  const mailbox::view& box = s->box;
  // RFC 5182 §2.1: "$" with no saved result is an empty set.
  std::vector<std::uint32_t> seqs;
  if (uid) {
    const std::uint32_t star = std::max<std::uint32_t>(1, box.highest_uid());
    auto ranges = proto::normalise(set, star);
    if (set.saved && saved_valid_) {
      for (std::uint32_t u : saved_uids_) ranges.push_back({u, u});
      ranges = proto::normalise(std::move(ranges));
    }
    return box.seqs_of_uids(ranges);
  }
  std::vector<proto::seq_range> ranges;
  if (!set.ranges.empty()) {
    if (box.exists() == 0) {
      for (const auto& r : set.ranges) {
        if (r.first != proto::seq_star || r.last != proto::seq_star) {
          bad(tag, "Invalid message sequence number.", "sequence number in an empty mailbox", out);
          return std::nullopt;
        }
      }
    } else {
      ranges = proto::normalise(set, box.exists());
      if (proto::highest(ranges) > box.exists()) {
        bad(tag, "Invalid message sequence number.", "sequence number beyond EXISTS", out);
        return std::nullopt;
      }
    }
  }
  for (const auto& r : ranges) {
    for (std::uint32_t n = r.first; n <= r.last && n != 0; ++n) {
      seqs.push_back(n);
      if (n == r.last) break;
    }
  }
  if (set.saved && saved_valid_) {
    std::vector<proto::seq_range> uids;
    for (std::uint32_t u : saved_uids_) uids.push_back({u, u});
    auto extra = box.seqs_of_uids(proto::normalise(std::move(uids)));
    seqs.insert(seqs.end(), extra.begin(), extra.end());
    std::sort(seqs.begin(), seqs.end());
    seqs.erase(std::unique(seqs.begin(), seqs.end()), seqs.end());
  }
  return seqs;
}

void session::deselect(std::string& out, bool closed_code) {
  auto* s = sel();
  if (!s) return;
  account a = std::move(s->acct);
  state_ = authenticated{std::move(a)};
  saved_valid_ = false;
  saved_uids_.clear();
  // RFC 7162 §3.2.11, RFC 9051 §6.3.2: "[CLOSED]" when a new SELECT replaces the selected mailbox.
  if (closed_code) proto::write_untagged(out, proto::status_word::ok, proto::code::closed(), "Previous mailbox closed.");
}

}  // namespace mssgw::imap::server
