// azmaps-lro: overflow-free arithmetic on the caller's time points.
#ifndef AZMAPS_LRO_DETAIL_TIME_HPP
#define AZMAPS_LRO_DETAIL_TIME_HPP

#include <chrono>
#include <cstdint>
#include <limits>

namespace azmaps::lro::detail {

/// Longest delay the machine ever asks for (about 31 years): keeps every sum below in range.
constexpr std::int64_t max_delay_ms = 1'000'000'000'000;

/// Milliseconds from `a` to `b` (b >= a), exact for any pair of time points: the difference
/// is taken in unsigned ticks, so extreme `now` values a fuzzer feeds never overflow.
template <class TimePoint>
std::int64_t ms_between(TimePoint a, TimePoint b) noexcept {
    using ticks = typename TimePoint::duration;
    const auto d = static_cast<std::uint64_t>(b.time_since_epoch().count()) -
                   static_cast<std::uint64_t>(a.time_since_epoch().count());
    using unsigned_ticks = std::chrono::duration<std::uint64_t, typename ticks::period>;
    const auto ms = std::chrono::duration_cast<std::chrono::duration<std::uint64_t, std::milli>>(unsigned_ticks(d));
    return static_cast<std::int64_t>(ms.count() > static_cast<std::uint64_t>(INT64_MAX) ? INT64_MAX : ms.count());
}

/// t + ms (or t - ms), saturating at the time point's range. A sum whose delta alone does not
/// fit the tick type (ms beyond ~292 years of nanoseconds) is applied in chunks: the
/// intermediate points lie between t and the result, so nothing saturates early.
template <class TimePoint>
TimePoint add_ms(TimePoint t, std::int64_t ms, bool subtract = false) noexcept {
    using ticks = typename TimePoint::duration;
    using rep = typename ticks::rep;
    const auto per_ms = std::chrono::duration_cast<ticks>(std::chrono::milliseconds(1)).count();
    const rep max = std::numeric_limits<rep>::max();
    const rep min = std::numeric_limits<rep>::min();
    const std::int64_t max_chunk = per_ms > 0 ? static_cast<std::int64_t>(max / per_ms) : INT64_MAX;
    rep now = t.time_since_epoch().count();
    if (ms < 0) ms = 0;
    while (ms > 0) {
        const std::int64_t chunk = ms < max_chunk ? ms : max_chunk;
        const rep delta = static_cast<rep>(chunk) * per_ms;
        if (!subtract) {
            if (now > max - delta) return TimePoint(ticks(max));
            now += delta;
        } else {
            if (now < min + delta) return TimePoint(ticks(min));
            now -= delta;
        }
        ms -= chunk;
    }
    return TimePoint(ticks(now));
}

} // namespace azmaps::lro::detail

#endif
