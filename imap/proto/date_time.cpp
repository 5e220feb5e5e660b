#include "imap/proto/date_time.hpp"

#include <cstdio>

namespace mssgw::imap::proto {
namespace {

constexpr const char* month_names[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

bool is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int days_in_month(int y, int m) {
  static constexpr int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

char upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

bool digit(char c) { return c >= '0' && c <= '9'; }

// Reads exactly n digits.
bool read_digits(std::string_view s, std::size_t& i, std::size_t n, int& out) {
  if (s.size() - i < n) return false;
  int v = 0;
  for (std::size_t k = 0; k < n; ++k) {
    if (!digit(s[i + k])) return false;
    v = v * 10 + (s[i + k] - '0');
  }
  out = v;
  i += n;
  return true;
}

// "-Mmm-yyyy" after the day; month names are case-insensitive (RFC 3501 §9 is case-insensitive throughout).
bool read_month_year(std::string_view s, std::size_t& i, date& d) {
  if (s.size() - i < 9 || s[i] != '-' || s[i + 4] != '-') return false;
  int month = 0;
  for (int m = 0; m < 12; ++m) {
    const char* n = month_names[m];
    if (upper(s[i + 1]) == upper(n[0]) && upper(s[i + 2]) == upper(n[1]) && upper(s[i + 3]) == upper(n[2])) {
      month = m + 1;
      break;
    }
  }
  if (month == 0) return false;
  i += 5;
  if (!read_digits(s, i, 4, d.year)) return false;
  d.month = month;
  return true;
}

bool check(const date& d) { return d.month >= 1 && d.month <= 12 && d.day >= 1 && d.day <= days_in_month(d.year, d.month); }

}  // namespace

// date-text = date-day "-" date-month "-" date-year; date-day = 1*2DIGIT.
errc parse_date(std::string_view s, date& out) {
  std::size_t i = 0;
  date d;
  if (s.size() >= 2 && digit(s[0]) && digit(s[1])) {
    read_digits(s, i, 2, d.day);
  } else if (!s.empty() && digit(s[0])) {
    read_digits(s, i, 1, d.day);
  } else {
    return errc::invalid_date;
  }
  if (!read_month_year(s, i, d) || i != s.size() || !check(d)) return errc::invalid_date;
  out = d;
  return errc::ok;
}

// date-time = DQUOTE date-day-fixed "-" date-month "-" date-year SP time SP zone DQUOTE
// date-day-fixed = (SP DIGIT) / 2DIGIT; time = 2DIGIT ":" 2DIGIT ":" 2DIGIT; zone = ("+" / "-") 4DIGIT.
// We also take a one-digit day without its space, as many servers do.
errc parse_date_time(std::string_view s, date_time& out) {
  std::size_t i = 0;
  date_time dt;
  if (s.size() >= 2 && s[0] == ' ' && digit(s[1])) {
    i = 1;
    read_digits(s, i, 1, dt.day.day);
  } else if (s.size() >= 2 && digit(s[0]) && digit(s[1])) {
    read_digits(s, i, 2, dt.day.day);
  } else if (!s.empty() && digit(s[0])) {
    read_digits(s, i, 1, dt.day.day);
  } else {
    return errc::invalid_date;
  }
  if (!read_month_year(s, i, dt.day) || !check(dt.day)) return errc::invalid_date;
  if (s.size() - i != 15 || s[i] != ' ' || s[i + 3] != ':' || s[i + 6] != ':' || s[i + 9] != ' ') {
    return errc::invalid_date;
  }
  ++i;
  int zh = 0;
  int zm = 0;
  if (!read_digits(s, i, 2, dt.hour) || s[i++] != ':' || !read_digits(s, i, 2, dt.minute) || s[i++] != ':' ||
      !read_digits(s, i, 2, dt.second) || s[i++] != ' ') {
    return errc::invalid_date;
  }
  const char sign = s[i++];
  if ((sign != '+' && sign != '-') || !read_digits(s, i, 2, zh) || !read_digits(s, i, 2, zm)) {
    return errc::invalid_date;
  }
  if (dt.hour > 23 || dt.minute > 59 || dt.second > 60 || zm > 59) return errc::invalid_date;
  dt.zone_minutes = (sign == '-' ? -1 : 1) * (zh * 60 + zm);
  out = dt;
  return errc::ok;
}

// Days from civil (H. Hinnant's algorithm, public domain description), proleptic Gregorian.
std::int64_t to_days(const date& d) {
  const std::int64_t y = d.year - (d.month <= 2 ? 1 : 0);
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t yoe = y - era * 400;
  const std::int64_t mp = (d.month + 9) % 12;
  const std::int64_t doy = (153 * mp + 2) / 5 + d.day - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

std::int64_t to_unix(const date_time& dt) {
  return to_days(dt.day) * 86400 + dt.hour * 3600 + dt.minute * 60 + dt.second - dt.zone_minutes * 60;
}

date_time from_unix(std::int64_t seconds, int zone_minutes) {
  const std::int64_t local = seconds + static_cast<std::int64_t>(zone_minutes) * 60;
  std::int64_t days = local / 86400;
  std::int64_t secs = local % 86400;
  if (secs < 0) {
    secs += 86400;
    --days;
  }
  // Civil from days (inverse of to_days).
  const std::int64_t z = days + 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  date_time dt;
  dt.day.day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  dt.day.month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  dt.day.year = static_cast<int>(yoe + era * 400 + (dt.day.month <= 2 ? 1 : 0));
  dt.hour = static_cast<int>(secs / 3600);
  dt.minute = static_cast<int>((secs % 3600) / 60);
  dt.second = static_cast<int>(secs % 60);
  dt.zone_minutes = zone_minutes;
  return dt;
}

std::string format_date(const date& d) {
  char buf[32];
  const int m = d.month >= 1 && d.month <= 12 ? d.month - 1 : 0;
  std::snprintf(buf, sizeof buf, "%d-%s-%04d", d.day, month_names[m], d.year);
  return buf;
}

std::string format_date_time(const date_time& dt) {
  char buf[48];
  const int m = dt.day.month >= 1 && dt.day.month <= 12 ? dt.day.month - 1 : 0;
  const int z = dt.zone_minutes < 0 ? -dt.zone_minutes : dt.zone_minutes;
  std::snprintf(buf, sizeof buf, "\"%02d-%s-%04d %02d:%02d:%02d %c%02d%02d\"", dt.day.day, month_names[m],
                dt.day.year, dt.hour, dt.minute, dt.second, dt.zone_minutes < 0 ? '-' : '+', (z / 60) % 100,
                z % 60);
  return buf;
}

}  // namespace mssgw::imap::proto
