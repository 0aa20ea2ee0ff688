// End-to-end: the emulator + the blocking libcurl driver, for every scenario the emulator can
// script, in both protocol versions; plus credentials, resubmit bodies, body limits,
// interruption + resume, following a monitor, and transport errors.
#include <atomic>
#include <string>

#include <azmaps/lro/adapters/curl_easy.hpp>
#include <azmaps/lro/adapters/follow.hpp>

#include "e2e_support.hpp"

namespace {

using namespace e2e;

class EasyE2E : public ::testing::Test {
protected:
    void SetUp() override {
        emu::config cfg;
        cfg.subscription_key = "e2e-key";
        cfg.max_threads = 64;
        srv = std::make_unique<emu::server>(cfg);
        ASSERT_TRUE(srv->start());
        creds.subscription_key = "e2e-key";
    }
    void TearDown() override {
        if (srv) {
            EXPECT_EQ(srv->requests_without_key(), 0);
            EXPECT_EQ(srv->requests_with_wrong_key(), 0);
            EXPECT_EQ(srv->foreign_origin_key_requests(), 0);
            srv->stop();
        }
    }

    seen run_one(scenario s, int version, const lro::options& opts, lro::curl::request_spec spec = {},
                 const timing& t = {}) {
        auto op = lro::operation::start("POST", srv->base_url() + submit_path(s, version, t), opts);
        EXPECT_TRUE(op.has_value());
        lro::curl::outcome out = lro::curl::run(*op, spec, creds);
        return capture(*op, out);
    }

    std::unique_ptr<emu::server> srv;
    lro::curl::credentials creds;
};

class EveryScenario : public EasyE2E, public ::testing::WithParamInterface<std::tuple<scenario, int>> {};

TEST_P(EveryScenario, EndsAsScriptedWithExactRequestsAndNoEarlyPoll) {
    const auto [s, version] = GetParam();
    const timing t;
    const seen got = run_one(s, version, fast_options(*srv, version), {}, t);
    const std::string where = std::string(emu::scenario_name(s)) + " v" + std::to_string(version);
    expect_outcome(s, version, got, where);
    const auto ops = srv->operations();
    if (s == scenario::fail_submit_400) {
        EXPECT_EQ(ops.size(), 0u); // rejected: no operation was created
        EXPECT_EQ(got.requests, 1u);
        return;
    }
    ASSERT_EQ(ops.size(), 1u);
    EXPECT_EQ(ops[0].version, version);
    expect_record(s, ops[0], got, t, where);
    if (s == scenario::cross_origin) {
        EXPECT_EQ(srv->foreign_origin_requests(), ops[0].status_polls);
    }
}

std::string scenario_test_name(const ::testing::TestParamInfo<std::tuple<scenario, int>>& info) {
    std::string n(emu::scenario_name(std::get<0>(info.param)));
    for (char& c : n)
        if (c == '-') c = '_';
    return n + "_v" + std::to_string(std::get<1>(info.param));
}

INSTANTIATE_TEST_SUITE_P(Emulator, EveryScenario,
                         ::testing::Combine(::testing::ValuesIn(emu::all_scenarios()), ::testing::Values(1, 2)),
                         scenario_test_name);

TEST_F(EasyE2E, KeyInQueryStaysHomeInTheCrossOriginScenario) {
    creds.key_in_query = true;
    creds.authorization = "Bearer e2e-token"; // also a credential: must not reach the foreign origin
    const seen got = run_one(scenario::cross_origin, 2, fast_options(*srv, 2));
    expect_outcome(scenario::cross_origin, 2, got, "key in query");
    const auto ops = srv->operations();
    ASSERT_EQ(ops.size(), 1u);
    expect_record(scenario::cross_origin, ops[0], got, timing{}, "key in query");
    EXPECT_GT(srv->foreign_origin_requests(), 0);
    EXPECT_EQ(srv->foreign_origin_key_requests(), 0);
    for (const auto& r : ops[0].requests) {
        if (r.foreign) {
            EXPECT_EQ(r.query.find("subscription-key"), std::string::npos) << r.query;
        } else {
            EXPECT_NE(r.query.find("subscription-key=e2e-key"), std::string::npos) << r.query;
        }
    }
}

TEST_F(EasyE2E, CrossOriginMonitorIsRefusedWhenTheOriginIsNotAllowed) {
    lro::options opts = fast_options(*srv, 2);
    opts.allowed_origins.clear();
    const seen got = run_one(scenario::cross_origin, 2, opts);
    ASSERT_EQ(got.kind, "failed");
    EXPECT_EQ(got.reason, lro::failure_reason::cross_origin);
    EXPECT_EQ(got.requests, 1u);
    EXPECT_EQ(srv->foreign_origin_requests(), 0);
}

TEST_F(EasyE2E, ResubmitResendsTheBody) {
    // The scenario is named only in the body: a resubmit without it would be a new operation.
    lro::curl::request_spec spec;
    spec.body = R"({"scenario":"submit-503","description":"resubmit me"})";
    auto op = lro::operation::start("POST", srv->base_url() + "/mapData?api-version=2.0&retry_after_ms=50", fast_options(*srv, 2));
    ASSERT_TRUE(op);
    const lro::curl::outcome out = lro::curl::run(*op, spec, creds);
    const seen got = capture(*op, out);
    expect_outcome(scenario::submit_503, 2, got, "body");
    const auto ops = srv->operations();
    ASSERT_EQ(ops.size(), 1u);
    EXPECT_EQ(ops[0].scenario, "submit-503");
    EXPECT_EQ(ops[0].submits, 2);
    EXPECT_EQ(ops[0].early_submits, 0);
}

TEST_F(EasyE2E, OversizedStatusBodiesAreBadAnswersNotUnboundedBuffers) {
    lro::options opts = fast_options(*srv, 2);
    opts.max_body_bytes = 40; // every status body of the emulator is longer
    opts.max_consecutive_errors = 3;
    const seen got = run_one(scenario::succeed, 2, opts);
    ASSERT_EQ(got.kind, "failed");
    EXPECT_EQ(got.reason, lro::failure_reason::protocol_error);
    const auto ops = srv->operations();
    ASSERT_EQ(ops.size(), 1u);
    EXPECT_EQ(ops[0].status_polls, 3);
    EXPECT_EQ(ops[0].early_polls, 0);
}

TEST_F(EasyE2E, ProgressEventsDescribeEveryRequest) {
    timing t;
    t.retry_after_ms = 200; // long enough that every wait is seen, even on a loaded machine
    auto op = lro::operation::start("POST", srv->base_url() + submit_path(scenario::succeed, 2, t), fast_options(*srv, 2));
    ASSERT_TRUE(op);
    int sending = 0, answered = 0, waiting = 0;
    lro::curl::easy_config cfg;
    cfg.tick = std::chrono::milliseconds(10);
    cfg.on_event = [&](const lro::curl::event& e) {
        using k = lro::curl::event::kind;
        if (e.what == k::sending) ++sending;
        if (e.what == k::answered) ++answered;
        if (e.what == k::waiting) ++waiting;
    };
    const lro::curl::outcome out = lro::curl::run(*op, {}, creds, cfg);
    EXPECT_TRUE(out.ok());
    EXPECT_EQ(sending, 6); // submit, 4 polls, resource
    EXPECT_EQ(answered, 6);
    EXPECT_GE(waiting, 4);
}

TEST_F(EasyE2E, InterruptedRunResumesFromItsTokenWithoutAnEarlyPoll) {
    timing t;
    t.retry_after_ms = 300;
    auto op = lro::operation::start("POST", srv->base_url() + submit_path(scenario::succeed, 2, t), fast_options(*srv, 2));
    ASSERT_TRUE(op);
    std::atomic<bool> stop{false};
    lro::curl::easy_config cfg;
    cfg.stop = &stop;
    cfg.on_event = [&](const lro::curl::event& e) {
        if (e.what == lro::curl::event::kind::answered && e.request.purpose == lro::purpose::status) stop = true;
    };
    const lro::curl::outcome first = lro::curl::run(*op, {}, creds, cfg);
    ASSERT_TRUE(first.interrupted);
    ASSERT_EQ(first.result.end, lro::phase::idle); // not ended: the machine is still live
    ASSERT_TRUE(op->pending_request().has_value());
    EXPECT_EQ(first.requests, 2u); // the submit and one poll
    auto token = op->save();
    ASSERT_TRUE(token.has_value());
    EXPECT_EQ(token->find("e2e-key"), std::string::npos);

    auto resumed = lro::operation::resume(*token, fast_options(*srv, 2), lro::clock::now(), srv->base_url());
    ASSERT_TRUE(resumed.has_value());
    const lro::curl::outcome second = lro::curl::run(*resumed, {}, creds);
    ASSERT_TRUE(second.ok());
    const auto ops = srv->operations();
    ASSERT_EQ(ops.size(), 1u);
    EXPECT_EQ(ops[0].status_polls, 4);
    EXPECT_EQ(ops[0].resource_fetches, 1);
    EXPECT_EQ(ops[0].early_polls, 0);
}

TEST_F(EasyE2E, ResumeRefusesATokenFromAnotherOriginThanTheTrustedOne) {
    auto op = lro::operation::start("POST", srv->base_url() + submit_path(scenario::succeed, 2, timing{}), fast_options(*srv, 2));
    ASSERT_TRUE(op);
    std::atomic<bool> stop{false};
    lro::curl::easy_config cfg;
    cfg.stop = &stop;
    cfg.on_event = [&](const lro::curl::event& e) {
        if (e.what == lro::curl::event::kind::answered) stop = true;
    };
    ASSERT_TRUE(lro::curl::run(*op, {}, creds, cfg).interrupted);
    auto token = op->save();
    ASSERT_TRUE(token.has_value());
    auto refused = lro::operation::resume(*token, fast_options(*srv, 2), lro::clock::now(), srv->foreign_base_url());
    EXPECT_EQ(refused.error(), lro::errc::token_origin_refused);
}

TEST_F(EasyE2E, FollowMonitorPollsAnOperationStartedElsewhere) {
    // Start it, stop after the submit, and hand only the monitor URL over.
    auto op = lro::operation::start("POST", srv->base_url() + submit_path(scenario::succeed, 1, timing{}), fast_options(*srv, 1));
    ASSERT_TRUE(op);
    std::atomic<bool> stop{false};
    lro::curl::easy_config cfg;
    cfg.stop = &stop;
    cfg.on_event = [&](const lro::curl::event& e) {
        if (e.what == lro::curl::event::kind::answered) stop = true;
    };
    ASSERT_TRUE(lro::curl::run(*op, {}, creds, cfg).interrupted);
    const std::string monitor(op->observe().monitor);
    ASSERT_FALSE(monitor.empty());

    auto follower = lro::follow_monitor(monitor, fast_options(*srv, 1), lro::clock::now());
    ASSERT_TRUE(follower.has_value());
    const auto first = follower->pending_request();
    ASSERT_TRUE(first.has_value());
    EXPECT_EQ(first->purpose, lro::purpose::status);
    EXPECT_EQ(first->url, monitor);
    EXPECT_EQ(first->method, "GET");
    const lro::curl::outcome out = lro::curl::run(*follower, {}, creds);
    const seen got = capture(*follower, out);
    expect_outcome(scenario::succeed, 1, got, "follow");
    const auto ops = srv->operations();
    ASSERT_EQ(ops.size(), 1u);
    EXPECT_EQ(ops[0].submits, 1);
    EXPECT_EQ(ops[0].status_polls, 4);
    EXPECT_EQ(ops[0].resource_fetches, 1);
}

TEST_F(EasyE2E, TransportErrorOnTheSubmitFailsWithoutResubmitting) {
    // A port nobody listens on: stop the emulator's foreign listener? Simpler: port 1.
    auto op = lro::operation::start("POST", "http://127.0.0.1:1/mapData?api-version=2.0", fast_options(*srv, 2));
    ASSERT_TRUE(op);
    const lro::curl::outcome out = lro::curl::run(*op, {}, creds);
    const seen got = capture(*op, out);
    ASSERT_EQ(got.kind, "failed");
    EXPECT_EQ(got.reason, lro::failure_reason::transport_error);
    EXPECT_EQ(got.requests, 1u);
}

TEST_F(EasyE2E, TransportErrorsWhilePollingAreRetriedUntilTheBudgetEnds) {
    lro::options opts = fast_options(*srv, 2);
    opts.resubmit_on_ambiguous = true;
    opts.max_consecutive_errors = 3;
    auto op = lro::operation::start("POST", "http://127.0.0.1:1/mapData?api-version=2.0", opts);
    ASSERT_TRUE(op);
    const lro::curl::outcome out = lro::curl::run(*op, {}, creds);
    const seen got = capture(*op, out);
    ASSERT_EQ(got.kind, "failed");
    EXPECT_EQ(got.reason, lro::failure_reason::too_many_errors);
    EXPECT_EQ(got.requests, 3u);
}

TEST_F(EasyE2E, TimeoutEndsWithAResumableToken) {
    timing t;
    t.retry_after_ms = 400;
    lro::options opts = fast_options(*srv, 2);
    opts.timeout = std::chrono::milliseconds(500); // the second wait would pass it
    auto op = lro::operation::start("POST", srv->base_url() + submit_path(scenario::succeed, 2, t), opts);
    ASSERT_TRUE(op);
    const lro::curl::outcome out = lro::curl::run(*op, {}, creds);
    const seen got = capture(*op, out);
    ASSERT_EQ(got.kind, "failed");
    EXPECT_EQ(got.reason, lro::failure_reason::timed_out);
    auto token = op->save();
    ASSERT_TRUE(token.has_value());
    auto resumed = lro::operation::resume(*token, fast_options(*srv, 2), lro::clock::now(), srv->base_url());
    ASSERT_TRUE(resumed.has_value());
    EXPECT_TRUE(lro::curl::run(*resumed, {}, creds).ok());
    // No early_polls check here: a timed-out token resumes with delay 0 (docs/decisions.md 7),
    // so resuming at once polls before the last Retry-After, by design.
}

} // namespace
