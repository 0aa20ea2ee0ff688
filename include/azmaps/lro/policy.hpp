// azmaps-lro: the protocol decisions of one member of the Azure LRO family.
//
// The machine (operation.hpp) owns time, retries, limits, URLs, origins and every phase
// change; a *policy* answers the questions that differ between members of the family, with
// a `verdict` per answer:
//   on_submit(state, answer, options)  what the submit answer means (monitor, done, error)
//   on_status(state, answer, options)  what a status answer means (in progress, done, ...)
//   on_final(state, answer, options)   what the answer of the final GET means
// A policy keeps what it learns (the protocol version, the polling strategy, ...) in its own
// small `state`, which the machine stores and puts into resume tokens. The machine never
// names a protocol: `creator_policy` (this file, Azure Maps Creator) and `azure_policy`
// (azure_policy.hpp, Resource Manager and Azure.Core) are two policies of one machine.
// docs/protocol.md states the rules; docs/state-machine.md maps them to code.
#ifndef AZMAPS_LRO_POLICY_HPP
#define AZMAPS_LRO_POLICY_HPP

#include <cstdint>
#include <string>
#include <string_view>

#include "action.hpp"
#include "detail/json.hpp"
#include "detail/token_codec.hpp"
#include "detail/url.hpp"
#include "options.hpp"
#include "response.hpp"

namespace azmaps::lro {

/// What a status answer says about the operation.
enum class status_kind : std::uint8_t { in_progress, succeeded, failed, canceled };

/// Where a URL the machine must follow comes from.
struct url_source {
    /// Which of the fields below holds the URL.
    enum class from : std::uint8_t {
        none,     ///< no URL
        header,   ///< `header_value`, a header's value (cleaned by the machine: trimmed, unquoted)
        body,     ///< `body_value`, a JSON string of the body (raw, maybe escaped)
        original, ///< the submit URL (credentials removed)
        location, ///< the `Location` the policy asked the machine to keep (captured)
    } kind = from::none;
    /// For `from::header`: the header's raw value.
    std::string_view header_value;
    /// For `from::body`: the JSON string field of the body.
    detail::json_field body_value;
    std::string_view name; ///< which header or field, for failure details
};

/** \var url_source::kind
    Where the URL comes from (`none`: no URL); says which of the fields holds it. */

/// One answer, as a policy sees it.
struct answer {
    /// HTTP status code of the answer.
    int code = 0;
    /// The answer's headers, in arrival order.
    header_span headers;
    /// The answer's body bytes.
    std::string_view body;
    std::string_view method;       ///< the submit's method
    std::size_t max_body_bytes = 0; ///< the machine's body limit (already normalised)
};

/// A policy's reading of one answer. The machine acts on it; see each kind.
struct verdict {
    /// What the machine does with the answer, one kind per outcome.
    enum class kind : std::uint8_t {
        poll,             ///< in progress: poll `url` (none: the current monitor) after Retry-After / default
        succeed,          ///< done: the result is at `source` (`member`: its result_member)
        fetch,            ///< done: GET `url` for the result (PROTOCOL.md 10.9: delay 0)
        not_ready,        ///< final GET answered 202: the same GET again after Retry-After / default, a poll
        operation_failed, ///< the service said Failed: `operation_failed`, error from the body
        canceled,         ///< the service said Canceled
        bad_answer,       ///< unusable answer: count it and retry (`why`)
        retry,            ///< retryable HTTP code: count it and send the same request again
        resubmit,         ///< submit not taken (or safe to resend): count it and resend the submit
        rejected,         ///< the submit was rejected (400): `request_rejected`
        http_error,       ///< a code the protocol does not retry: `http_error`
        protocol_error,   ///< a protocol error that ends the operation at once (`why`)
    } what = kind::http_error;
    url_source url;            ///< poll: a new monitor (none: keep); fetch: where to GET
    url_source capture;        ///< a `Location` to keep for the final rules (header only)
    result_source source = result_source::none; ///< succeed: where the result is
    bool member = false;       ///< succeed: the result is options::result_member of the body
    std::string_view why;      ///< bad_answer / protocol_error: the failure detail
    detail::json_error json = detail::json_error::none; ///< bad_answer: why the body did not scan
    /// The good status body as scanned (for observations and the error), or null.
    const detail::status_fields* fields = nullptr;
    detail::json_field status_word;  ///< the status word to observe (a string), or absent
    detail::json_field created_text; ///< the creation time to observe (a string), or absent
};

/** \var verdict::what
    The policy's reading of the answer (`http_error` unless the policy says otherwise). */

namespace policy_detail {
/// HTTP codes every member of the family reads alike (PROTOCOL.md 5).
constexpr bool is_retryable(int code) noexcept {
    return code == 408 || code == 429 || code == 500 || code == 502 || code == 503 || code == 504;
}
constexpr bool is_submit_throttled(int code) noexcept { return code == 429 || code == 503; }
constexpr bool is_submit_ambiguous(int code) noexcept { return code == 500 || code == 502 || code == 504; }

inline verdict make(verdict::kind k) noexcept {
    verdict v;
    v.what = k;
    return v;
}
inline verdict make(verdict::kind k, std::string_view why) noexcept {
    verdict v;
    v.what = k;
    v.why = why;
    return v;
}
inline url_source header_source(const std::string_view* value, std::string_view name) noexcept {
    url_source s;
    if (value != nullptr) {
        s.kind = url_source::from::header;
        s.header_value = *value;
        s.name = name;
    }
    return s;
}

/// A body that must be a JSON object and is not.
inline verdict bad_json(detail::json_error je) noexcept {
    verdict v = make(verdict::kind::bad_answer, "the status body is not a valid JSON object");
    v.json = je;
    return v;
}

/// An answer that is not a status or result answer: retry it or fail `http_error`.
inline verdict other_code(int code) noexcept { return make(is_retryable(code) ? verdict::kind::retry : verdict::kind::http_error); }

/// The shared submit rows for codes that are not "accepted" (PROTOCOL.md 5; FAMILY.md S1).
inline verdict unaccepted_submit(int code, bool may_resend_ambiguous) noexcept {
    if (code == 400) return make(verdict::kind::rejected);
    if (is_submit_throttled(code) || (is_submit_ambiguous(code) && may_resend_ambiguous))
        return make(verdict::kind::resubmit);
    return make(verdict::kind::http_error);
}
} // namespace policy_detail

/// Azure Maps Creator, v1 and v2 (PROTOCOL.md sections 1-3, 5 and 10.16).
struct creator_policy {
    /// Identifies the policy inside resume tokens; never reused.
    static constexpr std::uint8_t token_id = 1;
    /// The submit URL is not needed once the submit was accepted.
    static constexpr bool keeps_original_url = false;

    /// What the policy learns: the protocol version (first evidence, or the pinned one).
    struct state {
        /// The version in use: first evidence, or the pinned one; `unknown` before any.
        protocol_version version = protocol_version::unknown;
        /// The version the caller pinned (`options::version`); `unknown` means detect.
        protocol_version pin = protocol_version::unknown;
    };

    /// The state before the submit: pinned to `options::version` if the caller set one.
    /// Called once by the machine at construction; the method does not matter to Maps.
    static state initial(const options& o, std::string_view /*method*/) noexcept {
        state s;
        s.pin = o.version;
        s.version = o.version;
        return s;
    }
    /// The version travels in the token's common header (token format 1): nothing more.
    static void save_state(const state&, std::string&) {}
    /// Nothing to read back: see save_state(). Always succeeds.
    static bool load_state(detail::token_reader&, state&) noexcept { return true; }
    /// The protocol version byte written in the token's common header.
    static std::uint8_t token_version(const state& s) noexcept { return static_cast<std::uint8_t>(s.version); }
    /// Restores the version from a token's header byte `v` on resume; a version pinned in `o`
    /// wins. False (the token is refused) when `v` is no known version.
    static bool restore_version(state& s, std::uint8_t v, const options& o) noexcept {
        if (v > 2) return false;
        s.pin = o.version;
        s.version = o.version != protocol_version::unknown ? o.version : static_cast<protocol_version>(v);
        return true;
    }
    /// The version to report in `observation::version`.
    static protocol_version version(const state& s) noexcept { return s.version; }
    /// The strategy to report in `observation::strategy`: "v1", "v2", or "" before evidence.
    static std::string_view strategy_name(const state& s) noexcept {
        return s.version == protocol_version::v1 ? "v1" : s.version == protocol_version::v2 ? "v2" : "";
    }
    /// 500/502/504 or a transport error on the submit: resend only if the caller opted in.
    static bool may_resend_ambiguous_submit(const state&, const options& o) noexcept { return o.resubmit_on_ambiguous; }

    // --- the submit answer -------------------------------------------------------------------
    /// Reads the submit answer: a monitor to poll (`Operation-Location`, or `Location` on 202),
    /// done at once (200/201 without one), a retryable or resendable code, or a failure.
    static verdict on_submit(state& s, const answer& a, const options& o, detail::status_fields&) noexcept {
        using k = verdict::kind;
        const int code = a.code;
        if (code != 200 && code != 201 && code != 202)
            return policy_detail::unaccepted_submit(code, may_resend_ambiguous_submit(s, o));
        // `Operation-Location` is preferred (v2; on 200, 201 or 202); `Location` names a
        // monitor only on 202 (v1), because on 201 it names the created resource. A pinned
        // version follows only its own header.
        if (s.pin != protocol_version::v1)
            if (const std::string_view* v = find_header(a.headers, "Operation-Location")) {
                note(s, protocol_version::v2);
                verdict r = policy_detail::make(k::poll);
                r.url = policy_detail::header_source(v, "Operation-Location");
                return r;
            }
        if (s.pin != protocol_version::v2 && code == 202)
            if (const std::string_view* v = find_header(a.headers, "Location")) {
                note(s, protocol_version::v1);
                verdict r = policy_detail::make(k::poll);
                r.url = policy_detail::header_source(v, "Location");
                return r;
            }
        if (code == 202)
            return policy_detail::make(k::protocol_error, "202 Accepted without a usable Operation-Location or Location header");
        // 200/201 without a monitor: finished at once, read as a Succeeded answer for its
        // resource only (docs/decisions.md 3).
        return done(code, a.headers, nullptr, a.body, a.max_body_bytes);
    }

    // --- a status answer -----------------------------------------------------------------------
    /// `fields` is scratch space for the scan (the verdict points into it).
    static verdict on_status(state& s, const answer& a, const options&, detail::status_fields& fields) noexcept {
        using k = verdict::kind;
        const int code = a.code;
        if (code != 200 && code != 201 && code != 202) return policy_detail::other_code(code); // PROTOCOL.md 10.4
        if (a.body.size() > a.max_body_bytes) return policy_detail::make(k::bad_answer, "the status body exceeds max_body_bytes");
        if (const detail::json_error je = detail::scan_status_body(a.body, fields); je != detail::json_error::none)
            return policy_detail::bad_json(je);
        if (fields.status.kind != detail::json_kind::string)
            return policy_detail::make(k::bad_answer, "the status body has no string status");
        if (fields.created.kind == detail::json_kind::string) note(s, protocol_version::v2);
        else if (fields.created_date_time.kind == detail::json_kind::string) note(s, protocol_version::v1);
        verdict r; // the kind is set in place: no second verdict to copy on the hot path
        switch (classify(fields.status)) {
        case status_kind::in_progress:
            r.what = k::poll;
            // A new `Operation-Location` becomes the monitor; a pinned v1 never follows it
            // (docs/decisions.md 1).
            if (s.pin != protocol_version::v1)
                if (const std::string_view* next = find_header(a.headers, "Operation-Location")) {
                    note(s, protocol_version::v2);
                    r.url = policy_detail::header_source(next, "Operation-Location");
                }
            break;
        case status_kind::succeeded: r = done(code, a.headers, &fields, {}, 0); break;
        case status_kind::failed: r.what = k::operation_failed; break;
        case status_kind::canceled: r.what = k::canceled; break;
        }
        r.fields = &fields;
        r.status_word = fields.status;
        if (const detail::json_field* c = created_field(fields, s.version)) r.created_text = *c;
        return r;
    }

    // --- the resource GET ----------------------------------------------------------------------
    /// Any 2xx succeeds (PROTOCOL.md 10.9).
    static verdict on_final(state&, const answer& a, const options&) noexcept {
        if (a.code >= 200 && a.code <= 299) {
            verdict r = policy_detail::make(verdict::kind::succeed);
            r.source = result_source::final;
            return r;
        }
        return policy_detail::other_code(a.code);
    }

    // --- the steps, named ----------------------------------------------------------------------
    /// Case-insensitive; unknown values mean "still in progress" (PROTOCOL.md section 5).
    static status_kind classify(const detail::json_field& status) noexcept {
        using detail::json_string_iequals;
        if (json_string_iequals(status, "Succeeded")) return status_kind::succeeded;
        if (json_string_iequals(status, "Failed")) return status_kind::failed;
        if (json_string_iequals(status, "Canceled") || json_string_iequals(status, "Cancelled"))
            return status_kind::canceled;
        return status_kind::in_progress;
    }

    /// The creation time field, preferring the one of the reported version.
    static const detail::json_field* created_field(const detail::status_fields& f, protocol_version v) noexcept {
        const bool v2_first = v != protocol_version::v1;
        const detail::json_field* first = v2_first ? &f.created : &f.created_date_time;
        const detail::json_field* second = v2_first ? &f.created_date_time : &f.created;
        if (first->kind == detail::json_kind::string) return first;
        if (second->kind == detail::json_kind::string) return second;
        return nullptr;
    }

    /// A `Succeeded` answer (or a submit done at once): the resource is `Resource-Location`
    /// (read in both versions), else `Location` on 201, else the body's `resourceLocation`.
    /// `body` (submit only) is scanned here when `fields` is null.
    static verdict done(int code, header_span h, const detail::status_fields* fields, std::string_view body,
                        std::size_t max_body) noexcept {
        verdict r = policy_detail::make(verdict::kind::fetch);
        if (const std::string_view* v = find_header(h, "Resource-Location")) {
            r.url = policy_detail::header_source(v, "Resource-Location");
            return r;
        }
        if (code == 201)
            if (const std::string_view* v = find_header(h, "Location")) {
                r.url = policy_detail::header_source(v, "Location");
                return r;
            }
        detail::status_fields scanned;
        if (fields == nullptr && body.size() <= max_body && detail::scan_status_body(body, scanned) == detail::json_error::none)
            fields = &scanned;
        if (fields != nullptr && fields->resource_location.kind == detail::json_kind::string) {
            r.url.kind = url_source::from::body;
            r.url.body_value = fields->resource_location;
            r.url.name = "resourceLocation";
            return r; // body_value views `body` (the caller's bytes), never `scanned`
        }
        return policy_detail::make(verdict::kind::succeed); // no resource: source none
    }

    /// Records `evidence` as the version unless one is already known (first evidence wins,
    /// so a pinned version is never overridden).
    static void note(state& s, protocol_version evidence) noexcept {
        if (s.version == protocol_version::unknown) s.version = evidence;
    }
};

} // namespace azmaps::lro

#endif
