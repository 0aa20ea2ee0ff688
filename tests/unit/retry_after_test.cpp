#include <azmaps/lro/detail/retry_after.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

using azmaps::lro::header;
using azmaps::lro::header_span;
using azmaps::lro::detail::retry_after_ms;

namespace {

constexpr std::uint64_t u64max = std::numeric_limits<std::uint64_t>::max();
constexpr std::uint64_t none = 0xDEADBEEFull; // marker: out_ms untouched
constexpr std::int64_t t1994_ms = 784111777000; // Sun, 06 Nov 1994 08:49:37 GMT

static_assert(noexcept(retry_after_ms(header_span{}, false, 0, std::declval<std::uint64_t&>())));

std::uint64_t ra(std::vector<header> hs, bool has_wall = false, std::int64_t wall_ms = 0) {
    std::uint64_t v = none;
    const bool ok = retry_after_ms(hs, has_wall, wall_ms, v);
    if (!ok) {
        EXPECT_EQ(v, none);
    }
    return ok ? v : none;
}

} // namespace

TEST(RetryAfter, CommonCase) {
    EXPECT_EQ(ra({{"Content-Type", "application/json"},
                  {"Date", "Sun, 06 Nov 1994 08:49:37 GMT"},
                  {"x-ms-request-id", "abc"},
                  {"Retry-After", "30"},
                  {"Content-Length", "120"},
                  {"Server", "x"}}),
              30000u);
    EXPECT_EQ(ra({{"retry-after", "0"}}), 0u);
    EXPECT_EQ(ra({{"RETRY-AFTER", "007"}}), 7000u);
}

TEST(RetryAfter, MillisecondHeaders) {
    EXPECT_EQ(ra({{"retry-after-ms", "1500"}}), 1500u);
    EXPECT_EQ(ra({{"x-ms-retry-after-ms", "250"}}), 250u);
    EXPECT_EQ(ra({{"Retry-After-Ms", "1"}}), 1u);
    EXPECT_EQ(ra({{"X-MS-Retry-After-MS", "0"}}), 0u);
}

TEST(RetryAfter, Order) {
    // retry-after-ms > x-ms-retry-after-ms > Retry-After, whatever the arrival order.
    EXPECT_EQ(ra({{"Retry-After", "30"}, {"x-ms-retry-after-ms", "200"}, {"retry-after-ms", "100"}}), 100u);
    EXPECT_EQ(ra({{"retry-after-ms", "100"}, {"x-ms-retry-after-ms", "200"}, {"Retry-After", "30"}}), 100u);
    EXPECT_EQ(ra({{"x-ms-retry-after-ms", "200"}, {"retry-after-ms", "100"}}), 100u);
    EXPECT_EQ(ra({{"Retry-After", "30"}, {"x-ms-retry-after-ms", "200"}}), 200u);
    EXPECT_EQ(ra({{"x-ms-retry-after-ms", "200"}, {"Retry-After", "30"}}), 200u);
}

TEST(RetryAfter, FirstOccurrenceCounts) {
    EXPECT_EQ(ra({{"Retry-After", "5"}, {"Retry-After", "10"}}), 5000u);
    EXPECT_EQ(ra({{"retry-after", "abc"}, {"Retry-After", "10"}}), none); // first is unusable
    EXPECT_EQ(ra({{"retry-after-ms", "x"}, {"retry-after-ms", "100"}, {"Retry-After", "2"}}), 2000u);
    EXPECT_EQ(ra({{"x-ms-retry-after-ms", ""}, {"x-ms-retry-after-ms", "100"}}), none);
    EXPECT_EQ(ra({{"x-ms-retry-after-ms", "7"}, {"x-ms-retry-after-ms", "100"}}), 7u);
    // The Date reference: the first occurrence too.
    EXPECT_EQ(ra({{"Date", "Sun, 06 Nov 1994 08:49:37 GMT"},
                  {"Date", "Sun, 06 Nov 1994 08:49:00 GMT"},
                  {"Retry-After", "Sun, 06 Nov 1994 08:49:47 GMT"}}),
              10000u);
    EXPECT_EQ(ra({{"Date", "garbage"},
                  {"Date", "Sun, 06 Nov 1994 08:49:00 GMT"},
                  {"Retry-After", "Sun, 06 Nov 1994 08:49:47 GMT"}}),
              none);
}

TEST(RetryAfter, SkipUnusable) {
    EXPECT_EQ(ra({{"retry-after-ms", "-1"}, {"x-ms-retry-after-ms", ""}, {"Retry-After", "7"}}), 7000u);
    EXPECT_EQ(ra({{"retry-after-ms", "1.5"}, {"x-ms-retry-after-ms", "9"}}), 9u);
    EXPECT_EQ(ra({{"retry-after-ms", "soon"}, {"x-ms-retry-after-ms", "later"}, {"Retry-After", "never"}}), none);
    EXPECT_EQ(ra({{"retry-after-ms", "   "}}), none);
    EXPECT_EQ(ra({}), none);
    EXPECT_EQ(ra({{"Content-Type", "application/json"}, {"Retry-After-Seconds", "5"}, {"Retry", "5"}}), none);
    EXPECT_EQ(ra({{"", ""}}), none);
}

TEST(RetryAfter, Whitespace) {
    EXPECT_EQ(ra({{"Retry-After", " \t30\t "}}), 30000u);
    EXPECT_EQ(ra({{"retry-after-ms", "  15  "}}), 15u);
    EXPECT_EQ(ra({{"Retry-After", "3 0"}}), none);
    EXPECT_EQ(ra({{"Retry-After", "\n30"}}), none);
    EXPECT_EQ(ra({{"Retry-After", "30\r"}}), none);
    EXPECT_EQ(ra({{"Retry-After", ""}}), none);
    EXPECT_EQ(ra({{"Retry-After", " \t "}}), none);
    EXPECT_EQ(ra({{"Retry-After", std::string_view("30\0", 3)}}), none);
    EXPECT_EQ(ra({{"Date", "  Sun, 06 Nov 1994 08:49:37 GMT "},
                  {"Retry-After", "\tSun, 06 Nov 1994 08:50:07 GMT\t"}}),
              30000u);
}

TEST(RetryAfter, SignsAndFractionsRejected) {
    for (const char* v : {"+30", "-30", "30.5", "30.", ".5", "1e3", "0x10", "30s", "30,40", "३०", "PT30S"}) {
        EXPECT_EQ(ra({{"Retry-After", v}}), none) << v;
        EXPECT_EQ(ra({{"retry-after-ms", v}}), none) << v;
        EXPECT_EQ(ra({{"x-ms-retry-after-ms", v}}), none) << v;
    }
}

TEST(RetryAfter, HugeValuesSaturate) {
    EXPECT_EQ(ra({{"Retry-After", "99999999999999999999999"}}), u64max);
    EXPECT_EQ(ra({{"Retry-After", "18446744073709551"}}), 18446744073709551000u);
    EXPECT_EQ(ra({{"Retry-After", "18446744073709552"}}), u64max);
    EXPECT_EQ(ra({{"retry-after-ms", "18446744073709551615"}}), u64max);
    EXPECT_EQ(ra({{"retry-after-ms", "18446744073709551614"}}), u64max - 1);
    EXPECT_EQ(ra({{"retry-after-ms", "18446744073709551616"}}), u64max);
    EXPECT_EQ(ra({{"x-ms-retry-after-ms", std::string(100000, '9')}}), u64max);
    EXPECT_EQ(ra({{"x-ms-retry-after-ms", std::string(100000, '0') + "42"}}), 42u);
}

TEST(RetryAfter, HttpDateFromDateHeader) {
    const std::vector<header> hs = {{"Date", "Sun, 06 Nov 1994 08:49:37 GMT"},
                                    {"Retry-After", "Sun, 06 Nov 1994 08:50:07 GMT"}};
    EXPECT_EQ(ra(hs), 30000u);
    // The Date header wins over the wall clock.
    EXPECT_EQ(ra(hs, true, t1994_ms + 20000), 30000u);
    // All three forms, both as Date and as Retry-After.
    EXPECT_EQ(ra({{"date", "Sun Nov  6 08:49:37 1994"}, {"retry-after", "Sunday, 06-Nov-94 08:51:37 GMT"}}),
              120000u);
    EXPECT_EQ(ra({{"date", "Sunday, 06-Nov-94 08:49:37 GMT"}, {"retry-after", "Sun Nov  6 08:49:38 2094"}}),
              1000u); // Date without a wall clock: 20yy
    EXPECT_EQ(ra({{"date", "Sunday, 06-Nov-94 08:49:37 GMT"}, {"retry-after", "Sun Nov  6 08:49:38 1994"}},
                 true, t1994_ms),
              1000u); // Date's two-digit year read against the wall clock
    // The Retry-After's own two-digit year is read against the Date reference.
    EXPECT_EQ(ra({{"Date", "Mon, 01 Jun 2020 00:00:00 GMT"},
                  {"Retry-After", "Monday, 01-Jun-20 00:00:30 GMT"}}),
              30000u);
}

TEST(RetryAfter, HttpDateFromWallClock) {
    const std::vector<header> hs = {{"Retry-After", "Sun, 06 Nov 1994 08:50:07 GMT"}};
    EXPECT_EQ(ra(hs, true, t1994_ms), 30000u);
    EXPECT_EQ(ra(hs, true, t1994_ms + 250), 29750u); // millisecond precision
    // An unparseable Date falls back to the wall clock.
    EXPECT_EQ(ra({{"Date", "yesterday"}, {"Retry-After", "Sun, 06 Nov 1994 08:50:07 GMT"}}, true, t1994_ms),
              30000u);
    EXPECT_EQ(ra({{"Date", "Sun, 06 Nov 1994 08:49:37 UTC"}, {"Retry-After", "Sun, 06 Nov 1994 08:50:07 GMT"}},
                 true, t1994_ms - 1000),
              31000u);
}

TEST(RetryAfter, PastDateIsZero) {
    EXPECT_EQ(ra({{"Date", "Sun, 06 Nov 1994 08:49:37 GMT"}, {"Retry-After", "Sun, 06 Nov 1994 08:49:36 GMT"}}),
              0u);
    EXPECT_EQ(ra({{"Date", "Sun, 06 Nov 1994 08:49:37 GMT"}, {"Retry-After", "Sun, 06 Nov 1994 08:49:37 GMT"}}),
              0u);
    EXPECT_EQ(ra({{"Retry-After", "Thu, 01 Jan 1970 00:00:00 GMT"}}, true, t1994_ms), 0u);
    EXPECT_EQ(ra({{"Retry-After", "Sun, 06 Nov 1994 08:49:37 GMT"}}, true, t1994_ms + 1), 0u);
}

TEST(RetryAfter, HttpDateUnusableWithoutReference) {
    EXPECT_EQ(ra({{"Retry-After", "Sun, 06 Nov 1994 08:50:07 GMT"}}), none);
    EXPECT_EQ(ra({{"Date", "garbage"}, {"Retry-After", "Sun, 06 Nov 1994 08:50:07 GMT"}}), none);
    EXPECT_EQ(ra({{"Date", ""}, {"Retry-After", "Sun, 06 Nov 1994 08:50:07 GMT"}}), none);
    // A bad HTTP-date is unusable even with a reference.
    EXPECT_EQ(ra({{"Date", "Sun, 06 Nov 1994 08:49:37 GMT"}, {"Retry-After", "Sun, 06 Nov 1994 08:50:07 UTC"}}),
              none);
    EXPECT_EQ(ra({{"Date", "Sun, 06 Nov 1994 08:49:37 GMT"}, {"Retry-After", "sun, 06 Nov 1994 08:50:07 GMT"}}),
              none);
    EXPECT_EQ(ra({{"Date", "Sun, 06 Nov 1994 08:49:37 GMT"}, {"Retry-After", "Sun, 31 Nov 1994 08:50:07 GMT"}}),
              none);
    // ... but a usable millisecond header before it is still used.
    EXPECT_EQ(ra({{"Retry-After", "Sun, 06 Nov 1994 08:50:07 GMT"}, {"x-ms-retry-after-ms", "5"}}), 5u);
}

TEST(RetryAfter, ExtremeWallClocksNoOverflow) {
    const std::vector<header> hs = {{"Retry-After", "Fri, 31 Dec 9999 23:59:59 GMT"}};
    const std::int64_t mn = std::numeric_limits<std::int64_t>::min();
    const std::int64_t mx = std::numeric_limits<std::int64_t>::max();
    EXPECT_EQ(ra(hs, true, mn), static_cast<std::uint64_t>(253402300799000) + (std::uint64_t{1} << 63));
    EXPECT_EQ(ra(hs, true, mx), 0u);
    EXPECT_EQ(ra({{"Retry-After", "Sat, 01 Jan 0000 00:00:00 GMT"}}, true, mn),
              (std::uint64_t{1} << 63) - 62167219200000u);
    // The rfc850 50-year rule against an extreme wall clock (clamped reference): no overflow.
    EXPECT_NE(ra({{"Retry-After", "Sunday, 06-Nov-94 08:49:37 GMT"}}, true, mn), none);
    EXPECT_EQ(ra({{"Retry-After", "Sunday, 06-Nov-94 08:49:37 GMT"}}, true, mx), 0u);
}
