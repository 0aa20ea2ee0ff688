// How the tests script the emulator's scenarios and what each scripts, written down once for
// every test that drives the emulator over real HTTP (tests/e2e, tests/fleet). These are the tests' expectations, read
// from tools/emulator/README.md, not taken from the emulator's code.
#pragma once

#include <string>

#include "emulator.hpp"

namespace e2e_expect {

using azmaps::lro::emulator::scenario;

/// Per-operation emulator parameters used by the fast tests.
struct timing {
    int retry_after_ms = 50;
    int running_polls = 2;
    int slow_ms = 200;
    int fault_at = 2;
};

/// The submit path (with query) of one operation; a non-empty tag names it in the records.
inline std::string submit_path(scenario s, int version, const timing& t, const std::string& tag = {}) {
    std::string p = version == 1 ? "/mapData/upload?api-version=1.0&dataFormat=zip" : "/mapData?api-version=2.0";
    p += "&scenario=" + std::string(azmaps::lro::emulator::scenario_name(s));
    p += "&retry_after_ms=" + std::to_string(t.retry_after_ms);
    p += "&running_polls=" + std::to_string(s == scenario::http_date ? 0 : t.running_polls);
    p += "&slow_ms=" + std::to_string(t.slow_ms);
    p += "&fault_at=" + std::to_string(t.fault_at);
    if (s == scenario::http_date) p += "&http_date_s=1";
    if (!tag.empty()) p += "&tag=" + tag;
    return p;
}

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
