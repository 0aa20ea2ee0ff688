// End-to-end: the emulator + the multi (concurrent) libcurl driver. 2,000 operations of mixed
// scenarios on one thread, each its own machine: every one must end exactly once, as its
// scenario says, with exactly the requests the emulator recorded, none of them early (how late
// they come is printed, not asserted: it depends on the machine's load).
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>

#include <azmaps/lro/adapters/curl_multi.hpp>

#include "e2e_support.hpp"

namespace {

using namespace e2e;

long peak_rss_kib() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss; // KiB on Linux
}

std::string tag_of(const emu::server::operation_record& rec) {
    if (rec.requests.empty()) return {};
    const std::string& q = rec.requests.front().query;
    const std::size_t p = q.find("tag=");
    if (p == std::string::npos) return {};
    return q.substr(p + 4, q.find('&', p) - (p + 4));
}

struct job_result {
    int completions = 0;
    seen got;
};

void run_many(std::size_t count, std::size_t max_connections, int retry_after_ms, bool print) {
    emu::config ecfg;
    ecfg.subscription_key = "e2e-key";
    emu::server srv(ecfg);
    ASSERT_TRUE(srv.start());

    timing t;
    t.retry_after_ms = retry_after_ms;
    const std::vector<scenario>& all = emu::all_scenarios();
    auto creds = std::make_shared<const lro::curl::credentials>(lro::curl::credentials{"e2e-key", false, {}, {}});
    auto spec = std::make_shared<const lro::curl::request_spec>();
    auto opts_v1 = std::make_shared<const lro::options>(fast_options(srv, 1));
    auto opts_v2 = std::make_shared<const lro::options>(fast_options(srv, 2));

    lro::curl::multi_config cfg;
    cfg.max_connections = max_connections;
    lro::curl::multi_driver drv(cfg);
    ASSERT_TRUE(drv.valid());

    std::vector<job_result> results(count);
    std::vector<scenario> kinds(count);
    std::vector<int> versions(count);
    std::map<std::uint64_t, std::size_t> index_of;
    const auto t0 = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < count; ++i) {
        kinds[i] = all[i % all.size()];
        versions[i] = (i / all.size()) % 2 == 0 ? 2 : 1;
        const std::string url = srv.base_url() + submit_path(kinds[i], versions[i], t, std::to_string(i));
        auto op = lro::operation::start("POST", url, versions[i] == 1 ? opts_v1 : opts_v2);
        ASSERT_TRUE(op.has_value());
        drv.add(std::move(*op), spec, creds, [&results, i](std::uint64_t, lro::operation& m, lro::curl::outcome& out) {
            results[i].completions++;
            results[i].got = capture(m, out);
        });
    }
    EXPECT_EQ(drv.size(), count);
    const std::size_t completed = drv.run();
    const auto wall = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
    EXPECT_EQ(completed, count);
    EXPECT_EQ(drv.size(), 0u);
    EXPECT_LE(drv.peak_in_flight(), max_connections);

    // Nothing lost, nothing doubled, every outcome as scripted.
    for (std::size_t i = 0; i < count; ++i) {
        ASSERT_EQ(results[i].completions, 1) << "operation " << i;
        expect_outcome(kinds[i], versions[i], results[i].got, "op " + std::to_string(i));
    }
    // The emulator's records, matched by tag: counts, timing, keys.
    const auto records = srv.operations();
    std::size_t matched = 0;
    std::int64_t late_ms = 0; // measured, never asserted (it depends on the machine's load)
    for (const auto& rec : records) {
        late_ms = std::max(late_ms, max_lateness_ms(rec));
        const std::string tag = tag_of(rec);
        ASSERT_FALSE(tag.empty()) << rec.id;
        const std::size_t i = std::stoul(tag);
        ASSERT_LT(i, count);
        EXPECT_EQ(rec.scenario, emu::scenario_name(kinds[i]));
        expect_record(kinds[i], rec, results[i].got, t, "op " + tag);
        ++matched;
    }
    std::size_t rejected = 0;
    for (std::size_t i = 0; i < count; ++i) rejected += kinds[i] == scenario::fail_submit_400 ? 1 : 0;
    EXPECT_EQ(matched + rejected, count);
    EXPECT_EQ(srv.requests_without_key(), 0);
    EXPECT_EQ(srv.foreign_origin_key_requests(), 0);
    EXPECT_GT(srv.foreign_origin_requests(), 0);

    if (print) {
        const long rss = peak_rss_kib();
        std::cout << "[ multi    ] " << count << " operations, " << all.size() << " scenarios, v1+v2, retry_after_ms="
                  << retry_after_ms << ", max_connections=" << max_connections << ": wall " << wall.count()
                  << " ms, " << srv.total_requests() << " requests, peak in flight " << drv.peak_in_flight()
                  << ", peak RSS " << rss / 1024 << " MiB (" << rss << " KiB, emulator in-process)"
                  << ", latest poll " << late_ms << " ms after its Retry-After expired" << std::endl;
        ::testing::Test::RecordProperty("wall_ms", static_cast<int>(wall.count()));
        ::testing::Test::RecordProperty("peak_rss_kib", static_cast<int>(rss));
        ::testing::Test::RecordProperty("requests", static_cast<int>(srv.total_requests()));
        ::testing::Test::RecordProperty("max_lateness_ms", static_cast<int>(late_ms));
    }
}

TEST(MultiE2E, TwoThousandConcurrentOperationsAllEndCorrectly) { run_many(2000, 256, 50, true); }

TEST(MultiE2E, OneConnectionStillServesEveryOperationInTurn) { run_many(40, 1, 20, false); }

TEST(MultiE2E, CancelAndInterruptCompleteEveryOperationOnce) {
    emu::server srv;
    ASSERT_TRUE(srv.start());
    lro::curl::multi_driver drv;
    timing t;
    t.retry_after_ms = 60000; // they would wait a minute
    int canceled = 0, interrupted = 0;
    std::vector<std::uint64_t> ids;
    for (int i = 0; i < 10; ++i) {
        auto op = lro::operation::start("POST", srv.base_url() + submit_path(scenario::succeed, 2, t, std::to_string(i)),
                                        fast_options(srv, 2));
        ASSERT_TRUE(op);
        ids.push_back(drv.add(std::move(*op), lro::curl::request_spec{}, lro::curl::credentials{"demo-key", false, {}, {}},
                              [&](std::uint64_t, lro::operation& m, lro::curl::outcome& out) {
                                  if (out.interrupted) {
                                      ++interrupted;
                                      EXPECT_TRUE(m.save().has_value()); // still live: resumable
                                  } else if (out.result.end == lro::phase::canceled) {
                                      ++canceled;
                                  }
                              }));
    }
    // Run until every submit was answered (each then waits a minute for its first poll).
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while ((srv.operation_count() < 10 || drv.in_flight() > 0) && std::chrono::steady_clock::now() < give_up)
        drv.step(std::chrono::milliseconds(50));
    ASSERT_EQ(srv.operation_count(), 10u);
    EXPECT_TRUE(drv.cancel(ids[0]));
    EXPECT_FALSE(drv.cancel(ids[0]));
    EXPECT_EQ(canceled, 1);
    std::atomic<bool> stop{true};
    EXPECT_EQ(drv.run(&stop), 9u);
    EXPECT_EQ(interrupted, 9);
    EXPECT_EQ(drv.size(), 0u);
}

// The driver's easy handles (and their header lists) are shared by every operation in turn:
// an operation never sends what another one's request_spec or credentials hold. Three kinds of
// operations interleaved on two connections: the key as a header, the key in the query, no key.
TEST(MultiE2E, SharedHandlesSendEachOperationItsOwnHeadersAndKey) {
    emu::config ecfg;
    ecfg.subscription_key = "e2e-key";
    emu::server srv(ecfg);
    ASSERT_TRUE(srv.start());
    timing t;
    t.retry_after_ms = 20;
    auto opts = std::make_shared<const lro::options>(fast_options(srv, 2));
    auto in_header = std::make_shared<const lro::curl::credentials>(lro::curl::credentials{"e2e-key", false, {}, {}});
    auto in_query = std::make_shared<const lro::curl::credentials>(lro::curl::credentials{"e2e-key", true, {}, {}});
    auto no_key = std::make_shared<const lro::curl::credentials>();
    auto spec = std::make_shared<const lro::curl::request_spec>(lro::curl::request_spec{"{}", {}, {}});
    lro::curl::multi_config cfg;
    cfg.max_connections = 2;
    lro::curl::multi_driver drv(cfg);
    constexpr std::size_t count = 30;
    std::vector<int> completions(count, 0);
    std::vector<lro::phase> ends(count, lro::phase::idle);
    for (std::size_t i = 0; i < count; ++i) {
        auto op = lro::operation::start("POST", srv.base_url() + submit_path(scenario::succeed, 2, t, std::to_string(i)), opts);
        ASSERT_TRUE(op);
        const auto& creds = i % 3 == 0 ? in_header : i % 3 == 1 ? in_query : no_key;
        drv.add(std::move(*op), i % 2 == 0 ? spec : nullptr, creds,
                [&completions, &ends, i](std::uint64_t, lro::operation&, lro::curl::outcome& out) {
                    ++completions[i];
                    ends[i] = out.result.end;
                });
    }
    EXPECT_EQ(drv.run(), count);
    std::size_t keyless = 0;
    for (std::size_t i = 0; i < count; ++i) {
        EXPECT_EQ(completions[i], 1) << i;
        if (i % 3 == 2) ++keyless;
        EXPECT_EQ(ends[i], i % 3 == 2 ? lro::phase::failed : lro::phase::succeeded) << i;
    }
    EXPECT_LE(drv.peak_in_flight(), 2u);
    // Each keyless submit was refused (401) and made no operation; it carried no key.
    EXPECT_EQ(srv.requests_without_key(), static_cast<int>(keyless));
    EXPECT_EQ(srv.requests_with_wrong_key(), 0);
    const auto records = srv.operations();
    EXPECT_EQ(records.size(), count - keyless);
    for (const auto& rec : records) {
        const std::size_t i = std::stoul(tag_of(rec));
        ASSERT_NE(i % 3, 2u) << rec.id;
        EXPECT_EQ(rec.final_status, "Succeeded") << i;
        for (const auto& req : rec.requests) {
            EXPECT_TRUE(req.had_key) << i << " " << req.kind;
            EXPECT_EQ(req.query.find("subscription-key=e2e-key") != std::string::npos, i % 3 == 1)
                << i << " " << req.kind << " " << req.query;
        }
    }
}

/// Client sockets open to `ports` now (ESTABLISHED, SYN_SENT or CLOSE_WAIT: each holds an fd),
/// from /proc/net/tcp; -1 when it cannot be read.
int client_connections_to(const std::vector<int>& ports) {
    std::ifstream in("/proc/net/tcp");
    if (!in) return -1;
    std::string line;
    std::getline(in, line); // the column names
    int n = 0;
    while (std::getline(in, line)) {
        std::istringstream f(line);
        std::string slot, local, remote, state;
        if (!(f >> slot >> local >> remote >> state)) continue;
        const int rport = std::stoi(remote.substr(remote.find(':') + 1), nullptr, 16);
        if ((state == "01" || state == "02" || state == "08") &&
            std::find(ports.begin(), ports.end(), rport) != ports.end())
            ++n;
    }
    return n;
}

// The connection cap holds: never more than max_connections client connections (so file
// descriptors) at once, submits on fresh connections included, however many operations there are.
TEST(MultiE2E, ConnectionsNeverExceedTheCap) {
    emu::server srv;
    ASSERT_TRUE(srv.start());
    if (client_connections_to({srv.port()}) < 0) GTEST_SKIP() << "no /proc/net/tcp";
    timing t;
    t.retry_after_ms = 10;
    lro::options o = fast_options(srv, 2);
    o.timeout = std::chrono::minutes(30); // queued behind the cap on a loaded machine: never a timeout
    auto opts = std::make_shared<const lro::options>(o);
    auto creds = std::make_shared<const lro::curl::credentials>(lro::curl::credentials{"demo-key", false, {}, {}});
    constexpr std::size_t cap = 4, count = 60;
    lro::curl::multi_config cfg;
    cfg.max_connections = cap;
    int peak = 0, samples = 0;
    std::size_t events = 0;
    const std::vector<int> ports{srv.port(), srv.foreign_port()};
    cfg.on_event = [&](std::uint64_t, const lro::curl::event&) {
        if (++events % 3 != 0) return; // /proc/net/tcp lists every socket of the machine: not each time
        peak = std::max(peak, client_connections_to(ports));
        ++samples;
    };
    lro::curl::multi_driver drv(cfg);
    std::size_t ok = 0;
    for (std::size_t i = 0; i < count; ++i) {
        auto op = lro::operation::start("POST", srv.base_url() + submit_path(scenario::succeed, 2, t, std::to_string(i)), opts);
        ASSERT_TRUE(op);
        drv.add(std::move(*op), nullptr, creds,
                [&ok](std::uint64_t, lro::operation&, lro::curl::outcome& out) { ok += out.ok() ? 1 : 0; });
    }
    EXPECT_EQ(drv.run(), count);
    EXPECT_EQ(ok, count);
    EXPECT_LE(drv.peak_in_flight(), cap);
    EXPECT_GT(samples, 50);
    EXPECT_GE(peak, 1);
    EXPECT_LE(peak, static_cast<int>(cap));
}

} // namespace
