// azmaps-lro: run, follow and resume Azure Maps Creator long-running operations from the shell,
// with the libcurl driver (include/azmaps/lro/adapters/curl_easy.hpp). `azmaps-lro --help`.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <azmaps/lro/adapters/follow.hpp>

#include "cli.hpp"

namespace lro = azmaps::lro;
namespace cli = azmaps::lro::cli;

namespace {

constexpr const char* usage_text = R"(azmaps-lro: run and follow Azure Maps Creator long-running operations (v1 and v2)

Usage:
  azmaps-lro run [options] URL          submit (POST by default), poll to the end, print the result
  azmaps-lro poll [options] MONITOR_URL follow an operation started elsewhere, from its status URL
  azmaps-lro resume [options] TOKEN     continue from a resume token printed by an earlier run
  azmaps-lro demo                       run a v1 and a v2 operation against a local emulator
  azmaps-lro help | --help | --version

Request (run):
  -X, --method M          submit method (default POST)
  -d, --data DATA         submit body; @FILE reads a file, @- reads stdin. Resent on resubmits.
                          Sent as application/json unless a Content-Type header is given.
Credentials (sent ONLY to the origin of the submit URL -- for poll, of the monitor URL):
  --key KEY               Azure Maps subscription key, sent as the `subscription-key` header
                          (default: the AZMAPS_KEY environment variable, if set)
  --key-in-query          send the key as the `subscription-key` query parameter instead
  --bearer TOKEN          send `Authorization: Bearer TOKEN`
  -H, --header 'K: V'     extra request header, repeatable; like credentials, sent only to the
                          submit origin (submit, resubmits and same-origin polls and fetches)
Polling:
  --timeout DUR           give up after DUR (e.g. 90s, 10m, 1h, 500ms; a bare number is seconds)
                          and print a resume token (exit 4)
  --max-polls N           give up after N status requests (exit 4, with a resume token)
  --interval DUR          poll interval when the service sends no Retry-After (default 2s)
  --max-errors N          consecutive errors before giving up (default 5)
  --no-fetch              do not GET the created resource after Succeeded
  --resubmit              resend the submit after 500/502/504 or a transport error
  --add-query NAME=VALUE  add a query parameter to same-origin monitor/resource URLs lacking it
                          (e.g. api-version=2.0), repeatable
  --protocol v1|v2        pin the protocol version (default: detect)
Origins:
  --allow-origin ORIGIN   follow URLs on another origin (scheme://host[:port]), repeatable;
                          credentials are still sent only to the submit origin
  --allow-any-origin      follow URLs on any origin
  --insecure              allow a switch from https to http (TLS is always verified)
  --origin ORIGIN         resume: the origin the token must belong to; required with credentials
Output:
  --json                  print the result as one JSON object on stdout
  -o, --output FILE       write the body of the fetched resource to FILE
  -q, --quiet             no progress on stderr
  -v, --verbose           libcurl's verbose trace on stderr
  --connect-timeout DUR   per-connection timeout (default 10s)
  --request-timeout DUR   per-request timeout (default 60s)

Progress goes to stderr: a live line on a terminal (status, polls, elapsed, next poll in N s),
plain lines otherwise. The result goes to stdout: the resource URL, or the error (code,
message, details, innererror). On timeout or Ctrl-C the resume token and the exact `resume`
command are printed; a `resume` needs the same origin flags as the run (printed for you).

`poll` builds a machine whose first request is the status GET of MONITOR_URL (as if a submit
had been answered 202 with that monitor): see include/azmaps/lro/adapters/follow.hpp.

Exit codes:
  0  the operation succeeded
  1  the operation failed (the service said Failed, the submit was rejected, an HTTP or
     transport error, a protocol error) or could not be run
  2  usage error: bad arguments, a corrupt or refused resume token, an unusable URL
  3  the operation was canceled (by the service)
  4  timed out (--timeout or --max-polls); the resume token is printed
  130 interrupted (SIGINT/SIGTERM); the resume token is printed when there is one
)";

int usage_error(const std::string& msg) {
    std::fprintf(stderr, "azmaps-lro: %s\n(see azmaps-lro --help)\n", msg.c_str());
    return cli::exit_usage;
}

/// "90s", "10m", "1h", "500ms", "1.5s", "30" (seconds).
std::optional<std::chrono::milliseconds> parse_duration(const std::string& s) {
    if (s.empty()) return std::nullopt;
    std::size_t i = 0;
    double v = 0;
    bool digits = false;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        v = v * 10 + (s[i++] - '0');
        digits = true;
    }
    if (i < s.size() && s[i] == '.') {
        ++i;
        double scale = 0.1;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
            v += (s[i++] - '0') * scale;
            scale /= 10;
            digits = true;
        }
    }
    if (!digits) return std::nullopt;
    const std::string unit = s.substr(i);
    double ms = 0;
    if (unit.empty() || unit == "s") ms = v * 1000;
    else if (unit == "ms") ms = v;
    else if (unit == "m" || unit == "min") ms = v * 60000;
    else if (unit == "h") ms = v * 3600000;
    else return std::nullopt;
    if (ms > 1e12) return std::nullopt;
    return std::chrono::milliseconds(static_cast<std::int64_t>(ms));
}

std::optional<unsigned long> parse_count(const std::string& s) {
    if (s.empty() || s.size() > 9) return std::nullopt;
    for (char c : s)
        if (c < '0' || c > '9') return std::nullopt;
    return std::stoul(s);
}

bool read_data(const std::string& arg, std::string& out, std::string& err) {
    if (arg.empty() || arg[0] != '@') {
        out = arg;
        return true;
    }
    const std::string path = arg.substr(1);
    if (path == "-") {
        out.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
        return true;
    }
    std::ifstream f(path, std::ios::binary);
    if (!f) {
        err = "cannot read " + path + ": " + std::strerror(errno);
        return false;
    }
    out.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    return true;
}

/// The origin of an absolute URL as `scheme://host[:port]`, or empty.
std::string origin_of(std::string_view url) {
    lro::detail::origin o;
    if (!lro::detail::parse_origin(url, o)) return {};
    std::string text;
    lro::detail::origin_text(o, text);
    return text;
}

struct args {
    std::string command;
    std::string target; // URL or token
    std::string method = "POST";
    std::optional<std::string> data;
    std::vector<std::string> headers;
    std::optional<std::string> key;
    bool key_in_query = false;
    std::string bearer;
    std::string trusted_origin;
    std::string output;
    bool json = false, quiet = false, verbose = false;
    lro::options opts;
    lro::curl::easy_config easy;
    std::vector<std::string> resume_flags;
};

int parse(int argc, char** argv, args& a) {
    a.command = argv[1];
    bool have_target = false;
    for (int i = 2; i < argc; ++i) {
        std::string arg = argv[i];
        std::string value;
        bool has_inline = false;
        if (arg.rfind("--", 0) == 0) {
            const std::size_t eq = arg.find('=');
            if (eq != std::string::npos) {
                value = arg.substr(eq + 1);
                arg = arg.substr(0, eq);
                has_inline = true;
            }
        }
        auto need = [&](std::string& out) -> bool {
            if (has_inline) {
                out = value;
                return true;
            }
            if (i + 1 >= argc) return false;
            out = argv[++i];
            return true;
        };
        std::string v;
        auto missing = [&] { return usage_error("option " + arg + " needs a value"); };
        if (arg == "-X" || arg == "--method") {
            if (!need(a.method)) return missing();
        } else if (arg == "-d" || arg == "--data") {
            if (!need(v)) return missing();
            std::string body, err;
            if (!read_data(v, body, err)) return usage_error(err);
            a.data = std::move(body);
        } else if (arg == "-H" || arg == "--header") {
            if (!need(v)) return missing();
            const std::size_t colon = v.find(':');
            if (colon == std::string::npos || colon == 0) return usage_error("a header must look like 'Name: value': " + v);
            a.headers.push_back(v);
        } else if (arg == "--key") {
            if (!need(v)) return missing();
            a.key = v;
        } else if (arg == "--key-in-query") {
            a.key_in_query = true;
        } else if (arg == "--bearer") {
            if (!need(a.bearer)) return missing();
        } else if (arg == "--timeout" || arg == "--interval" || arg == "--connect-timeout" || arg == "--request-timeout") {
            if (!need(v)) return missing();
            const auto d = parse_duration(v);
            if (!d) return usage_error("not a duration for " + arg + ": " + v + " (try 90s, 10m, 500ms)");
            if (arg == "--timeout") a.opts.timeout = *d;
            else if (arg == "--interval") a.opts.default_poll_interval = *d;
            else if (arg == "--connect-timeout") a.easy.connect_timeout = *d;
            else a.easy.request_timeout = *d;
        } else if (arg == "--max-polls" || arg == "--max-errors") {
            if (!need(v)) return missing();
            const auto n = parse_count(v);
            if (!n) return usage_error("not a count for " + arg + ": " + v);
            if (arg == "--max-polls") a.opts.max_polls = static_cast<std::uint32_t>(*n);
            else a.opts.max_consecutive_errors = static_cast<int>(*n);
        } else if (arg == "--no-fetch") {
            a.opts.fetch_resource = false;
        } else if (arg == "--resubmit") {
            a.opts.resubmit_on_ambiguous = true;
        } else if (arg == "--add-query") {
            if (!need(v)) return missing();
            const std::size_t eq = v.find('=');
            if (eq == std::string::npos || eq == 0) return usage_error("--add-query needs NAME=VALUE: " + v);
            a.opts.add_query.emplace_back(v.substr(0, eq), v.substr(eq + 1));
            a.resume_flags.push_back("--add-query " + v);
        } else if (arg == "--protocol") {
            if (!need(v)) return missing();
            if (v == "v1" || v == "1") a.opts.version = lro::protocol_version::v1;
            else if (v == "v2" || v == "2") a.opts.version = lro::protocol_version::v2;
            else return usage_error("--protocol takes v1 or v2");
            a.resume_flags.push_back("--protocol " + v);
        } else if (arg == "--allow-origin") {
            if (!need(v)) return missing();
            a.opts.allowed_origins.push_back(v);
            a.resume_flags.push_back("--allow-origin " + v);
        } else if (arg == "--allow-any-origin") {
            a.opts.allow_any_origin = true;
            a.resume_flags.push_back(arg);
        } else if (arg == "--insecure") {
            a.opts.allow_insecure = true;
            a.resume_flags.push_back(arg);
        } else if (arg == "--origin") {
            if (!need(a.trusted_origin)) return missing();
        } else if (arg == "--json") {
            a.json = true;
        } else if (arg == "-o" || arg == "--output") {
            if (!need(a.output)) return missing();
        } else if (arg == "-q" || arg == "--quiet") {
            a.quiet = true;
        } else if (arg == "-v" || arg == "--verbose") {
            a.verbose = true;
        } else if (arg == "--") {
            if (i + 1 < argc && !have_target) {
                a.target = argv[++i];
                have_target = true;
            }
        } else if (!arg.empty() && arg[0] == '-' && arg != "-") {
            return usage_error("unknown option " + arg);
        } else if (!have_target) {
            a.target = arg;
            have_target = true;
        } else {
            return usage_error("unexpected argument " + arg);
        }
    }
    if (!have_target || a.target.empty())
        return usage_error(a.command == "resume" ? "resume needs a TOKEN" : a.command + " needs a URL");
    if (a.command != "run" && (a.data || a.method != "POST"))
        return usage_error("--data and --method apply to `run` only");
    if (!a.key) {
        if (const char* env = std::getenv("AZMAPS_KEY"); env != nullptr && *env != '\0') a.key = env;
    }
    return -1;
}

int execute(args& a) {
    const lro::time_point now = lro::clock::now();
    auto opts = std::make_shared<const lro::options>(a.opts);
    lro::operation op;
    cli::run_context ctx;
    ctx.json = a.json;
    ctx.resume_flags = a.resume_flags;
    if (a.command == "run") {
        auto started = lro::operation::start(a.method, a.target, opts);
        if (!started) return usage_error(std::string(lro::message(started.error())) + ": " + cli::redact(a.target) +
                                         " (method " + a.method + ")");
        op = std::move(*started);
        ctx.origin = origin_of(a.target);
    } else if (a.command == "poll") {
        auto followed = lro::follow_monitor(a.target, opts, now);
        if (!followed) return usage_error(std::string(lro::message(followed.error())) + ": " + cli::redact(a.target));
        op = std::move(*followed);
        ctx.origin = origin_of(a.target);
    } else { // resume
        if (a.trusted_origin.empty())
            return usage_error("resume needs --origin ORIGIN (the origin of the submit URL, as printed with the "
                               "token), so that an edited token cannot send requests or credentials elsewhere");
        auto resumed = lro::operation::resume(a.target, opts, now, a.trusted_origin);
        if (!resumed) return usage_error(std::string("cannot resume: ") + std::string(lro::message(resumed.error())));
        op = std::move(*resumed);
        ctx.origin = a.trusted_origin;
    }

    lro::curl::request_spec spec;
    if (a.data) spec.body = *a.data;
    lro::curl::credentials creds;
    if (a.key) creds.subscription_key = *a.key;
    creds.key_in_query = a.key_in_query;
    if (!a.bearer.empty()) creds.authorization = "Bearer " + a.bearer;
    for (const std::string& h : a.headers) { // Content-Type belongs to the submit; the rest stays home
        const bool type = h.size() >= 13 && lro::detail::iequals(std::string_view(h).substr(0, 13), "content-type:");
        (type ? spec.submit_headers : creds.headers).push_back(h);
    }

    const bool tty = ::isatty(STDERR_FILENO) == 1;
    cli::progress prog(stderr, tty, a.quiet);
    a.easy.verbose = a.verbose;
    a.easy.stop = &cli::g_stop;
    a.easy.on_event = [&](const lro::curl::event& e) { prog.on_event(e); };
    cli::install_signal_handlers();
    lro::curl::outcome out = lro::curl::run(op, spec, creds, a.easy);
    prog.finish();
    if (!a.output.empty() && !out.resource_body.empty()) {
        std::ofstream f(a.output, std::ios::binary);
        f.write(out.resource_body.data(), static_cast<std::streamsize>(out.resource_body.size()));
        if (!f) std::fprintf(stderr, "azmaps-lro: cannot write %s\n", a.output.c_str());
    }
    return cli::report(stdout, op, out, ctx);
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fputs(usage_text, stderr);
        return cli::exit_usage;
    }
    const std::string cmd = argv[1];
    if (cmd == "-h" || cmd == "--help" || cmd == "help") {
        std::fputs(usage_text, stdout);
        return 0;
    }
    if (cmd == "--version" || cmd == "version") {
        std::printf("azmaps-lro 0.1.0 (%s)\n", curl_version());
        return 0;
    }
    if (cmd == "demo") return cli::run_demo(argc, argv);
    if (cmd != "run" && cmd != "poll" && cmd != "resume") return usage_error("unknown command " + cmd);
    for (int i = 2; i < argc; ++i)
        if (std::strcmp(argv[i], "-h") == 0 || std::strcmp(argv[i], "--help") == 0) {
            std::fputs(usage_text, stdout);
            return 0;
        }
    args a;
    if (const int rc = parse(argc, argv, a); rc >= 0) return rc;
    return execute(a);
}
