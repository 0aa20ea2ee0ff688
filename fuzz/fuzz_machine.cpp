// fuzz_machine: the whole machine, driven by a byte stream decoded into a sequence of inputs.
//
// The first bytes choose the options, the method and the submit URL; the rest is a sequence of
// steps (a response with status, headers and body; a transport error; cancel(); a time jump,
// backwards too; save() + resume() into a twin that must then behave identically, shifted in
// time). Every step is checked against the invariants of lro_invariants.hpp (properties 1-4
// and 8), and the whole sequence is replayed on a fresh machine at the end (determinism).
// A violation prints what broke and abort()s.
#include "lro_invariants.hpp"
#include <fuzzer/FuzzedDataProvider.h> // copied from clang's resource directory (CMakeLists.txt)

#include <azmaps/lro/azure_policy.hpp>
#include <azmaps/lro/detail/token_codec.hpp>
#include <azmaps/lro/operation.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace {

namespace lro = azmaps::lro;
using namespace azmaps_lro_check;
using std::chrono::milliseconds;

constexpr const char* secret = "S3cr3tK3yZq";

/// AZMAPS_LRO_FUZZ_DEBUG=1 prints every step (to read a reproducer).
bool debug() {
    static const bool on = std::getenv("AZMAPS_LRO_FUZZ_DEBUG") != nullptr;
    return on;
}

[[noreturn]] void violation(const std::string& what, std::size_t step) {
    std::fprintf(stderr, "fuzz_machine: invariant broken at step %zu: %s\n", step, what.c_str());
    std::abort();
}

template <std::size_t N>
const char* pick(FuzzedDataProvider& in, const char* const (&table)[N]) {
    return table[in.ConsumeIntegralInRange<std::size_t>(0, N - 1)];
}

std::string random_case(FuzzedDataProvider& in, std::string s) {
    const std::uint8_t mode = in.ConsumeIntegral<std::uint8_t>();
    if (mode < 160) return s;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const bool up = ((mode >> (i % 7)) & 1) != 0;
        char& c = s[i];
        if (up && c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
        if (!up && c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    }
    return s;
}

lro::options make_options(FuzzedDataProvider& in) {
    static const std::int64_t intervals[] = {0, 1, 50, 1000, 2000, 30000, 300000, -5, INT64_MAX / 2};
    lro::options o;
    const std::uint16_t flags = in.ConsumeIntegral<std::uint16_t>();
    o.fetch_resource = (flags & 1) == 0;
    o.allow_any_origin = (flags & 2) != 0;
    o.allow_insecure = (flags & 4) != 0;
    o.resubmit_on_ambiguous = (flags & 8) != 0;
    o.jitter = (flags & 16) != 0;
    o.version = static_cast<lro::protocol_version>((flags >> 5) % 3);
    if (flags & 128) o.max_polls = in.ConsumeIntegralInRange<std::uint32_t>(0, 40);
    if (flags & 256) o.timeout = milliseconds(in.ConsumeIntegralInRange<std::int64_t>(-10, 4'000'000));
    if (flags & 512) {
        o.min_poll_interval = milliseconds(intervals[in.ConsumeIntegralInRange<int>(0, 8)]);
        o.max_poll_interval = milliseconds(intervals[in.ConsumeIntegralInRange<int>(0, 8)]);
        o.default_poll_interval = milliseconds(intervals[in.ConsumeIntegralInRange<int>(0, 8)]);
        o.backoff_base = milliseconds(intervals[in.ConsumeIntegralInRange<int>(0, 8)]);
    }
    o.max_consecutive_errors = in.ConsumeIntegralInRange<int>(-1, 7);
    if (flags & 1024) o.max_body_bytes = in.ConsumeIntegralInRange<std::size_t>(0, 300);
    if (flags & 2048) o.max_url_length = in.ConsumeIntegralInRange<std::size_t>(0, 120);
    if (flags & 4096) o.allowed_origins = {"https://eu.atlas.microsoft.com", "http://atlas.microsoft.com:80/"};
    if (flags & 8192) o.add_query = {{"api-version", "2.0"}, {"x", ""}};
    o.jitter_seed = in.ConsumeIntegral<std::uint64_t>();
    return o;
}

std::string make_url(FuzzedDataProvider& in) {
    static const char* const prefixes[] = {
        "https://atlas.microsoft.com/mapData/operations/", "https://us.atlas.microsoft.com/tilesets/",
        "https://eu.atlas.microsoft.com/x/", "http://atlas.microsoft.com/x/", "https://ATLAS.microsoft.com:443/x/",
        "https://atlas.microsoft.com:8443/", "http://atlas.microsoft.com:80/", "//atlas.microsoft.com/a/",
        "//evil.example/", "/mapData/operations/", "../", "./", "?api-version=2.0&", "#frag", "",
        "https://user:pw@atlas.microsoft.com/", "ftp://atlas.microsoft.com/", "javascript:alert(1)//",
        "\"https://atlas.microsoft.com/tileset/", " \t\"/quoted/", "https:relative/", "https://[::1]:443/",
        "https://atlas.microsoft.com/a b", "https://atlas.microsoft.com\\@evil.example/", "https://%61tlas.microsoft.com/",
        "HTTPS://Atlas.Microsoft.Com/", "https://atlas.microsoft.com./", "https://atlas.microsoft.com:0/",
        "https://atlas.microsoft.com:99999/"};
    std::string s = pick(in, prefixes);
    s += in.ConsumeRandomLengthString(40);
    if (in.ConsumeBool()) s += '"';
    return s;
}

std::string make_retry_after(FuzzedDataProvider& in) {
    static const char* const values[] = {
        "0", "1", "30", " 5 ", "\t2\t", "007", "-1", "1.5", "+3", "", "99999999999999999999999",
        "18446744073709551615", "Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT",
        "Sun Nov  6 08:49:37 1994", "Wed, 01 Jan 2025 00:00:10 GMT", "Wed, 31 Dec 9999 23:59:59 GMT",
        "Mon, 30 Feb 2024 00:00:00 GMT", "Tuesday, 31-Dec-69 23:59:59 GMT", "Sun, 06 Nov 1994 08:49:37 UTC",
        "sun, 06 nov 1994 08:49:37 gmt", "Thu Jan  1 00:00:00 1970", "Fri, 31 Dec 1999 23:59:60 GMT"};
    std::string s = pick(in, values);
    if (in.ConsumeBool()) s += in.ConsumeRandomLengthString(12);
    return s;
}

std::string make_header_name(FuzzedDataProvider& in) {
    static const char* const names[] = {"Location", "Operation-Location", "Resource-Location", "Retry-After",
                                        "retry-after-ms", "x-ms-retry-after-ms", "Date", "x-ms-error-code",
                                        "Content-Type", "Azure-AsyncOperation"};
    if (in.ConsumeIntegral<std::uint8_t>() < 8) return in.ConsumeRandomLengthString(24);
    return random_case(in, pick(in, names));
}

std::string make_header_value(FuzzedDataProvider& in, const std::string& name) {
    const std::uint8_t mode = in.ConsumeIntegral<std::uint8_t>();
    if (mode < 16) return in.ConsumeRandomLengthString(64);
    if (name.size() == 4) { // Date
        return make_retry_after(in);
    }
    if (name.find("etry") != std::string::npos || name.find("ETRY") != std::string::npos) return make_retry_after(in);
    if (name.find("rror") != std::string::npos || name.find("RROR") != std::string::npos)
        return in.ConsumeRandomLengthString(20);
    return make_url(in);
}

std::string json_string_piece(FuzzedDataProvider& in) {
    static const char* const pieces[] = {"Running", "Succeeded", "Failed", "NotStarted", "Canceled", "cancelled",
                                         "SUCCEEDED", "Succ\\u0065eded", "", "\\ud83d\\ude00", "\\uD800", "Unknown",
                                         "3/11/2020 8:45:13 PM +00:00", "2021-05-06T07:55:19.5256829+00:00"};
    std::string s = pick(in, pieces);
    if (in.ConsumeIntegral<std::uint8_t>() < 24) s += in.ConsumeRandomLengthString(16);
    return s;
}

// The examples of PROTOCOL.md section 2, verbatim.
const char* const examples[] = {
    R"({"operationId":"c587574e-add9-4ef7-9788-1635bed9a87e","createdDateTime":"3/11/2020 8:45:13 PM +00:00","status":"Running"})",
    R"({"operationId":"c587574e-add9-4ef7-9788-1635bed9a87e","createdDateTime":"3/11/2020 8:45:13 PM +00:00","status":"Succeeded","resourceLocation":"https://atlas.microsoft.com/tileset/{tileset-id}"})",
    R"({"operationId":"c587574e-add9-4ef7-9788-1635bed9a87e","created":"2021-05-06T07:55:19.5256829+00:00","status":"Succeeded"})",
    R"({"operationId":"c587574e-add9-4ef7-9788-1635bed9a87e","createdDateTime":"3/11/2020 8:45:13 PM +00:00","status":"Failed","error":{"code":"InvalidFeature","message":"The provided feature is invalid.","details":{"code":"NoGeometry","message":"No geometry was provided with the feature."}}})",
    R"({"status":"Succeeded","warning":{"code":"w"},"created":"2021-05-06T07:55:19.5256829+00:00"})",
    R"({"status":"Failed","diagnosticPackageLocation":"https://x","error":{"code":"E","innererror":{"code":null}}})",
    R"({"error":{"code":"BadRequest","message":"The request is invalid.","details":[{"code":"A","target":"t"}]}})",
    ""};

std::string make_body(FuzzedDataProvider& in) {
    const std::uint8_t mode = in.ConsumeIntegral<std::uint8_t>();
    if (mode < 40) return in.ConsumeRandomLengthString(200);
    if (mode < 90) return pick(in, examples);
    std::string b = "{";
    const int fields = in.ConsumeIntegralInRange<int>(0, 7);
    for (int i = 0; i < fields; ++i) {
        if (i) b += ',';
        switch (in.ConsumeIntegralInRange<int>(0, 10)) {
        case 0: case 1: case 2: b += "\"status\":\"" + json_string_piece(in) + "\""; break;
        case 3: b += "\"operationId\":\"" + json_string_piece(in) + "\""; break;
        case 4: b += "\"createdDateTime\":\"" + json_string_piece(in) + "\""; break;
        case 5: b += "\"created\":\"" + json_string_piece(in) + "\""; break;
        case 6: b += "\"resourceLocation\":\"" + make_url(in) + "\""; break;
        case 7:
            b += "\"error\":{\"code\":\"" + json_string_piece(in) + "\",\"message\":\"" + json_string_piece(in) +
                 "\",\"details\":" + (in.ConsumeBool() ? "[{\"code\":\"A\"},{\"code\":\"B\",\"message\":\"m\"}]" : "{\"code\":\"C\"}") +
                 ",\"innererror\":{\"code\":null,\"innererror\":{\"code\":\"Inner\"}}}";
            break;
        case 8: b += "\"status\":" + std::string(in.ConsumeBool() ? "null" : "[1,{\"a\":[]}]"); break;
        case 9:
            b += "\"properties\":{\"provisioningState\":\"" + json_string_piece(in) + "\"}";
            break;
        default: b += in.ConsumeRandomLengthString(24); break;
        }
    }
    b += "}";
    if (mode > 250) b += in.ConsumeRandomLengthString(8);
    return b;
}

/// One input with owned bytes, so the sequence can be replayed.
struct owned_input {
    input::kind what = input::kind::response;
    int status = 0;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::optional<lro::wall_time> wall;
    lro::transport_error error = lro::transport_error::other;
    std::int64_t now_ms = 0;
};

/// Calls f with the input view of one owned input, its `now` shifted by `shift_ms`.
template <class F>
auto with_input(const owned_input& oi, std::int64_t shift_ms, F&& f) {
    std::vector<lro::header> hs;
    hs.reserve(oi.headers.size());
    for (const auto& h : oi.headers) hs.push_back({h.first, h.second});
    const lro::response_view r{oi.status, lro::header_span(hs), oi.body};
    input in;
    in.what = oi.what;
    in.response = &r;
    in.wall = oi.wall;
    in.error = oi.error;
    in.now = time_point(milliseconds(oi.now_ms + shift_ms));
    return f(in);
}

constexpr std::int64_t max_ms = 9'220'000'000'000; // steady_clock and system_clock: int64 nanoseconds
constexpr std::int64_t sane_ms = 4'000'000'000'000;  // far enough from both ends for a twin's shift

template <class Op>
lro::action feed_any(Op& m, const input& in) {
    switch (in.what) {
    case input::kind::response: return m.on_response(*in.response, in.now, in.wall);
    case input::kind::transport_error: return m.on_transport_error(in.error, in.now);
    case input::kind::cancel: break;
    }
    return m.cancel(in.now);
}

/// The invariants every policy keeps (the Maps reference model in lro_invariants.hpp checks
/// creator_policy's own rules on top): one terminal action and nothing after it; refusals
/// change nothing; a request's not_before is not before its input's now; same_origin only on
/// the submit origin; no credential in a request URL, an observation, a detail or a token;
/// max_polls; a resumed twin acts the same; the same inputs give the same actions.
template <class Op>
void check_generic_step(const Op& m, const Op& before, const input& in, const lro::action& a, bool was_terminal,
                        const lro::options& opts, std::string_view submit, std::size_t step) {
    if (was_terminal) {
        const auto* r = std::get_if<lro::refused>(&a);
        if (r == nullptr || r->code != lro::errc::terminal) violation("an input after the end was not refused{terminal}", step);
    }
    if (const auto* r = std::get_if<lro::refused>(&a)) {
        if (owned_observation::of(m.observe()) != owned_observation::of(before.observe()))
            violation("a refused input changed the machine", step);
        (void)r;
    }
    if (const auto* r = std::get_if<lro::send_request>(&a)) {
        if (r->not_before < in.now) violation("not_before is before now", step);
        // The rule: no credential *parameter* in any kept URL (a service may put any text in a
        // path, the key's value included, and that is not ours to strip).
        if (lro::detail::has_credential_param(r->url, opts.credential_query_names))
            violation("a credential parameter in a request URL", step);
        lro::detail::origin o, home;
        if (!lro::detail::parse_origin(r->url, o)) violation("a request URL that is not absolute", step);
        if (!lro::detail::parse_origin(submit, home)) violation("the submit URL has no origin", step);
        if (r->same_origin && !lro::detail::same_origin(o, home)) violation("same_origin on another origin", step);
        if (opts.max_polls && m.observe().polls > *opts.max_polls) violation("more status requests than max_polls", step);
    }
    if (const auto* f = std::get_if<lro::failed>(&a))
        if (lro::detail::has_credential_param(f->monitor, opts.credential_query_names))
            violation("a credential parameter in a failure's monitor", step);
    const lro::observation ob = m.observe();
    if (lro::detail::has_credential_param(ob.monitor, opts.credential_query_names) ||
        lro::detail::has_credential_param(ob.resource, opts.credential_query_names))
        violation("a credential parameter in an observation", step);
    if (const auto tok = m.save()) {
        std::string bytes;
        if (!lro::detail::base64url_decode(std::string_view(*tok).substr(7), bytes)) violation("save() wrote a bad token", step);
        for (char& c : bytes) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
        if (bytes.find("?subscription-key=") != std::string::npos || bytes.find("&subscription-key=") != std::string::npos)
            violation("a credential parameter in a token", step);
    }
}

/// The Azure family under the fuzzer: the same input grammar (plus Azure headers and
/// provisioningState bodies), the generic invariants, resume twins and determinism.
void run_azure(FuzzedDataProvider& in, const lro::options& opts, const std::string& method, const std::string& submit,
               std::int64_t now_ms);

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider in(data, size);
    const lro::options opts = make_options(in);
    // The method byte also chooses the policy: the second half of the table is the Azure family.
    static const char* const methods[] = {"POST", "PUT", "GET", "PATCH", "DELETE", "P@ST", "",
                                          "POST", "PUT", "GET", "PATCH", "DELETE", "put", "POST"};
    const std::size_t method_index = in.ConsumeIntegralInRange<std::size_t>(0, 13);
    const std::string method = methods[method_index];
    const bool azure = method_index >= 7;
    static const char* const submits[] = {
        "https://atlas.microsoft.com/mapData/upload?api-version=2.0&subscription-key=S3cr3tK3yZq",
        "https://us.atlas.microsoft.com/tilesets?api-version=2022-09-01-preview&subscription-key=S3cr3tK3yZq",
        "http://atlas.microsoft.com:80/conversions?subscription-key=S3cr3tK3yZq",
        "https://atlas.microsoft.com:8443/a/b/c?subscription-key=S3cr3tK3yZq#frag",
        "https://ATLAS.Microsoft.com/x?subscription-key=S3cr3tK3yZq", "https://[::1]/x?subscription-key=S3cr3tK3yZq",
        "ftp://atlas.microsoft.com/x"};
    const std::string submit = pick(in, submits);
    // steady_clock counts nanoseconds in an int64: about +-9.2e12 ms; the last two bases sit near the ends.
    static const std::int64_t bases[] = {0, 1'700'000'000'000, -1'000'000, 9'200'000'000'000, -9'200'000'000'000};
    std::int64_t now_ms = bases[in.ConsumeIntegralInRange<int>(0, 4)];

    if (azure) {
        run_azure(in, opts, method, submit, now_ms);
        return 0;
    }
    auto started = lro::operation::start(method, submit, opts);
    if (debug())
        std::fprintf(stderr, "start %s %s: %s; min=%lld max=%lld default=%lld backoff=%lld errors=%d polls=%d timeout=%lld fetch=%d any=%d insecure=%d ver=%d body=%zu url=%zu\n",
                     method.c_str(), submit.c_str(), started ? "ok" : "refused",
                     static_cast<long long>(opts.min_poll_interval.count()), static_cast<long long>(opts.max_poll_interval.count()),
                     static_cast<long long>(opts.default_poll_interval.count()), static_cast<long long>(opts.backoff_base.count()),
                     opts.max_consecutive_errors, opts.max_polls ? static_cast<int>(*opts.max_polls) : -1,
                     opts.timeout ? static_cast<long long>(opts.timeout->count()) : -1LL, opts.fetch_resource, opts.allow_any_origin,
                     opts.allow_insecure, static_cast<int>(opts.version), opts.max_body_bytes, opts.max_url_length);
    if (!started) return 0;
    lro::operation m = std::move(*started);
    const lro::operation pristine = m;
    // The machine keeps (and sends) the submit URL without its credential (docs/decisions.md 26):
    // every submit above carries exactly "?subscription-key=<secret>" as its whole query.
    std::string kept_submit = submit;
    if (const std::size_t q = kept_submit.find(std::string("?subscription-key=") + secret); q != std::string::npos)
        kept_submit.erase(q, std::string("?subscription-key=").size() + std::strlen(secret));
    checker chk(opts, method, kept_submit, secret);

    std::vector<owned_input> log;
    std::vector<owned_action> actions;
    std::optional<lro::operation> twin;
    std::int64_t shift_ms = 0;
    bool twin_ok = true; // false once a time point could saturate
    std::int64_t last_accepted_ms = now_ms;

    for (std::size_t step = 0; step < 48 && in.remaining_bytes() > 0; ++step) {
        const int op = in.ConsumeIntegralInRange<int>(0, 15);
        // Time: honour the delay, a small step, nothing, a huge jump, or backwards.
        const int t = in.ConsumeIntegralInRange<int>(0, 7);
        if (t <= 2) {
            if (auto p = m.pending_request()) now_ms = std::chrono::duration_cast<milliseconds>(p->not_before.time_since_epoch()).count();
        } else if (t == 3) {
            now_ms += in.ConsumeIntegralInRange<std::int64_t>(0, 600'000);
        } else if (t == 5) {
            now_ms += in.ConsumeIntegralInRange<std::int64_t>(0, max_ms);
        } else if (t == 6) {
            now_ms -= in.ConsumeIntegralInRange<std::int64_t>(0, 100'000);
        }
        if (now_ms > max_ms) now_ms = max_ms;
        if (now_ms < -max_ms) now_ms = -max_ms;

        if (op == 15) { // save() + resume() into a twin
            if (lro::is_terminal(m.current_phase())) continue; // a timed_out token starts afresh
            const auto tok = m.save();
            if (!tok) continue;
            const std::int64_t shift = in.ConsumeIntegralInRange<std::int64_t>(-1'000'000'000'000, 1'000'000'000'000);
            const std::int64_t at = last_accepted_ms + shift;
            // Keep time points in range: the twin's start (at - elapsed) saturates at the clock's
            // minimum otherwise, and its token then records a shorter elapsed time.
            const std::int64_t elapsed = m.observe().elapsed.count();
            if (std::abs(at) >= sane_ms || std::abs(now_ms) >= sane_ms || at - elapsed <= -max_ms) continue;
            auto resumed = lro::operation::resume(*tok, opts, time_point(milliseconds(at)), submit);
            if (debug()) std::fprintf(stderr, "[%zu] save+resume at %lld: %s\n", step, static_cast<long long>(at), tok->c_str());
            if (!resumed) violation("resume(save()) refused its own token: " + std::string(lro::to_string(resumed.error())), step);
            const auto again = resumed->save();
            if (!again || *again != *tok) violation("save(resume(token)) != token", step);
            twin = std::move(*resumed);
            shift_ms = shift;
            twin_ok = true;
            if (twin_ok && lro::is_terminal(m.current_phase()) == false) {
                auto a = owned_observation::of(m.observe());
                auto b = owned_observation::of(twin->observe());
                if (a != b) violation("a resumed machine observes differently", step);
            }
            continue;
        }

        owned_input oi;
        oi.now_ms = now_ms;
        if (op == 13) {
            oi.what = input::kind::cancel;
        } else if (op == 12 || op == 11) {
            oi.what = input::kind::transport_error;
            oi.error = static_cast<lro::transport_error>(in.ConsumeIntegralInRange<int>(0, 3));
        } else {
            static const int codes[] = {200, 200, 200, 201, 202, 202, 400, 401, 403, 404, 408, 410, 429,
                                        500, 502, 503, 504, 204, 299, 300, 0, -1, 999};
            oi.status = in.ConsumeIntegral<std::uint8_t>() < 240 ? codes[in.ConsumeIntegralInRange<int>(0, 22)]
                                                                 : in.ConsumeIntegral<int>();
            const int nh = in.ConsumeIntegralInRange<int>(0, 6);
            for (int i = 0; i < nh; ++i) {
                std::string name = make_header_name(in);
                std::string value = make_header_value(in, name);
                oi.headers.emplace_back(std::move(name), std::move(value));
            }
            oi.body = make_body(in);
            const std::uint8_t w = in.ConsumeIntegral<std::uint8_t>();
            if (w >= 128)
                oi.wall = lro::wall_time(std::chrono::duration_cast<lro::wall_time::duration>(
                    milliseconds(w >= 250 ? in.ConsumeIntegralInRange<std::int64_t>(-max_ms, max_ms)
                                          : 784'111'700'000 + in.ConsumeIntegralInRange<std::int64_t>(0, 2'000'000'000'000))));
        }

        const std::string err = with_input(oi, 0, [&](const input& x) {
            chk.before(m);
            const lro::action a = feed(m, x);
            actions.push_back(owned_action::of(a));
            return chk.step(m, x, a);
        });
        if (debug()) {
            std::fprintf(stderr, "[%zu] now=%lld kind=%d status=%d body=%s\n", step, static_cast<long long>(oi.now_ms),
                         static_cast<int>(oi.what), oi.status, oi.body.c_str());
            for (const auto& h : oi.headers) std::fprintf(stderr, "      %s: %s\n", h.first.c_str(), h.second.c_str());
            std::fprintf(stderr, "   -> %s\n", actions.back().describe().c_str());
        }
        if (!err.empty()) violation(err, step);
        if (actions.back().kind != 4) last_accepted_ms = now_ms;
        if (twin && twin_ok && std::abs(now_ms + shift_ms) < sane_ms) {
            const owned_action b = with_input(oi, shift_ms, [&](const input& x) { return owned_action::of(feed(*twin, x)); });
            if (!actions.back().same_as(b, milliseconds(shift_ms)))
                violation("the resumed twin acted differently: " + actions.back().describe() + " vs " + b.describe(), step);
            if (owned_observation::of(m.observe()) != owned_observation::of(twin->observe()))
                violation("the resumed twin observes differently", step);
        } else {
            twin.reset();
        }
        log.push_back(std::move(oi));
    }

    // Determinism: the same inputs give the same actions.
    lro::operation again = pristine;
    for (std::size_t i = 0; i < log.size(); ++i) {
        const owned_action b = with_input(log[i], 0, [&](const input& x) { return owned_action::of(feed(again, x)); });
        if (!actions[i].same_as(b)) violation("not deterministic: " + actions[i].describe() + " vs " + b.describe(), i);
    }
    return 0;
}

namespace {

void run_azure(FuzzedDataProvider& in, const lro::options& base, const std::string& method, const std::string& submit,
               std::int64_t now_ms) {
    lro::options opts = base;
    const std::uint8_t f = in.ConsumeIntegral<std::uint8_t>();
    opts.final_state_via = static_cast<lro::final_state>(f % 5);
    if (f & 8) opts.result_member = "result";
    opts.resubmit_idempotent = (f & 16) == 0;
    if (f & 32) opts.succeeded_words = {"Success"};
    if (f & 64) opts.canceled_words = {"Stopped"};
    auto started = lro::azure_operation::start(method, submit, opts);
    if (!started) return;
    lro::azure_operation m = std::move(*started);
    const lro::azure_operation pristine = m;
    std::vector<owned_input> log;
    std::vector<owned_action> actions;
    std::optional<lro::azure_operation> twin;
    std::int64_t shift_ms = 0;
    std::int64_t last_accepted_ms = now_ms;
    bool ended = false;
    for (std::size_t step = 0; step < 48 && in.remaining_bytes() > 0; ++step) {
        const int op = in.ConsumeIntegralInRange<int>(0, 15);
        const int t = in.ConsumeIntegralInRange<int>(0, 5);
        if (t <= 2) {
            if (auto p = m.pending_request()) now_ms = std::chrono::duration_cast<milliseconds>(p->not_before.time_since_epoch()).count();
        } else if (t == 3) {
            now_ms += in.ConsumeIntegralInRange<std::int64_t>(0, 600'000);
        } else if (t == 4) {
            now_ms -= in.ConsumeIntegralInRange<std::int64_t>(0, 100'000);
        }
        if (now_ms > sane_ms) now_ms = sane_ms;
        if (now_ms < -sane_ms) now_ms = -sane_ms;
        if (op == 15) {
            if (m.done()) continue;
            const auto tok = m.save();
            if (!tok) continue;
            const std::int64_t shift = in.ConsumeIntegralInRange<std::int64_t>(-1'000'000'000, 1'000'000'000);
            auto resumed = lro::azure_operation::resume(*tok, opts, time_point(milliseconds(last_accepted_ms + shift)), submit);
            if (!resumed) violation("azure: resume(save()) refused its own token: " + std::string(lro::to_string(resumed.error())), step);
            const auto again = resumed->save();
            if (!again || *again != *tok) violation("azure: save(resume(token)) != token", step);
            twin = std::move(*resumed);
            shift_ms = shift;
            continue;
        }
        owned_input oi;
        oi.now_ms = now_ms;
        if (op == 13) {
            oi.what = input::kind::cancel;
        } else if (op == 12 || op == 11) {
            oi.what = input::kind::transport_error;
            oi.error = static_cast<lro::transport_error>(in.ConsumeIntegralInRange<int>(0, 3));
        } else {
            static const int codes[] = {200, 200, 201, 202, 202, 204, 400, 404, 408, 429, 500, 502, 503, 504, 203, 0};
            oi.status = codes[in.ConsumeIntegralInRange<int>(0, 15)];
            const int nh = in.ConsumeIntegralInRange<int>(0, 5);
            for (int i = 0; i < nh; ++i) {
                std::string name = make_header_name(in);
                std::string value = make_header_value(in, name);
                oi.headers.emplace_back(std::move(name), std::move(value));
            }
            oi.body = make_body(in);
        }
        const bool was_terminal = ended;
        with_input(oi, 0, [&](const input& x) {
            const lro::azure_operation before = m;
            const lro::action a = feed_any(m, x);
            actions.push_back(owned_action::of(a));
            check_generic_step(m, before, x, a, was_terminal, opts, submit, step);
            if (lro::is_terminal(a)) {
                if (ended) violation("azure: a second terminal action", step);
                ended = true;
            }
            if (!std::holds_alternative<lro::refused>(a)) last_accepted_ms = now_ms;
            return 0;
        });
        if (twin) {
            const owned_action b = with_input(oi, shift_ms, [&](const input& x) { return owned_action::of(feed_any(*twin, x)); });
            if (!actions.back().same_as(b, milliseconds(shift_ms)))
                violation("azure: the resumed twin acted differently: " + actions.back().describe() + " vs " + b.describe(), step);
        }
        log.push_back(std::move(oi));
    }
    lro::azure_operation again = pristine;
    for (std::size_t i = 0; i < log.size(); ++i) {
        const owned_action b = with_input(log[i], 0, [&](const input& x) { return owned_action::of(feed_any(again, x)); });
        if (!actions[i].same_as(b)) violation("azure: not deterministic: " + actions[i].describe() + " vs " + b.describe(), i);
    }
}

} // namespace
