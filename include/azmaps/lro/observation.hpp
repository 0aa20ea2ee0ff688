// azmaps-lro: what the machine has seen so far, for logging and progress lines.
#ifndef AZMAPS_LRO_OBSERVATION_HPP
#define AZMAPS_LRO_OBSERVATION_HPP

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

#include "options.hpp"

namespace azmaps::lro {

/// Where the machine is. `idle` is a default-constructed (or moved-from) machine; the last
/// three are terminal.
enum class phase : std::uint8_t {
    idle = 0,
    submitting = 1, ///< the submit (or a resubmit) is outstanding
    polling = 2,    ///< a status GET is outstanding
    fetching = 3,   ///< the resource GET is outstanding
    succeeded = 4,
    failed = 5,
    canceled = 6,
};

/// The stable name of `p` (the enumerator's name, e.g. "polling").
constexpr std::string_view to_string(phase p) noexcept {
    switch (p) {
    case phase::idle: return "idle";
    case phase::submitting: return "submitting";
    case phase::polling: return "polling";
    case phase::fetching: return "fetching";
    case phase::succeeded: return "succeeded";
    case phase::failed: return "failed";
    case phase::canceled: return "canceled";
    }
    return "idle";
}

/// True for succeeded, failed and canceled: the operation has ended and refuses further input.
constexpr bool is_terminal(phase p) noexcept {
    return p == phase::succeeded || p == phase::failed || p == phase::canceled;
}

/// A snapshot of the observations (PROTOCOL.md section 4). Views are owned by the machine and
/// valid until its next input. Empty strings mean "not seen yet".
struct observation {
    /// Where the operation is now (the outstanding request, or how it ended).
    lro::phase phase = lro::phase::idle;
    protocol_version version = protocol_version::unknown; ///< Maps: first evidence, or the pinned one
    std::string_view strategy; ///< how the operation is polled: Maps "v1"/"v2"; Azure "OL", "AAO", "LOC", "BODY", "DONE"; "" before it is known
    /// The `operationId` of the last good status answer; empty before one named it.
    std::string_view operation_id;
    std::string_view status;                  ///< raw `status` of the last good status answer
    std::string_view created;                 ///< raw `created` / `createdDateTime`
    std::optional<std::int64_t> created_unix_ms; ///< UTC, when `created` parsed
    std::uint32_t polls = 0;                  ///< status GETs asked for, retries included
    /// Bad answers and retryable errors in a row; a good status answer resets it (see `options::max_consecutive_errors`).
    std::uint32_t consecutive_errors = 0;
    std::chrono::milliseconds elapsed{0};     ///< last input's now - first input's now
    std::string_view monitor;                 ///< current status monitor URL
    std::string_view resource;                ///< the resource URL, once a Succeeded answer named it
};

} // namespace azmaps::lro

#endif
