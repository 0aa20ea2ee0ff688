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

/// t + ms, saturating at the time point's range. `ms` is in [0, max_delay_ms * 2^14].
template <class TimePoint>
TimePoint add_ms(TimePoint t, std::int64_t ms, bool subtract = false) noexcept {
    using ticks = typename TimePoint::duration;
    using rep = typename ticks::rep;
    const auto per_ms = std::chrono::duration_cast<ticks>(std::chrono::milliseconds(1)).count();
    const rep max = std::numeric_limits<rep>::max();
    const rep min = std::numeric_limits<rep>::min();
    const rep now = t.time_since_epoch().count();
    if (ms < 0) ms = 0;
    const rep delta = (per_ms > 0 && ms > max / per_ms) ? max : static_cast<rep>(ms) * per_ms;
    if (!subtract) return (now > max - delta) ? TimePoint(ticks(max)) : TimePoint(ticks(now + delta));
    return (now < min + delta) ? TimePoint(ticks(min)) : TimePoint(ticks(now - delta));
}

} // namespace azmaps::lro::detail

#endif
