// The hardening issue's machine items, each with a test that failed before its fix:
// moved-from machines, owning outcomes, the error budget, sub-millisecond deadlines, the
// OData error of a timed_out, credentials in kept URLs and tokens, tampered tokens.
#include <azmaps/lro.hpp>
#include <azmaps/lro/azure_policy.hpp>
#include <azmaps/lro/detail/token_codec.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace lro = azmaps::lro;
namespace d = azmaps::lro::detail;
using namespace std::chrono_literals;

namespace {

constexpr const char* home = "https://us.atlas.microsoft.com";
constexpr const char* submit_url = "https://us.atlas.microsoft.com/mapData?api-version=2.0";
constexpr const char* monitor = "https://us.atlas.microsoft.com/mapData/operations/1?api-version=2.0";

lro::time_point at_ms(std::int64_t ms) { return lro::time_point(std::chrono::milliseconds(ms)); }
lro::time_point at_us(std::int64_t us) { return lro::time_point(std::chrono::microseconds(us)); }

lro::operation accepted(const lro::options& o = {}, const char* url = submit_url) {
    auto op = lro::operation::start("POST", url, o);
    EXPECT_TRUE(op.has_value());
    const lro::header h[] = {{"Operation-Location", monitor}};
    EXPECT_TRUE(std::holds_alternative<lro::send_request>(op->on_response({202, h, ""}, at_ms(0))));
    return std::move(*op);
}

/// The token payload, decoded by the format's own description (docs/vectors.md): this test's
/// reader, not the machine's.
std::string token_payload(const std::string& token) {
    std::string framed;
    EXPECT_TRUE(d::base64url_decode(std::string_view(token).substr(7), framed));
    d::token_reader r(framed);
    const std::uint64_t n = r.varint();
    return framed.substr(r.position(), static_cast<std::size_t>(n));
}

std::string frame(const std::string& payload) {
    std::string framed;
    d::put_varint(framed, payload.size());
    framed += payload;
    d::put_u32(framed, d::crc32(payload));
    std::string token = "azlro1.";
    d::base64url_encode(framed, token);
    return token;
}

/// A creator-policy token payload with every field given.
std::string creator_payload(std::uint64_t delay, std::string_view origin, std::string_view mon, std::string_view status) {
    std::string p;
    p.push_back(1);  // creator_policy
    p.push_back(2);  // v2
    p.push_back(2);  // polling
    d::put_varint(p, 1);  // polls
    d::put_varint(p, 0);  // errors
    d::put_varint(p, 10); // elapsed
    d::put_varint(p, delay);
    d::put_u64(p, 0);
    d::put_bytes(p, origin);
    d::put_bytes(p, mon);
    d::put_bytes(p, "");
    d::put_bytes(p, "id");
    d::put_bytes(p, status);
    d::put_bytes(p, "");
    return p;
}

} // namespace

// --- 1. moved-from and default-constructed machines are idle ----------------------------------

template <class Op>
void expect_idle(Op& m) {
    EXPECT_EQ(m.current_phase(), lro::phase::idle);
    EXPECT_FALSE(m.done());
    EXPECT_FALSE(m.pending_request().has_value());
    EXPECT_FALSE(m.next_deadline().has_value());
    EXPECT_FALSE(m.outcome().has_value());
    EXPECT_FALSE(m.final_outcome().has_value());
    EXPECT_EQ(m.save().error(), lro::errc::nothing_to_save);
    const lro::observation o = m.observe();
    EXPECT_EQ(o.phase, lro::phase::idle);
    EXPECT_TRUE(o.monitor.empty());
    EXPECT_EQ(m.config().max_consecutive_errors, lro::options{}.max_consecutive_errors);
    EXPECT_EQ(m.owned_heap_bytes(), 0u);
    const lro::header h[] = {{"Operation-Location", monitor}};
    EXPECT_EQ(std::get<lro::refused>(m.on_response({202, h, ""}, at_ms(5))).code, lro::errc::not_expected);
    EXPECT_EQ(std::get<lro::refused>(m.on_transport_error(lro::transport_error::other, at_ms(5))).code, lro::errc::not_expected);
    EXPECT_EQ(std::get<lro::refused>(m.cancel(at_ms(5))).code, lro::errc::not_expected);
    EXPECT_EQ(m.current_phase(), lro::phase::idle); // refusals change nothing
}

TEST(Hardening, DefaultConstructedMachineIsIdle) {
    lro::operation m;
    expect_idle(m);
    lro::azure_operation a;
    expect_idle(a);
}

TEST(Hardening, MovedFromMachineIsIdleAndTheTargetCarriesOn) {
    lro::operation a = accepted();
    lro::operation b = std::move(a);
    expect_idle(a); // NOLINT(bugprone-use-after-move): the documented state is the point
    ASSERT_TRUE(b.pending_request().has_value());
    EXPECT_EQ(b.pending_request()->url, monitor);
    const lro::action next = b.on_response({200, {}, R"({"status":"Succeeded"})"}, at_ms(2000));
    EXPECT_TRUE(std::holds_alternative<lro::succeeded>(next));

    lro::operation c = accepted();
    lro::operation target;
    target = std::move(c);
    expect_idle(c); // NOLINT(bugprone-use-after-move)
    EXPECT_EQ(target.current_phase(), lro::phase::polling);

    auto az = lro::azure_operation::start("PUT", "https://management.azure.com/x?api-version=1");
    ASSERT_TRUE(az.has_value());
    lro::azure_operation moved = std::move(*az);
    expect_idle(*az); // NOLINT(bugprone-use-after-move)
    EXPECT_EQ(moved.current_phase(), lro::phase::submitting);
}

// --- 2. an owning outcome outlives the machine ------------------------------------------------

lro::outcome run_to_end_in_a_function() {
    lro::operation m = accepted();
    const lro::header h[] = {{"Resource-Location", "https://us.atlas.microsoft.com/tilesets/abc"}};
    const lro::action a = m.on_response({200, h, R"({"status":"Succeeded"})"}, at_ms(2000));
    EXPECT_TRUE(std::holds_alternative<lro::send_request>(a)); // the resource fetch
    (void)m.on_response({200, {}, "{}"}, at_ms(2001));
    return *m.final_outcome(); // the machine dies here; the outcome owns its bytes
}

TEST(Hardening, OwningOutcomeOutlivesTheMachine) {
    const lro::outcome o = run_to_end_in_a_function();
    EXPECT_TRUE(o.ok());
    EXPECT_EQ(o.resource_location, "https://us.atlas.microsoft.com/tilesets/abc");
    EXPECT_EQ(o.source, lro::result_source::final);
}

TEST(Hardening, OwningOutcomeCopiesTheFailure) {
    lro::outcome o;
    {
        lro::operation m = accepted();
        (void)m.on_response({200, {}, R"({"status":"Failed","error":{"code":"InvalidFeature","message":"bad"}})"}, at_ms(2000));
        o = *m.final_outcome();
    }
    EXPECT_EQ(o.end, lro::phase::failed);
    EXPECT_EQ(o.reason, lro::failure_reason::operation_failed);
    ASSERT_TRUE(o.error.has_value());
    EXPECT_EQ(o.error->code, "InvalidFeature");
    EXPECT_EQ(o.monitor, monitor);
    EXPECT_EQ(o.http_status, 200);
    EXPECT_EQ(lro::to_outcome(lro::action{lro::send_request{}}).end, lro::phase::idle);
}

// --- 3. every accepted error budget ends ---------------------------------------------------------

TEST(Hardening, ErrorBudgetAbove65535Ends) {
    lro::options o;
    o.max_consecutive_errors = 100000;
    o.backoff_base = 0ms;
    auto op = lro::operation::start("POST", submit_url, o);
    ASSERT_TRUE(op.has_value());
    std::int64_t now = 0;
    int answers = 0;
    lro::action a;
    do {
        a = op->on_response({503, {}, ""}, at_ms(now++));
        ++answers;
    } while (std::holds_alternative<lro::send_request>(a) && answers < 200000);
    ASSERT_TRUE(std::holds_alternative<lro::failed>(a)) << "still running after " << answers << " answers";
    EXPECT_EQ(std::get<lro::failed>(a).reason, lro::failure_reason::too_many_errors);
    EXPECT_EQ(answers, 100000);
}

TEST(Hardening, ErrorCountAbove65535SurvivesAToken) {
    lro::options o;
    o.max_consecutive_errors = 1 << 30;
    o.backoff_base = 0ms;
    lro::operation m = accepted(o);
    for (int i = 0; i < 70000; ++i) ASSERT_TRUE(std::holds_alternative<lro::send_request>(m.on_response({500, {}, ""}, at_ms(1 + i))));
    EXPECT_EQ(m.observe().consecutive_errors, 70000u);
    auto r = lro::operation::resume(*m.save(), o, at_ms(100000), home);
    ASSERT_TRUE(r.has_value()) << lro::to_string(r.error());
    EXPECT_EQ(r->observe().consecutive_errors, 70000u);
}

// --- 4. the deadline in the clock's own resolution ------------------------------------------------

TEST(Hardening, DeadlineComparesBelowAMillisecond) {
    lro::options o;
    o.timeout = 1000ms;
    auto op = lro::operation::start("POST", submit_url, o);
    ASSERT_TRUE(op.has_value());
    const lro::header accept[] = {{"Operation-Location", monitor}, {"retry-after-ms", "1"}};
    // Start at 0; the answer comes at 999.6 ms; waiting 1 ms would send at 1000.6 ms > 1000 ms.
    ASSERT_TRUE(std::holds_alternative<lro::send_request>(op->on_response({202, accept, ""}, at_us(0))));
    const lro::header poll[] = {{"retry-after-ms", "1"}};
    const lro::action a = op->on_response({200, poll, R"({"status":"Running"})"}, at_us(999'600));
    ASSERT_TRUE(std::holds_alternative<lro::failed>(a));
    EXPECT_EQ(std::get<lro::failed>(a).reason, lro::failure_reason::timed_out);
}

TEST(Hardening, ExactlyAtTheDeadlineIsStillSent) {
    lro::options o;
    o.timeout = 1000ms;
    auto op = lro::operation::start("POST", submit_url, o);
    const lro::header accept[] = {{"Operation-Location", monitor}, {"retry-after-ms", "1"}};
    ASSERT_TRUE(std::holds_alternative<lro::send_request>(op->on_response({202, accept, ""}, at_us(0))));
    const lro::header poll[] = {{"retry-after-ms", "1"}};
    EXPECT_TRUE(std::holds_alternative<lro::send_request>(op->on_response({200, poll, R"({"status":"Running"})"}, at_us(999'000))));
}

// --- 5. a timed_out caused by an answer keeps its OData error ---------------------------------------

TEST(Hardening, TimedOutKeepsTheAnswersError) {
    lro::options o;
    o.timeout = 10'000ms;
    lro::operation m = accepted(o);
    const lro::header h[] = {{"Retry-After", "60"}};
    const lro::action a = m.on_response({503, h, R"({"error":{"code":"Busy","message":"try later"}})"}, at_ms(2000));
    ASSERT_TRUE(std::holds_alternative<lro::failed>(a));
    const auto& f = std::get<lro::failed>(a);
    EXPECT_EQ(f.reason, lro::failure_reason::timed_out);
    EXPECT_FALSE(f.http_status.has_value()); // PROTOCOL.md 10.18: null for timed_out
    ASSERT_NE(f.error, nullptr);
    EXPECT_EQ(f.error->code, "Busy");
    EXPECT_EQ(f.error->message, "try later");
}

// --- 7. no kept URL, token or observation holds a credential ---------------------------------------

TEST(Hardening, SubmitUrlKeyIsNeverKeptOrEmitted) {
    auto op = lro::operation::start("POST", "https://us.atlas.microsoft.com/mapData?api-version=2.0&subscription-key=SECRET1");
    ASSERT_TRUE(op.has_value());
    EXPECT_EQ(op->pending_request()->url, "https://us.atlas.microsoft.com/mapData?api-version=2.0");
    // `#x` resolves to the submit URL, query included (RFC 3986 5.2.2).
    const lro::header h[] = {{"Operation-Location", "#x"}};
    ASSERT_TRUE(std::holds_alternative<lro::send_request>(op->on_response({202, h, ""}, at_ms(0))));
    EXPECT_EQ(op->observe().monitor, "https://us.atlas.microsoft.com/mapData?api-version=2.0#x");
    const std::string token = *op->save();
    EXPECT_EQ(token_payload(token).find("SECRET1"), std::string::npos);
    EXPECT_EQ(token_payload(token).find("subscription-key"), std::string::npos);
}

TEST(Hardening, ServiceNamedCredentialParametersAreRemovedInAnyCase) {
    lro::options o;
    o.credential_query_names = {"sig"};
    lro::operation m = accepted(o);
    const lro::header h[] = {{"Operation-Location", "/mapData/operations/2?Subscription-KEY=SECRET2&a=1&SIG=SECRET3"}};
    const lro::action a = m.on_response({200, h, R"({"status":"Running"})"}, at_ms(1000));
    ASSERT_TRUE(std::holds_alternative<lro::send_request>(a));
    EXPECT_EQ(std::get<lro::send_request>(a).url, "https://us.atlas.microsoft.com/mapData/operations/2?a=1");
    const lro::action f = m.on_response({200, {}, R"({"status":"Failed"})"}, at_ms(2000));
    const std::string detail(std::get<lro::failed>(f).detail), mon(std::get<lro::failed>(f).monitor);
    for (const std::string& s : {detail, mon}) {
        EXPECT_EQ(s.find("SECRET"), std::string::npos) << s;
    }
}

TEST(Hardening, AddQueryCannotNameACredential) {
    lro::options o;
    o.add_query = {{"subscription-key", "x"}};
    EXPECT_EQ(lro::operation::start("POST", submit_url, o).error(), lro::errc::bad_option);
    o.add_query = {{"sig", "x"}};
    o.credential_query_names = {"SIG"};
    EXPECT_EQ(lro::operation::start("POST", submit_url, o).error(), lro::errc::bad_option);
}

// --- 8. a tampered token never makes another origin "home" -----------------------------------------

TEST(Hardening, ResumeNeedsTheCallersOrigin) {
    const std::string token = *accepted().save();
    EXPECT_EQ(lro::operation::resume(token, lro::options{}, at_ms(0), "").error(), lro::errc::origin_required);
    EXPECT_EQ(lro::operation::resume(token, lro::options{}, at_ms(0), "https://attacker.example").error(),
              lro::errc::token_origin_refused);
    EXPECT_TRUE(lro::operation::resume(token, lro::options{}, at_ms(0), submit_url).has_value());
    EXPECT_TRUE(lro::operation::resume(token, lro::options{}, at_ms(0), "HTTPS://US.atlas.microsoft.com:443").has_value());
}

TEST(Hardening, EditedTokenNamingAnotherOriginIsRefused) {
    // An attacker rewrites the token so that its origin and monitor are theirs (checksum fixed up).
    const std::string forged = frame(creator_payload(0, "https://attacker.example:443", "https://attacker.example/steal", "Running"));
    lro::options any;
    any.allow_any_origin = true;
    EXPECT_EQ(lro::operation::resume(forged, any, at_ms(0), home).error(), lro::errc::token_origin_refused);
    // Keeping the real origin but a foreign monitor: followed only if allowed, never same_origin.
    const std::string foreign = frame(creator_payload(0, "https://us.atlas.microsoft.com:443", "https://attacker.example/steal", "Running"));
    EXPECT_EQ(lro::operation::resume(foreign, lro::options{}, at_ms(0), home).error(), lro::errc::token_origin_refused);
    auto r = lro::operation::resume(foreign, any, at_ms(0), home);
    ASSERT_TRUE(r.has_value());
    EXPECT_FALSE(r->pending_request()->same_origin);
}

TEST(Hardening, TokenOriginIsReadableWithoutResuming) {
    const std::string token = *accepted().save();
    EXPECT_EQ(lro::operation::token_origin(token).value(), "https://us.atlas.microsoft.com:443");
    EXPECT_EQ(lro::operation::token_origin("azlro1.@@").error(), lro::errc::token_corrupt);
}

// --- 9. a token's fields are clamped and validated by the resuming options ---------------------------

TEST(Hardening, TokenDelayIsClampedToTheResumingOptions) {
    lro::operation m = accepted();
    const lro::header h[] = {{"Retry-After", "300"}};
    ASSERT_EQ(std::get<lro::send_request>(m.on_response({200, h, R"({"status":"Running"})"}, at_ms(1000))).delay, 300'000ms);
    lro::options tight;
    tight.max_poll_interval = 10'000ms;
    auto r = lro::operation::resume(*m.save(), tight, at_ms(5000), home);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->pending_request()->delay, 10'000ms);
    // A tampered delay of 10^12 ms (31 years) waits at most max_poll_interval (300 s by default).
    const std::string forged = frame(creator_payload(1'000'000'000'000, "https://us.atlas.microsoft.com:443", monitor, "Running"));
    auto f = lro::operation::resume(forged, lro::options{}, at_ms(0), home);
    ASSERT_TRUE(f.has_value());
    EXPECT_EQ(f->pending_request()->delay, 300'000ms);
}

TEST(Hardening, TokenStringsAreValidatedAsTheLivePathWould) {
    const std::string ok = frame(creator_payload(0, "https://us.atlas.microsoft.com:443", monitor, "Running"));
    EXPECT_TRUE(lro::operation::resume(ok, lro::options{}, at_ms(0), home).has_value());
    const std::string bad_utf8 = frame(creator_payload(0, "https://us.atlas.microsoft.com:443", monitor, "Run\xff"));
    EXPECT_EQ(lro::operation::resume(bad_utf8, lro::options{}, at_ms(0), home).error(), lro::errc::token_corrupt);
    const std::string surrogate = frame(creator_payload(0, "https://us.atlas.microsoft.com:443", monitor, "\xed\xa0\x80"));
    EXPECT_EQ(lro::operation::resume(surrogate, lro::options{}, at_ms(0), home).error(), lro::errc::token_corrupt);
}

// --- the Azure family's resume contract (FAMILY.md K8) -----------------------------------------------

TEST(Hardening, AzureResumeNeedsTheOriginalUrl) {
    const char* url = "https://management.azure.com/subscriptions/1/things/1?api-version=2024-01-01";
    auto op = lro::azure_operation::start("PUT", url);
    ASSERT_TRUE(op.has_value());
    const lro::header h[] = {{"Azure-AsyncOperation", "https://management.azure.com/ops/1"}};
    ASSERT_TRUE(std::holds_alternative<lro::send_request>(op->on_response({201, h, ""}, at_ms(0))));
    const std::string token = *op->save();
    EXPECT_EQ(token_payload(token).find("subscriptions/1/things/1"), std::string::npos); // only a checksum
    EXPECT_EQ(lro::azure_operation::resume(token, lro::options{}, at_ms(0), "https://management.azure.com/other").error(),
              lro::errc::submit_url_mismatch);
    EXPECT_EQ(lro::operation::resume(token, lro::options{}, at_ms(0), url).error(), lro::errc::token_unsupported);
    auto r = lro::azure_operation::resume(token, lro::options{}, at_ms(0), url);
    ASSERT_TRUE(r.has_value()) << lro::to_string(r.error());
    // It carries on as the original would: Succeeded -> GET the original URL (F6).
    const lro::action a = r->on_response({200, {}, R"({"status":"Succeeded"})"}, at_ms(1));
    ASSERT_TRUE(std::holds_alternative<lro::send_request>(a));
    EXPECT_EQ(std::get<lro::send_request>(a).url, url);
    EXPECT_EQ(std::get<lro::send_request>(a).purpose, lro::purpose::resource);
}
