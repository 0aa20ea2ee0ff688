// azmaps-lro command: pieces shared by the commands (main.cpp) and the demo (demo.cpp).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
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

/// `s` with the value of any `subscription-key` query parameter (name in any case) replaced
/// by `***`.
std::string redact(std::string_view url);
/// The credentials the user gave (key, bearer token, header values): never printed.
void set_secrets(std::vector<std::string> secrets);
/// `redact(s)` with every secret replaced by `***` (for JSON strings, escaped later).
std::string scrub(std::string_view s);
/// `s` safe for a terminal: control characters (C0, DEL, C1 U+0080-U+009F) and bytes that are
/// not UTF-8 become visible escapes (`\x1b`, `\u009b`, `\xff`); the rest is kept.
std::string printable(std::string_view s);
/// `printable(scrub(s))`: for every human-readable line.
std::string clean(std::string_view s);
/// "2.5 s", "12 s", or "200 ms" under a second.
std::string format_seconds(std::chrono::milliseconds ms);
/// "1 poll", "2 polls".
std::string plural(std::uint64_t n, const char* one, const char* many);

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

/// `-o FILE`: opened (created if missing, not truncated) before anything is sent, so that an
/// unwritable path fails before the submit; written or discarded at the end.
class output_file {
public:
    output_file() = default;
    output_file(const output_file&) = delete;
    output_file& operator=(const output_file&) = delete;
    ~output_file();
    /// Opens `path` for writing; false with `error` set when it cannot be.
    bool open(const std::string& path, std::string& error);
    bool is_open() const noexcept { return fd_ >= 0; }
    const std::string& path() const noexcept { return path_; }
    /// Replaces the file's content with `data`; false with `error` set on any failure.
    bool write(std::string_view data, std::string& error);
    /// Closes it and removes it when open() created it.
    void discard();

private:
    std::string path_;
    int fd_ = -1;
    bool created_ = false;
};

/// What was run, for the result and the resume hint.
struct run_context {
    std::string origin;                     ///< submit origin (scheme://host[:port])
    std::vector<std::string> resume_flags;  ///< flags `resume` needs to accept the token
    /// Credentials given, which `resume` needs again (e.g. "--key KEY (or set AZMAPS_KEY)").
    std::vector<std::string> resume_credentials;
    bool json = false;
    output_file* output = nullptr;          ///< `-o FILE`, opened, or null
};

/// What report() needs from the machine after the run (of either policy).
struct machine_state {
    observation obs;          ///< views into the machine: valid while it lives, not longer
    bool resumable = false;   ///< interrupted or timed out: a token was asked for
    bool token_ok = false;
    std::string token;        ///< save()'s token when token_ok
    std::string token_error;  ///< why there is none otherwise
    std::size_t max_body_bytes = 0;
};

template <class Op>
machine_state state_of(const Op& op, const curl::outcome& out) {
    machine_state m;
    m.obs = op.observe();
    m.max_body_bytes = op.config().max_body_bytes;
    m.resumable = out.interrupted ||
                  (out.result.end == phase::failed && out.result.reason == failure_reason::timed_out);
    if (m.resumable) {
        auto saved = op.save();
        m.token_ok = saved.has_value();
        if (m.token_ok) m.token = *saved;
        else m.token_error = std::string(message(saved.error()));
    }
    return m;
}

/// Prints the outcome on stdout (text or JSON) and returns the exit code. `m` comes from the
/// machine, which must still be alive (m.obs views it); `result` owns everything else.
int report(std::FILE* out, const machine_state& m, const curl::outcome& result, const run_context& ctx);

/// `azmaps-lro demo`.
int run_demo(bool verbose);

} // namespace azmaps::lro::cli
