// End-to-end: the emulator + the Boost.Asio/Beast coroutine driver (adapters/asio.hpp).
// One operation; 1,000 concurrent operations of every scenario on one io_context (each ends
// once, as scripted, with exactly the requests the emulator recorded, none early, no key on the
// foreign origin); cancellation while waiting, while a request is in flight, and before start.
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <azmaps/lro/adapters/asio.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "e2e_support.hpp"

namespace {

using namespace e2e;
namespace net = boost::asio;

/// What the client saw, from the coroutine driver's owning outcome.
seen capture(const lro::operation& op, const lro::asio::outcome& out) {
    seen s;
    s.requests = out.requests;
    s.version = op.observe().version;
    const lro::outcome& r = out.result;
    switch (r.end) {
    case lro::phase::succeeded:
        s.kind = "succeeded";
        s.resource = r.resource_location;
        s.resource_body = out.body;
        break;
    case lro::phase::failed:
        s.kind = "failed";
        s.reason = r.reason;
        s.http_status = r.http_status;
        s.error = r.error;
        break;
    case lro::phase::canceled:
        s.kind = "canceled";
        s.by = r.canceled_by;
        break;
    default:
        s.kind = "not ended";
        break;
    }
    return s;
}

std::string tag_of(const emu::server::operation_record& rec) {
    if (rec.requests.empty()) return {};
    const std::string& q = rec.requests.front().query;
    const std::size_t p = q.find("tag=");
    if (p == std::string::npos) return {};
    return q.substr(p + 4, q.find('&', p) - (p + 4));
}

lro::asio::credentials key() { return lro::asio::credentials{"e2e-key", false, {}, {}}; }

emu::config emulator_config() {
    emu::config c;
    c.subscription_key = "e2e-key";
    return c;
}

TEST(AsioE2E, OneOperationEndsAsScripted) {
    emu::server srv(emulator_config());
    ASSERT_TRUE(srv.start());
    timing t;
    auto op = lro::operation::start("POST", srv.base_url() + submit_path(scenario::succeed, 2, t, "0"),
                                    fast_options(srv, 2));
    ASSERT_TRUE(op);
    net::io_context ioc;
    int completions = 0;
    lro::asio::outcome out;
    net::co_spawn(ioc, [&]() -> net::awaitable<void> {
        const lro::asio::request_spec spec;
        const lro::asio::credentials creds = key();
        out = co_await lro::asio::async_run(*op, spec, creds);
        ++completions;
    }, net::detached);
    ioc.run();
    ASSERT_EQ(completions, 1);
    const seen got = capture(*op, out);
    expect_outcome(scenario::succeed, 2, got, "one");
    EXPECT_EQ(out.result.source, lro::result_source::final);
    const auto records = srv.operations();
    ASSERT_EQ(records.size(), 1u);
    expect_record(scenario::succeed, records[0], got, t, "one");
    EXPECT_EQ(srv.requests_without_key(), 0);
}

TEST(AsioE2E, KeyInQueryStaysOnTheSubmitOrigin) {
    emu::server srv(emulator_config());
    ASSERT_TRUE(srv.start());
    timing t;
    auto op = lro::operation::start("POST", srv.base_url() + submit_path(scenario::cross_origin, 1, t, "0"),
                                    fast_options(srv, 1));
    ASSERT_TRUE(op);
    net::io_context ioc;
    lro::asio::outcome out;
    lro::asio::credentials creds = key();
    creds.key_in_query = true;
    net::co_spawn(ioc, [&]() -> net::awaitable<void> {
        const lro::asio::request_spec spec;
        out = co_await lro::asio::async_run(*op, spec, creds);
    }, net::detached);
    ioc.run();
    const seen got = capture(*op, out);
    expect_outcome(scenario::cross_origin, 1, got, "query key");
    const auto records = srv.operations();
    ASSERT_EQ(records.size(), 1u);
    expect_record(scenario::cross_origin, records[0], got, t, "query key");
    EXPECT_GT(srv.foreign_origin_requests(), 0);
    EXPECT_EQ(srv.foreign_origin_key_requests(), 0);
    for (const auto& r : records[0].requests) {
        if (r.foreign) {
            EXPECT_EQ(r.query.find("subscription-key"), std::string::npos) << r.query;
        }
    }
}

TEST(AsioE2E, ThousandConcurrentOperationsOnOneIoContextAllEndOnce) {
    constexpr std::size_t count = 1000;
    // One keep-alive connection per operation, and a cross-origin operation opens a second one
    // to the home origin before the server has released its first: room for all of them, so
    // no answer is the emulator's "busy" 503 (which belongs to no operation's record).
    emu::config cfg = emulator_config();
    cfg.max_threads = 4 * count;
    emu::server srv(cfg);
    ASSERT_TRUE(srv.start());
    timing t;
    const std::vector<scenario>& all = emu::all_scenarios();
    auto opts_v1 = std::make_shared<const lro::options>(fast_options(srv, 1));
    auto opts_v2 = std::make_shared<const lro::options>(fast_options(srv, 2));

    std::vector<lro::operation> ops;
    std::vector<scenario> kinds(count);
    std::vector<int> versions(count);
    std::vector<int> completions(count, 0);
    std::vector<lro::asio::outcome> outs(count);
    ops.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
        kinds[i] = all[i % all.size()];
        versions[i] = (i / all.size()) % 2 == 0 ? 2 : 1;
        auto op = lro::operation::start("POST", srv.base_url() + submit_path(kinds[i], versions[i], t, std::to_string(i)),
                                        versions[i] == 1 ? opts_v1 : opts_v2);
        ASSERT_TRUE(op);
        ops.push_back(std::move(*op));
    }
    net::io_context ioc(1);
    const auto creds = key();
    for (std::size_t i = 0; i < count; ++i)
        net::co_spawn(ioc, [&, i]() -> net::awaitable<void> {
            const lro::asio::request_spec spec;
            outs[i] = co_await lro::asio::async_run(ops[i], spec, creds);
            ++completions[i];
        }, net::detached);
    ioc.run();

    for (std::size_t i = 0; i < count; ++i) {
        ASSERT_EQ(completions[i], 1) << "operation " << i;
        expect_outcome(kinds[i], versions[i], capture(ops[i], outs[i]), "op " + std::to_string(i));
    }
    const auto records = srv.operations();
    std::size_t matched = 0;
    for (const auto& rec : records) {
        const std::string tag = tag_of(rec);
        ASSERT_FALSE(tag.empty()) << rec.id;
        const std::size_t i = std::stoul(tag);
        ASSERT_LT(i, count);
        EXPECT_EQ(rec.scenario, emu::scenario_name(kinds[i]));
        expect_record(kinds[i], rec, capture(ops[i], outs[i]), t, "op " + tag);
        ++matched;
    }
    std::size_t rejected = 0;
    for (std::size_t i = 0; i < count; ++i) rejected += kinds[i] == scenario::fail_submit_400 ? 1 : 0;
    EXPECT_EQ(matched + rejected, count);
    EXPECT_EQ(srv.limit_refusals().busy, 0);
    EXPECT_EQ(srv.requests_without_key(), 0);
    EXPECT_EQ(srv.foreign_origin_key_requests(), 0);
    EXPECT_GT(srv.foreign_origin_requests(), 0);
}

TEST(AsioE2E, CancelWhileWaitingEndsCanceledByClientAndSendsNothingMore) {
    emu::server srv(emulator_config());
    ASSERT_TRUE(srv.start());
    timing t;
    t.retry_after_ms = 60000; // each would wait a minute for its first poll
    constexpr int n = 5;
    std::vector<lro::operation> ops;
    for (int i = 0; i < n; ++i) {
        auto op = lro::operation::start("POST", srv.base_url() + submit_path(scenario::succeed, 2, t, std::to_string(i)),
                                        fast_options(srv, 2));
        ASSERT_TRUE(op);
        ops.push_back(std::move(*op));
    }
    net::io_context ioc(1);
    std::vector<lro::asio::cancel_signal> signals(n);
    std::vector<lro::asio::outcome> outs(n);
    std::vector<int> completions(n, 0);
    for (int i = 0; i < n; ++i)
        net::co_spawn(ioc, [&, i]() -> net::awaitable<void> {
            const lro::asio::request_spec spec;
            const lro::asio::credentials creds = key();
            const lro::asio::config cfg;
            outs[i] = co_await lro::asio::async_run(ops[i], spec, creds, cfg, &signals[i]);
            ++completions[i];
        }, net::detached);
    // Run until every submit was answered and fed (each then waits on its timer).
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    const auto all_polling = [&] {
        for (const auto& op : ops)
            if (op.pending_request()->purpose != lro::purpose::status) return false;
        return true;
    };
    while (!all_polling() && std::chrono::steady_clock::now() < give_up) ioc.run_for(std::chrono::milliseconds(20));
    ASSERT_TRUE(all_polling());
    for (auto& s : signals) s.emit();
    ioc.run(); // returns once every coroutine has ended: the timers were stopped
    for (int i = 0; i < n; ++i) {
        SCOPED_TRACE(i);
        EXPECT_EQ(completions[i], 1);
        EXPECT_EQ(outs[i].result.end, lro::phase::canceled);
        EXPECT_EQ(outs[i].result.canceled_by, lro::cancel_source::client);
        EXPECT_EQ(outs[i].requests, 1u);
        EXPECT_TRUE(ops[i].done());
    }
    for (const auto& rec : srv.operations()) {
        EXPECT_EQ(rec.submits, 1);
        EXPECT_EQ(rec.status_polls, 0);
    }
}

TEST(AsioE2E, CancelWhileTheRequestIsInFlightAndBeforeStart) {
    // A listener that accepts and never answers: the submit stays in flight until canceled.
    net::io_context ioc(1);
    net::ip::tcp::acceptor silent(ioc, net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    const std::string url = "http://127.0.0.1:" + std::to_string(silent.local_endpoint().port()) + "/mapData?api-version=2.0";
    auto op = lro::operation::start("POST", url, lro::options{});
    auto never = lro::operation::start("POST", url, lro::options{});
    ASSERT_TRUE(op);
    ASSERT_TRUE(never);
    lro::asio::cancel_signal sig, early;
    early.emit();
    lro::asio::outcome out, out_early;
    int completions = 0;
    net::ip::tcp::socket accepted(ioc);
    silent.async_accept(accepted, [&](const boost::system::error_code& ec) {
        ASSERT_FALSE(ec);
        // The connection is up; let the client write its request, then cancel.
        net::post(ioc, [&] { sig.emit(); });
    });
    net::co_spawn(ioc, [&]() -> net::awaitable<void> {
        const lro::asio::request_spec spec{"{}", {}, {}};
        const lro::asio::credentials creds = key();
        const lro::asio::config cfg;
        out = co_await lro::asio::async_run(*op, spec, creds, cfg, &sig);
        ++completions;
    }, net::detached);
    net::co_spawn(ioc, [&]() -> net::awaitable<void> {
        const lro::asio::request_spec spec;
        const lro::asio::credentials creds = key();
        const lro::asio::config cfg;
        out_early = co_await lro::asio::async_run(*never, spec, creds, cfg, &early);
        ++completions;
    }, net::detached);
    ioc.run();
    EXPECT_EQ(completions, 2);
    EXPECT_EQ(out.result.end, lro::phase::canceled);
    EXPECT_EQ(out.result.canceled_by, lro::cancel_source::client);
    EXPECT_EQ(out.requests, 0u); // abandoned, never answered
    EXPECT_EQ(out_early.result.end, lro::phase::canceled);
    EXPECT_EQ(out_early.requests, 0u);
    EXPECT_TRUE(op->done());
    EXPECT_TRUE(never->done());
}

} // namespace
