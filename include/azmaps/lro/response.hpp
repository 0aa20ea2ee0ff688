// azmaps-lro: what the caller saw. Borrowed views; the machine copies what it keeps.
#ifndef AZMAPS_LRO_RESPONSE_HPP
#define AZMAPS_LRO_RESPONSE_HPP

#include "detail/ascii.hpp"

#include <cstddef>
#include <cstdint>
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


/// The value of the first header named `name` (ASCII case-insensitive), or nullptr.
/// PROTOCOL.md 10.7: for a repeated name the first occurrence counts.
inline const std::string_view* find_header(header_span headers, std::string_view name) noexcept {
    for (const header& h : headers)
        if (h.name.size() == name.size() && detail::iequals_n(h.name.data(), name.data(), name.size())) return &h.value;
    return nullptr;
}

} // namespace azmaps::lro

#endif
