// Regression tests for bugs found by the property tests (tests/property/) and the fuzzers
// (fuzz/). Each test names the finding, the shrunk input, and the fix (docs/fuzzing.md lists
// them all).
#include <azmaps/lro/operation.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <variant>
#include <vector>

namespace lro = azmaps::lro;
using namespace std::chrono_literals;

namespace {
const lro::time_point t0{std::chrono::milliseconds(1'000'000)};
constexpr const char* submit_url = "https://atlas.microsoft.com/mapData/upload?api-version=2.0";

lro::operation started(const lro::options& o = {}) {
    auto r = lro::operation::start("POST", submit_url, o);
    EXPECT_TRUE(r.has_value());
    return std::move(*r);
}
} // namespace

// fuzz_machine, step 0: a submit answered with status -1 failed http_error with no HTTP
// status at all, because the machine stored the code in an int16 with -1 meaning "none"
// (and 70000 came back as 4464). Fix: an int32 plus a has-flag (operation.hpp).
TEST(Regression, FailedKeepsAnyHttpStatusWhole) {
    for (int code : {-1, 0, 99, 600, 70000, -40000, 2147483647}) {
        lro::operation m = started();
        const lro::response_view r{code, {}, ""};
        const lro::action a = m.on_response(r, t0);
        const auto* f = std::get_if<lro::failed>(&a);
        ASSERT_NE(f, nullptr) << code;
        EXPECT_EQ(f->reason, lro::failure_reason::http_error);
        ASSERT_TRUE(f->http_status.has_value()) << code;
        EXPECT_EQ(*f->http_status, code);
    }
}

// fuzz_machine, step 1: a submit answered 200 + resourceLocation (finished at once) leaves the
// machine fetching with no status monitor; save() wrote a token with an empty monitor that
// resume() refused as token_corrupt. Fix: resume() accepts an empty monitor in the fetching
// phase (and checks the monitor's origin only when there is one).
TEST(Regression, SaveResumeWhileFetchingWithoutMonitor) {
    lro::options o;
    o.allow_any_origin = true;
    lro::operation m = started(o);
    const lro::response_view r{200, {},
        R"({"status":"Succeeded","resourceLocation":"https://atlas.microsoft.com/tileset/{tileset-id}"})"};
    const lro::action a = m.on_response(r, t0);
    ASSERT_TRUE(std::holds_alternative<lro::send_request>(a));
    ASSERT_EQ(m.current_phase(), lro::phase::fetching);
    const auto token = m.save();
    ASSERT_TRUE(token.has_value());
    auto resumed = lro::operation::resume(*token, o, t0 + 5s, submit_url);
    ASSERT_TRUE(resumed.has_value()) << lro::to_string(resumed.error());
    EXPECT_EQ(resumed->current_phase(), lro::phase::fetching);
    const auto p = resumed->pending_request();
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p->url, "https://atlas.microsoft.com/tileset/{tileset-id}");
    EXPECT_EQ(p->purpose, lro::purpose::resource);
    EXPECT_EQ(resumed->save().value(), *token);
    const lro::action done = resumed->on_response(lro::response_view{200, {}, "{}"}, t0 + 6s);
    ASSERT_TRUE(std::holds_alternative<lro::succeeded>(done));
}

// fuzz_machine, step 0: an answer whose monitor or resource URL was refused failed without the
// answer's error (the body's OData error, or x-ms-error-code), against PROTOCOL.md 10.18 ("the
// parsed error of that answer's body is carried whenever the body has one"). Fix: follow()
// passes the response to fail(), like every other failure that an answer causes.
TEST(Regression, RefusedUrlFailureCarriesTheAnswersError) {
    {
        lro::operation m = started();
        const lro::header hs[] = {{"x-ms-error-code", "-*"}, {"Operation-Location", "\"https://atlas.microsoft.com/tileset/"}};
        const lro::action a = m.on_response(lro::response_view{200, hs, ""}, t0);
        const auto* f = std::get_if<lro::failed>(&a);
        ASSERT_NE(f, nullptr);
        EXPECT_EQ(f->reason, lro::failure_reason::protocol_error);
        EXPECT_EQ(f->http_status, 200);
        ASSERT_NE(f->error, nullptr);
        EXPECT_EQ(f->error->code, "-*");
    }
    {
        lro::operation m = started();
        const lro::header accepted[] = {{"Operation-Location", "https://atlas.microsoft.com/mapData/operations/1"}};
        ASSERT_TRUE(std::holds_alternative<lro::send_request>(m.on_response(lro::response_view{202, accepted, ""}, t0)));
        const lro::header hs[] = {{"Operation-Location", "https://evil.example/op/2"}};
        const lro::action a = m.on_response(
            lro::response_view{200, hs, R"({"status":"Running","error":{"code":"Moved","message":"elsewhere"}})"}, t0 + 1s);
        const auto* f = std::get_if<lro::failed>(&a);
        ASSERT_NE(f, nullptr);
        EXPECT_EQ(f->reason, lro::failure_reason::cross_origin);
        EXPECT_EQ(f->http_status, 200);
        ASSERT_NE(f->error, nullptr);
        EXPECT_EQ(f->error->code, "Moved");
        EXPECT_EQ(f->error->message, "elsewhere");
    }
}

// MachineProperty.CorruptTokensAreRefused (insertion, shrunk to a '0' inserted at offset 5):
// "azlro01.<payload>" was accepted as format 1, so a corrupted token resumed. Fix: the format
// number has exactly one spelling; a leading zero is token_corrupt.
TEST(Regression, TokenFormatWithLeadingZeroIsRefused) {
    lro::operation m = started();
    const lro::header hs[] = {{"Operation-Location", "https://atlas.microsoft.com/mapData/operations/1"}};
    ASSERT_TRUE(std::holds_alternative<lro::send_request>(m.on_response(lro::response_view{202, hs, ""}, t0)));
    const std::string token = m.save().value();
    ASSERT_EQ(token.rfind("azlro1.", 0), 0u);
    ASSERT_TRUE(lro::operation::resume(token, lro::options{}, t0, submit_url).has_value());
    for (const char* prefix : {"azlro01.", "azlro001.", "azlro0.", "azlro00000001."}) {
        const std::string bad = prefix + token.substr(7);
        const auto r = lro::operation::resume(bad, lro::options{}, t0, submit_url);
        ASSERT_FALSE(r.has_value()) << bad;
        EXPECT_EQ(r.error(), lro::errc::token_corrupt) << bad;
    }
}

// fuzz_headers: append_query_param wrote no separator when the query ended in a '?' that is
// query data ("x?a?" -> "x?a?api-version=2.0"), so the added parameter was not a parameter and
// has_query_param did not find it. Fix (url.hpp): only an empty query ("x?") or one ending in
// '&' takes no separator.
TEST(Regression, AppendQueryParamAfterAQuestionMarkInTheQuery) {
    namespace d = azmaps::lro::detail;
    std::string u = "http://a/b/c/d;pq?yd;pq?";
    d::append_query_param(u, "api-version", "2.0");
    EXPECT_EQ(u, "http://a/b/c/d;pq?yd;pq?&api-version=2.0");
    EXPECT_TRUE(d::has_query_param(u, "api-version"));
    std::string empty = "https://h/x?";
    d::append_query_param(empty, "api-version", "2.0");
    EXPECT_EQ(empty, "https://h/x?api-version=2.0");
    std::string amp = "https://h/x?a=1&";
    d::append_query_param(amp, "api-version", "2.0");
    EXPECT_EQ(amp, "https://h/x?a=1&api-version=2.0");
    std::string frag = "https://h/x?a?#f?";
    d::append_query_param(frag, "v", "");
    EXPECT_EQ(frag, "https://h/x?a?&v=#f?");
    EXPECT_TRUE(d::has_query_param(frag, "v"));
}

// fuzz_machine, step 1: with add_query and a max_url_length that the resolved monitor just
// fits, the followed monitor (with the added parameters) was longer than max_url_length, and
// resume() refused save()'s own token as token_origin_refused. Fix (operation.hpp,
// url_allowed): a URL from a token may exceed max_url_length by the added parameters, as
// follow() itself allows (10.11: the limit applies to the resolved URL).
TEST(Regression, ResumeAcceptsAMonitorWithAddedQueryAtTheLengthLimit) {
    lro::options o;
    o.add_query = {{"api-version", "2.0"}, {"x", ""}};
    const std::string monitor = "https://atlas.microsoft.com/mapData/operations/123456789";
    o.max_url_length = monitor.size();
    auto r = lro::operation::start("POST", "https://atlas.microsoft.com/x", o);
    ASSERT_TRUE(r.has_value());
    lro::operation m = std::move(*r);
    const lro::header hs[] = {{"Operation-Location", monitor}};
    const lro::action a = m.on_response(lro::response_view{202, hs, ""}, t0);
    const auto* q = std::get_if<lro::send_request>(&a);
    ASSERT_NE(q, nullptr);
    EXPECT_EQ(q->url, monitor + "?api-version=2.0&x=");
    const std::string token = m.save().value();
    auto resumed = lro::operation::resume(token, o, t0, "https://atlas.microsoft.com/x");
    ASSERT_TRUE(resumed.has_value()) << lro::to_string(resumed.error());
    EXPECT_EQ(resumed->pending_request()->url, q->url);
    EXPECT_EQ(resumed->save().value(), token);
}

// fuzz_machine: a machine whose elapsed time exceeds what the clock's ticks can hold as one
// duration (here 10^13 ms, about 317 years) saved a token that resumed with a saturated start,
// so save(resume(token)) differed from the token. Time arithmetic now works in chunks.
TEST(Regression, ElapsedBeyondTheTickRangeRoundTrips) {
    namespace lro = azmaps::lro;
    const auto at_ms = [](std::int64_t ms) { return lro::time_point(std::chrono::milliseconds(ms)); };
    auto op = lro::operation::start("POST", "https://h.example/submit");
    ASSERT_TRUE(op.has_value());
    const std::vector<lro::header> accept{{"Operation-Location", "/ops/1"}};
    ASSERT_TRUE(std::holds_alternative<lro::send_request>(op->on_response({202, accept, ""}, at_ms(-9'000'000'000'000))));
    const std::string body = R"({"status":"Running"})";
    ASSERT_TRUE(std::holds_alternative<lro::send_request>(op->on_response({200, {}, body}, at_ms(1'000'000'000'000))));
    EXPECT_EQ(op->observe().elapsed, std::chrono::milliseconds(10'000'000'000'000));
    const auto token = op->save();
    ASSERT_TRUE(token.has_value());
    auto resumed = lro::operation::resume(*token, lro::options{}, at_ms(1'200'000'000'000), "https://h.example/submit");
    ASSERT_TRUE(resumed.has_value());
    EXPECT_EQ(resumed->observe().elapsed, std::chrono::milliseconds(10'000'000'000'000));
    EXPECT_EQ(*resumed->save(), *token);
}
