// The state machine, row by row of PROTOCOL.md section 5 and rule by rule of section 10.
#include <azmaps/lro.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace lro = azmaps::lro;
using lro::failure_reason;
using lro::purpose;

namespace {

lro::time_point at(std::int64_t ms) { return lro::time_point(std::chrono::milliseconds(ms)); }

constexpr const char* submit_v2 = "https://us.atlas.microsoft.com/mapData?api-version=2.0";
constexpr const char* submit_v1 = "https://us.atlas.microsoft.com/mapData/upload?api-version=1.0&dataFormat=zip";
constexpr const char* monitor = "https://us.atlas.microsoft.com/mapData/operations/c587574e?api-version=2.0";

using headers = std::vector<lro::header>;

/// A machine plus the owned copies of everything it was fed, so that views stay alive.
struct driver {
    lro::operation op;
    std::int64_t now = 0;

    explicit driver(const lro::options& o = {}, const char* url = submit_v2, const char* method = "POST") {
        auto r = lro::operation::start(method, url, o);
        EXPECT_TRUE(r.has_value()) << lro::to_string(r.error());
        op = std::move(r.value());
    }
    lro::action respond(int status, headers h = {}, std::string body = "", std::int64_t dt = 0) {
        now += dt;
        return op.on_response({status, h, body}, at(now));
    }
    lro::action transport(lro::transport_error e, std::int64_t dt = 0) {
        now += dt;
        return op.on_transport_error(e, at(now));
    }
    lro::action accept(headers h = {{"Operation-Location", monitor}}) { return respond(202, std::move(h)); }
    lro::action status(const std::string& s, headers h = {}, std::int64_t dt = 0) {
        return respond(200, std::move(h), R"({"status":")" + s + R"("})", dt);
    }
};

lro::send_request as_request(const lro::action& a) {
    const auto* r = std::get_if<lro::send_request>(&a);
    EXPECT_NE(r, nullptr) << "expected a request, got variant index " << a.index();
    return r ? *r : lro::send_request{};
}

lro::failed as_failed(const lro::action& a) {
    const auto* f = std::get_if<lro::failed>(&a);
    EXPECT_NE(f, nullptr) << "expected failed, got variant index " << a.index();
    return f ? *f : lro::failed{};
}

std::string as_succeeded(const lro::action& a) {
    const auto* s = std::get_if<lro::succeeded>(&a);
    EXPECT_NE(s, nullptr) << "expected succeeded, got variant index " << a.index();
    return s ? std::string(s->resource_location) : std::string("<not succeeded>");
}

} // namespace

// --- start ------------------------------------------------------------------------------------

TEST(Start, PendingRequestIsTheSubmit) {
    driver d;
    const auto p = d.op.pending_request();
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p->method, "POST");
    EXPECT_EQ(p->url, submit_v2);
    EXPECT_EQ(p->purpose, purpose::submit);
    EXPECT_TRUE(p->same_origin);
    EXPECT_EQ(d.op.current_phase(), lro::phase::submitting);
}

TEST(Start, RefusesBadArguments) {
    EXPECT_EQ(lro::operation::start("", submit_v2).error(), lro::errc::bad_method);
    EXPECT_EQ(lro::operation::start("PO ST", submit_v2).error(), lro::errc::bad_method);
    EXPECT_EQ(lro::operation::start("POST", "ftp://x/y").error(), lro::errc::bad_submit_url);
    EXPECT_EQ(lro::operation::start("POST", "/relative").error(), lro::errc::bad_submit_url);
    EXPECT_EQ(lro::operation::start("POST", "https://user@host/x").error(), lro::errc::bad_submit_url);
    EXPECT_EQ(lro::operation::start("POST", "https://host/a b").error(), lro::errc::bad_submit_url);
    lro::options o;
    o.allowed_origins = {"not an origin"};
    EXPECT_EQ(lro::operation::start("POST", submit_v2, o).error(), lro::errc::bad_option);
    o = {};
    o.add_query = {{"", "x"}};
    EXPECT_EQ(lro::operation::start("POST", submit_v2, o).error(), lro::errc::bad_option);
}

TEST(Start, IdleMachineRefusesWithNotExpected) {
    lro::operation idle;
    const auto a = idle.on_response({200, {}, "{}"}, at(0));
    EXPECT_EQ(std::get<lro::refused>(a).code, lro::errc::not_expected);
    EXPECT_EQ(std::get<lro::refused>(idle.cancel(at(0))).code, lro::errc::not_expected);
}

// --- submit rows ------------------------------------------------------------------------------

TEST(Submit, AcceptedWithOperationLocationPollsAfterDefaultInterval) {
    driver d;
    const auto r = as_request(d.accept());
    EXPECT_EQ(r.method, "GET");
    EXPECT_EQ(r.url, monitor);
    EXPECT_EQ(r.delay, lro::milliseconds(2000));
    EXPECT_EQ(r.not_before, at(2000));
    EXPECT_EQ(r.purpose, purpose::status);
    EXPECT_TRUE(r.same_origin);
    EXPECT_EQ(d.op.observe().version, lro::protocol_version::v2);
    EXPECT_EQ(d.op.observe().polls, 1u);
}

TEST(Submit, OperationLocationOn200And201AlsoNamesTheMonitor) {
    for (int code : {200, 201}) {
        driver d;
        const auto r = as_request(d.respond(code, {{"Location", "https://us.atlas.microsoft.com/other"},
                                                   {"Operation-Location", monitor}}));
        EXPECT_EQ(r.url, monitor) << code;
        EXPECT_EQ(r.purpose, purpose::status);
    }
}

TEST(Submit, LocationOn202IsTheV1MonitorAndRetryAfterSetsTheDelay) {
    driver d({}, submit_v1);
    const auto r = as_request(
        d.respond(202, {{"Location", "https://us.atlas.microsoft.com/mapData/operations/1?api-version=1.0"},
                        {"Retry-After", "30"}}));
    EXPECT_EQ(r.url, "https://us.atlas.microsoft.com/mapData/operations/1?api-version=1.0");
    EXPECT_EQ(r.delay, lro::milliseconds(30000));
    EXPECT_EQ(d.op.observe().version, lro::protocol_version::v1);
}

TEST(Submit, OperationLocationPreferredOverLocation) {
    driver d;
    const auto r = as_request(d.respond(202, {{"Location", "https://us.atlas.microsoft.com/v1"},
                                              {"Operation-Location", "https://us.atlas.microsoft.com/v2"}}));
    EXPECT_EQ(r.url, "https://us.atlas.microsoft.com/v2");
}

TEST(Submit, AcceptedWithoutMonitorIsAProtocolError) {
    driver d;
    const auto f = as_failed(d.respond(202, {{"Content-Type", "application/json"}}));
    EXPECT_EQ(f.reason, failure_reason::protocol_error);
    EXPECT_EQ(f.http_status, 202);
    EXPECT_TRUE(f.monitor.empty());
}

TEST(Submit, AcceptedWithUnusableMonitorIsAProtocolError) {
    for (const char* bad : {"", "\"\"", "ftp://us.atlas.microsoft.com/x", "https://u@us.atlas.microsoft.com/x",
                            "https://us.atlas.microsoft.com/a\x01b", "https:relative"}) {
        driver d;
        const auto f = as_failed(d.respond(202, {{"Operation-Location", bad}}));
        EXPECT_EQ(f.reason, failure_reason::protocol_error) << bad;
    }
}

TEST(Submit, AcceptedWithForeignMonitorIsCrossOrigin) {
    driver d;
    const auto f = as_failed(d.respond(202, {{"Operation-Location", "https://evil.example/op"}}));
    EXPECT_EQ(f.reason, failure_reason::cross_origin);
}

TEST(Submit, DoneAtOnceWithResourceLocationFetchesIt) {
    driver d;
    const auto r = as_request(d.respond(200, {{"Resource-Location", "\"https://us.atlas.microsoft.com/tileset/7\""}}));
    EXPECT_EQ(r.url, "https://us.atlas.microsoft.com/tileset/7");
    EXPECT_EQ(r.purpose, purpose::resource);
    EXPECT_EQ(r.delay, lro::milliseconds(0));
    EXPECT_EQ(as_succeeded(d.respond(200, {}, "{}")), "https://us.atlas.microsoft.com/tileset/7");
}

TEST(Submit, DoneAtOnce201LocationAndBodyResourceLocation) {
    lro::options o;
    o.fetch_resource = false;
    {
        driver d(o);
        EXPECT_EQ(as_succeeded(d.respond(201, {{"Location", "/meta/1"}})), "https://us.atlas.microsoft.com/meta/1");
    }
    {
        driver d(o);
        EXPECT_EQ(as_succeeded(d.respond(200, {}, R"({"resourceLocation":"https:\/\/us.atlas.microsoft.com\/m\/2"})")),
                  "https://us.atlas.microsoft.com/m/2");
    }
    {
        driver d(o);
        EXPECT_EQ(as_succeeded(d.respond(200, {}, "not json")), "");
    }
}

TEST(Submit, RejectedWith400CarriesTheParsedError) {
    driver d;
    const auto f = as_failed(d.respond(
        400, {}, R"({"error":{"code":"InvalidRequest","message":"Bad \"zip\"","target":"body"}})"));
    EXPECT_EQ(f.reason, failure_reason::request_rejected);
    EXPECT_EQ(f.http_status, 400);
    ASSERT_NE(f.error, nullptr);
    EXPECT_EQ(f.error->code, "InvalidRequest");
    EXPECT_EQ(f.error->message, "Bad \"zip\"");
    EXPECT_EQ(f.error->target, "body");
}

TEST(Submit, ThrottledIsResentAfterRetryAfterElseBackoff) {
    driver d;
    auto r = as_request(d.respond(429, {{"Retry-After", "7"}}));
    EXPECT_EQ(r.purpose, purpose::submit);
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.url, submit_v2);
    EXPECT_EQ(r.delay, lro::milliseconds(7000));
    r = as_request(d.respond(503));
    EXPECT_EQ(r.delay, lro::milliseconds(2000)); // second consecutive error: 1 s * 2
    EXPECT_EQ(d.op.observe().polls, 0u);        // resubmits are not polls
}

TEST(Submit, ThrottledTooOftenFailsWithTooManyErrors) {
    lro::options o;
    o.max_consecutive_errors = 3;
    driver d(o);
    as_request(d.respond(503));
    as_request(d.respond(503));
    const auto f = as_failed(d.respond(503, {}, R"({"error":{"code":"ServerBusy"}})"));
    EXPECT_EQ(f.reason, failure_reason::too_many_errors);
    EXPECT_EQ(f.http_status, 503);
    ASSERT_NE(f.error, nullptr);
    EXPECT_EQ(f.error->code, "ServerBusy");
}

TEST(Submit, AmbiguousErrorsFailUnlessResubmitIsOptedIn) {
    for (int code : {500, 502, 504}) {
        driver d;
        const auto f = as_failed(d.respond(code, {}, "<html>oops</html>"));
        EXPECT_EQ(f.reason, failure_reason::http_error);
        EXPECT_EQ(f.http_status, code);
        EXPECT_NE(f.detail.find("<html>oops</html>"), std::string_view::npos) << f.detail;
    }
    driver t;
    const auto f = as_failed(t.op.on_transport_error(lro::transport_error::connect_failed, at(0)));
    EXPECT_EQ(f.reason, failure_reason::transport_error);
    EXPECT_FALSE(f.http_status.has_value());

    lro::options o;
    o.resubmit_on_ambiguous = true;
    driver d(o);
    EXPECT_EQ(as_request(d.respond(502)).purpose, purpose::submit);
    EXPECT_EQ(as_request(d.transport(lro::transport_error::connection_reset, 5)).purpose,
              purpose::submit);
}

TEST(Submit, OtherStatusIsAnHttpErrorWithTheParsedError) {
    for (int code : {401, 403, 404, 302, 204, 409}) {
        driver d;
        const auto f = as_failed(d.respond(code, {{"x-ms-error-code", "Nope"}}, ""));
        EXPECT_EQ(f.reason, failure_reason::http_error) << code;
        EXPECT_EQ(f.http_status, code);
        ASSERT_NE(f.error, nullptr);
        EXPECT_EQ(f.error->code, "Nope");
    }
}

TEST(Submit, AcceptedSubmitDoesNotResetTheErrorCount) {
    lro::options o;
    o.max_consecutive_errors = 2;
    driver d(o);
    as_request(d.respond(429));
    as_request(d.accept());
    EXPECT_EQ(d.op.observe().consecutive_errors, 1u);
    const auto f = as_failed(d.respond(500));
    EXPECT_EQ(f.reason, failure_reason::too_many_errors);
}

// --- poll rows ----------------------------------------------------------------------------------

TEST(Poll, InProgressPollsAgainAfterRetryAfterElseDefault) {
    driver d;
    d.accept();
    EXPECT_EQ(as_request(d.status("NotStarted", {{"Retry-After", "30"}}, 2000)).delay, lro::milliseconds(30000));
    EXPECT_EQ(as_request(d.status("Running", {}, 30000)).delay, lro::milliseconds(2000));
    EXPECT_EQ(as_request(d.status("Queued", {}, 2000)).delay, lro::milliseconds(2000)); // unknown: still running
    EXPECT_EQ(d.op.observe().polls, 4u);
    EXPECT_EQ(d.op.observe().status, "Queued");
}

TEST(Poll, StatusAnswersOn201And202Too) {
    for (int code : {201, 202}) {
        driver d;
        d.accept();
        const auto r = as_request(d.respond(code, {}, R"({"status":"running"})"));
        EXPECT_EQ(r.purpose, purpose::status);
    }
}

TEST(Poll, NewOperationLocationBecomesTheMonitor) {
    driver d;
    d.accept();
    const auto r = as_request(d.status("Running", {{"Operation-Location", "../operations/next?x=1"}}));
    EXPECT_EQ(r.url, "https://us.atlas.microsoft.com/mapData/operations/next?x=1");
    EXPECT_EQ(d.op.observe().monitor, r.url);
}

TEST(Poll, SucceededResourcePrecedence) {
    lro::options o;
    o.fetch_resource = false;
    {
        driver d(o);
        d.accept();
        EXPECT_EQ(as_succeeded(d.respond(201, {{"Location", "/from-location"}, {"Resource-Location", "/from-resource"}},
                                         R"({"status":"Succeeded","resourceLocation":"/from-body"})")),
                  "https://us.atlas.microsoft.com/from-resource");
    }
    {
        driver d(o);
        d.accept();
        EXPECT_EQ(as_succeeded(d.respond(201, {{"Location", "/from-location"}},
                                         R"({"status":"Succeeded","resourceLocation":"/from-body"})")),
                  "https://us.atlas.microsoft.com/from-location");
    }
    {
        driver d(o);
        d.accept();
        // Location on a 200 is not the resource: the body's resourceLocation is.
        EXPECT_EQ(as_succeeded(d.respond(200, {{"Location", "/from-location"}},
                                         R"({"status":"Succeeded","resourceLocation":"/from-body"})")),
                  "https://us.atlas.microsoft.com/from-body");
    }
    {
        driver d(o);
        d.accept();
        EXPECT_EQ(as_succeeded(d.status("Succeeded")), "");
    }
}

TEST(Poll, SucceededWithResourceFetchesItWithDelayZero) {
    driver d;
    d.accept();
    const auto r = as_request(d.respond(200, {{"Resource-Location", "https://us.atlas.microsoft.com/meta/1"},
                                              {"Retry-After", "60"}},
                                        R"({"status":"Succeeded"})", 2000));
    EXPECT_EQ(r.purpose, purpose::resource);
    EXPECT_EQ(r.delay, lro::milliseconds(0));
    EXPECT_EQ(d.op.observe().polls, 1u); // fetches are not polls
    EXPECT_EQ(d.op.current_phase(), lro::phase::fetching);
}

TEST(Poll, FailedCarriesTheODataErrorFromTheSeed) {
    driver d({}, submit_v1);
    d.respond(202, {{"Location", "https://us.atlas.microsoft.com/mapData/operations/c587574e?api-version=1.0"}});
    const auto f = as_failed(d.respond(200, {}, R"({
    "operationId": "c587574e-add9-4ef7-9788-1635bed9a87e",
    "createdDateTime": "3/11/2020 8:45:13 PM +00:00",
    "status": "Failed",
    "error": {
        "code": "InvalidFeature",
        "message": "The provided feature is invalid.",
        "details": {
            "code": "NoGeometry",
            "message": "No geometry was provided with the feature."
        }
    }
})"));
    EXPECT_EQ(f.reason, failure_reason::operation_failed);
    EXPECT_EQ(f.http_status, 200);
    ASSERT_NE(f.error, nullptr);
    EXPECT_EQ(f.error->code, "InvalidFeature");
    EXPECT_EQ(f.error->message, "The provided feature is invalid.");
    ASSERT_EQ(f.error->details.size(), 1u);
    EXPECT_EQ(f.error->details[0].code, "NoGeometry");
    EXPECT_EQ(f.error->details[0].message, "No geometry was provided with the feature.");
    EXPECT_EQ(f.monitor, "https://us.atlas.microsoft.com/mapData/operations/c587574e?api-version=1.0");
    const auto o = d.op.observe();
    EXPECT_EQ(o.operation_id, "c587574e-add9-4ef7-9788-1635bed9a87e");
    EXPECT_EQ(o.created, "3/11/2020 8:45:13 PM +00:00");
    ASSERT_TRUE(o.created_unix_ms.has_value());
    EXPECT_EQ(*o.created_unix_ms, 1583959513000);
    EXPECT_EQ(o.version, lro::protocol_version::v1);
}

TEST(Poll, FailedWithoutErrorAndWithHeaderCode) {
    {
        driver d;
        d.accept();
        const auto f = as_failed(d.status("Failed"));
        EXPECT_EQ(f.reason, failure_reason::operation_failed);
        EXPECT_EQ(f.error, nullptr);
    }
    {
        driver d;
        d.accept();
        const auto f = as_failed(d.status("failed", {{"x-ms-error-code", "FromHeader"}}));
        ASSERT_NE(f.error, nullptr);
        EXPECT_EQ(f.error->code, "FromHeader");
    }
    {
        driver d;
        d.accept();
        const auto f = as_failed(d.respond(200, {}, R"({"status":"Failed","error":{}})"));
        ASSERT_NE(f.error, nullptr); // "error": {} is an error with empty fields
        EXPECT_EQ(*f.error, lro::odata_error{});
    }
}

TEST(Poll, CanceledByTheServer) {
    for (const char* s : {"Canceled", "Cancelled", "CANCELED"}) {
        driver d;
        d.accept();
        const auto a = d.status(s);
        ASSERT_TRUE(std::holds_alternative<lro::canceled>(a)) << s;
        EXPECT_EQ(std::get<lro::canceled>(a).by, lro::cancel_source::server);
        EXPECT_EQ(d.op.current_phase(), lro::phase::canceled);
    }
}

TEST(Poll, BadAnswersRetryWithBackoffThenFailWithProtocolError) {
    driver d;
    d.accept();
    EXPECT_EQ(as_request(d.respond(200, {}, "not json")).delay, lro::milliseconds(1000));
    EXPECT_EQ(as_request(d.respond(200, {}, "[1,2]")).delay, lro::milliseconds(2000));
    EXPECT_EQ(as_request(d.respond(200, {}, R"({"status":5})")).delay, lro::milliseconds(4000));
    EXPECT_EQ(as_request(d.respond(202, {}, R"({"operationId":"x"})")).delay, lro::milliseconds(8000));
    const auto f = as_failed(d.respond(200, {}, R"({"status":null})"));
    EXPECT_EQ(f.reason, failure_reason::protocol_error);
    EXPECT_EQ(f.http_status, 200);
    EXPECT_EQ(d.op.observe().polls, 5u);
}

TEST(Poll, LimitsMakeBadAnswers) {
    lro::options o;
    o.max_body_bytes = 16;
    driver d(o);
    d.accept();
    EXPECT_EQ(as_request(d.respond(200, {}, R"({"status":"Running","x":1})")).delay, lro::milliseconds(1000));
    std::string deep(65, '[');
    std::string body = "{\"a\":" + deep.substr(1) + std::string(64, ']') + "}";
    driver e;
    e.accept();
    EXPECT_EQ(e.op.observe().consecutive_errors, 0u);
    as_request(e.respond(200, {}, body));
    EXPECT_EQ(e.op.observe().consecutive_errors, 1u);
    as_request(e.respond(200, {}, "{\"status\":\"Run\xff\"}"));
    EXPECT_EQ(e.op.observe().consecutive_errors, 2u);
    as_request(e.respond(200, {}, std::string("{\"status\":\"Running\"}\0", 21)));
    EXPECT_EQ(e.op.observe().consecutive_errors, 3u);
}

TEST(Poll, GoodStatusAnswerResetsTheErrorCount) {
    lro::options o;
    o.max_consecutive_errors = 2;
    driver d(o);
    d.accept();
    as_request(d.respond(500));
    as_request(d.status("Running"));
    EXPECT_EQ(d.op.observe().consecutive_errors, 0u);
    EXPECT_EQ(as_request(d.respond(503)).delay, lro::milliseconds(1000)); // backoff starts over
    EXPECT_EQ(as_failed(d.respond(503)).reason, failure_reason::too_many_errors);
}

TEST(Poll, RetryableErrorsRetryTheSameGet) {
    for (int code : {408, 429, 500, 502, 503, 504}) {
        driver d;
        d.accept();
        const auto r = as_request(d.respond(code, {{"retry-after-ms", "250"}}));
        EXPECT_EQ(r.url, monitor) << code;
        EXPECT_EQ(r.purpose, purpose::status);
        EXPECT_EQ(r.delay, lro::milliseconds(250));
    }
    driver t;
    t.accept();
    EXPECT_EQ(as_request(t.transport(lro::transport_error::timed_out, 3)).delay,
              lro::milliseconds(1000));
}

TEST(Poll, TooManyErrorsCarriesTheLastStatusAndError) {
    lro::options o;
    o.max_consecutive_errors = 2;
    driver d(o);
    d.accept();
    d.transport(lro::transport_error::connection_reset, 1);
    const auto f = as_failed(d.respond(503, {}, R"({"error":{"code":"Busy","message":"later"}})"));
    EXPECT_EQ(f.reason, failure_reason::too_many_errors);
    EXPECT_EQ(f.http_status, 503);
    ASSERT_NE(f.error, nullptr);
    EXPECT_EQ(f.error->message, "later");

    driver t(o);
    t.accept();
    t.respond(500);
    const auto g = as_failed(t.transport(lro::transport_error::other, 9));
    EXPECT_EQ(g.reason, failure_reason::too_many_errors);
    EXPECT_FALSE(g.http_status.has_value());
}

TEST(Poll, OtherStatusesAreHttpErrors) {
    for (int code : {404, 410, 401, 403, 400, 301}) {
        driver d;
        d.accept();
        const auto f = as_failed(d.respond(code, {}, R"({"error":{"code":"NotFound"}})"));
        EXPECT_EQ(f.reason, failure_reason::http_error) << code;
        EXPECT_EQ(f.http_status, code);
        ASSERT_NE(f.error, nullptr);
        EXPECT_EQ(f.error->code, "NotFound");
        EXPECT_EQ(f.monitor, monitor);
    }
}

// --- fetch rows -------------------------------------------------------------------------------

TEST(Fetch, AnyTwoHundredSucceedsOthersFailOrRetry) {
    auto fetching = [] {
        driver d;
        d.accept();
        d.respond(200, {{"Resource-Location", "https://us.atlas.microsoft.com/meta/1"}}, R"({"status":"Succeeded"})");
        return d;
    };
    {
        auto d = fetching();
        EXPECT_EQ(as_succeeded(d.respond(204)), "https://us.atlas.microsoft.com/meta/1");
    }
    {
        auto d = fetching();
        const auto r = as_request(d.respond(503, {{"Retry-After", "3"}}));
        EXPECT_EQ(r.purpose, purpose::resource);
        EXPECT_EQ(r.delay, lro::milliseconds(3000));
        EXPECT_EQ(d.op.observe().polls, 1u);
    }
    {
        auto d = fetching();
        const auto f = as_failed(d.respond(404));
        EXPECT_EQ(f.reason, failure_reason::http_error);
        EXPECT_EQ(f.http_status, 404);
    }
}

// --- any: limits, cancel, refusals --------------------------------------------------------------

TEST(Limits, MaxPollsCountsStatusGetsIncludingRetries) {
    lro::options o;
    o.max_polls = 3;
    driver d(o);
    d.accept();            // poll 1
    d.respond(500);        // poll 2 (retry)
    d.status("Running");   // poll 3
    const auto f = as_failed(d.status("Running"));
    EXPECT_EQ(f.reason, failure_reason::timed_out);
    EXPECT_FALSE(f.http_status.has_value());
    EXPECT_EQ(f.monitor, monitor);
    EXPECT_EQ(d.op.observe().polls, 3u);
}

TEST(Limits, DeadlineExactlyReachedIsStillSent) {
    lro::options o;
    o.timeout = lro::milliseconds(10000);
    driver d(o);
    d.now = 100;
    as_request(d.accept()); // start = 100, first poll at 2100
    EXPECT_EQ(as_request(d.status("Running", {{"Retry-After", "5"}}, 5000)).not_before, at(10100));
    const auto f = as_failed(d.status("Running", {{"Retry-After", "1"}}, 5000));
    EXPECT_EQ(f.reason, failure_reason::timed_out);
}

TEST(Limits, LateAnswerIsStillActedOn) {
    lro::options o;
    o.timeout = lro::milliseconds(1000);
    driver d(o);
    d.respond(202, {{"Operation-Location", monitor}, {"Retry-After", "1"}});
    // Arrives after the deadline: the Succeeded answer is still honoured (no request needed).
    o.fetch_resource = false;
    EXPECT_EQ(as_succeeded(d.status("Succeeded", {}, 5000)), "");
}

TEST(Cancel, ByTheClientAtAnyLivePhase) {
    driver d;
    auto a = d.op.cancel(at(0));
    EXPECT_EQ(std::get<lro::canceled>(a).by, lro::cancel_source::client);
    EXPECT_EQ(std::get<lro::refused>(d.op.cancel(at(1))).code, lro::errc::terminal);
}

TEST(Refusals, TerminalAndClockBackwardsChangeNothing) {
    driver d;
    d.now = 1000;
    d.accept();
    const auto before = d.op.observe();
    const auto a = d.op.on_response({200, {}, R"({"status":"Succeeded"})"}, at(999));
    EXPECT_EQ(std::get<lro::refused>(a).code, lro::errc::clock_backwards);
    EXPECT_EQ(d.op.observe().polls, before.polls);
    EXPECT_EQ(d.op.current_phase(), lro::phase::polling);

    as_succeeded(d.status("Succeeded"));
    const auto outcome = d.op.outcome();
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(std::get<lro::refused>(d.status("Running")).code, lro::errc::terminal);
        EXPECT_EQ(std::get<lro::refused>(d.op.on_transport_error(lro::transport_error::other, at(1))).code,
                  lro::errc::terminal);
    }
    EXPECT_EQ(d.op.outcome(), outcome);
    EXPECT_FALSE(d.op.pending_request().has_value());
    EXPECT_FALSE(d.op.next_deadline().has_value());
}

// --- Retry-After, clamping, backoff, jitter ------------------------------------------------------

TEST(Delays, ClampedToMinAndMax) {
    lro::options o;
    o.min_poll_interval = lro::milliseconds(500);
    o.max_poll_interval = lro::milliseconds(10000);
    o.default_poll_interval = lro::milliseconds(100);
    driver d(o);
    EXPECT_EQ(as_request(d.accept()).delay, lro::milliseconds(500));
    EXPECT_EQ(as_request(d.status("Running", {{"Retry-After", "3600"}})).delay, lro::milliseconds(10000));
    EXPECT_EQ(as_request(d.status("Running", {{"Retry-After", "99999999999999999999999999"}})).delay,
              lro::milliseconds(10000));
    EXPECT_EQ(as_request(d.status("Running", {{"retry-after-ms", "0"}})).delay, lro::milliseconds(500));
}

TEST(Delays, BackoffDoublesAndIsCapped) {
    lro::options o;
    o.max_consecutive_errors = 100;
    o.max_poll_interval = lro::milliseconds(20000);
    driver d(o);
    d.accept();
    const std::int64_t expected[] = {1000, 2000, 4000, 8000, 16000, 20000, 20000};
    for (std::int64_t e : expected) EXPECT_EQ(as_request(d.respond(500)).delay, lro::milliseconds(e));
}

TEST(Delays, JitterFollowsSplitMix64AndOnlyTouchesBackoff) {
    lro::options o;
    o.jitter = true;
    o.jitter_seed = 42;
    o.max_consecutive_errors = 10;
    driver d(o);
    EXPECT_EQ(as_request(d.accept()).delay, lro::milliseconds(2000)); // default interval: no jitter
    std::uint64_t state = 42;
    for (std::int64_t base : {1000, 2000, 4000}) {
        const std::uint64_t x = azmaps::lro::detail::splitmix64_next(state);
        const std::int64_t expect = base / 2 + static_cast<std::int64_t>(x % static_cast<std::uint64_t>(base / 2 + 1));
        EXPECT_EQ(as_request(d.respond(500)).delay, lro::milliseconds(expect));
    }
    EXPECT_EQ(as_request(d.respond(500, {{"Retry-After", "2"}})).delay, lro::milliseconds(2000)); // server's word
}

TEST(Delays, HttpDateFromDateHeaderAndWallClock) {
    driver d;
    d.accept();
    auto r = as_request(d.status("Running", {{"Date", "Sun, 06 Nov 1994 08:49:37 GMT"},
                                             {"Retry-After", "Sun, 06 Nov 1994 08:50:07 GMT"}}));
    EXPECT_EQ(r.delay, lro::milliseconds(30000));
    const auto wall = lro::wall_time(std::chrono::seconds(784111777 + 10)); // 10 s after 08:49:37
    const headers h{{"Retry-After", "Sunday, 06-Nov-94 08:50:07 GMT"}};
    const std::string body = R"({"status":"Running"})";
    r = as_request(d.op.on_response({200, h, body}, at(d.now), wall));
    EXPECT_EQ(r.delay, lro::milliseconds(20000));
    // No Date and no wall clock: the date is unusable, the default interval applies.
    r = as_request(d.status("Running", {{"Retry-After", "Sun Nov  6 08:50:07 1994"}}));
    EXPECT_EQ(r.delay, lro::milliseconds(2000));
}

// --- URLs and origins -------------------------------------------------------------------------

TEST(Origins, AllowListAnyOriginAndInsecure) {
    const char* foreign = "https://eu.atlas.microsoft.com/op/1";
    {
        lro::options o;
        o.allowed_origins = {"https://eu.atlas.microsoft.com"};
        driver d(o);
        const auto r = as_request(d.accept({{"Operation-Location", foreign}}));
        EXPECT_EQ(r.url, foreign);
        EXPECT_FALSE(r.same_origin);
    }
    {
        lro::options o;
        o.allow_any_origin = true;
        driver d(o);
        EXPECT_FALSE(as_request(d.accept({{"Operation-Location", foreign}})).same_origin);
    }
    {
        driver d;
        EXPECT_EQ(as_failed(d.accept({{"Operation-Location", "http://us.atlas.microsoft.com/op"}})).reason,
                  failure_reason::cross_origin);
    }
    {
        lro::options o;
        o.allow_insecure = true; // never widens the origins: http://host is another origin
        driver d(o);
        EXPECT_EQ(as_failed(d.accept({{"Operation-Location", "http://us.atlas.microsoft.com/op"}})).reason,
                  failure_reason::cross_origin);
        o.allowed_origins = {"http://us.atlas.microsoft.com"};
        driver e(o);
        EXPECT_FALSE(as_request(e.accept({{"Operation-Location", "http://us.atlas.microsoft.com/op"}})).same_origin);
    }
    {
        lro::options o;
        o.allow_any_origin = true; // any origin, but still no https -> http
        driver d(o);
        EXPECT_EQ(as_failed(d.accept({{"Operation-Location", "http://elsewhere/op"}})).reason,
                  failure_reason::cross_origin);
    }
    {
        driver d; // explicit default port and case differences are the same origin
        EXPECT_TRUE(as_request(d.accept({{"Operation-Location", "HTTPS://US.Atlas.Microsoft.com:443/op"}})).same_origin);
    }
}

TEST(Urls, AddedQueryParametersOnlyOnTheSubmitOrigin) {
    lro::options o;
    o.add_query = {{"api-version", "2.0"}, {"tag", "x"}};
    o.allowed_origins = {"https://eu.atlas.microsoft.com"};
    o.fetch_resource = true;
    driver d(o);
    EXPECT_EQ(as_request(d.accept({{"Operation-Location", "/ops/1?tag=keep"}})).url,
              "https://us.atlas.microsoft.com/ops/1?tag=keep&api-version=2.0");
    EXPECT_EQ(as_request(d.respond(200, {{"Resource-Location", "https://eu.atlas.microsoft.com/meta/1"}},
                                   R"({"status":"Succeeded"})"))
                  .url,
              "https://eu.atlas.microsoft.com/meta/1");
}

TEST(Urls, TooLongAfterResolutionIsRefused) {
    lro::options o;
    o.max_url_length = 60;
    driver d(o);
    const auto f = as_failed(d.accept({{"Operation-Location", "/" + std::string(40, 'a')}}));
    EXPECT_EQ(f.reason, failure_reason::protocol_error);
}

TEST(Urls, RefusedResourceUrlFailsEvenWithFetchOff) {
    lro::options o;
    o.fetch_resource = false;
    driver d(o);
    d.accept();
    EXPECT_EQ(as_failed(d.respond(200, {{"Resource-Location", "https://evil.example/x"}}, R"({"status":"Succeeded"})"))
                  .reason,
              failure_reason::cross_origin);
}

// --- versions ---------------------------------------------------------------------------------

TEST(Versions, PinnedVersionFollowsOnlyItsHeader) {
    lro::options o;
    o.version = lro::protocol_version::v1;
    driver d(o);
    EXPECT_EQ(as_failed(d.respond(202, {{"Operation-Location", monitor}})).reason, failure_reason::protocol_error);
    o.version = lro::protocol_version::v2;
    driver e(o);
    EXPECT_EQ(as_failed(e.respond(202, {{"Location", monitor}})).reason, failure_reason::protocol_error);
}

TEST(Versions, FirstEvidenceWinsAndMixedFieldsAreFine) {
    driver d;
    d.accept({{"Location", monitor}}); // v1 evidence first
    as_request(d.respond(200, {}, R"({"status":"Running","created":"2021-05-06T07:55:19.5256829+00:00"})"));
    EXPECT_EQ(d.op.observe().version, lro::protocol_version::v1);
    EXPECT_EQ(d.op.observe().created_unix_ms, 1620287719525);
}

// --- resume tokens ----------------------------------------------------------------------------

TEST(Resume, RoundTripContinuesIdentically) {
    lro::options o;
    o.jitter = true;
    o.jitter_seed = 7;
    o.timeout = lro::milliseconds(60000);
    driver d(o);
    d.accept();
    d.respond(200, {}, R"({"status":"Running","operationId":"abc","created":"2021-05-06T07:55:19Z"})", 2000);
    d.respond(500, {}, "", 2000);
    const auto token = d.op.save();
    ASSERT_TRUE(token.has_value());
    EXPECT_EQ(token->find("us.atlas.microsoft.com/mapData?"), std::string::npos); // no submit path or query
    auto r = lro::operation::resume(*token, o, at(50000), "https://us.atlas.microsoft.com");
    ASSERT_TRUE(r.has_value()) << lro::to_string(r.error());
    auto& m = *r;
    EXPECT_EQ(m.observe().operation_id, "abc");
    EXPECT_EQ(m.observe().polls, d.op.observe().polls);
    EXPECT_EQ(m.observe().elapsed, d.op.observe().elapsed);
    EXPECT_EQ(m.pending_request()->url, d.op.pending_request()->url);
    EXPECT_EQ(m.pending_request()->delay, d.op.pending_request()->delay);
    // The same continuation gives the same actions, shifted in time.
    const std::int64_t shift = 50000 - d.now;
    for (int i = 0; i < 4; ++i) {
        const auto a = d.respond(503, {}, "", 1000);
        const auto b = m.on_response({503, {}, ""}, at(d.now + shift));
        const auto ra = std::get_if<lro::send_request>(&a);
        const auto rb = std::get_if<lro::send_request>(&b);
        ASSERT_EQ(ra != nullptr, rb != nullptr);
        if (ra) {
            EXPECT_EQ(ra->delay, rb->delay);
            EXPECT_EQ(ra->url, rb->url);
        } else {
            EXPECT_EQ(std::get<lro::failed>(a).reason, std::get<lro::failed>(b).reason);
        }
    }
}

TEST(Resume, NothingToSaveBeforeAcceptanceOrAfterTheEnd) {
    driver d;
    EXPECT_EQ(d.op.save().error(), lro::errc::nothing_to_save);
    d.accept();
    d.status("Succeeded");
    EXPECT_EQ(d.op.save().error(), lro::errc::nothing_to_save);
    EXPECT_EQ(lro::operation{}.save().error(), lro::errc::nothing_to_save);
}

TEST(Resume, TimedOutTokenStartsAFreshBudget) {
    lro::options o;
    o.max_polls = 1;
    driver d(o);
    d.accept();
    EXPECT_EQ(as_failed(d.status("Running")).reason, failure_reason::timed_out);
    const auto token = d.op.save();
    ASSERT_TRUE(token.has_value());
    auto r = lro::operation::resume(*token, o, at(0), "https://us.atlas.microsoft.com");
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->observe().polls, 0u);
    EXPECT_EQ(r->pending_request()->url, monitor);
    EXPECT_EQ(r->pending_request()->delay, lro::milliseconds(2000)); // the wait it was about to ask for
}

TEST(Resume, CorruptTruncatedAndFutureTokensAreRefused) {
    driver d;
    d.accept();
    const std::string token = *d.op.save();
    EXPECT_EQ(lro::operation::resume("", lro::options{}, at(0), "https://us.atlas.microsoft.com").error(), lro::errc::token_corrupt);
    EXPECT_EQ(lro::operation::resume("hello", lro::options{}, at(0), "https://us.atlas.microsoft.com").error(), lro::errc::token_corrupt);
    EXPECT_EQ(lro::operation::resume("azlro2." + token.substr(7), lro::options{}, at(0), "https://us.atlas.microsoft.com").error(),
              lro::errc::token_unsupported);
    EXPECT_EQ(lro::operation::resume("azlro17.AAAA", lro::options{}, at(0), "https://us.atlas.microsoft.com").error(), lro::errc::token_unsupported);
    for (std::size_t n = 0; n < token.size(); ++n) {
        const auto e = lro::operation::resume(token.substr(0, n), lro::options{}, at(0), "https://us.atlas.microsoft.com").error();
        EXPECT_TRUE(e == lro::errc::token_truncated || e == lro::errc::token_corrupt) << n;
    }
    EXPECT_EQ(lro::operation::resume(token.substr(0, token.size() - 4), lro::options{}, at(0), "https://us.atlas.microsoft.com").error(),
              lro::errc::token_truncated);
    for (std::size_t i = 7; i < token.size(); ++i) {
        std::string t = token;
        t[i] = t[i] == 'A' ? 'B' : 'A';
        EXPECT_FALSE(lro::operation::resume(t, lro::options{}, at(0), "https://us.atlas.microsoft.com").has_value()) << i;
    }
}

TEST(Resume, OriginRulesOfTheGivenOptionsApply) {
    lro::options wide;
    wide.allowed_origins = {"https://eu.atlas.microsoft.com"};
    driver d(wide);
    d.accept({{"Operation-Location", "https://eu.atlas.microsoft.com/op/1"}});
    const std::string token = *d.op.save();
    EXPECT_TRUE(lro::operation::resume(token, wide, at(0), "https://us.atlas.microsoft.com").has_value());
    EXPECT_EQ(lro::operation::resume(token, lro::options{}, at(0), "https://us.atlas.microsoft.com").error(), lro::errc::token_origin_refused);
    EXPECT_EQ(lro::operation::resume(token, wide, at(0), "https://attacker.example").error(),
              lro::errc::token_origin_refused);
    EXPECT_TRUE(lro::operation::resume(token, wide, at(0), "https://us.atlas.microsoft.com").has_value());
}

// --- ownership --------------------------------------------------------------------------------

TEST(Ownership, NothingReturnedDanglesWhenCallerBuffersGoAway) {
    driver d;
    lro::action a;
    {
        std::string url = "https://us.atlas.microsoft.com/ops/owned";
        std::vector<lro::header> h{{"Operation-Location", url}};
        a = d.op.on_response({202, h, ""}, at(0));
        url.assign(url.size(), 'X');
    }
    EXPECT_EQ(as_request(a).url, "https://us.atlas.microsoft.com/ops/owned");
    lro::action f;
    {
        std::string body = R"({"status":"Failed","error":{"code":"C\u00e9","message":"m"}})";
        f = d.op.on_response({200, {}, body}, at(1));
        body.assign(body.size(), 'X');
    }
    EXPECT_EQ(as_failed(f).error->code, "C\xc3\xa9");
    lro::operation copy = d.op; // copies are deep
    d.op = lro::operation{};
    EXPECT_EQ(std::get<lro::failed>(*copy.outcome()).error->code, "C\xc3\xa9");
}
