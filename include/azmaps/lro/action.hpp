// azmaps-lro: what the machine answers. One action per input (PROTOCOL.md section 4).
#ifndef AZMAPS_LRO_ACTION_HPP
#define AZMAPS_LRO_ACTION_HPP

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>
#include <variant>

#include "errc.hpp"
#include "odata_error.hpp"

namespace azmaps::lro {

/// The machine's notion of time: the caller's monotonic clock, as a type only.
/// The library never calls a clock's `now()`: every input carries the caller's `now`.
using clock = std::chrono::steady_clock;
/// A point on the caller's monotonic clock: the `now` passed with every input and the
/// `not_before` of every `send_request`.
using time_point = clock::time_point;
/// Wall-clock time, only for HTTP-date `Retry-After` values without a `Date` header.
using wall_time = std::chrono::system_clock::time_point;
using std::chrono::milliseconds;

/// Why a request is asked for.
enum class purpose : std::uint8_t {
    submit = 0,   ///< the original request again (after 429/503, or an opted-in resubmit)
    status = 1,   ///< GET of the status monitor
    resource = 2, ///< GET of the created resource's metadata
};

/// The stable name of `p` ("submit", "status", "resource"), for logs and `lro-replay`.
constexpr std::string_view to_string(purpose p) noexcept {
    return p == purpose::submit ? "submit" : p == purpose::status ? "status" : "resource";
}

/// Why an operation failed. Stable names, as printed by `lro-replay`.
enum class failure_reason : std::uint8_t {
    operation_failed = 0, ///< the service said `Failed`
    request_rejected = 1, ///< the submit got 400
    http_error = 2,       ///< an HTTP status the protocol does not retry
    transport_error = 3,  ///< the submit's transport failed (the work may have been taken)
    protocol_error = 4,   ///< a missing or unusable header, or too many bad answers
    too_many_errors = 5,  ///< max_consecutive_errors retryable errors in a row
    timed_out = 6,        ///< the next request would pass `timeout` or `max_polls`
    cross_origin = 7,     ///< a followed URL breaks the origin rules
};

/// The stable name of `r` (the enumerator's name, e.g. "timed_out"), for logs and `lro-replay`.
constexpr std::string_view to_string(failure_reason r) noexcept {
    switch (r) {
    case failure_reason::operation_failed: return "operation_failed";
    case failure_reason::request_rejected: return "request_rejected";
    case failure_reason::http_error: return "http_error";
    case failure_reason::transport_error: return "transport_error";
    case failure_reason::protocol_error: return "protocol_error";
    case failure_reason::too_many_errors: return "too_many_errors";
    case failure_reason::timed_out: return "timed_out";
    case failure_reason::cross_origin: return "cross_origin";
    }
    return "protocol_error";
}

/// Where the result of a succeeded operation is (FAMILY.md section 3). The result is always
/// the body of the answer that was fed last (the one that produced `succeeded`), or none.
enum class result_source : std::uint8_t {
    none = 0,   ///< no result body (204, DELETE, a Maps operation without a fetched resource)
    submit = 1, ///< the submit answer (done at once)
    status = 2, ///< the terminal status answer (or its `result_member`)
    poll = 3,   ///< the answer that decided a Location or body poll
    final = 4,  ///< the answer of the final GET (the Maps resource fetch, an Azure final-state GET)
};

/// The stable name of `s` ("none", "submit", "status", "poll", "final").
constexpr std::string_view to_string(result_source s) noexcept {
    switch (s) {
    case result_source::none: return "none";
    case result_source::submit: return "submit";
    case result_source::status: return "status";
    case result_source::poll: return "poll";
    case result_source::final: return "final";
    }
    return "none";
}

/// Who canceled.
enum class cancel_source : std::uint8_t { server = 0, client = 1 };

/// The stable name of `s` ("server" or "client").
constexpr std::string_view to_string(cancel_source s) noexcept {
    return s == cancel_source::server ? "server" : "client";
}

/// Send a request. The driver MUST wait `delay` (until `not_before`), send exactly this
/// request, and feed back its response or transport error. For `purpose::submit` it MUST
/// resend the original body and headers. It MUST attach credentials (subscription key,
/// token) only when `same_origin` is true. `method` and `url` view storage owned by the
/// machine: valid until the next input to it (or its move/destruction).
struct send_request {
    /// HTTP method to send: the submit's method for `purpose::submit`, else "GET".
    std::string_view method;
    /// Absolute URL to send to (credential query parameters already removed).
    std::string_view url;
    /// How long to wait before sending, counted from the `now` of the input that produced this.
    milliseconds delay{0};
    /// The same wait as an instant: do not send before this point of the caller's clock.
    time_point not_before{};
    /// Why the request is asked for: tells the driver whether to resend the original body.
    lro::purpose purpose = lro::purpose::status;
    /// True when `url` has the submit's origin: only then may the driver attach credentials.
    bool same_origin = true;

    friend bool operator==(const send_request& a, const send_request& b) noexcept {
        return a.method == b.method && a.url == b.url && a.delay == b.delay &&
               a.not_before == b.not_before && a.purpose == b.purpose && a.same_origin == b.same_origin;
    }
    friend bool operator!=(const send_request& a, const send_request& b) noexcept { return !(a == b); }
};

/// Terminal: the operation succeeded.
/// - `resource_location`: the URL of the result -- the resource or final GET's URL, or for a
///   result read from a poll or submit answer the URL that answer came from; empty when there
///   is none. (Maps with `fetch_resource` off: the resource URL, with `source` none.)
/// - `source`: where the result body is; unless `none`, it is the body of the answer just fed.
/// - `result_member`: when not empty, the result is this top-level member of that body
///   (Azure.Core `result`), not the whole body.
/// Views point into the machine: valid until its next input, move or destruction. Keep an
/// `lro::outcome` (outcome.hpp) for anything longer.
struct succeeded {
    /// URL of the result (see above); empty when there is none.
    std::string_view resource_location;
    /// Which answer's body holds the result; `none` when there is no result body.
    result_source source = result_source::none;
    /// Top-level member of that body holding the result; empty: the whole body.
    std::string_view result_member;
    friend bool operator==(const succeeded& a, const succeeded& b) noexcept {
        return a.resource_location == b.resource_location && a.source == b.source &&
               a.result_member == b.result_member;
    }
    friend bool operator!=(const succeeded& a, const succeeded& b) noexcept { return !(a == b); }
};

/// Terminal: the operation failed. `http_status` is the code of the answer that ended it
/// (none for timed_out, transport errors). `error` is the parsed OData error of that
/// answer (nullptr when it had none). `monitor` is the status monitor URL (empty before
/// there was one) so a timed-out operation can be followed later; `detail` is one short
/// printable-ASCII sentence for humans. All views/pointers are owned by the machine: valid
/// until its next input, move or destruction (keep an `lro::outcome` for longer).
struct failed {
    /// Why the operation failed.
    failure_reason reason = failure_reason::protocol_error;
    /// Status code of the answer that ended the operation; none for time-outs and transport errors.
    std::optional<int> http_status;
    /// Parsed OData error of that answer; nullptr when it had none.
    const odata_error* error = nullptr;
    /// Status monitor URL, so a timed-out operation can be followed later; empty before there was one.
    std::string_view monitor;
    std::string_view detail;

    friend bool operator==(const failed& a, const failed& b) noexcept {
        const bool same_error = (a.error == nullptr || b.error == nullptr) ? a.error == b.error : *a.error == *b.error;
        return a.reason == b.reason && a.http_status == b.http_status && same_error &&
               a.monitor == b.monitor && a.detail == b.detail;
    }
    friend bool operator!=(const failed& a, const failed& b) noexcept { return !(a == b); }
};

/// Terminal: the operation was canceled, by the server (`Canceled` status) or the client.
struct canceled {
    /// Who canceled: the server (a `Canceled` status) or the client (`cancel()`).
    cancel_source by = cancel_source::client;
    friend bool operator==(const canceled& a, const canceled& b) noexcept { return a.by == b.by; }
    friend bool operator!=(const canceled& a, const canceled& b) noexcept { return !(a == b); }
};

/// The input was refused and changed nothing (PROTOCOL.md 10.3). Not terminal.
struct refused {
    /// Why the input was refused (e.g. `errc::terminal` after the operation ended).
    errc code = errc::terminal;
    friend bool operator==(const refused& a, const refused& b) noexcept { return a.code == b.code; }
    friend bool operator!=(const refused& a, const refused& b) noexcept { return !(a == b); }
};

/// Exactly one of these answers every input. Terminal actions (succeeded, failed,
/// canceled) are emitted exactly once; every later input is `refused{errc::terminal}`.
using action = std::variant<send_request, succeeded, failed, canceled, refused>;

/// True for succeeded, failed and canceled.
inline bool is_terminal(const action& a) noexcept {
    return std::holds_alternative<succeeded>(a) || std::holds_alternative<failed>(a) ||
           std::holds_alternative<canceled>(a);
}

} // namespace azmaps::lro

#endif
