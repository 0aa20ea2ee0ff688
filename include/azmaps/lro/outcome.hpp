// azmaps-lro: an owning copy of how an operation ended, safe to keep, return and move.
//
// The terminal actions (`succeeded`, `failed`, `canceled`) view storage inside the machine, so
// they are valid only until the machine's next input, move or destruction. `lro::outcome`
// copies everything: return it from the function that owned the machine, move it into a
// future, a coroutine frame or another thread (Beast's `message` beside its `buffer`).
#ifndef AZMAPS_LRO_OUTCOME_HPP
#define AZMAPS_LRO_OUTCOME_HPP

#include <optional>
#include <string>
#include <variant>

#include "action.hpp"
#include "observation.hpp"
#include "odata_error.hpp"

namespace azmaps::lro {

/// How an operation ended, owning every byte. `end` is `succeeded`, `failed` or `canceled`;
/// `idle` means "not ended" (a default-constructed outcome, or one made from a non-terminal
/// action). Fields that do not apply to `end` stay empty.
struct outcome {
    /// `succeeded`, `failed` or `canceled`; `idle` when the operation has not ended.
    phase end = phase::idle;

    // --- succeeded (see `lro::succeeded`)
    std::string resource_location;        ///< the result's URL, empty when none
    result_source source = result_source::none; ///< where the result body was
    std::string result_member;            ///< non-empty: the result is this member of that body

    // --- failed (see `lro::failed`)
    failure_reason reason = failure_reason::protocol_error; ///< why it failed
    std::optional<int> http_status;       ///< code of the answer that ended it, if any
    std::optional<odata_error> error;     ///< that answer's parsed OData error, if any
    std::string monitor;                  ///< status monitor URL (to follow a timed-out operation)
    std::string detail;                   ///< one short printable-ASCII sentence

    // --- canceled
    cancel_source canceled_by = cancel_source::client; ///< who canceled: the caller or the service

    /// True when `end` is a terminal phase (succeeded, failed or canceled).
    bool ended() const noexcept { return is_terminal(end); }
    /// True when the operation succeeded.
    bool ok() const noexcept { return end == phase::succeeded; }

    friend bool operator==(const outcome& a, const outcome& b) {
        return a.end == b.end && a.resource_location == b.resource_location && a.source == b.source &&
               a.result_member == b.result_member && a.reason == b.reason && a.http_status == b.http_status &&
               a.error == b.error && a.monitor == b.monitor && a.detail == b.detail &&
               a.canceled_by == b.canceled_by;
    }
    friend bool operator!=(const outcome& a, const outcome& b) { return !(a == b); }
};

/// Copies a terminal action into an owning outcome; any other action gives `end == idle`.
inline outcome to_outcome(const action& a) {
    outcome o;
    if (const auto* s = std::get_if<succeeded>(&a)) {
        o.end = phase::succeeded;
        o.resource_location.assign(s->resource_location);
        o.source = s->source;
        o.result_member.assign(s->result_member);
    } else if (const auto* f = std::get_if<failed>(&a)) {
        o.end = phase::failed;
        o.reason = f->reason;
        o.http_status = f->http_status;
        if (f->error != nullptr) o.error = *f->error;
        o.monitor.assign(f->monitor);
        o.detail.assign(f->detail);
    } else if (const auto* c = std::get_if<canceled>(&a)) {
        o.end = phase::canceled;
        o.canceled_by = c->by;
    }
    return o;
}

} // namespace azmaps::lro

#endif
