#include "trustspace/whitelist.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <ctime>
#include <mutex>
#include <set>
#include <utility>

#include <openssl/evp.h>
#include <pugixml.hpp>

#include "trustspace/error.hpp"

namespace mssgw::trustspace {
namespace {

char lower_ascii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lower_ascii(c);
  return out;
}

bool xml_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && xml_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && xml_space(s.back())) s.remove_suffix(1);
  return s;
}

// The element's name without a namespace prefix ("lb:Nom" -> "Nom").
std::string_view local_name(const pugi::xml_node& n) {
  std::string_view name = n.name();
  auto colon = name.find(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

std::string sha256_hex(std::string_view bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha256(), nullptr) != 1) return {};
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out.push_back(hex[md[i] >> 4]);
    out.push_back(hex[md[i] & 15]);
  }
  return out;
}

// RFC 1123 §2.1 host name: LDH labels of 1..63 characters, 253 in all.
bool host_name(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  std::size_t label = 0;
  char prev = '.';
  for (char c : s) {
    if (c == '.') {
      if (label == 0 || prev == '-') return false;
      label = 0;
    } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-') {
      if (label == 0 && c == '-') return false;
      if (++label > 63) return false;
    } else {
      return false;
    }
    prev = c;
  }
  return label > 0 && prev != '-';
}

// Counts lines up to byte offsets given in increasing order, so that numbering every entry costs one pass.
class line_counter {
 public:
  explicit line_counter(std::string_view text) : text_(text) {}
  std::size_t line_at(std::ptrdiff_t offset) {
    if (offset < 0) return 0;
    auto target = std::min(static_cast<std::size_t>(offset), text_.size());
    if (target < pos_) {  // out of order: restart
      pos_ = 0;
      line_ = 1;
    }
    while (pos_ < target) {
      const void* nl = std::memchr(text_.data() + pos_, '\n', target - pos_);
      if (!nl) {
        pos_ = target;
        break;
      }
      pos_ = static_cast<std::size_t>(static_cast<const char*>(nl) - text_.data()) + 1;
      ++line_;
    }
    return line_;
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
  std::size_t line_ = 1;
};

}  // namespace

std::string parse_issue::to_string() const {
  if (line == 0) return message;
  return "line " + std::to_string(line) + ": " + message;
}

namespace detail {
std::size_t ci_hash::operator()(std::string_view s) const noexcept {
  // FNV-1a over the lowercased bytes: domains are short; this is the whole cost of a lookup.
  std::uint64_t h = 14695981039346656037ull;
  for (char c : s) {
    h ^= static_cast<unsigned char>(lower_ascii(c));
    h *= 1099511628211ull;
  }
  return static_cast<std::size_t>(h);
}
bool ci_equal::operator()(std::string_view a, std::string_view b) const noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower_ascii(a[i]) != lower_ascii(b[i])) return false;
  }
  return true;
}
}  // namespace detail

// ---- snapshot ----

const snapshot::domain_record* snapshot::find(std::string_view domain) const {
  auto it = domains_.find(domain);
  return it == domains_.end() ? nullptr : &it->second;
}

bool snapshot::dn_listed_for(std::string_view domain, std::string_view dn_key) const {
  const domain_record* d = find(domain);
  if (!d) return false;
  for (std::uint32_t i : d->dns) {
    if (dns_[i].key() == dn_key) return true;
  }
  return false;
}

std::vector<std::string> snapshot::domains_for(std::string_view dn_key) const {
  std::vector<std::string> out;
  auto it = dn_index_.find(dn_key);
  if (it == dn_index_.end()) return out;
  for (const auto& [name, rec] : domains_) {
    if (std::find(rec.dns.begin(), rec.dns.end(), it->second) != rec.dns.end()) out.push_back(rec.name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> snapshot::domain_names() const {
  std::vector<std::string> out;
  out.reserve(domains_.size());
  for (const auto& [name, rec] : domains_) out.push_back(rec.name);
  std::sort(out.begin(), out.end());
  return out;
}

// ---- parser ----

class whitelist_parser {
 public:
  whitelist_parser(std::string_view bytes, const parse_options& options)
      : bytes_(bytes), options_(options), lines_(bytes) {}

  parse_result run() {
    parse_result r;
    if (bytes_.size() > options_.max_bytes) {
      return fail(r, errc::too_large, 0,
                  "the file is " + std::to_string(bytes_.size()) + " bytes, over the limit of " +
                      std::to_string(options_.max_bytes) + " ([whitelist] max_size)");
    }
    // A DOCTYPE is how entity expansion and external entities come in; the ANS format never has one. Refuse it before
    // the XML parser sees anything (a "<!DOCTYPE" inside a comment is refused too: harmless strictness).
    if (auto at = find_doctype(); at != std::string_view::npos) {
      return fail(r, errc::xml_doctype, line_of(at), "a DOCTYPE is not allowed in the whitelist (entity expansion)");
    }
    if (!valid_utf8(bytes_)) return fail(r, errc::xml_syntax, line_of(first_invalid_utf8()), "not UTF-8");
    // XML 1.0 §2.2 excludes U+0000; pugixml would end a string there and silently truncate a value.
    if (auto nul = bytes_.find('\0'); nul != std::string_view::npos) {
      return fail(r, errc::xml_syntax, line_of(nul), "NUL byte (not allowed in XML)");
    }

    // The list the ANS publishes never closes its root: it ends with "</ListeDomaines>" (seen in the 2025 copies of
    // espacedeconfiance.mssante.fr and ansforge/MSS-liste-blanche). Accept exactly that defect by closing the root
    // at the end (offsets, hence lines, are unchanged); any other truncation stays an error.
    std::string repaired;
    std::string_view input = bytes_;
    if (root_left_open()) {
      repaired.reserve(bytes_.size() + 24);
      repaired.append(bytes_);
      repaired.append("</ListeBlancheMSSante>");
      input = repaired;
    }
    pugi::xml_document doc;
    // parse_default: entities and character references decoded, CR/LF normalised, CDATA kept. No parse_doctype (it
    // is refused above), no parse_pi/parse_comments (ignored).
    pugi::xml_parse_result xr = doc.load_buffer(input.data(), input.size(), pugi::parse_default, pugi::encoding_utf8);
    if (!xr) {
      return fail(r, errc::xml_syntax, line_of(static_cast<std::size_t>(std::max<std::ptrdiff_t>(0, xr.offset))),
                  std::string("not well-formed XML: ") + xr.description());
    }
    pugi::xml_node root;
    for (pugi::xml_node n = doc.first_child(); n; n = n.next_sibling()) {
      if (n.type() != pugi::node_element) continue;
      if (root) return fail(r, errc::xml_syntax, node_line(n), "more than one root element");
      root = n;
    }
    if (!root) return fail(r, errc::xml_syntax, 0, "no root element");
    if (local_name(root) != "ListeBlancheMSSante") {
      return fail(r, errc::wrong_root, node_line(root),
                  "the root element is <" + std::string(root.name()) + ">, not <ListeBlancheMSSante>");
    }

    snap_ = std::make_shared<snapshot>();
    if (!repaired.empty()) {
      snap_->warnings_.push_back({line_of(bytes_.size()),
                                  "the file ends without </ListeBlancheMSSante> (as the ANS publishes it); closed there"});
    }
    pugi::xml_node list;
    for (pugi::xml_node n = root.first_child(); n; n = n.next_sibling()) {
      if (n.type() != pugi::node_element) continue;
      auto name = local_name(n);
      if (name == "DateDeGeneration") {
        std::string text;
        if (!text_of(n, text, r)) return r;
        snap_->generated_ = text;
        snap_->generated_at_ = parse_iso8601(text);
        if (!snap_->generated_at_ && !text.empty()) {
          snap_->warnings_.push_back({node_line(n), "DateDeGeneration \"" + text + "\" is not an ISO 8601 date"});
        }
      } else if (name == "ListeDomaines") {
        if (list) return fail(r, errc::xml_syntax, node_line(n), "more than one <ListeDomaines>");
        list = n;
      }
      // Other elements: ignored (forward compatibility with additions to the ANS format).
    }
    if (!list) return fail(r, errc::missing_field, node_line(root), "no <ListeDomaines>");

    for (pugi::xml_node n = list.first_child(); n; n = n.next_sibling()) {
      if (n.type() != pugi::node_element || local_name(n) != "Domaine") continue;
      if (snap_->entries_.size() >= options_.max_entries) {
        return fail(r, errc::too_many_entries, node_line(n),
                    "more than " + std::to_string(options_.max_entries) + " <Domaine> entries");
      }
      if (!entry(n, r)) return r;
    }
    if (snap_->entries_.empty()) return fail(r, errc::missing_field, node_line(list), "no <Domaine> in <ListeDomaines>");

    std::set<std::string, std::less<>> organisations;
    for (const auto& d : snap_->dns_) {
      auto o = d.find("o");
      organisations.insert(o ? normalise_value(*o) : d.key());
    }
    snap_->operator_count_ = organisations.size();
    snap_->sha256_ = sha256_hex(bytes_);
    snap_->size_bytes_ = bytes_.size();
    r.value = std::move(snap_);
    return r;
  }

 private:
  parse_result& fail(parse_result& r, errc e, std::size_t line, std::string message) {
    r.value.reset();
    r.error = e;
    r.issue = {line, std::move(message)};
    return r;
  }

  bool fail_entry(parse_result& r, errc e, std::size_t line, std::string message) {
    fail(r, e, line, std::move(message));
    return false;
  }

  std::size_t line_of(std::size_t offset) {
    line_counter fresh(bytes_);
    return fresh.line_at(static_cast<std::ptrdiff_t>(offset));
  }
  std::size_t node_line(const pugi::xml_node& n) { return lines_.line_at(n.offset_debug()); }

  // True when the document ends, after whitespace, with </ListeDomaines> and never closes <ListeBlancheMSSante>.
  bool root_left_open() const {
    std::string_view t = trim(bytes_);
    static constexpr std::string_view tail = "</ListeDomaines>";
    if (t.size() < tail.size() || t.substr(t.size() - tail.size()) != tail) return false;
    return bytes_.find("</ListeBlancheMSSante") == std::string_view::npos &&
           bytes_.substr(0, 4096).find("<ListeBlancheMSSante") != std::string_view::npos;
  }

  std::size_t find_doctype() const {
    static constexpr std::string_view needle = "<!DOCTYPE";
    for (std::size_t at = bytes_.find("<!"); at != std::string_view::npos; at = bytes_.find("<!", at + 2)) {
      if (bytes_.size() - at >= needle.size()) {
        bool match = true;
        for (std::size_t k = 2; k < needle.size(); ++k) {
          if (std::toupper(static_cast<unsigned char>(bytes_[at + k])) != needle[k]) {
            match = false;
            break;
          }
        }
        if (match) return at;
      }
    }
    return std::string_view::npos;
  }

  std::size_t first_invalid_utf8() const {
    for (std::size_t i = 0; i < bytes_.size();) {
      // Find the first prefix that stops being valid, 4 bytes at a time is enough for UTF-8.
      std::size_t len = 1;
      auto b = static_cast<unsigned char>(bytes_[i]);
      if (b >= 0xF0) len = 4;
      else if (b >= 0xE0) len = 3;
      else if (b >= 0xC0) len = 2;
      if (!valid_utf8(bytes_.substr(i, len))) return i;
      i += len;
    }
    return 0;
  }

  // Text content of an element: its character data and CDATA, trimmed. An element inside is an error.
  bool text_of(const pugi::xml_node& n, std::string& out, parse_result& r) {
    out.clear();
    for (pugi::xml_node c = n.first_child(); c; c = c.next_sibling()) {
      if (c.type() == pugi::node_pcdata || c.type() == pugi::node_cdata) {
        out += c.value();
      } else if (c.type() == pugi::node_element) {
        fail(r, errc::invalid_field, node_line(c),
             "<" + std::string(n.name()) + "> must contain text, not <" + std::string(c.name()) + ">");
        return false;
      }
    }
    auto t = trim(out);
    out = std::string(t);
    return true;
  }

  bool entry(const pugi::xml_node& domaine, parse_result& r) {
    whitelist_entry e;
    e.line = static_cast<std::uint32_t>(node_line(domaine));
    bool have_nom = false, have_dn = false;
    std::size_t dn_line = e.line;
    for (pugi::xml_node c = domaine.first_child(); c; c = c.next_sibling()) {
      if (c.type() != pugi::node_element) continue;
      auto name = local_name(c);
      std::string* target = nullptr;
      if (name == "Nom") {
        if (have_nom) return fail_entry(r, errc::invalid_field, node_line(c), "<Domaine> has two <Nom>");
        have_nom = true;
        target = &e.domain;
      } else if (name == "DNCertificatOperateur") {
        if (have_dn) return fail_entry(r, errc::invalid_field, node_line(c), "<Domaine> has two <DNCertificatOperateur>");
        have_dn = true;
        dn_line = node_line(c);
        target = &e.dn_text;
      } else if (name == "Description") {
        target = &e.description;
      } else if (name == "ResponsableContact") {
        target = &e.responsable_contact;
      } else if (name == "SupportContact") {
        target = &e.support_contact;
      } else if (name == "DateMAJ") {
        target = &e.date_maj;
      } else {
        continue;
      }
      if (!text_of(c, *target, r)) return false;
    }
    if (e.domain.empty()) {
      return fail_entry(r, errc::missing_field, e.line, have_nom ? "<Nom> is empty" : "<Domaine> has no <Nom>");
    }
    if (e.domain.size() > 255 ||
        std::any_of(e.domain.begin(), e.domain.end(), [](char c) { return static_cast<unsigned char>(c) <= ' ' || c == 0x7f; })) {
      return fail_entry(r, errc::invalid_field, e.line, "<Nom> \"" + e.domain + "\" is not a domain name");
    }
    if (!host_name(e.domain)) {
      snap_->warnings_.push_back({e.line, "<Nom> \"" + e.domain + "\" is not a host name; it can never match a sender"});
    }
    if (e.dn_text.empty()) {
      return fail_entry(r, errc::missing_field, have_dn ? dn_line : e.line,
                        have_dn ? "<DNCertificatOperateur> is empty for " + e.domain
                                : "<Domaine> " + e.domain + " has no <DNCertificatOperateur>");
    }

    // 6,554 entries carry about 390 distinct DN strings: parse each string once.
    auto known = parsed_.find(e.dn_text);
    if (known != parsed_.end()) {
      e.dn_index = known->second;
    } else {
      auto parsed = dn::parse(e.dn_text);
      if (!parsed) {
        return fail_entry(r, errc::invalid_field, dn_line,
                          "<DNCertificatOperateur> of " + e.domain + " is not a DN: " + parsed.message);
      }
      auto idx = snap_->dn_index_.find(parsed.value->key());
      if (idx == snap_->dn_index_.end()) {
        auto index = static_cast<std::uint32_t>(snap_->dns_.size());
        snap_->dn_index_.emplace(parsed.value->key(), index);
        snap_->dns_.push_back(std::move(*parsed.value));
        e.dn_index = index;
      } else {
        e.dn_index = idx->second;  // another spelling of a DN already seen
      }
      parsed_.emplace(e.dn_text, e.dn_index);
    }

    auto index = static_cast<std::uint32_t>(snap_->entries_.size());
    auto [it, inserted] = snap_->domains_.try_emplace(lower(e.domain));
    auto& rec = it->second;
    if (inserted) rec.name = it->first;
    rec.entries.push_back(index);
    if (std::find(rec.dns.begin(), rec.dns.end(), e.dn_index) == rec.dns.end()) rec.dns.push_back(e.dn_index);
    snap_->entries_.push_back(std::move(e));
    return true;
  }

  std::string_view bytes_;
  parse_options options_;
  line_counter lines_;
  std::shared_ptr<snapshot> snap_;
  std::unordered_map<std::string, std::uint32_t, detail::sv_hash, std::equal_to<>> parsed_;
};

parse_result parse_whitelist(std::string_view bytes, const parse_options& options) {
  return whitelist_parser(bytes, options).run();
}

// ---- dates ----

std::optional<clock::time_point> parse_iso8601(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS[.fff](Z|+hh:mm|-hh:mm)
  auto num = [&](std::size_t at, std::size_t n, int& out) {
    if (at + n > s.size()) return false;
    out = 0;
    for (std::size_t i = at; i < at + n; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      out = out * 10 + (s[i] - '0');
    }
    return true;
  };
  int y, mo, d, h, mi, se;
  if (!num(0, 4, y) || s.size() < 19 || s[4] != '-' || !num(5, 2, mo) || s[7] != '-' || !num(8, 2, d) ||
      (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !num(11, 2, h) || s[13] != ':' || !num(14, 2, mi) ||
      s[16] != ':' || !num(17, 2, se)) {
    return std::nullopt;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) return std::nullopt;
  std::size_t i = 19;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  }
  long offset = 0;
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
    ++i;
  } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    int oh, om;
    if (!num(i + 1, 2, oh) || i + 3 >= s.size() || s[i + 3] != ':' || !num(i + 4, 2, om)) return std::nullopt;
    offset = (s[i] == '+' ? 1 : -1) * (oh * 3600L + om * 60L);
    i += 6;
  } else {
    return std::nullopt;  // a date without a zone is ambiguous
  }
  if (i != s.size()) return std::nullopt;
  struct tm tm {};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = se;
  return clock::from_time_t(timegm(&tm) - offset);
}

std::string format_iso8601(clock::time_point t) {
  std::time_t tt = clock::to_time_t(t);
  struct tm tm {};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// ---- holder ----

namespace {
std::atomic<std::uint64_t> next_holder_id{1};
}  // namespace

whitelist::whitelist() : id_(next_holder_id.fetch_add(1)), current_(std::make_shared<const snapshot>()) {}

std::shared_ptr<const snapshot> whitelist::current() const {
  struct cache_entry {
    std::uint64_t holder = 0;
    std::uint64_t generation = 0;
    std::shared_ptr<const snapshot> snap;
  };
  thread_local cache_entry cache;
  // publish() stores the snapshot, then bumps the generation (release): a reader that sees the new generation
  // (acquire) loads the new snapshot or a newer one.
  std::uint64_t gen = generation_.load(std::memory_order_acquire);
  if (cache.holder == id_ && cache.generation == gen) return cache.snap;
  std::shared_ptr<const snapshot> snap;
  {
    std::lock_guard lock(mutex_);
    snap = current_;
  }
  cache.holder = id_;
  cache.generation = gen;
  cache.snap = snap;
  return snap;
}

void whitelist::publish(std::shared_ptr<const snapshot> next, clock::time_point verified_at) {
  std::shared_ptr<const snapshot> old;
  {
    std::lock_guard lock(mutex_);
    old = std::exchange(current_, std::move(next));
    generation_.fetch_add(1, std::memory_order_acq_rel);
  }  // the old snapshot is released outside the lock (or later, by the last reader's cache)
  verified_ms_.store(std::chrono::duration_cast<std::chrono::milliseconds>(verified_at.time_since_epoch()).count(),
                     std::memory_order_release);
}

void whitelist::confirm(clock::time_point verified_at) {
  verified_ms_.store(std::chrono::duration_cast<std::chrono::milliseconds>(verified_at.time_since_epoch()).count(),
                     std::memory_order_release);
}

std::optional<clock::time_point> whitelist::verified_at() const {
  auto ms = verified_ms_.load(std::memory_order_acquire);
  if (ms == 0) return std::nullopt;
  return clock::time_point(std::chrono::duration_cast<clock::duration>(std::chrono::milliseconds(ms)));
}

}  // namespace mssgw::trustspace
