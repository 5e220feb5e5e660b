#include "imap/mime/address.hpp"

#include <optional>
#include <string>

namespace mssgw::imap::mime {
namespace {

constexpr std::string_view missing_mailbox = "MISSING_MAILBOX";
constexpr std::string_view missing_domain = "MISSING_DOMAIN";

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
// RFC 5322 §3.2.3 specials (without DQUOTE, handled apart) end an atom.
bool is_special(char c) {
  switch (c) {
    case '(': case ')': case '<': case '>': case '[': case ']': case ':': case ';': case '@': case '\\': case ',':
    case '.': case '"':
      return true;
    default:
      return false;
  }
}

class parser {
 public:
  explicit parser(std::string_view s) : s_(s) {}

  std::vector<proto::address> run() {
    bool in_group = false;
    while (out_.size() < max_addresses) {
      skip_cfws();
      if (at_end()) break;
      const char c = s_[i_];
      if (c == ',') {
        ++i_;
        continue;
      }
      if (c == ';') {
        ++i_;
        if (in_group) {
          out_.push_back({});  // RFC 3501 §7.4.2: end of group marker
          in_group = false;
        }
        continue;
      }
      item(in_group);
    }
    if (in_group && out_.size() < max_addresses) out_.push_back({});
    return std::move(out_);
  }

 private:
  bool at_end() const { return i_ >= s_.size(); }

  // CFWS (RFC 5322 §3.2.2): white space and nested comments, skipped without recursion.
  void skip_cfws() {
    while (!at_end()) {
      if (is_space(s_[i_])) {
        ++i_;
      } else if (s_[i_] == '(') {
        int depth = 0;
        while (!at_end()) {
          const char c = s_[i_++];
          if (c == '\\') {
            if (!at_end()) ++i_;
          } else if (c == '(') {
            ++depth;
          } else if (c == ')') {
            if (--depth == 0) break;
          }
        }
      } else {
        break;
      }
    }
  }

  // A quoted string at i_ (on the DQUOTE): its content unescaped, and the raw text with its quotes.
  void quoted(std::string& content, std::string& raw) {
    const std::size_t start = i_++;
    while (!at_end() && s_[i_] != '"') {
      if (s_[i_] == '\\' && i_ + 1 < s_.size()) ++i_;
      content.push_back(s_[i_++]);
    }
    if (!at_end()) ++i_;  // closing DQUOTE (an unterminated string runs to the end)
    raw.append(s_.substr(start, i_ - start));
  }

  std::string_view atom() {
    const std::size_t start = i_;
    while (!at_end() && !is_space(s_[i_]) && !is_special(s_[i_])) ++i_;
    return s_.substr(start, i_ - start);
  }

  // A domain literal "[...]" at i_, raw.
  std::string_view domain_literal() {
    const std::size_t start = i_++;
    while (!at_end() && s_[i_] != ']') {
      if (s_[i_] == '\\' && i_ + 1 < s_.size()) ++i_;
      ++i_;
    }
    if (!at_end()) ++i_;
    return s_.substr(start, i_ - start);
  }

  static void append_word(std::string& phrase, std::string_view word) {
    if (!phrase.empty() && phrase.back() != '.' && word != ".") phrase.push_back(' ');
    phrase.append(word);
  }

  // Tokens of an addr-spec (raw, without CFWS) until one of `stops`; returns the position of the last '@' in
  // `raw`, or npos.
  std::size_t addr_spec(std::string& raw, std::string_view stops) {
    std::size_t at = std::string::npos;
    while (true) {
      skip_cfws();
      if (at_end() || stops.find(s_[i_]) != std::string_view::npos) break;
      const char c = s_[i_];
      if (c == '"') {
        std::string ignored;
        quoted(ignored, raw);
      } else if (c == '[') {
        raw.append(domain_literal());
      } else if (c == '@') {
        at = raw.size();
        raw.push_back('@');
        ++i_;
      } else if (c == '.') {
        raw.push_back('.');
        ++i_;
      } else if (is_special(c)) {
        ++i_;  // stray special inside an address: dropped
      } else {
        raw.append(atom());
      }
    }
    return at;
  }

  void push_mailbox(std::optional<std::string> name, std::optional<std::string> adl, const std::string& raw,
                    std::size_t at) {
    proto::address a;
    a.name = std::move(name);
    a.adl = std::move(adl);
    if (at == std::string::npos) {
      a.mailbox = raw.empty() ? std::string(missing_mailbox) : raw;
      a.host = std::string(missing_domain);
    } else {
      a.mailbox = at == 0 ? std::string(missing_mailbox) : raw.substr(0, at);
      a.host = at + 1 >= raw.size() ? std::string(missing_domain) : raw.substr(at + 1);
    }
    out_.push_back(std::move(a));
  }

  // "<" [route ":"] addr-spec ">" at i_.
  void angle(std::optional<std::string> name) {
    ++i_;  // '<'
    skip_cfws();
    std::optional<std::string> adl;
    if (!at_end() && s_[i_] == '@') {
      // obs-route (RFC 5322 §4.4): "@a,@b:" kept as the source route (addr-adl).
      const std::size_t start = i_;
      while (!at_end() && s_[i_] != ':' && s_[i_] != '>') ++i_;
      if (!at_end() && s_[i_] == ':') {
        adl = std::string(s_.substr(start, i_ - start));
        ++i_;
      } else {
        i_ = start;
      }
    }
    std::string raw;
    std::size_t at = addr_spec(raw, ">,;");
    if (!at_end() && s_[i_] == '>') ++i_;
    if (raw.empty() && !adl) {
      // "<>": the null address. Empty strings rather than NIL, which would read as a group marker.
      proto::address a;
      a.name = std::move(name);
      a.mailbox = "";
      a.host = "";
      out_.push_back(std::move(a));
      return;
    }
    push_mailbox(std::move(name), std::move(adl), raw, at);
  }

  // One mailbox or a group start, up to the next ',' or ';' at this level.
  void item(bool& in_group) {
    std::string phrase;     // display name: words joined by one space, quoted strings unescaped
    std::string raw;        // the same tokens as an addr-spec
    std::size_t at = std::string::npos;
    bool quoted_seen = false;
    while (true) {
      skip_cfws();
      if (at_end()) break;
      const char c = s_[i_];
      if (c == ',' || c == ';') break;
      if (c == '<') {
        std::optional<std::string> name;
        if (!phrase.empty() || quoted_seen) name = phrase;
        angle(std::move(name));
        skip_to_separator();
        return;
      }
      if (c == ':' && !in_group && at == std::string::npos) {
        ++i_;
        proto::address start;  // RFC 3501 §7.4.2: group start marker, host NIL
        start.mailbox = phrase;
        out_.push_back(std::move(start));
        in_group = true;
        return;
      }
      if (c == '"') {
        std::string content;
        quoted(content, raw);
        if (!phrase.empty()) phrase.push_back(' ');
        phrase += content;
        quoted_seen = true;
      } else if (c == '[') {
        auto lit = domain_literal();
        raw.append(lit);
        append_word(phrase, lit);
      } else if (c == '@') {
        at = raw.size();
        raw.push_back('@');
        phrase.push_back('@');
        ++i_;
      } else if (c == '.') {
        raw.push_back('.');
        phrase.push_back('.');
        ++i_;
      } else if (is_special(c)) {
        ++i_;  // stray '>', ']', ')', ':' inside a group, backslash: dropped
      } else {
        auto word = atom();
        raw.append(word);
        append_word(phrase, word);
      }
    }
    if (raw.empty()) return;
    push_mailbox(std::nullopt, std::nullopt, raw, at);
  }

  void skip_to_separator() {
    while (!at_end() && s_[i_] != ',' && s_[i_] != ';') {
      if (s_[i_] == '"') {
        std::string a, b;
        quoted(a, b);
      } else if (s_[i_] == '(') {
        skip_cfws();
      } else {
        ++i_;
      }
    }
  }

  std::string_view s_;
  std::size_t i_ = 0;
  std::vector<proto::address> out_;
};

}  // namespace

std::vector<proto::address> parse_address_list(std::string_view value) { return parser(value).run(); }

}  // namespace mssgw::imap::mime
