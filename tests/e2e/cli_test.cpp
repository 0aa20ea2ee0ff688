// End-to-end: the `azmaps-lro` command as a subprocess against the in-process emulator:
// exit codes, printed results, resume tokens, credentials kept home, SIGINT.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <curl/curl.h>

#include <azmaps/lro/version.hpp>

#include "e2e_support.hpp"

#ifndef AZMAPS_LRO_CLI
#error "AZMAPS_LRO_CLI must name the azmaps-lro binary"
#endif

namespace {

using namespace e2e;

struct proc_result {
    int code = -1;
    std::string out, err;
};

std::string slurp(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

struct child {
    pid_t pid = -1;
    std::string out_path, err_path;
};

child spawn(const std::vector<std::string>& args, const std::vector<std::string>& env_extra = {},
            const char* binary = AZMAPS_LRO_CLI) {
    child c;
    char out_tmpl[] = "/tmp/azlro-cli-out-XXXXXX";
    char err_tmpl[] = "/tmp/azlro-cli-err-XXXXXX";
    const int out_fd = mkstemp(out_tmpl);
    const int err_fd = mkstemp(err_tmpl);
    c.out_path = out_tmpl;
    c.err_path = err_tmpl;
    std::vector<std::string> argv_s{binary};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    c.pid = fork();
    if (c.pid == 0) {
        const int devnull = open("/dev/null", O_RDONLY);
        dup2(devnull, 0);
        dup2(out_fd, 1);
        dup2(err_fd, 2);
        unsetenv("AZMAPS_KEY");
        for (const std::string& kv : env_extra) putenv(const_cast<char*>(kv.c_str()));
        std::vector<char*> argv;
        for (std::string& a : argv_s) argv.push_back(a.data());
        argv.push_back(nullptr);
        execv(argv[0], argv.data());
        _exit(127);
    }
    close(out_fd);
    close(err_fd);
    return c;
}

proc_result wait_for(const child& c) {
    proc_result r;
    int status = 0;
    waitpid(c.pid, &status, 0);
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.out = slurp(c.out_path);
    r.err = slurp(c.err_path);
    unlink(c.out_path.c_str());
    unlink(c.err_path.c_str());
    return r;
}

proc_result run_cli(const std::vector<std::string>& args, const std::vector<std::string>& env_extra = {}) {
    return wait_for(spawn(args, env_extra));
}

/// The line after `prefix` in `text` (up to the end of the line), or empty.
std::string after(const std::string& text, const std::string& prefix) {
    const std::size_t p = text.find(prefix);
    if (p == std::string::npos) return {};
    const std::size_t b = p + prefix.size();
    return text.substr(b, text.find('\n', b) - b);
}

class CliE2E : public ::testing::Test {
protected:
    void SetUp() override {
        emu::config cfg;
        cfg.subscription_key = "cli-key";
        cfg.max_threads = 64;
        srv = std::make_unique<emu::server>(cfg);
        ASSERT_TRUE(srv->start());
    }
    void TearDown() override {
        EXPECT_EQ(srv->requests_with_wrong_key(), 0);
        EXPECT_EQ(srv->foreign_origin_key_requests(), 0);
        srv->stop();
    }
    std::string url(scenario s, int version, timing t = {}) const { return srv->base_url() + submit_path(s, version, t); }
    std::unique_ptr<emu::server> srv;
};

TEST_F(CliE2E, RunPrintsTheResourceAndExitsZero) {
    const proc_result r = run_cli({"run", "--key", "cli-key", url(scenario::succeed, 2)});
    EXPECT_EQ(r.code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("succeeded: " + srv->base_url() + "/mapData/metadata/"), std::string::npos) << r.out;
    EXPECT_NE(r.err.find("status"), std::string::npos) << r.err; // plain progress lines (not a tty)
    EXPECT_EQ(r.err.find("\r"), std::string::npos);
    EXPECT_EQ(r.err.find("cli-key"), std::string::npos) << r.err;
    ASSERT_EQ(srv->operations().size(), 1u);
    EXPECT_EQ(srv->operations()[0].early_polls, 0);
    EXPECT_EQ(srv->requests_without_key(), 0);
}

TEST_F(CliE2E, FailurePrintsTheODataErrorWithDetailsAndExitsOne) {
    const proc_result r = run_cli({"run", "--quiet", "--key", "cli-key", url(scenario::fail, 1)});
    EXPECT_EQ(r.code, 1) << r.out << r.err;
    EXPECT_NE(r.out.find("operation_failed"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("InvalidFeature: The provided feature is invalid."), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("detail: NoGeometry: No geometry was provided with the feature."), std::string::npos) << r.out;
    EXPECT_TRUE(r.err.empty()) << r.err;
}

TEST_F(CliE2E, JsonOutputAndCanceledExitThree) {
    const proc_result r = run_cli({"run", "--json", "-q", "--key", "cli-key", url(scenario::cancel, 2)});
    EXPECT_EQ(r.code, 3) << r.out << r.err;
    EXPECT_NE(r.out.find("\"outcome\":\"canceled\""), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("\"canceled_by\":\"server\""), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("\"version\":\"v2\""), std::string::npos) << r.out;
}

TEST_F(CliE2E, JsonFailureCarriesTheStructuredError) {
    const proc_result r = run_cli({"run", "--json", "-q", "--key", "cli-key", url(scenario::fail, 2)});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.out.find("\"error\":{\"code\":\"InvalidFeature\",\"message\":\"The provided feature is invalid.\","
                         "\"details\":[{\"code\":\"NoGeometry\""),
              std::string::npos)
        << r.out;
}

TEST_F(CliE2E, SubmitRejectedExitsOne) {
    const proc_result r = run_cli({"run", "-q", "--key", "cli-key", url(scenario::fail_submit_400, 2)});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.out.find("request_rejected (HTTP 400)"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("InvalidRequest"), std::string::npos) << r.out;
}

TEST_F(CliE2E, TimeoutPrintsATokenThatResumeFinishes) {
    timing t;
    t.retry_after_ms = 400;
    const proc_result r = run_cli({"run", "-q", "--timeout", "500ms", "--key", "cli-key", url(scenario::succeed, 2, t)});
    EXPECT_EQ(r.code, 4) << r.out << r.err;
    const std::string token = after(r.out, "resume token: ");
    ASSERT_EQ(token.rfind("azlro1.", 0), 0u) << r.out;
    EXPECT_NE(r.out.find("azmaps-lro resume --origin " + srv->base_url() + " " + token), std::string::npos) << r.out;

    // With a key, resume insists on --origin.
    const proc_result no_origin = run_cli({"resume", "-q", "--key", "cli-key", token});
    EXPECT_EQ(no_origin.code, 2) << no_origin.err;
    EXPECT_NE(no_origin.err.find("--origin"), std::string::npos);
    // A token bound to another origin is refused.
    const proc_result wrong = run_cli({"resume", "-q", "--key", "cli-key", "--origin", srv->foreign_base_url(), token});
    EXPECT_EQ(wrong.code, 2) << wrong.out << wrong.err;

    const proc_result resumed = run_cli({"resume", "-q", "--origin", srv->base_url(), token}, {"AZMAPS_KEY=cli-key"});
    EXPECT_EQ(resumed.code, 0) << resumed.out << resumed.err;
    EXPECT_NE(resumed.out.find("succeeded: "), std::string::npos) << resumed.out;
    EXPECT_EQ(srv->requests_without_key(), 0);
    // The token keeps the wait the machine was about to ask for: no poll before Retry-After.
    for (const auto& op : srv->operations()) EXPECT_EQ(op.early_polls, 0) << op.id;
}

TEST_F(CliE2E, PollFollowsAMonitorStartedElsewhere) {
    // Start the operation with plain libcurl and take the Operation-Location.
    std::string monitor;
    CURL* h = curl_easy_init();
    ASSERT_NE(h, nullptr);
    const std::string submit = url(scenario::succeed, 2) + "&subscription-key=cli-key";
    curl_easy_setopt(h, CURLOPT_URL, submit.c_str());
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, +[](char* d, size_t s, size_t n, void* u) -> size_t {
        std::string line(d, s * n);
        if (line.rfind("Operation-Location:", 0) == 0) {
            std::string v = line.substr(19);
            while (!v.empty() && (v.back() == '\r' || v.back() == '\n' || v.back() == ' ')) v.pop_back();
            while (!v.empty() && v.front() == ' ') v.erase(0, 1);
            *static_cast<std::string*>(u) = v;
        }
        return s * n;
    });
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &monitor);
    ASSERT_EQ(curl_easy_perform(h), CURLE_OK);
    curl_easy_cleanup(h);
    ASSERT_FALSE(monitor.empty());

    const proc_result r = run_cli({"poll", "--key", "cli-key", "--key-in-query", monitor});
    EXPECT_EQ(r.code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("succeeded: "), std::string::npos) << r.out;
    const auto ops = srv->operations();
    ASSERT_EQ(ops.size(), 1u);
    EXPECT_EQ(ops[0].submits, 1);
    EXPECT_EQ(ops[0].status_polls, 4);
    EXPECT_EQ(ops[0].resource_fetches, 1);
}

TEST_F(CliE2E, CrossOriginNeedsAllowOriginAndKeepsTheKeyHome) {
    const proc_result refused = run_cli({"run", "-q", "--key", "cli-key", url(scenario::cross_origin, 2)});
    EXPECT_EQ(refused.code, 1);
    EXPECT_NE(refused.out.find("cross_origin"), std::string::npos) << refused.out;

    const proc_result r = run_cli({"run", "-q", "--key", "cli-key", "--key-in-query", "-H", "x-ms-client-id: abc",
                                   "--allow-origin", srv->foreign_base_url(), url(scenario::cross_origin, 2)});
    EXPECT_EQ(r.code, 0) << r.out << r.err;
    EXPECT_GT(srv->foreign_origin_requests(), 0);
    EXPECT_EQ(srv->foreign_origin_key_requests(), 0);
}

TEST_F(CliE2E, UsageErrorsExitTwo) {
    EXPECT_EQ(run_cli({}).code, 2);
    EXPECT_EQ(run_cli({"frobnicate"}).code, 2);
    EXPECT_EQ(run_cli({"run"}).code, 2);
    EXPECT_EQ(run_cli({"run", "--bogus", "http://x/"}).code, 2);
    EXPECT_EQ(run_cli({"run", "--timeout", "soon", "http://x/"}).code, 2);
    EXPECT_EQ(run_cli({"run", "ftp://example.com/x"}).code, 2);
    EXPECT_EQ(run_cli({"resume", "azlro1.garbage"}).code, 2);
    EXPECT_EQ(run_cli({"poll", "--data", "x", "http://x/"}).code, 2);
    const proc_result help = run_cli({"--help"});
    EXPECT_EQ(help.code, 0);
    EXPECT_NE(help.out.find("Exit codes"), std::string::npos);
}

TEST_F(CliE2E, OptionsTakeEqualsOrSpaceAndTheKeyComesFromTheEnvironment) {
    // --opt=value, --opt value, repeated -H before the URL (must not swallow it), key from AZMAPS_KEY.
    const proc_result r = run_cli({"run", "--quiet", "--timeout=60s", "--interval", "50ms", "-H", "x-ms-client-id: a",
                                   "--header=x-ms-other: b", url(scenario::succeed, 1)},
                                  {"AZMAPS_KEY=cli-key"});
    EXPECT_EQ(r.code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("succeeded: "), std::string::npos) << r.out;
    EXPECT_EQ(srv->requests_without_key(), 0);
    // --key wins over the environment.
    const proc_result wrong = run_cli({"run", "-q", "--key=cli-key", url(scenario::succeed, 2)}, {"AZMAPS_KEY=not-the-key"});
    EXPECT_EQ(wrong.code, 0) << wrong.out << wrong.err;
    // --data and --method stay `run` options.
    EXPECT_EQ(run_cli({"resume", "--method=PUT", "--origin", srv->base_url(), "azlro1.x"}).code, 2);
}

TEST_F(CliE2E, HelpListsEveryOptionAndTheExitCodesAndVersionIsTheLibrarys) {
    const char* options[] = {"--method", "--data", "--key", "--key-in-query", "--bearer", "--header", "--timeout",
                             "--max-polls", "--interval", "--max-errors", "--no-fetch", "--resubmit", "--add-query",
                             "--protocol", "--allow-origin", "--allow-any-origin", "--insecure", "--origin", "--json",
                             "--output", "--quiet", "--verbose", "--connect-timeout", "--request-timeout", "--version",
                             "AZMAPS_KEY"};
    for (const std::vector<std::string>& argv :
         {std::vector<std::string>{"--help"}, {"help"}, {"run", "--help"}, {"resume", "-h"}}) {
        const proc_result h = run_cli(argv);
        EXPECT_EQ(h.code, 0) << argv[0];
        for (const char* o : options) EXPECT_NE(h.out.find(o), std::string::npos) << argv[0] << ": " << o;
        for (const char* line : {"Exit codes", "0  the operation succeeded", "2  usage error", "3  the operation was canceled",
                                 "4  timed out", "130 interrupted"})
            EXPECT_NE(h.out.find(line), std::string::npos) << argv[0] << ": " << line;
    }
    const proc_result none = run_cli({});
    EXPECT_EQ(none.code, 2);
    EXPECT_NE(none.err.find("Exit codes"), std::string::npos);
    for (const char* v : {"--version", "version"}) {
        const proc_result r = run_cli({v});
        EXPECT_EQ(r.code, 0);
        EXPECT_EQ(r.out.rfind(std::string("azmaps-lro ") + AZMAPS_LRO_VERSION_STRING + " (libcurl/", 0), 0u) << r.out;
    }
}

TEST_F(CliE2E, SigintPrintsAResumeTokenAndExits130) {
    timing t;
    t.retry_after_ms = 30000; // the first poll would come in 30 s
    const child c = spawn({"run", "--key", "cli-key", url(scenario::succeed, 2, t)});
    // Wait (bounded) until the client has read the 202 and says it is waiting for the first
    // poll (its plain progress line); then interrupt.
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (slurp(c.err_path).find("next status request in") == std::string::npos &&
           std::chrono::steady_clock::now() < give_up)
        usleep(10000);
    kill(c.pid, SIGINT);
    const proc_result r = wait_for(c);
    ASSERT_EQ(srv->operation_count(), 1u);
    EXPECT_EQ(r.code, 130) << r.out << r.err;
    EXPECT_NE(r.out.find("interrupted"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("resume token: azlro1."), std::string::npos) << r.out;
}

#ifdef AZMAPS_LRO_EXAMPLE_CURL_LOOP
// The README's "With libcurl" loop (examples/curl_loop.cpp) against the emulator.
TEST_F(CliE2E, ExampleCurlLoopFromTheReadmeWorks) {
    const proc_result ok = wait_for(spawn({url(scenario::succeed, 1), "cli-key"}, {}, AZMAPS_LRO_EXAMPLE_CURL_LOOP));
    EXPECT_EQ(ok.code, 0) << ok.out << ok.err;
    EXPECT_NE(ok.out.find("succeeded: " + srv->base_url() + "/mapData/metadata/"), std::string::npos) << ok.out;
    const proc_result failed = wait_for(spawn({url(scenario::fail, 2), "cli-key"}, {}, AZMAPS_LRO_EXAMPLE_CURL_LOOP));
    EXPECT_EQ(failed.code, 1);
    EXPECT_NE(failed.out.find("InvalidFeature"), std::string::npos) << failed.out;
    const auto ops = srv->operations();
    ASSERT_EQ(ops.size(), 2u);
    EXPECT_EQ(ops[0].early_polls + ops[1].early_polls, 0);
    EXPECT_EQ(srv->requests_without_key(), 0);
}
#endif

} // namespace
