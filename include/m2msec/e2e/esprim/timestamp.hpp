// m2msec: m2m:timestamp as ESPrim's rand objects carry it (TS-0004 §6.3.3).
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "m2msec/core/clock.hpp"
#include "m2msec/core/result.hpp"

namespace m2msec::esprim {

// ---- time: m2m:timestamp, ISO 8601 basic "YYYYMMDDTHHMMSS", UTC -------------------------

[[nodiscard]] inline std::string to_timestamp(time_point t) {
  using namespace std::chrono;
  const auto secs = floor<seconds>(t);
  const auto day = floor<days>(secs);
  const year_month_day ymd(day);
  const hh_mm_ss hms(secs - day);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d%02u%02uT%02d%02d%02d", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), static_cast<int>(hms.hours().count()),
                static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()));
  return buf;
}
// Strict: exactly "YYYYMMDDTHHMMSS", a real calendar date and time of day,
// in the years 1970-2261 that a time_point holds.
[[nodiscard]] inline result<time_point> parse_timestamp(std::string_view s) {
  using namespace std::chrono;
  if (s.size() != 15 || s[8] != 'T') return fail(errc::invalid_encoding);
  int v[6];
  const std::size_t at[6] = {0, 4, 6, 9, 11, 13}, len[6] = {4, 2, 2, 2, 2, 2};
  for (int i = 0; i < 6; ++i) {
    v[i] = 0;
    for (std::size_t k = at[i]; k < at[i] + len[i]; ++k) {
      if (s[k] < '0' || s[k] > '9') return fail(errc::invalid_encoding);
      v[i] = v[i] * 10 + (s[k] - '0');
    }
  }
  const year_month_day ymd{year(v[0]), month(static_cast<unsigned>(v[1])), day(static_cast<unsigned>(v[2]))};
  if (!ymd.ok() || v[3] > 23 || v[4] > 59 || v[5] > 59) return fail(errc::invalid_encoding);
  // time_point counts nanoseconds from 1970 in 64 bits: it ends in 2262.
  if (v[0] < 1970 || v[0] > 2261) return fail(errc::invalid_encoding);
  return time_point(sys_days(ymd)) + hours(v[3]) + minutes(v[4]) + seconds(v[5]);
}

}  // namespace m2msec::esprim
