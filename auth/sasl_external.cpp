// EXTERNAL (RFC 4422 Appendix A): the client is who its verified TLS certificate says; the response is only the
// authorization identity it asks for (possibly empty).
#include "auth/sasl_mechanisms.hpp"

namespace mssgw::auth::sasl::detail {
namespace {

constexpr std::size_t max_authzid = 1024;

class external_mechanism : public mechanism {
 public:
  explicit external_mechanism(const context& ctx) : mechanism(ctx) {}
  mechanism_kind kind() const override { return mechanism_kind::external; }

 protected:
  outcome respond(std::string_view response, clock::time_point) override {
    if (!ctx_.certificate) {
      return failure(errc::no_certificate, failure_class::credentials, "EXTERNAL without a client certificate");
    }
    const certificate_facts& cert = *ctx_.certificate;
    if (!cert.verified) {
      return failure(errc::certificate_not_verified, failure_class::credentials,
                     "EXTERNAL with an unverified certificate (subject " + cert.subject_dn.substr(0, 256) + ")");
    }
    // RFC 4422 App. A.1: message = [ authz-id ] (UTF-8, no NUL).
    if (response.size() > max_authzid || response.find('\0') != std::string_view::npos) {
      return failure(errc::malformed_response, failure_class::malformed, "EXTERNAL authzid too long or with NUL");
    }
    std::optional<identity> who;
    if (cert.idnat && storage::valid_idnat(*cert.idnat)) {
      who = identity::professional(*cert.idnat, mechanism_kind::external);  // a CPS card
    } else if (!canonical_dn(cert.subject_dn).empty()) {
      who = identity::organisation(cert.subject_dn, mechanism_kind::external);
    } else {
      return failure(errc::certificate_not_verified, failure_class::credentials,
                     "EXTERNAL: certificate subject DN does not parse");
    }
    return authorized(std::move(*who), std::string(response));
  }
};

}  // namespace

std::unique_ptr<mechanism> make_external(const context& ctx) {
  return std::make_unique<external_mechanism>(ctx);
}

}  // namespace mssgw::auth::sasl::detail
