// azmaps-lro: the operation state machine. All transitions live in this file.
//
// Theory of operation
// -------------------
// One `basic_operation` follows one long-running operation from its submit to its end. It is
// a pure function of its inputs: it never does I/O, never reads a clock, never sleeps, never
// throws, holds no globals and draws no randomness of its own (jitter comes from a seed).
//
//   inputs (each with the caller's monotonic `now`)      output (exactly one per input)
//   -----------------------------------------------      ---------------------------------
//   on_response(status, headers, body[, wall clock])  ->  send_request{url, delay, purpose}
//   on_transport_error(kind)                          ->  succeeded{resource}
//   cancel()                                          ->  failed{reason, http status, error}
//                                                     ->  canceled{by}
//                                                     ->  refused{errc}   (input changed nothing)
//
// After `start()` the submit request is outstanding (the caller sends it; the machine does
// not hold its body). Every non-terminal action asks for exactly one request, so exactly one
// is outstanding until the end (PROTOCOL.md 10.3). Phases:
//
//   submitting --202/200/201 + monitor--> polling --Succeeded + resource--> fetching
//       |  \--200/201 done at once (resource, fetch on)--------------------^     |
//       |   \--200/201 done at once (no fetch)--> succeeded <--2xx-----------------/
//       |  429/503: resubmit          polling: in progress / retryable / bad answer: poll again
//       \------------------------------> failed / canceled (from any live phase)
//
// The protocol-specific questions (which header is the monitor, how to read a status body,
// where the final resource is, what each HTTP code means) are answered by `Policy`
// (policy.hpp); everything else -- time, limits, retries, URLs, origins -- is here.
// docs/state-machine.md has the diagram and maps each decision-table row to a function below.
#ifndef AZMAPS_LRO_OPERATION_HPP
#define AZMAPS_LRO_OPERATION_HPP

#include <cassert>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "action.hpp"
#include "detail/backoff.hpp"
#include "detail/boxed.hpp"
#include "detail/credentials.hpp"
#include "detail/http_date.hpp"
#include "detail/json.hpp"
#include "detail/retry_after.hpp"
#include "detail/string_table.hpp"
#include "detail/time.hpp"
#include "detail/token_codec.hpp"
#include "detail/url.hpp"
#include "detail/utf8.hpp"
#include "errc.hpp"
#include "observation.hpp"
#include "odata_error.hpp"
#include "options.hpp"
#include "outcome.hpp"
#include "policy.hpp"
#include "response.hpp"
#include "result.hpp"
#include "transitions.hpp"

namespace azmaps::lro {

namespace detail {
/// Caps applied to options so that every owned string fits the 32-bit string table.
constexpr std::size_t max_body_cap = std::size_t{64} << 20;
constexpr std::size_t max_url_cap = std::size_t{64} << 20;
constexpr std::size_t max_method_length = 32;
/// At most this many raw body bytes go into a failure detail (VECTORS.md).
constexpr std::size_t excerpt_bytes = 200;

constexpr bool is_tchar(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

/// Appends at most `excerpt_bytes` of `body`, with every byte outside printable ASCII shown
/// as '.', so that a detail is always safe to print and to embed in JSON.
inline void append_excerpt(std::string& out, std::string_view body) {
    const std::size_t n = body.size() < excerpt_bytes ? body.size() : excerpt_bytes;
    for (std::size_t i = 0; i < n; ++i) {
        const char c = body[i];
        out.push_back(c >= 0x20 && c < 0x7F ? c : '.');
    }
    if (body.size() > n) out += "...";
}
} // namespace detail

/// The state machine for one operation, parameterised by the protocol policy.
/// Copyable and movable; a moved-from machine is idle (every input refused with
/// `not_expected`). Views it hands out point into it (see each accessor).
template <class Policy>
class basic_operation {
public:
    /// The protocol policy this machine asks (creator_policy or azure_policy).
    using policy_type = Policy;

    /// An idle machine: every input is refused with `errc::not_expected`.
    basic_operation() = default;
    /// Copies the whole machine: both copies continue independently from the same point.
    basic_operation(const basic_operation&) = default;
    /// Copy-assigns the whole machine (see the copy constructor).
    basic_operation& operator=(const basic_operation&) = default;
    /// Moves leave the source idle, as a default-constructed machine (not a half-empty one).
    basic_operation(basic_operation&& o) noexcept { take(o); }
    /// Move-assigns; `o` is left idle, as after the move constructor.
    basic_operation& operator=(basic_operation&& o) noexcept {
        if (this != &o) take(o);
        return *this;
    }
    ~basic_operation() = default;

    /// Starts an operation whose submit request is `method` `submit_url` (the caller sends
    /// it, with its own body and headers; `pending_request()` describes it). Refused with
    /// `bad_method`, `bad_submit_url` or `bad_option`. Credential query parameters
    /// (`subscription-key`, options::credential_query_names) are removed from the URL the
    /// machine keeps and emits: attach credentials to `same_origin` requests yourself.
    static result<basic_operation> start(std::string_view method, std::string_view submit_url,
                                         const options& opts = options{}) {
        return start(method, submit_url, std::make_shared<const options>(opts));
    }

    /// Same, sharing one options object among many operations (saves memory at scale).
    static result<basic_operation> start(std::string_view method, std::string_view submit_url,
                                         std::shared_ptr<const options> opts) {
        if (!opts) opts = std::make_shared<const options>();
        if (!method_usable(method)) return errc::bad_method;
        if (!options_usable(*opts)) return errc::bad_option;
        basic_operation op;
        op.opts_ = std::move(opts);
        if (detail::check_absolute_url(submit_url, op.max_url_length()) != detail::url_error::none)
            return errc::bad_submit_url;
        detail::origin o;
        if (!detail::parse_origin(submit_url, o)) return errc::bad_submit_url;
        std::string origin_text;
        detail::origin_text(o, origin_text);
        op.strings_.set(slot_method, method);
        op.store_url(slot_submit_url, submit_url);
        op.strings_.set(slot_origin, origin_text);
        op.jitter_state_ = op.opts_->jitter_seed;
        op.pstate_ = Policy::initial(*op.opts_, method);
        op.phase_ = phase::submitting;
        op.pending_purpose_ = purpose::submit;
        return op;
    }

    // --- inputs ---------------------------------------------------------------------------

    /// Feed the response to the outstanding request. `now` is the caller's monotonic time
    /// when the response was complete; `wall` (optional) is the wall clock, used only for an
    /// HTTP-date Retry-After when the response has no usable `Date` header.
    action on_response(const response_view& r, time_point now, std::optional<wall_time> wall = std::nullopt) {
        if (const std::optional<errc> e = admit(now)) return refused{*e};
        has_wall_ = wall.has_value();
        wall_ms_ = has_wall_ ? std::chrono::duration_cast<milliseconds>(wall->time_since_epoch()).count() : 0;
        answer a;
        a.code = r.status;
        a.headers = r.headers;
        a.body = r.body;
        a.method = strings_.get(slot_method);
        a.max_body_bytes = max_body_bytes();
        detail::status_fields scratch; // the verdict may point into it
        switch (phase_) {
        case phase::submitting: return on_submit_answer(Policy::on_submit(pstate_, a, *opts_, scratch), r, now);
        case phase::polling: return on_status_answer(Policy::on_status(pstate_, a, *opts_, scratch), r, now);
        default: return on_final_answer(Policy::on_final(pstate_, a, *opts_), r, now);
        }
    }

    /// Feed a transport error instead of a response for the outstanding request.
    action on_transport_error(transport_error e, time_point now) {
        if (const std::optional<errc> refusal = admit(now)) return refused{*refusal};
        has_wall_ = false;
        std::string detail = "transport error (";
        detail += to_string(e);
        detail += ") on the ";
        detail += to_string(pending_purpose_);
        detail += " request";
        if (phase_ == phase::submitting && !Policy::may_resend_ambiguous_submit(pstate_, *opts_))
            return fail(failure_reason::transport_error, std::nullopt, detail, nullptr);
        return retry_after_error(nullptr, now, detail);
    }

    /// The client gives up: the operation ends `canceled{client}`. (Cancelling the work on
    /// the service, where it supports that, is the caller's request to make.)
    action cancel(time_point now) {
        if (const std::optional<errc> e = admit(now)) return refused{*e};
        enter(phase::canceled);
        canceled_by_ = cancel_source::client;
        return canceled{cancel_source::client};
    }

    // --- queries --------------------------------------------------------------------------

    /// Where the operation is now: the outstanding request's phase, or how it ended.
    lro::phase current_phase() const noexcept { return phase_; }
    /// True once the operation ended (succeeded, failed or canceled): outcome() then has
    /// the terminal action and every further input is refused with `errc::terminal`.
    bool done() const noexcept { return is_terminal(phase_); }

    /// The outstanding request (after start, resume, or a send_request action), if any.
    std::optional<send_request> pending_request() const noexcept {
        if (phase_ != phase::submitting && phase_ != phase::polling && phase_ != phase::fetching) return std::nullopt;
        return make_request();
    }

    /// When the outstanding request should be sent (quinn's poll_timeout); none when done.
    std::optional<time_point> next_deadline() const noexcept {
        if (const auto r = pending_request()) return r->not_before;
        return std::nullopt;
    }

    /// The terminal action again (for drivers that look later), or none while running.
    /// Views point into the machine; `final_outcome()` gives an owning copy.
    std::optional<action> outcome() const noexcept {
        switch (phase_) {
        case phase::succeeded: return action{succeeded_action()};
        case phase::failed: return action{failed_action()};
        case phase::canceled: return action{canceled{canceled_by_}};
        default: return std::nullopt;
        }
    }

    /// How the operation ended, as an owning value (outcome.hpp) that outlives the machine;
    /// none while it runs.
    std::optional<lro::outcome> final_outcome() const {
        if (const std::optional<action> a = outcome()) return to_outcome(*a);
        return std::nullopt;
    }

    /// A snapshot of what the machine has seen (phase, version/strategy, status, polls, errors,
    /// elapsed time, monitor and resource URLs), for progress lines and logs. Views point into
    /// the machine: valid until its next input, move or destruction.
    observation observe() const noexcept {
        observation o;
        o.phase = phase_;
        o.version = Policy::version(pstate_);
        o.strategy = Policy::strategy_name(pstate_);
        o.operation_id = strings_.get(slot_operation_id);
        o.status = status_text();
        o.created = strings_.get(slot_created);
        // Derived on demand (not stored, not parsed on every poll): the text is what is kept.
        if (std::int64_t ms = 0; detail::parse_created_time(strings_.get(slot_created), ms)) o.created_unix_ms = ms;
        o.polls = polls_;
        o.consecutive_errors = errors_;
        o.elapsed = milliseconds(elapsed_ms());
        o.monitor = strings_.get(slot_monitor);
        o.resource = strings_.get(slot_resource);
        return o;
    }

    /// The options this machine follows (defaults for an idle, default-constructed machine).
    const options& config() const noexcept { return opts_ ? *opts_ : default_options(); }

    /// Heap bytes this operation owns by itself (strings and a failure's error), without the
    /// options it may share with others. For memory accounting.
    std::size_t owned_heap_bytes() const noexcept {
        std::size_t n = strings_.heap_bytes();
        if (error_) n += sizeof(odata_error);
        return n;
    }

    // --- resume tokens --------------------------------------------------------------------

    /// A compact text token (`azlro1`, a dot, then base64url) that lets `resume()` continue polling in
    /// another process. It holds the submit URL's origin but never its path or query, no
    /// header values and no credential (credential query parameters are removed from every
    /// URL the machine keeps). A policy that polls or fetches the submit URL itself
    /// (azure_policy) keeps only a checksum of it: `resume()` takes the URL from the caller.
    /// `nothing_to_save` before the submit was accepted and after the end, except after
    /// `timed_out` with a monitor: that token starts a fresh budget (polls and elapsed time
    /// from zero) on the same monitor or resource, after the wait the machine was about to ask for.
    result<std::string> save() const {
        const bool live = phase_ == phase::polling || phase_ == phase::fetching;
        // A status or resource request always has its URL, so only a submit-phase timeout is
        // left without anything to resume.
        const bool timed_out = phase_ == phase::failed && reason_ == failure_reason::timed_out &&
                               pending_purpose_ != purpose::submit;
        if (!live && !timed_out) return errc::nothing_to_save;
        std::string payload;
        payload.push_back(static_cast<char>(Policy::token_id));
        payload.push_back(static_cast<char>(Policy::token_version(pstate_)));
        payload.push_back(static_cast<char>(pending_purpose_ == purpose::resource ? phase::fetching : phase::polling));
        detail::put_varint(payload, live ? polls_ : 0);
        detail::put_varint(payload, live ? errors_ : 0);
        detail::put_varint(payload, live ? static_cast<std::uint64_t>(elapsed_ms()) : 0);
        detail::put_varint(payload, static_cast<std::uint64_t>(pending_delay_ms_));
        detail::put_u64(payload, jitter_state_);
        detail::put_bytes(payload, strings_.get(slot_origin));
        detail::put_bytes(payload, strings_.get(slot_monitor));
        detail::put_bytes(payload, strings_.get(slot_resource));
        detail::put_bytes(payload, strings_.get(slot_operation_id));
        detail::put_bytes(payload, status_text());
        detail::put_bytes(payload, strings_.get(slot_created));
        if constexpr (Policy::keeps_original_url) {
            detail::put_bytes(payload, strings_.get(slot_method));
            detail::put_bytes(payload, strings_.get(slot_location));
            detail::put_u32(payload, detail::crc32(strings_.get(slot_submit_url)));
            detail::put_varint(payload, static_cast<std::uint64_t>(pending_purpose_));
        }
        Policy::save_state(pstate_, payload);
        std::string framed;
        detail::put_varint(framed, payload.size());
        framed += payload;
        detail::put_u32(framed, detail::crc32(payload));
        std::string token = token_prefix;
        detail::base64url_encode(framed, token);
        return token;
    }

    /// Continues an operation from `save()`'s token, as if `now` were the time of the last
    /// input before the save. `submit` is the caller's own record of the submit request: its
    /// URL, or at least its origin (`scheme://host[:port]`). It is required: the token's
    /// origin must equal it (`token_origin_refused`), because the token is just text and an
    /// edited one could otherwise make another host "the submit origin" that credentials go
    /// to. A policy that needs the submit URL itself (azure_policy: body polling, final GETs
    /// of the original URL) needs the whole URL, and it must be the one the token was saved
    /// for (`submit_url_mismatch`). Every URL in the token is checked against the origin rules
    /// of `opts`; delays are clamped to `opts`, and every field is validated as the live path
    /// would validate it.
    static result<basic_operation> resume(std::string_view token, std::shared_ptr<const options> opts,
                                          time_point now, std::string_view submit) {
        if (!opts) opts = std::make_shared<const options>();
        if (!options_usable(*opts)) return errc::bad_option;
        detail::origin caller_origin;
        if (submit.empty()) return errc::origin_required;
        if (!detail::parse_origin(submit, caller_origin)) return errc::bad_submit_url;
        std::string payload_storage;
        const errc unframed = unframe(token, payload_storage);
        if (unframed != errc::ok) return unframed;

        detail::token_reader in(payload_storage);
        const std::uint8_t policy_id = in.u8();
        const std::uint8_t version = in.u8();
        const std::uint8_t ph = in.u8();
        const std::uint64_t polls = in.varint();
        const std::uint64_t errors = in.varint();
        const std::uint64_t elapsed = in.varint();
        const std::uint64_t delay = in.varint();
        const std::uint64_t jitter_state = in.u64();
        const std::string_view origin = in.bytes();
        const std::string_view monitor = in.bytes();
        const std::string_view resource = in.bytes();
        const std::string_view operation_id = in.bytes();
        const std::string_view status = in.bytes();
        const std::string_view created = in.bytes();
        if (!in.ok()) return errc::token_corrupt;
        if (policy_id != Policy::token_id) return errc::token_unsupported;
        std::string_view method, location;
        std::uint32_t submit_crc = 0;
        std::uint64_t purpose_byte = ph == static_cast<std::uint8_t>(phase::fetching) ? 2 : 1;
        if constexpr (Policy::keeps_original_url) {
            method = in.bytes();
            location = in.bytes();
            submit_crc = in.u32();
            purpose_byte = in.varint();
        }
        basic_operation op;
        if (!Policy::load_state(in, op.pstate_) || !in.ok() || !in.at_end()) return errc::token_corrupt;
        const bool fetching = ph == static_cast<std::uint8_t>(phase::fetching);
        if ((ph != static_cast<std::uint8_t>(phase::polling) && !fetching) || polls > UINT32_MAX ||
            errors > UINT32_MAX || elapsed > static_cast<std::uint64_t>(INT64_MAX / 4) ||
            delay > static_cast<std::uint64_t>(INT64_MAX / 4) ||
            (monitor.empty() && !fetching) || // a 200/201 submit: no monitor
            (fetching && resource.empty()) || purpose_byte != (fetching ? 2u : 1u) ||
            !Policy::restore_version(op.pstate_, version, *opts))
            return errc::token_corrupt;

        op.opts_ = std::move(opts);
        // The origin must be a bare canonical origin, and the caller's; URLs must pass today's
        // origin rules; the strings must be what the live path could have kept.
        detail::origin o;
        std::string canonical;
        if (origin.size() > op.max_url_length() || !detail::parse_origin(origin, o)) return errc::token_corrupt;
        detail::origin_text(o, canonical);
        if (canonical != origin) return errc::token_corrupt;
        if (!detail::same_origin(o, caller_origin)) return errc::token_origin_refused;
        for (const std::string_view text : {operation_id, status, created})
            if (!kept_text_usable(text, op.max_body_bytes())) return errc::token_corrupt;
        op.strings_.set(slot_origin, origin);
        if constexpr (Policy::keeps_original_url) {
            // The kept Location is a header value as the service sent it (cleaned, credentials
            // removed), resolved and checked only when used (FAMILY.md 4.14): any text the live
            // path can keep is accepted here too.
            if (!method_usable(method) || location.size() > detail::max_url_cap) return errc::token_corrupt;
            if (detail::check_absolute_url(submit, op.max_url_length()) != detail::url_error::none)
                return errc::bad_submit_url;
            op.store_url(slot_submit_url, submit);
            if (detail::crc32(op.strings_.get(slot_submit_url)) != submit_crc) return errc::submit_url_mismatch;
            op.strings_.set(slot_method, method);
            op.strings_.set(slot_location, location);
        }
        bool same = false;
        if (!monitor.empty()) {
            if (!op.url_allowed(monitor, same)) return errc::token_origin_refused;
            op.store_url(slot_monitor, monitor);
            op.monitor_same_origin_ = same;
        }
        if (!resource.empty()) {
            if (!op.url_allowed(resource, same)) return errc::token_origin_refused;
            op.store_url(slot_resource, resource);
            op.resource_same_origin_ = same;
        }
        op.strings_.set(slot_operation_id, operation_id);
        op.set_status_text(status);
        op.strings_.set(slot_created, created);
        op.phase_ = static_cast<phase>(ph);
        op.pending_purpose_ = fetching ? purpose::resource : purpose::status;
        op.polls_ = static_cast<std::uint32_t>(polls);
        op.errors_ = static_cast<std::uint32_t>(errors);
        op.jitter_state_ = jitter_state;
        op.started_ = true;
        op.start_ = detail::add_ms(now, static_cast<std::int64_t>(elapsed), /*subtract=*/true);
        op.last_now_ = now;
        // A token's wait obeys the resuming options: an edited or old token cannot make the
        // client wait longer than max_poll_interval (or shorter than min).
        const std::int64_t saved_delay =
            static_cast<std::int64_t>(delay < static_cast<std::uint64_t>(detail::max_delay_ms) ? delay : detail::max_delay_ms);
        op.pending_delay_ms_ = fetching && saved_delay == 0 ? 0 : op.clamp(saved_delay);
        return op;
    }

    /// Same as the overload above, with a private copy of `opts`.
    static result<basic_operation> resume(std::string_view token, const options& opts, time_point now,
                                          std::string_view submit) {
        return resume(token, std::make_shared<const options>(opts), now, submit);
    }

    /// The submit origin a token names (`scheme://host:port`), without resuming it: to tell a
    /// user which origin `resume()` expects. Refused like `resume()` for a corrupt token.
    static result<std::string> token_origin(std::string_view token) {
        std::string payload;
        const errc unframed = unframe(token, payload);
        if (unframed != errc::ok) return unframed;
        detail::token_reader in(payload);
        (void)in.u8();
        (void)in.u8();
        (void)in.u8();
        for (int i = 0; i < 4; ++i) (void)in.varint();
        (void)in.u64();
        const std::string_view origin = in.bytes();
        if (!in.ok()) return errc::token_corrupt;
        return std::string(origin);
    }

private:
    static constexpr const char* token_prefix = "azlro1.";

    enum slot : std::size_t {
        slot_method,
        slot_submit_url, ///< credentials removed; dropped after the submit unless the policy keeps it
        slot_origin,
        slot_monitor,
        slot_monitor_ref, ///< the monitor header as the service last sent it, when it differs from slot_monitor
        slot_resource,
        slot_location, ///< a `Location` the policy keeps for the final rules (cleaned, unresolved)
        slot_operation_id,
        slot_status,
        slot_created,
        slot_detail,
        slot_count
    };

    /// The move: every member taken, the source reset to a default (idle) machine.
    void take(basic_operation& o) noexcept {
        opts_ = std::move(o.opts_);
        strings_ = std::move(o.strings_);
        error_ = std::move(o.error_);
        wall_ms_ = o.wall_ms_;
        start_ = o.start_;
        last_now_ = o.last_now_;
        pending_delay_ms_ = o.pending_delay_ms_;
        jitter_state_ = o.jitter_state_;
        polls_ = o.polls_;
        errors_ = o.errors_;
        http_status_ = o.http_status_;
        phase_ = o.phase_;
        pstate_ = o.pstate_;
        pending_purpose_ = o.pending_purpose_;
        reason_ = o.reason_;
        canceled_by_ = o.canceled_by_;
        result_source_ = o.result_source_;
        result_member_ = o.result_member_;
        started_ = o.started_;
        monitor_same_origin_ = o.monitor_same_origin_;
        resource_same_origin_ = o.resource_same_origin_;
        has_wall_ = o.has_wall_;
        has_http_status_ = o.has_http_status_;
        status_known_ = o.status_known_;
        o.reset();
    }

    void reset() noexcept {
        opts_.reset();
        strings_ = detail::string_table<slot_count>{};
        error_.reset();
        wall_ms_ = 0;
        start_ = time_point{};
        last_now_ = time_point{};
        pending_delay_ms_ = 0;
        jitter_state_ = 0;
        polls_ = 0;
        errors_ = 0;
        http_status_ = 0;
        phase_ = phase::idle;
        pstate_ = typename Policy::state{};
        pending_purpose_ = purpose::submit;
        reason_ = failure_reason::protocol_error;
        canceled_by_ = cancel_source::client;
        result_source_ = result_source::none;
        result_member_ = false;
        started_ = false;
        monitor_same_origin_ = false;
        resource_same_origin_ = false;
        has_wall_ = false;
        has_http_status_ = false;
        status_known_ = 0;
    }

    static const options& default_options() noexcept {
        static const options defaults;
        return defaults;
    }

    static bool method_usable(std::string_view method) noexcept {
        if (method.empty() || method.size() > detail::max_method_length) return false;
        for (char c : method)
            if (!detail::is_tchar(c)) return false;
        return true;
    }

    static bool options_usable(const options& o) noexcept {
        for (const std::string& entry : o.allowed_origins) {
            detail::origin parsed;
            if (!detail::parse_origin(entry, parsed)) return false;
        }
        for (const auto& q : o.add_query) {
            if (q.first.empty()) return false;
            for (char c : q.first)
                if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7F || c == '&' || c == '=' || c == '#') return false;
            for (char c : q.second)
                if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7F || c == '&' || c == '#') return false;
            // A parameter added to every URL must not be a credential: it would land in tokens.
            if (detail::is_credential_name(q.first, o.credential_query_names)) return false;
        }
        for (const std::string& name : o.credential_query_names)
            for (char c : name)
                if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7F || c == '&' || c == '=' || c == '#') return false;
        for (const auto* words : {&o.succeeded_words, &o.failed_words, &o.canceled_words})
            for (const std::string& w : *words)
                if (w.empty()) return false;
        return true;
    }

    /// A status, operationId or created text as the live path keeps it: valid UTF-8 (the JSON
    /// scanner validates every string), within the body limit.
    static bool kept_text_usable(std::string_view s, std::size_t max_len) noexcept {
        return s.size() <= max_len && detail::valid_utf8(s);
    }

    /// Unwraps `azlro<N>.` + base64url(varint length, payload, crc32) into the payload.
    static errc unframe(std::string_view token, std::string& payload) {
        std::string_view body;
        if (const errc e = split_token(token, body); e != errc::ok) return e;
        std::string framed;
        if (!detail::base64url_decode(body, framed)) return errc::token_corrupt;
        detail::token_reader outer(framed);
        const std::uint64_t declared = outer.varint();
        if (!outer.ok()) return errc::token_truncated;
        const std::size_t header_len = outer.position();
        const std::size_t avail = framed.size() - header_len;
        if (declared > avail || avail - declared < 4) return errc::token_truncated;
        if (avail - declared > 4) return errc::token_corrupt;
        const std::string_view p = std::string_view(framed).substr(header_len, static_cast<std::size_t>(declared));
        detail::token_reader crc_reader(std::string_view(framed).substr(header_len + p.size()));
        if (crc_reader.u32() != detail::crc32(p)) return errc::token_corrupt;
        payload.assign(p);
        return errc::ok;
    }

    static errc split_token(std::string_view token, std::string_view& body) noexcept {
        constexpr std::string_view magic = "azlro";
        if (token.substr(0, magic.size()) != magic) return errc::token_corrupt;
        std::size_t i = magic.size();
        std::uint64_t format = 0;
        const std::size_t digits_begin = i;
        while (i < token.size() && token[i] >= '0' && token[i] <= '9' && i - digits_begin < 9)
            format = format * 10 + static_cast<std::uint64_t>(token[i++] - '0');
        if (i == digits_begin) return i == token.size() ? errc::token_truncated : errc::token_corrupt;
        if (token[digits_begin] == '0') return errc::token_corrupt; // one spelling per format: no "azlro01."
        if (format > 1) return errc::token_unsupported;
        if (format != 1) return errc::token_corrupt;
        if (i == token.size()) return errc::token_truncated;
        if (token[i] != '.') return errc::token_corrupt;
        body = token.substr(i + 1);
        return errc::ok;
    }

    // --- option accessors (with the documented normalisation) -----------------------------
    std::int64_t min_ms() const noexcept {
        const auto v = static_cast<std::int64_t>(opts_->min_poll_interval.count());
        return v < 0 ? 0 : v > detail::max_delay_ms ? detail::max_delay_ms : v;
    }
    std::int64_t max_ms() const noexcept {
        const auto v = static_cast<std::int64_t>(opts_->max_poll_interval.count());
        return v < min_ms() ? min_ms() : v > detail::max_delay_ms ? detail::max_delay_ms : v;
    }
    std::int64_t clamp(std::int64_t v) const noexcept { return detail::clamp_ms(v, min_ms(), max_ms()); }
    std::size_t max_body_bytes() const noexcept {
        return opts_->max_body_bytes < detail::max_body_cap ? opts_->max_body_bytes : detail::max_body_cap;
    }
    std::size_t max_url_length() const noexcept {
        return opts_->max_url_length < detail::max_url_cap ? opts_->max_url_length : detail::max_url_cap;
    }
    std::uint32_t max_errors() const noexcept {
        return opts_->max_consecutive_errors < 1 ? 1u : static_cast<std::uint32_t>(opts_->max_consecutive_errors);
    }
    std::int64_t elapsed_ms() const noexcept { return detail::ms_between(start_, last_now_); }
    /// start + timeout, saturating; a negative timeout is a deadline before the start.
    time_point deadline() const noexcept {
        const auto t = static_cast<std::int64_t>(opts_->timeout->count());
        if (t >= 0) return detail::add_ms(start_, t); // saturates at the clock's range
        return detail::add_ms(start_, t == INT64_MIN ? INT64_MAX : -t, /*subtract=*/true);
    }

    /// Every phase change goes through here; the table in transitions.hpp lists them all.
    void enter(phase next) noexcept {
        assert(is_listed_transition(phase_, next));
        phase_ = next;
    }

    // --- admission: PROTOCOL.md 10.3 --------------------------------------------------------
    std::optional<errc> admit(time_point now) noexcept {
        if (is_terminal(phase_)) return errc::terminal;
        if (phase_ == phase::idle) return errc::not_expected;
        if (started_ && now < last_now_) return errc::clock_backwards;
        if (!started_) {
            started_ = true;
            start_ = now;
        }
        last_now_ = now;
        return std::nullopt;
    }

    // --- the submit answer: decision-table rows "submit" ----------------------------------
    action on_submit_answer(const verdict& v, const response_view& r, time_point now) {
        using k = verdict::kind;
        const int code = r.status;
        (void)record_status(v); // a state the submit answer stated (Azure), for observe()
        switch (v.what) {
        case k::poll: {
            if (v.capture.kind == url_source::from::header) // kept unresolved; credentials removed like any URL
                store_url(slot_location, detail::clean_header_url(v.capture.header_value));
            if (auto refusal = follow_source(v.url, strings_.get(slot_submit_url), slot_monitor, code, r))
                return std::move(*refusal);
            leave_submit();
            return schedule_poll(r, now);
        }
        case k::succeed:
        case k::fetch: {
            // Done at once. The submit URL is the base of relative URLs in this answer.
            const std::string base_copy(strings_.get(slot_submit_url));
            if (!Policy::keeps_original_url) strings_.clear(slot_submit_url); // may be long; not needed
            return on_done(v, r, base_copy, now);
        }
        case k::operation_failed: return fail(failure_reason::operation_failed, code, "the operation failed", &r, v.fields);
        case k::canceled: return canceled_by_server();
        case k::rejected: return fail(failure_reason::request_rejected, code, "the submit was rejected (400)", &r);
        case k::resubmit: return retry_after_error(&r, now, http_detail(code, "submit"));
        case k::protocol_error: return fail(failure_reason::protocol_error, code, v.why, &r);
        default: break;
        }
        return fail(failure_reason::http_error, code, http_detail(code, "submit"), &r);
    }

    // --- a status answer: decision-table rows "poll" ---------------------------------------
    action on_status_answer(const verdict& v, const response_view& r, time_point now) {
        using k = verdict::kind;
        const int code = r.status;
        if (v.what == k::retry) return retry_after_error(&r, now, http_detail(code, "status"));
        if (v.what == k::http_error) return fail(failure_reason::http_error, code, http_detail(code, "status"), &r);
        if (v.what == k::bad_answer) return bad_answer(v, r, now);
        if (!record_status(v)) return bad_answer(policy_detail::make(k::bad_answer, "the status value is not valid"), r, now);
        errors_ = 0; // a good status answer resets the count (PROTOCOL.md 10.5)
        switch (v.what) {
        case k::poll:
            if (v.url.kind == url_source::from::header && !is_current_monitor(v.url.header_value)) {
                // Resolution reads the old monitor before `follow` overwrites it.
                if (auto refusal = follow_source(v.url, strings_.get(slot_monitor), slot_monitor, code, r))
                    return std::move(*refusal);
            }
            return schedule_poll(r, now);
        case k::succeed:
        case k::fetch: return on_done(v, r, strings_.get(slot_monitor), now);
        case k::operation_failed: return fail(failure_reason::operation_failed, code, "the operation failed", &r, v.fields);
        case k::canceled: return canceled_by_server();
        case k::protocol_error: return fail(failure_reason::protocol_error, code, v.why, &r);
        default: break;
        }
        return fail(failure_reason::http_error, code, http_detail(code, "status"), &r);
    }

    // --- the final GET: decision-table rows "fetch" -----------------------------------------
    action on_final_answer(const verdict& v, const response_view& r, time_point now) {
        using k = verdict::kind;
        const int code = r.status;
        switch (v.what) {
        case k::succeed: return succeed(v.source, v.member);
        case k::not_ready: {
            errors_ = 0;
            return request(purpose::resource, server_or_default_delay(r), now, &r, /*counts_as_poll=*/true);
        }
        case k::retry: return retry_after_error(&r, now, http_detail(code, "resource"));
        default: break;
        }
        return fail(failure_reason::http_error, code, http_detail(code, "resource"), &r);
    }

    /// The operation is done: succeed where the result is, or GET it (PROTOCOL.md 10.9: the
    /// GET has delay 0; with `fetch_resource` off the URL is only reported).
    action on_done(const verdict& v, const response_view& r, std::string_view base, time_point now) {
        if (v.what == verdict::kind::succeed) return succeed(v.source, v.member);
        if (auto refusal = follow_source(v.url, base, slot_resource, r.status, r)) return std::move(*refusal);
        if (!opts_->fetch_resource) return succeed(result_source::none, false);
        enter(phase::fetching);
        return request(purpose::resource, 0, now, &r);
    }

    /// The status answer was unusable: count it, and fail with protocol_error on the last.
    action bad_answer(const verdict& v, const response_view& r, time_point now) {
        std::string d(v.why);
        if (v.json != detail::json_error::none) {
            d += " (";
            d += detail::to_string(v.json);
            d += ")";
        }
        if (!r.body.empty()) {
            d += "; body: ";
            detail::append_excerpt(d, r.body);
        }
        return retry_after_error(&r, now, d, failure_reason::protocol_error);
    }

    /// A retryable error (429/5xx, transport error, bad answer): count it; the n-th in a row
    /// fails, else retry the same request after Retry-After (clamped) or backoff.
    action retry_after_error(const response_view* r, time_point now, std::string_view detail_text,
                             failure_reason exhausted = failure_reason::too_many_errors) {
        if (errors_ < UINT32_MAX) ++errors_;
        if (errors_ >= max_errors()) {
            std::string d(detail_text);
            d += "; ";
            d += std::to_string(errors_);
            d += " consecutive errors";
            return fail(exhausted, r ? std::optional<int>(r->status) : std::nullopt, d, r);
        }
        std::int64_t delay = 0;
        std::uint64_t server_ms = 0;
        if (r != nullptr && read_retry_after(r->headers, server_ms)) {
            delay = clamp(saturate(server_ms));
        } else {
            std::int64_t d = detail::backoff_ms(static_cast<std::int64_t>(opts_->backoff_base.count()), errors_, max_ms());
            if (opts_->jitter) d = detail::jittered_ms(d, detail::splitmix64_next(jitter_state_));
            delay = clamp(d);
        }
        return request(pending_purpose_, delay, now, r);
    }

    /// Retry-After (clamped), else the default interval (clamped).
    std::int64_t server_or_default_delay(const response_view& r) const noexcept {
        std::uint64_t server_ms = 0;
        return read_retry_after(r.headers, server_ms) ? clamp(saturate(server_ms))
                                                      : clamp(static_cast<std::int64_t>(opts_->default_poll_interval.count()));
    }

    /// In progress: poll again after Retry-After, else the default interval.
    action schedule_poll(const response_view& r, time_point now) {
        return request(purpose::status, server_or_default_delay(r), now, &r);
    }

    /// Every request goes through here: max_polls and the deadline (PROTOCOL.md 10.1, 10.2).
    /// `r`: the answer that led here, whose OData error a timed_out keeps.
    action request(purpose p, std::int64_t delay_ms, time_point now, const response_view* r,
                   bool counts_as_poll = false) {
        // Recorded before the limits: a token saved after timed_out keeps the server's wait.
        pending_purpose_ = p;
        pending_delay_ms_ = delay_ms;
        const bool poll = p == purpose::status || counts_as_poll;
        if (poll && opts_->max_polls && polls_ >= *opts_->max_polls)
            return fail(failure_reason::timed_out, std::nullopt, "max_polls would be passed by the next status request", r);
        // In the clock's own resolution: `now + delay > start + timeout` (10.2), sub-millisecond
        // times included (both sums saturate at the clock's range).
        if (opts_->timeout && detail::add_ms(now, delay_ms) > deadline())
            return fail(failure_reason::timed_out, std::nullopt, "the timeout would be passed by the next request", r);
        if (poll && polls_ < UINT32_MAX) ++polls_;
        return make_request();
    }

    send_request make_request() const noexcept {
        send_request s;
        s.purpose = pending_purpose_;
        s.delay = milliseconds(pending_delay_ms_);
        s.not_before = detail::add_ms(last_now_, pending_delay_ms_); // derived: last_now_ is the asking input's now
        s.same_origin = pending_same_origin();
        switch (pending_purpose_) {
        case purpose::submit:
            s.method = strings_.get(slot_method);
            s.url = strings_.get(slot_submit_url);
            break;
        case purpose::status:
            s.method = "GET";
            s.url = strings_.get(slot_monitor);
            break;
        case purpose::resource:
            s.method = "GET";
            s.url = strings_.get(slot_resource);
            break;
        }
        return s;
    }

    bool pending_same_origin() const noexcept {
        return pending_purpose_ == purpose::submit ? true
             : pending_purpose_ == purpose::status ? monitor_same_origin_
                                                   : resource_same_origin_;
    }

    // --- URLs and origins: PROTOCOL.md section 8 --------------------------------------------

    /// Stores a URL with its credential query parameters removed (no allocation when it has none).
    void store_url(slot dest, std::string_view url) {
        if (detail::has_credential_param(url, opts_->credential_query_names))
            strings_.set(dest, detail::without_credential_params(url, opts_->credential_query_names));
        else
            strings_.set(dest, url);
    }

    /// True when a monitor header names the monitor we already poll: as stored, or as the
    /// service last sent it (a relative reference, or one that lacked an add_query parameter),
    /// so that a steady poll neither resolves nor allocates.
    bool is_current_monitor(std::string_view raw) const noexcept {
        const std::string_view ref = detail::clean_header_url(raw);
        return ref == strings_.get(slot_monitor) || (!ref.empty() && ref == strings_.get(slot_monitor_ref));
    }

    /// Resolves and follows the URL a verdict names into `dest` (monitor or resource).
    std::optional<action> follow_source(const url_source& src, std::string_view base, slot dest, int code,
                                        const response_view& r) {
        switch (src.kind) {
        case url_source::from::header: return follow(src.header_value, base, dest, src.name, code, &r);
        case url_source::from::body: {
            std::string from_body;
            if (!detail::unescape_json_string(src.body_value.raw, from_body)) {
                std::string d(src.name);
                d += " is not a valid string";
                return fail(failure_reason::protocol_error, code, d, &r);
            }
            return follow(from_body, base, dest, src.name, code, &r);
        }
        case url_source::from::original: {
            const std::string url(strings_.get(slot_submit_url)); // copied: dest may share the table
            return follow(url, url, dest, "submit", code, &r);
        }
        case url_source::from::location: {
            const std::string ref(strings_.get(slot_location));
            const std::string original(strings_.get(slot_submit_url));
            return follow(ref, original, dest, "Location", code, &r);
        }
        case url_source::from::none: break;
        }
        return fail(failure_reason::protocol_error, code, "no URL to follow", &r);
    }

    /// Cleans, resolves against `base`, checks and stores a URL into `dest`. Returns the
    /// failed action when the URL is refused; it carries the answer `r`'s error (10.18).
    std::optional<action> follow(std::string_view raw, std::string_view base, slot dest, std::string_view name, int code,
                                 const response_view* r) {
        const std::string_view ref = detail::clean_header_url(raw);
        std::string resolved; // written only when resolution changes the text
        std::string_view url;  // the resolved URL: `ref` itself or `resolved`
        detail::absolute_url_parts parts;
        const detail::url_error ue = detail::resolve_url_view(base, ref, max_url_length(), resolved, url, parts);
        if (ue != detail::url_error::none) {
            std::string d = "unusable ";
            d += name;
            d += " URL (";
            d += detail::to_string(ue);
            d += ")";
            return fail(failure_reason::protocol_error, code, d, r);
        }
        bool same = false;
        const detail::origin target{parts.scheme, parts.host, parts.port}; // == parse_origin(url)
        if (!origin_allowed(target, same)) {
            std::string d = "refused ";
            d += name;
            d += " URL on another origin: ";
            std::string text;
            detail::origin_text(target, text);
            d += text;
            return fail(failure_reason::cross_origin, code, d, r);
        }
        if (same && !opts_->add_query.empty()) {
            bool missing = false;
            for (const auto& q : opts_->add_query) missing = missing || !detail::has_query_param(url, q.first);
            if (missing) {
                if (url.data() != resolved.data()) resolved.assign(url.data(), url.size());
                for (const auto& q : opts_->add_query)
                    if (!detail::has_query_param(resolved, q.first)) detail::append_query_param(resolved, q.first, q.second);
                url = resolved;
            }
        }
        if (dest == slot_monitor) {
            store_url(slot_monitor, url);
            // The reference as sent, kept only when it differs from what is stored (and holds no
            // credential), so is_current_monitor() can skip the next identical header.
            const bool keep_ref = ref != strings_.get(slot_monitor) &&
                                  !detail::has_credential_param(ref, opts_->credential_query_names);
            strings_.set(slot_monitor_ref, keep_ref ? ref : std::string_view());
        } else {
            store_url(dest, url);
        }
        (dest == slot_monitor ? monitor_same_origin_ : resource_same_origin_) = same;
        return std::nullopt;
    }

    /// The origin rule (PROTOCOL.md 8, 10.10): same origin, or allowed; never https -> http
    /// unless allow_insecure. Sets `same` to whether the origin equals the submit origin.
    /// Used by resume() for the URLs in a token; follow() checks freshly resolved URLs with
    /// origin_allowed() directly.
    bool url_allowed(std::string_view url, bool& same) const noexcept {
        // max_url_length applies to the resolved URL (10.11), before follow() adds query
        // parameters: a URL from a token may be longer by those, or resume() would refuse
        // save()'s own token.
        std::size_t limit = max_url_length();
        for (const auto& q : opts_->add_query) limit += q.first.size() + q.second.size() + 2;
        detail::absolute_url_parts p;
        if (detail::parse_absolute_url(url, limit, p) != detail::url_error::none)
            return false;
        return origin_allowed(detail::origin{p.scheme, p.host, p.port}, same);
    }

    /// url_allowed for the origin of a URL that passed check_absolute_url.
    bool origin_allowed(const detail::origin& target, bool& same) const noexcept {
        const std::string_view home_text = strings_.get(slot_origin);
        // The stored origin is canonical text (origin_text): equal text is the same origin.
        if (detail::is_origin_text_of(target, home_text)) {
            same = true;
            return true;
        }
        detail::origin home;
        if (!detail::parse_origin(home_text, home)) return false;
        same = detail::same_origin(target, home);
        if (same) return true;
        const bool downgrade = detail::iequals(home.scheme, "https") && detail::iequals(target.scheme, "http");
        if (downgrade && !opts_->allow_insecure) return false;
        if (opts_->allow_any_origin) return true;
        for (const std::string& entry : opts_->allowed_origins)
            if (detail::origin_matches(target, entry)) return true;
        return false;
    }

    // --- observations -----------------------------------------------------------------------

    /// Stores operationId, status and created from a good status answer. Equal values are
    /// not rewritten, so a steady-state poll allocates nothing.
    bool record_status(const verdict& v) {
        if (!keep_status(v.status_word)) return false;
        if (v.fields != nullptr) keep_string(v.fields->operation_id, slot_operation_id);
        keep_string(v.created_text, slot_created); // created_unix_ms is derived in observe()
        return true;
    }

    /// The status words the services send, kept as an index instead of text when the body
    /// spells one exactly (no escape): a status change between them neither writes the string
    /// table nor allocates, and the word costs no heap. Any other text is kept in slot_status.
    static constexpr std::string_view known_status[] = {"", "NotStarted", "Running", "Succeeded", "Failed",
                                                        "Canceled", "InProgress", "Cancelled", "Accepted"};

    static std::uint8_t known_status_index(std::string_view w) noexcept {
        for (std::size_t k = 1; k < sizeof known_status / sizeof known_status[0]; ++k)
            if (w == known_status[k]) return static_cast<std::uint8_t>(k);
        return 0;
    }

    std::string_view status_text() const noexcept {
        return status_known_ != 0 ? known_status[status_known_] : strings_.get(slot_status);
    }

    void set_status_text(std::string_view w) {
        const std::uint8_t k = known_status_index(w);
        strings_.assign_if_changed(slot_status, k != 0 ? std::string_view() : w);
        status_known_ = k;
    }

    bool keep_status(const detail::json_field& f) {
        if (f.kind != detail::json_kind::string) return true;
        if (!f.escaped) {
            if (const std::uint8_t k = known_status_index(f.raw); k != 0) {
                if (status_known_ != k) {
                    if (status_known_ == 0) strings_.assign_if_changed(slot_status, std::string_view());
                    status_known_ = k;
                }
                return true;
            }
        }
        if (!keep_string(f, slot_status)) return false; // the kept status stays as it was
        status_known_ = 0;
        return true;
    }

    bool keep_string(const detail::json_field& f, slot s) {
        if (f.kind != detail::json_kind::string) return true;
        if (!f.escaped) {
            strings_.assign_if_changed(s, f.raw);
            return true;
        }
        char buf[256];
        const std::size_t n = detail::unescape_json_string(f.raw, buf, sizeof buf);
        if (n != SIZE_MAX) {
            strings_.assign_if_changed(s, std::string_view(buf, n));
            return true;
        }
        std::string decoded;
        if (!detail::unescape_json_string(f.raw, decoded)) return false;
        strings_.assign_if_changed(s, decoded);
        return true;
    }

    void leave_submit() {
        // The path and query are the caller's business (credentials are already gone); a
        // policy that polls or fetches the submit URL keeps it.
        if (!Policy::keeps_original_url) strings_.clear(slot_submit_url);
        enter(phase::polling);
    }

    // --- terminal actions --------------------------------------------------------------------

    /// Ends the operation successfully; the result is where `source` says. For a result read
    /// from an answer, `resource_location` is the URL that answer came from.
    action succeed(result_source source, bool member) {
        if (source == result_source::submit) strings_.set(slot_resource, strings_.get(slot_submit_url));
        else if (source == result_source::status || source == result_source::poll)
            strings_.set(slot_resource, strings_.get(slot_monitor));
        enter(phase::succeeded);
        result_source_ = source;
        result_member_ = member && !opts_->result_member.empty();
        return succeeded_action();
    }

    action canceled_by_server() {
        enter(phase::canceled);
        canceled_by_ = cancel_source::server;
        return canceled{cancel_source::server};
    }

    static std::string http_detail(int code, std::string_view what) {
        std::string d = "HTTP ";
        d += std::to_string(code);
        d += " on the ";
        d += what;
        d += " request";
        return d;
    }

    /// Ends the operation. With a response, its body's OData error is parsed (PROTOCOL.md
    /// 10.18), `x-ms-error-code` supplies a missing code, and an unparsable non-empty body is
    /// quoted (at most 200 bytes) in the detail.
    /// `scanned`: r's body as scan_status_body read it (without error), so it is not scanned again.
    action fail(failure_reason reason, std::optional<int> code, std::string_view detail_text, const response_view* r,
                const detail::status_fields* scanned = nullptr) {
        error_.reset();
        std::string_view err_code, err_message, excerpt_of; // the parts of the detail after detail_text
        if (r != nullptr) {
            odata_error err; // parsed in place; moved to the heap only when there is one
            bool has_error = false;
            detail::json_error je = detail::json_error::empty;
            if (scanned != nullptr) je = detail::parse_error_field(*scanned, err, has_error);
            else if (r->body.size() <= max_body_bytes()) je = detail::parse_error_body(r->body, err, has_error);
            if (const std::string_view* header_code = find_header(r->headers, "x-ms-error-code")) {
                if (!has_error) err = odata_error{};
                if (err.code.empty()) detail::assign_capped(err.code, detail::clean_header_url(*header_code), err.truncated);
                has_error = has_error || !err.code.empty();
            }
            if (has_error) {
                error_ = std::make_unique<odata_error>(std::move(err));
                if (!error_.get()->code.empty() && reason != failure_reason::protocol_error) {
                    err_code = error_.get()->code;
                    err_message = error_.get()->message;
                }
            }
            if (je != detail::json_error::none && !r->body.empty() && reason != failure_reason::protocol_error &&
                reason != failure_reason::timed_out)
                excerpt_of = r->body;
        }
        enter(phase::failed);
        reason_ = reason;
        has_http_status_ = code.has_value(); // any int the caller passed, kept whole
        http_status_ = code ? *code : 0;
        set_detail(detail_text, err_code, err_message, excerpt_of);
        return failed_action();
    }

    /// Stores the failure detail `text[": " code[": " message]]["; body: " excerpt]` (the
    /// excerpt: at most `excerpt_bytes` of `body`, then "..." when cut), with every byte outside
    /// printable ASCII shown as '.'. Built in one buffer (on the stack when it fits).
    void set_detail(std::string_view text, std::string_view code, std::string_view message, std::string_view body) {
        const std::size_t excerpt_n = body.size() < detail::excerpt_bytes ? body.size() : detail::excerpt_bytes;
        std::size_t total = text.size();
        if (!code.empty()) total += 2 + code.size() + (message.empty() ? 0 : 2 + message.size());
        if (!body.empty()) total += 8 + excerpt_n + (body.size() > excerpt_n ? 3 : 0);
        char small[512];
        std::string large;
        char* const first = total <= sizeof small ? small : (large.resize(total), &large[0]);
        char* o = first;
        const auto put = [&o](std::string_view s) noexcept {
            for (const char c : s) {
                const auto u = static_cast<unsigned char>(c);
                *o++ = u < 0x20 || u >= 0x7F ? '.' : c;
            }
        };
        put(text);
        if (!code.empty()) {
            put(": ");
            put(code);
            if (!message.empty()) {
                put(": ");
                put(message);
            }
        }
        if (!body.empty()) {
            put("; body: ");
            put(body.substr(0, excerpt_n));
            if (body.size() > excerpt_n) put("...");
        }
        strings_.set(slot_detail, std::string_view(first, total));
    }

    succeeded succeeded_action() const noexcept {
        succeeded s;
        s.resource_location = strings_.get(slot_resource);
        s.source = result_source_;
        if (result_member_) s.result_member = opts_->result_member;
        return s;
    }

    failed failed_action() const noexcept {
        failed f;
        f.reason = reason_;
        if (has_http_status_) f.http_status = http_status_;
        f.error = error_.get();
        f.monitor = strings_.get(slot_monitor);
        f.detail = strings_.get(slot_detail);
        return f;
    }

    static std::int64_t saturate(std::uint64_t v) noexcept {
        return v > static_cast<std::uint64_t>(INT64_MAX / 4) ? INT64_MAX / 4 : static_cast<std::int64_t>(v);
    }

    bool read_retry_after(header_span headers, std::uint64_t& out_ms) const noexcept {
        return detail::retry_after_ms(headers, has_wall_, wall_ms_, out_ms);
    }

    // --- state (kept small: see docs/performance.md) -----------------------------------------
    std::shared_ptr<const options> opts_;
    detail::string_table<slot_count> strings_;
    detail::boxed<odata_error> error_;
    std::int64_t wall_ms_ = 0; // the current input's wall clock, when has_wall_
    time_point start_{};
    time_point last_now_{};
    std::int64_t pending_delay_ms_ = 0;
    std::uint64_t jitter_state_ = 0;
    std::uint32_t polls_ = 0;
    std::uint32_t errors_ = 0;
    std::int32_t http_status_ = 0;
    phase phase_ = phase::idle;
    typename Policy::state pstate_{};
    purpose pending_purpose_ = purpose::submit;
    failure_reason reason_ = failure_reason::protocol_error;
    cancel_source canceled_by_ = cancel_source::client;
    result_source result_source_ = result_source::none;
    bool result_member_ = false;
    bool started_ = false;
    bool monitor_same_origin_ = false;
    bool resource_same_origin_ = false;
    bool has_wall_ = false;
    bool has_http_status_ = false;
    std::uint8_t status_known_ = 0; ///< index into known_status, 0: the text is in slot_status
};

/// The Azure Maps Creator operation (v1 and v2).
using operation = basic_operation<creator_policy>;

} // namespace azmaps::lro

#endif
