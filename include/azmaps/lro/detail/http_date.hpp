// azmaps-lro: HTTP-dates (RFC 9110 §5.6.7) and the `created` / `createdDateTime` texts of
// status bodies. Pure functions: no clock is ever read, no locale, no allocation when parsing.
//
// Decisions (where PROTOCOL.md is silent):
//  - parse_http_date takes the exact grammar: no surrounding whitespace (callers trim OWS),
//    single spaces, case-sensitive names, "GMT" only. The weekday must be a valid name of the
//    right form (short for IMF-fixdate and asctime, long for rfc850) but is not checked
//    against the date. Second 60 (a leap second) is refused, like hour 24 and minute 60.
//    IMF-fixdate and asctime years are any four digits (0000-9999, proleptic Gregorian).
//  - rfc850 two-digit years: the candidate year is the largest year ending in those digits
//    that is not more than 50 years after the reference, comparing the full date and time
//    against the reference's own date and time 50 years later (e.g. reference
//    2020-06-01T00:00:00Z: "01-Jun-70 00:00:00" is 2070, "02-Jun-70" is 1970, "31-Dec-69" is
//    2069). Without a reference,
//    20yy. The reference is clamped to the years 0001-9998 before use.
//  - format_imf_fixdate clamps its input to 0000-01-01T00:00:00Z .. 9999-12-31T23:59:59Z.
//  - parse_created_time accepts exactly two forms, with no surrounding whitespace:
//      "M/D/YYYY h:mm:ss AM|PM ±HH:MM"  month and day 1-2 digits, hour 1-2 digits in 1..12,
//                                        minutes and seconds 2 digits, AM/PM in either case,
//                                        single spaces, offset required (no "Z").
//      "YYYY-MM-DDTHH:MM:SS[.f+](Z|±HH:MM)"  'T' or 't' or one space between date and time,
//                                        any number (>= 1) of fraction digits after '.',
//                                        truncated to milliseconds; 'Z' or 'z'; an offset is
//                                        required (a time without one is ambiguous).
//    Offsets are ±00:00 .. ±23:59. Second 60 and impossible dates are refused.
#ifndef AZMAPS_LRO_DETAIL_HTTP_DATE_HPP
#define AZMAPS_LRO_DETAIL_HTTP_DATE_HPP

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace azmaps::lro::detail {

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
/// Valid for |y| well within the int64 range; callers keep y within a few thousand years.
constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
    y -= m <= 2 ? 1 : 0;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const std::int64_t yoe = y - era * 400;                                        // [0, 399]
    const std::int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;      // [0, 365]
    const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;                // [0, 146096]
    return era * 146097 + doe - 719468;
}

struct civil_date {
    std::int64_t year = 1970;
    unsigned month = 1; // 1..12
    unsigned day = 1;   // 1..31
};

/// Inverse of days_from_civil (Howard Hinnant's civil_from_days).
constexpr civil_date civil_from_days(std::int64_t z) noexcept {
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const std::int64_t doe = z - era * 146097;                                  // [0, 146096]
    const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; // [0, 399]
    const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);            // [0, 365]
    const std::int64_t mp = (5 * doy + 2) / 153;                                 // [0, 11]
    civil_date r;
    r.day = static_cast<unsigned>(doy - (153 * mp + 2) / 5 + 1);
    r.month = static_cast<unsigned>(mp < 10 ? mp + 3 : mp - 9);
    r.year = yoe + era * 400 + (r.month <= 2 ? 1 : 0);
    return r;
}

constexpr bool is_leap_year(std::int64_t y) noexcept {
    return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

constexpr unsigned days_in_month(std::int64_t y, unsigned m) noexcept {
    switch (m) {
    case 1: case 3: case 5: case 7: case 8: case 10: case 12: return 31;
    case 4: case 6: case 9: case 11: return 30;
    case 2: return is_leap_year(y) ? 29u : 28u;
    default: return 0;
    }
}

constexpr std::int64_t floor_div(std::int64_t a, std::int64_t b) noexcept {
    const std::int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

namespace http_date_impl {

inline constexpr std::string_view short_days[7] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
inline constexpr std::string_view long_days[7] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                           "Thursday", "Friday", "Saturday"};
inline constexpr std::string_view months[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

constexpr bool digit(char c) noexcept { return c >= '0' && c <= '9'; }

/// n digits at s[pos..pos+n) (the caller has checked the bounds).
constexpr bool digits(std::string_view s, std::size_t pos, std::size_t n, unsigned& v) noexcept {
    v = 0;
    for (std::size_t i = 0; i < n; ++i) {
        if (!digit(s[pos + i])) return false;
        v = v * 10u + static_cast<unsigned>(s[pos + i] - '0');
    }
    return true;
}

constexpr int month_index(std::string_view m) noexcept {
    for (int i = 0; i < 12; ++i)
        if (months[i] == m) return i + 1;
    return 0;
}

constexpr bool is_short_day(std::string_view d) noexcept {
    for (auto n : short_days)
        if (n == d) return true;
    return false;
}

constexpr bool is_long_day(std::string_view d) noexcept {
    for (auto n : long_days)
        if (n == d) return true;
    return false;
}

/// "HH:MM:SS" at s[pos..pos+8).
constexpr bool time_of_day(std::string_view s, std::size_t pos, unsigned& h, unsigned& mi,
                           unsigned& se) noexcept {
    return digits(s, pos, 2, h) && s[pos + 2] == ':' && digits(s, pos + 3, 2, mi) &&
           s[pos + 5] == ':' && digits(s, pos + 6, 2, se) && h < 24 && mi < 60 && se < 60;
}

constexpr std::int64_t to_unix(std::int64_t y, unsigned mo, unsigned d, unsigned h, unsigned mi,
                               unsigned se) noexcept {
    return days_from_civil(y, mo, d) * 86400 + static_cast<std::int64_t>(h) * 3600 +
           static_cast<std::int64_t>(mi) * 60 + se;
}

// 0001-01-01T00:00:00Z and 9998-12-31T23:59:59Z: the range a reference is clamped to.
inline constexpr std::int64_t min_reference = -62135596800;
inline constexpr std::int64_t max_reference = 253370764799;

} // namespace http_date_impl

/// RFC 9110 §5.6.7 HTTP-date in any of its three forms, to Unix seconds. False when unusable.
constexpr bool parse_http_date(std::string_view s, std::int64_t reference_unix_s, bool has_reference,
                               std::int64_t& out_unix_s) noexcept {
    using namespace http_date_impl;
    unsigned d = 0, y = 0, h = 0, mi = 0, se = 0;
    int mo = 0;
    std::int64_t year = 0;
    if (s.size() == 29 && s[3] == ',') {
        // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
        if (!is_short_day(s.substr(0, 3)) || s[4] != ' ' || !digits(s, 5, 2, d) || s[7] != ' ' ||
            (mo = month_index(s.substr(8, 3))) == 0 || s[11] != ' ' || !digits(s, 12, 4, y) ||
            s[16] != ' ' || !time_of_day(s, 17, h, mi, se) || s.substr(25) != " GMT")
            return false;
        year = y;
    } else if (s.size() == 24 && s[3] == ' ') {
        // asctime: "Sun Nov  6 08:49:37 1994"
        if (!is_short_day(s.substr(0, 3)) || (mo = month_index(s.substr(4, 3))) == 0 || s[7] != ' ')
            return false;
        if (s[8] == ' ') {
            if (!digits(s, 9, 1, d)) return false;
        } else if (!digits(s, 8, 2, d)) {
            return false;
        }
        if (s[10] != ' ' || !time_of_day(s, 11, h, mi, se) || s[19] != ' ' || !digits(s, 20, 4, y))
            return false;
        year = y;
    } else {
        // rfc850: "Sunday, 06-Nov-94 08:49:37 GMT"
        const std::size_t comma = s.find(',');
        if (comma == std::string_view::npos || !is_long_day(s.substr(0, comma)) ||
            s.size() != comma + 24)
            return false;
        const std::size_t p = comma + 1;
        if (s[p] != ' ' || !digits(s, p + 1, 2, d) || s[p + 3] != '-' ||
            (mo = month_index(s.substr(p + 4, 3))) == 0 || s[p + 7] != '-' ||
            !digits(s, p + 8, 2, y) || s[p + 10] != ' ' || !time_of_day(s, p + 11, h, mi, se) ||
            s.substr(p + 19) != " GMT")
            return false;
        const auto umo = static_cast<unsigned>(mo);
        if (!has_reference) {
            year = 2000 + static_cast<std::int64_t>(y);
        } else {
            std::int64_t ref = reference_unix_s;
            if (ref < min_reference) ref = min_reference;
            if (ref > max_reference) ref = max_reference;
            const std::int64_t ref_days = floor_div(ref, 86400);
            const std::int64_t ref_secs = ref - ref_days * 86400;
            const civil_date rc = civil_from_days(ref_days);
            // The limit: the reference's date and time, 50 years later (compared field-wise,
            // so that 29 February needs no special case).
            const std::int64_t lim_y = rc.year + 50;
            const std::int64_t this_secs =
                static_cast<std::int64_t>(h) * 3600 + static_cast<std::int64_t>(mi) * 60 + se;
            auto too_far = [&](std::int64_t cy) {
                if (cy != lim_y) return cy > lim_y;
                if (umo != rc.month) return umo > rc.month;
                if (d != rc.day) return d > rc.day;
                return this_secs > ref_secs;
            };
            year = rc.year - (rc.year % 100) + 100 + static_cast<std::int64_t>(y);
            while (too_far(year)) year -= 100;
        }
    }
    const auto umo = static_cast<unsigned>(mo);
    if (d < 1 || d > days_in_month(year, umo)) return false;
    out_unix_s = to_unix(year, umo, d, h, mi, se);
    return true;
}

/// Unix seconds as IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"), clamped to years 0000-9999.
inline std::string format_imf_fixdate(std::int64_t unix_s) {
    using namespace http_date_impl;
    constexpr std::int64_t lo = -62167219200;  // 0000-01-01T00:00:00Z
    constexpr std::int64_t hi = 253402300799;  // 9999-12-31T23:59:59Z
    if (unix_s < lo) unix_s = lo;
    if (unix_s > hi) unix_s = hi;
    const std::int64_t days = floor_div(unix_s, 86400);
    std::int64_t secs = unix_s - days * 86400;
    const civil_date c = civil_from_days(days);
    const std::int64_t wd = ((days % 7) + 7 + 4) % 7; // 1970-01-01 was a Thursday
    std::string out;
    out.reserve(29);
    out.append(short_days[wd]).append(", ");
    auto two = [&out](std::int64_t v) {
        out.push_back(static_cast<char>('0' + v / 10));
        out.push_back(static_cast<char>('0' + v % 10));
    };
    two(c.day);
    out.push_back(' ');
    out.append(months[c.month - 1]).push_back(' ');
    two(c.year / 100);
    two(c.year % 100);
    out.push_back(' ');
    two(secs / 3600);
    secs %= 3600;
    out.push_back(':');
    two(secs / 60);
    out.push_back(':');
    two(secs % 60);
    out.append(" GMT");
    return out;
}

namespace http_date_impl {

/// 1 or 2 digits at s[i..], advancing i.
constexpr bool one_or_two(std::string_view s, std::size_t& i, unsigned& v) noexcept {
    if (i >= s.size() || !digit(s[i])) return false;
    v = static_cast<unsigned>(s[i++] - '0');
    if (i < s.size() && digit(s[i])) v = v * 10u + static_cast<unsigned>(s[i++] - '0');
    return true;
}

/// Exactly n digits at s[i..], advancing i.
constexpr bool exactly(std::string_view s, std::size_t& i, std::size_t n, unsigned& v) noexcept {
    if (i > s.size() || s.size() - i < n) return false;
    if (!digits(s, i, n, v)) return false;
    i += n;
    return true;
}

constexpr bool lit(std::string_view s, std::size_t& i, char c) noexcept {
    if (i >= s.size() || s[i] != c) return false;
    ++i;
    return true;
}

/// "±HH:MM" exactly to the end of s; offset in minutes (local = UTC + offset).
constexpr bool offset_to_end(std::string_view s, std::size_t i, std::int64_t& off_min) noexcept {
    if (i >= s.size() || (s[i] != '+' && s[i] != '-')) return false;
    const bool neg = s[i] == '-';
    ++i;
    unsigned oh = 0, om = 0;
    if (!exactly(s, i, 2, oh) || !lit(s, i, ':') || !exactly(s, i, 2, om) || i != s.size())
        return false;
    if (oh > 23 || om > 59) return false;
    off_min = static_cast<std::int64_t>(oh * 60 + om) * (neg ? -1 : 1);
    return true;
}

constexpr bool finish_created(std::int64_t y, unsigned mo, unsigned d, unsigned h, unsigned mi,
                              unsigned se, unsigned ms, std::int64_t off_min,
                              std::int64_t& out) noexcept {
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || se > 59)
        return false;
    out = to_unix(y, mo, d, h, mi, se) * 1000 + ms - off_min * 60000;
    return true;
}

} // namespace http_date_impl

/// `created` / `createdDateTime` (see the decisions at the top) to UTC Unix milliseconds.
constexpr bool parse_created_time(std::string_view s, std::int64_t& out_unix_ms) noexcept {
    using namespace http_date_impl;
    std::size_t i = 0;
    unsigned a = 0;
    if (s.size() >= 5 && digit(s[0]) && digit(s[1]) && digit(s[2]) && digit(s[3]) && s[4] == '-') {
        // ISO 8601 / RFC 3339
        unsigned y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0, ms = 0;
        if (!exactly(s, i, 4, y) || !lit(s, i, '-') || !exactly(s, i, 2, mo) || !lit(s, i, '-') ||
            !exactly(s, i, 2, d))
            return false;
        if (i >= s.size() || (s[i] != 'T' && s[i] != 't' && s[i] != ' ')) return false;
        ++i;
        if (!exactly(s, i, 2, h) || !lit(s, i, ':') || !exactly(s, i, 2, mi) || !lit(s, i, ':') ||
            !exactly(s, i, 2, se))
            return false;
        if (i < s.size() && s[i] == '.') {
            ++i;
            const std::size_t first = i;
            while (i < s.size() && digit(s[i])) {
                if (i - first < 3) ms = ms * 10u + static_cast<unsigned>(s[i] - '0');
                ++i;
            }
            if (i == first) return false;
            for (std::size_t n = i - first; n < 3; ++n) ms *= 10u;
        }
        std::int64_t off = 0;
        if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
            if (i + 1 != s.size()) return false;
        } else if (!offset_to_end(s, i, off)) {
            return false;
        }
        return finish_created(y, mo, d, h, mi, se, ms, off, out_unix_ms);
    }
    // "M/D/YYYY h:mm:ss AM ±HH:MM"
    unsigned mo = 0, d = 0, y = 0, h = 0, mi = 0, se = 0;
    if (!one_or_two(s, i, mo) || !lit(s, i, '/') || !one_or_two(s, i, d) || !lit(s, i, '/') ||
        !exactly(s, i, 4, y) || !lit(s, i, ' ') || !one_or_two(s, i, h) || !lit(s, i, ':') ||
        !exactly(s, i, 2, mi) || !lit(s, i, ':') || !exactly(s, i, 2, se) || !lit(s, i, ' '))
        return false;
    if (s.size() - i < 2) return false;
    const char p0 = s[i], p1 = s[i + 1];
    bool pm = false;
    if (p0 == 'P' || p0 == 'p') pm = true;
    else if (p0 != 'A' && p0 != 'a') return false;
    if (p1 != 'M' && p1 != 'm') return false;
    i += 2;
    if (!lit(s, i, ' ')) return false;
    std::int64_t off = 0;
    if (!offset_to_end(s, i, off)) return false;
    if (h < 1 || h > 12) return false;
    a = (h % 12) + (pm ? 12u : 0u);
    return finish_created(y, mo, d, a, mi, se, 0, off, out_unix_ms);
}

} // namespace azmaps::lro::detail

#endif
