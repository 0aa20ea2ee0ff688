// azmaps-lro: the machine's configuration, a plain struct with documented defaults.
#ifndef AZMAPS_LRO_OPTIONS_HPP
#define AZMAPS_LRO_OPTIONS_HPP

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace azmaps::lro {

/// Which protocol the answers follow (PROTOCOL.md section 3 and 10.16).
enum class protocol_version : std::uint8_t {
    unknown = 0, ///< as an option: detect from the answers; as an observation: no evidence yet
    v1 = 1,      ///< 2020: `Location`, `createdDateTime`, 201 with a resource
    v2 = 2,      ///< 2021: `Operation-Location`, `created`, `Resource-Location`
};

constexpr const char* to_string(protocol_version v) noexcept {
    return v == protocol_version::v1 ? "v1" : v == protocol_version::v2 ? "v2" : "auto";
}

/// Configuration, given at construction and never read from the environment.
/// Defaults are those of PROTOCOL.md section 7; every duration is in milliseconds.
struct options {
    /// Wait between polls when the answer carries no usable Retry-After.
    std::chrono::milliseconds default_poll_interval{2000};
    /// Every delay (Retry-After, default interval, backoff) is clamped to [min, max].
    /// A negative value counts as 0; a max below min is raised to min.
    std::chrono::milliseconds min_poll_interval{0};
    std::chrono::milliseconds max_poll_interval{300000};
    /// Backoff for the n-th consecutive error: backoff_base * 2^(n-1), saturating.
    std::chrono::milliseconds backoff_base{1000};
    /// The n-th consecutive error (bad answers and retryable errors together) fails the
    /// operation when n >= this (a value below 1 means 1).
    int max_consecutive_errors = 5;
    /// Overall deadline, counted from the first input's `now`. None by default.
    std::optional<std::chrono::milliseconds> timeout;
    /// Cap on status GETs, retries included (submit and resource fetches do not count).
    std::optional<std::uint32_t> max_polls;
    /// After `Succeeded` with a resource URL, ask for a GET of the resource.
    bool fetch_resource = true;
    /// Other origins a followed URL may have, as `scheme://host[:port]`.
    std::vector<std::string> allowed_origins;
    /// Follow URLs on any origin (credentials still go only to the submit origin).
    bool allow_any_origin = false;
    /// Allow a switch from https to http (never widens the allowed origins).
    bool allow_insecure = false;
    /// On 500/502/504 or a transport error at submit (the work may have been taken),
    /// send the submit again instead of failing.
    bool resubmit_on_ambiguous = false;
    /// Bodies longer than this are bad answers (status) or unparsed (errors).
    std::size_t max_body_bytes = std::size_t{1} << 20;
    /// Longest URL the machine follows, measured after resolution.
    std::size_t max_url_length = 8192;
    /// Jitter backoff delays (never Retry-After nor the default interval) with a SplitMix64
    /// stream seeded by `jitter_seed`: deterministic, same seed same delays.
    bool jitter = false;
    std::uint64_t jitter_seed = 0;
    /// Query parameters added to followed same-origin monitor and resource URLs that lack
    /// them (some services drop `api-version`). Names compare exactly.
    std::vector<std::pair<std::string, std::string>> add_query;
    /// `unknown` detects the version; `v1`/`v2` pin it (PROTOCOL.md 10.16).
    protocol_version version = protocol_version::unknown;
};

} // namespace azmaps::lro

#endif
