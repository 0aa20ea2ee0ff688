// Property 7: Retry-After, HTTP-date and created-time parsing round-trip any formatted value.
#include "generators.hpp"

#include <azmaps/lro/detail/http_date.hpp>
#include <azmaps/lro/detail/retry_after.hpp>

#include <gtest/gtest.h>

#include <rapidcheck/gtest.h>

using namespace lro_prop;
namespace d = azmaps::lro::detail;

namespace {
constexpr std::int64_t year0 = -62167219200;     // 0000-01-01T00:00:00Z
constexpr std::int64_t year9999 = 253402300799;  // 9999-12-31T23:59:59Z
constexpr std::int64_t fifty_years = 1577836800; // 50 * 365.25 days, roughly: kept away from the edge

std::uint64_t ra(const std::vector<lro::header>& hs, std::optional<std::int64_t> wall_ms = std::nullopt) {
    std::uint64_t v = 0;
    return d::retry_after_ms(hs, wall_ms.has_value(), wall_ms.value_or(0), v) ? v : UINT64_MAX - 1;
}
} // namespace

RC_GTEST_PROP(ParseProperty, ImfFixdateRoundTrips, ()) {
    const std::int64_t s = *rc::gen::inRange<std::int64_t>(year0, year9999 + 1);
    const std::string text = d::format_imf_fixdate(s);
    RC_ASSERT(text.size() == 29u);
    std::int64_t back = 0;
    RC_ASSERT(d::parse_http_date(text, 0, false, back));
    RC_ASSERT(back == s);
}

RC_GTEST_PROP(ParseProperty, AsctimeRoundTrips, ()) {
    const std::int64_t s = *rc::gen::inRange<std::int64_t>(year0, year9999 + 1);
    const std::string text = format_asctime(s);
    std::int64_t back = 0;
    RC_LOG() << text << "\n";
    RC_ASSERT(d::parse_http_date(text, 0, false, back));
    RC_ASSERT(back == s);
}

// RFC 850 two-digit years: any date within 50 years (less a margin) of the reference comes back.
RC_GTEST_PROP(ParseProperty, Rfc850RoundTripsNearTheReference, ()) {
    const std::int64_t ref = *rc::gen::inRange<std::int64_t>(-2208988800, 7258118400); // 1900-2200
    const std::int64_t s = ref + *rc::gen::inRange<std::int64_t>(-fifty_years + 86400 * 2, fifty_years - 86400 * 2);
    const std::string text = format_rfc850(s);
    std::int64_t back = 0;
    RC_LOG() << text << " ref " << ref << "\n";
    RC_ASSERT(d::parse_http_date(text, ref, true, back));
    RC_ASSERT(back == s);
}

// Retry-After in every form, with names in any case and repeated names (the first counts).
RC_GTEST_PROP(ParseProperty, RetryAfterRoundTrips, ()) {
    const std::uint32_t bits = *rc::gen::arbitrary<std::uint32_t>();
    const int form = *rc::gen::inRange(0, 6);
    const std::uint64_t secs = *rc::gen::inRange<std::uint64_t>(0, 100000000);
    const std::uint64_t ms = *rc::gen::arbitrary<std::uint64_t>();
    const std::int64_t date = *rc::gen::inRange<std::int64_t>(0, 7258118400);
    const std::int64_t at = date + *rc::gen::inRange<std::int64_t>(-100000, 100000);
    const std::int64_t wall_ms = date * 1000 + *rc::gen::inRange<std::int64_t>(0, 1000);
    const std::string pad = *rc::gen::element<std::string>("", " ", "\t", " \t ");
    std::vector<lro::header> hs;
    std::vector<std::string> keep; // owns names and values (reserved: views stay valid)
    keep.reserve(16);
    auto add = [&](const std::string& name, std::string v) {
        keep.push_back(name);
        keep.push_back(std::move(v));
        hs.push_back({keep[keep.size() - 2], keep.back()});
    };
    const std::string rname = random_case("Retry-After", bits);
    std::uint64_t want = 0;
    std::optional<std::int64_t> wall;
    switch (form) {
    case 0: // delay-seconds, then a repeated name that must not count
        add(rname, pad + std::to_string(secs) + pad);
        add("retry-after", "1");
        want = secs * 1000;
        break;
    case 1: { // milliseconds beat Retry-After, whatever the order
        add(rname, "7");
        const std::string m = random_case("retry-after-ms", bits >> 3);
        add(m, std::to_string(ms));
        want = ms;
        break;
    }
    case 2: // an unusable retry-after-ms falls through to x-ms-retry-after-ms
        add("retry-after-ms", "soon");
        add("x-ms-retry-after-ms", pad + std::to_string(ms));
        add("Retry-After", "9");
        want = ms;
        break;
    case 3: // an HTTP-date against the Date header (whole seconds)
        add("Date", d::format_imf_fixdate(date));
        add(rname, d::format_imf_fixdate(at));
        want = at > date ? static_cast<std::uint64_t>(at - date) * 1000 : 0;
        break;
    case 4: // an HTTP-date against the wall clock (milliseconds)
        add(rname, format_asctime(at));
        wall = wall_ms;
        want = at * 1000 > wall_ms ? static_cast<std::uint64_t>(at * 1000 - wall_ms) : 0;
        break;
    default: // an HTTP-date with neither: unusable
        add(rname, d::format_imf_fixdate(at));
        want = UINT64_MAX - 1;
        break;
    }
    RC_ASSERT(ra(hs, wall) == want);
}

// created / createdDateTime: ISO 8601 with 0-9 fraction digits and any offset, and the
// Creator "M/D/YYYY h:mm:ss AM +HH:MM" form.
RC_GTEST_PROP(ParseProperty, CreatedTimeRoundTrips, ()) {
    const std::int64_t local_s = *rc::gen::inRange<std::int64_t>(0, 253402300799 - 86400);
    const int off_min = *rc::gen::inRange(-(23 * 60 + 59), 23 * 60 + 59 + 1);
    const std::int64_t utc_s = local_s - off_min * 60;
    const broken_down b = break_down(local_s);
    const std::string off = std::string(off_min < 0 ? "-" : "+") + two(static_cast<unsigned>(std::abs(off_min) / 60)) + ":" +
                            two(static_cast<unsigned>(std::abs(off_min) % 60));
    std::int64_t got = 0;
    if (*rc::gen::arbitrary<bool>()) {
        const int digits = *rc::gen::inRange(0, 10);
        const std::string frac_digits = *rc::gen::container<std::string>(static_cast<std::size_t>(digits), rc::gen::inRange('0', static_cast<char>('9' + 1)));
        const std::string text = four(b.year) + "-" + two(b.month) + "-" + two(b.day) + "T" + two(b.hour) + ":" +
                                 two(b.minute) + ":" + two(b.second) + (digits ? "." + frac_digits : "") + off;
        RC_LOG() << text << "\n";
        std::int64_t ms = 0;
        for (int i = 0; i < 3; ++i) ms = ms * 10 + (i < digits ? frac_digits[static_cast<std::size_t>(i)] - '0' : 0);
        RC_ASSERT(d::parse_created_time(text, got));
        RC_ASSERT(got == utc_s * 1000 + ms);
    } else {
        const unsigned h12 = b.hour % 12 == 0 ? 12 : b.hour % 12;
        const std::string text = std::to_string(b.month) + "/" + std::to_string(b.day) + "/" + four(b.year) + " " +
                                 std::to_string(h12) + ":" + two(b.minute) + ":" + two(b.second) +
                                 (b.hour < 12 ? " AM " : " PM ") + off;
        RC_LOG() << text << "\n";
        RC_ASSERT(d::parse_created_time(text, got));
        RC_ASSERT(got == utc_s * 1000);
    }
}

// Any bytes: parse_http_date gives a value or nothing (tests/unit/http_date_test.cpp checks
// both date parsers against a reference model); retry_after_ms, given the bytes as both
// Retry-After and Date, gives exactly what RFC 9110 and PROTOCOL.md 7 say: delay-seconds for
// 1*DIGIT (trimmed of spaces and tabs, saturating), nothing for any other text that starts
// with a digit or is empty, and for anything else nothing or, for an HTTP-date, 0 (the date
// is its own reference).
RC_GTEST_PROP(ParseProperty, AnyBytesAreSafe, (const std::string& bytes, std::int64_t ref, bool has_ref)) {
    std::int64_t out = 0;
    // An rfc850 year read against a reference clamped to 0001 or 9998 may land up to 50 years
    // outside 0000-9999.
    if (d::parse_http_date(bytes, ref, has_ref, out))
        RC_ASSERT(out >= year0 - 51LL * 366 * 86400 && out <= year9999 + 51LL * 366 * 86400);
    // Half of the cases are digits (with padding): arbitrary bytes are almost never a number.
    const std::string digits = *rc::gen::container<std::string>(rc::gen::inRange('0', static_cast<char>('9' + 1)));
    const std::string pad = *rc::gen::element<std::string>("", " ", "\t", " \t");
    const std::string text = *rc::gen::arbitrary<bool>() ? bytes : pad + digits + pad;
    const lro::header hs[] = {{"Retry-After", text}, {"Date", text}};
    std::uint64_t v = 0;
    const bool ok = d::retry_after_ms(hs, has_ref, ref, v);
    std::size_t b = 0, e = text.size();
    while (b < e && (text[b] == ' ' || text[b] == '\t')) ++b;
    while (e > b && (text[e - 1] == ' ' || text[e - 1] == '\t')) --e;
    const std::string t = text.substr(b, e - b);
    RC_LOG() << "[" << t << "] -> " << (ok ? std::to_string(v) : std::string("none")) << "\n";
    if (t.empty()) {
        RC_ASSERT(!ok);
    } else if (t[0] >= '0' && t[0] <= '9') {
        bool all = true;
        long double value = 0; // independent of the library's saturating arithmetic
        for (char c : t) all = all && c >= '0' && c <= '9', value = value * 10 + (c - '0');
        if (!all) {
            RC_ASSERT(!ok);
        } else {
            RC_ASSERT(ok);
            const long double ms = value * 1000;
            if (ms >= 18446744073709551615.0L) RC_ASSERT(v == UINT64_MAX);
            else RC_ASSERT(v == std::stoull(t) * 1000);
        }
    } else {
        RC_ASSERT(!ok || v == 0);
    }
}
