#include "smtp/proto/command.hpp"

#include <array>
#include <limits>
#include <utility>

#include "smtp/proto/codec.hpp"

namespace mssgw::smtp::proto {
namespace {

struct verb_entry {
  std::string_view word;
  verb v;
};
constexpr std::array<verb_entry, 13> verbs{{{"EHLO", verb::ehlo},
                                            {"HELO", verb::helo},
                                            {"MAIL", verb::mail},
                                            {"RCPT", verb::rcpt},
                                            {"DATA", verb::data},
                                            {"BDAT", verb::bdat},
                                            {"RSET", verb::rset},
                                            {"NOOP", verb::noop},
                                            {"QUIT", verb::quit},
                                            {"VRFY", verb::vrfy},
                                            {"HELP", verb::help},
                                            {"STARTTLS", verb::starttls},
                                            {"AUTH", verb::auth}}};

verb lookup(std::string_view word) {
  for (const auto& e : verbs)
    if (iequals(word, e.word)) return e.v;
  return verb::unknown;
}

bool has_control(std::string_view s) {
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 32 || c == 127) return true;
  }
  return false;
}

bool printable_ascii(std::string_view s) {
  for (char c : s)
    if (c < 33 || c > 126) return false;
  return true;
}

// sasl-mech = 1*20mech-char; mech-char = UPPER-ALPHA / DIGIT / HYPHEN / UNDERSCORE (RFC 4422 §3.1); we accept
// lower case too and uppercase it (RFC 4954 §4: the mechanism name is case-insensitive).
bool is_mechanism(std::string_view s) {
  if (s.empty() || s.size() > 20) return false;
  for (char c : s)
    if (!(is_alpha(c) || is_digit(c) || c == '-' || c == '_')) return false;
  return true;
}

command_result fail(command_result& r, errc e) {
  r.error = e;
  return std::move(r);
}

command_result parse_mail(command_result& r, std::string_view args, const extensions& ext) {
  // "MAIL FROM:" Reverse-path [SP Mail-parameters]
  if (!istarts_with(args, "FROM:")) return fail(r, errc::syntax_error);
  args.remove_prefix(5);
  if (!args.empty() && args[0] == ' ') args.remove_prefix(1);  // Postfix-style tolerance, see header
  mail_command m;
  // Accept UTF-8 while parsing, then insist on SMTPUTF8 in the same command (RFC 6531 §3.4).
  path_result p = parse_path(args, {.allow_null = true, .allow_postmaster = false, .smtputf8 = true});
  if (p.error != errc::ok) return fail(r, p.error);
  const std::string_view rest = args.substr(p.consumed);
  if (!rest.empty() && rest[0] != ' ') return fail(r, errc::address_syntax);  // "<a@b>>", "<a@b>x"
  if (const errc e = parse_mail_params(rest, ext, m.params); e != errc::ok) return fail(r, e);
  if (p.value.utf8 && !m.params.smtputf8) return fail(r, errc::non_ascii_address);
  m.reverse_path = std::move(p.value);
  r.cmd = std::move(m);
  return std::move(r);
}

command_result parse_rcpt(command_result& r, std::string_view args, const extensions& ext, bool smtputf8) {
  // "RCPT TO:" ( "<Postmaster@" Domain ">" / "<Postmaster>" / Forward-path ) [SP Rcpt-parameters]
  if (!istarts_with(args, "TO:")) return fail(r, errc::syntax_error);
  args.remove_prefix(3);
  if (!args.empty() && args[0] == ' ') args.remove_prefix(1);
  rcpt_command c;
  const bool utf8 = smtputf8 && ext.smtputf8;
  path_result p = parse_path(args, {.allow_null = false, .allow_postmaster = true, .smtputf8 = utf8});
  if (p.error != errc::ok) return fail(r, p.error);
  const std::string_view rest = args.substr(p.consumed);
  if (!rest.empty() && rest[0] != ' ') return fail(r, errc::address_syntax);
  if (const errc e = parse_rcpt_params(rest, ext, utf8, c.params); e != errc::ok) return fail(r, e);
  c.forward_path = std::move(p.value);
  r.cmd = std::move(c);
  return std::move(r);
}

command_result parse_bdat(command_result& r, std::string_view args) {
  // "BDAT" SP chunk-size [ SP end-marker ]; chunk-size = 1*DIGIT; end-marker = "LAST" (RFC 3030 §2)
  const std::size_t sp = args.find(' ');
  const std::string_view digits = args.substr(0, sp);
  if (digits.empty() || digits.size() > 20) return fail(r, errc::invalid_argument);
  std::uint64_t n = 0;
  constexpr auto max = std::numeric_limits<std::uint64_t>::max();
  for (char ch : digits) {
    if (!is_digit(ch)) return fail(r, errc::invalid_argument);
    const auto d = static_cast<std::uint64_t>(ch - '0');
    if (n > (max - d) / 10) return fail(r, errc::invalid_argument);
    n = n * 10 + d;
  }
  bdat_command b;
  b.size = n;
  if (sp != std::string_view::npos) {
    if (!iequals(args.substr(sp + 1), "LAST")) return fail(r, errc::invalid_argument);
    b.last = true;
  }
  r.cmd = b;
  return std::move(r);
}

command_result parse_auth(command_result& r, std::string_view args) {
  // "AUTH" SP sasl-mech [SP initial-response] (RFC 4954 §4)
  const std::size_t sp = args.find(' ');
  const std::string_view mech = args.substr(0, sp);
  if (!is_mechanism(mech)) return fail(r, errc::invalid_argument);
  auth_command a;
  for (char ch : mech) a.mechanism.push_back(ascii_upper(ch));
  if (sp != std::string_view::npos) {
    const std::string_view ir = args.substr(sp + 1);
    if (ir.empty() || ir.find(' ') != std::string_view::npos) return fail(r, errc::invalid_argument);
    if (ir == "=") {
      a.initial_response.emplace();
    } else {
      auto decoded = base64_decode(ir);
      if (!decoded) return fail(r, errc::invalid_base64);
      a.initial_response = std::move(decoded);
    }
  }
  r.cmd = std::move(a);
  return std::move(r);
}

}  // namespace

std::string_view name(verb v) {
  for (const auto& e : verbs)
    if (e.v == v) return e.word;
  return "UNKNOWN";
}

error_reply command_result::reply() const {
  const address_role role = verb == verb::mail   ? address_role::sender
                            : verb == verb::rcpt ? address_role::recipient
                                                 : address_role::none;
  return reply_for(error, role);
}

command_result parse_command(std::string_view line, const extensions& ext, bool transaction_smtputf8) {
  command_result r;
  while (!line.empty() && line.back() == ' ') line.remove_suffix(1);
  if (has_control(line)) return fail(r, errc::invalid_character);

  const std::size_t sp = line.find(' ');
  const std::string_view word = line.substr(0, sp);
  r.verb = lookup(word);
  if (r.verb == verb::unknown) return fail(r, errc::unknown_command);
  const bool has_args = sp != std::string_view::npos;
  const std::string_view args = has_args ? line.substr(sp + 1) : std::string_view{};
  // "VERB  x" (two spaces) leaves an argument that starts with a space: refused by each argument parser.

  switch (r.verb) {
    case verb::ehlo:
    case verb::helo: {
      // RFC 5321 §4.1.1.1: "EHLO" SP ( Domain / address-literal ); HELO SP Domain.
      if (!has_args || args.empty() || args.size() > max_domain || !printable_ascii(args))
        return fail(r, errc::invalid_argument);
      ehlo_command e;
      e.extended = r.verb == verb::ehlo;
      e.domain.assign(args);
      e.domain_valid = check_domain(args, true, false) == errc::ok;
      r.cmd = std::move(e);
      return r;
    }
    case verb::mail:
      if (!has_args) return fail(r, errc::syntax_error);
      return parse_mail(r, args, ext);
    case verb::rcpt:
      if (!has_args) return fail(r, errc::syntax_error);
      return parse_rcpt(r, args, ext, transaction_smtputf8);
    case verb::bdat:
      if (!has_args) return fail(r, errc::invalid_argument);
      return parse_bdat(r, args);
    case verb::auth:
      if (!has_args) return fail(r, errc::invalid_argument);
      return parse_auth(r, args);
    case verb::vrfy:
      if (!has_args || args.empty() || args[0] == ' ' || !is_valid_utf8(args)) return fail(r, errc::invalid_argument);
      r.cmd = vrfy_command{std::string(args)};
      return r;
    case verb::help:
      if (!is_valid_utf8(args)) return fail(r, errc::invalid_argument);
      r.cmd = help_command{std::string(args)};
      return r;
    case verb::noop:
      r.cmd = noop_command{};  // RFC 5321 §4.1.1.9: the argument is ignored
      return r;
    case verb::data:
    case verb::rset:
    case verb::quit:
    case verb::starttls:
      if (has_args) return fail(r, errc::invalid_argument);
      if (r.verb == verb::data) r.cmd = data_command{};
      if (r.verb == verb::rset) r.cmd = rset_command{};
      if (r.verb == verb::quit) r.cmd = quit_command{};
      if (r.verb == verb::starttls) r.cmd = starttls_command{};
      return r;
    case verb::unknown: break;
  }
  return fail(r, errc::unknown_command);
}

auth_response parse_auth_response(std::string_view line) {
  auth_response r;
  if (line == "*") {
    r.error = errc::auth_cancelled;
    return r;
  }
  auto decoded = base64_decode(line);
  if (!decoded) {
    r.error = errc::invalid_base64;
    return r;
  }
  r.data = std::move(*decoded);
  return r;
}

}  // namespace mssgw::smtp::proto
