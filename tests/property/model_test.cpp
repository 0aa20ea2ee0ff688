// A model-based test (STYLE.md lesson 12): RapidCheck rc::state with a tiny model (expected
// phase, polls left, deadline, consecutive errors) and commands Respond202,
// RespondRunning{retry_after}, RespondSucceeded, RespondFailed, Respond5xx, Garbage,
// AdvanceTime{d}, TransportError, Cancel, FetchOk and AfterEnd. Each command predicts the
// action (kind, purpose, delay) from the model alone and checks the machine's answer, and the
// shared invariants checker runs on every input too.
#include "lro_invariants.hpp"

#include <azmaps/lro/operation.hpp>

#include <gtest/gtest.h>

#include <rapidcheck/gtest.h>
#include <rapidcheck/state.h>

#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace {

namespace lro = azmaps::lro;
using std::chrono::milliseconds;
using check_input = azmaps_lro_check::input;

constexpr const char* submit_url = "https://atlas.microsoft.com/mapData/upload?api-version=2.0";
constexpr const char* monitor_url = "https://atlas.microsoft.com/mapData/operations/1";
constexpr const char* resource_url = "https://atlas.microsoft.com/tileset/1";

struct model {
    lro::phase phase = lro::phase::submitting;
    std::int64_t now = 0;                 // ms since the first input
    std::optional<std::uint32_t> polls_left;
    std::optional<std::int64_t> deadline; // ms after the first input
    std::optional<std::int64_t> start;    // the first input's now
    unsigned errors = 0;
    unsigned max_errors = 3;
    bool fetch = true;
};

struct sut {
    lro::options opts;
    lro::operation m;
    std::unique_ptr<azmaps_lro_check::checker> chk;
};

/// What the machine must answer.
struct expected {
    int kind = 0; // 0 request, 1 succeeded, 2 failed, 3 canceled, 4 refused
    lro::purpose purpose = lro::purpose::status;
    std::int64_t delay = 0;
    lro::failure_reason reason = lro::failure_reason::protocol_error;
};

/// PROTOCOL.md 10.1/10.2: every request goes through max_polls and the deadline.
expected request(model& s, lro::purpose p, std::int64_t delay) {
    if (p == lro::purpose::status && s.polls_left) {
        if (*s.polls_left == 0) {
            s.phase = lro::phase::failed;
            return {2, p, 0, lro::failure_reason::timed_out};
        }
    }
    if (s.deadline && s.now + delay > *s.start + *s.deadline) {
        s.phase = lro::phase::failed;
        return {2, p, 0, lro::failure_reason::timed_out};
    }
    if (p == lro::purpose::status && s.polls_left) --*s.polls_left;
    s.phase = p == lro::purpose::submit ? lro::phase::submitting : p == lro::purpose::status ? lro::phase::polling : lro::phase::fetching;
    return {0, p, delay};
}

/// A retryable error in the current phase: count it, fail on the max_errors-th, else backoff
/// (base 1 s, doubling, capped at 300 s) or the Retry-After.
expected retry(model& s, std::optional<std::int64_t> retry_after, lro::failure_reason exhausted) {
    ++s.errors;
    if (s.errors >= s.max_errors) {
        s.phase = lro::phase::failed;
        return {2, lro::purpose::status, 0, exhausted};
    }
    std::int64_t backoff = 1000;
    for (unsigned k = 1; k < s.errors && backoff < 300000; ++k) backoff *= 2;
    if (backoff > 300000) backoff = 300000;
    const lro::purpose p = s.phase == lro::phase::submitting ? lro::purpose::submit
                         : s.phase == lro::phase::polling    ? lro::purpose::status
                                                             : lro::purpose::resource;
    return request(s, p, retry_after ? std::min<std::int64_t>(*retry_after, 300000) : backoff);
}

using cmd = rc::state::Command<model, sut>;

/// Compares the machine's action with the prediction.
void compare(const lro::action& a, const expected& e) {
    RC_LOG() << azmaps_lro_check::owned_action::of(a).describe() << "\n";
    RC_ASSERT(static_cast<int>(a.index()) == e.kind);
    if (const auto* q = std::get_if<lro::send_request>(&a)) {
        RC_ASSERT(q->purpose == e.purpose);
        RC_ASSERT(q->delay.count() == e.delay);
    }
    if (const auto* f = std::get_if<lro::failed>(&a)) RC_ASSERT(f->reason == e.reason);
}

/// Base for commands that answer: the prediction comes from `predict`, shared by apply/run.
template <class Derived>
struct answer : cmd {
    void apply(model& s) const override {
        if (!s.start) s.start = s.now;
        static_cast<const Derived*>(this)->predict(s);
    }
    void run(const model& s0, sut& x) const override {
        model s = s0;
        if (!s.start) s.start = s.now;
        const expected e = static_cast<const Derived*>(this)->predict(s);
        std::vector<lro::header> hs;
        const auto& d = static_cast<const Derived&>(*this);
        const auto owned = d.headers(); // the views below point into it
        for (const auto& h : owned) hs.push_back({h.first, h.second});
        const std::string body = d.body();
        const lro::response_view r{d.status(), lro::header_span(hs), body};
        check_input in;
        in.what = d.transport() ? check_input::kind::transport_error : d.cancels() ? check_input::kind::cancel : check_input::kind::response;
        in.response = &r;
        in.now = lro::time_point(milliseconds(s0.now));
        x.chk->before(x.m);
        const lro::action a = azmaps_lro_check::feed(x.m, in);
        const std::string err = x.chk->step(x.m, in, a);
        if (!err.empty()) RC_FAIL(err);
        compare(a, e);
        RC_ASSERT(x.m.current_phase() == s.phase);
    }
    // Defaults.
    std::vector<std::pair<std::string, std::string>> headers() const { return {}; }
    std::string body() const { return {}; }
    bool transport() const { return false; }
    bool cancels() const { return false; }
};

bool live(const model& s) { return !lro::is_terminal(s.phase); }

/// A Retry-After in seconds, or none.
std::optional<std::int64_t> maybe_seconds(std::int64_t max) {
    if (!*rc::gen::arbitrary<bool>()) return std::nullopt;
    return *rc::gen::inRange<std::int64_t>(0, max);
}

struct Respond202 : answer<Respond202> {
    std::optional<std::int64_t> ra = maybe_seconds(400);
    void checkPreconditions(const model& s) const override { RC_PRE(s.phase == lro::phase::submitting); }
    expected predict(model& s) const { return request(s, lro::purpose::status, ra ? std::min<std::int64_t>(*ra * 1000, 300000) : 2000); }
    int status() const { return 202; }
    std::vector<std::pair<std::string, std::string>> headers() const {
        std::vector<std::pair<std::string, std::string>> h{{"Operation-Location", monitor_url}};
        if (ra) h.push_back({"Retry-After", std::to_string(*ra)});
        return h;
    }
    void show(std::ostream& os) const override { os << "Respond202{" << (ra ? std::to_string(*ra) : "-") << "}"; }
};

struct RespondRunning : answer<RespondRunning> {
    std::optional<std::int64_t> ra = maybe_seconds(400);
    void checkPreconditions(const model& s) const override { RC_PRE(s.phase == lro::phase::polling); }
    expected predict(model& s) const {
        s.errors = 0;
        return request(s, lro::purpose::status, ra ? std::min<std::int64_t>(*ra * 1000, 300000) : 2000);
    }
    int status() const { return 200; }
    std::string body() const { return R"({"status":"Running","operationId":"1"})"; }
    std::vector<std::pair<std::string, std::string>> headers() const {
        if (ra) return {{"Retry-After", std::to_string(*ra)}};
        return {};
    }
    void show(std::ostream& os) const override { os << "RespondRunning{" << (ra ? std::to_string(*ra) : "-") << "}"; }
};

struct RespondSucceeded : answer<RespondSucceeded> {
    void checkPreconditions(const model& s) const override { RC_PRE(s.phase == lro::phase::polling); }
    expected predict(model& s) const {
        s.errors = 0;
        if (!s.fetch) {
            s.phase = lro::phase::succeeded;
            return {1};
        }
        // 10.9: the fetch has delay 0 and does not count as a poll; the deadline still applies.
        return request(s, lro::purpose::resource, 0);
    }
    int status() const { return 200; }
    std::string body() const { return R"({"status":"Succeeded","resourceLocation":"https://atlas.microsoft.com/tileset/1"})"; }
    void show(std::ostream& os) const override { os << "RespondSucceeded"; }
};

struct RespondFailed : answer<RespondFailed> {
    void checkPreconditions(const model& s) const override { RC_PRE(s.phase == lro::phase::polling); }
    expected predict(model& s) const {
        s.phase = lro::phase::failed;
        return {2, lro::purpose::status, 0, lro::failure_reason::operation_failed};
    }
    int status() const { return 200; }
    std::string body() const { return R"({"status":"Failed","error":{"code":"InvalidFeature"}})"; }
    void show(std::ostream& os) const override { os << "RespondFailed"; }
};

struct Respond5xx : answer<Respond5xx> {
    int code = *rc::gen::element(429, 503, 500, 502, 504, 408);
    std::optional<std::int64_t> ra = maybe_seconds(100);
    void checkPreconditions(const model& s) const override {
        RC_PRE(live(s));
        RC_PRE(s.phase != lro::phase::submitting || code == 429 || code == 503);
    }
    expected predict(model& s) const {
        return retry(s, ra ? std::optional<std::int64_t>(*ra * 1000) : std::nullopt, lro::failure_reason::too_many_errors);
    }
    int status() const { return code; }
    std::vector<std::pair<std::string, std::string>> headers() const {
        if (ra) return {{"Retry-After", std::to_string(*ra)}};
        return {};
    }
    void show(std::ostream& os) const override { os << "Respond" << code << "{" << (ra ? std::to_string(*ra) : "-") << "}"; }
};

struct Garbage : answer<Garbage> {
    std::string text = *rc::gen::element<std::string>("", "not json", "[]", "{\"status\":1}", "{\"status\":\"Running\"", "{}");
    void checkPreconditions(const model& s) const override { RC_PRE(s.phase == lro::phase::polling); }
    expected predict(model& s) const { return retry(s, std::nullopt, lro::failure_reason::protocol_error); }
    int status() const { return 200; }
    std::string body() const { return text; }
    void show(std::ostream& os) const override { os << "Garbage{" << text << "}"; }
};

struct TransportError : answer<TransportError> {
    void checkPreconditions(const model& s) const override { RC_PRE(live(s) && s.phase != lro::phase::submitting); }
    expected predict(model& s) const { return retry(s, std::nullopt, lro::failure_reason::too_many_errors); }
    int status() const { return 0; }
    bool transport() const { return true; }
    void show(std::ostream& os) const override { os << "TransportError"; }
};

struct FetchOk : answer<FetchOk> {
    void checkPreconditions(const model& s) const override { RC_PRE(s.phase == lro::phase::fetching); }
    expected predict(model& s) const {
        s.phase = lro::phase::succeeded;
        return {1};
    }
    int status() const { return 200; }
    void show(std::ostream& os) const override { os << "FetchOk"; }
};

struct Cancel : answer<Cancel> {
    void checkPreconditions(const model& s) const override { RC_PRE(live(s)); }
    expected predict(model& s) const {
        s.phase = lro::phase::canceled;
        return {3};
    }
    int status() const { return 0; }
    bool cancels() const { return true; }
    void show(std::ostream& os) const override { os << "Cancel"; }
};

/// Any input after the end is refused{terminal} and changes nothing.
struct AfterEnd : answer<AfterEnd> {
    int code = *rc::gen::element(200, 202, 500);
    void checkPreconditions(const model& s) const override { RC_PRE(!live(s)); }
    expected predict(model&) const { return {4}; }
    int status() const { return code; }
    std::string body() const { return R"({"status":"Succeeded"})"; }
    void show(std::ostream& os) const override { os << "AfterEnd{" << code << "}"; }
};

/// Time passes without an input (the driver waits); the machine sees it with the next input.
struct AdvanceTime : cmd {
    std::int64_t d = *rc::gen::weightedOneOf<std::int64_t>(
        {{5, rc::gen::inRange<std::int64_t>(0, 5000)}, {2, rc::gen::inRange<std::int64_t>(0, 400000)}});
    void apply(model& s) const override { s.now += d; }
    void run(const model&, sut&) const override {}
    void show(std::ostream& os) const override { os << "AdvanceTime{" << d << "}"; }
};

} // namespace

RC_GTEST_PROP(ModelTest, MachineFollowsTheModel, ()) {
    model s0;
    s0.max_errors = static_cast<unsigned>(*rc::gen::inRange(1, 6));
    s0.fetch = *rc::gen::arbitrary<bool>();
    if (*rc::gen::arbitrary<bool>()) s0.polls_left = *rc::gen::inRange<std::uint32_t>(0, 8);
    if (*rc::gen::arbitrary<bool>()) s0.deadline = *rc::gen::inRange<std::int64_t>(0, 900000);
    sut x;
    x.opts.max_consecutive_errors = static_cast<int>(s0.max_errors);
    x.opts.fetch_resource = s0.fetch;
    x.opts.max_polls = s0.polls_left;
    if (s0.deadline) x.opts.timeout = milliseconds(*s0.deadline);
    x.m = lro::operation::start("POST", submit_url, x.opts).value();
    x.chk = std::make_unique<azmaps_lro_check::checker>(x.opts, "POST", submit_url);
    rc::state::check(s0, x,
                     rc::state::gen::execOneOfWithArgs<Respond202, RespondRunning, RespondSucceeded, RespondFailed,
                                                       Respond5xx, Garbage, TransportError, FetchOk, Cancel, AfterEnd,
                                                       AdvanceTime>());
    (void)resource_url;
}
