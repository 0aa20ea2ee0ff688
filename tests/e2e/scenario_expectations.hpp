// What each emulator scenario scripts, written down once for every test that drives the
// emulator over real HTTP (tests/e2e, tests/fleet). These are the tests' expectations, read
// from tools/emulator/README.md, not taken from the emulator's code.
#pragma once

#include "emulator.hpp"

namespace e2e_expect {

using azmaps::lro::emulator::scenario;

/// One poll of the operation is answered with a fault (and repeated by the client).
inline bool is_one_shot_poll_fault(scenario s) {
    switch (s) {
    case scenario::throttle_429:
    case scenario::throttle_429_no_retry_after:
    case scenario::unavailable_503:
    case scenario::unavailable_503_no_retry_after:
    case scenario::error_500:
    case scenario::truncated_body:
    case scenario::drop_connection:
        return true;
    default:
        return false;
    }
}

/// The operation ends with a resource the client fetches.
inline bool has_resource(scenario s) {
    return s != scenario::succeed_no_resource && s != scenario::fail && s != scenario::cancel &&
           s != scenario::fail_submit_400;
}

/// POST submits the emulator expects (submit-503: the refused one and the accepted resubmit).
inline int scripted_submits(scenario s) { return s == scenario::submit_503 ? 2 : 1; }

} // namespace e2e_expect
