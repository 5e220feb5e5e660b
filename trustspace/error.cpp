#include "trustspace/error.hpp"

#include <string>

namespace mssgw::trustspace {
namespace {

class trustspace_category : public std::error_category {
 public:
  const char* name() const noexcept override { return "mssgw.trustspace"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::dn_syntax: return "invalid DN syntax";
      case errc::dn_empty: return "empty DN";
      case errc::xml_syntax: return "whitelist is not well-formed XML";
      case errc::xml_doctype: return "DOCTYPE refused in whitelist";
      case errc::too_large: return "over the size limit";
      case errc::wrong_root: return "not an ANS whitelist (wrong root element)";
      case errc::missing_field: return "missing field in whitelist";
      case errc::invalid_field: return "invalid field in whitelist";
      case errc::too_many_entries: return "too many whitelist entries";
      case errc::fetch_failed: return "whitelist fetch failed";
      case errc::http_status: return "unexpected HTTP status";
      case errc::io_error: return "whitelist I/O error";
      case errc::no_source: return "no whitelist source configured";
    }
    return "unknown trustspace error";
  }
};

}  // namespace

const std::error_category& error_category() {
  static const trustspace_category category;
  return category;
}

}  // namespace mssgw::trustspace
