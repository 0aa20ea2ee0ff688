#include <azmaps/lro/detail/http_date.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <regex>
#include <limits>
#include <string>
#include <string_view>

using namespace azmaps::lro::detail;

namespace {

constexpr std::int64_t t1994 = 784111777; // Sun, 06 Nov 1994 08:49:37 GMT

static_assert(noexcept(parse_http_date("", 0, false, std::declval<std::int64_t&>())));
static_assert(noexcept(parse_created_time("", std::declval<std::int64_t&>())));
static_assert(days_from_civil(1970, 1, 1) == 0);
static_assert(days_from_civil(2000, 3, 1) == 11017);
static_assert(days_from_civil(1969, 12, 31) == -1);
static_assert(days_from_civil(1, 1, 1) == -719162);
static_assert(civil_from_days(0).year == 1970 && civil_from_days(0).month == 1 && civil_from_days(0).day == 1);
static_assert(civil_from_days(-1).year == 1969 && civil_from_days(-1).month == 12 && civil_from_days(-1).day == 31);

// Usable in constant expressions.
constexpr std::int64_t parsed_at_compile_time() {
    std::int64_t v = 0;
    return parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT", 0, false, v) ? v : -1;
}
static_assert(parsed_at_compile_time() == t1994);

std::int64_t date(std::string_view s, std::int64_t ref = 0, bool has_ref = false) {
    std::int64_t v = -12345;
    if (!parse_http_date(s, ref, has_ref, v)) return -1;
    return v;
}

bool bad(std::string_view s) {
    std::int64_t v = -12345;
    const bool ok = parse_http_date(s, 1590969600, true, v) || parse_http_date(s, 0, false, v);
    EXPECT_EQ(v, -12345) << s; // untouched on failure
    return !ok;
}

std::int64_t created(std::string_view s) {
    std::int64_t v = -12345;
    if (!parse_created_time(s, v)) {
        EXPECT_EQ(v, -12345) << s;
        return -1;
    }
    return v;
}

} // namespace

TEST(HttpDate, CivilRoundTrip) {
    for (std::int64_t d = -800000; d <= 3000000; d += 7) {
        const civil_date c = civil_from_days(d);
        ASSERT_EQ(days_from_civil(c.year, c.month, c.day), d);
        ASSERT_GE(c.day, 1u);
        ASSERT_LE(c.day, days_in_month(c.year, c.month));
    }
    EXPECT_EQ(days_in_month(1900, 2), 28u);
    EXPECT_EQ(days_in_month(2000, 2), 29u);
    EXPECT_EQ(days_in_month(2024, 2), 29u);
    EXPECT_EQ(days_in_month(2023, 2), 28u);
    EXPECT_EQ(days_in_month(2023, 4), 30u);
    EXPECT_EQ(days_in_month(2023, 13), 0u);
}

TEST(HttpDate, ThreeForms) {
    EXPECT_EQ(date("Sun, 06 Nov 1994 08:49:37 GMT"), t1994);
    EXPECT_EQ(date("Sunday, 06-Nov-94 08:49:37 GMT", t1994, true), t1994);
    EXPECT_EQ(date("Sun Nov  6 08:49:37 1994"), t1994);
    EXPECT_EQ(date("Sun Nov 06 08:49:37 1994"), t1994); // 2DIGIT day is also asctime
    EXPECT_EQ(date("Thu, 01 Jan 1970 00:00:00 GMT"), 0);
    std::int64_t v = 0;
    EXPECT_TRUE(parse_http_date("Wed, 31 Dec 1969 23:59:59 GMT", 0, false, v));
    EXPECT_EQ(v, -1);
    EXPECT_EQ(date("Fri, 31 Dec 9999 23:59:59 GMT"), 253402300799);
    EXPECT_EQ(date("Sat, 01 Jan 0000 00:00:00 GMT"), -62167219200);
    EXPECT_EQ(date("Thu Jan  1 00:00:00 1970"), 0);
    EXPECT_EQ(date("Sat Dec 31 23:59:59 2005"), 1136073599);
    for (const char* m : {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}) {
        const std::string s = std::string("Mon, 01 ") + m + " 2024 00:00:00 GMT";
        EXPECT_GT(date(s), 0) << s;
    }
}

TEST(HttpDate, WeekdayValidButNotChecked) {
    EXPECT_EQ(date("Mon, 06 Nov 1994 08:49:37 GMT"), t1994);
    EXPECT_EQ(date("Sat Nov  6 08:49:37 1994"), t1994);
    EXPECT_EQ(date("Wednesday, 06-Nov-94 08:49:37 GMT", t1994, true), t1994);
    EXPECT_TRUE(bad("Sunday, 06 Nov 1994 08:49:37 GMT")); // long name in IMF-fixdate
    EXPECT_TRUE(bad("Sun, 06-Nov-94 08:49:37 GMT"));     // short name in rfc850
    EXPECT_TRUE(bad("Sunday Nov  6 08:49:37 1994"));     // long name in asctime
    EXPECT_TRUE(bad("Sux, 06 Nov 1994 08:49:37 GMT"));
    EXPECT_TRUE(bad("Sundax, 06-Nov-94 08:49:37 GMT"));
    EXPECT_TRUE(bad("Thurs, 06-Nov-94 08:49:37 GMT"));
}

TEST(HttpDate, CaseSensitive) {
    EXPECT_TRUE(bad("sun, 06 Nov 1994 08:49:37 GMT"));
    EXPECT_TRUE(bad("SUN, 06 Nov 1994 08:49:37 GMT"));
    EXPECT_TRUE(bad("Sun, 06 nov 1994 08:49:37 GMT"));
    EXPECT_TRUE(bad("Sun, 06 NOV 1994 08:49:37 GMT"));
    EXPECT_TRUE(bad("Sun, 06 Nov 1994 08:49:37 gmt"));
    EXPECT_TRUE(bad("sunday, 06-Nov-94 08:49:37 GMT"));
    EXPECT_TRUE(bad("Sunday, 06-nov-94 08:49:37 GMT"));
    EXPECT_TRUE(bad("sun Nov  6 08:49:37 1994"));
    EXPECT_TRUE(bad("Sun nov  6 08:49:37 1994"));
}

TEST(HttpDate, OnlyGmtAndExactGrammar) {
    EXPECT_TRUE(bad("Sun, 06 Nov 1994 08:49:37 UTC"));
    EXPECT_TRUE(bad("Sun, 06 Nov 1994 08:49:37 UT "));
    EXPECT_TRUE(bad("Sun, 06 Nov 1994 08:49:37 +0000"));
    EXPECT_TRUE(bad("Sun, 06 Nov 1994 08:49:37 EST"));
    EXPECT_TRUE(bad("Sun, 06 Nov 1994 08:49:37 Z"));
    EXPECT_TRUE(bad("Sun, 06 Nov 1994 08:49:37"));
    EXPECT_TRUE(bad("Sunday, 06-Nov-94 08:49:37 UTC"));
    EXPECT_TRUE(bad("Sun Nov  6 08:49:37 1994 GMT"));
    EXPECT_TRUE(bad(" Sun, 06 Nov 1994 08:49:37 GMT"));
    EXPECT_TRUE(bad("Sun, 06 Nov 1994 08:49:37 GMT "));
    EXPECT_TRUE(bad("Sun,  06 Nov 1994 08:49:37 GMT"));
    EXPECT_TRUE(bad("Sun, 6 Nov 1994 08:49:37 GMT"));
    EXPECT_TRUE(bad("Sun,06 Nov 1994 08:49:37 GMT "));
    EXPECT_TRUE(bad("Sun, 06 Nov 94 08:49:37 GMT"));
    EXPECT_TRUE(bad("Sun, 06 Nov 1994 8:49:37 GMT "));
    EXPECT_TRUE(bad("Sun, 06 Nov 1994 08.49.37 GMT"));
    EXPECT_TRUE(bad("Sun, 06 Nov +994 08:49:37 GMT"));
    EXPECT_TRUE(bad("Sun, -6 Nov 1994 08:49:37 GMT"));
    EXPECT_TRUE(bad("Sun Nov 6 08:49:37 1994"));
    EXPECT_TRUE(bad("Sun Nov  6 08:49:37  994"));
    EXPECT_TRUE(bad("Sun Nov   6 08:49:37 1994"));
    EXPECT_TRUE(bad("Sunday, 06-Nov-1994 08:49:37 GMT"));
    EXPECT_TRUE(bad("Sunday, 6-Nov-94 08:49:37 GMT"));
    EXPECT_TRUE(bad("Sunday 06-Nov-94 08:49:37 GMT"));
    EXPECT_TRUE(bad(""));
    EXPECT_TRUE(bad(","));
    EXPECT_TRUE(bad("Sunday,"));
    EXPECT_TRUE(bad("30"));
    EXPECT_TRUE(bad(std::string_view("Sun, 06 Nov 1994 08:49:37 GMT\0", 30)));
}

TEST(HttpDate, ImpossibleDates) {
    EXPECT_TRUE(bad("Sun, 30 Feb 1994 08:49:37 GMT"));
    EXPECT_TRUE(bad("Sun, 29 Feb 1994 08:49:37 GMT"));
    EXPECT_TRUE(bad("Sun, 29 Feb 1900 08:49:37 GMT"));
    EXPECT_EQ(date("Tue, 29 Feb 2000 12:00:00 GMT"), 951825600);
    EXPECT_GT(date("Thu, 29 Feb 2024 00:00:00 GMT"), 0);
    EXPECT_TRUE(bad("Sun, 31 Apr 1994 08:49:37 GMT"));
    EXPECT_TRUE(bad("Sun, 31 Jun 1994 08:49:37 GMT"));
    EXPECT_TRUE(bad("Sun, 31 Sep 1994 08:49:37 GMT"));
    EXPECT_TRUE(bad("Sun, 31 Nov 1994 08:49:37 GMT"));
    EXPECT_TRUE(bad("Sun, 32 Dec 1994 08:49:37 GMT"));
    EXPECT_TRUE(bad("Sun, 00 Dec 1994 08:49:37 GMT"));
    EXPECT_TRUE(bad("Sun, 06 Nov 1994 24:00:00 GMT"));
    EXPECT_TRUE(bad("Sun, 06 Nov 1994 08:60:00 GMT"));
    EXPECT_TRUE(bad("Sun, 06 Nov 1994 08:49:60 GMT")); // no leap seconds
    EXPECT_TRUE(bad("Sun, 06 Nov 1994 99:99:99 GMT"));
    EXPECT_TRUE(bad("Sunday, 31-Apr-94 08:49:37 GMT"));
    EXPECT_TRUE(bad("Sun Feb 30 08:49:37 1994"));
    EXPECT_TRUE(bad("Sun Nov  0 08:49:37 1994"));
    EXPECT_TRUE(bad("Sun Nov  6 23:59:60 1994"));
    EXPECT_EQ(date("Sun, 06 Nov 1994 23:59:59 GMT"), 784166399);
}

TEST(HttpDate, Rfc850FiftyYearRule) {
    constexpr std::int64_t ref2020 = 1590969600; // 2020-06-01T00:00:00Z
    // Exactly 50 years ahead is not "more than 50 years in the future".
    EXPECT_EQ(date("Sunday, 01-Jun-70 00:00:00 GMT", ref2020, true), 3168806400);  // 2070
    EXPECT_EQ(date("Monday, 01-Jun-70 00:00:01 GMT", ref2020, true), 13046401);    // 1970
    EXPECT_EQ(date("Tuesday, 02-Jun-70 00:00:00 GMT", ref2020, true), 13132800);   // 1970
    EXPECT_EQ(date("Saturday, 31-Dec-69 00:00:00 GMT", ref2020, true), 3155673600); // 2069
    EXPECT_EQ(date("Wednesday, 01-Jan-20 00:00:00 GMT", ref2020, true), 1577836800); // 2020
    EXPECT_EQ(date("Friday, 01-Jan-99 00:00:00 GMT", ref2020, true), 915148800);    // 1999
    EXPECT_EQ(date("Saturday, 01-Jan-00 00:00:00 GMT", ref2020, true), 946684800);  // 2000
    // Reference late in a century: the next century.
    constexpr std::int64_t ref2099 = 4070908800; // 2099-01-01T00:00:00Z
    EXPECT_EQ(date("Friday, 01-Jan-00 00:00:00 GMT", ref2099, true), 4102444800); // 2100
    EXPECT_EQ(date("Thursday, 01-Jan-99 00:00:00 GMT", ref2099, true), 4070908800); // 2099
    // Without a reference: 20yy.
    EXPECT_EQ(date("Sunday, 06-Nov-94 08:49:37 GMT"), 3939871777); // 2094
    EXPECT_EQ(date("Friday, 01-Jan-99 00:00:00 GMT"), 4070908800); // 2099
    EXPECT_EQ(date("Saturday, 01-Jan-00 00:00:00 GMT"), 946684800);
    // 29 Feb in a year chosen by the rule that is not a leap year.
    EXPECT_TRUE(bad("Monday, 29-Feb-21 00:00:00 GMT"));
    EXPECT_GT(date("Monday, 29-Feb-24 00:00:00 GMT", ref2020, true), 0);
    // Extreme references are clamped, no overflow.
    const std::int64_t mn = std::numeric_limits<std::int64_t>::min();
    const std::int64_t mx = std::numeric_limits<std::int64_t>::max();
    EXPECT_NE(date("Sunday, 06-Nov-94 08:49:37 GMT", mn, true), -1);
    EXPECT_NE(date("Sunday, 06-Nov-94 08:49:37 GMT", mx, true), -1);
    // 0001-01-01 reference (the lower clamp): "01-Jan-51" is exactly 50 years ahead (year 51),
    // "02-Jan-51" is more, so it is year -49 (proleptic, astronomical numbering).
    constexpr std::int64_t ref_y1 = -62135596800;
    EXPECT_EQ(date("Monday, 01-Jan-01 00:00:00 GMT", ref_y1, true), ref_y1);
    EXPECT_EQ(date("Monday, 01-Jan-51 00:00:00 GMT", ref_y1, true), days_from_civil(51, 1, 1) * 86400);
    EXPECT_EQ(date("Monday, 02-Jan-51 00:00:00 GMT", ref_y1, true), days_from_civil(-49, 1, 2) * 86400);
}

TEST(HttpDate, FormatImfFixdate) {
    EXPECT_EQ(format_imf_fixdate(t1994), "Sun, 06 Nov 1994 08:49:37 GMT");
    EXPECT_EQ(format_imf_fixdate(0), "Thu, 01 Jan 1970 00:00:00 GMT");
    EXPECT_EQ(format_imf_fixdate(-1), "Wed, 31 Dec 1969 23:59:59 GMT");
    EXPECT_EQ(format_imf_fixdate(951825600), "Tue, 29 Feb 2000 12:00:00 GMT");
    EXPECT_EQ(format_imf_fixdate(253402300799), "Fri, 31 Dec 9999 23:59:59 GMT");
    EXPECT_EQ(format_imf_fixdate(std::numeric_limits<std::int64_t>::max()), "Fri, 31 Dec 9999 23:59:59 GMT");
    EXPECT_EQ(format_imf_fixdate(-62167219200), "Sat, 01 Jan 0000 00:00:00 GMT");
    EXPECT_EQ(format_imf_fixdate(std::numeric_limits<std::int64_t>::min()), "Sat, 01 Jan 0000 00:00:00 GMT");
}

TEST(HttpDate, RoundTrip) {
    // Steps chosen to hit every second of the minute, every hour and every day of the week.
    for (std::int64_t t = -62167219200; t <= 253402300799; t += 86400 * 97 + 3677) {
        const std::string s = format_imf_fixdate(t);
        std::int64_t back = 0;
        ASSERT_TRUE(parse_http_date(s, 0, false, back)) << s;
        ASSERT_EQ(back, t) << s;
    }
    for (std::int64_t t = 0; t < 86400 * 3; t += 1) {
        std::int64_t back = 0;
        ASSERT_TRUE(parse_http_date(format_imf_fixdate(t), 0, false, back));
        ASSERT_EQ(back, t);
    }
}

// --- a reference model, written from RFC 9110 5.6.7 and the decisions at the top of
// http_date.hpp with its own calendar arithmetic, against near-valid and arbitrary texts ------

namespace {
namespace ref {

std::int64_t fdiv(std::int64_t a, std::int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }
/// Days from 0000-01-01 to y-01-01 (proleptic Gregorian; year 0 is a leap year).
std::int64_t days_before_year(std::int64_t y) { return 365 * y + fdiv(y + 3, 4) - fdiv(y + 99, 100) + fdiv(y + 399, 400); }
bool leap(std::int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
unsigned month_days(std::int64_t y, int m) {
    static const unsigned n[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return n[m - 1] + (m == 2 && leap(y) ? 1 : 0);
}
std::int64_t unix_s(std::int64_t y, int mo, unsigned d, unsigned h, unsigned mi, unsigned s) {
    std::int64_t days = days_before_year(y) - days_before_year(1970);
    for (int k = 1; k < mo; ++k) days += month_days(y, k);
    days += d - 1;
    return days * 86400 + h * 3600 + mi * 60 + s;
}
/// Year of a Unix time (by search from an estimate), for checking rfc850 results.
std::int64_t year_of(std::int64_t t) {
    const std::int64_t days = fdiv(t, 86400) + days_before_year(1970);
    std::int64_t y = fdiv(days * 400, 146097);
    while (days_before_year(y) > days) --y;
    while (days_before_year(y + 1) <= days) ++y;
    return y;
}

int month_of(const std::string& m) {
    static const char* const names[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    for (int i = 0; i < 12; ++i)
        if (m == names[i]) return i + 1;
    return 0;
}
unsigned num(const std::string& s) { return static_cast<unsigned>(std::stoul(s)); }

/// The expected parse: the Unix seconds, or nullopt when the text is no HTTP-date. For rfc850
/// with a reference, `year_open` is set and only the text's fields are known (checked apart).
struct expectation {
    std::optional<std::int64_t> value;
    bool rfc850_with_ref = false;
    int month = 0;
    unsigned day = 0, yy = 0, h = 0, mi = 0, se = 0;
};

expectation http_date(const std::string& t, bool has_ref) {
    static const std::regex imf(R"(^(Sun|Mon|Tue|Wed|Thu|Fri|Sat), ([0-9]{2}) ([A-Z][a-z]{2}) ([0-9]{4}) ([0-9]{2}):([0-9]{2}):([0-9]{2}) GMT$)");
    static const std::regex rfc850(R"(^(Sunday|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday), ([0-9]{2})-([A-Z][a-z]{2})-([0-9]{2}) ([0-9]{2}):([0-9]{2}):([0-9]{2}) GMT$)");
    static const std::regex asctime(R"(^(Sun|Mon|Tue|Wed|Thu|Fri|Sat) ([A-Z][a-z]{2}) ( [0-9]|[0-9]{2}) ([0-9]{2}):([0-9]{2}):([0-9]{2}) ([0-9]{4})$)");
    expectation e;
    std::smatch m;
    std::int64_t y = 0;
    if (std::regex_match(t, m, imf)) {
        e.day = num(m[2]), e.month = month_of(m[3]), y = num(m[4]), e.h = num(m[5]), e.mi = num(m[6]), e.se = num(m[7]);
    } else if (std::regex_match(t, m, asctime)) {
        e.month = month_of(m[2]), e.day = num(m[3].str()[0] == ' ' ? m[3].str().substr(1) : m[3].str()), e.h = num(m[4]),
        e.mi = num(m[5]), e.se = num(m[6]), y = num(m[7]);
    } else if (std::regex_match(t, m, rfc850)) {
        e.day = num(m[2]), e.month = month_of(m[3]), e.yy = num(m[4]), e.h = num(m[5]), e.mi = num(m[6]), e.se = num(m[7]);
        y = 2000 + e.yy;
        e.rfc850_with_ref = has_ref;
    } else {
        return e;
    }
    if (e.month == 0 || e.h > 23 || e.mi > 59 || e.se > 59 || e.day < 1) return expectation{};
    if (e.rfc850_with_ref) {
        if (e.day > 31 || (e.month != 2 && e.day > month_days(2001, e.month))) return expectation{};
        return e; // the year depends on the reference: checked by the caller
    }
    if (e.day > month_days(y, e.month)) return expectation{};
    e.value = unix_s(y, e.month, e.day, e.h, e.mi, e.se);
    return e;
}

/// created / createdDateTime, from the grammar in http_date.hpp's decisions, to UTC ms.
std::optional<std::int64_t> created(const std::string& t) {
    static const std::regex us(R"(^([0-9]{1,2})/([0-9]{1,2})/([0-9]{4}) ([0-9]{1,2}):([0-9]{2}):([0-9]{2}) ([AaPp][Mm]) ([+-])([0-9]{2}):([0-9]{2})$)");
    static const std::regex iso(R"(^([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?([Zz]|([+-])([0-9]{2}):([0-9]{2}))$)");
    std::smatch m;
    std::int64_t y = 0;
    unsigned mo = 0, d = 0, h = 0, mi = 0, se = 0, oh = 0, om = 0;
    int sign = 1;
    std::int64_t ms = 0;
    if (std::regex_match(t, m, us)) {
        mo = num(m[1]), d = num(m[2]), y = num(m[3]), h = num(m[4]), mi = num(m[5]), se = num(m[6]);
        if (h < 1 || h > 12) return std::nullopt;
        const bool pm = m[7].str()[0] == 'P' || m[7].str()[0] == 'p';
        h = h % 12 + (pm ? 12 : 0);
        sign = m[8] == "-" ? -1 : 1, oh = num(m[9]), om = num(m[10]);
    } else if (std::regex_match(t, m, iso)) {
        y = num(m[1]), mo = num(m[2]), d = num(m[3]), h = num(m[4]), mi = num(m[5]), se = num(m[6]);
        const std::string frac = m[7].matched ? m[7].str().substr(1) + "000" : "000";
        ms = std::stoi(frac.substr(0, 3));
        if (m[9].matched) sign = m[9] == "-" ? -1 : 1, oh = num(m[10]), om = num(m[11]);
    } else {
        return std::nullopt;
    }
    if (mo < 1 || mo > 12 || d < 1 || d > month_days(y, static_cast<int>(mo)) || h > 23 || mi > 59 || se > 59 ||
        oh > 23 || om > 59)
        return std::nullopt;
    const std::int64_t local = unix_s(y, static_cast<int>(mo), d, h, mi, se);
    return (local - sign * static_cast<std::int64_t>(oh * 60 + om) * 60) * 1000 + ms;
}

} // namespace ref

/// Checks parse_http_date and parse_created_time on `s` against the reference model.
void check_against_reference(const std::string& s, std::int64_t reference, bool has_ref) {
    std::int64_t v = 0;
    const bool ok = parse_http_date(s, reference, has_ref, v);
    const ref::expectation e = ref::http_date(s, has_ref);
    if (e.rfc850_with_ref) {
        // The year: the one ending in the text's two digits in (reference + 50 y - 100 y,
        // reference + 50 y], the reference clamped to the years 0001-9998 (http_date.hpp).
        const std::int64_t r = std::min<std::int64_t>(std::max<std::int64_t>(reference, -62135596800), 253370764799);
        const std::int64_t ry = ref::year_of(r);
        // the reference's month, day and second of the day
        std::int64_t rest = r - ref::unix_s(ry, 1, 1, 0, 0, 0);
        int rm = 1;
        while (rest >= static_cast<std::int64_t>(ref::month_days(ry, rm)) * 86400) rest -= ref::month_days(ry, rm++) * 86400;
        const auto rd = static_cast<unsigned>(rest / 86400 + 1);
        const std::int64_t rsecs = rest % 86400, secs = e.h * 3600 + e.mi * 60 + e.se;
        auto too_far = [&](std::int64_t y) { // later than the reference's date and time 50 years on
            if (y != ry + 50) return y > ry + 50;
            if (e.month != rm) return e.month > rm;
            if (e.day != rd) return e.day > rd;
            return secs > rsecs;
        };
        std::optional<std::int64_t> want;
        for (std::int64_t y = ry + 50; y > ry - 51 && !want; --y) {
            if (((y % 100) + 100) % 100 != e.yy || too_far(y)) continue;
            if (e.day <= ref::month_days(y, e.month)) want = ref::unix_s(y, e.month, e.day, e.h, e.mi, e.se);
            break; // the first year that is not too far decides (29 Feb of a common year: unusable)
        }
        ASSERT_EQ(ok, want.has_value()) << s << " ref " << reference;
        if (ok) { ASSERT_EQ(v, *want) << s << " ref " << reference; }
    } else {
        ASSERT_EQ(ok, e.value.has_value()) << s;
        if (ok) { ASSERT_EQ(v, *e.value) << s; }
    }
    std::int64_t c = 0;
    const bool cok = parse_created_time(s, c);
    const auto want_c = ref::created(s);
    ASSERT_EQ(cok, want_c.has_value()) << s;
    if (cok) { ASSERT_EQ(c, *want_c) << s; }
}

std::uint64_t xorshift(std::uint64_t& x) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
}

} // namespace

// Valid texts of every form, then damaged by one or two edits from an alphabet of date
// characters: parse_http_date and parse_created_time agree with the reference on each.
TEST(HttpDate, AgreesWithReferenceOnDamagedTexts) {
    const char alphabet[] = "SunMoTFriGMT ,-:/.+0123456789JanNovDecdayPAZz\t\x80";
    const char* const seeds[] = {"Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994",
                                 "Thu, 29 Feb 2024 23:59:59 GMT", "Monday, 29-Feb-00 00:00:00 GMT", "Sat Dec 31 23:59:59 9999",
                                 "Thu Jan 01 00:00:00 0000", "3/11/2020 8:45:13 PM +00:00", "12/31/2020 12:00:00 am -23:59",
                                 "2021-05-06T07:55:19.5256829+00:00", "2024-02-29 00:00:00Z", "0000-01-01t00:00:00.1-01:30"};
    std::uint64_t x = 88172645463325252ull;
    std::size_t accepted = 0;
    for (int i = 0; i < 60000; ++i) {
        std::string s = seeds[xorshift(x) % (sizeof seeds / sizeof seeds[0])];
        const int edits = static_cast<int>(xorshift(x) % 3);
        for (int k = 0; k < edits && !s.empty(); ++k) {
            const std::size_t at = xorshift(x) % s.size();
            const char c = alphabet[xorshift(x) % (sizeof alphabet - 1)];
            switch (xorshift(x) % 3) {
            case 0: s[at] = c; break;
            case 1: s.insert(s.begin() + static_cast<std::ptrdiff_t>(at), c); break;
            default: s.erase(at, 1); break;
            }
        }
        const std::int64_t r = static_cast<std::int64_t>(xorshift(x) % 8000000000ull) - 1000000000; // 1938..2223
        const std::int64_t reference = (i % 50 == 0) ? static_cast<std::int64_t>(xorshift(x)) : r;
        std::int64_t v = 0, c = 0;
        accepted += parse_http_date(s, reference, i % 3 != 0, v) || parse_created_time(s, c);
        check_against_reference(s, reference, i % 3 != 0);
        if (HasFatalFailure()) return;
    }
    EXPECT_GT(accepted, 20000u); // the seeds survive zero edits and many single edits
}

// Arbitrary strings over the same alphabet: almost all are refused, as by the reference.
TEST(HttpDate, AgreesWithReferenceOnArbitraryBytes) {
    const char alphabet[] = "SunMoTFriGMT ,-:0123456789JanNovDecday\t\x80";
    std::uint64_t x = 88172645463325252ull;
    std::string s;
    for (int i = 0; i < 50000; ++i) {
        s.clear();
        const std::size_t n = xorshift(x) % 34;
        for (std::size_t k = 0; k < n; ++k) s.push_back(alphabet[xorshift(x) % (sizeof alphabet - 1)]);
        check_against_reference(s, static_cast<std::int64_t>(xorshift(x)), (xorshift(x) & 1) != 0);
        if (HasFatalFailure()) return;
    }
}

TEST(CreatedTime, SeedFormats) {
    EXPECT_EQ(created("3/11/2020 8:45:13 PM +00:00"), 1583959513000);
    EXPECT_EQ(created("2021-05-06T07:55:19.5256829+00:00"), 1620287719525);
}

TEST(CreatedTime, TwelveHourClock) {
    EXPECT_EQ(created("12/31/2020 12:00:00 AM +00:00"), 1609372800000);
    EXPECT_EQ(created("12/31/2020 12:00:00 PM +00:00"), 1609416000000);
    EXPECT_EQ(created("12/31/2020 1:00:00 AM +00:00"), 1609372800000 + 3600000);
    EXPECT_EQ(created("12/31/2020 11:59:59 PM +00:00"), 1609459199000);
    EXPECT_EQ(created("1/1/2021 12:30:00 AM +00:00"), 1609461000000);
    EXPECT_EQ(created("01/01/2021 12:30:00 am +00:00"), 1609461000000);
    EXPECT_EQ(created("3/11/2020 08:45:13 pm +00:00"), 1583959513000);
    EXPECT_EQ(created("3/11/2020 0:45:13 AM +00:00"), -1);
    EXPECT_EQ(created("3/11/2020 13:45:13 PM +00:00"), -1);
    EXPECT_EQ(created("3/11/2020 8:45:13 XM +00:00"), -1);
    EXPECT_EQ(created("3/11/2020 8:45:13 P +00:00"), -1);
    EXPECT_EQ(created("3/11/2020 8:45:13 PMX +00:00"), -1);
}

TEST(CreatedTime, Offsets) {
    EXPECT_EQ(created("3/11/2020 3:45:13 PM -05:00"), 1583959513000);
    EXPECT_EQ(created("3/12/2020 2:15:13 AM +05:30"), 1583959513000);
    EXPECT_EQ(created("2021-05-06T09:55:19+02:00"), 1620287719000);
    EXPECT_EQ(created("2021-05-06T07:55:19Z"), 1620287719000);
    EXPECT_EQ(created("2021-05-06T07:55:19z"), 1620287719000);
    EXPECT_EQ(created("2021-05-06T02:25:19-05:30"), 1620287719000);
    EXPECT_EQ(created("2021-05-06T00:00:00+23:59"), 1620259200000 - (23 * 60 + 59) * 60000LL);
    EXPECT_EQ(created("2021-05-06T07:55:19+24:00"), -1);
    EXPECT_EQ(created("2021-05-06T07:55:19+00:60"), -1);
    EXPECT_EQ(created("2021-05-06T07:55:19+0000"), -1);
    EXPECT_EQ(created("2021-05-06T07:55:19+00"), -1);
    EXPECT_EQ(created("2021-05-06T07:55:19 +00:00"), -1);
    EXPECT_EQ(created("2021-05-06T07:55:19"), -1); // no offset: ambiguous
    EXPECT_EQ(created("2021-05-06T07:55:19.123"), -1);
    EXPECT_EQ(created("3/11/2020 8:45:13 PM"), -1);
    EXPECT_EQ(created("3/11/2020 8:45:13 PM Z"), -1);
    EXPECT_EQ(created("3/11/2020 8:45:13 PM +00:00 "), -1);
    EXPECT_EQ(created("2021-05-06T07:55:19Z "), -1);
    EXPECT_EQ(created("2021-05-06T07:55:19ZZ"), -1);
}

TEST(CreatedTime, Fractions) {
    EXPECT_EQ(created("2021-05-06T07:55:19.5+00:00"), 1620287719500);
    EXPECT_EQ(created("2021-05-06T07:55:19.05Z"), 1620287719050);
    EXPECT_EQ(created("2021-05-06T07:55:19.999Z"), 1620287719999);
    EXPECT_EQ(created("2021-05-06T07:55:19.9999999Z"), 1620287719999); // truncated
    EXPECT_EQ(created("2021-05-06T07:55:19.0000000Z"), 1620287719000);
    EXPECT_EQ(created("2021-05-06T07:55:19." + std::string(10000, '7') + "Z"), 1620287719777);
    EXPECT_EQ(created("2021-05-06T07:55:19.Z"), -1);
    EXPECT_EQ(created("2021-05-06T07:55:19,5Z"), -1);
    EXPECT_EQ(created("2021-05-06T07:55:19.5x+00:00"), -1);
    EXPECT_EQ(created("3/11/2020 8:45:13.5 PM +00:00"), -1);
}

TEST(CreatedTime, SeparatorsAndShapes) {
    EXPECT_EQ(created("2021-05-06 07:55:19Z"), 1620287719000);
    EXPECT_EQ(created("2021-05-06t07:55:19Z"), 1620287719000);
    EXPECT_EQ(created("2021-05-06  07:55:19Z"), -1);
    EXPECT_EQ(created("2021-05-06X07:55:19Z"), -1);
    EXPECT_EQ(created("2021-5-06T07:55:19Z"), -1);
    EXPECT_EQ(created("2021-05-6T07:55:19Z"), -1);
    EXPECT_EQ(created("2021-05-06T7:55:19Z"), -1);
    EXPECT_EQ(created("2021-05-06T07:55Z"), -1);
    EXPECT_EQ(created("2021-05-06"), -1);
    EXPECT_EQ(created("20210506T075519Z"), -1);
    EXPECT_EQ(created(" 2021-05-06T07:55:19Z"), -1);
    EXPECT_EQ(created("3/11/20 8:45:13 PM +00:00"), -1);
    EXPECT_EQ(created("003/11/2020 8:45:13 PM +00:00"), -1);
    EXPECT_EQ(created("3/011/2020 8:45:13 PM +00:00"), -1);
    EXPECT_EQ(created("3/11/2020 8:5:13 PM +00:00"), -1);
    EXPECT_EQ(created("3/11/2020 8:45:3 PM +00:00"), -1);
    EXPECT_EQ(created("3/11/2020  8:45:13 PM +00:00"), -1);
    EXPECT_EQ(created("3/11/2020T8:45:13 PM +00:00"), -1);
    EXPECT_EQ(created("3-11-2020 8:45:13 PM +00:00"), -1);
    EXPECT_EQ(created(" 3/11/2020 8:45:13 PM +00:00"), -1);
    EXPECT_EQ(created(""), -1);
    EXPECT_EQ(created("3"), -1);
    EXPECT_EQ(created("3/11/2020 8:45:13 PM +00:0"), -1);
    EXPECT_EQ(created(std::string_view("3/11/2020 8:45:13 PM +00:00\0", 28)), -1);
}

TEST(CreatedTime, ImpossibleDates) {
    EXPECT_EQ(created("2/29/2020 12:00:00 AM +00:00"), 1582934400000);
    EXPECT_EQ(created("2020-02-29T00:00:00Z"), 1582934400000);
    EXPECT_EQ(created("2/29/2021 12:00:00 AM +00:00"), -1);
    EXPECT_EQ(created("2021-02-29T00:00:00Z"), -1);
    EXPECT_EQ(created("2/30/2020 12:00:00 AM +00:00"), -1);
    EXPECT_EQ(created("4/31/2020 12:00:00 AM +00:00"), -1);
    EXPECT_EQ(created("13/1/2020 12:00:00 AM +00:00"), -1);
    EXPECT_EQ(created("0/1/2020 12:00:00 AM +00:00"), -1);
    EXPECT_EQ(created("1/0/2020 12:00:00 AM +00:00"), -1);
    EXPECT_EQ(created("1/1/2020 12:60:00 AM +00:00"), -1);
    EXPECT_EQ(created("1/1/2020 12:00:60 AM +00:00"), -1);
    EXPECT_EQ(created("2021-13-01T00:00:00Z"), -1);
    EXPECT_EQ(created("2021-00-01T00:00:00Z"), -1);
    EXPECT_EQ(created("2021-01-00T00:00:00Z"), -1);
    EXPECT_EQ(created("2021-01-32T00:00:00Z"), -1);
    EXPECT_EQ(created("2021-04-31T00:00:00Z"), -1);
    EXPECT_EQ(created("2021-01-01T24:00:00Z"), -1);
    EXPECT_EQ(created("2021-01-01T23:60:00Z"), -1);
    EXPECT_EQ(created("2021-01-01T23:59:60Z"), -1);
    EXPECT_EQ(created("2021-01-01T23:59:59Z"), 1609545599000);
    EXPECT_EQ(created("0000-01-01T00:00:00Z"), -62167219200000);
    EXPECT_EQ(created("9999-12-31T23:59:59.999-23:59"), 253402300799999 + (23 * 60 + 59) * 60000LL);
}
