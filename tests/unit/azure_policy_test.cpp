// azure_policy: the strategy rows, the status tables, the final-result rules and the edge rules
// of FAMILY.md, one behaviour per test, expectations worked out from the text. The vectors
// (tests/vectors/azure_*.json) cover every row and scenario; these pin the machine's API.
#include <azmaps/lro.hpp>
#include <azmaps/lro/azure_policy.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace lro = azmaps::lro;
using namespace std::chrono_literals;

namespace {

const std::string original = "https://management.azure.com/subscriptions/s/things/t?api-version=2024-01-01";
const std::string aao = "https://management.azure.com/operations/1?api-version=2024-01-01";
const std::string ol = "https://management.azure.com/ops/2?api-version=2024-01-01";
const std::string loc = "https://management.azure.com/results/3";

lro::time_point at(std::int64_t ms) { return lro::time_point(std::chrono::milliseconds(ms)); }

struct driver {
    lro::azure_operation op;
    std::int64_t now = 0;
    explicit driver(const char* method, const lro::options& o = {}) {
        auto r = lro::azure_operation::start(method, original, o);
        EXPECT_TRUE(r.has_value());
        op = std::move(*r);
    }
    lro::action answer(int code, std::vector<lro::header> h = {}, const std::string& body = "") {
        return op.on_response({code, h, body}, at(now += 1000));
    }
};

const lro::send_request& req(const lro::action& a) { return std::get<lro::send_request>(a); }
const lro::succeeded& ok(const lro::action& a) { return std::get<lro::succeeded>(a); }
const lro::failed& ko(const lro::action& a) { return std::get<lro::failed>(a); }

} // namespace

TEST(AzurePolicy, S1PutIsResentAfter500ButPostIsNot) {
    driver put("PUT");
    EXPECT_EQ(req(put.answer(500)).purpose, lro::purpose::submit);
    driver post("POST");
    EXPECT_EQ(ko(post.answer(500)).reason, lro::failure_reason::http_error);
    lro::options opt_in;
    opt_in.resubmit_on_ambiguous = true;
    driver post2("POST", opt_in);
    EXPECT_EQ(req(post2.answer(502)).method, "POST");
    lro::options no_idem;
    no_idem.resubmit_idempotent = false;
    driver del("DELETE", no_idem);
    EXPECT_EQ(ko(del.answer(504)).reason, lro::failure_reason::http_error);
    driver del2("DELETE");
    EXPECT_TRUE(std::holds_alternative<lro::send_request>(del2.op.on_transport_error(lro::transport_error::connection_reset, at(1))));
    EXPECT_EQ(ko(driver("POST").answer(400)).reason, lro::failure_reason::request_rejected);
}

TEST(AzurePolicy, S2TerminalStateOnTheSubmitWinsAndIgnoresMonitorHeaders) {
    driver d("PATCH");
    const lro::action a = d.answer(200, {{"Azure-AsyncOperation", "http://localhost/ignored"}},
                                   R"({"properties":{"provisioningState":"Succeeded"}})");
    EXPECT_EQ(ok(a).source, lro::result_source::submit);
    EXPECT_EQ(ok(a).resource_location, original);
    EXPECT_EQ(d.op.observe().strategy, "DONE");
    EXPECT_EQ(d.op.observe().status, "Succeeded");
    driver f("PUT");
    EXPECT_EQ(ko(f.answer(201, {}, R"({"properties":{"provisioningState":"Failed"},"error":{"code":"E"}})")).reason,
              lro::failure_reason::operation_failed);
    driver c("POST");
    EXPECT_EQ(std::get<lro::canceled>(c.answer(200, {}, R"({"properties":{"provisioningState":"canceled"}})")).by,
              lro::cancel_source::server);
}

TEST(AzurePolicy, S3BothHeadersFollowOperationLocationUnlessFsvNamesAao) {
    driver d("POST");
    EXPECT_EQ(req(d.answer(202, {{"Azure-AsyncOperation", aao}, {"Operation-Location", ol}})).url, ol);
    EXPECT_EQ(d.op.observe().strategy, "OL");
    lro::options o;
    o.final_state_via = lro::final_state::azure_async_operation;
    driver e("POST", o);
    EXPECT_EQ(req(e.answer(202, {{"Azure-AsyncOperation", aao}, {"Operation-Location", ol}})).url, aao);
    EXPECT_EQ(e.op.observe().strategy, "AAO");
}

TEST(AzurePolicy, S3TheSubmitStatusIsNotReadAndTheFirstPollWaitsForRetryAfter) {
    driver d("POST");
    const lro::action a = d.answer(200, {{"Operation-Location", ol}, {"Retry-After", "7"}}, R"({"status":"Succeeded"})");
    EXPECT_EQ(req(a).delay, 7000ms); // 4.9: polls at least once; 4.16: the submit's Retry-After
}

TEST(AzurePolicy, S4LocationPollingEndsOnTheAnswerThatDecides) {
    driver d("POST");
    EXPECT_EQ(req(d.answer(202, {{"Location", loc}})).url, loc);
    EXPECT_EQ(d.op.observe().strategy, "LOC");
    EXPECT_EQ(req(d.answer(202, {{"Location", loc + "/next"}})).url, loc + "/next"); // 4.12
    EXPECT_EQ(req(d.answer(202)).url, loc + "/next");                               // none keeps it
    const lro::action a = d.answer(200, {}, R"({"id":"1"})");
    EXPECT_EQ(ok(a).source, lro::result_source::poll);
    EXPECT_EQ(ok(a).resource_location, loc + "/next");
}

TEST(AzurePolicy, LocationAnswerStatingFailedIsNotASuccess) {
    driver d("DELETE");
    ASSERT_TRUE(std::holds_alternative<lro::send_request>(d.answer(202, {{"Location", loc}})));
    EXPECT_EQ(ko(d.answer(200, {}, R"({"properties":{"provisioningState":"Failed"}})")).reason,
              lro::failure_reason::operation_failed); // 4.6, Go's rule
}

TEST(AzurePolicy, S5AndS9) {
    EXPECT_EQ(ok(driver("DELETE").answer(204)).source, lro::result_source::none);
    EXPECT_EQ(ok(driver("POST").answer(200, {}, "[1,2]")).source, lro::result_source::submit);
    const lro::action f_action = driver("POST").answer(202);
    const lro::failed& f = ko(f_action);
    EXPECT_EQ(f.reason, lro::failure_reason::protocol_error); // 4.10
}

TEST(AzurePolicy, S6S7S8ForPutAndPatch) {
    EXPECT_EQ(ko(driver("PUT").answer(200, {}, "{not json")).reason, lro::failure_reason::protocol_error);
    EXPECT_EQ(ok(driver("PUT").answer(200, {}, "")).source, lro::result_source::submit);
    EXPECT_EQ(ok(driver("PATCH").answer(200, {}, R"({"name":"x"})")).source, lro::result_source::submit);
    driver body("PUT");
    const lro::action a = body.answer(201, {}, "");
    EXPECT_EQ(req(a).url, original); // 4.7: a bare 201 is in progress: poll the original URL
    EXPECT_EQ(req(a).purpose, lro::purpose::status);
    EXPECT_EQ(body.op.observe().strategy, "BODY");
    EXPECT_EQ(req(body.answer(200, {}, R"({"properties":{"provisioningState":"Updating"}})")).url, original);
    EXPECT_EQ(ok(body.answer(200, {}, R"({"properties":{}})")).source, lro::result_source::poll); // no state: succeeded
}

TEST(AzurePolicy, BodyPollEmptyAnswerIsABadAnswer) {
    lro::options o;
    o.max_consecutive_errors = 2;
    driver d("PUT", o);
    ASSERT_TRUE(std::holds_alternative<lro::send_request>(d.answer(201)));
    EXPECT_TRUE(std::holds_alternative<lro::send_request>(d.answer(200)));
    EXPECT_EQ(ko(d.answer(200)).reason, lro::failure_reason::protocol_error); // LROErrorPut201NoProvisioningStatePayload
}

TEST(AzurePolicy, OperationStatusMustBeANonEmptyString) {
    for (const char* body : {"{}", R"({"status":""})", R"({"status":1})", R"({"status":null})", "", "[]"}) {
        lro::options o;
        o.max_consecutive_errors = 1;
        driver d("PUT", o);
        ASSERT_TRUE(std::holds_alternative<lro::send_request>(d.answer(201, {{"Azure-AsyncOperation", aao}})));
        EXPECT_EQ(ko(d.answer(200, {}, body)).reason, lro::failure_reason::protocol_error) << body;
    }
    lro::options o;
    o.max_consecutive_errors = 1;
    driver d("PUT", o);
    ASSERT_TRUE(std::holds_alternative<lro::send_request>(d.answer(201, {{"Azure-AsyncOperation", aao}})));
    EXPECT_EQ(ko(d.answer(204)).reason, lro::failure_reason::protocol_error); // 4.3
}

TEST(AzurePolicy, TerminalWordsIncludeCompletedCancelledAndCallerWords) {
    driver d("POST");
    ASSERT_TRUE(std::holds_alternative<lro::send_request>(d.answer(202, {{"Operation-Location", ol}})));
    EXPECT_EQ(ok(d.answer(200, {}, R"({"status":"completed"})")).source, lro::result_source::status);
    lro::options o;
    o.succeeded_words = {"Success"};
    o.canceled_words = {"Stopped"};
    driver e("POST", o);
    ASSERT_TRUE(std::holds_alternative<lro::send_request>(e.answer(202, {{"Operation-Location", ol}})));
    EXPECT_TRUE(std::holds_alternative<lro::send_request>(e.answer(200, {}, R"({"status":"Running"})")));
    EXPECT_TRUE(std::holds_alternative<lro::canceled>(e.answer(200, {}, R"({"status":"STOPPED"})")));
}

TEST(AzurePolicy, FinalRulesF1ToF8) {
    { // F1: DELETE has no result, even with fsv location.
        lro::options o;
        o.final_state_via = lro::final_state::location;
        driver d("DELETE", o);
        ASSERT_TRUE(std::holds_alternative<lro::send_request>(d.answer(202, {{"Azure-AsyncOperation", aao}, {"Location", loc}})));
        EXPECT_EQ(ok(d.answer(200, {}, R"({"status":"Succeeded"})")).source, lro::result_source::none);
    }
    { // F2: fsv location GETs the submit's Location.
        lro::options o;
        o.final_state_via = lro::final_state::location;
        driver d("PUT", o);
        ASSERT_TRUE(std::holds_alternative<lro::send_request>(d.answer(201, {{"Azure-AsyncOperation", aao}, {"Location", loc}})));
        const lro::action a = d.answer(200, {}, R"({"status":"Succeeded"})");
        EXPECT_EQ(req(a).url, loc);
        EXPECT_EQ(req(a).delay, 0ms);
        EXPECT_EQ(req(a).purpose, lro::purpose::resource);
    }
    { // F3: fsv azure-async-operation on POST: the status answer is the result (its `result` member).
        lro::options o;
        o.final_state_via = lro::final_state::azure_async_operation;
        o.result_member = "result";
        driver d("POST", o);
        ASSERT_TRUE(std::holds_alternative<lro::send_request>(d.answer(202, {{"Azure-AsyncOperation", aao}, {"Location", loc}})));
        const lro::action s_action = d.answer(200, {}, R"({"status":"succeeded","result":{"id":"100"}})");
    const lro::succeeded& s = ok(s_action);
        EXPECT_EQ(s.source, lro::result_source::status);
        EXPECT_EQ(s.result_member, "result");
        EXPECT_EQ(s.resource_location, aao);
    }
    { // F4: original-uri.
        lro::options o;
        o.final_state_via = lro::final_state::original_uri;
        driver d("POST", o);
        ASSERT_TRUE(std::holds_alternative<lro::send_request>(d.answer(202, {{"Operation-Location", ol}})));
        EXPECT_EQ(req(d.answer(200, {}, R"({"status":"Succeeded"})")).url, original);
    }
    { // F5: resourceLocation, resolved against the monitor.
        driver d("POST");
        ASSERT_TRUE(std::holds_alternative<lro::send_request>(d.answer(202, {{"Operation-Location", ol}})));
        EXPECT_EQ(req(d.answer(200, {}, R"({"status":"Succeeded","resourceLocation":"/things/9"})")).url,
                  "https://management.azure.com/things/9");
    }
    { // F6: PUT GETs the original URL even with fsv azure-async-operation.
        lro::options o;
        o.final_state_via = lro::final_state::azure_async_operation;
        driver d("PUT", o);
        ASSERT_TRUE(std::holds_alternative<lro::send_request>(d.answer(201, {{"Azure-AsyncOperation", aao}})));
        EXPECT_EQ(req(d.answer(200, {}, R"({"status":"Succeeded"})")).url, original);
    }
    { // F7: POST with a Location from the terminal status answer (4.13).
        driver d("POST");
        ASSERT_TRUE(std::holds_alternative<lro::send_request>(d.answer(202, {{"Operation-Location", ol}})));
        EXPECT_EQ(req(d.answer(200, {{"Location", loc}}, R"({"status":"Succeeded"})")).url, loc);
    }
    { // F8: POST without a Location: the terminal status answer.
        driver d("POST");
        ASSERT_TRUE(std::holds_alternative<lro::send_request>(d.answer(202, {{"Operation-Location", ol}})));
        const lro::action s_action = d.answer(200, {}, R"({"status":"Succeeded"})");
    const lro::succeeded& s = ok(s_action);
        EXPECT_EQ(s.source, lro::result_source::status);
        EXPECT_TRUE(s.result_member.empty()); // no result_member option
    }
}

TEST(AzurePolicy, FinalFetch202IsNotReadyAndCountsAsAPoll) {
    lro::options o;
    o.max_polls = 3;
    driver d("PUT", o);
    ASSERT_TRUE(std::holds_alternative<lro::send_request>(d.answer(201, {{"Azure-AsyncOperation", aao}})));
    ASSERT_EQ(req(d.answer(200, {}, R"({"status":"Succeeded"})")).url, original);
    const lro::action a = d.answer(202, {{"Retry-After", "3"}});
    EXPECT_EQ(req(a).url, original);
    EXPECT_EQ(req(a).delay, 3000ms);
    EXPECT_EQ(req(a).purpose, lro::purpose::resource);
    EXPECT_EQ(d.op.observe().polls, 2u);
    EXPECT_TRUE(std::holds_alternative<lro::send_request>(d.answer(202)));
    EXPECT_EQ(ko(d.answer(202)).reason, lro::failure_reason::timed_out); // the 4th poll would pass max_polls
    driver e("PUT");
    ASSERT_TRUE(std::holds_alternative<lro::send_request>(e.answer(201, {{"Azure-AsyncOperation", aao}})));
    ASSERT_TRUE(std::holds_alternative<lro::send_request>(e.answer(200, {}, R"({"status":"Succeeded"})")));
    EXPECT_EQ(ok(e.answer(200, {}, R"({"name":"t"})")).source, lro::result_source::final);
}

TEST(AzurePolicy, UnusedHeadersAreNeitherResolvedNorChecked) {
    driver d("PUT");
    // 4.14: the bogus Location beside an AAO never matters for a PUT (F6 GETs the original URL).
    ASSERT_TRUE(std::holds_alternative<lro::send_request>(
        d.answer(201, {{"Azure-AsyncOperation", aao}, {"Location", "somethingBadWhichShouldNotBeUsed"}})));
    EXPECT_EQ(req(d.answer(200, {}, R"({"status":"Succeeded"})")).url, original);
}

TEST(AzurePolicy, NumericErrorCodesAreKeptAsTheirText) {
    driver d("POST");
    ASSERT_TRUE(std::holds_alternative<lro::send_request>(d.answer(202, {{"Azure-AsyncOperation", aao}})));
    const lro::action f_action = d.answer(200, {}, R"({"status":"Failed","error":{"code":500,"message":"Internal Server Error"}})");
    const lro::failed& f = ko(f_action);
    EXPECT_EQ(f.reason, lro::failure_reason::operation_failed);
    ASSERT_NE(f.error, nullptr);
    EXPECT_EQ(f.error->code, "500");
    EXPECT_EQ(f.error->message, "Internal Server Error");
}
