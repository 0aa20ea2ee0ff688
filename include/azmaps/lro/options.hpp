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

/// The name of `v` as the CLI spells it: "v1", "v2", or "auto" for `unknown`.
constexpr const char* to_string(protocol_version v) noexcept {
    return v == protocol_version::v1 ? "v1" : v == protocol_version::v2 ? "v2" : "auto";
}

/// Azure family: which request gives the final result (`final-state-via`, FAMILY.md 3).
enum class final_state : std::uint8_t {
    unset = 0,                 ///< the rules F5-F8 decide
    azure_async_operation = 1, ///< `azure-async-operation`
    location = 2,              ///< `location`
    original_uri = 3,          ///< `original-uri`
    operation_location = 4,    ///< `operation-location`
};

/// The `final-state-via` spelling of `f` (e.g. "azure-async-operation"), "unset" for `unset`.
constexpr const char* to_string(final_state f) noexcept {
    switch (f) {
    case final_state::unset: return "unset";
    case final_state::azure_async_operation: return "azure-async-operation";
    case final_state::location: return "location";
    case final_state::original_uri: return "original-uri";
    case final_state::operation_location: return "operation-location";
    }
    return "unset";
}

/// Configuration, given at construction and never read from the environment.
/// Defaults are those of PROTOCOL.md section 7; every duration is in milliseconds.
struct options {
    /// Wait between polls when the answer carries no usable Retry-After.
    std::chrono::milliseconds default_poll_interval{2000};
    /// Every delay (Retry-After, default interval, backoff) is clamped to [min, max].
    /// A negative value counts as 0; a max below min is raised to min.
    std::chrono::milliseconds min_poll_interval{0};
    /// Upper clamp of every delay (see `min_poll_interval`).
    std::chrono::milliseconds max_poll_interval{300000};
    /// Backoff for the n-th consecutive error: backoff_base * 2^(n-1), saturating.
    std::chrono::milliseconds backoff_base{1000};
    /// The n-th consecutive error (bad answers and retryable errors together) fails the
    /// operation when n >= this (a value below 1 means 1). Every int is honoured: the
    /// counter is wide enough, so every operation that keeps failing ends.
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
    /// Seed of the jitter stream (used only when `jitter` is true).
    std::uint64_t jitter_seed = 0;
    /// Query parameters added to followed same-origin monitor and resource URLs that lack
    /// them (some services drop `api-version`). Names compare exactly.
    std::vector<std::pair<std::string, std::string>> add_query;
    /// Query parameter names that carry credentials, besides `subscription-key` (always one;
    /// names compare ASCII case-insensitively). They are removed from every URL the machine
    /// keeps or emits -- the submit URL included -- so no token, observation or request URL
    /// holds a credential; drivers attach credentials themselves to `same_origin` requests.
    std::vector<std::string> credential_query_names;

    // --- Maps (creator_policy) only ------------------------------------------------------
    /// `unknown` detects the version; `v1`/`v2` pin it (PROTOCOL.md 10.16).
    protocol_version version = protocol_version::unknown;

    // --- Azure family (azure_policy) only: FAMILY.md -------------------------------------
    /// `final-state-via` of the operation's definition (FAMILY.md 3, 4.17).
    final_state final_state_via = final_state::unset;
    /// When not empty, a result read from the terminal status answer is this top-level
    /// member of it (Azure.Core: `result`), not the whole body.
    std::string result_member;
    /// Extra terminal `status` / `provisioningState` words (ASCII case-insensitive), beside
    /// Succeeded/Completed, Failed, Canceled/Cancelled (FAMILY.md 4.1).
    std::vector<std::string> succeeded_words;
    /// Extra words that mean Failed (see `succeeded_words`).
    std::vector<std::string> failed_words;
    /// Extra words that mean Canceled (see `succeeded_words`).
    std::vector<std::string> canceled_words;
    /// Resend a PUT or DELETE submit after 500/502/504 or a transport error: they are
    /// idempotent (RFC 9110 9.2.2, FAMILY.md 4.22). POST/PATCH follow `resubmit_on_ambiguous`.
    bool resubmit_idempotent = true;
};

} // namespace azmaps::lro

#endif
