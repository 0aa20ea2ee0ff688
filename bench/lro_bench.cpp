// The poll-step benchmark: our machine against what a hand-written client does with nlohmann
// (a DOM) and with simdjson On-Demand (the practical limit for parsing), and against a floor
// (the header lookup plus one memchr pass over the body). All four read the same corpus
// (corpus.hpp) in the same run; before timing, main() checks that they extract the same values
// from every answer. Every case reports allocations and peak transient heap per step, counted
// by the malloc hook in alloc_hook.hpp. See docs/performance.md.
#include "alloc_hook.hpp"
#include "corpus.hpp"

#include <azmaps/lro.hpp>

#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>
#include <simdjson.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace lro = azmaps::lro;
using azbench::answer;

namespace {

const std::vector<answer>& corpus() {
    static const std::vector<answer> c = azbench::make_corpus();
    return c;
}

lro::time_point at_ms(std::int64_t ms) { return lro::time_point(std::chrono::milliseconds(ms)); }

// --- what every case extracts ---------------------------------------------------------------

struct extracted {
    std::string status, created, operation_id, error_code, resource;
    long long retry_ms = -1;
    bool operator==(const extracted& o) const {
        return status == o.status && created == o.created && operation_id == o.operation_id &&
               error_code == o.error_code && resource == o.resource && retry_ms == o.retry_ms;
    }
};

std::string describe(const extracted& e) {
    return "status=" + e.status + " created=" + e.created + " operationId=" + e.operation_id + " error.code=" +
           e.error_code + " resource=" + e.resource + " retry_ms=" + std::to_string(e.retry_ms);
}

/// Views of one answer's fields, as a baseline client reads them.
struct fields_view {
    std::string_view status, created, operation_id, error_code, resource_location;
    std::string_view retry_after, location, resource_header;
    bool ok = false;
};

/// The header lookup every baseline does: one pass, names recognised by length and compared
/// case-insensitively; Retry-After as delay-seconds.
inline void baseline_headers(const lro::header_span& hs, fields_view& f) noexcept {
    for (const lro::header& h : hs) {
        switch (h.name.size()) {
        case 11:
            if (f.retry_after.empty() && lro::detail::iequals(h.name, "retry-after")) f.retry_after = h.value;
            break;
        case 8:
            if (f.location.empty() && lro::detail::iequals(h.name, "location")) f.location = h.value;
            break;
        case 17:
            if (f.resource_header.empty() && lro::detail::iequals(h.name, "resource-location")) f.resource_header = h.value;
            break;
        default: break;
        }
    }
}

inline long long retry_seconds_ms(std::string_view v) noexcept {
    if (v.empty()) return -1;
    long long r = 0;
    for (char c : v) {
        if (c < '0' || c > '9') return -1;
        r = r * 10 + (c - '0');
    }
    return r * 1000;
}

std::string_view unquote(std::string_view v) {
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') return v.substr(1, v.size() - 2);
    return v;
}

extracted to_extracted(const answer& a, const fields_view& f) {
    extracted e;
    e.status = f.status;
    e.created = f.created;
    e.operation_id = f.operation_id;
    e.error_code = f.error_code;
    const bool succeeded = f.status == "Succeeded";
    const bool in_progress = f.status == "NotStarted" || f.status == "Running";
    if (succeeded) {
        if (!f.resource_header.empty()) e.resource = unquote(f.resource_header);
        else if (a.status == 201 && !f.location.empty()) e.resource = unquote(f.location);
        else e.resource = f.resource_location;
    }
    if (in_progress) e.retry_ms = retry_seconds_ms(f.retry_after);
    return e;
}

// --- the baselines --------------------------------------------------------------------------

/// nlohmann: parse the body into a DOM, then read the fields. The views die with `j`, so the
/// caller's `use` runs inside.
template <class Use>
inline void nlohmann_step(const answer& a, Use&& use) {
    fields_view f;
    baseline_headers(a.headers, f);
    const nlohmann::json j = nlohmann::json::parse(a.body, nullptr, /*allow_exceptions=*/false);
    if (!j.is_discarded() && j.is_object()) {
        f.ok = true;
        const auto str = [&j](const char* k) -> std::string_view {
            const auto it = j.find(k);
            return it != j.end() && it->is_string() ? std::string_view(it->get_ref<const std::string&>()) : std::string_view();
        };
        f.status = str("status");
        f.created = str("created");
        if (f.created.empty()) f.created = str("createdDateTime");
        f.operation_id = str("operationId");
        f.resource_location = str("resourceLocation");
        const auto err = j.find("error");
        if (err != j.end() && err->is_object()) {
            const auto code = err->find("code");
            if (code != err->end() && code->is_string()) f.error_code = code->get_ref<const std::string&>();
        }
    }
    use(f);
}

/// simdjson On-Demand, one reused parser, padded input prepared beforehand.
template <class Use>
inline void simdjson_step(simdjson::ondemand::parser& parser, const answer& a, simdjson::padded_string& body, Use&& use) {
    using namespace simdjson;
    fields_view f;
    baseline_headers(a.headers, f);
    ondemand::document doc;
    ondemand::object obj;
    if (!parser.iterate(body).get(doc) && !doc.get_object().get(obj)) {
        f.ok = true;
        std::string_view created_v1;
        for (auto field : obj) {
            std::string_view key;
            if (field.unescaped_key().get(key)) {
                f.ok = false;
                break;
            }
            std::string_view v;
            if (key == "status") {
                if (!field.value().get_string().get(v)) f.status = v;
            } else if (key == "created") {
                if (!field.value().get_string().get(v)) f.created = v;
            } else if (key == "createdDateTime") {
                if (!field.value().get_string().get(v)) created_v1 = v;
            } else if (key == "operationId") {
                if (!field.value().get_string().get(v)) f.operation_id = v;
            } else if (key == "resourceLocation") {
                if (!field.value().get_string().get(v)) f.resource_location = v;
            } else if (key == "error") {
                ondemand::object err;
                if (!field.value().get_object().get(err)) {
                    for (auto ef : err) {
                        std::string_view ek;
                        if (ef.unescaped_key().get(ek)) break;
                        if (ek == "code" && !ef.value().get_string().get(v)) f.error_code = v;
                    }
                }
            }
        }
        if (f.created.empty()) f.created = created_v1;
    }
    use(f);
}

/// The floor: the same header lookup and one memchr pass over the body.
inline std::size_t floor_step(const answer& a) noexcept {
    fields_view f;
    baseline_headers(a.headers, f);
    const void* hit = std::memchr(a.body.data(), '\0', a.body.size());
    benchmark::DoNotOptimize(hit);
    return f.retry_after.size() + f.location.size() + f.resource_header.size() + (hit != nullptr);
}

// --- our machine ----------------------------------------------------------------------------

/// A machine after a realistic submit (202 + Location or Operation-Location) and first poll
/// (Running, v1 or v2 body).
lro::operation polling_machine(const std::shared_ptr<const lro::options>& opts, std::int64_t& now_ms, int version = 2) {
    auto r = lro::operation::start("POST", azbench::k_submit_url, opts);
    if (!r) {
        std::fprintf(stderr, "bench: start refused\n");
        std::abort();
    }
    lro::operation op = std::move(*r);
    const answer accept = azbench::make_accept(version);
    const answer& running = corpus()[version == 1 ? 1 : 2];
    if (!std::holds_alternative<lro::send_request>(op.on_response(accept.view(), at_ms(now_ms += 100))) ||
        !std::holds_alternative<lro::send_request>(op.on_response(running.view(), at_ms(now_ms += 1000)))) {
        std::fprintf(stderr, "bench: the machine did not reach the polling phase\n");
        std::abort();
    }
    return op;
}

extracted ours_extracted(const lro::operation& op, const lro::action& act) {
    extracted e;
    const lro::observation o = op.observe();
    e.status = o.status;
    e.created = o.created;
    e.operation_id = o.operation_id;
    if (const auto* f = std::get_if<lro::failed>(&act)) {
        if (f->error != nullptr) e.error_code = f->error->code;
    }
    if (const auto* s = std::get_if<lro::send_request>(&act)) {
        if (s->purpose == lro::purpose::status) e.retry_ms = s->delay.count();
        if (s->purpose == lro::purpose::resource) e.resource = s->url;
    }
    if (const auto* s = std::get_if<lro::succeeded>(&act)) e.resource = s->resource_location;
    return e;
}

// --- checks before timing -------------------------------------------------------------------

void verify_same_values() {
    auto opts = std::make_shared<const lro::options>();
    std::int64_t now = 0;
    const lro::operation templ[2] = {polling_machine(opts, now, 1), polling_machine(opts, now, 2)};
    simdjson::ondemand::parser parser;
    int failures = 0;
    for (const answer& a : corpus()) {
        lro::operation op = templ[a.version - 1];
        const lro::action act = op.on_response(a.view(), at_ms(now + 1000));
        const bool want_terminal_or_fetch = a.terminal;
        const bool got_request = std::holds_alternative<lro::send_request>(act);
        const bool is_fetch = got_request && std::get<lro::send_request>(act).purpose == lro::purpose::resource;
        if (want_terminal_or_fetch == (got_request && !is_fetch)) {
            std::fprintf(stderr, "bench: %s: unexpected action from the machine\n", a.name);
            ++failures;
        }
        const extracted ours = ours_extracted(op, act);
        extracted nl, sj;
        nlohmann_step(a, [&](const fields_view& f) { nl = to_extracted(a, f); });
        simdjson::padded_string ps(a.body);
        simdjson_step(parser, a, ps, [&](const fields_view& f) { sj = to_extracted(a, f); });
        if (!(ours == nl) || !(ours == sj)) {
            std::fprintf(stderr, "bench: %s: the cases disagree\n  ours:     %s\n  nlohmann: %s\n  simdjson: %s\n", a.name,
                         describe(ours).c_str(), describe(nl).c_str(), describe(sj).c_str());
            ++failures;
        }
    }
    if (failures != 0) {
        std::fprintf(stderr, "bench: %d answers disagree; not timing anything\n", failures);
        std::exit(2);
    }
}

// --- timing harness -------------------------------------------------------------------------

constexpr int k_rounds = 64; // corpus passes per timed batch

struct step_stats {
    double ns = 0;
    std::uint64_t steps = 0;
    std::uint64_t steady_steps = 0, terminal_steps = 0;
    std::uint64_t steady_allocs = 0, terminal_allocs = 0;
    std::int64_t steady_peak = 0, terminal_peak = 0;

    void report(benchmark::State& state) const {
        state.counters["ns_per_step"] = steps ? ns / static_cast<double>(steps) : 0.0;
        state.counters["allocs_per_step"] = steady_steps ? double(steady_allocs) / double(steady_steps) : 0.0;
        state.counters["allocs_per_terminal"] = terminal_steps ? double(terminal_allocs) / double(terminal_steps) : 0.0;
        state.counters["heap_peak_step"] = double(steady_peak);
        state.counters["heap_peak_terminal"] = double(terminal_peak);
        state.SetItemsProcessed(static_cast<std::int64_t>(steps));
    }
};

/// Runs `step(i)` for one answer with allocation accounting, adding to the stats.
template <class Step>
inline void counted(step_stats& s, bool terminal, Step&& step) {
    const std::uint64_t a0 = azbench::g_allocs;
    step();
    const std::uint64_t n = azbench::g_allocs - a0;
    if (terminal) {
        s.terminal_allocs += n;
        ++s.terminal_steps;
    } else {
        s.steady_allocs += n;
        ++s.steady_steps;
    }
}

/// Peak heap growth of one step (untimed pass).
template <class Step>
inline void peak_of(step_stats& s, bool terminal, Step&& step) {
    const std::int64_t live0 = azbench::g_live;
    azbench::reset_peak();
    step();
    const std::int64_t grow = azbench::g_peak - live0;
    std::int64_t& slot = terminal ? s.terminal_peak : s.steady_peak;
    if (grow > slot) slot = grow;
}

using hrclock = std::chrono::steady_clock;
#define AZ_BENCH_INLINE inline __attribute__((always_inline))

/// Our machine on the corpus: in-progress answers step two long-lived polling machines (one
/// per version, as one status monitor answers in one version); each terminal answer steps a
/// fresh copy of a polling machine, copied before the timed region.
struct ours_fixture {
    std::shared_ptr<const lro::options> opts = std::make_shared<const lro::options>();
    std::int64_t now = 0, templ_now = 0;
    lro::operation live[2], templ[2];
    std::vector<lro::operation> spares;
    std::size_t n_terminal = 0, next_spare = 0;

    explicit ours_fixture(int rounds) {
        live[0] = polling_machine(opts, now, 1);
        live[1] = polling_machine(opts, now, 2);
        templ[0] = polling_machine(opts, templ_now, 1);
        templ[1] = polling_machine(opts, templ_now, 2);
        for (const answer& a : corpus()) n_terminal += a.terminal;
        spares.reserve(n_terminal * static_cast<std::size_t>(rounds));
    }
    /// Untimed: fresh machines for the terminal answers of `rounds` passes.
    void refill(int rounds) {
        spares.clear();
        for (int r = 0; r < rounds; ++r)
            for (const answer& a : corpus())
                if (a.terminal) spares.push_back(templ[a.version - 1]);
        next_spare = 0;
    }
    AZ_BENCH_INLINE lro::action step(const answer& a) {
        if (a.terminal) return spares[next_spare++].on_response(a.view(), at_ms(templ_now + 1));
        return live[a.version - 1].on_response(a.view(), at_ms(now += 1000));
    }
};

void BM_ours(benchmark::State& state) {
    const auto& c = corpus();
    ours_fixture fx(k_rounds);
    step_stats s;
    fx.refill(1);
    for (const answer& a : c) benchmark::DoNotOptimize(fx.step(a)); // warm-up: every field seen once
    fx.refill(1);
    for (const answer& a : c) // peak transient heap, untimed
        peak_of(s, a.terminal, [&] { benchmark::DoNotOptimize(fx.step(a)); });
    for (auto _ : state) {
        fx.refill(k_rounds); // outside the timed region
        const auto t0 = hrclock::now();
        for (int r = 0; r < k_rounds; ++r) {
            for (const answer& a : c) {
                counted(s, a.terminal, [&] {
                    lro::action act = fx.step(a);
                    benchmark::DoNotOptimize(act);
                });
            }
        }
        const auto t1 = hrclock::now();
        const double ns = std::chrono::duration<double, std::nano>(t1 - t0).count();
        s.ns += ns;
        s.steps += static_cast<std::uint64_t>(k_rounds) * c.size();
        state.SetIterationTime(ns * 1e-9);
    }
    s.report(state);
}

template <class StepFn>
void run_baseline(benchmark::State& state, StepFn&& step_fn) {
    const auto& c = corpus();
    step_stats s;
    for (std::size_t i = 0; i < c.size(); ++i) peak_of(s, c[i].terminal, [&] { step_fn(i); });
    for (auto _ : state) {
        const auto t0 = hrclock::now();
        for (int r = 0; r < k_rounds; ++r)
            for (std::size_t i = 0; i < c.size(); ++i) counted(s, c[i].terminal, [&] { step_fn(i); });
        const auto t1 = hrclock::now();
        const double ns = std::chrono::duration<double, std::nano>(t1 - t0).count();
        s.ns += ns;
        s.steps += static_cast<std::uint64_t>(k_rounds) * c.size();
        state.SetIterationTime(ns * 1e-9);
    }
    s.report(state);
}

inline std::size_t digest(const fields_view& f) noexcept {
    return f.status.size() + f.created.size() + f.operation_id.size() + f.error_code.size() +
           f.resource_location.size() + f.retry_after.size() + f.location.size() + f.resource_header.size() +
           static_cast<std::size_t>(f.ok);
}

void BM_nlohmann(benchmark::State& state) {
    const auto& c = corpus();
    run_baseline(state, [&](std::size_t i) {
        nlohmann_step(c[i], [](const fields_view& f) { benchmark::DoNotOptimize(digest(f)); });
    });
}

void BM_simdjson(benchmark::State& state) {
    const auto& c = corpus();
    std::vector<simdjson::padded_string> padded;
    for (const answer& a : c) padded.emplace_back(a.body);
    simdjson::ondemand::parser parser;
    { // size the parser's buffers once, outside timing (as a long-lived client would)
        simdjson::ondemand::document d;
        for (auto& p : padded) (void)parser.iterate(p).get(d);
    }
    run_baseline(state, [&](std::size_t i) {
        simdjson_step(parser, c[i], padded[i], [](const fields_view& f) { benchmark::DoNotOptimize(digest(f)); });
    });
}

void BM_floor(benchmark::State& state) {
    const auto& c = corpus();
    run_baseline(state, [&](std::size_t i) { benchmark::DoNotOptimize(floor_step(c[i])); });
}

BENCHMARK(BM_ours)->UseManualTime();
BENCHMARK(BM_nlohmann)->UseManualTime();
BENCHMARK(BM_simdjson)->UseManualTime();
BENCHMARK(BM_floor)->UseManualTime();

// --- memory per in-flight operation ---------------------------------------------------------

struct memory_report {
    std::size_t sizeof_operation = sizeof(lro::operation);
    double heap_shared = 0;  ///< heap bytes per operation, options shared (amortised over N)
    double heap_private = 0; ///< heap bytes per operation, each with its own options copy
    std::size_t owned_heap_bytes = 0; ///< what the machine itself reports (strings only)
};

/// Live heap (chunk bytes, by the hook) per operation after N realistic submit + first poll.
double heap_per_operation(bool shared, std::size_t& owned) {
    constexpr std::size_t n = 10000;
    std::vector<lro::operation> ops;
    ops.reserve(n); // the vector itself is not counted: the inline part is sizeof(operation)
    const azbench::answer accept = azbench::make_accept(2);
    const azbench::answer& first = corpus()[2]; // Running v2: operationId, created, status
    const lro::options plain;
    const std::int64_t live0 = azbench::g_live;
    {
        auto opts = shared ? std::make_shared<const lro::options>() : nullptr;
        for (std::size_t i = 0; i < n; ++i) {
            auto r = shared ? lro::operation::start("POST", azbench::k_submit_url, opts)
                            : lro::operation::start("POST", azbench::k_submit_url, plain);
            lro::operation op = std::move(*r);
            (void)op.on_response(accept.view(), at_ms(1));
            (void)op.on_response(first.view(), at_ms(1000));
            ops.push_back(std::move(op));
        }
    }
    const std::int64_t live1 = azbench::g_live;
    owned = ops.back().owned_heap_bytes();
    return double(live1 - live0) / double(n);
}

memory_report measure_memory() {
    memory_report m;
    m.heap_shared = heap_per_operation(true, m.owned_heap_bytes);
    m.heap_private = heap_per_operation(false, m.owned_heap_bytes);
    return m;
}

void BM_operation_memory(benchmark::State& state) {
    static const memory_report m = measure_memory();
    const auto opts = std::make_shared<const lro::options>();
    for (auto _ : state) { // times start + 202 + first poll of one operation
        std::int64_t now = 0;
        lro::operation op = polling_machine(opts, now);
        benchmark::DoNotOptimize(op);
    }
    const double per_shared = double(m.sizeof_operation) + m.heap_shared;
    const double per_private = double(m.sizeof_operation) + m.heap_private;
    state.counters["sizeof_operation"] = double(m.sizeof_operation);
    state.counters["owned_heap_bytes"] = double(m.owned_heap_bytes);
    state.counters["bytes_per_op_shared"] = per_shared;
    state.counters["bytes_per_op_private"] = per_private;
    state.counters["ops_per_GiB_shared"] = double(1ull << 30) / per_shared;
    state.counters["ops_per_GiB_private"] = double(1ull << 30) / per_private;
}
BENCHMARK(BM_operation_memory);

// --- a reporter that can fail the run: the allocation check of ctest ------------------------

class checking_reporter : public benchmark::ConsoleReporter {
public:
    bool failed = false;
    bool saw_ours = false;
    void ReportRuns(const std::vector<Run>& runs) override {
        for (const Run& r : runs) {
            if (r.benchmark_name().rfind("BM_ours", 0) != 0) continue;
            const auto it = r.counters.find("allocs_per_step");
            if (it == r.counters.end()) continue;
            saw_ours = true;
            if (it->second.value != 0.0) {
                std::fprintf(stderr, "bench: %s allocates %.3f times per steady-state poll step (must be 0)\n",
                             r.benchmark_name().c_str(), double(it->second.value));
                failed = true;
            }
        }
        ConsoleReporter::ReportRuns(runs);
    }
};

/// `--profile=CASE:WHICH:ROUNDS` (CASE ours|nlohmann|simdjson|floor, WHICH all|steady|terminal):
/// runs the steps without the benchmark library, for callgrind / perf (docs/performance.md).
int profile(const char* spec) {
    char which_case[16] = {}, which[16] = {};
    int rounds = 0;
    if (std::sscanf(spec, "%15[^:]:%15[^:]:%d", which_case, which, &rounds) != 3 || rounds <= 0) {
        std::fprintf(stderr, "bench: --profile=CASE:all|steady|terminal:ROUNDS\n");
        return 1;
    }
    const std::string cs = which_case, w = which;
    const auto& c = corpus();
    const auto wanted = [&](const answer& a) { return w == "all" || (w == "terminal") == a.terminal; };
    std::size_t sink = 0;
    if (cs == "ours") {
        ours_fixture fx(1);
        for (int r = 0; r < rounds; ++r) {
            if (w != "steady") fx.refill(1);
            for (const answer& a : c)
                if (wanted(a)) sink += fx.step(a).index();
                else if (a.terminal) ++fx.next_spare;
        }
    } else if (cs == "nlohmann") {
        for (int r = 0; r < rounds; ++r)
            for (const answer& a : c)
                if (wanted(a)) nlohmann_step(a, [&](const fields_view& f) { sink += digest(f); });
    } else if (cs == "simdjson") {
        std::vector<simdjson::padded_string> padded;
        for (const answer& a : c) padded.emplace_back(a.body);
        simdjson::ondemand::parser parser;
        for (int r = 0; r < rounds; ++r)
            for (std::size_t i = 0; i < c.size(); ++i)
                if (wanted(c[i])) simdjson_step(parser, c[i], padded[i], [&](const fields_view& f) { sink += digest(f); });
    } else if (cs == "floor") {
        for (int r = 0; r < rounds; ++r)
            for (const answer& a : c)
                if (wanted(a)) sink += floor_step(a);
    } else {
        std::fprintf(stderr, "bench: unknown case %s\n", which_case);
        return 1;
    }
    std::printf("%zu\n", sink);
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    bool require_zero = false;
    std::vector<char*> args;
    for (int i = 0; i < argc; ++i) {
        if (std::strcmp(argv[i], "--require-zero-allocs") == 0) require_zero = true;
        else if (std::strncmp(argv[i], "--profile=", 10) == 0) return profile(argv[i] + 10);
        else args.push_back(argv[i]);
    }
    int n = static_cast<int>(args.size());
    benchmark::Initialize(&n, args.data());
    if (benchmark::ReportUnrecognizedArguments(n, args.data())) return 1;
    verify_same_values();
    std::printf("corpus: %zu answers; all cases extract the same values from each\n", corpus().size());
    checking_reporter reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
    benchmark::Shutdown();
    if (require_zero && (!reporter.saw_ours || reporter.failed)) {
        if (!reporter.saw_ours) std::fprintf(stderr, "bench: BM_ours did not run\n");
        return 1;
    }
    return 0;
}
