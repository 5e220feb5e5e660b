#include "imap/mime/text.hpp"

#include <cstring>

#include "common/ascii.hpp"
#include "imap/proto/date_time.hpp"

namespace mssgw::imap::mime {
namespace {

using common::iequals;

bool is_wsp(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

}  // namespace

std::string fold(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(fold_byte(static_cast<unsigned char>(c)));
  return out;
}

std::optional<sent_date> parse_rfc5322_date(std::string_view s) {
  std::size_t i = 0;
  auto skip = [&] {
    while (i < s.size()) {
      if (is_wsp(s[i])) {
        ++i;
      } else if (s[i] == '(') {  // comments (CFWS)
        int depth = 0;
        while (i < s.size()) {
          char c = s[i++];
          if (c == '(') ++depth;
          if (c == ')' && --depth == 0) break;
        }
      } else {
        break;
      }
    }
  };
  auto number = [&](int max_digits, int& out) {
    int n = 0, digits = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9' && digits < max_digits) {
      n = n * 10 + (s[i] - '0');
      ++i;
      ++digits;
    }
    out = n;
    return digits;
  };
  skip();
  // Optional day name and comma.
  if (i < s.size() && ((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z'))) {
    while (i < s.size() && s[i] != ',' && !(s[i] >= '0' && s[i] <= '9')) ++i;
    if (i < s.size() && s[i] == ',') ++i;
    skip();
  }
  int day = 0, year = 0, hour = 0, minute = 0, second = 0;
  if (number(2, day) == 0) return std::nullopt;
  skip();
  if (i < s.size() && s[i] == '-') ++i;  // "1-Jan-2024" seen in the wild
  static constexpr std::string_view months[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                                "jul", "aug", "sep", "oct", "nov", "dec"};
  if (i + 3 > s.size()) return std::nullopt;
  int month = 0;
  for (int m = 0; m < 12; ++m) {
    if (iequals(s.substr(i, 3), months[m])) month = m + 1;
  }
  if (month == 0) return std::nullopt;
  i += 3;
  while (i < s.size() && ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z'))) ++i;  // "June"
  skip();
  if (i < s.size() && s[i] == '-') ++i;
  const int year_digits = number(4, year);
  if (year_digits == 0) return std::nullopt;
  if (year_digits == 2) year += year < 50 ? 2000 : 1900;  // RFC 5322 §4.3
  if (year_digits == 3) year += 1900;
  skip();
  if (number(2, hour) > 0) {
    if (i < s.size() && s[i] == ':') {
      ++i;
      number(2, minute);
      if (i < s.size() && s[i] == ':') {
        ++i;
        number(2, second);
      }
    }
  }
  skip();
  int zone = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    const int sign = s[i] == '-' ? -1 : 1;
    ++i;
    int hhmm = 0;
    if (number(4, hhmm) == 4) zone = sign * ((hhmm / 100) * 60 + hhmm % 100);
  } else if (i < s.size()) {
    static constexpr std::pair<std::string_view, int> named[] = {
        {"EST", -300}, {"EDT", -240}, {"CST", -360}, {"CDT", -300}, {"MST", -420}, {"MDT", -360},
        {"PST", -480}, {"PDT", -420}, {"CET", 60},   {"CEST", 120}};
    std::size_t start = i;
    while (i < s.size() && ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z'))) ++i;
    std::string_view name = s.substr(start, i - start);
    for (const auto& [n, minutes] : named) {
      if (iequals(name, n)) zone = minutes;
    }
  }
  if (month < 1 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  proto::date d{year, month, day};
  proto::date_time dt{d, hour, minute, second, zone};
  return sent_date{proto::to_unix(dt), proto::to_days(d)};
}

// RFC 5256 §2.1.
std::string base_subject(std::string_view subject) {
  // (1) decoded already; collapse white space.
  std::string s;
  s.reserve(subject.size());
  for (char c : subject) {
    if (is_wsp(c)) {
      if (!s.empty() && s.back() != ' ') s.push_back(' ');
    } else {
      s.push_back(c);
    }
  }
  auto trim_front = [](std::string_view v) {
    while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
    return v;
  };
  std::string_view v = s;
  for (int guard = 0; guard < 1000; ++guard) {
    bool changed = false;
    // (2) trailing subj-trailer "(fwd)" and white space.
    while (true) {
      while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
      if (v.size() >= 5 && iequals(v.substr(v.size() - 5), "(fwd)")) {
        v.remove_suffix(5);
        continue;
      }
      break;
    }
    // (3) leading subj-refwd and subj-blob, repeatedly.
    for (;;) {
      v = trim_front(v);
      std::string_view w = v;
      // subj-blob
      auto skip_blob = [](std::string_view x) -> std::string_view {
        if (x.empty() || x.front() != '[') return x;
        const auto close = x.find(']');
        if (close == std::string_view::npos) return x;
        const auto inner = x.substr(1, close - 1);
        if (inner.find('[') != std::string_view::npos) return x;
        x.remove_prefix(close + 1);
        while (!x.empty() && x.front() == ' ') x.remove_prefix(1);
        return x;
      };
      std::size_t n = 0;
      if (w.size() >= 2 && iequals(w.substr(0, 2), "re")) {
        n = 2;
      } else if (w.size() >= 3 && iequals(w.substr(0, 3), "fwd")) {
        n = 3;
      } else if (w.size() >= 2 && iequals(w.substr(0, 2), "fw")) {
        n = 2;
      }
      if (n > 0) {
        std::string_view rest = trim_front(w.substr(n));
        rest = skip_blob(rest);
        if (!rest.empty() && rest.front() == ':') {
          v = rest.substr(1);
          changed = true;
          continue;
        }
      }
      std::string_view after_blob = skip_blob(w);
      if (after_blob.size() != w.size() && !after_blob.empty()) {
        v = after_blob;
        changed = true;
        continue;
      }
      break;
    }
    // (6) "[fwd:" ... "]"
    if (v.size() >= 6 && iequals(v.substr(0, 5), "[fwd:") && v.back() == ']') {
      v = v.substr(5, v.size() - 6);
      changed = true;
    }
    if (!changed) break;
  }
  std::string out(v);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  }
  return out;
}

}  // namespace mssgw::imap::mime
