// `azmaps-lro demo`: the local emulator, in this process, on a free loopback port; a v1
// operation that succeeds with a resource and a v2 operation that fails with the OData error
// of the documents, both through the real libcurl driver; then a summary checked against the
// emulator's own records (request counts, early polls, keys sent to other origins).
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "cli.hpp"
#include "emulator.hpp"

namespace azmaps::lro::cli {

namespace {

struct demo_case {
    const char* title;
    const char* label;
    std::string path;       // with query
    std::string body;
    const char* expected;   // "succeeded" / "failed"
};

struct demo_result {
    bool as_expected = false;
    std::string got;
    std::uint32_t polls = 0;
    std::uint32_t requests = 0;
    protocol_version version = protocol_version::unknown;
};

demo_result run_case(const demo_case& c, const std::string& base, bool tty, bool verbose) {
    std::printf("\n== %s\n", c.title);
    std::printf("   POST %s%s\n", base.c_str(), c.path.c_str());
    std::fflush(stdout);
    options opts;                      // the defaults, except a tighter overall limit
    opts.timeout = std::chrono::minutes(2);
    auto op = operation::start("POST", base + c.path, opts);
    demo_result r;
    if (!op) {
        std::printf("   could not start: %s\n", std::string(message(op.error())).c_str());
        return r;
    }
    curl::request_spec spec;
    spec.body = c.body;
    curl::credentials creds;
    creds.subscription_key = "demo-key"; // the emulator's key; sent only to its own origin
    curl::easy_config cfg;
    cfg.verbose = verbose;
    cfg.stop = &g_stop;
    progress prog(stdout, tty, false, std::string("   ") + c.label);
    cfg.on_event = [&](const curl::event& e) { prog.on_event(e); };
    curl::outcome out = curl::run(*op, spec, creds, cfg);
    prog.finish();
    run_context ctx;
    ctx.origin = base;
    std::printf("   result: ");
    report(stdout, state_of(*op, out), out, ctx);
    const observation obs = op->observe();
    r.polls = obs.polls;
    r.requests = out.requests;
    r.version = obs.version;
    r.got = out.interrupted ? "interrupted"
          : out.result.end == phase::succeeded ? "succeeded"
          : out.result.end == phase::failed ? "failed"
          : out.result.end == phase::canceled ? "canceled" : "refused";
    r.as_expected = r.got == c.expected;
    if (out.result.ok() && !out.body.empty()) {
        const std::string shown = printable(out.body.substr(0, 160));
        std::printf("   resource metadata (%zu bytes): %s\n", out.body.size(), shown.c_str());
    }
    return r;
}

} // namespace

int run_demo(bool verbose) {
    install_signal_handlers();
    namespace emu = azmaps::lro::emulator;
    emu::config ecfg;
    ecfg.host = "127.0.0.1";
    ecfg.port = 0;                 // any free port
    ecfg.subscription_key = "demo-key";
    ecfg.retry_after_s = 1;        // Retry-After: 1 while NotStarted/Running
    ecfg.running_polls = 2;        // NotStarted, Running, Running, then the end
    ecfg.max_threads = 64;
    emu::server srv(ecfg);
    if (!srv.start()) {
        std::fprintf(stderr, "azmaps-lro demo: could not start the emulator on 127.0.0.1\n");
        return exit_failed;
    }
    const std::string base = srv.base_url();
    const bool tty = ::isatty(STDOUT_FILENO) == 1;
    std::printf("azmaps-lro demo: the Azure Maps Creator LRO emulator is listening on %s (in this process)\n",
                base.c_str());
    std::printf("Each operation is driven by the libcurl driver (adapters/curl_easy.hpp): submit, then poll\n"
                "after every Retry-After (1 s here), then fetch the resource. Key `demo-key`, sent only to %s.\n",
                base.c_str());

    const demo_case cases[] = {
        {"v1: upload a drawing package (Data Upload 1.0) -- expected: Succeeded, with a resource", "v1",
         "/mapData/upload?api-version=1.0&dataFormat=dwgzippackage&scenario=succeed",
         "{\"demo\":\"a drawing package would go here\"}", "succeeded"},
        {"v2: convert it (Conversion 2.0) -- expected: Failed, with the OData error of the docs", "v2",
         "/conversions?api-version=2.0&udid=demo-udid&outputOntology=facility-2.0&scenario=fail", "", "failed"},
    };
    demo_result results[2];
    for (int i = 0; i < 2; ++i) {
        results[i] = run_case(cases[i], base, tty, verbose);
        if (g_stop.load()) break;
    }

    // The emulator's own view: what each operation received, and when.
    const auto records = srv.operations();
    std::printf("\n== summary (the client's outcome, checked against the emulator's records)\n");
    std::printf("   %-3s  %-10s %-10s %6s %6s %6s %6s  %s\n", "op", "expected", "got", "submit", "polls", "fetch",
                "early", "verdict");
    bool all_ok = true;
    for (int i = 0; i < 2; ++i) {
        const emu::server::operation_record* rec = i < static_cast<int>(records.size()) ? &records[static_cast<std::size_t>(i)] : nullptr;
        const bool timing_ok = rec != nullptr && rec->early_polls == 0;
        const bool ok = results[i].as_expected && timing_ok;
        all_ok = all_ok && ok;
        std::printf("   %-3s  %-10s %-10s %6d %6d %6d %6d  %s\n", cases[i].label, cases[i].expected,
                    results[i].got.empty() ? "-" : results[i].got.c_str(), rec ? rec->submits : 0, rec ? rec->status_polls : 0,
                    rec ? rec->resource_fetches : 0, rec ? rec->early_polls : 0, ok ? "ok" : "UNEXPECTED");
    }
    const int keyless = srv.requests_without_key();
    const int foreign_keys = srv.foreign_origin_key_requests();
    std::printf("   requests: %lld in all, %d without the key, %d keys sent to another origin; polls earlier than "
                "Retry-After: %d\n",
                static_cast<long long>(srv.total_requests()), keyless, foreign_keys,
                (records.size() > 0 ? records[0].early_polls : 0) + (records.size() > 1 ? records[1].early_polls : 0));
    all_ok = all_ok && keyless == 0 && foreign_keys == 0;
    srv.stop();
    std::printf("\n%s\n", all_ok ? "demo: both operations ended as expected (exit 0)"
                                 : "demo: something did not end as expected (exit 1)");
    return all_ok ? exit_succeeded : exit_failed;
}

} // namespace azmaps::lro::cli
