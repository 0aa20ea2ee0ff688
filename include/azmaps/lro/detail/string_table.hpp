// azmaps-lro: the few strings an operation owns, packed into one heap buffer.
#ifndef AZMAPS_LRO_DETAIL_STRING_TABLE_HPP
#define AZMAPS_LRO_DETAIL_STRING_TABLE_HPP

#include <array>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>

namespace azmaps::lro::detail {

/// N strings stored back to back in one std::string, with 32-bit end offsets.
/// Why: an in-flight operation keeps ~6 short strings; one buffer costs one allocation and
/// 32 + 4N bytes instead of 32N, and rewriting a field with a value of the same length (the
/// steady-state poll: same status, same operationId) happens in place without allocating.
/// Callers keep each field far below 4 GiB (the machine caps bodies and URLs at 64 MiB).
template <std::size_t N>
class string_table {
public:
    std::string_view get(std::size_t i) const noexcept {
        const std::uint32_t b = begin_of(i);
        return std::string_view(buf_.data() + b, ends_[i] - b);
    }

    /// Replaces field i. `v` may view this table's own buffer (it is copied first then).
    void set(std::size_t i, std::string_view v) {
        if (!v.empty() && views_own_buffer(v)) {
            const std::string copy(v);
            set(i, copy);
            return;
        }
        const std::uint32_t b = begin_of(i);
        const std::uint32_t old_len = ends_[i] - b;
        if (old_len == v.size()) {
            if (!v.empty()) std::memcpy(&buf_[b], v.data(), v.size());
            return;
        }
        const std::size_t new_size = buf_.size() - old_len + v.size();
        if (new_size > buf_.capacity()) {
            // Grow to the exact size (std::string would double): at a million operations in
            // flight the slack is most of the heap. Growth happens a few times per operation.
            std::string grown;
            grown.reserve(new_size);
            grown.append(buf_, 0, b).append(v.data(), v.size()).append(buf_, b + old_len, std::string::npos);
            buf_.swap(grown);
        } else {
            // In place (no std::string::replace, which is out of line and slow): move the tail,
            // then write the value. Growing first appends the room, shrinking truncates last.
            const std::size_t tail = buf_.size() - (b + old_len);
            if (new_size > buf_.size()) buf_.append(new_size - buf_.size(), '\0');
            char* const d = &buf_[0];
            if (tail != 0) std::memmove(d + b + v.size(), d + b + old_len, tail);
            if (!v.empty()) std::memcpy(d + b, v.data(), v.size());
            if (new_size < buf_.size()) buf_.resize(new_size);
        }
        const auto delta = static_cast<std::int64_t>(v.size()) - static_cast<std::int64_t>(old_len);
        for (std::size_t k = i; k < N; ++k)
            ends_[k] = static_cast<std::uint32_t>(static_cast<std::int64_t>(ends_[k]) + delta);
    }

    /// Replaces field i unless it already holds `v` (no write, no allocation then).
    void assign_if_changed(std::size_t i, std::string_view v) {
        if (get(i) != v) set(i, v);
    }

    /// Empties field i; gives the memory back when that leaves more than 64 bytes unused
    /// (the submit URL, dropped once the submit is accepted).
    void clear(std::size_t i) {
        set(i, std::string_view());
        if (buf_.capacity() - buf_.size() > 64) {
            std::string exact;
            exact.reserve(buf_.size());
            exact.append(buf_);
            buf_.swap(exact);
        }
    }

    /// Heap bytes owned (0 while the content fits the small-string buffer).
    std::size_t heap_bytes() const noexcept {
        return buf_.capacity() > 15 ? buf_.capacity() + 1 : 0;
    }

    void shrink_to_fit() { buf_.shrink_to_fit(); }

private:
    std::uint32_t begin_of(std::size_t i) const noexcept { return i == 0 ? 0u : ends_[i - 1]; }

    bool views_own_buffer(std::string_view v) const noexcept {
        const std::less<> lt; // a total order, also for pointers into different objects
        const char* const first = buf_.data();
        const char* const last = first + buf_.capacity();
        return lt(v.data(), last) && lt(first, v.data() + v.size());
    }

    std::string buf_;
    std::array<std::uint32_t, N> ends_{};
};

} // namespace azmaps::lro::detail

#endif
