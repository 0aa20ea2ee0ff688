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

struct phase_transition {
    phase from;
    phase to;
    std::string_view on; ///< what causes it, as the diagram labels it
};

inline constexpr phase_transition phase_transitions[] = {
    {phase::submitting, phase::submitting, "429/503, or 500/502/504/transport error with resubmit_on_ambiguous"},
    {phase::submitting, phase::polling, "200/201/202 with a monitor header"},
    {phase::submitting, phase::fetching, "200/201 done at once, resource, fetch_resource"},
    {phase::submitting, phase::succeeded, "200/201 done at once"},
    {phase::submitting, phase::failed, "400, other status, bad monitor, too many errors, timed out"},
    {phase::submitting, phase::canceled, "cancel()"},
    {phase::polling, phase::polling, "in progress, retryable error, bad answer"},
    {phase::polling, phase::fetching, "Succeeded with a resource, fetch_resource"},
    {phase::polling, phase::succeeded, "Succeeded"},
    {phase::polling, phase::failed, "Failed, http error, too many errors, timed out, refused URL"},
    {phase::polling, phase::canceled, "Canceled, or cancel()"},
    {phase::fetching, phase::fetching, "retryable error"},
    {phase::fetching, phase::succeeded, "2xx"},
    {phase::fetching, phase::failed, "http error, too many errors, timed out"},
    {phase::fetching, phase::canceled, "cancel()"},
};

constexpr bool is_listed_transition(phase from, phase to) noexcept {
    for (const phase_transition& t : phase_transitions)
        if (t.from == from && t.to == to) return true;
    return false;
}

} // namespace azmaps::lro

#endif
