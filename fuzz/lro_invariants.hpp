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
//
// The expected Retry-After delays, resolved URLs and OData errors come from the reference
// models in namespace `ref` below, written from PROTOCOL.md, RFC 3986 and RFC 9110, never from
// the library's retry_after_ms, resolve_url or parse_error_body (a check that calls the code
// under test cannot catch a bug in it). The OData error model reads the body with nlohmann::json
// (header-only, tests and fuzzers only), minding its quirks (json_property_test.cpp).
#ifndef AZMAPS_LRO_FUZZ_INVARIANTS_HPP
#define AZMAPS_LRO_FUZZ_INVARIANTS_HPP

#include <azmaps/lro/operation.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace azmaps_lro_check {

namespace lro = azmaps::lro;
using lro::time_point;

/// Reference models: independent of the library's parsers (see the top of this file).
namespace ref {

inline char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }
inline bool iequal(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i])) return false;
    return true;
}
inline std::string_view trim(std::string_view v) { // HTTP OWS: spaces and tabs
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
    return v;
}
/// PROTOCOL.md 10.11: trimmed, then one pair of surrounding double quotes dropped.
inline std::string_view unquote(std::string_view v) {
    v = trim(v);
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    return v;
}
inline const std::string_view* first(lro::header_span hs, std::string_view name) {
    for (const lro::header& h : hs)
        if (iequal(h.name, name)) return &h.value;
    return nullptr;
}
/// 1*DIGIT, saturating at UINT64_MAX; nullopt when empty or not all digits.
inline std::optional<std::uint64_t> digits(std::string_view v) {
    if (v.empty()) return std::nullopt;
    std::uint64_t r = 0;
    bool saturated = false;
    for (char c : v) {
        if (c < '0' || c > '9') return std::nullopt;
        const auto d = static_cast<std::uint64_t>(c - '0');
        if (r > (UINT64_MAX - d) / 10) saturated = true;
        else r = r * 10 + d;
    }
    return saturated ? UINT64_MAX : r;
}

/// HTTP-dates the generators write, worked out by hand (Unix seconds; nullopt: not a date:
/// impossible day, second 60, another zone, names in the wrong case). Two-digit rfc850 years
/// and anything else are left to `unknown`.
struct known_date {
    const char* text;
    std::optional<std::int64_t> unix_s;
};
inline const known_date known_dates[] = {
    {"Sun, 06 Nov 1994 08:49:37 GMT", 784111777}, {"Sun Nov  6 08:49:37 1994", 784111777},
    {"Wed, 01 Jan 2025 00:00:10 GMT", 1735689610}, {"Wed, 31 Dec 9999 23:59:59 GMT", 253402300799},
    {"Thu Jan  1 00:00:00 1970", 0},                {"Mon, 30 Feb 2024 00:00:00 GMT", std::nullopt},
    {"Sun, 06 Nov 1994 08:49:37 UTC", std::nullopt}, {"sun, 06 nov 1994 08:49:37 gmt", std::nullopt},
    {"Fri, 31 Dec 1999 23:59:60 GMT", std::nullopt}};

/// A value the model knows, knows to be unusable, or cannot tell.
struct verdict {
    enum { value, unusable, unknown } is = unknown;
    std::uint64_t v = 0;
};

/// An HTTP-date (trimmed): every form is at least 24 bytes long ("Sun Nov  6 08:49:37 1994").
inline verdict date(std::string_view t) {
    for (const known_date& k : known_dates)
        if (t == k.text) return k.unix_s ? verdict{verdict::value, static_cast<std::uint64_t>(*k.unix_s)} : verdict{verdict::unusable, 0};
    if (t.size() < 24) return {verdict::unusable, 0};
    return {};
}

/// PROTOCOL.md 7 / 10.7 / 10.8: the delay (ms) of the first usable of retry-after-ms,
/// x-ms-retry-after-ms and Retry-After (first occurrence of each name; spaces and tabs
/// trimmed; delay-seconds * 1000 and numbers saturating; an HTTP-date against the Date header,
/// else the wall clock, a date at or before it giving 0).
inline verdict retry_after(lro::header_span hs, std::optional<std::int64_t> wall_ms) {
    for (const char* name : {"retry-after-ms", "x-ms-retry-after-ms"})
        if (const std::string_view* v = first(hs, name))
            if (auto n = digits(trim(*v))) return {verdict::value, *n};
    const std::string_view* ra = first(hs, "retry-after");
    if (!ra) return {verdict::unusable, 0};
    const std::string_view t = trim(*ra);
    if (t.empty()) return {verdict::unusable, 0};
    if (t[0] >= '0' && t[0] <= '9') {
        const auto n = digits(t);
        if (!n) return {verdict::unusable, 0};
        return {verdict::value, *n > UINT64_MAX / 1000 ? UINT64_MAX : *n * 1000};
    }
    const verdict at = date(t);
    if (at.is != verdict::value) return at;
    const auto at_ms = static_cast<std::int64_t>(at.v) * 1000;
    std::int64_t ref_ms = 0;
    const std::string_view* dh = first(hs, "date");
    const verdict dv = dh ? date(trim(*dh)) : verdict{verdict::unusable, 0};
    if (dv.is == verdict::unknown) return {};
    if (dv.is == verdict::value) ref_ms = static_cast<std::int64_t>(dv.v) * 1000;
    else if (wall_ms) ref_ms = *wall_ms;
    else return {verdict::unusable, 0};
    return {verdict::value, at_ms <= ref_ms ? 0u : static_cast<std::uint64_t>(at_ms - ref_ms)};
}

/// RFC 3986 5.2.4.
inline std::string remove_dots(std::string in) {
    std::string out;
    while (!in.empty()) {
        if (in.rfind("../", 0) == 0) in.erase(0, 3);
        else if (in.rfind("./", 0) == 0) in.erase(0, 2);
        else if (in.rfind("/./", 0) == 0) in.erase(0, 2);
        else if (in == "/.") in = "/";
        else if (in.rfind("/../", 0) == 0 || in == "/..") {
            in = in == "/.." ? "/" : in.substr(3);
            const std::size_t cut = out.rfind('/');
            out.erase(cut == std::string::npos ? 0 : cut);
        } else if (in == "." || in == "..") in.clear();
        else {
            const std::size_t next = in.find('/', 1);
            out += in.substr(0, next);
            in.erase(0, next == std::string::npos ? in.size() : next);
        }
    }
    return out;
}

/// RFC 3986 Appendix B, refusing a ':' before any '/', '?', '#' that follows no valid scheme
/// (section 4.2: such text is neither a URI nor a relative reference).
struct uri {
    std::optional<std::string> scheme, authority, query, fragment;
    std::string path;
};
inline std::optional<uri> split(std::string_view s) {
    uri u;
    const std::size_t colon = s.find(':'), stop = s.find_first_of("/?#");
    if (colon != std::string_view::npos && colon < stop) {
        const std::string_view sc = s.substr(0, colon);
        bool ok = !sc.empty() && ((sc[0] | 32) >= 'a' && (sc[0] | 32) <= 'z');
        for (char c : sc)
            ok = ok && (((c | 32) >= 'a' && (c | 32) <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.');
        if (!ok) return std::nullopt;
        u.scheme = std::string(sc);
        s.remove_prefix(colon + 1);
    }
    if (const std::size_t h = s.find('#'); h != std::string_view::npos) {
        u.fragment = std::string(s.substr(h + 1));
        s = s.substr(0, h);
    }
    if (const std::size_t q = s.find('?'); q != std::string_view::npos) {
        u.query = std::string(s.substr(q + 1));
        s = s.substr(0, q);
    }
    if (s.rfind("//", 0) == 0) {
        const std::size_t end = s.find('/', 2);
        u.authority = std::string(s.substr(2, end == std::string_view::npos ? std::string_view::npos : end - 2));
        s = end == std::string_view::npos ? std::string_view{} : s.substr(end);
    }
    u.path = std::string(s);
    return u;
}
/// RFC 3986 5.2.2 (strict) and 5.3.
inline std::optional<std::string> resolve(std::string_view base_text, std::string_view ref_text) {
    const auto b = split(base_text), r = split(ref_text);
    if (!b || !r) return std::nullopt;
    uri t;
    if (r->scheme) {
        t = *r;
        t.path = remove_dots(r->path);
    } else {
        if (r->authority) {
            t.authority = r->authority, t.path = remove_dots(r->path), t.query = r->query;
        } else {
            if (r->path.empty()) {
                t.path = b->path;
                t.query = r->query ? r->query : b->query;
            } else {
                if (r->path[0] == '/') t.path = remove_dots(r->path);
                else if (b->authority && b->path.empty()) t.path = remove_dots("/" + r->path);
                else {
                    const std::size_t slash = b->path.rfind('/');
                    t.path = remove_dots((slash == std::string::npos ? std::string() : b->path.substr(0, slash + 1)) + r->path);
                }
                t.query = r->query;
            }
            t.authority = b->authority;
        }
        t.scheme = b->scheme;
        t.fragment = r->fragment;
    }
    std::string out;
    if (t.scheme) out += *t.scheme + ":";
    if (t.authority) out += "//" + *t.authority;
    out += t.path;
    if (t.query) out += "?" + *t.query;
    if (t.fragment) out += "#" + *t.fragment;
    return out;
}

/// PROTOCOL.md 6 / 10.15: the OData error of a body, read by nlohmann with its quirks minded:
/// nullopt when the body is no JSON object of depth <= 64 (a NUL after the value, which
/// nlohmann takes for the end of input, and a byte order mark, which it skips, make the body
/// unparsable) or has no "error" object.
inline int depth_of(const nlohmann::json& v) {
    if (!v.is_structured()) return 0;
    int m = 0;
    for (const auto& x : v) m = std::max(m, depth_of(x));
    return m + 1;
}
inline std::optional<lro::odata_error> odata(std::string_view body) {
    using nlohmann::json;
    if (body.find('\0') != std::string_view::npos || body.rfind("\xEF\xBB\xBF", 0) == 0) return std::nullopt;
    const json j = json::parse(body.begin(), body.end(), nullptr, false);
    if (j.is_discarded() || !j.is_object() || depth_of(j) > 64) return std::nullopt;
    const auto e = j.find("error");
    if (e == j.end() || !e->is_object()) return std::nullopt;
    auto str = [](const json& o, const char* k) {
        const auto it = o.find(k);
        return it != o.end() && it->is_string() ? it->template get<std::string>() : std::string();
    };
    // FAMILY.md 4.5: a numeric code is kept as its JSON text (compared with ref::same_error()).
    auto code = [&](const json& o) {
        const auto it = o.find("code");
        return it != o.end() && it->is_number() ? it->dump() : str(o, "code");
    };
    lro::odata_error r;
    r.code = code(*e);
    r.message = str(*e, "message");
    r.target = str(*e, "target");
    if (const auto it = e->find("details"); it != e->end()) {
        auto one = [&](const json& x) {
            if (x.is_object()) r.details.push_back({code(x), str(x, "message"), str(x, "target")});
        };
        if (it->is_object()) one(*it);
        else if (it->is_array())
            for (const json& x : *it) one(x);
    }
    const json* inner = e->contains("innererror") ? &(*e)["innererror"] : nullptr;
    for (int links = 0; links < lro::detail::max_innererror_links && inner && inner->is_object(); ++links) {
        if (const auto it = inner->find("code"); it != inner->end() && it->is_string()) r.innererror.push_back(it->template get<std::string>());
        inner = inner->contains("innererror") ? &(*inner)["innererror"] : nullptr;
    }
    return r;
}

/// A code as the reference writes it: a JSON number's text in nlohmann's spelling ("1e3" and
/// "1000" are both 1000.0 or 1000), any other text as it is.
inline std::string norm_code(const std::string& c) {
    if (c.empty() || !(c[0] == '-' || (c[0] >= '0' && c[0] <= '9'))) return c;
    const nlohmann::json j = nlohmann::json::parse(c, nullptr, false);
    return !j.is_discarded() && j.is_number() ? j.dump() : c;
}
/// The library's error equals the reference's, numeric codes compared as numbers.
inline bool same_error(lro::odata_error got, lro::odata_error want) {
    got.code = norm_code(got.code), want.code = norm_code(want.code);
    for (auto& x : got.details) x.code = norm_code(x.code);
    for (auto& x : want.details) x.code = norm_code(x.code);
    return got == want;
}

} // namespace ref

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
        // Past the deadline in clock ticks (a sub-millisecond excess counts); the tick difference
        // is taken only when the millisecond one is at the limit (no overflow).
        const std::int64_t elapsed_ms = lro::detail::ms_between(start_, in.now);
        const bool past_deadline = opts_.timeout && (elapsed_ms > opts_.timeout->count() ||
                                                     (elapsed_ms == opts_.timeout->count() && in.now - start_ > *opts_.timeout));
        if (past_deadline && !(in.now < start_) && act.kind == 0)
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
            const std::string plain = lro::detail::has_credential_param(submit_url_, opts_.credential_query_names)
                                          ? lro::detail::without_credential_params(submit_url_, opts_.credential_query_names)
                                          : submit_url_;
            known = (act.url == submit_url_ || act.url == plain) && pending_purpose_ == lro::purpose::submit;
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
            if (in.what == input::kind::response) {
                std::optional<std::int64_t> wall_ms;
                if (in.wall) wall_ms = std::chrono::duration_cast<std::chrono::milliseconds>(in.wall->time_since_epoch()).count();
                const ref::verdict ra = ref::retry_after(in.response->headers, wall_ms);
                if (ra.is == ref::verdict::value) {
                    const std::int64_t v = ra.v > static_cast<std::uint64_t>(max_) ? max_ : static_cast<std::int64_t>(ra.v);
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
            const std::string_view cleaned = ref::unquote(raw);
            if (cleaned.empty()) return false;
            auto resolved = ref::resolve(pending_url_, cleaned);
            if (!resolved) return false;
            std::string out = std::move(*resolved);
            // Credential query parameters never leave the machine (options::credential_query_names).
            if (d::has_credential_param(out, opts_.credential_query_names))
                out = d::without_credential_params(out, opts_.credential_query_names);
            d::origin o;
            if (d::parse_origin(out, o) && d::same_origin(o, submit_origin_))
                for (const auto& q : opts_.add_query)
                    if (!d::has_query_param(out, q.first)) d::append_query_param(out, q.first, q.second);
            return out == url;
        };
        for (const lro::header& h : r.headers)
            if (matches(h.value)) return true;
        // The body's resourceLocation, read by nlohmann (a body the scanner refuses names no URL).
        if (r.body.find('\0') == std::string_view::npos) {
            const nlohmann::json j = nlohmann::json::parse(r.body.begin(), r.body.end(), nullptr, false);
            if (!j.is_discarded() && j.is_object())
                if (const auto it = j.find("resourceLocation"); it != j.end() && it->is_string())
                    if (matches(it->template get<std::string>())) return true;
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
        if (r.body.size() <= cap) {
            if (auto e = ref::odata(r.body)) want = std::move(*e), has = true;
        }
        if (const std::string_view* h = ref::first(r.headers, "x-ms-error-code")) {
            if (want.code.empty()) want.code.assign(ref::unquote(*h));
            has = has || !want.code.empty();
        }
        if (has != act.has_error) return "P8: the failed action lost (or invented) the server's error: " + act.describe();
        if (has && !ref::same_error(act.error, want)) return "P8: the failed action's error differs from the server's: " + act.describe();
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
