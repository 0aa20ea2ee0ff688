// Fleet tests: running `azmaps-lro fleet ...` as subprocesses (one-shot commands and long-lived
// workers), each stopped by its own PID.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "pg_cluster.hpp"

extern char** environ;

#ifndef AZMAPS_LRO_CLI
#error "AZMAPS_LRO_CLI must name the azmaps-lro binary"
#endif

namespace fleet_test {

struct proc_result {
    int code = -1; // exit code, or 128 + signal
    std::string out, err;
};

/// A child process whose stdout/stderr go to files; killed (SIGKILL) and reaped by the
/// destructor if still running.
class child {
public:
    child() = default;
    child(const child&) = delete;
    child& operator=(const child&) = delete;
    child(child&& o) noexcept { *this = std::move(o); }
    child& operator=(child&& o) noexcept {
        std::swap(pid_, o.pid_);
        std::swap(out_, o.out_);
        std::swap(err_, o.err_);
        std::swap(status_, o.status_);
        return *this;
    }
    ~child() {
        if (pid_ > 0) {
            kill(pid_, SIGKILL);
            int st = 0;
            waitpid(pid_, &st, 0);
        }
        if (std::getenv("FLEET_TEST_KEEP_LOGS") == nullptr) { // set it to read the workers' logs
            if (!out_.empty()) unlink(out_.c_str());
            if (!err_.empty()) unlink(err_.c_str());
        }
    }

    /// Starts `argv` with the current environment minus AZMAPS_KEY and AZMAPS_LRO_FLEET_DB,
    /// plus `env` ("NAME=VALUE"); stdin from `stdin_path` (or /dev/null).
    bool start(const std::vector<std::string>& args, const std::vector<std::string>& env = {},
               const std::string& stdin_path = "/dev/null") {
        char out_tmpl[] = "/tmp/azlro-fleet-out-XXXXXX";
        char err_tmpl[] = "/tmp/azlro-fleet-err-XXXXXX";
        const int out_fd = mkstemp(out_tmpl);
        const int err_fd = mkstemp(err_tmpl);
        if (out_fd < 0 || err_fd < 0) return false;
        out_ = out_tmpl;
        err_ = err_tmpl;
        std::vector<std::string> argv_s = args;
        std::vector<char*> argv;
        for (std::string& a : argv_s) argv.push_back(a.data());
        argv.push_back(nullptr);
        std::vector<std::string> env_s;
        for (char** e = environ; *e != nullptr; ++e) {
            const std::string kv = *e;
            if (kv.rfind("AZMAPS_KEY=", 0) == 0 || kv.rfind("AZMAPS_LRO_FLEET_DB=", 0) == 0) continue;
            env_s.push_back(kv);
        }
        env_s.insert(env_s.end(), env.begin(), env.end());
        std::vector<char*> envp;
        for (std::string& kv : env_s) envp.push_back(kv.data());
        envp.push_back(nullptr);
        const int in_fd = open(stdin_path.c_str(), O_RDONLY);
        if (in_fd < 0) return false;
        const pid_t parent = getpid();
        pid_ = fork();
        if (pid_ == 0) {
            dup2(in_fd, 0);
            dup2(out_fd, 1);
            dup2(err_fd, 2);
            prctl(PR_SET_PDEATHSIG, SIGKILL); // a crashed test leaves no worker behind
            if (getppid() != parent) _exit(125);
            execve(argv[0], argv.data(), envp.data());
            _exit(127);
        }
        close(in_fd);
        close(out_fd);
        close(err_fd);
        return pid_ > 0;
    }

    pid_t pid() const { return pid_; }
    bool running() const { return pid_ > 0; }

    void signal(int sig) const {
        if (pid_ > 0) kill(pid_, sig);
    }

    /// Non-blocking: true once the process has ended (then reaped).
    bool poll_exit() {
        if (pid_ <= 0) return true;
        int st = 0;
        if (waitpid(pid_, &st, WNOHANG) == pid_) {
            status_ = st;
            pid_ = -1;
            return true;
        }
        return false;
    }

    /// Waits up to `bound` for the end; false if still running then.
    bool wait(std::chrono::milliseconds bound) {
        const auto deadline = std::chrono::steady_clock::now() + bound;
        while (!poll_exit()) {
            if (std::chrono::steady_clock::now() > deadline) return false;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return true;
    }

    int code() const {
        return WIFEXITED(status_) ? WEXITSTATUS(status_) : WIFSIGNALED(status_) ? 128 + WTERMSIG(status_) : -1;
    }
    std::string out() const { return read_file(out_); }
    std::string err() const { return read_file(err_); }

private:
    pid_t pid_ = -1;
    std::string out_, err_;
    int status_ = 0;
};

/// Runs a command to its end (bounded: SIGKILL after `bound`, code 128 + 9).
inline proc_result run(const std::vector<std::string>& args, const std::vector<std::string>& env = {},
                       const std::string& stdin_path = "/dev/null",
                       std::chrono::milliseconds bound = std::chrono::minutes(5)) {
    child c;
    proc_result r;
    if (!c.start(args, env, stdin_path)) return r;
    if (!c.wait(bound)) {
        c.signal(SIGKILL);
        c.wait(std::chrono::minutes(1));
    }
    r.code = c.code();
    r.out = c.out();
    r.err = c.err();
    return r;
}

/// `azmaps-lro fleet --db CONNINFO ARGS...`
inline std::vector<std::string> fleet_args(const std::string& db, std::vector<std::string> args) {
    std::vector<std::string> v{AZMAPS_LRO_CLI, "fleet", "--db", db};
    v.insert(v.end(), args.begin(), args.end());
    return v;
}

inline proc_result fleet(const std::string& db, std::vector<std::string> args, const std::vector<std::string>& env = {},
                         const std::string& stdin_path = "/dev/null") {
    return run(fleet_args(db, std::move(args)), env, stdin_path);
}

/// Lines of `text`, without empty ones.
inline std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> v;
    std::size_t b = 0;
    while (b < text.size()) {
        std::size_t e = text.find('\n', b);
        if (e == std::string::npos) e = text.size();
        std::string l = text.substr(b, e - b);
        while (!l.empty() && (l.back() == '\r' || l.back() == ' ')) l.pop_back();
        if (!l.empty()) v.push_back(l);
        b = e + 1;
    }
    return v;
}

} // namespace fleet_test
