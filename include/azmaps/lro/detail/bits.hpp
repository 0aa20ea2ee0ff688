// azmaps-lro: bit tricks shared by the SIMD scanners (JSON strings, URL bytes).
#ifndef AZMAPS_LRO_DETAIL_BITS_HPP
#define AZMAPS_LRO_DETAIL_BITS_HPP

#include <cstddef>
#include <cstdint>

namespace azmaps::lro::detail {

/// Index of the lowest set bit of a non-zero 32-bit mask (a movemask result).
inline std::size_t lowest_bit(unsigned v) noexcept {
#if defined(__GNUC__)
    return static_cast<std::size_t>(__builtin_ctz(v));
#else
    std::size_t i = 0;
    while ((v & 1U) == 0) {
        v >>= 1;
        ++i;
    }
    return i;
#endif
}

/// Index of the lowest set bit of a non-zero 64-bit mask.
inline std::size_t lowest_bit64(std::uint64_t v) noexcept {
#if defined(__GNUC__)
    return static_cast<std::size_t>(__builtin_ctzll(v));
#else
    std::size_t i = 0;
    while ((v & 1U) == 0) {
        v >>= 1;
        ++i;
    }
    return i;
#endif
}

} // namespace azmaps::lro::detail

#endif
