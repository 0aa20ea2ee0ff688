// The allocation budget of each kind of poll step and the memory an in-flight operation owns,
// counted with a replaced global operator new (counts and live bytes), not guessed. Allocation
// counts are deterministic, so they are pinned; no time is measured here. The figures these
// pins guard are in docs/performance.md ("The poll step").
#include <azmaps/lro.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace {
std::atomic<long> g_allocations{0};
std::atomic<long> g_live_bytes{0}; // requested bytes of blocks not yet freed
std::atomic<bool> g_counting{false};

// Each block carries its requested size in a 16-byte header (keeps max_align_t alignment), so
// that frees subtract exactly what was added.
constexpr std::size_t k_header = 16;

void* counted_alloc(std::size_t n) noexcept {
    void* raw = std::malloc(n + k_header);
    if (raw == nullptr) return nullptr;
    *static_cast<std::size_t*>(raw) = n;
    if (g_counting.load(std::memory_order_relaxed)) g_allocations.fetch_add(1, std::memory_order_relaxed);
    g_live_bytes.fetch_add(static_cast<long>(n), std::memory_order_relaxed);
    return static_cast<char*>(raw) + k_header;
}
// The header sits before the pointer operator new returned; UBSan's object-size check (clang)
// sizes that pointer by the request and flags the step back to the header.
#if defined(__clang__)
__attribute__((no_sanitize("object-size")))
#endif
void counted_free(void* p) noexcept {
    if (p == nullptr) return;
    void* raw = static_cast<char*>(p) - k_header;
    g_live_bytes.fetch_sub(static_cast<long>(*static_cast<std::size_t*>(raw)), std::memory_order_relaxed);
    std::free(raw);
}
} // namespace

void* operator new(std::size_t n) {
    if (void* p = counted_alloc(n == 0 ? 1 : n)) return p;
    std::abort();
}
void* operator new[](std::size_t n) { return operator new(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return counted_alloc(n == 0 ? 1 : n); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return counted_alloc(n == 0 ? 1 : n); }
void operator delete(void* p) noexcept { counted_free(p); }
void operator delete[](void* p) noexcept { counted_free(p); }
void operator delete(void* p, std::size_t) noexcept { counted_free(p); }
void operator delete[](void* p, std::size_t) noexcept { counted_free(p); }

namespace lro = azmaps::lro;

namespace {

struct counting_scope {
    counting_scope() {
        g_allocations = 0;
        g_counting = true;
    }
    ~counting_scope() { g_counting = false; }
    long count() const { return g_allocations.load(); }
};

lro::time_point at(std::int64_t ms) { return lro::time_point(std::chrono::milliseconds(ms)); }

// The benchmark's answers (bench/corpus.hpp): a 100-byte monitor, a GUID operationId.
const std::string submit = "https://us.atlas.microsoft.com/mapData?api-version=2.0&dataFormat=dwgzippackage&subscription-key=0123456789abcdef";
const std::string monitor =
    "https://us.atlas.microsoft.com/mapData/operations/c587574e-add9-4ef7-9788-1635bed9a87e?api-version=2.0";
const std::string resource =
    "https://us.atlas.microsoft.com/mapData/metadata/25084fb7-307a-4720-8f91-7952a0b91012?api-version=2.0";
const std::string op_id = "c587574e-add9-4ef7-9788-1635bed9a87e";

std::string v2_body(const char* status) {
    return R"({"operationId":")" + op_id + R"(","created":"2021-05-06T07:55:19.5256829+00:00","status":")" + status + R"("})";
}

const std::vector<lro::header> service{{"Date", "Thu, 06 May 2021 07:55:49 GMT"},
                                       {"Content-Type", "application/json; charset=utf-8"},
                                       {"x-ms-request-id", "8b0e8e4e-51a4-4f0a-bd3c-3f3b7d0c2a55"},
                                       {"Retry-After", "30"},
                                       {"Operation-Location", monitor}};

/// A machine after the submit's 202 and a first Running poll (shared options).
lro::operation polling(const std::shared_ptr<const lro::options>& opts, std::int64_t& now) {
    auto r = lro::operation::start("POST", submit, opts);
    EXPECT_TRUE(r.has_value());
    lro::operation op = std::move(*r);
    const std::vector<lro::header> accept{{"Operation-Location", monitor}, {"Retry-After", "1"}};
    EXPECT_TRUE(std::holds_alternative<lro::send_request>(op.on_response({202, accept, ""}, at(now += 100))));
    const std::string running = v2_body("Running");
    EXPECT_TRUE(std::holds_alternative<lro::send_request>(op.on_response({200, service, running}, at(now += 1000))));
    return op;
}

long allocations_of_step(lro::operation& op, const lro::response_view& r, std::int64_t& now, lro::action& out) {
    counting_scope scope;
    out = op.on_response(r, at(now += 1000));
    return scope.count();
}

} // namespace

TEST(StepBudget, CounterSeesAllocations) {
    counting_scope scope;
    const long live0 = g_live_bytes.load();
    // Explicit calls: a new-expression's allocation may be elided or merged by clang (and
    // was, under ASan), explicit calls to the replaceable functions may not.
    void* p = ::operator new(100);
    EXPECT_GE(scope.count(), 1);
    EXPECT_GE(g_live_bytes.load() - live0, 100);
    ::operator delete(p);
    EXPECT_EQ(g_live_bytes.load(), live0);
}

// Every in-progress step allocates nothing: the same status, and the status changing between
// the words the service sends (NotStarted <-> Running), on a long-lived machine and on a copy
// (whose string buffer has no spare room).
TEST(StepBudget, InProgressStepsAllocateNothing) {
    const auto opts = std::make_shared<const lro::options>();
    std::int64_t now = 0;
    lro::operation op = polling(opts, now);
    const std::string running = v2_body("Running"), not_started = v2_body("NotStarted");
    lro::action a;
    for (int i = 0; i < 8; ++i) {
        const std::string& body = (i % 3 == 0) ? not_started : running;
        EXPECT_EQ(allocations_of_step(op, {200, service, body}, now, a), 0) << "step " << i;
        ASSERT_TRUE(std::holds_alternative<lro::send_request>(a));
    }
    lro::operation copy = polling(opts, now);
    EXPECT_EQ(allocations_of_step(copy, {200, service, not_started}, now, a), 0);
    EXPECT_EQ(copy.observe().status, "NotStarted");
    EXPECT_EQ(allocations_of_step(copy, {200, service, running}, now, a), 0);
    EXPECT_EQ(copy.observe().status, "Running");
}

// A terminal success: the resource URL is stored (the string table grows once).
TEST(StepBudget, TerminalSuccessStepAllocatesAtMostOnce) {
    const auto opts = std::make_shared<const lro::options>();
    std::int64_t now = 0;
    lro::operation op = polling(opts, now);
    const std::vector<lro::header> h{{"Date", "Thu, 06 May 2021 07:55:49 GMT"}, {"Resource-Location", resource}};
    const std::string body = v2_body("Succeeded");
    lro::action a;
    EXPECT_LE(allocations_of_step(op, {200, h, body}, now, a), 1);
    ASSERT_TRUE(std::holds_alternative<lro::send_request>(a));
    EXPECT_EQ(std::get<lro::send_request>(a).url, resource);
}

// A terminal failure with an OData error (code, message, a details array, innererror): the
// boxed error, its strings that do not fit a small-string buffer, the details vector and the
// failure detail. Pinned at today's count (the issue's target, 2, needs an odata_error that
// owns its strings in one buffer: a public API change).
TEST(StepBudget, TerminalFailureStepAllocationsArePinned) {
    const auto opts = std::make_shared<const lro::options>();
    std::int64_t now = 0;
    lro::operation op = polling(opts, now);
    const std::string body =
        "{\n  \"operationId\": \"" + op_id + "\",\n  \"created\": \"2021-05-06T07:55:19.5256829+00:00\",\n"
        "  \"status\": \"Failed\",\n  \"error\": {\n    \"code\": \"DWG Conversion Error\",\n"
        "    \"details\": [\n      {\n        \"code\": \"invalidArchiveFormat\",\n"
        "        \"message\": \"The provided data is not a valid zip archive.\"\n      }\n    ],\n"
        "    \"innererror\": {\n      \"code\": null\n    }\n  }\n}";
    lro::action a;
    const long n = allocations_of_step(op, {200, service, body}, now, a);
    ASSERT_TRUE(std::holds_alternative<lro::failed>(a));
    const lro::failed& f = std::get<lro::failed>(a);
    ASSERT_NE(f.error, nullptr);
    EXPECT_EQ(f.error->code, "DWG Conversion Error");
    ASSERT_EQ(f.error->details.size(), 1u);
    EXPECT_LE(n, 6);
    EXPECT_GE(n, 1); // the error is boxed: at least that allocation is real
}

// What one in-flight operation costs with shared options: sizeof plus the heap it owns after a
// realistic submit and first poll, counted by the allocator (requested bytes).
TEST(StepBudget, BytesPerInFlightOperation) {
    const auto opts = std::make_shared<const lro::options>();
    std::int64_t now = 0;
    constexpr int n = 64;
    std::vector<lro::operation> ops;
    ops.reserve(n);
    const long live0 = g_live_bytes.load();
    for (int i = 0; i < n; ++i) ops.push_back(polling(opts, now));
    const long heap_per_op = (g_live_bytes.load() - live0) / n;
    EXPECT_EQ(static_cast<std::size_t>(heap_per_op), ops.back().owned_heap_bytes());
    const std::size_t per_op = sizeof(lro::operation) + static_cast<std::size_t>(heap_per_op);
    RecordProperty("sizeof_operation", static_cast<int>(sizeof(lro::operation)));
    RecordProperty("heap_bytes_per_operation", static_cast<int>(heap_per_op));
    // libstdc++ today: 176 + 210 (the issue's target is 256: see docs/performance.md).
    EXPECT_LE(sizeof(lro::operation), 176u);
    EXPECT_LE(per_op, 392u);
}
