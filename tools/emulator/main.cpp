// azmaps-lro-emulator: serve the Azure Maps Creator LRO emulator until SIGINT/SIGTERM.
#include "emulator.hpp"

#include <charconv>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include <pthread.h>
#include <signal.h>

namespace emu = azmaps::lro::emulator;

namespace {

void usage(std::FILE* out) {
  std::fprintf(out,
               "usage: azmaps-lro-emulator [options]\n"
               "\n"
               "A local emulator of the Azure Maps Creator long-running-operation API (v1 and v2).\n"
               "Prints 'listening on http://HOST:PORT' once ready, serves until SIGINT/SIGTERM.\n"
               "\n"
               "options:\n"
               "  --port N             port to listen on (default 0: any free port)\n"
               "  --host H             address to bind (default 127.0.0.1)\n"
               "  --foreign-port N     port of the second listener used by 'cross-origin' (default 0)\n"
               "  --key KEY            the subscription key required (default demo-key)\n"
               "  --no-key             accept requests without a subscription key\n"
               "  --scenario NAME      default scenario when a submit names none (default succeed)\n"
               "  --running-polls N    Running answers after NotStarted (default 2)\n"
               "  --retry-after S      Retry-After seconds while NotStarted/Running (default 1)\n"
               "  --retry-after-ms N   send 'retry-after-ms: N' instead of Retry-After\n"
               "  --max-threads N      connection threads; more connections get 503 (default 1024)\n"
               "  --max-body-bytes N   largest request body; larger get 413 (default 1048576)\n"
               "  --max-pending-resubmits N  submit-503 operations awaiting their resubmit;\n"
               "                       more get 429 (default 4096)\n"
               "  --keep-alive-timeout S  idle seconds before a keep-alive connection is closed (default 5)\n"
               "  --stats              serve the records: GET /_emulator/stats (JSON counts),\n"
               "                       POST /_emulator/clear (forget every operation)\n"
               "  --verbose, -v        log every request to stderr\n"
               "  --list-scenarios     print the scenario names and exit\n"
               "  --help, -h           this text\n"
               "\n"
               "Per operation, a submit may choose ?scenario=NAME (or header x-emulator-scenario) and\n"
               "running_polls, retry_after, retry_after_ms, fault_at, slow_ms, http_date_s,\n"
               "submit_retry_after. See tools/emulator/README.md.\n");
}

bool to_int(const char* s, int& out) {
  std::string_view v(s);
  auto r = std::from_chars(v.data(), v.data() + v.size(), out);
  return r.ec == std::errc{} && r.ptr == v.data() + v.size();
}

}  // namespace

int main(int argc, char** argv) {
  emu::config cfg;
  bool verbose = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view a(argv[i]);
    auto need = [&](const char* what) -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "azmaps-lro-emulator: %s needs a value\n", what);
        std::exit(2);
      }
      return argv[++i];
    };
    auto need_int = [&](const char* what, int lo, int hi) {
      int v = 0;
      const char* s = need(what);
      if (!to_int(s, v) || v < lo || v > hi) {
        std::fprintf(stderr, "azmaps-lro-emulator: %s wants an integer in [%d, %d], got '%s'\n", what,
                     lo, hi, s);
        std::exit(2);
      }
      return v;
    };
    if (a == "--help" || a == "-h") {
      usage(stdout);
      return 0;
    } else if (a == "--list-scenarios") {
      for (auto s : emu::all_scenarios()) std::printf("%s\n", std::string(emu::scenario_name(s)).c_str());
      return 0;
    } else if (a == "--port") {
      cfg.port = need_int("--port", 0, 65535);
    } else if (a == "--foreign-port") {
      cfg.foreign_port = need_int("--foreign-port", 0, 65535);
    } else if (a == "--host") {
      cfg.host = need("--host");
    } else if (a == "--key") {
      cfg.subscription_key = need("--key");
    } else if (a == "--no-key") {
      cfg.require_key = false;
    } else if (a == "--scenario") {
      cfg.default_scenario = need("--scenario");
      if (!emu::parse_scenario(cfg.default_scenario)) {
        std::fprintf(stderr, "azmaps-lro-emulator: unknown scenario '%s' (see --list-scenarios)\n",
                     cfg.default_scenario.c_str());
        return 2;
      }
    } else if (a == "--running-polls") {
      cfg.running_polls = need_int("--running-polls", 0, 10000);
    } else if (a == "--retry-after") {
      cfg.retry_after_s = need_int("--retry-after", 0, 3600);
      cfg.ms_retry_after = false;
    } else if (a == "--retry-after-ms") {
      cfg.retry_after_ms = need_int("--retry-after-ms", 0, 3600000);
      cfg.ms_retry_after = true;
    } else if (a == "--max-threads") {
      cfg.max_threads = static_cast<std::size_t>(need_int("--max-threads", 1, 16384));
    } else if (a == "--max-body-bytes") {
      cfg.max_body_bytes = static_cast<std::size_t>(need_int("--max-body-bytes", 1, 1 << 30));
    } else if (a == "--max-pending-resubmits") {
      cfg.max_pending_resubmits = static_cast<std::size_t>(need_int("--max-pending-resubmits", 1, 1000000));
    } else if (a == "--keep-alive-timeout") {
      cfg.keep_alive_timeout_s = need_int("--keep-alive-timeout", 1, 3600);
    } else if (a == "--stats") {
      cfg.stats_endpoint = true;
    } else if (a == "--verbose" || a == "-v") {
      verbose = true;
    } else {
      std::fprintf(stderr, "azmaps-lro-emulator: unknown option '%s' (try --help)\n", argv[i]);
      return 2;
    }
  }
  if (verbose) {
    auto mu = std::make_shared<std::mutex>();
    cfg.log = [mu](const std::string& line) {
      std::lock_guard<std::mutex> lock(*mu);
      std::fprintf(stderr, "%s\n", line.c_str());
      std::fflush(stderr);
    };
  }

  // Block the signals before any thread starts, so that only sigwait() below receives them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  emu::server srv(cfg);
  if (!srv.start()) {
    std::fprintf(stderr, "azmaps-lro-emulator: cannot listen on %s:%d\n", cfg.host.c_str(), cfg.port);
    return 1;
  }
  std::printf("listening on %s\n", srv.base_url().c_str());
  std::fflush(stdout);
  std::fprintf(stderr, "foreign origin (cross-origin scenario) on %s; subscription key: %s\n",
               srv.foreign_base_url().c_str(), cfg.require_key ? cfg.subscription_key.c_str() : "(none)");
  std::fflush(stderr);

  int sig = 0;
  sigwait(&set, &sig);
  std::fprintf(stderr, "azmaps-lro-emulator: signal %d, stopping\n", sig);
  srv.stop();
  return 0;
}
