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

#include <CLI/CLI.hpp>

#include <azmaps/lro/adapters/follow.hpp>
#include <azmaps/lro/version.hpp>
#if __has_include(<azmaps/lro/azure_policy.hpp>)
#include <azmaps/lro/azure_policy.hpp>
#define AZMAPS_LRO_CLI_HAS_AZURE 1
#else
#define AZMAPS_LRO_CLI_HAS_AZURE 0
#endif

#include "arguments.hpp"
#include "cli.hpp"
#if defined(AZMAPS_LRO_CLI_HAS_FLEET)
#include "../fleet/fleet.hpp"
#endif

namespace lro = azmaps::lro;
namespace cli = azmaps::lro::cli;

namespace {

/// After the generated list of subcommands and options.
constexpr const char* footer_text = R"(Usage:
  azmaps-lro run [options] URL          submit (POST by default), poll to the end, print the result
  azmaps-lro run --protocol azure -X PUT URL   the same for an Azure REST (ARM, Azure.Core) operation
  azmaps-lro poll [options] MONITOR_URL follow an operation started elsewhere, from its status URL
  azmaps-lro resume [options] TOKEN     continue from a resume token printed by an earlier run
  azmaps-lro demo [-v]                  run a v1 and a v2 operation against a local emulator
  azmaps-lro fleet SUBCOMMAND ...       many operations tracked in PostgreSQL by workers
                                        (`azmaps-lro fleet --help`, docs/fleet.md)
  azmaps-lro help | --help | --version
Options take their value as `--opt value` or `--opt=value`.

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
    std::fprintf(stderr, "azmaps-lro: %s\n(see azmaps-lro --help)\n", cli::clean(msg).c_str());
    return cli::exit_usage;
}

using azmaps::lro::cli_text::parse_duration;

std::optional<unsigned long> parse_count(const std::string& s) {
    if (s.empty() || s.size() > 9) return std::nullopt;
    for (char c : s)
        if (c < '0' || c > '9') return std::nullopt;
    return std::stoul(s);
}

using azmaps::lro::cli_text::read_data;

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
    bool azure = false; ///< --protocol azure: lro::azure_operation (FAMILY.md)
    bool protocol_given = false;
    lro::options opts;
    lro::curl::easy_config easy;
    std::vector<std::string> resume_flags;
};

/// The raw option values, as CLI11 collects them; checked and converted by parse().
struct raw_args {
    std::string method, data, key, bearer, origin, output, protocol, final_state_via, result_member;
    std::string timeout, interval, connect_timeout, request_timeout, max_polls, max_errors;
    std::vector<std::string> headers, add_query, allow_origin;
    bool key_in_query = false, no_fetch = false, resubmit = false, allow_any_origin = false, insecure = false;
    bool cookies = false;
    bool json = false, quiet = false, verbose = false;
    std::string target;
};

/// The whole command line: the options belong to the top-level app (so that `--help`
/// lists every one of them) and the subcommands fall through to it.
struct command_line {
    CLI::App app{"azmaps-lro: run and follow Azure Maps Creator (v1, v2) and Azure REST long-running operations", "azmaps-lro"};
    raw_args raw;
    CLI::App* run = nullptr;
    CLI::App* poll = nullptr;
    CLI::App* resume = nullptr;
    CLI::App* demo = nullptr;
    bool demo_verbose = false;

    /// The top-level help (every option and the footer), whichever subcommand was named.
    std::string full_help() const { return app.get_formatter()->make_help(&app, "azmaps-lro", CLI::AppFormatMode::Normal); }

    command_line() {
        app.set_help_flag("-h,--help", "print this help and exit");
        app.set_version_flag("--version", std::string("azmaps-lro ") + AZMAPS_LRO_VERSION_STRING + " (" + curl_version() + ")",
                             "print the version and exit");
        app.require_subcommand(1);
        app.footer(footer_text);
        app.get_formatter()->column_width(26);

        run = app.add_subcommand("run", "submit (POST by default), poll to the end, print the result");
        poll = app.add_subcommand("poll", "follow an operation started elsewhere, from its status URL");
        resume = app.add_subcommand("resume", "continue from a resume token printed by an earlier run");
        demo = app.add_subcommand("demo", "run a v1 and a v2 operation against a local emulator");
        for (CLI::App* sub : {run, poll, resume}) {
            sub->fallthrough();
            sub->set_help_flag(); // --help after a subcommand falls through: the full help
        }
        run->add_option("URL", raw.target, "the submit URL");
        poll->add_option("MONITOR_URL", raw.target, "the status monitor URL");
        resume->add_option("TOKEN", raw.target, "a resume token");
        demo->set_help_flag();
        demo->add_flag("-v,--verbose", demo_verbose, "libcurl's verbose trace");

        const char* request = "Request (run)";
        app.add_option("-X,--method", raw.method, "submit method (default POST)")->group(request)->option_text("M");
        app.add_option("-d,--data", raw.data,
                       "submit body; @FILE reads a file, @- reads stdin. Resent on resubmits. Sent as "
                       "application/json unless a Content-Type header is given.")
            ->group(request)->option_text("DATA");

        const char* cred = "Credentials (sent ONLY to the origin of the submit URL -- for poll, of the monitor URL)";
        app.add_option("--key", raw.key,
                       "Azure Maps subscription key, sent as the `subscription-key` header (default: the "
                       "AZMAPS_KEY environment variable, if set)")
            ->group(cred)->option_text("KEY")->envname("AZMAPS_KEY");
        app.add_flag("--key-in-query", raw.key_in_query, "send the key as the `subscription-key` query parameter instead")
            ->group(cred);
        app.add_option("--bearer", raw.bearer, "send `Authorization: Bearer TOKEN`")->group(cred)->option_text("TOKEN");
        app.add_option("-H,--header", raw.headers,
                       "extra request header, repeatable; like credentials, sent only to the submit origin "
                       "(submit, resubmits and same-origin polls and fetches)")
            ->group(cred)->option_text("'K: V'")->allow_extra_args(false);

        const char* polling = "Polling";
        app.add_option("--timeout", raw.timeout,
                       "give up after DUR (e.g. 90s, 10m, 1h, 500ms; a bare number is seconds) and print a "
                       "resume token (exit 4)")
            ->group(polling)->option_text("DUR");
        app.add_option("--max-polls", raw.max_polls,
                       "give up after N status requests (exit 4, with a resume token); on resume, N more from there")
            ->group(polling)->option_text("N");
        app.add_option("--interval", raw.interval, "poll interval when the service sends no Retry-After (default 2s)")
            ->group(polling)->option_text("DUR");
        app.add_option("--max-errors", raw.max_errors, "consecutive errors before giving up (default 5)")
            ->group(polling)->option_text("N");
        app.add_flag("--no-fetch", raw.no_fetch, "do not GET the created resource after Succeeded")->group(polling);
        app.add_flag("--resubmit", raw.resubmit, "resend the submit after 500/502/504 or a transport error")->group(polling);
        app.add_option("--add-query", raw.add_query,
                       "add a query parameter to same-origin monitor/resource URLs lacking it (e.g. "
                       "api-version=2.0), repeatable")
            ->group(polling)->option_text("NAME=VALUE")->allow_extra_args(false);
        app.add_option("--protocol", raw.protocol,
                       "the protocol: `maps` (Azure Maps Creator, version detected; the default), `maps-v1` or "
                       "`maps-v2` (pinned; also `v1`, `v2`), or `azure` (the Azure REST long-running operation "
                       "family: Azure-AsyncOperation, Operation-Location, Location, provisioningState)")
            ->group(polling)->option_text("P");
        const char* azure = "Azure family (--protocol azure)";
        app.add_option("--final-state-via", raw.final_state_via,
                       "where the final result is: azure-async-operation, location, original-uri or "
                       "operation-location (the operation's `final-state-via`; default: the family's rules)")
            ->group(azure)->option_text("F");
        app.add_option("--result-member", raw.result_member,
                       "the result is this top-level member of the terminal status body (Azure.Core: result)")
            ->group(azure)->option_text("NAME");
        app.add_flag("--cookies", raw.cookies,
                     "keep cookies across the operation's requests (libcurl's in-memory cookie engine)")
            ->group(azure);

        const char* origins = "Origins";
        app.add_option("--allow-origin", raw.allow_origin,
                       "follow URLs on another origin (scheme://host[:port]), repeatable; credentials are still "
                       "sent only to the submit origin")
            ->group(origins)->option_text("ORIGIN")->allow_extra_args(false);
        app.add_flag("--allow-any-origin", raw.allow_any_origin, "follow URLs on any origin")->group(origins);
        app.add_flag("--insecure", raw.insecure, "allow a switch from https to http (TLS is always verified)")
            ->group(origins);
        app.add_option("--origin", raw.origin,
                       "resume: the origin the token must belong to; required with credentials")
            ->group(origins)->option_text("ORIGIN");

        const char* output = "Output";
        app.add_flag("--json", raw.json, "print the result as one JSON object on stdout")->group(output);
        app.add_option("-o,--output", raw.output, "write the body of the fetched resource to FILE")
            ->group(output)->option_text("FILE");
        app.add_flag("-q,--quiet", raw.quiet, "no progress on stderr")->group(output);
        app.add_flag("-v,--verbose", raw.verbose, "libcurl's verbose trace on stderr")->group(output);
        app.add_option("--connect-timeout", raw.connect_timeout, "per-connection timeout (default 10s)")
            ->group(output)->option_text("DUR");
        app.add_option("--request-timeout", raw.request_timeout, "per-request timeout (default 60s)")
            ->group(output)->option_text("DUR");
    }
};

/// Checks and converts what CLI11 collected. Returns an exit code, or -1 to go on.
int parse(const command_line& cl, args& a) {
    const raw_args& r = cl.raw;
    a.command = cl.run->parsed() ? "run" : cl.poll->parsed() ? "poll" : "resume";
    a.target = r.target;
    if (a.target.empty())
        return usage_error(a.command == "resume" ? "resume needs a TOKEN" : a.command + " needs a URL");
    const CLI::App& app = cl.app;
    const auto given = [&](const char* name) { return app.get_option(name)->count() > 0; };
    if (a.command != "run" && (given("--data") || given("--method")))
        return usage_error("--data and --method apply to `run` only");
    if (given("--method")) a.method = r.method;
    if (given("--data")) {
        std::string body, err;
        if (!read_data(r.data, body, err)) return usage_error(err);
        a.data = std::move(body);
    }
    for (const std::string& v : r.headers) {
        const std::size_t colon = v.find(':');
        if (colon == std::string::npos || colon == 0) return usage_error("a header must look like 'Name: value': " + v);
        a.headers.push_back(v);
    }
    if (!r.key.empty()) a.key = r.key;
    a.key_in_query = r.key_in_query;
    a.bearer = r.bearer;
    struct dur {
        const char* name;
        const std::string& text;
    };
    for (const dur& d : {dur{"--timeout", r.timeout}, dur{"--interval", r.interval},
                         dur{"--connect-timeout", r.connect_timeout}, dur{"--request-timeout", r.request_timeout}}) {
        if (!given(d.name)) continue;
        const auto v = parse_duration(d.text);
        if (!v) return usage_error(std::string("not a duration for ") + d.name + ": " + d.text + " (try 90s, 10m, 500ms)");
        const std::string_view n = d.name;
        if (n == "--timeout") a.opts.timeout = *v;
        else if (n == "--interval") a.opts.default_poll_interval = *v;
        else if (n == "--connect-timeout") a.easy.connect_timeout = *v;
        else a.easy.request_timeout = *v;
    }
    if (given("--max-polls")) {
        const auto n = parse_count(r.max_polls);
        if (!n) return usage_error("not a count for --max-polls: " + r.max_polls);
        a.opts.max_polls = static_cast<std::uint32_t>(*n);
    }
    if (given("--max-errors")) {
        const auto n = parse_count(r.max_errors);
        if (!n) return usage_error("not a count for --max-errors: " + r.max_errors);
        a.opts.max_consecutive_errors = static_cast<int>(*n);
    }
    a.opts.fetch_resource = !r.no_fetch;
    a.opts.resubmit_on_ambiguous = r.resubmit;
    for (const std::string& v : r.add_query) {
        const std::size_t eq = v.find('=');
        if (eq == std::string::npos || eq == 0) return usage_error("--add-query needs NAME=VALUE: " + v);
        a.opts.add_query.emplace_back(v.substr(0, eq), v.substr(eq + 1));
        a.resume_flags.push_back("--add-query " + v);
    }
    if (given("--protocol")) {
        a.protocol_given = true;
        const std::string& v = r.protocol;
        if (v == "azure") a.azure = true;
        else if (v == "maps") a.opts.version = lro::protocol_version::unknown;
        else if (v == "maps-v1" || v == "v1" || v == "1") a.opts.version = lro::protocol_version::v1;
        else if (v == "maps-v2" || v == "v2" || v == "2") a.opts.version = lro::protocol_version::v2;
        else return usage_error("--protocol takes azure, maps, maps-v1 or maps-v2: " + v);
        a.resume_flags.push_back("--protocol " + v);
    }
    if (given("--final-state-via")) {
        const std::string& v = r.final_state_via;
        if (v == "azure-async-operation") a.opts.final_state_via = lro::final_state::azure_async_operation;
        else if (v == "location") a.opts.final_state_via = lro::final_state::location;
        else if (v == "original-uri") a.opts.final_state_via = lro::final_state::original_uri;
        else if (v == "operation-location") a.opts.final_state_via = lro::final_state::operation_location;
        else
            return usage_error("--final-state-via takes azure-async-operation, location, original-uri or "
                               "operation-location: " + v);
        a.resume_flags.push_back("--final-state-via " + v);
    }
    if (given("--result-member")) {
        if (r.result_member.empty()) return usage_error("--result-member needs a NAME");
        a.opts.result_member = r.result_member;
        a.resume_flags.push_back("--result-member " + r.result_member);
    }
    if (!a.azure && (given("--final-state-via") || given("--result-member")))
        return usage_error("--final-state-via and --result-member apply to --protocol azure only");
    a.easy.cookies = r.cookies;
    for (const std::string& v : r.allow_origin) {
        a.opts.allowed_origins.push_back(v);
        a.resume_flags.push_back("--allow-origin " + v);
    }
    if (r.allow_any_origin) {
        a.opts.allow_any_origin = true;
        a.resume_flags.push_back("--allow-any-origin");
    }
    if (r.insecure) {
        a.opts.allow_insecure = true;
        a.resume_flags.push_back("--insecure");
    }
    a.trusted_origin = r.origin;
    a.json = r.json;
    a.output = r.output;
    a.quiet = r.quiet;
    a.verbose = r.verbose;
    return -1;
}

/// `basic_operation<P>::token_origin(token)` when the library has it (SFINAE): the origin a
/// token names, for the message when --origin is another.
template <class Op, class = void>
struct has_token_origin : std::false_type {};
template <class Op>
struct has_token_origin<Op, std::void_t<decltype(Op::token_origin(std::string_view{}))>> : std::true_type {};

template <class Op>
std::string token_origin_text(std::string_view token) {
    if constexpr (has_token_origin<Op>::value) {
        auto o = Op::token_origin(token);
        if (o) return std::string(*o);
    }
    (void)token;
    return {};
}

/// execute<lro::operation> for a token of the Azure family: try that policy.
constexpr int retry_as_azure = -2;

template <class Op>
int execute(args& a) {
    // Nothing the user gave as a credential is ever printed.
    std::vector<std::string> secrets;
    if (a.key) secrets.push_back(*a.key);
    if (!a.bearer.empty()) secrets.push_back(a.bearer);
    cli::set_secrets(std::move(secrets));

    const lro::time_point now = lro::clock::now();
    auto opts = std::make_shared<const lro::options>(a.opts);
    Op op;
    cli::run_context ctx;
    ctx.json = a.json;
    ctx.resume_flags = a.resume_flags;
    if (a.key) ctx.resume_credentials.push_back("--key KEY (or set AZMAPS_KEY)");
    if (!a.bearer.empty()) ctx.resume_credentials.push_back("--bearer TOKEN");
    for (const std::string& h : a.headers)
        if (!(h.size() >= 13 && lro::detail::iequals(std::string_view(h).substr(0, 13), "content-type:")))
            ctx.resume_credentials.push_back("--header '" + h.substr(0, h.find(':')) + ": ...'");
    if (a.command == "run") {
        auto started = Op::start(a.method, a.target, opts);
        if (!started) return usage_error(std::string(lro::message(started.error())) + ": " + a.target +
                                         " (method " + a.method + ")");
        op = std::move(*started);
        ctx.origin = origin_of(a.target);
    } else if (a.command == "poll") {
        auto followed = lro::follow_monitor<typename Op::policy_type>(a.target, opts, now);
        if (!followed) return usage_error(std::string(lro::message(followed.error())) + ": " + a.target);
        op = std::move(*followed);
        ctx.origin = origin_of(a.target);
    } else { // resume
        if (a.trusted_origin.empty())
            return usage_error("resume needs --origin ORIGIN (the origin of the submit URL, as printed with the "
                               "token), so that an edited token cannot send requests or credentials elsewhere");
        auto resumed = Op::resume(a.target, opts, now, a.trusted_origin);
        if (!resumed) {
            if (resumed.error() == lro::errc::token_origin_refused) {
                const std::string named = token_origin_text<Op>(a.target);
                if (!named.empty() && origin_of(named) != origin_of(a.trusted_origin))
                    return usage_error("cannot resume: the token names the origin " + named + ", not " +
                                       a.trusted_origin + "; if you trust it, resume with --origin " + named);
                return usage_error("cannot resume: " + std::string(lro::message(resumed.error())) + " (--origin " +
                                   a.trusted_origin + "); give the origin printed with the token, and the same "
                                   "--allow-origin/--insecure flags as the run");
            }
            if (resumed.error() == lro::errc::token_unsupported && !a.protocol_given) return retry_as_azure;
            return usage_error(std::string("cannot resume: ") + std::string(lro::message(resumed.error())));
        }
        op = std::move(*resumed);
        // --max-polls counts from the resume. The machine's count comes back from the token
        // (the polls before an interruption; 0 after a timeout), and the request the token
        // repeats was counted when first asked for (or never, after a timeout): it is not
        // counted again. So N status requests from here are: that one, then N - 1 more.
        if (a.opts.max_polls) {
            const auto pending = op.pending_request();
            const std::uint64_t before = op.observe().polls;
            const std::uint64_t n = *a.opts.max_polls;
            const std::uint64_t cap =
                pending && pending->purpose == lro::purpose::status ? before + (n == 0 ? 0 : n - 1) : before + n;
            lro::options o = a.opts;
            o.max_polls = static_cast<std::uint32_t>(std::min<std::uint64_t>(cap, UINT32_MAX));
            opts = std::make_shared<const lro::options>(std::move(o));
            auto again = Op::resume(a.target, opts, now, a.trusted_origin);
            if (!again) return usage_error(std::string("cannot resume: ") + std::string(lro::message(again.error())));
            op = std::move(*again);
        }
        ctx.origin = a.trusted_origin;
    }
    if (a.key_in_query) ctx.resume_flags.push_back("--key-in-query");

    // -o FILE: a path we cannot write fails now, before anything is sent.
    cli::output_file output;
    if (!a.output.empty()) {
        std::string err;
        if (!output.open(a.output, err)) return usage_error(err);
        ctx.output = &output;
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
    const lro::curl::outcome out = lro::curl::run(op, spec, creds, a.easy);
    prog.finish();
    return cli::report(stdout, cli::state_of(op, out), out, ctx);
}

int execute(args& a) {
    if (!a.azure) {
        const int rc = execute<lro::operation>(a);
        if (rc != retry_as_azure) return rc;
        a.azure = true; // an Azure-family token resumed without --protocol azure
        a.resume_flags.push_back("--protocol azure");
    }
#if AZMAPS_LRO_CLI_HAS_AZURE
    return execute<lro::azure_operation>(a);
#else
    return usage_error("--protocol azure: this build has no azure_policy.hpp (lro::azure_operation)");
#endif
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        command_line cl;
        std::fputs(cl.full_help().c_str(), stderr);
        return cli::exit_usage;
    }
    const std::string first = argv[1];
    if (first == "fleet") {
#if defined(AZMAPS_LRO_CLI_HAS_FLEET)
        return azmaps::lro::fleet::main(argc - 1, argv + 1);
#else
        return usage_error("this build has no `fleet` (libpq was not found when it was configured: install "
                           "libpq-dev and configure again)");
#endif
    }
    // The word forms of --help and --version.
    std::vector<std::string> words;
    for (int i = argc - 1; i >= 1; --i) words.emplace_back(argv[i]); // CLI11 takes them reversed
    if (first == "help") words.back() = "--help";
    else if (first == "version") words.back() = "--version";
    else if (first != "run" && first != "poll" && first != "resume" && first != "demo" && first.rfind('-', 0) != 0)
        return usage_error("unknown command " + first);
    command_line cl;
    try {
        cl.app.parse(words);
    } catch (const CLI::CallForHelp&) {
        std::fputs(cl.full_help().c_str(), stdout);
        return 0;
    } catch (const CLI::CallForAllHelp&) {
        std::fputs(cl.full_help().c_str(), stdout);
        return 0;
    } catch (const CLI::CallForVersion& e) {
        std::printf("%s\n", e.what());
        return 0;
    } catch (const CLI::ParseError& e) {
        return usage_error(e.what());
    }
    if (cl.demo->parsed()) return cli::run_demo(cl.demo_verbose);
    args a;
    if (const int rc = parse(cl, a); rc >= 0) return rc;
    return execute(a);
}
