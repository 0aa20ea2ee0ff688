// Scale: one million operations in flight in one process, each stepped through a full
// lifecycle (submit 202 -> NotStarted -> Running -> Succeeded + Resource-Location -> resource
// 200), phase by phase so that all of them are alive at once. Reports the time per phase, the
// live heap per operation (counted by the malloc hook) and the peak RSS (getrusage).
// Usage: lro_scale [operations]   (default 1000000)
#include "alloc_hook.hpp"

#include <azmaps/lro.hpp>

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace lro = azmaps::lro;

namespace {

using hrclock = std::chrono::steady_clock;

long peak_rss_kib() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return u.ru_maxrss;
}

long current_rss_kib() {
    long pages = 0, resident = 0;
    if (FILE* f = std::fopen("/proc/self/statm", "r")) {
        if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
        std::fclose(f);
    }
    return resident * 4;
}

std::uint64_t splitmix(std::uint64_t x) {
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

/// A GUID-shaped id for operation i (36 chars).
void guid(std::size_t i, char* out) {
    static const char hex[] = "0123456789abcdef";
    const std::uint64_t a = splitmix(i), b = splitmix(i ^ 0xABCDEF);
    char digits[32];
    for (int k = 0; k < 16; ++k) digits[k] = hex[(a >> (4 * k)) & 15];
    for (int k = 0; k < 16; ++k) digits[16 + k] = hex[(b >> (4 * k)) & 15];
    int d = 0;
    for (int k = 0; k < 36; ++k) out[k] = (k == 8 || k == 13 || k == 18 || k == 23) ? '-' : digits[d++];
}

struct inputs {
    char id[36];
    std::string monitor, resource, body_notstarted, body_running, body_succeeded;
    void make(std::size_t i) {
        guid(i, id);
        const std::string_view g(id, 36);
        monitor.assign("https://us.atlas.microsoft.com/mapData/operations/").append(g).append("?api-version=2.0");
        resource.assign("https://us.atlas.microsoft.com/mapData/metadata/").append(g).append("?api-version=2.0");
        const auto body = [&](std::string& b, const char* status) {
            b.assign(R"({"operationId":")").append(g).append(R"(","created":"2021-05-06T07:55:19.5256829+00:00","status":")")
                .append(status)
                .append("\"}");
        };
        body(body_notstarted, "NotStarted");
        body(body_running, "Running");
        body(body_succeeded, "Succeeded");
    }
};

lro::time_point at_ms(std::int64_t ms) { return lro::time_point(std::chrono::milliseconds(ms)); }

} // namespace

int main(int argc, char** argv) {
    const std::size_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1000000;
    const std::string submit = "https://us.atlas.microsoft.com/mapData?api-version=2.0&dataFormat=dwgzippackage&subscription-key=0123456789abcdef";
    const auto opts = std::make_shared<const lro::options>();
    const long rss0 = current_rss_kib();
    std::vector<lro::operation> ops;
    ops.reserve(n);
    inputs in;
    in.make(0);
    std::string content_length;
    lro::header hs[7] = {{"Date", "Thu, 06 May 2021 07:55:49 GMT"},
                         {"Content-Type", "application/json; charset=utf-8"},
                         {"Content-Length", ""},
                         {"x-ms-request-id", "3d1c4f9e-0d3c-4b3a-9a55-0d1f3e7c9b21"},
                         {"Retry-After", "1"},
                         {"", ""},
                         {"", ""}};
    std::size_t bad = 0;
    double phase_ms[6] = {};
    const char* phase_name[6] = {"start", "202 Accepted", "NotStarted", "Running", "Succeeded", "resource 200"};
    std::int64_t live_in_flight = 0;
    const std::int64_t live0 = azbench::g_live;
    const auto all0 = hrclock::now();

    for (int phase = 0; phase < 6; ++phase) {
        const auto t0 = hrclock::now();
        for (std::size_t i = 0; i < n; ++i) {
            if (phase == 0) {
                auto r = lro::operation::start("POST", submit, opts);
                if (!r) ++bad;
                ops.push_back(std::move(*r));
                continue;
            }
            in.make(i);
            lro::operation& op = ops[i];
            lro::response_view rv;
            std::size_t nh = 5;
            switch (phase) {
            case 1:
                rv.status = 202;
                hs[5] = {"Operation-Location", in.monitor};
                nh = 6;
                break;
            case 2: rv.status = 200; rv.body = in.body_notstarted; break;
            case 3: rv.status = 200; rv.body = in.body_running; hs[4].value = "30"; break;
            case 4:
                rv.status = 200;
                rv.body = in.body_succeeded;
                hs[4] = {"Resource-Location", in.resource};
                break;
            case 5: rv.status = 200; rv.body = R"({"udid":"x"})"; break;
            }
            content_length = std::to_string(rv.body.size());
            hs[2].value = content_length;
            rv.headers = lro::header_span(hs, nh);
            const lro::action a = op.on_response(rv, at_ms(phase * 1000));
            const bool ok = phase == 5 ? std::holds_alternative<lro::succeeded>(a) : std::holds_alternative<lro::send_request>(a);
            if (!ok) ++bad;
            if (phase == 4) hs[4] = {"Retry-After", "1"};
            if (phase == 3) hs[4].value = "1";
        }
        phase_ms[phase] = std::chrono::duration<double, std::milli>(hrclock::now() - t0).count();
        if (phase == 2) live_in_flight = azbench::g_live - live0;
    }
    const double total_ms = std::chrono::duration<double, std::milli>(hrclock::now() - all0).count();
    if (bad != 0) {
        std::fprintf(stderr, "scale: %zu unexpected actions\n", bad);
        return 1;
    }
    std::printf("scale: %zu operations in flight, each stepped submit 202 -> NotStarted -> Running -> Succeeded -> resource\n", n);
    for (int p = 0; p < 6; ++p)
        std::printf("  %-13s %9.1f ms  (%6.1f ns per operation)\n", phase_name[p], phase_ms[p], phase_ms[p] * 1e6 / double(n));
    std::printf("  total         %9.1f ms  (%6.1f ns per step, 6 steps incl. start; input formatting included)\n", total_ms,
                total_ms * 1e6 / double(n) / 6.0);
    const double heap_per_op = double(live_in_flight) / double(n);
    std::printf("  in flight (after the first poll): sizeof(operation) %zu + heap %.1f = %.1f bytes per operation\n",
                sizeof(lro::operation), heap_per_op, double(sizeof(lro::operation)) + heap_per_op);
    std::printf("  peak RSS %.1f MiB (process start %.1f MiB): %.1f bytes per operation\n", double(peak_rss_kib()) / 1024.0,
                double(rss0) / 1024.0, double(peak_rss_kib() - rss0) * 1024.0 / double(n));
    return 0;
}
