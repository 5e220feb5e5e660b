// Dialog-test harness for the IMAP session (STYLE.md: whole conversations, bytes in and bytes out, no socket).
// An in-memory store with three BALs, a PLAIN users file, and a client that drives a session the way the service's
// driver does: commits go straight to the store, delays are skipped, STARTTLS pretends the handshake succeeded.
#pragma once
#include <map>
#include <memory>
#include <regex>
#include <string>
#include <string_view>

#include <openssl/sha.h>

#include "auth/codec.hpp"
#include "auth/password_file.hpp"
#include "auth/sasl.hpp"
#include "imap/server/session.hpp"
#include "storage/account_store.hpp"
#include "storage/mailbox_store.hpp"
#include "storage/memory/memory_store.hpp"

namespace mssgw::imap::testing {

inline constexpr const char* dupont = "dupont@alpha.mssante.fr";          // PER, owned by 810001234567
inline constexpr const char* secretariat = "secretariat@alpha.mssante.fr";  // ORG: dupont read+write, martin read
inline constexpr const char* martin_bal = "martin@alpha.mssante.fr";        // PER, owned by 810009999999

inline std::string ssha512(std::string_view password, std::string_view salt) {
  std::string input = std::string(password) + std::string(salt);
  unsigned char digest[SHA512_DIGEST_LENGTH];
  SHA512(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  return "{SSHA512}" + auth::base64_encode(std::string(reinterpret_cast<char*>(digest), sizeof digest) +
                                           std::string(salt));
}

struct fixture {
  std::unique_ptr<storage::kv_store> store = storage::make_memory_store();
  std::shared_ptr<const auth::user_db> users;
  server::session_settings settings;
  int sessions_per_identity = 100;
  std::map<std::string, int> open_sessions;

  fixture() {
    auto make = [&](std::string address, storage::bal_type type, std::string owner) {
      storage::account_record r;
      r.address = std::move(address);
      r.type = type;
      r.owner_idnat = std::move(owner);
      REQUIRE_FALSE(store->commit_one([&](storage::write_txn& t) { return storage::accounts::create(t, r); }));
    };
    make(dupont, storage::bal_type::PER, "810001234567");
    make(martin_bal, storage::bal_type::PER, "810009999999");
    make(secretariat, storage::bal_type::ORG, "");
    REQUIRE_FALSE(store->commit_one([&](storage::write_txn& t) {
      return storage::accounts::grant(t, secretariat, "810001234567", storage::right_read | storage::right_write);
    }));
    REQUIRE_FALSE(store->commit_one([&](storage::write_txn& t) {
      return storage::accounts::grant(t, secretariat, "810009999999", storage::right_read);
    }));
    auto db = auth::user_db::from_text("810001234567:" + ssha512("secret", "salt1234") + "\n" +
                                       "810009999999:" + ssha512("secret2", "salt5678") + "\n" +
                                       std::string(dupont) + ":" + ssha512("pw", "saltsalt") + "\n");
    REQUIRE(db.users);
    users = db.users;
    settings.plaintext_auth = true;
    settings.hostname = "imap.test";
  }

  server::session_deps deps() {
    server::session_deps d;
    d.store = store.get();
    d.sasl = [this](const std::optional<auth::certificate_facts>& cert) {
      auth::sasl::context ctx;
      ctx.users = users;
      ctx.plain_enabled = true;
      ctx.certificate = cert;
      ctx.authorize = auth::sasl::storage_authorizer(*store);
      return ctx;
    };
    d.acquire = [this](const auth::identity& who) {
      if (open_sessions[who.id] >= sessions_per_identity) return false;
      ++open_sessions[who.id];
      return true;
    };
    d.release = [this](const auth::identity& who) { --open_sessions[who.id]; };
    d.background = [this](storage::write_unit unit) { store->commit_one(unit); };
    return d;
  }

  std::uint64_t mailbox_id(const std::string& bal, const std::string& name) {
    return storage::mailboxes::get(*store->begin_read(), bal, name)->id;
  }

  // Delivers a message as SMTP would (no cache: the session computes it lazily).
  void deliver(const std::string& bal, const std::string& raw, std::int64_t date = 1700000000) {
    const auto inbox = mailbox_id(bal, "INBOX");
    REQUIRE_FALSE(store->commit_one([&](storage::write_txn& t) {
      std::vector<std::uint64_t> ids{inbox};
      return storage::messages::deliver(t, raw, storage::hash_content(raw), date, "", ids);
    }));
  }
};

class client {
 public:
  explicit client(fixture& f, std::string address = "127.0.0.1")
      : f_(f),
        s_(std::make_unique<server::session>(f.settings, f.deps(),
                                             server::peer_facts{address, 40000, server::new_session_id(), true})) {
    greeting_ = s_->greeting();
  }
  client(fixture& f, server::session_settings settings)
      : f_(f),
        s_(std::make_unique<server::session>(std::move(settings), f.deps(),
                                             server::peer_facts{"127.0.0.1", 40000, server::new_session_id(), true})) {
    greeting_ = s_->greeting();
  }

  const std::string& greeting() const { return greeting_; }
  bool closed() const { return closed_; }
  server::session& session() { return *s_; }

  // Sends bytes and runs the session until it waits for input; returns what it wrote.
  std::string send(std::string_view bytes) {
    in_ += bytes;
    std::string out;
    for (int guard = 0; guard < 100000; ++guard) {
      server::step st = s_->feed(in_, out);
      in_.erase(0, st.consumed);
      switch (st.next) {
        case server::step::kind::read: return out;
        case server::step::kind::flush: continue;
        case server::step::kind::commit: {
          auto unit = s_->take_unit();
          auto ec = f_.store->commit_one(unit);
          s_->committed(ec, out);
          continue;
        }
        case server::step::kind::delay: s_->resume(out); continue;
        case server::step::kind::start_tls: {
          server::tls_facts t;
          t.active = true;
          t.version = "TLSv1.3";
          s_->tls_started(t);
          continue;
        }
        case server::step::kind::close: closed_ = true; return out;
      }
    }
    FAIL("session never waited for input");
    return out;
  }
  std::string poll() {
    std::string out;
    if (!s_->poll(out)) closed_ = true;
    return out;
  }
  std::string login(const std::string& user = "810001234567", const std::string& password = "secret") {
    return send("L1 LOGIN " + user + " " + password + "\r\n");
  }

 private:
  fixture& f_;
  std::unique_ptr<server::session> s_;
  std::string in_;
  std::string greeting_;
  bool closed_ = false;
};

inline bool has(std::string_view out, std::string_view what) { return out.find(what) != std::string_view::npos; }
inline bool matches(const std::string& out, const std::string& re) {
  return std::regex_search(out, std::regex(re));
}

inline std::string message(const std::string& subject, const std::string& body = "Hello\r\n",
                           const std::string& from = "Dr Martin <martin@beta.mssante.fr>") {
  return "From: " + from + "\r\nTo: dupont@alpha.mssante.fr\r\nSubject: " + subject +
         "\r\nDate: Tue, 1 Jul 2003 10:52:37 +0200\r\nMessage-ID: <" + subject + "@beta>\r\n\r\n" + body;
}

// An APPEND command with a synchronising literal, sent in one go (the session answers "+" in between).
inline std::string append_cmd(const std::string& tag, const std::string& mailbox, const std::string& msg,
                              const std::string& flags = "") {
  return tag + " APPEND " + mailbox + (flags.empty() ? "" : " (" + flags + ")") + " {" + std::to_string(msg.size()) +
         "+}\r\n" + msg + "\r\n";
}

}  // namespace mssgw::imap::testing
