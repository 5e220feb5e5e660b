// TLS contexts and peer identities: the one place mssgw builds TLS (DESIGN.md §5; mssante/README §1 and §7
// decisions 1 and 3).
//
// What it builds, from [tls] (certificate chain, key, trust anchors, CRL files):
// - server contexts for listeners, without client certificates (submission, IMAP) or asking for one (MX, port 25:
//   `request` verifies a certificate when one is sent, `require` also refuses a handshake without one);
// - a client context for outbound delivery that presents the operator's certificate (when configured) and verifies
//   the server's chain against the trust anchors (no host name check here: the whitelist DN check of decision 3
//   replaces it, see trustspace/verdict.hpp).
// Every context: TLS 1.2 minimum (1.3 if configured), AEAD suites only (TLS 1.2: ECDHE with AES-GCM or
// ChaCha20-Poly1305; TLS 1.3: its three AEAD suites), no compression, no renegotiation, CRLs checked on the whole
// chain (X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL) unless configured otherwise. A CRL past its nextUpdate
// is reported (log + metric) and, unless `accept_stale_crl`, makes verification fail (RFC 5280 §6.3.3: the status is
// then unknown).
//
// Reload: a `context_set` is immutable. `manager::reload()` builds a complete new set from the files and swaps it in
// atomically; connections keep the set they started with (shared_ptr); a failed reload keeps the running set. The
// server calls reload() on SIGHUP and on the `crl_reload` timer.
//
// Peer identity: what a verified handshake tells about the other side (subject DN as RFC 4514 text and as parsed
// RDNs, SANs, validity, serial, issuer, fingerprint, and the idNat of CPS-like certificates).
//
// Boost.Asio and OpenSSL stay out of this header (compile times, DESIGN.md §2): contexts are handed out as
// shared_ptr<asio::ssl::context> to a forward-declared type; include "common/asio.hpp" where you use them.
// Thread-safety: context_set is immutable; manager::current() may be called from any thread; reload() from one
// thread at a time.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace boost::asio::ssl {
class context;
}
struct ssl_st;         // SSL
struct x509_st;        // X509
struct X509_name_st;   // X509_NAME

namespace mssgw::common {
class config_section;
}

namespace mssgw::common::tls {

using clock = std::chrono::system_clock;

// [tls]
struct config {
  std::filesystem::path certificate;             // PEM chain, leaf first (the operator's SERV SSL certificate)
  std::filesystem::path key;                     // its PEM private key
  std::filesystem::path trust_anchors;           // PEM CA certificates (IGC-Santé root and intermediates)
  std::vector<std::filesystem::path> crl_files;  // CRLs, PEM (one or several per file) or DER
  std::string crl_check = "chain";               // chain (every certificate of the chain) | leaf | off
  bool accept_stale_crl = false;                 // true: a CRL past nextUpdate is still used (and reported)
  std::string min_version = "1.2";               // 1.2 | 1.3
  std::chrono::seconds crl_reload{3600};         // re-read the files on this period (and on SIGHUP)
  int verify_depth = 5;

  // Reads [tls]; checks that files exist and that CRLs are configured when crl_check is not "off".
  void read(config_section& section);
  // Whether [tls] asks for anything at all (a gateway without TLS config runs no TLS listener).
  bool configured() const { return !certificate.empty() || !trust_anchors.empty(); }
};

enum class client_certificates { none, request, require };

// One CRL as loaded.
struct crl_info {
  std::string file;
  std::string issuer;  // RFC 4514
  clock::time_point last_update{};
  std::optional<clock::time_point> next_update;
  bool stale = false;  // next_update is in the past at load or check time
};

// One generation of contexts, built from the files at one moment.
class context_set {
 public:
  ~context_set();
  // Null when [tls] has no certificate (server) or no trust anchors (client, and server with client certificates).
  std::shared_ptr<boost::asio::ssl::context> server(client_certificates mode) const;
  std::shared_ptr<boost::asio::ssl::context> client() const { return client_; }
  const std::vector<crl_info>& crls() const { return crls_; }
  clock::time_point built_at() const { return built_at_; }
  // Re-evaluates staleness of the loaded CRLs at `now`: the number of CRLs past their nextUpdate.
  std::size_t stale_crls(clock::time_point now) const;
  // Seconds from `now` to the earliest nextUpdate (negative when stale); nothing without CRLs.
  std::optional<std::int64_t> seconds_to_next_update(clock::time_point now) const;

 private:
  friend struct builder;
  std::shared_ptr<boost::asio::ssl::context> server_none_, server_request_, server_require_, client_;
  std::vector<crl_info> crls_;
  clock::time_point built_at_{};
};

struct build_result {
  std::shared_ptr<const context_set> contexts;  // null on error
  std::string error;                            // what failed, naming the file
  std::vector<std::string> warnings;            // e.g. a trust anchor without a CRL: its certificates will fail
};
// Builds a complete set from `cfg`'s files. Never throws.
build_result build(const config& cfg, clock::time_point now = clock::now());

// Holds the current set; swaps it on reload; reports CRL staleness through the log and metrics:
// mssgw_tls_crl_stale (CRLs past nextUpdate), mssgw_tls_crl_next_update_seconds, mssgw_tls_reload_total{result}.
class manager {
 public:
  manager() = default;
  // Builds the first set. Returns the error text, empty on success.
  std::string start(const config& cfg);
  // Builds a new set from `cfg` and swaps it in; on error logs it and keeps the running set. Returns success.
  bool reload(const config& cfg);
  // The running set (null before a successful start).
  std::shared_ptr<const context_set> current() const { return current_.load(); }
  // Logs every stale CRL (tls.crl.stale) and updates the gauges. Returns the number of stale CRLs.
  std::size_t check_crls(clock::time_point now = clock::now());

 private:
  std::atomic<std::shared_ptr<const context_set>> current_;
  std::mutex reload_mutex_;
};

// ---- names and peer identities ----

struct name_attribute {
  std::string type;     // OpenSSL short name ("CN", "ST", "serialNumber", "GN") or dotted OID
  std::string oid;      // dotted OID
  std::string value;    // UTF-8 (any ASN.1 string type converted), or "#" + hex DER when not a string
  bool binary = false;
};
using name_rdn = std::vector<name_attribute>;

// The RDNs of a certificate name in RFC 4514 order (most specific first: the reverse of the ASN.1 order, so CN
// comes before C for a usual certificate). Entries sharing an RDN set are grouped.
std::vector<name_rdn> name_rdns(const X509_name_st* name);
// RFC 4514 text of a name, UTF-8 left readable (OpenSSL XN_FLAG_RFC2253 without ASN1_STRFLGS_ESC_MSB).
std::string name_string(const X509_name_st* name);

struct peer_identity {
  std::string subject;                 // RFC 4514
  std::vector<name_rdn> subject_rdns;  // RFC 4514 order
  std::string issuer;                  // RFC 4514
  std::vector<std::string> dns_names, ip_addresses, emails, uris;  // subjectAltName
  clock::time_point not_before{}, not_after{};
  std::string serial;                  // uppercase hex
  std::string sha256;                  // fingerprint of the DER certificate, lowercase hex
  // CPS-like certificates: the serialNumber attribute, else the digits before '/' in the CN ("810001234567/DUPONT
  // Jean"); empty for server certificates.
  std::string idnat;
  bool verified = false;     // the handshake verified the chain (SSL_get_verify_result() == X509_V_OK)
  std::string verify_error;  // OpenSSL's reason when not verified
};

// The certificate the peer presented on `ssl`, or nothing when it sent none.
std::optional<peer_identity> peer_identity_of(const ssl_st* ssl);
// The identity of one certificate (verified stays false: nothing was verified here).
peer_identity identity_of(const x509_st* cert);
// Reads the first certificate of a PEM file (CLI and tests). Nothing when unreadable.
std::optional<peer_identity> identity_of_file(const std::filesystem::path& pem);

// Negotiated protocol and suite of a session, for logs and Received headers ("TLSv1.3", "TLS_AES_256_GCM_SHA384").
struct session_facts {
  std::string version;
  std::string cipher;
};
session_facts session_facts_of(const ssl_st* ssl);

}  // namespace mssgw::common::tls
