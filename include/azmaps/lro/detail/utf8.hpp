// azmaps-lro: UTF-8 validity of decoded text (Unicode Table 3-7).
//
// The JSON scanner validates UTF-8 while it reads a JSON string (with escapes); this checks text
// that is already decoded -- what a resume token says the machine kept -- so that a token can
// hold nothing the live path could not have kept.
#ifndef AZMAPS_LRO_DETAIL_UTF8_HPP
#define AZMAPS_LRO_DETAIL_UTF8_HPP

#include <cstddef>
#include <string_view>

namespace azmaps::lro::detail {

/// True when `s` is well-formed UTF-8 (no overlong forms, surrogates or values past U+10FFFF).
constexpr bool valid_utf8(std::string_view s) noexcept {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            ++i;
            continue;
        }
        std::size_t need = 0;
        unsigned char lo = 0x80, hi = 0xBF;
        if (c < 0xC2) return false;
        if (c < 0xE0) need = 2;
        else if (c < 0xF0) {
            need = 3;
            if (c == 0xE0) lo = 0xA0;
            else if (c == 0xED) hi = 0x9F;
        } else if (c < 0xF5) {
            need = 4;
            if (c == 0xF0) lo = 0x90;
            else if (c == 0xF4) hi = 0x8F;
        } else {
            return false;
        }
        if (s.size() - i < need) return false;
        for (std::size_t k = 1; k < need; ++k) {
            const auto b = static_cast<unsigned char>(s[i + k]);
            if (b < lo || b > hi) return false;
            lo = 0x80;
            hi = 0xBF;
        }
        i += need;
    }
    return true;
}

} // namespace azmaps::lro::detail

#endif
