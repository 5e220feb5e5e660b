#include "common/tls.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "common/asio.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "common/config.hpp"
#include "common/log.hpp"
#include "common/metrics.hpp"

namespace mssgw::common::tls {
namespace {

// TLS 1.2: forward secrecy (ECDHE) and AEAD only (AES-GCM, ChaCha20-Poly1305), ANSSI/BSI-style. TLS 1.3: its three
// AEAD suites (RFC 8446 §9.1); the CCM suites stay off.
constexpr const char* tls12_ciphers =
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:"
    "ECDHE-RSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256";
constexpr const char* tls13_suites = "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256";
constexpr std::uintmax_t max_pki_file = 256u << 20;  // a CRL of a national CA is a few MB; refuse absurd files

struct x509_free_t {
  void operator()(X509* p) const { X509_free(p); }
};
struct crl_free_t {
  void operator()(X509_CRL* p) const { X509_CRL_free(p); }
};
struct bio_free_t {
  void operator()(BIO* p) const { BIO_free(p); }
};
struct store_free_t {
  void operator()(X509_STORE* p) const { X509_STORE_free(p); }
};
using x509_ptr = std::unique_ptr<X509, x509_free_t>;
using crl_ptr = std::unique_ptr<X509_CRL, crl_free_t>;
using bio_ptr = std::unique_ptr<BIO, bio_free_t>;
using store_ptr = std::unique_ptr<X509_STORE, store_free_t>;

// Drains OpenSSL's error queue of this thread into one line.
std::string openssl_errors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

clock::time_point to_time(const ASN1_TIME* t) {
  struct tm tm {};
  if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return {};
  return clock::from_time_t(timegm(&tm));
}

std::string to_hex(const unsigned char* p, std::size_t n, bool upper) {
  static const char* lo = "0123456789abcdef";
  static const char* up = "0123456789ABCDEF";
  const char* d = upper ? up : lo;
  std::string out;
  out.reserve(n * 2);
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(d[p[i] >> 4]);
    out.push_back(d[p[i] & 15]);
  }
  return out;
}

bool read_file(const std::filesystem::path& path, std::string& out, std::string& error) {
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  if (ec) {
    error = path.string() + ": " + ec.message();
    return false;
  }
  if (size > max_pki_file) {
    error = path.string() + ": " + std::to_string(size) + " bytes, too large for a certificate or CRL file";
    return false;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = path.string() + ": cannot open";
    return false;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

std::string fmt_time(clock::time_point t) {
  std::time_t tt = clock::to_time_t(t);
  struct tm tm {};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Installed only with accept_stale_crl: a CRL past nextUpdate still counts (its revocations are still applied);
// every other failure stays a failure. RFC 5280 §6.3.3 leaves this to local policy.
int accept_stale_crl_cb(int preverify_ok, X509_STORE_CTX* ctx) {
  if (preverify_ok) return 1;
  if (X509_STORE_CTX_get_error(ctx) == X509_V_ERR_CRL_HAS_EXPIRED) {
    static metrics::counter& accepted = metrics::get_counter(
        "mssgw_tls_stale_crl_accepted_total", "Certificate checks that used a CRL past its nextUpdate");
    accepted.inc();
    X509_STORE_CTX_set_error(ctx, X509_V_OK);
    return 1;
  }
  return 0;
}

}  // namespace

// ---- config ----

void config::read(config_section& s) {
  s.path("certificate", certificate, path_check::file_exists);
  s.path("key", key, path_check::file_exists);
  s.path("trust_anchors", trust_anchors, path_check::file_exists);
  std::vector<std::string> crls;
  s.string_list("crl_files", crls, 1000);
  for (const auto& c : crls) {
    std::filesystem::path p(c);
    if (p.is_relative()) p = s.base_dir() / p;
    std::error_code ec;
    if (!std::filesystem::is_regular_file(p, ec)) {
      s.error("crl_files", "file not found: " + p.string());
      continue;
    }
    crl_files.push_back(p.lexically_normal());
  }
  s.one_of("crl_check", crl_check, {"chain", "leaf", "off"});
  s.boolean("accept_stale_crl", accept_stale_crl);
  s.one_of("min_version", min_version, {"1.2", "1.3"});
  s.duration("crl_reload", crl_reload, std::chrono::seconds(1), std::chrono::hours(24 * 7));
  s.integer("verify_depth", verify_depth, 1, 16);
  if (certificate.empty() != key.empty()) {
    s.error(certificate.empty() ? "certificate" : "key", "certificate and key are configured together");
  }
  if (!trust_anchors.empty() && crl_check != "off" && crl_files.empty() && crls.empty()) {
    s.error("crl_files", "crl_check = \"" + crl_check +
                             "\" needs CRL files (IGC-Santé publishes them daily); or set crl_check = \"off\"");
  }
}

// ---- names and identities ----

std::vector<name_rdn> name_rdns(const X509_name_st* name) {
  std::vector<name_rdn> out;
  if (!name) return out;
  int n = X509_NAME_entry_count(name);
  int current_set = -1;
  // ASN.1 order is C..CN; RFC 4514 §2.1 renders from the last RDN to the first.
  for (int i = n - 1; i >= 0; --i) {
    const X509_NAME_ENTRY* e = X509_NAME_get_entry(name, i);
    int set = X509_NAME_ENTRY_set(e);
    if (out.empty() || set != current_set) {
      out.emplace_back();
      current_set = set;
    }
    name_attribute a;
    const ASN1_OBJECT* obj = X509_NAME_ENTRY_get_object(e);
    char buf[128];
    int len = OBJ_obj2txt(buf, sizeof buf, obj, 1);
    if (len > 0) a.oid.assign(buf, static_cast<std::size_t>(std::min<int>(len, sizeof buf - 1)));
    int nid = OBJ_obj2nid(obj);
    a.type = nid != NID_undef ? OBJ_nid2sn(nid) : a.oid;
    const ASN1_STRING* data = X509_NAME_ENTRY_get_data(e);
    unsigned char* utf8 = nullptr;
    int ulen = ASN1_STRING_to_UTF8(&utf8, data);
    if (ulen >= 0) {
      a.value.assign(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(ulen));
      OPENSSL_free(utf8);
    } else {
      ERR_clear_error();
      // Not a character string: RFC 4514 §2.4 renders the BER encoding as "#" + hex.
      ASN1_TYPE* t = ASN1_TYPE_new();
      unsigned char* der = nullptr;
      int dlen = -1;
      if (t && ASN1_TYPE_set1(t, ASN1_STRING_type(data), data) == 1) dlen = i2d_ASN1_TYPE(t, &der);
      if (dlen > 0) {
        a.value = "#" + to_hex(der, static_cast<std::size_t>(dlen), false);
        OPENSSL_free(der);
      } else {
        a.value = "#";
      }
      ASN1_TYPE_free(t);
      a.binary = true;
    }
    out.back().push_back(std::move(a));
  }
  return out;
}

std::string name_string(const X509_name_st* name) {
  if (!name) return {};
  bio_ptr bio(BIO_new(BIO_s_mem()));
  if (!bio) return {};
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return len > 0 ? std::string(data, static_cast<std::size_t>(len)) : std::string();
}

peer_identity identity_of(const x509_st* cert_in) {
  peer_identity id;
  X509* cert = const_cast<X509*>(cert_in);  // OpenSSL 3 getters take const; a few older ones do not
  if (!cert) return id;
  id.subject = name_string(X509_get_subject_name(cert));
  id.subject_rdns = name_rdns(X509_get_subject_name(cert));
  id.issuer = name_string(X509_get_issuer_name(cert));
  id.not_before = to_time(X509_get0_notBefore(cert));
  id.not_after = to_time(X509_get0_notAfter(cert));
  if (const ASN1_INTEGER* serial = X509_get0_serialNumber(cert)) {
    if (BIGNUM* bn = ASN1_INTEGER_to_BN(serial, nullptr)) {
      if (char* hex = BN_bn2hex(bn)) {
        id.serial = hex;
        OPENSSL_free(hex);
      }
      BN_free(bn);
    }
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  if (X509_digest(cert, EVP_sha256(), md, &md_len) == 1) id.sha256 = to_hex(md, md_len, false);

  if (auto* names = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr))) {
    for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
      const GENERAL_NAME* g = sk_GENERAL_NAME_value(names, i);
      auto str = [](const ASN1_STRING* s) {
        return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                           static_cast<std::size_t>(ASN1_STRING_length(s)));
      };
      switch (g->type) {
        case GEN_DNS: id.dns_names.push_back(str(g->d.dNSName)); break;
        case GEN_EMAIL: id.emails.push_back(str(g->d.rfc822Name)); break;
        case GEN_URI: id.uris.push_back(str(g->d.uniformResourceIdentifier)); break;
        case GEN_IPADD: {
          const ASN1_OCTET_STRING* ip = g->d.iPAddress;
          char buf[64] = {};
          const unsigned char* p = ASN1_STRING_get0_data(ip);
          int len = ASN1_STRING_length(ip);
          if (len == 4) {
            std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", p[0], p[1], p[2], p[3]);
          } else if (len == 16) {
            asio::ip::address_v6::bytes_type b;
            std::copy(p, p + 16, b.begin());
            std::snprintf(buf, sizeof buf, "%s", asio::ip::address_v6(b).to_string().c_str());
          }
          if (buf[0]) id.ip_addresses.emplace_back(buf);
          break;
        }
        default: break;
      }
    }
    GENERAL_NAMES_free(names);
  }

  // idNat (mssante/README §3): CPS certificates carry it as serialNumber (2.5.4.5) and before '/' in the CN.
  const std::string* cn = nullptr;
  for (const auto& rdn : id.subject_rdns) {
    for (const auto& a : rdn) {
      if (a.oid == "2.5.4.5" && id.idnat.empty() && !a.binary) id.idnat = a.value;
      if (a.oid == "2.5.4.3" && !cn) cn = &a.value;
    }
  }
  if (id.idnat.empty() && cn) {
    auto slash = cn->find('/');
    if (slash != std::string::npos && slash > 0 &&
        std::all_of(cn->begin(), cn->begin() + static_cast<std::ptrdiff_t>(slash),
                    [](char c) { return c >= '0' && c <= '9'; })) {
      id.idnat = cn->substr(0, slash);
    }
  }
  return id;
}

std::optional<peer_identity> peer_identity_of(const ssl_st* ssl) {
  if (!ssl) return std::nullopt;
  X509* cert = SSL_get1_peer_certificate(ssl);  // deps.md §1 pitfall 8
  if (!cert) return std::nullopt;
  peer_identity id = identity_of(cert);
  X509_free(cert);
  long result = SSL_get_verify_result(ssl);
  id.verified = result == X509_V_OK;
  if (!id.verified) id.verify_error = X509_verify_cert_error_string(result);
  return id;
}

std::optional<peer_identity> identity_of_file(const std::filesystem::path& pem) {
  std::string data, error;
  if (!read_file(pem, data, error)) return std::nullopt;
  bio_ptr bio(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
  x509_ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) {
    ERR_clear_error();
    return std::nullopt;
  }
  return identity_of(cert.get());
}

session_facts session_facts_of(const ssl_st* ssl) {
  session_facts f;
  if (!ssl) return f;
  f.version = SSL_get_version(ssl);
  if (const SSL_CIPHER* c = SSL_get_current_cipher(ssl)) f.cipher = SSL_CIPHER_get_name(c);
  return f;
}

// ---- contexts ----

context_set::~context_set() = default;

std::shared_ptr<asio::ssl::context> context_set::server(client_certificates mode) const {
  switch (mode) {
    case client_certificates::none: return server_none_;
    case client_certificates::request: return server_request_;
    case client_certificates::require: return server_require_;
  }
  return nullptr;
}

std::size_t context_set::stale_crls(clock::time_point now) const {
  return static_cast<std::size_t>(
      std::count_if(crls_.begin(), crls_.end(), [&](const crl_info& c) { return c.next_update && *c.next_update < now; }));
}

std::optional<std::int64_t> context_set::seconds_to_next_update(clock::time_point now) const {
  std::optional<std::int64_t> best;
  for (const auto& c : crls_) {
    if (!c.next_update) continue;
    auto s = std::chrono::duration_cast<std::chrono::seconds>(*c.next_update - now).count();
    if (!best || s < *best) best = s;
  }
  return best;
}

struct builder {
  const config& cfg;
  clock::time_point now;
  build_result result;
  store_ptr store;
  std::vector<x509_ptr> anchors;
  std::vector<crl_info> crls;

  bool fail(std::string message) {
    result.error = std::move(message);
    ERR_clear_error();
    return false;
  }

  bool load_store() {
    store.reset(X509_STORE_new());
    if (!store) return fail("X509_STORE_new: " + openssl_errors());
    if (cfg.trust_anchors.empty()) return true;
    std::string data, error;
    if (!read_file(cfg.trust_anchors, data, error)) return fail("trust anchors: " + error);
    bio_ptr bio(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
    while (X509* raw = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
      x509_ptr cert(raw);
      if (X509_STORE_add_cert(store.get(), cert.get()) != 1) {
        return fail("trust anchors " + cfg.trust_anchors.string() + ": " + openssl_errors());
      }
      anchors.push_back(std::move(cert));
    }
    ERR_clear_error();  // the loop ends on "no start line"
    if (anchors.empty()) return fail("trust anchors " + cfg.trust_anchors.string() + ": no PEM certificate found");
    for (const auto& a : anchors) {
      if (to_time(X509_get0_notAfter(a.get())) < now) {
        result.warnings.push_back("trust anchor " + name_string(X509_get_subject_name(a.get())) + " expired on " +
                                  fmt_time(to_time(X509_get0_notAfter(a.get()))));
      }
    }

    for (const auto& file : cfg.crl_files) {
      if (!load_crl_file(file)) return false;
    }
    if (cfg.crl_check != "off") {
      unsigned long flags = X509_V_FLAG_CRL_CHECK;
      if (cfg.crl_check == "chain") flags |= X509_V_FLAG_CRL_CHECK_ALL;
      X509_STORE_set_flags(store.get(), flags);
      // With CRL checking, a CA without a CRL makes every certificate it issued fail ("unable to get certificate
      // CRL"): say so at load time rather than at the first handshake.
      for (const auto& a : anchors) {
        const X509_NAME* subject = X509_get_subject_name(a.get());
        bool self_signed = X509_NAME_cmp(subject, X509_get_issuer_name(a.get())) == 0;
        if (cfg.crl_check == "leaf" && self_signed && anchors.size() > 1) continue;
        bool has = std::any_of(crls.begin(), crls.end(), [&](const crl_info& c) { return c.issuer == name_string(subject); });
        if (!has) {
          result.warnings.push_back("no CRL issued by trust anchor " + name_string(subject) +
                                    ": certificates it issued will be refused");
        }
      }
    }
    X509_STORE_set_depth(store.get(), cfg.verify_depth);
    return true;
  }

  bool load_crl_file(const std::filesystem::path& file) {
    std::string data, error;
    if (!read_file(file, data, error)) return fail("CRL " + error);
    std::vector<crl_ptr> found;
    bio_ptr bio(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
    if (data.find("-----BEGIN") != std::string::npos) {
      while (X509_CRL* raw = PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr)) found.emplace_back(raw);
      ERR_clear_error();
    } else if (X509_CRL* raw = d2i_X509_CRL_bio(bio.get(), nullptr)) {  // IGC-Santé publishes DER CRLs
      found.emplace_back(raw);
    }
    if (found.empty()) return fail("CRL " + file.string() + ": no CRL found (PEM or DER)");
    for (auto& crl : found) {
      const X509_NAME* issuer = X509_CRL_get_issuer(crl.get());
      crl_info info;
      info.file = file.string();
      info.issuer = name_string(issuer);
      info.last_update = to_time(X509_CRL_get0_lastUpdate(crl.get()));
      if (const ASN1_TIME* nu = X509_CRL_get0_nextUpdate(crl.get())) info.next_update = to_time(nu);
      info.stale = info.next_update && *info.next_update < now;
      // Check the signature now, so that a corrupt or forged file fails the reload instead of every handshake.
      const X509* signer = nullptr;
      for (const auto& a : anchors) {
        if (X509_NAME_cmp(X509_get_subject_name(a.get()), issuer) == 0) signer = a.get();
      }
      if (!signer) {
        result.warnings.push_back("CRL " + file.string() + " issued by " + info.issuer +
                                  ", which is not a trust anchor: unused");
      } else if (X509_CRL_verify(crl.get(), X509_get0_pubkey(signer)) != 1) {
        return fail("CRL " + file.string() + " (issuer " + info.issuer + "): bad signature");
      }
      if (X509_STORE_add_crl(store.get(), crl.get()) != 1) {
        return fail("CRL " + file.string() + ": " + openssl_errors());
      }
      crls.push_back(std::move(info));
    }
    return true;
  }

  std::shared_ptr<asio::ssl::context> make(bool server, client_certificates mode) {
    std::shared_ptr<asio::ssl::context> ctx;
    try {
      ctx = std::make_shared<asio::ssl::context>(server ? asio::ssl::context::tls_server
                                                        : asio::ssl::context::tls_client);
    } catch (const std::exception& e) {
      fail(std::string("SSL_CTX_new: ") + e.what());
      return nullptr;
    }
    SSL_CTX* h = ctx->native_handle();
    // mssante/README §1: TLS 1.2 minimum; SSL, TLS 1.0 and 1.1 forbidden.
    SSL_CTX_set_min_proto_version(h, cfg.min_version == "1.3" ? TLS1_3_VERSION : TLS1_2_VERSION);
    SSL_CTX_set_options(h, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_SSLv3 | SSL_OP_NO_TLSv1 |
                               SSL_OP_NO_TLSv1_1 | (server ? SSL_OP_CIPHER_SERVER_PREFERENCE : 0));
    if (SSL_CTX_set_cipher_list(h, tls12_ciphers) != 1 || SSL_CTX_set_ciphersuites(h, tls13_suites) != 1) {
      fail("cipher configuration: " + openssl_errors());
      return nullptr;
    }
    SSL_CTX_set1_cert_store(h, store.get());  // shared by every context of the set (X509_STORE locks internally)
    SSL_CTX_set_verify_depth(h, cfg.verify_depth);
    bool present = !cfg.certificate.empty();
    if (server && !present) return nullptr;
    if (present) {
      if (SSL_CTX_use_certificate_chain_file(h, cfg.certificate.c_str()) != 1) {
        fail("certificate " + cfg.certificate.string() + ": " + openssl_errors());
        return nullptr;
      }
      if (SSL_CTX_use_PrivateKey_file(h, cfg.key.c_str(), SSL_FILETYPE_PEM) != 1) {
        fail("key " + cfg.key.string() + ": " + openssl_errors());
        return nullptr;
      }
      if (SSL_CTX_check_private_key(h) != 1) {
        fail("key " + cfg.key.string() + " does not match certificate " + cfg.certificate.string());
        return nullptr;
      }
    }
    int verify = SSL_VERIFY_NONE;
    if (!server) {
      verify = SSL_VERIFY_PEER;
    } else if (mode == client_certificates::request) {
      verify = SSL_VERIFY_PEER;
    } else if (mode == client_certificates::require) {
      verify = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    }
    SSL_CTX_set_verify(h, verify, cfg.accept_stale_crl ? accept_stale_crl_cb : nullptr);
    if (server) {
      // Needed for session resumption when client certificates are verified.
      static const unsigned char sid[] = "mssgw";
      SSL_CTX_set_session_id_context(h, sid, sizeof sid - 1);
      if (mode != client_certificates::none) {
        // Tell clients which CAs we accept (RFC 8446 §4.2.4 certificate_authorities / TLS 1.2 CertificateRequest).
        if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(cfg.trust_anchors.c_str())) {
          SSL_CTX_set_client_CA_list(h, names);
        }
        ERR_clear_error();
      }
    }
    return ctx;
  }

  void run(context_set& set) {
    if (!load_store()) return;
    if (!cfg.certificate.empty()) {
      if (auto id = identity_of_file(cfg.certificate); id && id->not_after < now) {
        result.warnings.push_back("certificate " + cfg.certificate.string() + " expired on " + fmt_time(id->not_after));
      }
      set.server_none_ = make(true, client_certificates::none);
      if (!result.error.empty()) return;
      if (!cfg.trust_anchors.empty()) {
        set.server_request_ = make(true, client_certificates::request);
        if (!result.error.empty()) return;
        set.server_require_ = make(true, client_certificates::require);
        if (!result.error.empty()) return;
      }
    }
    if (!cfg.trust_anchors.empty()) {
      set.client_ = make(false, client_certificates::none);
      if (!result.error.empty()) return;
    }
    set.crls_ = std::move(crls);
    set.built_at_ = now;
  }
};

build_result build(const config& cfg, clock::time_point now) {
  auto set = std::make_shared<context_set>();
  builder b{cfg, now, {}, nullptr, {}, {}};
  b.run(*set);
  if (b.result.error.empty()) b.result.contexts = std::move(set);
  return std::move(b.result);
}

// ---- manager ----

namespace {
log::context tls_log() { return log::context(log::module::common); }
}  // namespace

std::string manager::start(const config& cfg) {
  std::lock_guard lock(reload_mutex_);
  auto r = build(cfg);
  static metrics::counter& ok = metrics::get_counter("mssgw_tls_reload_total", "TLS context builds", "result=\"ok\"");
  if (!r.contexts) return r.error;
  ok.inc();
  for (const auto& w : r.warnings) tls_log().warn("tls.warning", {{"reason", w}});
  current_.store(r.contexts);
  tls_log().info("tls.loaded", {{"crls", r.contexts->crls().size()}, {"min_version", cfg.min_version},
                                {"crl_check", cfg.crl_check}});
  check_crls();
  return {};
}

bool manager::reload(const config& cfg) {
  std::lock_guard lock(reload_mutex_);
  static metrics::counter& ok = metrics::get_counter("mssgw_tls_reload_total", "TLS context builds", "result=\"ok\"");
  static metrics::counter& failed =
      metrics::get_counter("mssgw_tls_reload_total", "TLS context builds", "result=\"failed\"");
  auto r = build(cfg);
  if (!r.contexts) {
    failed.inc();
    tls_log().error("tls.reload.failed", {{"reason", r.error}, {"action", "keeping the running certificates and CRLs"}});
    return false;
  }
  ok.inc();
  for (const auto& w : r.warnings) tls_log().warn("tls.warning", {{"reason", w}});
  current_.store(r.contexts);
  tls_log().info("tls.reloaded", {{"crls", r.contexts->crls().size()}});
  check_crls();
  return true;
}

std::size_t manager::check_crls(clock::time_point now) {
  static metrics::gauge& stale_gauge =
      metrics::get_gauge("mssgw_tls_crl_stale", "Loaded CRLs whose nextUpdate is in the past");
  static metrics::gauge& next_gauge = metrics::get_gauge(
      "mssgw_tls_crl_next_update_seconds", "Seconds until the earliest nextUpdate of the loaded CRLs (negative: stale)");
  auto set = current();
  if (!set) return 0;
  std::size_t stale = 0;
  for (const auto& c : set->crls()) {
    if (c.next_update && *c.next_update < now) {
      ++stale;
      tls_log().warn("tls.crl.stale", {{"file", c.file}, {"issuer", c.issuer}, {"next_update", fmt_time(*c.next_update)}});
    }
  }
  stale_gauge.set(static_cast<double>(stale));
  if (auto s = set->seconds_to_next_update(now)) next_gauge.set(static_cast<double>(*s));
  return stale;
}

}  // namespace mssgw::common::tls
