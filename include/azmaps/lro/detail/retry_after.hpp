// azmaps-lro: the server's requested delay (PROTOCOL.md section 7, 10.7, 10.8).
//
// Decisions (where PROTOCOL.md is silent):
//  - Header values are trimmed with trim_ows (ascii.hpp: spaces and tabs only, HTTP OWS)
//    before parsing; this holds for the `Date` header too. Names compare with iequals (as
//    equals_lowered against the lower-case literals, which is the same rule).
//  - Numbers are 1*DIGIT (leading zeros allowed); any other byte makes the header unusable.
//    Values saturate at UINT64_MAX milliseconds (delay-seconds too: seconds * 1000 saturates).
//    Clamping to the poll interval bounds is the caller's job (10.6).
//  - An empty value (after trimming) is unusable and the next name is tried.
//  - A `Retry-After` that is neither delay-seconds nor a usable HTTP-date ends the search
//    (it is the last name): the result is "no usable header".
//  - The `Date` header (first occurrence) is the reference when it parses as an HTTP-date; its
//    own two-digit rfc850 year is read against the wall clock when given, else as 20yy. The
//    Retry-After date's two-digit year is read against the chosen reference.
//  - The delay from a Date header is whole seconds; from the wall clock it is
//    date * 1000 - wall_unix_ms (millisecond precision). A date at or before the reference
//    gives 0.
#ifndef AZMAPS_LRO_DETAIL_RETRY_AFTER_HPP
#define AZMAPS_LRO_DETAIL_RETRY_AFTER_HPP

#include "ascii.hpp"
#include "http_date.hpp"
#include "../response.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace azmaps::lro::detail {

/// 1*DIGIT (already trimmed), saturating at UINT64_MAX. False when empty or not all digits.
constexpr bool parse_digits_saturating(std::string_view v, std::uint64_t& out) noexcept {
    if (v.empty()) return false;
    constexpr std::uint64_t max = static_cast<std::uint64_t>(-1);
    std::uint64_t r = 0;
    for (char c : v) {
        if (c < '0' || c > '9') return false;
        const auto d = static_cast<std::uint64_t>(c - '0');
        r = (r > (max - d) / 10u) ? max : r * 10u + d;
    }
    out = r;
    return true;
}

/// The delay requested by the first usable of `retry-after-ms`, `x-ms-retry-after-ms`,
/// `Retry-After` (first occurrence of each name). False when none is usable.
inline bool retry_after_ms(header_span headers, bool has_wall, std::int64_t wall_unix_ms,
                           std::uint64_t& out_ms) noexcept {
    // One pass: the first occurrence of each name, recognised by length first.
    const std::string_view* ms = nullptr;
    const std::string_view* xms = nullptr;
    const std::string_view* ra = nullptr;
    const std::string_view* date = nullptr;
    for (const header& h : headers) {
        switch (h.name.size()) {
        case 11:
            if (!ra && equals_lowered("retry-after", h.name.data(), 11)) ra = &h.value;
            break;
        case 14:
            if (!ms && equals_lowered("retry-after-ms", h.name.data(), 14)) ms = &h.value;
            break;
        case 19:
            if (!xms && equals_lowered("x-ms-retry-after-ms", h.name.data(), 19)) xms = &h.value;
            break;
        case 4:
            if (!date && equals_lowered("date", h.name.data(), 4)) date = &h.value;
            break;
        default:
            break;
        }
    }
    std::uint64_t v = 0;
    if (ms && parse_digits_saturating(trim_ows(*ms), v)) {
        out_ms = v;
        return true;
    }
    if (xms && parse_digits_saturating(trim_ows(*xms), v)) {
        out_ms = v;
        return true;
    }
    if (!ra) return false;
    const std::string_view text = trim_ows(*ra);
    if (text.empty()) return false;
    if (text[0] >= '0' && text[0] <= '9') {
        if (!parse_digits_saturating(text, v)) return false;
        constexpr std::uint64_t max = static_cast<std::uint64_t>(-1);
        out_ms = v > max / 1000u ? max : v * 1000u;
        return true;
    }
    // An HTTP-date: find the reference (milliseconds) first.
    const std::int64_t wall_s = floor_div(wall_unix_ms, 1000);
    std::int64_t ref_ms = 0;
    std::int64_t ref_s = 0;
    std::int64_t date_s = 0;
    if (date && parse_http_date(trim_ows(*date), wall_s, has_wall, date_s)) {
        ref_s = date_s;
        ref_ms = date_s * 1000; // |date_s| < 4e11: no overflow
    } else if (has_wall) {
        ref_s = wall_s;
        ref_ms = wall_unix_ms;
    } else {
        return false;
    }
    std::int64_t at_s = 0;
    if (!parse_http_date(text, ref_s, true, at_s)) return false;
    const std::int64_t at_ms = at_s * 1000; // |at_s| < 4e11: no overflow
    out_ms = at_ms <= ref_ms ? 0u : static_cast<std::uint64_t>(at_ms) - static_cast<std::uint64_t>(ref_ms);
    return true;
}

} // namespace azmaps::lro::detail

#endif
