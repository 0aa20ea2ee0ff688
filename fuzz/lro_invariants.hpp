// azmaps-lro fuzzing and property tests: the machine's invariants, checked one input at a time.
//
// Shared by fuzz/fuzz_machine.cpp (abort() on a violation) and tests/property/ (RC_ASSERT on
// it). `checker::step()` takes the machine, the input just fed and the action it returned, and
// reports the first broken rule as a sentence (empty when all hold). The rules (PROTOCOL.md):
//
//   P1 bounds     inputs while submitting <= E, while fetching <= E, status requests <=
//                 max_polls, accepted inputs <= 2E + max_polls; with a timeout, every request's
//                 not_before <= start + timeout and any accepted input after it is terminal.
//   P2 terminal   after a terminal action every input is refused{terminal}; observe(),
//                 outcome() and pending_request() do not change; a refused input changes
//                 nothing (clock_backwards included); terminal actions equal outcome().
//   P3 URLs       a request's URL is the submit URL (purpose submit), the URL of the request
//                 being retried, or a URL taken from the answer (a header value or the body's
//                 resourceLocation, resolved against the request's URL, plus add_query on the
//                 submit origin); its origin obeys the options; same_origin is exact.
//   P4 delays     status/submit delays lie in [min, max]; the first resource fetch has delay 0
//                 (10.9); a usable Retry-After sets the delay exactly (clamped); not_before ==
//                 now + delay; pending_request() == the action.
//   P8 failures   a failed action from an answer carries its HTTP status (null for timed_out
//                 and transport errors) and the answer's OData error (code, message), with
//                 x-ms-error-code supplying a missing code.
//   tokens        save() never holds the submit URL's path or query (a secret marker).
#ifndef AZMAPS_LRO_FUZZ_INVARIANTS_HPP
#define AZMAPS_LRO_FUZZ_INVARIANTS_HPP

#include <azmaps/lro/operation.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace azmaps_lro_check {

namespace lro = azmaps::lro;
using lro::time_point;

/// An action with owned strings, comparable after the machine moved on.
struct owned_action {
    int kind = -1; // variant index
    std::string method, url;
    std::int64_t delay_ms = 0;
    time_point not_before{};
    lro::purpose purpose = lro::purpose::status;
    bool same_origin = false;
    std::string resource;
    lro::failure_reason reason = lro::failure_reason::protocol_error;
    std::optional<int> http_status;
    bool has_error = false;
    lro::odata_error error;
    std::string monitor, detail;
    lro::cancel_source by = lro::cancel_source::client;
    lro::errc code = lro::errc::ok;

    static owned_action of(const lro::action& a) {
        owned_action o;
        o.kind = static_cast<int>(a.index());
        if (const auto* s = std::get_if<lro::send_request>(&a)) {
            o.method.assign(s->method);
            o.url.assign(s->url);
            o.delay_ms = s->delay.count();
            o.not_before = s->not_before;
            o.purpose = s->purpose;
            o.same_origin = s->same_origin;
        } else if (const auto* ok = std::get_if<lro::succeeded>(&a)) {
            o.resource.assign(ok->resource_location);
        } else if (const auto* f = std::get_if<lro::failed>(&a)) {
            o.reason = f->reason;
            o.http_status = f->http_status;
            o.has_error = f->error != nullptr;
            if (f->error) o.error = *f->error;
            o.monitor.assign(f->monitor);
            o.detail.assign(f->detail);
        } else if (const auto* c = std::get_if<lro::canceled>(&a)) {
            o.by = c->by;
        } else if (const auto* r = std::get_if<lro::refused>(&a)) {
            o.code = r->code;
        }
        return o;
    }

    /// Equal, with not_before shifted by `shift` (for resumed machines).
    bool same_as(const owned_action& b, std::chrono::nanoseconds shift = std::chrono::nanoseconds{0}) const {
        return kind == b.kind && method == b.method && url == b.url && delay_ms == b.delay_ms &&
               (kind == 0 ? not_before + shift : not_before) == b.not_before && purpose == b.purpose && same_origin == b.same_origin &&
               resource == b.resource && reason == b.reason && http_status == b.http_status &&
               has_error == b.has_error && error == b.error && monitor == b.monitor && detail == b.detail &&
               by == b.by && code == b.code;
    }

    std::string describe() const {
        static const char* names[] = {"send_request", "succeeded", "failed", "canceled", "refused"};
        std::string s = kind >= 0 && kind < 5 ? names[kind] : "?";
        if (kind == 0) {
            s += "{" + std::string(lro::to_string(purpose)) + " " + method + " " + url +
                 " delay=" + std::to_string(delay_ms) + " same_origin=" + (same_origin ? "1" : "0") + "}";
        } else if (kind == 1) {
            s += "{" + resource + "}";
        } else if (kind == 2) {
            s += "{" + std::string(lro::to_string(reason)) + " http=" +
                 (http_status ? std::to_string(*http_status) : std::string("-")) + " error=" +
                 (has_error ? error.code : std::string("-")) + " " + detail + "}";
        } else if (kind == 4) {
            s += "{" + std::string(lro::to_string(code)) + "}";
        }
        return s;
    }
};

/// An observation with owned strings.
struct owned_observation {
    lro::phase phase = lro::phase::idle;
    lro::protocol_version version = lro::protocol_version::unknown;
    std::string operation_id, status, created, monitor;
    std::optional<std::int64_t> created_unix_ms;
    std::uint32_t polls = 0, consecutive_errors = 0;
    std::int64_t elapsed_ms = 0;

    static owned_observation of(const lro::observation& o) {
        owned_observation r;
        r.phase = o.phase;
        r.version = o.version;
        r.operation_id.assign(o.operation_id);
        r.status.assign(o.status);
        r.created.assign(o.created);
        r.monitor.assign(o.monitor);
        r.created_unix_ms = o.created_unix_ms;
        r.polls = o.polls;
        r.consecutive_errors = o.consecutive_errors;
        r.elapsed_ms = o.elapsed.count();
        return r;
    }
    friend bool operator==(const owned_observation& a, const owned_observation& b) {
        return a.phase == b.phase && a.version == b.version && a.operation_id == b.operation_id &&
               a.status == b.status && a.created == b.created && a.monitor == b.monitor &&
               a.created_unix_ms == b.created_unix_ms && a.polls == b.polls &&
               a.consecutive_errors == b.consecutive_errors && a.elapsed_ms == b.elapsed_ms;
    }
    friend bool operator!=(const owned_observation& a, const owned_observation& b) { return !(a == b); }
};

/// Everything a refused input must leave alone.
struct snapshot {
    owned_observation obs;
    std::optional<owned_action> outcome;
    std::optional<owned_action> pending;
    lro::phase phase = lro::phase::idle;

    static snapshot of(const lro::operation& m) {
        snapshot s;
        s.obs = owned_observation::of(m.observe());
        if (auto o = m.outcome()) s.outcome = owned_action::of(*o);
        if (auto p = m.pending_request()) s.pending = owned_action::of(lro::action{*p});
        s.phase = m.current_phase();
        return s;
    }
    bool same_as(const snapshot& b) const {
        auto eq = [](const std::optional<owned_action>& x, const std::optional<owned_action>& y) {
            return x.has_value() == y.has_value() && (!x || x->same_as(*y));
        };
        return obs == b.obs && eq(outcome, b.outcome) && eq(pending, b.pending) && phase == b.phase;
    }
};

/// One input, as fed to the machine.
struct input {
    enum class kind { response, transport_error, cancel } what = kind::response;
    const lro::response_view* response = nullptr;
    std::optional<lro::wall_time> wall;
    lro::transport_error error = lro::transport_error::other;
    time_point now{};
};

/// Feeds the input to the machine.
inline lro::action feed(lro::operation& m, const input& in) {
    switch (in.what) {
    case input::kind::response: return m.on_response(*in.response, in.now, in.wall);
    case input::kind::transport_error: return m.on_transport_error(in.error, in.now);
    case input::kind::cancel: return m.cancel(in.now);
    }
    return m.cancel(in.now);
}

class checker {
public:
    /// `m` was just started with `method` and `submit_url` under `opts`.
    checker(const lro::options& opts, std::string_view method, std::string_view submit_url,
            std::string_view secret = {})
        : opts_(opts), method_(method), submit_url_(submit_url), secret_(secret) {
        lro::detail::parse_origin(submit_url_, submit_origin_);
        pending_url_ = submit_url_;
        pending_purpose_ = lro::purpose::submit;
        min_ = opts.min_poll_interval.count() < 0 ? 0 : opts.min_poll_interval.count();
        if (min_ > lro::detail::max_delay_ms) min_ = lro::detail::max_delay_ms;
        max_ = opts.max_poll_interval.count();
        if (max_ < min_) max_ = min_;
        if (max_ > lro::detail::max_delay_ms) max_ = lro::detail::max_delay_ms;
        errors_cap_ = opts.max_consecutive_errors < 1 ? 1u : static_cast<unsigned>(opts.max_consecutive_errors);
    }

    checker(const checker&) = delete; // submit_origin_ views submit_url_
    checker& operator=(const checker&) = delete;

    /// Checks the machine before an input; call step() after feeding it.
    void before(const lro::operation& m) { before_ = snapshot::of(m); }

    /// Checks one (input, action) pair. Returns the broken rule, or an empty string.
    std::string step(const lro::operation& m, const input& in, const lro::action& a) {
        const owned_action act = owned_action::of(a);
        const snapshot after = snapshot::of(m);
        const bool was_terminal = lro::is_terminal(before_.phase);
        if (was_terminal) {
            if (act.kind != 4 || act.code != lro::errc::terminal)
                return "P2: input after a terminal action was not refused{terminal}: " + act.describe();
        } else if (started_ && in.now < last_now_) {
            if (act.kind != 4 || act.code != lro::errc::clock_backwards)
                return "10.3: an earlier now was not refused{clock_backwards}: " + act.describe();
        }
        if (act.kind == 4) {
            if (!before_.same_as(after)) return "P2: a refused input changed the machine's state";
            if (!was_terminal && act.code == lro::errc::terminal) return "P2: refused{terminal} while running";
            return {};
        }
        // --- accepted --------------------------------------------------------------------------
        if (!started_) {
            started_ = true;
            start_ = in.now;
        }
        last_now_ = in.now;
        ++accepted_;
        if (before_.phase == lro::phase::submitting) ++in_submit_;
        if (before_.phase == lro::phase::fetching) ++in_fetch_;
        if (in_submit_ > errors_cap_) return "P1: more than max_consecutive_errors inputs while submitting";
        if (in_fetch_ > errors_cap_) return "P1: more than max_consecutive_errors inputs while fetching";
        if (opts_.max_polls && accepted_ > 2ull * errors_cap_ + *opts_.max_polls)
            return "P1: more than 2E + max_polls accepted inputs without an end";
        if (opts_.timeout && lro::detail::ms_between(start_, in.now) > opts_.timeout->count() &&
            !(in.now < start_) && act.kind == 0)
            return "P1: an input after the deadline did not end the operation: " + act.describe();

        if (in.what == input::kind::cancel) {
            if (act.kind != 3 || act.by != lro::cancel_source::client) return "cancel() did not cancel: " + act.describe();
        }
        if (act.kind == 0) {
            if (std::string e = check_request(m, in, act); !e.empty()) return e;
        } else {
            if (!after.outcome || !after.outcome->same_as(act)) return "P2: outcome() differs from the terminal action";
            if (after.pending) return "10.3: a request is outstanding after a terminal action";
            if (act.kind == 2) {
                if (std::string e = check_failed(in, act); !e.empty()) return e;
            }
            if (act.kind == 3 && in.what != input::kind::cancel && act.by == lro::cancel_source::client)
                return "canceled{client} without cancel()";
        }
        if (std::string e = check_token(m); !e.empty()) return e;
        return {};
    }

    std::uint64_t status_requests() const noexcept { return status_requests_; }
    std::uint64_t accepted() const noexcept { return accepted_; }

private:
    std::string check_request(const lro::operation& m, const input& in, const owned_action& act) {
        namespace d = lro::detail;
        const auto pend = m.pending_request();
        if (!pend || !owned_action::of(lro::action{*pend}).same_as(act))
            return "10.3: pending_request() differs from the request action";
        const lro::phase expect = act.purpose == lro::purpose::submit   ? lro::phase::submitting
                                  : act.purpose == lro::purpose::status ? lro::phase::polling
                                                                        : lro::phase::fetching;
        if (m.current_phase() != expect) return "phase does not match the request's purpose";
        // P3: where the URL comes from.
        bool known = false;
        if (act.purpose == lro::purpose::submit) {
            known = act.url == submit_url_ && pending_purpose_ == lro::purpose::submit;
            if (act.method != method_) return "P3: a resubmit changed the method";
            if (!act.same_origin) return "P3: the submit is not same_origin";
        } else {
            if (act.method != "GET") return "P3: a status or resource request is not a GET";
            if (pending_purpose_ == act.purpose && act.url == pending_url_) known = true;
            if (!known && in.what == input::kind::response) known = from_answer(*in.response, act.url);
        }
        if (!known) return "P3: a request URL that is neither the submit URL, the retried URL nor one from the answer: " + act.describe();
        // P3: origins.
        d::origin o;
        if (!d::parse_origin(act.url, o)) return "P3: a request URL that is not an absolute http(s) URL: " + act.url;
        const bool same = d::same_origin(o, submit_origin_);
        if (same != act.same_origin) return "P3: same_origin is wrong: " + act.describe();
        if (!same) {
            const bool downgrade = d::iequals(submit_origin_.scheme, "https") && d::iequals(o.scheme, "http");
            if (downgrade && !opts_.allow_insecure) return "P3: https -> http followed without allow_insecure";
            bool allowed = opts_.allow_any_origin;
            for (const std::string& e : opts_.allowed_origins) allowed = allowed || d::origin_matches(o, e);
            if (!allowed) return "P3: another origin followed without being allowed: " + act.url;
        }
        // P4: delays.
        if (d::add_ms(in.now, act.delay_ms) != act.not_before) return "P4: not_before != now + delay";
        const bool first_fetch = act.purpose == lro::purpose::resource && pending_purpose_ != lro::purpose::resource;
        if (first_fetch) {
            if (act.delay_ms != 0) return "P4: the first resource fetch has a delay (10.9)";
        } else {
            if (act.delay_ms < min_ || act.delay_ms > max_) return "P4: a delay outside [min, max]: " + act.describe();
            std::uint64_t ra = 0;
            if (in.what == input::kind::response) {
                const std::int64_t wall_ms =
                    in.wall ? std::chrono::duration_cast<std::chrono::milliseconds>(in.wall->time_since_epoch()).count() : 0;
                if (d::retry_after_ms(in.response->headers, in.wall.has_value(), wall_ms, ra)) {
                    const std::int64_t v = ra > static_cast<std::uint64_t>(max_) ? max_ : static_cast<std::int64_t>(ra);
                    const std::int64_t want = v < min_ ? min_ : v;
                    if (act.delay_ms != want)
                        return "P4: the delay is not the answer's Retry-After (clamped): want " + std::to_string(want) +
                               ", " + act.describe();
                }
            }
        }
        // P1: limits.
        if (act.purpose == lro::purpose::status) ++status_requests_;
        if (opts_.max_polls && status_requests_ > *opts_.max_polls) return "P1: more status requests than max_polls";
        if (opts_.timeout) {
            if (d::ms_between(start_, act.not_before) > opts_.timeout->count() || act.not_before < start_)
                return "P1: a request scheduled after the deadline";
        }
        pending_url_ = act.url;
        pending_purpose_ = act.purpose;
        return {};
    }

    /// Is `url` a header value or the body's resourceLocation of the answer, resolved against
    /// the URL of the request that produced it (plus add_query on the submit origin)?
    bool from_answer(const lro::response_view& r, const std::string& url) const {
        namespace d = lro::detail;
        auto matches = [&](std::string_view raw) {
            std::string out;
            if (d::resolve_url(pending_url_, d::clean_header_url(raw), max_url(), out) != d::url_error::none)
                return false;
            d::origin o;
            if (d::parse_origin(out, o) && d::same_origin(o, submit_origin_))
                for (const auto& q : opts_.add_query)
                    if (!d::has_query_param(out, q.first)) d::append_query_param(out, q.first, q.second);
            return out == url;
        };
        for (const lro::header& h : r.headers)
            if (matches(h.value)) return true;
        d::status_fields f;
        if (d::scan_status_body(r.body, f) == d::json_error::none && f.resource_location.kind == d::json_kind::string) {
            std::string s;
            if (d::unescape_json_string(f.resource_location.raw, s) && matches(s)) return true;
        }
        return false;
    }

    std::size_t max_url() const noexcept {
        return opts_.max_url_length < lro::detail::max_url_cap ? opts_.max_url_length : lro::detail::max_url_cap;
    }

    std::string check_failed(const input& in, const owned_action& act) const {
        namespace d = lro::detail;
        const bool from_answer = in.what == input::kind::response && act.reason != lro::failure_reason::timed_out;
        if (!from_answer) {
            if (act.http_status) return "P8: http_status set on a failure that no answer ended: " + act.describe();
            if (in.what == input::kind::transport_error && act.reason != lro::failure_reason::transport_error &&
                act.reason != lro::failure_reason::too_many_errors && act.reason != lro::failure_reason::timed_out)
                return "P8: a transport error failed with another reason: " + act.describe();
            return {};
        }
        const lro::response_view& r = *in.response;
        if (act.http_status != r.status) return "P8: the failed action lost the HTTP status: " + act.describe();
        // The OData error the server sent, with x-ms-error-code as the fallback code.
        lro::odata_error want;
        bool has = false;
        const std::size_t cap = opts_.max_body_bytes < d::max_body_cap ? opts_.max_body_bytes : d::max_body_cap;
        if (r.body.size() <= cap) (void)d::parse_error_body(r.body, want, has);
        if (const std::string_view* h = lro::find_header(r.headers, "x-ms-error-code")) {
            if (!has) want = lro::odata_error{};
            if (want.code.empty()) want.code.assign(d::clean_header_url(*h));
            has = has || !want.code.empty();
        }
        if (has != act.has_error) return "P8: the failed action lost (or invented) the server's error: " + act.describe();
        if (has && !(want == act.error)) return "P8: the failed action's error differs from the server's: " + act.describe();
        return {};
    }

    std::string check_token(const lro::operation& m) const {
        if (secret_.empty()) return {};
        const auto tok = m.save();
        if (!tok) return {};
        std::string_view body = *tok;
        const std::size_t dot = body.find('.');
        if (dot == std::string_view::npos) return "token without a '.'";
        std::string raw;
        if (!lro::detail::base64url_decode(body.substr(dot + 1), raw)) return "save() wrote a token it cannot decode";
        if (raw.find(secret_) == std::string::npos) return {};
        const lro::observation o = m.observe();
        auto holds = [&](std::string_view s) { return s.find(secret_) != std::string_view::npos; };
        // URLs an answer named are kept as resolved: a reference such as "#x" resolved against
        // the submit URL is the submit URL itself, query included (docs/decisions.md 26).
        if (holds(o.monitor) || holds(o.resource) || holds(o.operation_id) || holds(o.status) || holds(o.created))
            return {};
        if (auto p = m.pending_request(); p && holds(p->url)) return {};
        if (auto out = m.outcome()) {
            if (const auto* f = std::get_if<lro::failed>(&*out); f && holds(f->monitor)) return {};
        }
        return "save() leaked the submit URL's query into the token";
    }

    lro::options opts_;
    std::string method_, submit_url_, secret_;
    lro::detail::origin submit_origin_;
    std::string pending_url_;
    lro::purpose pending_purpose_ = lro::purpose::submit;
    std::int64_t min_ = 0, max_ = 0;
    unsigned errors_cap_ = 1;
    snapshot before_;
    bool started_ = false;
    time_point start_{}, last_now_{};
    std::uint64_t accepted_ = 0, in_submit_ = 0, in_fetch_ = 0, status_requests_ = 0;
};

} // namespace azmaps_lro_check

#endif
