// End-to-end tests: shared expectations. Each scenario of the emulator has a known outcome and
// known request counts; the tests assert those against the client's outcome and the
// emulator's records (never by sleeping and hoping).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include <azmaps/lro.hpp>
#include <azmaps/lro/adapters/curl_common.hpp>

#include "emulator.hpp"
#include "scenario_expectations.hpp"

namespace e2e {

namespace lro = azmaps::lro;
namespace emu = azmaps::lro::emulator;
using emu::scenario;

using e2e_expect::timing;

using e2e_expect::has_resource;
using e2e_expect::is_one_shot_poll_fault;

using e2e_expect::submit_path;

/// Options for the fast tests: short fallbacks, the emulator's foreign origin allowed,
/// `api-version` restored on monitor URLs that lost it.
inline lro::options fast_options(const emu::server& srv, int version) {
    lro::options o;
    o.default_poll_interval = std::chrono::milliseconds(50);
    o.backoff_base = std::chrono::milliseconds(50);
    o.allowed_origins.push_back(srv.foreign_base_url());
    o.add_query.emplace_back("api-version", version == 1 ? "1.0" : "2.0");
    o.timeout = std::chrono::seconds(60);
    return o;
}

/// What the client saw, copied out of the machine.
struct seen {
    std::string kind; // succeeded / failed / canceled / interrupted / refused
    std::string resource;
    std::string resource_body;
    lro::failure_reason reason = lro::failure_reason::protocol_error;
    std::optional<int> http_status;
    std::optional<lro::odata_error> error;
    lro::cancel_source by = lro::cancel_source::client;
    std::uint32_t requests = 0;
    lro::protocol_version version = lro::protocol_version::unknown;
};

inline seen capture(const lro::operation& op, const lro::curl::outcome& out) {
    seen s;
    s.requests = out.requests;
    s.resource_body = out.body;
    s.version = op.observe().version;
    if (out.interrupted) {
        s.kind = "interrupted";
    } else if (out.result.end == lro::phase::succeeded) {
        s.kind = "succeeded";
        s.resource = out.result.resource_location;
    } else if (out.result.end == lro::phase::failed) {
        s.kind = "failed";
        s.reason = out.result.reason;
        s.http_status = out.result.http_status;
        s.error = out.result.error;
    } else if (out.result.end == lro::phase::canceled) {
        s.kind = "canceled";
        s.by = out.result.canceled_by;
    } else {
        s.kind = "refused";
    }
    return s;
}

/// Asserts the client's outcome for scenario `s`.
inline void expect_outcome(scenario s, int version, const seen& got, const std::string& where) {
    SCOPED_TRACE(where);
    switch (s) {
    case scenario::fail:
        ASSERT_EQ(got.kind, "failed");
        EXPECT_EQ(got.reason, lro::failure_reason::operation_failed);
        EXPECT_EQ(got.http_status, 200);
        ASSERT_TRUE(got.error.has_value());
        EXPECT_EQ(got.error->code, "InvalidFeature");
        EXPECT_EQ(got.error->message, "The provided feature is invalid.");
        ASSERT_EQ(got.error->details.size(), 1u);
        EXPECT_EQ(got.error->details[0].code, "NoGeometry");
        break;
    case scenario::cancel:
        ASSERT_EQ(got.kind, "canceled");
        EXPECT_EQ(got.by, lro::cancel_source::server);
        break;
    case scenario::fail_submit_400:
        ASSERT_EQ(got.kind, "failed");
        EXPECT_EQ(got.reason, lro::failure_reason::request_rejected);
        EXPECT_EQ(got.http_status, 400);
        ASSERT_TRUE(got.error.has_value());
        EXPECT_EQ(got.error->code, "InvalidRequest");
        break;
    default:
        ASSERT_EQ(got.kind, "succeeded");
        if (has_resource(s)) {
            EXPECT_NE(got.resource.find("/mapData/metadata/"), std::string::npos) << got.resource;
            EXPECT_NE(got.resource_body.find("\"udid\""), std::string::npos) << got.resource_body;
        } else {
            EXPECT_TRUE(got.resource.empty()) << got.resource;
        }
        break;
    }
    if (s != scenario::fail_submit_400) {
        EXPECT_EQ(got.version, version == 1 ? lro::protocol_version::v1 : lro::protocol_version::v2);
    }
}

/// The emulator's record of one operation as text, for failure messages.
inline std::string timeline(const emu::server::operation_record& rec) {
    std::string s = "scenario " + rec.scenario + ", next allowed poll at " + std::to_string(rec.next_allowed_poll_ms) + " ms:";
    for (const auto& r : rec.requests)
        s += "\n  " + std::to_string(r.at_ms) + " ms " + r.kind + " " + r.method + " " + r.path + " -> " +
             std::to_string(r.status) + (r.foreign ? " (foreign)" : "") +
             (r.kind == "status" ? ", answered at " + std::to_string(r.answered_ms) + " ms, wait " + std::to_string(r.wait_ms)
                                 : std::string());
    return s;
}

/// Asserts the emulator's record of one operation: counts, timing, credentials.
inline void expect_record(scenario s, const emu::server::operation_record& rec, const seen& got, const timing& t,
                          const std::string& where) {
    SCOPED_TRACE(where + " op " + rec.id);
    const int running = s == scenario::http_date ? 0 : t.running_polls;
    const int base_polls = 1 + running + 1; // NotStarted, Running..., the end
    EXPECT_EQ(rec.submits, e2e_expect::scripted_submits(s));
    EXPECT_EQ(rec.status_polls, base_polls + (is_one_shot_poll_fault(s) ? 1 : 0));
    EXPECT_EQ(rec.resource_fetches, has_resource(s) ? 1 : 0);
    // Every request the client made is on the record, and vice versa. Except: when the dropped
    // connection was a reused one, libcurl itself resends the GET on a new connection, so the
    // client counts one request where the emulator saw two.
    if (s == scenario::drop_connection) {
        EXPECT_GE(static_cast<std::uint32_t>(rec.requests.size()), got.requests);
        EXPECT_LE(static_cast<std::uint32_t>(rec.requests.size()), got.requests + 1);
    } else {
        EXPECT_EQ(static_cast<std::uint32_t>(rec.requests.size()), got.requests);
    }
    // Timing: no poll (or resubmit) before the Retry-After the emulator sent had expired.
    EXPECT_EQ(rec.early_polls, 0) << timeline(rec);
    EXPECT_EQ(rec.early_submits, 0) << timeline(rec);
    // Credentials: on the home origin every request carried the key; on the foreign one none.
    for (const auto& r : rec.requests) {
        if (r.foreign) {
            EXPECT_FALSE(r.had_key) << r.method << " " << r.path;
        } else {
            EXPECT_TRUE(r.had_key) << r.method << " " << r.path;
        }
    }
    if (s == scenario::cross_origin) {
        int foreign = 0;
        for (const auto& r : rec.requests) foreign += r.foreign ? 1 : 0;
        EXPECT_EQ(foreign, rec.status_polls);
    }
    // No lateness check here: how late a poll comes depends on the machine's load (and on the
    // driver's queue: 2,000 submits go before the first due poll), so it is measured and
    // printed (max_lateness_ms), never asserted.
}

/// How long after the end of the wait asked for (Retry-After) the next status poll arrived,
/// at most, over the operation's record: a measurement for reports, not a pass/fail check.
inline std::int64_t max_lateness_ms(const emu::server::operation_record& rec) {
    std::int64_t worst = 0;
    const emu::server::request_record* prev = nullptr;
    for (const auto& r : rec.requests) {
        if (r.kind != "status") continue;
        if (prev != nullptr && prev->wait_ms >= 0)
            worst = std::max(worst, r.at_ms - (prev->answered_ms + prev->wait_ms));
        prev = &r;
    }
    return worst;
}

} // namespace e2e
