// azmaps-lro: delays without a server's word: clamping, exponential backoff, seeded jitter.
#ifndef AZMAPS_LRO_DETAIL_BACKOFF_HPP
#define AZMAPS_LRO_DETAIL_BACKOFF_HPP

#include <cstdint>

namespace azmaps::lro::detail {

/// SplitMix64 (Steele, Lea, Flood 2014): tiny, full-period, and the same everywhere, so a
/// seed reproduces the same jitter on any platform (PROTOCOL.md 10.17).
constexpr std::uint64_t splitmix64_next(std::uint64_t& state) noexcept {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/// Clamp to [lo, hi]; the caller guarantees lo <= hi.
constexpr std::int64_t clamp_ms(std::int64_t v, std::int64_t lo, std::int64_t hi) noexcept {
    return v < lo ? lo : v > hi ? hi : v;
}

/// base * 2^(n-1) for the n-th consecutive error (n >= 1), saturating at `cap`.
constexpr std::int64_t backoff_ms(std::int64_t base, unsigned n, std::int64_t cap) noexcept {
    if (base <= 0) return 0;
    std::int64_t d = base;
    for (unsigned k = 1; k < n; ++k) {
        if (d >= cap || d > INT64_MAX / 2) return cap;
        d *= 2;
    }
    return d < cap ? d : cap;
}

/// d/2 + (x mod (d/2 + 1)): keeps at least half the backoff, never more than all of it.
constexpr std::int64_t jittered_ms(std::int64_t d, std::uint64_t x) noexcept {
    const auto half = static_cast<std::uint64_t>(d / 2);
    return static_cast<std::int64_t>(half + x % (half + 1));
}

} // namespace azmaps::lro::detail

#endif
