// azmaps-lro: what the caller saw. Borrowed views; the machine copies what it keeps.
#ifndef AZMAPS_LRO_RESPONSE_HPP
#define AZMAPS_LRO_RESPONSE_HPP

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <utility>

namespace azmaps::lro {

/// One response header as it arrived. Both views are borrowed for the duration of one call.
struct header {
    /// Header name as sent (the machine compares names ASCII case-insensitively).
    std::string_view name;
    /// Header value as sent, surrounding whitespace included.
    std::string_view value;
};

/// A read-only view of header pairs in arrival order (C++17 has no std::span).
class header_span {
public:
    constexpr header_span() noexcept = default;
    /// Views `count` headers starting at `first` (borrowed: they must outlive the call).
    constexpr header_span(const header* first, std::size_t count) noexcept : data_(first), size_(count) {}
    /// Any contiguous container of `header` (std::vector, std::array, C array).
    template <class Container,
              class = decltype(static_cast<const header*>(std::declval<const Container&>().data()))>
    constexpr header_span(const Container& c) noexcept : data_(c.data()), size_(c.size()) {}
    template <std::size_t N>
    /// Views every header of a C array.
    constexpr header_span(const header (&a)[N]) noexcept : data_(a), size_(N) {}

    /// First header, for range-for.
    constexpr const header* begin() const noexcept { return data_; }
    /// One past the last header.
    constexpr const header* end() const noexcept { return data_ + size_; }
    /// Number of headers.
    constexpr std::size_t size() const noexcept { return size_; }
    /// True when there is no header.
    constexpr bool empty() const noexcept { return size_ == 0; }
    /// The `i`-th header in arrival order (`i` < size(), unchecked).
    constexpr const header& operator[](std::size_t i) const noexcept { return data_[i]; }

private:
    const header* data_ = nullptr;
    std::size_t size_ = 0;
};

/// A complete HTTP response, borrowed: status code, headers in arrival order, body bytes.
/// The body may hold any bytes (NUL included); the machine never reads past `body.size()`.
struct response_view {
    /// HTTP status code (e.g. 200, 202, 429).
    int status = 0;
    /// Response headers in arrival order, duplicates kept.
    header_span headers;
    /// Response body bytes (may be empty).
    std::string_view body;
};

/// Why a request got no response. The machine treats every kind alike (retry or fail, per
/// PROTOCOL.md section 5); the kind is kept for the failure detail.
enum class transport_error : std::uint8_t {
    connect_failed = 0,   ///< nothing was sent
    connection_reset = 1, ///< the connection broke mid-exchange
    timed_out = 2,        ///< the caller's own I/O timeout fired
    other = 3,
};

/// Stable lower-case name, as used in test vectors ("connect_failed", ...).
constexpr std::string_view to_string(transport_error e) noexcept {
    switch (e) {
    case transport_error::connect_failed: return "connect_failed";
    case transport_error::connection_reset: return "connection_reset";
    case transport_error::timed_out: return "timed_out";
    case transport_error::other: return "other";
    }
    return "other";
}

namespace detail {
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

/// True when a[0, n) equals b[0, n) with ASCII letters folded, eight bytes at a time.
inline bool iequals_n(const char* a, const char* b, std::size_t n) noexcept {
    if (n < 8) {
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
} // namespace detail

/// The value of the first header named `name` (ASCII case-insensitive), or nullptr.
/// PROTOCOL.md 10.7: for a repeated name the first occurrence counts.
inline const std::string_view* find_header(header_span headers, std::string_view name) noexcept {
    for (const header& h : headers)
        if (h.name.size() == name.size() && detail::iequals_n(h.name.data(), name.data(), name.size())) return &h.value;
    return nullptr;
}

} // namespace azmaps::lro

#endif
