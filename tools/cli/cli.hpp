// azmaps-lro command: pieces shared by the commands (main.cpp) and the demo (demo.cpp).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include <azmaps/lro.hpp>
#include <azmaps/lro/adapters/curl_easy.hpp>

namespace azmaps::lro::cli {

/// Exit codes (documented in --help and the README).
enum exit_code : int {
    exit_succeeded = 0,
    exit_failed = 1,
    exit_usage = 2,
    exit_canceled = 3,
    exit_timed_out = 4,
    exit_interrupted = 130,
};

/// Set by the SIGINT/SIGTERM handler; drivers watch it.
extern std::atomic<bool> g_stop;
void install_signal_handlers();

std::string json_quote(std::string_view s);
/// `s` with the value of any `subscription-key` query parameter replaced by `***`.
std::string redact(std::string_view url);
std::string format_seconds(std::chrono::milliseconds ms);

/// Progress on stderr: a live line (overwritten with \r) on a terminal, plain lines otherwise.
class progress {
public:
    progress(std::FILE* out, bool live, bool quiet, std::string label = {});
    void on_event(const curl::event& e);
    /// Clears the live line (before the result is printed).
    void finish();

private:
    void draw(const curl::event& e);
    std::FILE* out_;
    bool live_;
    bool quiet_;
    std::string label_;
    std::chrono::steady_clock::time_point started_;
    int last_status_ = 0;
    unsigned polls_sent_ = 0; // status requests sent (the machine counts the ones it asked for)
    bool line_open_ = false;
};

/// What was run, for the result and the resume hint.
struct run_context {
    std::string origin;                     ///< submit origin (scheme://host[:port])
    std::vector<std::string> resume_flags;  ///< flags `resume` needs to accept the token
    bool json = false;
};

/// Prints the outcome on stdout (text or JSON) and returns the exit code. `op` is the machine
/// after the run (for observations and save()).
int report(std::FILE* out, const operation& op, const curl::outcome& result, const run_context& ctx);

/// `azmaps-lro demo`.
int run_demo(bool verbose);

} // namespace azmaps::lro::cli
