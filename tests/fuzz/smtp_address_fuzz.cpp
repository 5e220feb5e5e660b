// libFuzzer target: parse_path / parse_mailbox / check_domain.
// Checks: consumed stays within the input and the 256-octet path limit and ends on '>'; lengths hold; the
// canonical form "<mailbox()>" parses back to the same path (local part, domain, flags); normalised() is stable.
#include <string>

#include "fuzz_input.hpp"
#include "smtp/proto/address.hpp"
#include "smtp/proto/codec.hpp"

using namespace mssgw::smtp::proto;

namespace {

// Same mailbox; `quoted` may differ (<"john"@x> is <john@x>).
bool same(const path& a, const path& b) {
  return a.local_part == b.local_part && a.domain == b.domain && a.is_null == b.is_null &&
         a.is_postmaster == b.is_postmaster && a.literal == b.literal && a.utf8 == b.utf8;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mssgw::smtp::proto::fuzz;
  const auto in = address_input::decode(as_view(data, size));
  const path_options opt{.allow_null = in.allow_null, .allow_postmaster = in.allow_postmaster, .smtputf8 = in.smtputf8};
  const path_result r = parse_path(in.payload, opt);
  if (r.error == errc::ok) {
    const path& p = r.value;
    FUZZ_CHECK(r.consumed >= 2 && r.consumed <= in.payload.size() && r.consumed <= max_path);
    FUZZ_CHECK(in.payload[r.consumed - 1] == '>');
    FUZZ_CHECK(!(p.is_null && p.is_postmaster));
    FUZZ_CHECK(!p.is_null || in.allow_null);
    FUZZ_CHECK(!p.is_postmaster || in.allow_postmaster);
    FUZZ_CHECK(!p.utf8 || in.smtputf8);
    FUZZ_CHECK(in.smtputf8 || is_valid_utf8(p.local_part));
    FUZZ_CHECK(is_valid_utf8(p.local_part) && is_valid_utf8(p.domain));
    if (!p.is_null && !p.is_postmaster) {
      FUZZ_CHECK(!p.domain.empty() && p.domain.size() <= max_domain);
      FUZZ_CHECK(check_domain(p.domain, true, true) == errc::ok);
      const std::string angle = "<" + p.mailbox() + ">";
      FUZZ_CHECK(angle.size() <= r.consumed);  // canonical form is never longer than what was received
      const path_result again = parse_path(angle, opt);
      FUZZ_CHECK(again.error == errc::ok);
      FUZZ_CHECK(again.consumed == angle.size());
      FUZZ_CHECK(same(again.value, p));
      FUZZ_CHECK(again.value.normalised() == p.normalised());
      const path_result bare = parse_mailbox(p.mailbox(), in.smtputf8);
      FUZZ_CHECK(bare.error == errc::ok && same(bare.value, p));
    }
  } else {
    FUZZ_CHECK(reply_for(r.error, address_role::recipient).code >= 500);
  }
  // The other entry points on the raw payload: no crash, consistent with each other.
  const path_result mb = parse_mailbox(in.payload, in.smtputf8);
  if (mb.error == errc::ok) {
    FUZZ_CHECK(mb.consumed == in.payload.size());
    const path_result wrapped = parse_path("<" + std::string(in.payload) + ">", {.smtputf8 = in.smtputf8});
    FUZZ_CHECK(wrapped.error == errc::ok || wrapped.error == errc::path_too_long);
  }
  (void)check_domain(in.payload, true, in.smtputf8);
  (void)is_dot_string(in.payload, in.smtputf8);
  return 0;
}
