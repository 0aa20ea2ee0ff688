// azmaps-lro: every phase change the machine can make, as data.
//
// `basic_operation` changes phase only through `enter()`, which asserts that the change is
// listed here; docs/state-machine.md draws this table, and tests/unit/transitions_test.cpp
// checks that the diagram and the table list the same edges.
#ifndef AZMAPS_LRO_TRANSITIONS_HPP
#define AZMAPS_LRO_TRANSITIONS_HPP

#include <string_view>

#include "observation.hpp"

namespace azmaps::lro {

/// One edge of the machine's phase graph: from `from` to `to` (possibly the same phase).
struct phase_transition {
    phase from; ///< the phase before the input
    phase to;   ///< the phase after it
    std::string_view on; ///< what causes it, as the diagram labels it
};

/// Every phase change `basic_operation` may make; `enter()` asserts membership and
/// docs/state-machine.md draws exactly these edges.
inline constexpr phase_transition phase_transitions[] = {
    {phase::submitting, phase::submitting, "429/503, or 500/502/504/transport error when resent"},
    {phase::submitting, phase::polling, "accepted with a monitor (Azure: also body polling)"},
    {phase::submitting, phase::fetching, "done at once, resource, fetch_resource"},
    {phase::submitting, phase::succeeded, "done at once"},
    {phase::submitting, phase::failed, "400, other status, bad monitor, terminal Failed, too many errors, timed out"},
    {phase::submitting, phase::canceled, "terminal Canceled, or cancel()"},
    {phase::polling, phase::polling, "in progress, retryable error, bad answer"},
    {phase::polling, phase::fetching, "Succeeded with a resource, fetch_resource"},
    {phase::polling, phase::succeeded, "Succeeded"},
    {phase::polling, phase::failed, "Failed, http error, too many errors, timed out, refused URL"},
    {phase::polling, phase::canceled, "Canceled, or cancel()"},
    {phase::fetching, phase::fetching, "retryable error, Azure 202 not ready"},
    {phase::fetching, phase::succeeded, "2xx"},
    {phase::fetching, phase::failed, "http error, too many errors, timed out"},
    {phase::fetching, phase::canceled, "cancel()"},
};

/// True when `from` -> `to` is listed in `phase_transitions`.
constexpr bool is_listed_transition(phase from, phase to) noexcept {
    for (const phase_transition& t : phase_transitions)
        if (t.from == from && t.to == to) return true;
    return false;
}

} // namespace azmaps::lro

#endif
