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

#include <algorithm>
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

// --- the cases ------------------------------------------------------------------------------

enum class step_kind : int { in_progress = 0, success = 1, failure = 2 };
constexpr int k_kinds = 3;
constexpr const char* k_kind_names[k_kinds] = {"in_progress", "success", "failure"};

step_kind kind_of(const answer& a) {
    if (!a.terminal) return step_kind::in_progress;
    return std::strncmp(a.name, "Succeeded", 9) == 0 ? step_kind::success : step_kind::failure;
}

/// Which machine one of our steps runs on: a long-lived polling machine (one per version),
/// a fresh copy of a polling machine (copied before the timed region), or the last fresh copy.
enum class machine_slot { live, fresh, current };

struct planned_step {
    std::size_t answer;
    machine_slot machine;
};

struct case_plan {
    const char* name;
    std::vector<planned_step> steps;
};

/// The step cases (docs/performance.md): in-progress answers alone (the steady state), the
/// terminal successes, the terminal failures (OData error), a lifecycle weighted like a real
/// operation (20 in-progress answers per terminal one, each lifecycle on a fresh machine), and
/// the corpus in order (the mix of earlier reports, 40 % terminal).
const std::vector<case_plan>& plans() {
    static const std::vector<case_plan> p = [] {
        const auto& c = corpus();
        std::vector<case_plan> out;
        case_plan ip{"in_progress", {}}, ok{"success", {}}, bad{"failure", {}}, life{"lifecycle", {}}, mix{"mix", {}};
        for (std::size_t i = 0; i < c.size(); ++i) {
            const step_kind k = kind_of(c[i]);
            if (k == step_kind::in_progress) ip.steps.push_back({i, machine_slot::live});
            if (k == step_kind::success) ok.steps.push_back({i, machine_slot::fresh});
            if (k == step_kind::failure) bad.steps.push_back({i, machine_slot::fresh});
            mix.steps.push_back({i, c[i].terminal ? machine_slot::fresh : machine_slot::live});
        }
        for (std::size_t t = 0; t < c.size(); ++t) {
            if (!c[t].terminal) continue;
            std::vector<std::size_t> same_monitor; // in-progress answers of the terminal one's version
            for (std::size_t i = 0; i < c.size(); ++i)
                if (!c[i].terminal && c[i].version == c[t].version) same_monitor.push_back(i);
            for (std::size_t k = 0; k < 20; ++k)
                life.steps.push_back({same_monitor[k % same_monitor.size()], k == 0 ? machine_slot::fresh : machine_slot::current});
            life.steps.push_back({t, machine_slot::current});
        }
        out.push_back(std::move(ip));
        out.push_back(std::move(ok));
        out.push_back(std::move(bad));
        out.push_back(std::move(life));
        out.push_back(std::move(mix));
        return out;
    }();
    return p;
}

// --- timing harness -------------------------------------------------------------------------

constexpr std::size_t k_batch_steps = 640; // steps per timed batch (whole passes over a case)

struct kind_stats {
    std::uint64_t steps = 0, allocs = 0;
    std::int64_t peak = 0;
};

/// Runs `step()` with allocation accounting.
template <class Step>
inline void counted(kind_stats& s, Step&& step) {
    const std::uint64_t a0 = azbench::g_allocs;
    step();
    s.allocs += azbench::g_allocs - a0;
    ++s.steps;
}

/// Peak heap growth of one step (untimed pass).
template <class Step>
inline void peak_of(kind_stats& s, Step&& step) {
    const std::int64_t live0 = azbench::g_live;
    azbench::reset_peak();
    step();
    const std::int64_t grow = azbench::g_peak - live0;
    if (grow > s.peak) s.peak = grow;
}

using hrclock = std::chrono::steady_clock;
#define AZ_BENCH_INLINE inline __attribute__((always_inline))

/// Our machine on a case plan (see machine_slot).
struct ours_runner {
    std::shared_ptr<const lro::options> opts = std::make_shared<const lro::options>();
    std::int64_t now = 0;
    lro::operation live[2], templ[2];
    std::vector<lro::operation> spares;
    lro::operation* cur = nullptr;
    std::size_t next_spare = 0;

    ours_runner() {
        live[0] = polling_machine(opts, now, 1);
        live[1] = polling_machine(opts, now, 2);
        templ[0] = polling_machine(opts, now, 1);
        templ[1] = polling_machine(opts, now, 2);
    }
    /// Untimed: fresh machines for `rounds` passes over `plan`.
    void refill(const case_plan& plan, std::size_t rounds) {
        const auto& c = corpus();
        spares.clear();
        std::size_t n = 0;
        for (const planned_step& s : plan.steps) n += s.machine == machine_slot::fresh;
        spares.reserve(n * rounds);
        for (std::size_t r = 0; r < rounds; ++r)
            for (const planned_step& s : plan.steps)
                if (s.machine == machine_slot::fresh) spares.push_back(templ[c[s.answer].version - 1]);
        next_spare = 0;
    }
    AZ_BENCH_INLINE lro::action step(const planned_step& s) {
        const answer& a = corpus()[s.answer];
        lro::operation* m = cur;
        if (s.machine == machine_slot::live) m = &live[a.version - 1];
        else if (s.machine == machine_slot::fresh) m = cur = &spares[next_spare++];
        return m->on_response(a.view(), at_ms(now += 1000));
    }
};

/// simdjson On-Demand on the same answers: one reused parser, padded bodies prepared beforehand.
struct simdjson_runner {
    std::vector<simdjson::padded_string> padded;
    simdjson::ondemand::parser parser;
    simdjson_runner() {
        for (const answer& a : corpus()) padded.emplace_back(a.body);
        simdjson::ondemand::document d; // size the parser's buffers once, as a long-lived client would
        for (auto& p : padded) (void)parser.iterate(p).get(d);
    }
    AZ_BENCH_INLINE std::size_t step(const planned_step& s);
};

inline std::size_t digest(const fields_view& f) noexcept {
    return f.status.size() + f.created.size() + f.operation_id.size() + f.error_code.size() +
           f.resource_location.size() + f.retry_after.size() + f.location.size() + f.resource_header.size() +
           static_cast<std::size_t>(f.ok);
}

AZ_BENCH_INLINE std::size_t simdjson_runner::step(const planned_step& s) {
    std::size_t d = 0;
    simdjson_step(parser, corpus()[s.answer], padded[s.answer], [&d](const fields_view& f) { d = digest(f); });
    return d;
}

/// What one step case measured, for the summary printed after the run (medians over the
/// repetitions; each benchmark run is one repetition: fixed iteration counts).
struct case_result {
    std::vector<double> ours_ns, simdjson_ns, ratio;
};
std::vector<case_result>& results() {
    static std::vector<case_result> r(plans().size());
    return r;
}
kind_stats g_ours_kinds[k_kinds]; // allocations per step kind, over every case run
bool g_in_progress_allocated = false;

/// BM_ours/<case>: our machine and simdjson On-Demand on the same steps, timed in alternating
/// batches in the same iteration (the ratio is robust to load shifting during the run).
/// Manual time is ours; counters give both, their ratio and our allocations per step kind.
void BM_ours(benchmark::State& state) {
    const std::size_t which = static_cast<std::size_t>(state.range(0));
    const case_plan& plan = plans()[which];
    const auto& c = corpus();
    const std::size_t rounds = std::max<std::size_t>(1, k_batch_steps / plan.steps.size());
    ours_runner ours;
    simdjson_runner sj;
    kind_stats kinds[k_kinds];
    std::size_t sink = 0;
    ours.refill(plan, 2);
    for (const planned_step& s : plan.steps) benchmark::DoNotOptimize(ours.step(s)); // warm-up: every field seen once
    for (const planned_step& s : plan.steps) // peak transient heap, untimed
        peak_of(kinds[static_cast<int>(kind_of(c[s.answer]))], [&] { benchmark::DoNotOptimize(ours.step(s)); });
    double ours_ns = 0, sj_ns = 0;
    std::uint64_t steps = 0;
    bool ours_first = true;
    for (auto _ : state) {
        ours.refill(plan, rounds); // outside the timed region
        double t_ours = 0, t_sj = 0;
        for (int half = 0; half < 2; ++half) {
            const auto t0 = hrclock::now();
            if ((half == 0) == ours_first) {
                for (std::size_t r = 0; r < rounds; ++r)
                    for (const planned_step& s : plan.steps)
                        counted(kinds[static_cast<int>(kind_of(c[s.answer]))], [&] {
                            lro::action act = ours.step(s);
                            benchmark::DoNotOptimize(act);
                        });
                t_ours = std::chrono::duration<double, std::nano>(hrclock::now() - t0).count();
            } else {
                kind_stats none;
                for (std::size_t r = 0; r < rounds; ++r)
                    for (const planned_step& s : plan.steps) counted(none, [&] { sink += sj.step(s); });
                t_sj = std::chrono::duration<double, std::nano>(hrclock::now() - t0).count();
            }
        }
        ours_first = !ours_first;
        ours_ns += t_ours;
        sj_ns += t_sj;
        steps += rounds * plan.steps.size();
        state.SetIterationTime(t_ours * 1e-9);
    }
    benchmark::DoNotOptimize(sink);
    const double per_ours = steps ? ours_ns / double(steps) : 0.0, per_sj = steps ? sj_ns / double(steps) : 0.0;
    state.counters["ns_per_step"] = per_ours;
    state.counters["simdjson_ns"] = per_sj;
    state.counters["ratio"] = per_sj > 0 ? per_ours / per_sj : 0.0;
    for (int k = 0; k < k_kinds; ++k) { // every kind, so that every run has the same counters
        state.counters[std::string("allocs_") + k_kind_names[k]] =
            kinds[k].steps ? double(kinds[k].allocs) / double(kinds[k].steps) : 0.0;
        state.counters[std::string("heap_peak_") + k_kind_names[k]] = double(kinds[k].peak);
        g_ours_kinds[k].steps += kinds[k].steps;
        g_ours_kinds[k].allocs += kinds[k].allocs;
        if (kinds[k].peak > g_ours_kinds[k].peak) g_ours_kinds[k].peak = kinds[k].peak;
    }
    if (kinds[0].allocs != 0) g_in_progress_allocated = true;
    state.SetItemsProcessed(static_cast<std::int64_t>(steps));
    case_result& cr = results()[which];
    cr.ours_ns.push_back(per_ours);
    cr.simdjson_ns.push_back(per_sj);
    cr.ratio.push_back(per_sj > 0 ? per_ours / per_sj : 0.0);
}

/// The mix (the corpus in order) for the other baselines, kept for continuity.
template <class StepFn>
void run_baseline(benchmark::State& state, StepFn&& step_fn) {
    const auto& c = corpus();
    kind_stats kinds[k_kinds];
    for (std::size_t i = 0; i < c.size(); ++i) peak_of(kinds[static_cast<int>(kind_of(c[i]))], [&] { step_fn(i); });
    const std::size_t rounds = k_batch_steps / c.size();
    double total = 0;
    std::uint64_t steps = 0;
    for (auto _ : state) {
        const auto t0 = hrclock::now();
        for (std::size_t r = 0; r < rounds; ++r)
            for (std::size_t i = 0; i < c.size(); ++i) counted(kinds[static_cast<int>(kind_of(c[i]))], [&] { step_fn(i); });
        const double ns = std::chrono::duration<double, std::nano>(hrclock::now() - t0).count();
        total += ns;
        steps += rounds * c.size();
        state.SetIterationTime(ns * 1e-9);
    }
    state.counters["ns_per_step"] = steps ? total / double(steps) : 0.0;
    for (int k = 0; k < k_kinds; ++k) {
        state.counters[std::string("allocs_") + k_kind_names[k]] = double(kinds[k].allocs) / double(kinds[k].steps ? kinds[k].steps : 1);
        state.counters[std::string("heap_peak_") + k_kind_names[k]] = double(kinds[k].peak);
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(steps));
}

void BM_nlohmann(benchmark::State& state) {
    const auto& c = corpus();
    run_baseline(state, [&](std::size_t i) {
        nlohmann_step(c[i], [](const fields_view& f) { benchmark::DoNotOptimize(digest(f)); });
    });
}

void BM_simdjson(benchmark::State& state) {
    simdjson_runner sj;
    run_baseline(state, [&](std::size_t i) { benchmark::DoNotOptimize(sj.step({i, machine_slot::live})); });
}

void BM_floor(benchmark::State& state) {
    const auto& c = corpus();
    run_baseline(state, [&](std::size_t i) { benchmark::DoNotOptimize(floor_step(c[i])); });
}

constexpr int k_iterations = 100; // fixed: one benchmark run is one repetition (see results())

void register_benchmarks() {
    for (std::size_t i = 0; i < plans().size(); ++i)
        benchmark::RegisterBenchmark((std::string("BM_ours/") + plans()[i].name).c_str(), BM_ours)
            ->Arg(static_cast<std::int64_t>(i))
            ->UseManualTime()
            ->Iterations(k_iterations);
    benchmark::RegisterBenchmark("BM_nlohmann/mix", BM_nlohmann)->UseManualTime();
    benchmark::RegisterBenchmark("BM_simdjson/mix", BM_simdjson)->UseManualTime();
    benchmark::RegisterBenchmark("BM_floor/mix", BM_floor)->UseManualTime();
}

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

const memory_report* g_memory = nullptr; // for the summary, once BM_operation_memory ran

void BM_operation_memory(benchmark::State& state) {
    static const memory_report m = measure_memory();
    g_memory = &m;
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


// --- the summary and the profiling driver ----------------------------------------------------

double median(std::vector<double> v) {
    if (v.empty()) return 0.0;
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/// The step table: per case, medians over the repetitions of ours, simdjson and their ratio
/// (the ratio's median is of the per-repetition ratios, each measured in alternating batches).
void print_summary(std::FILE* out) {
    bool any = false;
    for (const case_result& r : results()) any = any || !r.ratio.empty();
    if (!any) return;
    std::fprintf(out, "\nstep cases (median of %zu runs): ours vs simdjson On-Demand, same answers, same process\n",
                 results()[0].ratio.size());
    std::fprintf(out, "%-12s %10s %12s %8s\n", "case", "ours ns", "simdjson ns", "ratio");
    for (std::size_t i = 0; i < plans().size(); ++i) {
        const case_result& r = results()[i];
        if (r.ratio.empty()) continue;
        std::fprintf(out, "%-12s %10.1f %12.1f %7.2fx\n", plans()[i].name, median(r.ours_ns), median(r.simdjson_ns),
                     median(r.ratio));
    }
    std::fprintf(out, "allocations per step (ours):");
    for (int k = 0; k < k_kinds; ++k)
        if (g_ours_kinds[k].steps)
            std::fprintf(out, " %s %.2f (peak %lld B)", k_kind_names[k],
                         double(g_ours_kinds[k].allocs) / double(g_ours_kinds[k].steps),
                         static_cast<long long>(g_ours_kinds[k].peak));
    std::fprintf(out, "\n");
    if (g_memory != nullptr)
        std::fprintf(out, "per in-flight operation: sizeof %zu + heap %.1f = %.1f B (options shared), %.1f B (private options)\n",
                     g_memory->sizeof_operation, g_memory->heap_shared, double(g_memory->sizeof_operation) + g_memory->heap_shared,
                     double(g_memory->sizeof_operation) + g_memory->heap_private);
}

/// `--profile=CASE:PLAN:ROUNDS` (CASE ours|simdjson|nlohmann|floor, PLAN a step case name:
/// in_progress, success, failure, lifecycle, mix): runs the steps without the benchmark
/// library, for callgrind / perf (docs/performance.md).
int profile(const char* spec) {
    char which_case[16] = {}, which[16] = {};
    int rounds = 0;
    if (std::sscanf(spec, "%15[^:]:%15[^:]:%d", which_case, which, &rounds) != 3 || rounds <= 0) {
        std::fprintf(stderr, "bench: --profile=CASE:in_progress|success|failure|lifecycle|mix:ROUNDS\n");
        return 1;
    }
    const case_plan* plan = nullptr;
    for (const case_plan& p : plans())
        if (std::strcmp(p.name, which) == 0) plan = &p;
    if (plan == nullptr) {
        std::fprintf(stderr, "bench: unknown step case %s\n", which);
        return 1;
    }
    const std::string cs = which_case;
    const auto& c = corpus();
    std::size_t sink = 0;
    if (cs == "ours") {
        ours_runner ours;
        ours.refill(*plan, static_cast<std::size_t>(rounds));
        for (int r = 0; r < rounds; ++r)
            for (const planned_step& s : plan->steps) sink += ours.step(s).index();
    } else if (cs == "simdjson") {
        simdjson_runner sj;
        for (int r = 0; r < rounds; ++r)
            for (const planned_step& s : plan->steps) sink += sj.step(s);
    } else if (cs == "nlohmann") {
        for (int r = 0; r < rounds; ++r)
            for (const planned_step& s : plan->steps) nlohmann_step(c[s.answer], [&](const fields_view& f) { sink += digest(f); });
    } else if (cs == "floor") {
        for (int r = 0; r < rounds; ++r)
            for (const planned_step& s : plan->steps) sink += floor_step(c[s.answer]);
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
    bool console = true; // --benchmark_format: the summary goes to stderr unless the format is the console's
    std::vector<char*> args;
    for (int i = 0; i < argc; ++i) {
        if (std::strcmp(argv[i], "--require-zero-allocs") == 0) require_zero = true;
        else if (std::strncmp(argv[i], "--profile=", 10) == 0) return profile(argv[i] + 10);
        else {
            if (std::strncmp(argv[i], "--benchmark_format=", 19) == 0) console = std::strcmp(argv[i] + 19, "console") == 0;
            args.push_back(argv[i]);
        }
    }
    int n = static_cast<int>(args.size());
    benchmark::Initialize(&n, args.data());
    if (benchmark::ReportUnrecognizedArguments(n, args.data())) return 1;
    verify_same_values();
    std::FILE* const notes = console ? stdout : stderr;
    std::fprintf(notes, "corpus: %zu answers; all cases extract the same values from each\n", corpus().size());
    std::fflush(notes);
    register_benchmarks();
    // No display reporter of our own: --benchmark_format, --benchmark_out and
    // --benchmark_out_format are the library's.
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    std::fflush(stdout);
    print_summary(notes);
    if (require_zero) {
        if (g_ours_kinds[0].steps == 0) {
            std::fprintf(stderr, "bench: no in-progress step of ours ran\n");
            return 1;
        }
        if (g_in_progress_allocated) {
            std::fprintf(stderr, "bench: an in-progress step allocates (%.3f per step; must be 0)\n",
                         double(g_ours_kinds[0].allocs) / double(g_ours_kinds[0].steps));
            return 1;
        }
    }
    return 0;
}
