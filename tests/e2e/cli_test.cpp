// End-to-end: the `azmaps-lro` command as a subprocess against the in-process emulator:
// exit codes, printed results, resume tokens, credentials kept home, SIGINT.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <curl/curl.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

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

/// Every byte printable ASCII or a newline: no raw control character (C0, DEL, C1 as UTF-8
/// or as a lone byte) reaches the terminal.
::testing::AssertionResult only_printable(const std::string& s) {
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto u = static_cast<unsigned char>(s[i]);
        if (u == '\n' || (u >= 0x20 && u < 0x7F)) continue;
        return ::testing::AssertionFailure() << "byte 0x" << std::hex << int(u) << " at " << std::dec << i << " in: " << s;
    }
    return ::testing::AssertionSuccess();
}

nlohmann::json parse_json(const std::string& out) {
    nlohmann::json j = nlohmann::json::parse(out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << out;
    return j;
}

/// A scripted HTTP server on 127.0.0.1 in this process, for answers the emulator does not
/// give (escape sequences, credentials in URLs, oversized bodies). Routes are set before start().
struct tiny_server {
    struct request {
        std::string method, path, query;
        httplib::Headers headers;
    };
    httplib::Server svr;
    std::thread th;
    int port = 0;
    std::mutex m;
    std::vector<request> reqs;

    bool start() {
        svr.set_logger([this](const httplib::Request& r, const httplib::Response&) {
            std::string q;
            for (const auto& p : r.params) q += (q.empty() ? "" : "&") + p.first + "=" + p.second;
            std::lock_guard<std::mutex> l(m);
            reqs.push_back({r.method, r.path, q, r.headers});
        });
        port = svr.bind_to_any_port("127.0.0.1"); // listening from here on
        if (port <= 0) return false;
        th = std::thread([this] { svr.listen_after_bind(); });
        return true;
    }
    void stop() {
        svr.stop();
        if (th.joinable()) th.join();
    }
    ~tiny_server() { stop(); }
    std::string base() const { return "http://127.0.0.1:" + std::to_string(port); }
    std::vector<request> requests() {
        std::lock_guard<std::mutex> l(m);
        return reqs;
    }
    /// A v2 submit at POST /submit answered 202 with `monitor` (a path or URL).
    void submit_202(const std::string& monitor) {
        svr.Post("/submit", [this, monitor](const httplib::Request&, httplib::Response& res) {
            res.status = 202;
            res.set_header("Operation-Location", monitor.rfind("http", 0) == 0 ? monitor : base() + monitor);
        });
    }
};

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

// --- --json: one object, every field as the README documents it ---------------------------

TEST_F(CliE2E, JsonSuccessFailureCancelAndTimeoutObjects) {
    const proc_result ok = run_cli({"run", "--json", "-q", "--key", "cli-key", url(scenario::succeed, 1)});
    EXPECT_EQ(ok.code, 0) << ok.err;
    const nlohmann::json s = parse_json(ok.out);
    EXPECT_EQ(s["outcome"], "succeeded");
    ASSERT_TRUE(s["resource"].is_string());
    EXPECT_EQ(s["resource"].get<std::string>().rfind(srv->base_url() + "/mapData/metadata/", 0), 0u);
    ASSERT_TRUE(s["result"].is_object()) << ok.out; // the fetched resource, embedded as JSON
    EXPECT_TRUE(s["result"].contains("udid")) << ok.out;
    EXPECT_EQ(s["version"], "v1");
    EXPECT_TRUE(s["operation_id"].is_string());
    EXPECT_EQ(s["status"], "Succeeded");
    EXPECT_EQ(s["polls"], 4);
    EXPECT_EQ(s["requests"], 6); // submit, 4 polls, the resource
    EXPECT_TRUE(s["elapsed_ms"].is_number_integer());
    EXPECT_EQ(s["exit_code"], 0);
    EXPECT_FALSE(s.contains("reason"));
    EXPECT_FALSE(s.contains("resume_token"));

    const proc_result fail = run_cli({"run", "--json", "-q", "--key", "cli-key", url(scenario::fail, 2)});
    const nlohmann::json f = parse_json(fail.out);
    EXPECT_EQ(f["outcome"], "failed");
    EXPECT_EQ(f["reason"], "operation_failed");
    EXPECT_EQ(f["http_status"], 200);
    EXPECT_TRUE(f["detail"].is_string());
    EXPECT_EQ(f["error"]["code"], "InvalidFeature");
    EXPECT_EQ(f["error"]["details"][0]["code"], "NoGeometry");
    EXPECT_TRUE(f["error"]["innererror"].is_array());
    EXPECT_EQ(f["exit_code"], 1);
    EXPECT_FALSE(f.contains("result"));

    const proc_result cancel = run_cli({"run", "--json", "-q", "--key", "cli-key", url(scenario::cancel, 2)});
    const nlohmann::json c = parse_json(cancel.out);
    EXPECT_EQ(c["outcome"], "canceled");
    EXPECT_EQ(c["canceled_by"], "server");
    EXPECT_EQ(c["exit_code"], 3);

    timing t;
    t.retry_after_ms = 400;
    const proc_result late = run_cli({"run", "--json", "-q", "--max-polls=1", url(scenario::succeed, 2, t)},
                                     {"AZMAPS_KEY=cli-key"});
    EXPECT_EQ(late.code, 4) << late.out;
    const nlohmann::json to = parse_json(late.out);
    EXPECT_EQ(to["outcome"], "failed");
    EXPECT_EQ(to["reason"], "timed_out");
    EXPECT_EQ(to["exit_code"], 4);
    ASSERT_TRUE(to["resume_token"].is_string());
    const std::string token = to["resume_token"];
    EXPECT_EQ(to["resume_command"], "azmaps-lro resume --origin " + srv->base_url() + " " + token);
    EXPECT_NE(to["resume_note"].get<std::string>().find("AZMAPS_KEY"), std::string::npos);
    EXPECT_TRUE(to["monitor"].is_string());
}

// --- terminal escape injection --------------------------------------------------------------

TEST(CliHostile, ControlCharactersFromTheServiceAreEscapedEverywhere) {
    tiny_server ts;
    ts.submit_202("/status/1?api-version=2.0");
    ts.svr.Get("/status/1", [](const httplib::Request&, httplib::Response& res) {
        res.set_content(R"({"operationId":"op\u001b[31m1","status":"Failed","error":{"code":"Bad\u001b[2JCode",)"
                        R"("message":"msg \u001b]0;pwned\u0007 \u009b31m end\u007f","target":"t\u001b[1m",)"
                        R"("details":[{"code":"d\u001b[0m","message":"dm\u0085","target":"dt\u0090"}],)"
                        R"("innererror":{"code":"ie\u001bc","innererror":{"code":"\u009d8;;x"}}}})",
                        "application/json");
    });
    ts.svr.Get("/status/2", [](const httplib::Request&, httplib::Response& res) {
        res.set_content(R"({"status":"Runn\u001b[5ming\u009b"})", "application/json");
    });
    ts.svr.Post("/submit2", [&ts](const httplib::Request&, httplib::Response& res) {
        res.status = 202;
        res.set_header("Operation-Location", ts.base() + "/status/2?api-version=2.0");
    });
    ASSERT_TRUE(ts.start());
    for (const bool json : {false, true}) {
        std::vector<std::string> args{"run", "--interval", "10ms", "--max-errors", "2", "--max-polls", "3"};
        if (json) args.push_back("--json");
        args.push_back(ts.base() + "/submit?api-version=2.0");
        const proc_result r = run_cli(args);
        SCOPED_TRACE(json ? "json" : "text");
        EXPECT_EQ(r.code, 1) << r.out << r.err;
        EXPECT_TRUE(only_printable(r.out));
        EXPECT_TRUE(only_printable(r.err));
        if (json) {
            const nlohmann::json j = parse_json(r.out);
            EXPECT_EQ(j["error"]["code"], "Bad\x1b[2JCode"); // the JSON carries the text, escaped as JSON
        } else {
            EXPECT_NE(r.out.find("error: Bad\\x1b[2JCode: msg \\x1b]0;pwned\\x07 \\u009b31m end\\x7f"), std::string::npos) << r.out;
            EXPECT_NE(r.out.find("target: t\\x1b[1m"), std::string::npos) << r.out;
            EXPECT_NE(r.out.find("detail: d\\x1b[0m: dm\\u0085 (target dt\\u0090)"), std::string::npos) << r.out;
            EXPECT_NE(r.out.find("innererror: ie\\x1bc > \\u009d8;;x"), std::string::npos) << r.out;
        }
        args.back() = ts.base() + "/submit2?api-version=2.0";
        const proc_result r2 = run_cli(args);
        EXPECT_NE(r2.code, 0) << r2.out << r2.err;
        EXPECT_TRUE(only_printable(r2.out));
        EXPECT_TRUE(only_printable(r2.err));
        if (!json) {
            EXPECT_NE(r2.err.find("Runn\\x1b[5ming\\u009b"), std::string::npos) << r2.err; // the progress line
        }
    }
}

// --- lost output ----------------------------------------------------------------------------

TEST(CliHostile, OutputFileProblemsNeverExitZero) {
    const std::string big(std::size_t{1} << 20 | 100, 'x'); // beyond the default max_body_bytes (1 MiB)
    tiny_server ts;
    ts.submit_202("/status/1?api-version=2.0");
    ts.svr.Get("/status/1", [&ts](const httplib::Request&, httplib::Response& res) {
        res.set_header("Resource-Location", ts.base() + "/resource/1?api-version=2.0");
        res.set_content(R"({"operationId":"1","status":"Succeeded"})", "application/json");
    });
    ts.svr.Get("/resource/1", [](const httplib::Request&, httplib::Response& res) {
        res.set_content(R"({"udid":"u-1"})", "application/json");
    });
    ts.svr.Get("/resource/big", [&big](const httplib::Request&, httplib::Response& res) {
        res.set_content(big, "application/octet-stream");
    });
    ts.svr.Post("/submit-big", [&ts](const httplib::Request&, httplib::Response& res) {
        res.status = 202;
        res.set_header("Operation-Location", ts.base() + "/status/big?api-version=2.0");
    });
    ts.svr.Get("/status/big", [&ts](const httplib::Request&, httplib::Response& res) {
        res.set_header("Resource-Location", ts.base() + "/resource/big");
        res.set_content(R"({"operationId":"2","status":"Succeeded"})", "application/json");
    });
    ASSERT_TRUE(ts.start());
    const std::string submit = ts.base() + "/submit?api-version=2.0";

    // An unwritable path: exit 2 before anything is sent.
    const proc_result dir = run_cli({"run", "-q", "-o", "/nonexistent-dir/x.json", submit});
    EXPECT_EQ(dir.code, 2) << dir.out << dir.err;
    EXPECT_NE(dir.err.find("/nonexistent-dir/x.json"), std::string::npos) << dir.err;
    const proc_result isdir = run_cli({"run", "-q", "--output=/tmp", submit});
    EXPECT_EQ(isdir.code, 2) << isdir.err;
    EXPECT_TRUE(ts.requests().empty()) << ts.requests().size() << " requests";

    // A good path gets exactly the result body.
    char tmpl[] = "/tmp/azlro-cli-o-XXXXXX";
    const int fd = mkstemp(tmpl);
    ASSERT_GE(fd, 0);
    close(fd);
    unlink(tmpl);
    const proc_result good = run_cli({"run", "-q", "-o", tmpl, submit});
    EXPECT_EQ(good.code, 0) << good.out << good.err;
    EXPECT_EQ(slurp(tmpl), R"({"udid":"u-1"})");
    EXPECT_NE(good.out.find("wrote 14 bytes to"), std::string::npos) << good.out;
    unlink(tmpl);

    // A failed write (ENOSPC): exit 1, said on stderr.
    const proc_result full = run_cli({"run", "-q", "-o", "/dev/full", submit});
    EXPECT_EQ(full.code, 1) << full.out << full.err;
    EXPECT_NE(full.err.find("/dev/full"), std::string::npos) << full.err;

    // A body cut at max_body_bytes: exit 1, nothing written (the file is not left behind).
    for (const bool json : {false, true}) {
        std::vector<std::string> args{"run", "-q", "-o", tmpl, ts.base() + "/submit-big?api-version=2.0"};
        if (json) args.insert(args.begin() + 1, "--json");
        const proc_result cut = run_cli(args);
        EXPECT_EQ(cut.code, 1) << cut.out << cut.err;
        EXPECT_NE((json ? cut.out : cut.err).find("max_body_bytes"), std::string::npos) << cut.out << cut.err;
        EXPECT_NE(access(tmpl, F_OK), 0);
        if (json) {
            const nlohmann::json j = parse_json(cut.out);
            EXPECT_EQ(j["exit_code"], 1);
            EXPECT_TRUE(j["output_error"].is_string());
            EXPECT_TRUE(j["result"].is_null());
        }
    }
    // Without -o too: a cut result is never a success.
    EXPECT_EQ(run_cli({"run", "-q", ts.base() + "/submit-big?api-version=2.0"}).code, 1);
}

// --- credentials ----------------------------------------------------------------------------

TEST(CliHostile, NoOutputNamesTheKeyOrASubscriptionKeyQueryValue) {
    tiny_server ts;
    ts.submit_202("/status/1?api-version=2.0&Subscription-Key=server-secret");
    ts.svr.Get("/status/1", [](const httplib::Request&, httplib::Response& res) {
        res.set_content(R"({"operationId":"1","status":"Failed","error":{"code":"E","message":"m"}})", "application/json");
    });
    ASSERT_TRUE(ts.start());
    const std::string submit = ts.base() + "/submit?api-version=2.0";
    for (const bool json : {false, true})
        for (const bool in_query : {false, true}) {
            std::vector<std::string> args{"run", "--interval", "10ms", "--key", "user-secret-key", "--bearer",
                                          "bearer-secret"};
            if (json) args.push_back("--json");
            if (in_query) args.push_back("--key-in-query");
            args.push_back(submit);
            const proc_result r = run_cli(args);
            SCOPED_TRACE(std::string(json ? "json" : "text") + (in_query ? " key in query" : ""));
            EXPECT_EQ(r.code, 1) << r.out << r.err;
            for (const char* secret : {"server-secret", "user-secret-key", "bearer-secret"}) {
                EXPECT_EQ(r.out.find(secret), std::string::npos) << r.out;
                EXPECT_EQ(r.err.find(secret), std::string::npos) << r.err;
            }
            // The monitor (in the result and the progress lines) is shown, without the key.
            EXPECT_NE(r.out.find(ts.base() + "/status/1?api-version=2.0"), std::string::npos) << r.out;
            EXPECT_NE(r.err.find(ts.base() + "/status/1?api-version=2.0"), std::string::npos) << r.err;
        }
    // A URL the user typed with a key in its query, in a usage error: redacted, any case.
    const proc_result typed = run_cli({"run", "ftp://example.com/x?a=1&SUBSCRIPTION-key=typed-secret&b=2"});
    EXPECT_EQ(typed.code, 2);
    EXPECT_EQ(typed.err.find("typed-secret"), std::string::npos) << typed.err;
    EXPECT_NE(typed.err.find("SUBSCRIPTION-key=***&b=2"), std::string::npos) << typed.err;
    // The key did go to the server (same origin), in the form asked for.
    bool header = false, query = false;
    for (const auto& q : ts.requests()) {
        auto it = q.headers.find("subscription-key");
        header = header || (it != q.headers.end() && it->second == "user-secret-key");
        query = query || q.query.find("subscription-key=user-secret-key") != std::string::npos;
    }
    EXPECT_TRUE(header);
    EXPECT_TRUE(query);
}

// --- what a new user tripped over -------------------------------------------------------------

TEST_F(CliE2E, MaxPollsOnResumeCountsFromTheResume) {
    timing t;
    t.retry_after_ms = 50;
    t.running_polls = 4; // NotStarted, Running x4, Succeeded: 6 polls
    const proc_result first = run_cli({"run", "-q", "--max-polls", "2", "--key", "cli-key", url(scenario::succeed, 2, t)});
    EXPECT_EQ(first.code, 4) << first.out;
    EXPECT_NE(first.out.find("2 polls"), std::string::npos) << first.out;
    const std::string token = after(first.out, "resume token: ");
    ASSERT_FALSE(token.empty()) << first.out;
    const proc_result second = run_cli({"resume", "--json", "-q", "--max-polls", "2", "--origin", srv->base_url(), token},
                                       {"AZMAPS_KEY=cli-key"});
    EXPECT_EQ(second.code, 4) << second.out << second.err;
    const nlohmann::json j = parse_json(second.out);
    ASSERT_EQ(srv->operations().size(), 1u);
    EXPECT_EQ(srv->operations()[0].status_polls, 4); // two before, two after the resume
    const proc_result third = run_cli({"resume", "-q", "--max-polls", "2", "--origin", srv->base_url(),
                                       j["resume_token"].get<std::string>()},
                                      {"AZMAPS_KEY=cli-key"});
    EXPECT_EQ(third.code, 0) << third.out << third.err;
    EXPECT_EQ(srv->operations()[0].status_polls, 6);
}

TEST_F(CliE2E, HintsForResumeCrossOriginAndWrongOrigin) {
    timing t;
    t.retry_after_ms = 400;
    const proc_result r = run_cli({"run", "-q", "--max-polls", "1", "--key", "cli-key", url(scenario::succeed, 2, t)});
    EXPECT_EQ(r.code, 4) << r.out;
    // The printed resume command says the key is needed again (and never names it).
    EXPECT_NE(r.out.find("the token holds no credentials: give them again: --key KEY (or set AZMAPS_KEY)"),
              std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("cli-key"), std::string::npos) << r.out;
    const std::string token = after(r.out, "resume token: ");
    ASSERT_FALSE(token.empty());
    // Resuming without the key: the service says 401 (what the note is there to prevent).
    const proc_result keyless = run_cli({"resume", "-q", "--origin", srv->base_url(), token});
    EXPECT_EQ(keyless.code, 1) << keyless.out;
    EXPECT_NE(keyless.out.find("401"), std::string::npos) << keyless.out;
    // A wrong --origin says which origin the token names.
    const proc_result wrong = run_cli({"resume", "-q", "--key", "cli-key", "--origin", srv->foreign_base_url(), token});
    EXPECT_EQ(wrong.code, 2);
    EXPECT_NE(wrong.err.find("the token names the origin " + srv->base_url() + ", not " + srv->foreign_base_url()),
              std::string::npos) << wrong.err;

    // A cross-origin refusal names the flag and the origin.
    const proc_result refused = run_cli({"run", "-q", "--key", "cli-key", url(scenario::cross_origin, 2)});
    EXPECT_EQ(refused.code, 1);
    EXPECT_NE(refused.out.find("to follow it, add --allow-origin " + srv->foreign_base_url()), std::string::npos)
        << refused.out;
    const proc_result refused_json = run_cli({"run", "--json", "-q", "--key", "cli-key", url(scenario::cross_origin, 2)});
    EXPECT_NE(parse_json(refused_json.out)["hint"].get<std::string>().find("--allow-origin " + srv->foreign_base_url()),
              std::string::npos);
}

TEST_F(CliE2E, PluralsAndSubSecondWaits) {
    const proc_result one = run_cli({"run", "-q", "--key", "cli-key", url(scenario::fail_submit_400, 2)});
    EXPECT_NE(one.out.find(", 0 polls, 1 request, "), std::string::npos) << one.out;
    timing t;
    t.retry_after_ms = 200;
    t.running_polls = 0;
    const proc_result r = run_cli({"run", "--key", "cli-key", url(scenario::succeed, 2, t)});
    EXPECT_EQ(r.code, 0) << r.err;
    // The 200 ms wait is shown in ms, not rounded to "1 s" nor "0.2 s".
    const std::string wait = after(r.err, "next status request in ");
    ASSERT_FALSE(wait.empty()) << r.err;
    EXPECT_GE(wait.size(), 4u);
    EXPECT_EQ(wait.substr(wait.size() - 3), " ms") << wait;
    EXPECT_LE(std::stoi(wait), 200) << wait;
}

// --- Azure family options, headers, cookies, the JSON result --------------------------------

TEST(CliFamily, HeadersGoWithEveryRequestAndCookiesOnlyWhenAsked) {
    tiny_server ts;
    ts.svr.Post("/submit", [&ts](const httplib::Request&, httplib::Response& res) {
        res.status = 202;
        res.set_header("Operation-Location", ts.base() + "/status/1?api-version=2.0");
        res.set_header("Set-Cookie", "affinity=node-7; Path=/");
    });
    std::atomic<int> polls{0};
    ts.svr.Get("/status/1", [&ts, &polls](const httplib::Request&, httplib::Response& res) {
        if (++polls % 2 == 1) {
            res.set_content(R"({"operationId":"1","status":"Running"})", "application/json");
            return;
        }
        res.set_header("Resource-Location", ts.base() + "/resource/1?api-version=2.0");
        res.set_content(R"({"operationId":"1","status":"Succeeded"})", "application/json");
    });
    ts.svr.Get("/resource/1", [](const httplib::Request&, httplib::Response& res) {
        res.set_content("plain text result", "text/plain");
    });
    ASSERT_TRUE(ts.start());
    for (const bool cookies : {false, true}) {
        SCOPED_TRACE(cookies ? "--cookies" : "no cookies");
        const std::size_t before = ts.requests().size();
        std::vector<std::string> args{"run", "--json", "-q", "--interval", "10ms", "--protocol", "maps-v2",
                                      "-H", "x-ms-client-id: abc", ts.base() + "/submit?api-version=2.0"};
        if (cookies) args.insert(args.begin() + 1, "--cookies");
        const proc_result r = run_cli(args);
        EXPECT_EQ(r.code, 0) << r.out << r.err;
        const nlohmann::json j = parse_json(r.out);
        EXPECT_EQ(j["result"], "plain text result"); // not JSON: a string
        EXPECT_EQ(j["version"], "v2");
        const auto reqs = ts.requests();
        ASSERT_EQ(reqs.size() - before, 4u); // submit, Running, Succeeded, resource
        for (std::size_t i = before; i < reqs.size(); ++i) {
            const auto& q = reqs[i];
            auto h = q.headers.find("x-ms-client-id");
            EXPECT_TRUE(h != q.headers.end() && h->second == "abc") << q.method << " " << q.path;
            const bool has_cookie = q.headers.find("Cookie") != q.headers.end();
            if (i == before) {
                EXPECT_FALSE(has_cookie); // nothing set yet
            } else {
                EXPECT_EQ(has_cookie, cookies) << q.method << " " << q.path;
                if (cookies && has_cookie) {
                    EXPECT_EQ(q.headers.find("Cookie")->second, "affinity=node-7");
                }
            }
        }
    }
    // --no-fetch: no result body, `result` is null.
    const proc_result nofetch = run_cli({"run", "--json", "-q", "--interval", "10ms", "--no-fetch", "--protocol", "v2",
                                         ts.base() + "/submit?api-version=2.0"});
    EXPECT_EQ(nofetch.code, 0) << nofetch.out;
    EXPECT_TRUE(parse_json(nofetch.out)["result"].is_null()) << nofetch.out;
    EXPECT_EQ(run_cli({"run", "--protocol", "maps-v3", ts.base() + "/x"}).code, 2);
    EXPECT_EQ(run_cli({"run", "--final-state-via", "location", ts.base() + "/x"}).code, 2); // Azure only
    EXPECT_EQ(run_cli({"run", "--protocol", "azure", "--final-state-via", "nowhere", ts.base() + "/x"}).code, 2);
}

TEST(CliFamily, AzureOperationsPrintTheirResult) {
    tiny_server ts;
    // ARM: PUT, Azure-AsyncOperation, then the final GET of the original URL.
    ts.svr.Put("/vaults/v1", [&ts](const httplib::Request&, httplib::Response& res) {
        res.status = 201;
        res.set_header("Azure-AsyncOperation", ts.base() + "/aao/1?api-version=2023-01-01");
        res.set_content(R"({"id":"v1","properties":{"provisioningState":"Creating"}})", "application/json");
    });
    ts.svr.Get("/aao/1", [](const httplib::Request&, httplib::Response& res) {
        res.set_content(R"({"status":"Succeeded"})", "application/json");
    });
    ts.svr.Get("/vaults/v1", [](const httplib::Request&, httplib::Response& res) {
        res.set_content(R"({"id":"v1","properties":{"provisioningState":"Succeeded","size":3}})", "application/json");
    });
    // Azure.Core: POST, Operation-Location, the result in the status body's `result`.
    ts.svr.Post("/docs:analyze", [&ts](const httplib::Request&, httplib::Response& res) {
        res.status = 202;
        res.set_header("Operation-Location", ts.base() + "/ol/1?api-version=2024-01-01");
    });
    ts.svr.Get("/ol/1", [](const httplib::Request&, httplib::Response& res) {
        res.set_content(R"({"id":"1","status":"Succeeded","result":{"answer":42}})", "application/json");
    });
    // final-state-via location: the result is at the submit's Location.
    ts.svr.Post("/export", [&ts](const httplib::Request&, httplib::Response& res) {
        res.status = 202;
        res.set_header("Operation-Location", ts.base() + "/ol/1?api-version=2024-01-01");
        res.set_header("Location", ts.base() + "/exports/9");
    });
    ts.svr.Get("/exports/9", [](const httplib::Request&, httplib::Response& res) {
        res.set_content(R"({"export":"done"})", "application/json");
    });
    ASSERT_TRUE(ts.start());

    const proc_result arm = run_cli({"run", "--json", "-q", "--protocol", "azure", "-X", "PUT", "--data", "{}",
                                     "--interval=10ms", ts.base() + "/vaults/v1?api-version=2023-01-01"});
    EXPECT_EQ(arm.code, 0) << arm.out << arm.err;
    const nlohmann::json a = parse_json(arm.out);
    EXPECT_EQ(a["outcome"], "succeeded");
    EXPECT_EQ(a["result"]["properties"]["size"], 3) << arm.out;

    const proc_result core = run_cli({"run", "--json", "-q", "--protocol=azure", "--result-member", "result",
                                      "--interval=10ms", ts.base() + "/docs:analyze?api-version=2024-01-01"});
    EXPECT_EQ(core.code, 0) << core.out << core.err;
    EXPECT_EQ(parse_json(core.out)["result"], nlohmann::json({{"answer", 42}})) << core.out;

    const proc_result loc = run_cli({"run", "--json", "-q", "--protocol", "azure", "--final-state-via", "location",
                                     "--interval=10ms", ts.base() + "/export?api-version=2024-01-01"});
    EXPECT_EQ(loc.code, 0) << loc.out << loc.err;
    EXPECT_EQ(parse_json(loc.out)["result"], nlohmann::json({{"export", "done"}})) << loc.out;
    bool fetched = false;
    for (const auto& q : ts.requests()) fetched = fetched || q.path == "/exports/9";
    EXPECT_TRUE(fetched);
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
