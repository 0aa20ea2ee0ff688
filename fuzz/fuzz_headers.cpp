// fuzz_headers: Retry-After and HTTP-dates, created times, URL cleaning, checking, resolution,
// origins and query parameters.
//
// Invariants checked (abort() on violation):
//  - a parsed HTTP-date lies within its years and formats back (IMF-fixdate) to the same second;
//  - parse_created_time results lie within years 0000-9999 (plus or minus a day);
//  - check_absolute_url == none implies parse_origin succeeds, the canonical origin text
//    parses to the same origin and matches itself as an allow-list entry;
//  - resolve_url == none gives a URL that passes check_absolute_url with the same limit, and
//    resolving that URL again is idempotent (RFC 3986 keeps a base's dot segments when the
//    reference has no path, so only after one resolution);
//  - append_query_param makes has_query_param true and keeps the URL valid;
//  - retry_after_ms is deterministic and usable only when some header is.
#include <azmaps/lro/detail/http_date.hpp>
#include <azmaps/lro/detail/retry_after.hpp>
#include <azmaps/lro/detail/url.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {
namespace lro = azmaps::lro;
namespace d = azmaps::lro::detail;

[[noreturn]] void violation(const std::string& what) {
    std::fprintf(stderr, "fuzz_headers: invariant broken: %s\n", what.c_str());
    std::abort();
}

void check_date(std::string_view v, std::int64_t ref, bool has_ref) {
    std::int64_t s = 0;
    if (!d::parse_http_date(v, ref, has_ref, s)) return;
    // Years 0000-9999, except that an rfc850 two-digit year read against a reference clamped
    // to 0001 or 9998 (http_date.hpp) may land up to 50 years outside them.
    if (s < -62167219200 - 51LL * 366 * 86400 || s > 253402300799 + 51LL * 366 * 86400) violation("an HTTP-date outside its years: " + std::string(v) + " -> " + std::to_string(s));
    if (s > 253402300799 || s < -62167219200) return; // format_imf_fixdate clamps to 0000-9999
    const std::string f = d::format_imf_fixdate(s);
    std::int64_t back = 0;
    if (!d::parse_http_date(f, 0, false, back) || back != s) violation("format_imf_fixdate does not parse back: " + f);
}

void check_created(std::string_view v) {
    std::int64_t ms = 0;
    if (!d::parse_created_time(v, ms)) return;
    if (ms < -62167219200000LL - 86400000LL || ms > 253402300799999LL + 86400000LL)
        violation("a created time outside years 0000-9999");
}

void check_url(std::string_view base, std::string_view raw, std::size_t max_len) {
    const std::string_view ref = d::clean_header_url(raw);
    if (ref.size() > raw.size()) violation("clean_header_url grew");
    if (d::check_absolute_url(ref, max_len) == d::url_error::none) {
        d::origin o;
        if (!d::parse_origin(ref, o)) violation("a valid URL without an origin");
        std::string text;
        d::origin_text(o, text);
        d::origin o2;
        if (!d::parse_origin(text, o2) || !d::same_origin(o, o2)) violation("origin_text does not parse back: " + text);
        if (!d::origin_matches(o, text)) violation("an origin does not match its own text");
    }
    std::string out;
    if (d::resolve_url(base, ref, max_len, out) == d::url_error::none) {
        if (out.size() > max_len) violation("resolve_url passed max_len");
        if (d::check_absolute_url(out, max_len) != d::url_error::none) violation("resolve_url returned an invalid URL");
        // An absolute reference resolves to itself with its dot segments removed (a base's own
        // path is kept as is by RFC 3986 5.2.2 when the reference has none): idempotent after one.
        std::string again, twice;
        if (d::resolve_url(base, out, max_len, again) != d::url_error::none ||
            d::resolve_url(base, again, max_len, twice) != d::url_error::none || twice != again)
            violation("resolution is not idempotent: " + out + " -> " + again + " -> " + twice);
        if (d::check_absolute_url(base, SIZE_MAX) == d::url_error::none) {
            d::origin a, b;
            if (d::parse_origin(out, a) && d::parse_origin(base, b)) (void)d::same_origin(a, b);
        }
        std::string withq = out;
        if (!d::has_query_param(withq, "api-version")) {
            d::append_query_param(withq, "api-version", "2.0");
            if (!d::has_query_param(withq, "api-version")) violation("append_query_param did not add the parameter: " + withq);
            if (d::check_absolute_url(withq, SIZE_MAX) != d::url_error::none) violation("append_query_param broke the URL");
        }
    }
}
} // namespace

// Input: byte 0 = flags (bit 0: a wall clock is given; bit 1: max_url_length from byte 1, else
// 8192; bits 2-3: wall clock near 1994 / near 2025 / from bytes 2-9 / extreme); then text lines:
// the first is the base URL, each further line a header "Name: value" (split at the first ':',
// the value as is, so leading spaces stay and exercise the trimming).
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 10) return 0;
    const std::uint8_t flags = data[0];
    const bool has_wall = (flags & 1) != 0;
    const std::size_t max_len = (flags & 2) ? data[1] : 8192;
    std::uint64_t raw = 0;
    for (int i = 0; i < 8; ++i) raw |= static_cast<std::uint64_t>(data[2 + i]) << (8 * i);
    std::int64_t wall_ms = 0;
    switch ((flags >> 2) & 3) {
    case 0: wall_ms = 784111777000 + static_cast<std::int64_t>(raw % 4'000'000'000'000); break;
    case 1: wall_ms = 1735689600000 + static_cast<std::int64_t>(raw % 100'000'000); break;
    case 2: wall_ms = static_cast<std::int64_t>(raw % 600'000'000'000'000) - 300'000'000'000'000; break;
    default: wall_ms = static_cast<std::int64_t>(raw); break;
    }
    const std::string_view text(reinterpret_cast<const char*>(data) + 10, size - 10);
    std::vector<std::string_view> lines;
    for (std::size_t b = 0; b <= text.size();) {
        std::size_t e = text.find('\n', b);
        if (e == std::string_view::npos) e = text.size();
        lines.push_back(text.substr(b, e - b));
        b = e + 1;
        if (lines.size() > 64) break;
    }
    const std::string_view base = lines.empty() ? std::string_view() : lines[0];
    std::vector<lro::header> hs;
    for (std::size_t i = 1; i < lines.size(); ++i) {
        const std::size_t colon = lines[i].find(':');
        if (colon == std::string_view::npos) hs.push_back({lines[i], {}});
        else hs.push_back({lines[i].substr(0, colon), lines[i].substr(colon + 1)});
    }

    std::uint64_t a = 0, b = 1;
    const bool ua = d::retry_after_ms(hs, has_wall, wall_ms, a);
    const bool ub = d::retry_after_ms(hs, has_wall, wall_ms, b);
    if (ua != ub || (ua && a != b)) violation("retry_after_ms is not deterministic");
    if (ua) {
        bool any = false;
        for (const auto& h : hs)
            any = any || d::iequals(h.name, "retry-after") || d::iequals(h.name, "retry-after-ms") ||
                  d::iequals(h.name, "x-ms-retry-after-ms");
        if (!any) violation("a Retry-After without any Retry-After header");
    }
    for (const auto& h : hs) {
        const std::string_view t = d::trim_ows(h.value);
        check_date(t, d::floor_div(wall_ms, 1000), has_wall);
        check_created(t);
        check_url(base, h.value, max_len);
        (void)d::has_query_param(h.value, h.name);
        d::origin o;
        if (d::parse_origin(base, o)) (void)d::origin_matches(o, h.value);
    }
    return 0;
}
