// Zero heap allocations on a steady-state poll step (a Running answer on an unchanged
// monitor URL), counted with a replaced global operator new, not guessed.
#include <azmaps/lro.hpp>
#include <azmaps/lro/azure_policy.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

// GCC inlines the replaced operator delete into callers and then sees free() on memory that
// came from `new`; here both sides are ours and agree (malloc/free), so silence that warning.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace {
std::atomic<long> g_allocations{0};
std::atomic<bool> g_counting{false};
} // namespace

void* operator new(std::size_t n) {
    if (g_counting.load(std::memory_order_relaxed)) g_allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
    std::abort();
}
void* operator new[](std::size_t n) { return operator new(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
    if (g_counting.load(std::memory_order_relaxed)) g_allocations.fetch_add(1, std::memory_order_relaxed);
    return std::malloc(n == 0 ? 1 : n);
}
void* operator new[](std::size_t n, const std::nothrow_t& t) noexcept { return operator new(n, t); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

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

template <class Operation = lro::operation>
long allocations_over_steady_steps(const std::vector<lro::header>& accept_headers,
                                   const std::vector<lro::header>& poll_headers, const std::string& body,
                                   const lro::options& o = {}, const char* method = "POST", int accept_code = 202,
                                   int poll_code = 200) {
    auto op = Operation::start(method, "https://us.atlas.microsoft.com/mapData?api-version=2.0&subscription-key=k", o);
    EXPECT_TRUE(op.has_value());
    std::int64_t now = 0;
    EXPECT_TRUE(std::holds_alternative<lro::send_request>(op->on_response({accept_code, accept_headers, ""}, at(now))));
    // First poll: the operationId, status and created text are stored (this may allocate).
    EXPECT_TRUE(std::holds_alternative<lro::send_request>(op->on_response({poll_code, poll_headers, body}, at(now += 1000))));
    counting_scope scope;
    for (int i = 0; i < 1000; ++i) {
        const lro::action a = op->on_response({poll_code, poll_headers, body}, at(now += 1000));
        if (!std::holds_alternative<lro::send_request>(a)) {
            ADD_FAILURE() << "not a request at step " << i;
            break;
        }
    }
    return scope.count();
}

const std::string monitor = "https://us.atlas.microsoft.com/mapData/operations/c587574e-add9-4ef7-9788-1635bed9a87e?api-version=2.0";

} // namespace

TEST(SteadyState, CounterSeesAllocations) {
    counting_scope scope;
    std::string* s = new std::string(100, 'x');
    delete s;
    EXPECT_GE(scope.count(), 1); // the hook works, so a zero below means zero
}

TEST(SteadyState, V2RunningStepAllocatesNothing) {
    const std::vector<lro::header> accept{{"Operation-Location", monitor}};
    const std::vector<lro::header> poll{{"Date", "Wed, 06 May 2021 07:55:19 GMT"},
                                        {"Content-Type", "application/json; charset=utf-8"},
                                        {"Content-Length", "133"},
                                        {"x-ms-request-id", "3d1c4f9e-0d3c-4b3a-9a55-0d1f3e7c9b21"},
                                        {"Retry-After", "30"}};
    const std::string body = R"({"operationId":"c587574e-add9-4ef7-9788-1635bed9a87e","created":"2021-05-06T07:55:19.5256829+00:00","status":"Running"})";
    EXPECT_EQ(allocations_over_steady_steps(accept, poll, body), 0);
}

TEST(SteadyState, V1RunningStepWithRepeatedMonitorAndEscapesAllocatesNothing) {
    const std::vector<lro::header> accept{{"Location", monitor}};
    const std::vector<lro::header> poll{{"Content-Type", "application/json"},
                                        {"Operation-Location", monitor},
                                        {"x-ms-request-id", "abc"},
                                        {"retry-after-ms", "1500"}};
    const std::string body = "{\n    \"operationId\": \"c587574e-add9-4ef7-9788-1635bed9a87e\",\n"
                             "    \"createdDateTime\": \"3/11/2020 8:45:13 PM +00:00\",\n"
                             "    \"status\": \"Runn\\u0069ng\",\n    \"warning\": {\"code\": \"x\"}\n}";
    EXPECT_EQ(allocations_over_steady_steps(accept, poll, body), 0);
}

TEST(SteadyState, DefaultIntervalAndBackoffFreeStepsAllocateNothing) {
    lro::options o;
    o.jitter = true;
    o.jitter_seed = 3;
    o.add_query = {{"api-version", "2.0"}};
    const std::vector<lro::header> accept{{"Operation-Location", monitor}};
    const std::vector<lro::header> poll{{"Content-Type", "application/json"}};
    EXPECT_EQ(allocations_over_steady_steps(accept, poll, R"({"status":"NotStarted"})", o), 0);
}

// A relative Operation-Location repeated on every answer: it names the monitor already polled,
// so the step neither resolves nor allocates (it did both on every poll).
TEST(SteadyState, RepeatedRelativeOperationLocationAllocatesNothing) {
    const std::string relative = "/mapData/operations/c587574e-add9-4ef7-9788-1635bed9a87e?api-version=2.0";
    const std::vector<lro::header> accept{{"Operation-Location", relative}};
    const std::vector<lro::header> poll{{"Operation-Location", relative}, {"Retry-After", "1"}};
    EXPECT_EQ(allocations_over_steady_steps(accept, poll, R"({"status":"Running"})"), 0);
}

// A monitor header that lacks an add_query parameter: the stored monitor has it appended, the
// header never will, and the step must still recognise it.
TEST(SteadyState, MonitorLackingAnAddQueryParameterAllocatesNothing) {
    lro::options o;
    o.add_query = {{"api-version", "2.0"}};
    const std::string bare = "https://us.atlas.microsoft.com/mapData/operations/c587574e-add9-4ef7-9788-1635bed9a87e";
    const std::vector<lro::header> accept{{"Operation-Location", bare}};
    const std::vector<lro::header> poll{{"Operation-Location", bare}, {"Retry-After", "1"}};
    EXPECT_EQ(allocations_over_steady_steps(accept, poll, R"({"status":"Running"})", o), 0);
}

// The Azure family: an Azure.Core Operation-Location poll, an ARM Azure-AsyncOperation poll,
// a Location poll (202) and a body poll (provisioningState) are allocation-free when steady.
TEST(SteadyState, AzureOperationLocationStepAllocatesNothing) {
    const std::vector<lro::header> accept{{"Operation-Location", monitor}};
    const std::vector<lro::header> poll{{"Operation-Location", monitor}, {"Retry-After", "1"}};
    EXPECT_EQ(allocations_over_steady_steps<lro::azure_operation>(accept, poll, R"({"id":"1","status":"Running"})"), 0);
}

TEST(SteadyState, AzureAsyncOperationStepAllocatesNothing) {
    const std::vector<lro::header> accept{{"Azure-AsyncOperation", monitor}, {"Location", "/things/1"}};
    const std::vector<lro::header> poll{{"Azure-AsyncOperation", monitor}};
    EXPECT_EQ(allocations_over_steady_steps<lro::azure_operation>(accept, poll, R"({"status":"InProgress"})", {}, "PUT", 201),
              0);
}

TEST(SteadyState, AzureLocationStepAllocatesNothing) {
    const std::vector<lro::header> accept{{"Location", monitor}};
    const std::vector<lro::header> poll{{"Location", monitor}, {"Retry-After", "1"}};
    EXPECT_EQ(allocations_over_steady_steps<lro::azure_operation>(accept, poll, "", {}, "POST", 202, 202), 0);
}

TEST(SteadyState, AzureBodyPollStepAllocatesNothing) {
    const std::vector<lro::header> accept{};
    const std::vector<lro::header> poll{{"Retry-After", "1"}};
    EXPECT_EQ(allocations_over_steady_steps<lro::azure_operation>(
                  accept, poll, R"({"id":"/things/1","properties":{"provisioningState":"Updating"}})", {}, "PUT", 201),
              0);
}
