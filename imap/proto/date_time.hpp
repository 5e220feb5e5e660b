// IMAP dates (RFC 3501 §9 date, date-time; RFC 9051 §9): SEARCH dates "1-Feb-1994", APPEND and INTERNALDATE
// date-times "17-Jul-1996 02:44:25 -0700".
//
// parse_date() takes date-text (the caller strips the optional DQUOTEs of `date`); parse_date_time() takes what
// is between the DQUOTEs. Both check calendar ranges (day within the month, leap years, 00:00:00..23:59:60, zone
// minutes < 60). to_unix()/from_unix() convert (proleptic Gregorian, no time zone database needed).
// format_date_time() writes the quoted form with a two-digit day ("01-Jul-1996 ..."), which date-day-fixed allows.
//
// Pure functions; thread-safe.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "imap/proto/errc.hpp"

namespace mssgw::imap::proto {

struct date {
  int year = 1970;  // 4 digits
  int month = 1;    // 1..12
  int day = 1;      // 1..31
  friend bool operator==(const date&, const date&) = default;
};

struct date_time {
  date day;
  int hour = 0;
  int minute = 0;
  int second = 0;
  int zone_minutes = 0;  // -0700 -> -420
  friend bool operator==(const date_time&, const date_time&) = default;
};

errc parse_date(std::string_view text, date& out);
errc parse_date_time(std::string_view text, date_time& out);

// Days since 1970-01-01 for a date; seconds since the epoch (UTC) for a date-time.
std::int64_t to_days(const date& d);
std::int64_t to_unix(const date_time& dt);
// The local time at `zone_minutes` east of UTC of an instant.
date_time from_unix(std::int64_t seconds, int zone_minutes = 0);

std::string format_date(const date& d);             // "1-Feb-1994" (for SEARCH, unquoted)
std::string format_date_time(const date_time& dt);  // "\"17-Jul-1996 02:44:25 -0700\"" (with DQUOTEs)

}  // namespace mssgw::imap::proto
