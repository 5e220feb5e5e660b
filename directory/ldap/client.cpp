#include "directory/ldap/client.hpp"

#include <chrono>
#include <fstream>
#include <vector>

#include <lber.h>
#include <ldap.h>

#include "common/ascii.hpp"
#include "directory/ldif.hpp"
#include "storage/account_store.hpp"

namespace mssgw::directory::ldap {
namespace {

constexpr std::size_t max_value_size = 2048;

std::string_view view(const berval& bv) {
  return bv.bv_val ? std::string_view(bv.bv_val, bv.bv_len) : std::string_view();
}

bool iequal(std::string_view a, std::string_view b) { return common::iequals(a, b); }

// The attributes we read: the schema's, plus entryUUID (operational, so it must be asked for by name).
const std::vector<std::string>& wanted_attributes() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v{std::string(ldap_address_attribute), std::string(ldap_type_attribute),
                               std::string(ldap_liste_rouge_attribute), std::string(ldap_uuid_attribute)};
    for (std::size_t i = 0; i < field_count; ++i) v.emplace_back(ldap_attribute(static_cast<field>(i)));
    return v;
  }();
  return names;
}

// A NULL-terminated char* array over wanted_attributes() (libldap takes char**).
char** attribute_list() {
  static std::vector<char*> list = [] {
    std::vector<char*> v;
    for (const auto& n : wanted_attributes()) v.push_back(const_cast<char*>(n.c_str()));
    v.push_back(nullptr);
    return v;
  }();
  return list.data();
}

// Owns a BerElement.
struct ber_holder {
  BerElement* ber = nullptr;
  explicit ber_holder(const berval& value) { ber = ber_init(const_cast<berval*>(&value)); }
  ~ber_holder() {
    if (ber) ber_free(ber, 1);
  }
  ber_holder(const ber_holder&) = delete;
  ber_holder& operator=(const ber_holder&) = delete;
};

struct controls_holder {
  LDAPControl** ctrls = nullptr;
  ~controls_holder() {
    if (ctrls) ldap_controls_free(ctrls);
  }
};

struct message_holder {
  LDAPMessage* msg = nullptr;
  ~message_holder() {
    if (msg) ldap_msgfree(msg);
  }
};

std::error_code ldap_error(errc e) { return make_error_code(e); }

// Transport-level result codes (negative in libldap): the server is unreachable or went away.
bool transport_error(int rc) {
  return rc == LDAP_SERVER_DOWN || rc == LDAP_CONNECT_ERROR || rc == LDAP_TIMEOUT || rc == LDAP_UNAVAILABLE ||
         rc == LDAP_BUSY || rc == LDAP_LOCAL_ERROR;
}

std::string describe(LDAP* ld, int rc) {
  std::string out = ldap_err2string(rc);
  out += " (" + std::to_string(rc) + ")";
  char* diag = nullptr;
  if (ld && ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag) == LDAP_OPT_SUCCESS && diag) {
    if (*diag) out += ": " + std::string(diag);
    ldap_memfree(diag);
  }
  return out;
}

// Reads the attributes of an entry message as views into the message (valid while it lives).
bool read_attributes(LDAP* ld, LDAPMessage* msg, std::vector<attribute_value>& out, std::vector<berval*>& arrays) {
  out.clear();
  BerElement* ber = nullptr;
  berval dn{};
  if (ldap_get_dn_ber(ld, msg, &ber, &dn) != LDAP_SUCCESS) return false;
  berval attr{};
  berval* vals = nullptr;
  int rc;
  while ((rc = ldap_get_attribute_ber(ld, msg, ber, &attr, &vals)) == LDAP_SUCCESS) {
    if (!attr.bv_val) break;
    if (vals) {
      arrays.push_back(vals);
      if (vals[0].bv_val) out.push_back({view(attr), view(vals[0])});
    }
  }
  ber_free(ber, 0);
  return rc == LDAP_SUCCESS;
}

void free_arrays(std::vector<berval*>& arrays) {
  for (auto* a : arrays) ber_memfree(a);
  arrays.clear();
}

}  // namespace

bool entry_from_attributes(const std::vector<attribute_value>& attributes, entry& out, std::string& why) {
  std::string_view mail, type;
  bool have_mail = false, have_type = false;
  for (const auto& a : attributes) {
    if (a.value.size() > max_value_size || !clean_text(a.value)) {
      why = "attribute " + std::string(a.name) + " is not valid text";
      return false;
    }
    if (iequal(a.name, ldap_address_attribute)) {
      mail = a.value, have_mail = true;
    } else if (iequal(a.name, ldap_type_attribute)) {
      type = a.value, have_type = true;
    } else if (iequal(a.name, ldap_liste_rouge_attribute)) {
      out.liste_rouge = iequal(a.value, "TRUE");
    } else if (iequal(a.name, ldap_uuid_attribute)) {
      if (auto u = parse_uuid(a.value)) out.entry_uuid = std::move(*u);
    } else if (auto f = field_for_attribute(a.name)) {
      out.text(*f).assign(a.value);
    }
  }
  if (!have_mail) {
    why = "no mail attribute";
    return false;
  }
  auto address = storage::normalise_bal_address(mail);
  if (!address) {
    why = "invalid mail \"" + std::string(mail.substr(0, 100)) + "\"";
    return false;
  }
  out.address = std::move(*address);
  auto t = have_type ? storage::parse_bal_type(type) : std::nullopt;
  if (!t) {
    why = out.address + ": missing or unknown mssgwBalType";
    return false;
  }
  out.type = *t;
  out.source = source_kind::ldap;
  return true;
}

struct connection::impl {
  LDAP* ld = nullptr;
  ldap_config config;
  const std::atomic<bool>* stop = nullptr;

  ~impl() {
    if (ld) ldap_unbind_ext_s(ld, nullptr, nullptr);
  }

  bool stopping() const { return stop && stop->load(); }

  // Waits for the next message of `msgid`, at most `timeout` of silence, checking the stop flag 4 times a second.
  std::error_code next(int msgid, message_holder& out, std::string& detail) {
    auto last = std::chrono::steady_clock::now();
    for (;;) {
      if (stopping()) {
        ldap_abandon_ext(ld, msgid, nullptr, nullptr);
        detail = "stopping";
        return ldap_error(errc::stopped);
      }
      timeval tv{0, 250000};
      int rc = ldap_result(ld, msgid, LDAP_MSG_ONE, &tv, &out.msg);
      if (rc > 0) return {};
      if (rc == 0) {
        if (std::chrono::steady_clock::now() - last > config.timeout) {
          ldap_abandon_ext(ld, msgid, nullptr, nullptr);
          detail = "no answer for " + std::to_string(config.timeout.count()) + "s";
          return ldap_error(errc::ldap_timeout);
        }
        continue;
      }
      int err = LDAP_SERVER_DOWN;
      ldap_get_option(ld, LDAP_OPT_RESULT_CODE, &err);
      detail = describe(ld, err);
      return ldap_error(errc::ldap_connect);
    }
  }

  // The end of a search: the result code must be success; controls are handed back for the caller to read.
  std::error_code finish(LDAPMessage* msg, controls_holder& ctrls, int& code, std::string& detail) {
    int err = LDAP_OTHER;
    char* matched = nullptr;
    char* text = nullptr;
    char** refs = nullptr;
    int rc = ldap_parse_result(ld, msg, &err, &matched, &text, &refs, &ctrls.ctrls, 0);
    std::string server_text = text ? text : "";
    bool referral = refs != nullptr;
    if (matched) ldap_memfree(matched);
    if (text) ldap_memfree(text);
    if (refs) ldap_memvfree(reinterpret_cast<void**>(refs));
    code = rc == LDAP_SUCCESS ? err : rc;
    if (code == LDAP_SUCCESS && !referral) return {};
    detail = std::string(ldap_err2string(code)) + " (" + std::to_string(code) + ")";
    if (!server_text.empty()) detail += ": " + server_text;
    if (referral || code == LDAP_REFERRAL) {
      detail = "referral: part of the content is on another server (" + detail + ")";
      return ldap_error(errc::ldap_search);
    }
    if (code == LDAP_SIZELIMIT_EXCEEDED) return ldap_error(errc::ldap_size_limit);
    if (code == LDAP_TIMELIMIT_EXCEEDED || code == LDAP_ADMINLIMIT_EXCEEDED) return ldap_error(errc::ldap_size_limit);
    if (transport_error(code)) return ldap_error(errc::ldap_connect);
    return ldap_error(errc::ldap_search);
  }
};

connection::connection(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
connection::~connection() = default;

std::unique_ptr<connection> connection::open(const ldap_config& config, std::error_code& ec, std::string& detail,
                                             const std::atomic<bool>* stop) {
  auto p = std::make_unique<impl>();
  p->config = config;
  p->stop = stop;
  int rc = ldap_initialize(&p->ld, config.url.c_str());
  if (rc != LDAP_SUCCESS) {
    ec = ldap_error(errc::ldap_connect);
    detail = "bad url: " + describe(nullptr, rc);
    return nullptr;
  }
  LDAP* ld = p->ld;
  int version = LDAP_VERSION3;
  ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version);
  ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);  // a referral is an incomplete result, not a hop
  timeval tv{static_cast<time_t>(config.timeout.count()), 0};
  ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv);
  ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv);
  const bool tls = config.url.rfind("ldaps://", 0) == 0 || config.starttls;
  if (tls) {
    // Debian's libldap does TLS with GnuTLS (deps.md §4): these options are its whole interface.
    int demand = LDAP_OPT_X_TLS_DEMAND;
    int min_version = LDAP_OPT_X_TLS_PROTOCOL_TLS1_2;
    ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand);
    ldap_set_option(ld, LDAP_OPT_X_TLS_PROTOCOL_MIN, &min_version);
    if (!config.ca_file.empty()) ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, config.ca_file.c_str());
    if (!config.cert_file.empty()) ldap_set_option(ld, LDAP_OPT_X_TLS_CERTFILE, config.cert_file.c_str());
    if (!config.key_file.empty()) ldap_set_option(ld, LDAP_OPT_X_TLS_KEYFILE, config.key_file.c_str());
    int is_server = 0;
    rc = ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &is_server);
    if (rc != LDAP_OPT_SUCCESS) {
      ec = ldap_error(errc::ldap_connect);
      detail = "TLS set-up failed: " + describe(ld, rc);
      return nullptr;
    }
  }
  if (config.starttls) {
    rc = ldap_start_tls_s(ld, nullptr, nullptr);
    if (rc != LDAP_SUCCESS) {
      ec = ldap_error(transport_error(rc) ? errc::ldap_connect : errc::ldap_bind);
      detail = "StartTLS: " + describe(ld, rc);
      return nullptr;
    }
  }
  if (config.bind == "simple") {
    std::string password = config.password;
    if (!config.password_file.empty()) {
      std::ifstream in(config.password_file);
      std::getline(in, password);
      if (!in && password.empty()) {
        ec = ldap_error(errc::ldap_bind);
        detail = "cannot read password_file " + config.password_file.string();
        return nullptr;
      }
      while (!password.empty() && (password.back() == '\r' || password.back() == ' ')) password.pop_back();
    }
    berval cred{password.size(), password.data()};
    rc = ldap_sasl_bind_s(ld, config.bind_dn.c_str(), LDAP_SASL_SIMPLE, &cred, nullptr, nullptr, nullptr);
  } else if (config.bind == "external") {
    // SASL EXTERNAL (RFC 4422 appendix A): the identity is the TLS client certificate; no credentials are sent.
    // An empty initial response (not an absent one): Cyrus SASL on the server would otherwise answer
    // saslBindInProgress and wait for it.
    berval empty{0, const_cast<char*>("")};
    rc = ldap_sasl_bind_s(ld, nullptr, "EXTERNAL", &empty, nullptr, nullptr, nullptr);
  } else {
    rc = LDAP_SUCCESS;  // anonymous: LDAPv3 needs no bind
  }
  if (rc != LDAP_SUCCESS) {
    ec = ldap_error(transport_error(rc) ? errc::ldap_connect : errc::ldap_bind);
    detail = (config.bind == "external" ? "SASL EXTERNAL bind: " : "bind: ") + describe(ld, rc);
    return nullptr;
  }
  ec = {};
  return std::unique_ptr<connection>(new connection(std::move(p)));
}

std::error_code connection::fetch_all(const std::function<void(entry&&)>& on_entry, std::size_t& skipped,
                                      std::string& detail) {
  LDAP* ld = impl_->ld;
  const ldap_config& cfg = impl_->config;
  berval page_cookie{0, nullptr};
  std::vector<attribute_value> attrs;
  std::vector<berval*> arrays;
  std::string why;
  std::size_t pages = 0;
  for (;;) {
    // RFC 2696 §3: the control is repeated with the server's cookie until it returns an empty one.
    LDAPControl* page = nullptr;
    int rc = ldap_create_page_control(ld, cfg.page_size, &page_cookie, 1, &page);
    if (page_cookie.bv_val) ber_memfree(page_cookie.bv_val);
    page_cookie = {0, nullptr};
    if (rc != LDAP_SUCCESS) {
      detail = "page control: " + describe(ld, rc);
      return ldap_error(errc::ldap_protocol);
    }
    LDAPControl* server_controls[] = {page, nullptr};
    int msgid = 0;
    rc = ldap_search_ext(ld, cfg.base.c_str(), LDAP_SCOPE_SUBTREE, cfg.filter.c_str(), attribute_list(), 0,
                         server_controls, nullptr, nullptr, LDAP_NO_LIMIT, &msgid);
    ldap_control_free(page);
    if (rc != LDAP_SUCCESS) {
      detail = "search: " + describe(ld, rc);
      return ldap_error(transport_error(rc) ? errc::ldap_connect : errc::ldap_search);
    }
    ++pages;
    for (;;) {
      message_holder m;
      if (auto ec = impl_->next(msgid, m, detail)) return ec;
      int type = ldap_msgtype(m.msg);
      if (type == LDAP_RES_SEARCH_ENTRY) {
        entry e;
        bool ok = read_attributes(ld, m.msg, attrs, arrays) && entry_from_attributes(attrs, e, why);
        free_arrays(arrays);
        if (ok) {
          on_entry(std::move(e));
        } else {
          ++skipped;
        }
      } else if (type == LDAP_RES_SEARCH_REFERENCE) {
        ldap_abandon_ext(ld, msgid, nullptr, nullptr);
        detail = "search continuation reference: part of the content is on another server";
        return ldap_error(errc::ldap_search);
      } else if (type == LDAP_RES_SEARCH_RESULT) {
        controls_holder ctrls;
        int code = 0;
        if (auto ec = impl_->finish(m.msg, ctrls, code, detail)) {
          detail = "page " + std::to_string(pages) + ": " + detail;
          return ec;
        }
        LDAPControl* response = ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, ctrls.ctrls, nullptr);
        if (!response) {
          detail = "the server did not answer the paged-results control";
          return ldap_error(errc::ldap_protocol);
        }
        ber_int_t estimate = 0;
        if (ldap_parse_pageresponse_control(ld, response, &estimate, &page_cookie) != LDAP_SUCCESS) {
          detail = "malformed paged-results response";
          return ldap_error(errc::ldap_protocol);
        }
        break;
      }
      // Anything else (an intermediate response) does not belong to a plain search: ignored.
    }
    if (page_cookie.bv_len == 0) {
      if (page_cookie.bv_val) ber_memfree(page_cookie.bv_val);
      return {};
    }
  }
}

std::error_code connection::refresh(std::string_view cookie, std::string_view filter, refresh_result& result,
                                    std::string& detail) {
  LDAP* ld = impl_->ld;
  const ldap_config& cfg = impl_->config;
  result = refresh_result{};
  const bool resuming = !cookie.empty();

  // RFC 4533 §2.2: syncRequestValue ::= SEQUENCE { mode ENUMERATED, cookie syncCookie OPTIONAL,
  // reloadHint BOOLEAN DEFAULT FALSE } (the default is left out, as DER requires).
  BerElement* request = ber_alloc_t(LBER_USE_DER);
  if (!request) return ldap_error(errc::ldap_protocol);
  berval cookie_bv{cookie.size(), const_cast<char*>(cookie.data())};
  int rc = resuming ? ber_printf(request, "{eO}", static_cast<ber_int_t>(LDAP_SYNC_REFRESH_ONLY), &cookie_bv)
                    : ber_printf(request, "{e}", static_cast<ber_int_t>(LDAP_SYNC_REFRESH_ONLY));
  LDAPControl control{};
  if (rc == -1 || ber_flatten2(request, &control.ldctl_value, 0) == -1) {
    ber_free(request, 1);
    return ldap_error(errc::ldap_protocol);
  }
  control.ldctl_oid = const_cast<char*>(LDAP_CONTROL_SYNC);
  control.ldctl_iscritical = 1;
  LDAPControl* server_controls[] = {&control, nullptr};
  std::string search_filter(filter.empty() ? std::string_view(cfg.filter) : filter);
  int msgid = 0;
  rc = ldap_search_ext(ld, cfg.base.c_str(), LDAP_SCOPE_SUBTREE, search_filter.c_str(), attribute_list(), 0,
                       server_controls, nullptr, nullptr, LDAP_NO_LIMIT, &msgid);
  ber_free(request, 1);
  if (rc != LDAP_SUCCESS) {
    detail = "sync search: " + describe(ld, rc);
    return ldap_error(transport_error(rc) ? errc::ldap_connect : errc::ldap_search);
  }

  std::vector<attribute_value> attrs;
  std::vector<berval*> arrays;
  std::string why;
  auto protocol_error = [&](std::string what) {
    ldap_abandon_ext(ld, msgid, nullptr, nullptr);
    detail = std::move(what);
    return ldap_error(errc::ldap_protocol);
  };
  for (;;) {
    message_holder m;
    if (auto ec = impl_->next(msgid, m, detail)) return ec;
    int type = ldap_msgtype(m.msg);
    if (type == LDAP_RES_SEARCH_ENTRY) {
      // RFC 4533 §2.3: syncStateValue ::= SEQUENCE { state ENUMERATED, entryUUID syncUUID, cookie OPTIONAL }
      controls_holder ctrls;
      ldap_get_entry_controls(ld, m.msg, &ctrls.ctrls);
      LDAPControl* state_control = ldap_control_find(LDAP_CONTROL_SYNC_STATE, ctrls.ctrls, nullptr);
      if (!state_control) return protocol_error("entry without a sync state control");
      ber_holder ber(state_control->ldctl_value);
      ber_int_t state = -1;
      berval uuid{};
      ber_len_t len = 0;
      if (!ber.ber || ber_scanf(ber.ber, "{em", &state, &uuid) == LBER_ERROR || uuid.bv_len != 16) {
        return protocol_error("malformed sync state control");
      }
      if (ber_peek_tag(ber.ber, &len) == LDAP_TAG_SYNC_COOKIE) {
        berval c{};
        if (ber_scanf(ber.ber, "m", &c) != LBER_ERROR) result.cookie = std::string(view(c));
      }
      std::string raw_uuid(view(uuid));
      ++result.entries;
      switch (state) {
        case LDAP_SYNC_PRESENT:
          result.delta.present_uuids.push_back(std::move(raw_uuid));
          break;
        case LDAP_SYNC_DELETE:
          result.delta.deleted_uuids.push_back(std::move(raw_uuid));
          break;
        case LDAP_SYNC_ADD:
        case LDAP_SYNC_MODIFY: {
          // syncprov sends modifications (and renames) as add: an upsert keyed by entryUUID (deps.md §4).
          entry e;
          bool ok = read_attributes(ld, m.msg, attrs, arrays) && entry_from_attributes(attrs, e, why);
          free_arrays(arrays);
          if (!ok) {
            ++result.skipped;
            break;
          }
          e.entry_uuid = std::move(raw_uuid);
          result.delta.changed.push_back(std::move(e));
          break;
        }
        default:
          return protocol_error("unknown sync state " + std::to_string(state));
      }
    } else if (type == LDAP_RES_INTERMEDIATE) {
      // RFC 4533 §2.5: syncInfoValue ::= CHOICE { newcookie [0], refreshDelete [1], refreshPresent [2],
      // syncIdSet [3] }
      char* oid = nullptr;
      berval* data = nullptr;
      rc = ldap_parse_intermediate(ld, m.msg, &oid, &data, nullptr, 0);
      std::string oid_text = oid ? oid : "";
      if (oid) ldap_memfree(oid);
      if (rc != LDAP_SUCCESS || oid_text != LDAP_SYNC_INFO || !data) {
        if (data) ber_bvfree(data);
        return protocol_error("unexpected intermediate response " + oid_text);
      }
      ber_holder ber(*data);
      ber_bvfree(data);
      if (!ber.ber) return protocol_error("malformed sync info");
      ber_len_t len = 0;
      ber_tag_t tag = ber_peek_tag(ber.ber, &len);
      berval c{};
      if (tag == LDAP_TAG_SYNC_NEW_COOKIE) {
        if (ber_scanf(ber.ber, "m", &c) == LBER_ERROR) return protocol_error("malformed newcookie");
        result.cookie = std::string(view(c));
      } else if (tag == LDAP_TAG_SYNC_REFRESH_DELETE || tag == LDAP_TAG_SYNC_REFRESH_PRESENT) {
        if (ber_scanf(ber.ber, "{") == LBER_ERROR) return protocol_error("malformed refresh info");
        if (ber_peek_tag(ber.ber, &len) == LDAP_TAG_SYNC_COOKIE) {
          if (ber_scanf(ber.ber, "m", &c) == LBER_ERROR) return protocol_error("malformed refresh cookie");
          result.cookie = std::string(view(c));
        }
      } else if (tag == LDAP_TAG_SYNC_ID_SET) {
        // syncIdSet ::= SEQUENCE { cookie OPTIONAL, refreshDeletes BOOLEAN DEFAULT FALSE, syncUUIDs SET OF }
        if (ber_scanf(ber.ber, "{") == LBER_ERROR) return protocol_error("malformed syncIdSet");
        if (ber_peek_tag(ber.ber, &len) == LDAP_TAG_SYNC_COOKIE) {
          if (ber_scanf(ber.ber, "m", &c) == LBER_ERROR) return protocol_error("malformed syncIdSet cookie");
          result.cookie = std::string(view(c));
        }
        ber_int_t deletes = 0;
        if (ber_peek_tag(ber.ber, &len) == LDAP_TAG_REFRESHDELETES) {
          if (ber_scanf(ber.ber, "b", &deletes) == LBER_ERROR) return protocol_error("malformed refreshDeletes");
        }
        BerVarray uuids = nullptr;
        if (ber_scanf(ber.ber, "[W]", &uuids) == LBER_ERROR) return protocol_error("malformed syncUUIDs");
        for (BerVarray u = uuids; u && u->bv_val; ++u) {
          if (u->bv_len != 16) continue;
          (deletes ? result.delta.deleted_uuids : result.delta.present_uuids).emplace_back(view(*u));
        }
        if (uuids) ber_bvarray_free(uuids);
      } else {
        return protocol_error("unknown sync info message");
      }
    } else if (type == LDAP_RES_SEARCH_REFERENCE) {
      ldap_abandon_ext(ld, msgid, nullptr, nullptr);
      detail = "search continuation reference: part of the content is on another server";
      return ldap_error(errc::ldap_search);
    } else if (type == LDAP_RES_SEARCH_RESULT) {
      controls_holder ctrls;
      int code = 0;
      if (auto ec = impl_->finish(m.msg, ctrls, code, detail)) {
        // e-syncRefreshRequired (4096), "consumer state is newer than provider" (53), or any other refusal of
        // the cookie: the caller falls back to a full reload (RFC 4533 §3.3, §4.1).
        if (resuming && ec != errc::ldap_connect) result.refused = true;
        return ec;
      }
      // RFC 4533 §2.4: syncDoneValue ::= SEQUENCE { cookie OPTIONAL, refreshDeletes BOOLEAN DEFAULT FALSE }
      LDAPControl* done = ldap_control_find(LDAP_CONTROL_SYNC_DONE, ctrls.ctrls, nullptr);
      if (!done) {
        detail = "search ended without a sync done control";
        return ldap_error(errc::ldap_protocol);
      }
      ber_holder ber(done->ldctl_value);
      ber_len_t len = 0;
      berval c{};
      bool cookie_sent = false;
      ber_int_t deletes = 0;
      if (!ber.ber || ber_scanf(ber.ber, "{") == LBER_ERROR) {
        detail = "malformed sync done control";
        return ldap_error(errc::ldap_protocol);
      }
      if (ber_peek_tag(ber.ber, &len) == LDAP_TAG_SYNC_COOKIE) {
        if (ber_scanf(ber.ber, "m", &c) == LBER_ERROR) return ldap_error(errc::ldap_protocol);
        result.cookie = std::string(view(c));
        cookie_sent = true;
      }
      if (ber_peek_tag(ber.ber, &len) == LDAP_TAG_REFRESHDELETES) {
        if (ber_scanf(ber.ber, "b", &deletes) == LBER_ERROR) return ldap_error(errc::ldap_protocol);
      }
      // refreshDeletes FALSE: a present phase took place; what was not named present or changed is gone.
      result.delta.present_phase = deletes == 0;
      if (resuming && cookie_sent && c.bv_len == 0) {
        // slapd answers a cookie it cannot parse with the whole content, refreshDeletes TRUE and an empty
        // cookie: applying that as a delta would keep deleted entries forever. Treat it as a refusal.
        result.refused = true;
        detail = "the server ignored our cookie (empty cookie in its answer)";
        return ldap_error(errc::ldap_search);
      }
      return {};
    }
  }
}

}  // namespace mssgw::directory::ldap
