// Properties that hold for every policy (creator_policy and azure_policy) on any exchange of
// family-flavoured answers: methods, codes, the three monitor headers (absolute, relative,
// foreign, carrying credentials), status words and provisioningStates, garbage, transport
// errors, cancels, and time that advances in sub-millisecond steps.
//   - exactly one terminal action, and every later input is refused{terminal};
//   - a request's not_before is never before the `now` of the input that asked for it, and its
//     delay never exceeds max_poll_interval;
//   - same_origin is true only for URLs on the submit origin, and no emitted URL, observation,
//     detail or token holds a credential;
//   - status requests never pass max_polls;
//   - the same inputs give the same actions (determinism);
//   - resume(save()) continues exactly as the original would;
//   - every error budget the options accept ends an operation that keeps failing.
#include <azmaps/lro.hpp>
#include <azmaps/lro/azure_policy.hpp>
#include <azmaps/lro/detail/token_codec.hpp>
#include <azmaps/lro/detail/url.hpp>

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace lro = azmaps::lro;
using std::chrono::microseconds;
using std::chrono::milliseconds;

namespace {

constexpr const char* secret = "S3CR3T";
const std::string home = "https://management.azure.com";

struct input {
    int kind = 0; // 0 response, 1 transport error, 2 cancel
    int code = 200;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::int64_t advance_us = 0;
};

rc::Gen<std::string> gen_url() {
    return rc::gen::element<std::string>(
        home + "/ops/1?api-version=1", home + "/ops/2", "/ops/3?subscription-key=" + std::string(secret), "ops/4",
        "#frag", "https://evil.example/ops/5", "http://management.azure.com/ops/6", "",
        home + "/ops/7?SUBSCRIPTION-KEY=" + std::string(secret) + "&a=1", "\"" + home + "/ops/8\"");
}

rc::Gen<std::string> gen_word() {
    return rc::gen::element<std::string>("Succeeded", "succeeded", "Completed", "Failed", "Canceled", "Cancelled",
                                         "Running", "InProgress", "NotStarted", "Creating", "", "Weird");
}

rc::Gen<std::string> gen_body() {
    return rc::gen::oneOf(
        rc::gen::map(gen_word(), [](const std::string& w) { return R"({"status":")" + w + R"("})"; }),
        rc::gen::map(gen_word(), [](const std::string& w) { return R"({"properties":{"provisioningState":")" + w + R"("}})"; }),
        rc::gen::map(gen_word(), [](const std::string& w) {
            return R"({"status":")" + w + R"(","error":{"code":500,"message":"m"},"resourceLocation":"/r/1","result":{"x":1}})";
        }),
        rc::gen::element<std::string>("", "{}", "[]", "{not json", "\"text\"", R"({"status":null})", R"({"status":1})"),
        rc::gen::string<std::string>());
}

rc::Gen<input> gen_input() {
    return rc::gen::apply(
        [](int kind, int code, std::vector<std::pair<std::string, std::string>> headers, std::string body, std::int64_t adv) {
            input in;
            in.kind = kind < 8 ? 0 : kind < 9 ? 1 : 2;
            in.code = code;
            in.headers = std::move(headers);
            in.body = std::move(body);
            in.advance_us = adv;
            return in;
        },
        rc::gen::inRange(0, 10),
        rc::gen::element(200, 200, 201, 202, 202, 204, 400, 404, 408, 429, 500, 502, 503, 504, 203),
        rc::gen::container<std::vector<std::pair<std::string, std::string>>>(rc::gen::oneOf(
            rc::gen::pair(rc::gen::element<std::string>("Operation-Location", "Azure-AsyncOperation", "Location",
                                                        "Resource-Location"),
                          gen_url()),
            rc::gen::pair(rc::gen::element<std::string>("Retry-After", "retry-after-ms"),
                          rc::gen::element<std::string>("0", "1", "3", "bogus", "120")),
            rc::gen::pair(rc::gen::just<std::string>("x-ms-error-code"), rc::gen::element<std::string>("Busy", "500", "")))),
        gen_body(), rc::gen::inRange<std::int64_t>(0, 5'000'000));
}

struct owned_action {
    int index = -1;
    std::string a, b;
    std::int64_t n = 0, m = 0;
    bool flag = false;
    friend bool operator==(const owned_action& x, const owned_action& y) {
        return x.index == y.index && x.a == y.a && x.b == y.b && x.n == y.n && x.m == y.m && x.flag == y.flag;
    }
};

owned_action own(const lro::action& act) {
    owned_action o;
    o.index = static_cast<int>(act.index());
    if (const auto* r = std::get_if<lro::send_request>(&act)) {
        o.a = std::string(r->method) + " " + std::string(r->url);
        o.n = r->delay.count();
        o.m = static_cast<std::int64_t>(r->purpose);
        o.flag = r->same_origin;
    } else if (const auto* s = std::get_if<lro::succeeded>(&act)) {
        o.a = std::string(s->resource_location);
        o.b = std::string(s->result_member);
        o.n = static_cast<std::int64_t>(s->source);
    } else if (const auto* f = std::get_if<lro::failed>(&act)) {
        o.a = std::string(f->detail);
        o.b = std::string(f->monitor);
        o.n = static_cast<std::int64_t>(f->reason);
        o.m = f->http_status.value_or(-1);
    } else if (const auto* c = std::get_if<lro::canceled>(&act)) {
        o.n = static_cast<std::int64_t>(c->by);
    } else if (const auto* x = std::get_if<lro::refused>(&act)) {
        o.n = static_cast<std::int64_t>(x->code);
    }
    return o;
}

lro::options gen_options() {
    lro::options o;
    o.max_consecutive_errors = *rc::gen::inRange(1, 8);
    if (*rc::gen::arbitrary<bool>()) o.max_polls = *rc::gen::inRange<std::uint32_t>(0, 12);
    if (*rc::gen::arbitrary<bool>()) o.timeout = milliseconds(*rc::gen::inRange<std::int64_t>(0, 60'000));
    o.max_poll_interval = milliseconds(*rc::gen::inRange<std::int64_t>(0, 400'000));
    o.default_poll_interval = milliseconds(*rc::gen::inRange<std::int64_t>(0, 5'000));
    o.final_state_via = static_cast<lro::final_state>(*rc::gen::inRange(0, 5));
    if (*rc::gen::arbitrary<bool>()) o.result_member = "result";
    o.resubmit_on_ambiguous = *rc::gen::arbitrary<bool>();
    o.resubmit_idempotent = *rc::gen::arbitrary<bool>();
    o.fetch_resource = *rc::gen::inRange(0, 4) != 0;
    if (*rc::gen::arbitrary<bool>()) o.add_query = {{"api-version", "2"}};
    return o;
}

/// A token's decoded bytes (the credential would show there in clear, not in the base64 text).
std::string token_bytes(const std::string& token) {
    std::string framed;
    RC_ASSERT(lro::detail::base64url_decode(std::string_view(token).substr(7), framed));
    return framed;
}

template <class Op>
std::vector<owned_action> drive(Op& m, const std::vector<input>& inputs, std::int64_t& now_us, std::size_t* terminal_at) {
    std::vector<owned_action> out;
    bool ended = false;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        const input& in = inputs[i];
        now_us += in.advance_us;
        const lro::time_point now{microseconds(now_us)};
        std::vector<lro::header> hs;
        for (const auto& h : in.headers) hs.push_back({h.first, h.second});
        const lro::action a = in.kind == 0   ? m.on_response({in.code, hs, in.body}, now)
                            : in.kind == 1 ? m.on_transport_error(lro::transport_error::connection_reset, now)
                                           : m.cancel(now);
        if (ended) RC_ASSERT(std::get<lro::refused>(a).code == lro::errc::terminal);
        if (lro::is_terminal(a)) {
            ended = true;
            if (terminal_at != nullptr && *terminal_at == SIZE_MAX) *terminal_at = i;
        }
        if (const auto* r = std::get_if<lro::send_request>(&a)) {
            RC_ASSERT(r->not_before >= now);
            RC_ASSERT(r->delay.count() >= 0);
            RC_ASSERT(r->delay <= std::max(m.config().max_poll_interval, m.config().min_poll_interval) ||
                      r->delay.count() == 0);
            RC_ASSERT(r->url.find(secret) == std::string_view::npos);
            lro::detail::origin o, h;
            RC_ASSERT(lro::detail::parse_origin(r->url, o));
            RC_ASSERT(lro::detail::parse_origin(home, h));
            if (r->same_origin) RC_ASSERT(lro::detail::same_origin(o, h));
            if (m.config().max_polls) RC_ASSERT(m.observe().polls <= *m.config().max_polls);
        }
        if (const auto* f = std::get_if<lro::failed>(&a)) {
            RC_ASSERT(f->detail.find(secret) == std::string_view::npos);
            RC_ASSERT(f->monitor.find(secret) == std::string_view::npos);
        }
        const lro::observation ob = m.observe();
        RC_ASSERT(ob.monitor.find(secret) == std::string_view::npos);
        RC_ASSERT(ob.resource.find(secret) == std::string_view::npos);
        if (auto t = m.save()) RC_ASSERT(token_bytes(*t).find(secret) == std::string::npos);
        out.push_back(own(a));
    }
    return out;
}

template <class Op>
void exchange_invariants() {
    const lro::options o = gen_options();
    const std::string method = *rc::gen::element<std::string>("PUT", "PATCH", "POST", "DELETE", "GET");
    const std::string url = home + "/things/1?api-version=1&subscription-key=" + secret;
    const auto inputs = *rc::gen::container<std::vector<input>>(gen_input());
    auto a = Op::start(method, url, o);
    auto b = Op::start(method, url, o);
    RC_ASSERT(a.has_value() && b.has_value());
    RC_ASSERT(a->pending_request()->url.find(secret) == std::string_view::npos);
    std::int64_t now_a = 0, now_b = 0;
    std::size_t terminal_at = SIZE_MAX;
    const auto first = drive(*a, inputs, now_a, &terminal_at);
    const auto second = drive(*b, inputs, now_b, nullptr);
    RC_ASSERT(first == second); // determinism
}

/// resume(save()) at a random live point continues exactly like the original.
template <class Op>
void resume_equivalence() {
    const lro::options o = gen_options();
    const std::string method = *rc::gen::element<std::string>("PUT", "PATCH", "POST", "DELETE");
    const std::string url = home + "/things/1?api-version=1";
    auto prefix = *rc::gen::container<std::vector<input>>(gen_input());
    const auto rest = *rc::gen::container<std::vector<input>>(gen_input());
    // Short, and mostly after an accepted submit, so that there is something to save.
    prefix.resize(std::min<std::size_t>(prefix.size(), *rc::gen::inRange<std::size_t>(0, 3)));
    if (*rc::gen::inRange(0, 4) != 0) {
        input accept;
        accept.code = 202;
        accept.headers = {{"Operation-Location",
                           *rc::gen::element<std::string>(home + "/ops/1", "/ops/2?subscription-key=" + std::string(secret))}};
        prefix.insert(prefix.begin(), accept);
    }
    auto m = Op::start(method, url, o);
    RC_ASSERT(m.has_value());
    std::int64_t now = 0;
    (void)drive(*m, prefix, now, nullptr);
    const auto token = m->save();
    RC_CLASSIFY(!token || m->done(), "ended before a save");
    if (!token || m->done()) return; // this case checks only the prefix's invariants (see the classification)
    auto twin = Op::resume(*token, o, lro::time_point(microseconds(now)), url);
    RC_ASSERT(twin.has_value());
    RC_ASSERT(twin->save().value() == *token);
    std::int64_t now_twin = now;
    const auto x = drive(*m, rest, now, nullptr);
    const auto y = drive(*twin, rest, now_twin, nullptr);
    RC_ASSERT(x == y);
}

/// An operation answered with errors forever ends after exactly max_consecutive_errors
/// answers, for limits across the range (the counter used to saturate at 65,535).
template <class Op>
void every_error_budget_ends() {
    lro::options o;
    o.backoff_base = milliseconds(0);
    // Mostly small limits, and now and then around and beyond 65,535 (where a 16-bit count
    // saturated); every int is accepted, so any of them must end.
    o.max_consecutive_errors = *rc::gen::weightedOneOf<int>({{8, rc::gen::inRange(-5, 100)},
                                                             {1, rc::gen::inRange(65'530, 65'540)},
                                                             {1, rc::gen::inRange(65'541, 80'000)}});
    const int code = *rc::gen::element(429, 503);
    auto m = Op::start("POST", home + "/x", o);
    RC_ASSERT(m.has_value());
    const long expected = o.max_consecutive_errors < 1 ? 1 : o.max_consecutive_errors;
    long answers = 0;
    std::int64_t now_us = 0;
    lro::action a;
    do {
        now_us += *rc::gen::inRange<std::int64_t>(0, 3) * 333; // sub-millisecond steps
        a = m->on_response({code, {}, ""}, lro::time_point(microseconds(now_us)));
        ++answers;
    } while (std::holds_alternative<lro::send_request>(a) && answers <= expected);
    RC_ASSERT(std::holds_alternative<lro::failed>(a));
    RC_ASSERT(answers == expected);
}

} // namespace

RC_GTEST_PROP(PoliciesProperty, CreatorExchangeInvariants, ()) { exchange_invariants<lro::operation>(); }
RC_GTEST_PROP(PoliciesProperty, AzureExchangeInvariants, ()) { exchange_invariants<lro::azure_operation>(); }
RC_GTEST_PROP(PoliciesProperty, CreatorResumeEquivalence, ()) { resume_equivalence<lro::operation>(); }
RC_GTEST_PROP(PoliciesProperty, AzureResumeEquivalence, ()) { resume_equivalence<lro::azure_operation>(); }
RC_GTEST_PROP(PoliciesProperty, CreatorEveryErrorBudgetEnds, ()) { every_error_budget_ends<lro::operation>(); }
RC_GTEST_PROP(PoliciesProperty, AzureEveryErrorBudgetEnds, ()) { every_error_budget_ends<lro::azure_operation>(); }
