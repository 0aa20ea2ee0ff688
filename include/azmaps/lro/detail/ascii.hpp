// azmaps-lro: the one ASCII case rule and the one whitespace trim, used everywhere.
//
// Decisions:
//  - Case-insensitive means ASCII only: 'A'-'Z' fold to 'a'-'z'; every other byte (digits,
//    punctuation, controls, bytes >= 0x80) matches only itself. No locale, no Unicode folding
//    ("\xC3\x89" is not "\xC3\xA9"). Used for header names, status words, schemes and hosts.
//  - Trimming removes HTTP optional whitespace (RFC 9110 5.6.3 OWS: space and horizontal tab)
//    at both ends, and nothing else: CR, LF, NUL, vertical tab, form feed and bytes >= 0x80
//    stay (a header value with a stray CR stays unusable instead of being repaired). A driver
//    removes the line terminator itself before it trims a header line.
//  - The JSON scanner's comparison of an escaped JSON string with a literal (json.hpp
//    json_string_iequals) decodes escapes and then applies this same fold (ascii_lower); the
//    decoding is the only thing it adds.
#ifndef AZMAPS_LRO_DETAIL_ASCII_HPP
#define AZMAPS_LRO_DETAIL_ASCII_HPP

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace azmaps::lro::detail {

constexpr char ascii_lower(char c) noexcept {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

/// ascii_lower on each of the 8 bytes of x (exact for every byte value).
inline std::uint64_t ascii_lower8(std::uint64_t x) noexcept {
    constexpr std::uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    const std::uint64_t t = x & ~highs;                       // each byte < 0x80: the sums below never carry
    const std::uint64_t ge_a = t + ones * (0x80U - 'A');      // high bit: t >= 'A'
    const std::uint64_t gt_z = t + ones * (0x80U - 'Z' - 1U); // high bit: t > 'Z'
    const std::uint64_t upper = ge_a & ~gt_z & ~x & highs;    // high bit: 'A' <= x <= 'Z'
    return x | (upper >> 2);                                  // 0x80 >> 2 == 0x20
}

inline std::uint64_t load8(const char* p) noexcept {
    std::uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
}

/// The 4..8 bytes p[0, n) in one word: the first 4 and the last 4 (overlapping when n < 8), so
/// that a byte-wise comparison of two such words compares every byte.
inline std::uint64_t load4to8(const char* p, std::size_t n) noexcept {
    std::uint32_t lo, hi;
    std::memcpy(&lo, p, 4);
    std::memcpy(&hi, p + n - 4, 4);
    return lo | (static_cast<std::uint64_t>(hi) << 32);
}

/// True when a[0, n) equals b[0, n) with ASCII letters folded, eight bytes at a time.
inline bool iequals_n(const char* a, const char* b, std::size_t n) noexcept {
    if (n < 8) {
        if (n >= 4) {
            const std::uint64_t x = load4to8(a, n), y = load4to8(b, n);
            return x == y || ascii_lower8(x) == ascii_lower8(y);
        }
        for (std::size_t i = 0; i < n; ++i)
            if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
        return true;
    }
    const auto same8 = [a, b](std::size_t i) noexcept {
        const std::uint64_t x = load8(a + i), y = load8(b + i);
        return x == y || ascii_lower8(x) == ascii_lower8(y); // folding only when the bytes differ
    };
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8)
        if (!same8(i)) return false;
    return i == n || same8(n - 8); // the last 8 bytes, overlapping
}

/// ASCII case-insensitive equality (header names, status values, schemes, hosts).
constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
#if defined(__has_builtin)
#if __has_builtin(__builtin_is_constant_evaluated)
    if (!__builtin_is_constant_evaluated()) return iequals_n(a.data(), b.data(), a.size());
#endif
#endif
    for (std::size_t i = 0; i < a.size(); ++i)
        if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
    return true;
}

/// True when `s` starts with `prefix`, compared with iequals.
constexpr bool istarts_with(std::string_view s, std::string_view prefix) noexcept {
    return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

/// True when text[0, n) == ascii_lower(mixed[0, n)), eight bytes at a time: `text` is the
/// canonical (lower-case) spelling of `mixed`. Not a case-insensitive comparison (an upper-case
/// letter in `text` never matches); the same fold as iequals. For a `text` without upper-case
/// letters (a literal such as "retry-after") it is exactly iequals(text, mixed), folding one
/// side only: the header-name scan of the poll step uses it so.
inline bool equals_lowered(const char* text, const char* mixed, std::size_t n) noexcept {
    if (n < 8) {
        if (n >= 4) return load4to8(text, n) == ascii_lower8(load4to8(mixed, n));
        for (std::size_t i = 0; i < n; ++i)
            if (text[i] != ascii_lower(mixed[i])) return false;
        return true;
    }
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8)
        if (load8(text + i) != ascii_lower8(load8(mixed + i))) return false;
    return i == n || load8(text + n - 8) == ascii_lower8(load8(mixed + n - 8)); // last 8, overlapping
}

/// HTTP optional whitespace: space and horizontal tab, nothing else.
constexpr bool is_ows(char c) noexcept { return c == ' ' || c == '\t'; }

/// Trims OWS (spaces and tabs) at both ends; see the decisions at the top of this file.
constexpr std::string_view trim_ows(std::string_view v) noexcept {
    std::size_t b = 0, e = v.size();
    while (b < e && is_ows(v[b])) ++b;
    while (e > b && is_ows(v[e - 1])) --e;
    return v.substr(b, e - b);
}

} // namespace azmaps::lro::detail

#endif
