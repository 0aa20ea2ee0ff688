// A throwaway PostgreSQL cluster for the fleet tests: initdb into a scratch directory, one
// postmaster listening only on a Unix socket in that directory (listen_addresses=''), trust
// authentication, stopped by its own PID and removed at the end (destructor: also when a test
// fails). The server refuses to run as root: as root (CI) initdb and the postmaster run as the
// `postgres` user (created by Debian's postgresql package; `nobody` otherwise), dropped to in
// the forked child before exec; as any other user they run as that user.
//
// Tuned for tests, not for durability: fsync=off, synchronous_commit=off, full_page_writes=off
// (a crash of the *server* may lose data; the tests kill workers, never the server).
#pragma once

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libpq-fe.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace fleet_test {

inline std::string read_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

/// Removes a directory tree (no symlink following: lstat).
inline void remove_tree(const std::string& path) {
    struct stat st {};
    if (lstat(path.c_str(), &st) != 0) return;
    if (S_ISDIR(st.st_mode)) {
        if (DIR* d = opendir(path.c_str())) {
            std::vector<std::string> names;
            while (dirent* e = readdir(d)) {
                const std::string n = e->d_name;
                if (n != "." && n != "..") names.push_back(n);
            }
            closedir(d);
            for (const std::string& n : names) remove_tree(path + "/" + n);
        }
        rmdir(path.c_str());
    } else {
        unlink(path.c_str());
    }
}

/// The directory of PostgreSQL's server programs (initdb, postgres, pg_dump): $AZMAPS_LRO_PG_BIN,
/// else the highest /usr/lib/postgresql/<version>/bin holding initdb, else empty.
inline std::string find_pg_bin() {
    if (const char* env = std::getenv("AZMAPS_LRO_PG_BIN"); env != nullptr && *env != '\0') return env;
    int best = -1;
    if (DIR* d = opendir("/usr/lib/postgresql")) {
        while (dirent* e = readdir(d)) {
            char* end = nullptr;
            const long v = std::strtol(e->d_name, &end, 10);
            if (end == e->d_name || *end != '\0') continue;
            const std::string initdb = "/usr/lib/postgresql/" + std::string(e->d_name) + "/bin/initdb";
            if (access(initdb.c_str(), X_OK) == 0 && v > best) best = static_cast<int>(v);
        }
        closedir(d);
    }
    return best < 0 ? std::string() : "/usr/lib/postgresql/" + std::to_string(best) + "/bin";
}

class pg_cluster {
public:
    pg_cluster() = default;
    pg_cluster(const pg_cluster&) = delete;
    pg_cluster& operator=(const pg_cluster&) = delete;
    ~pg_cluster() { stop(); }

    /// initdb + start + wait until it accepts connections. On failure: false and why().
    bool start(std::chrono::seconds ready_within = std::chrono::seconds(120)) {
        bin_ = find_pg_bin();
        if (bin_.empty()) return fail("no PostgreSQL server found under /usr/lib/postgresql/*/bin (Debian package postgresql)");
        // Who runs the server.
        uid_ = getuid();
        gid_ = getgid();
        drop_ = geteuid() == 0;
        if (drop_) {
            const passwd* pw = getpwnam("postgres");
            if (pw == nullptr) pw = getpwnam("nobody");
            if (pw == nullptr) return fail("running as root and neither user postgres nor nobody exists");
            uid_ = pw->pw_uid;
            gid_ = pw->pw_gid;
        }
        char tmpl[] = "/tmp/azlro-fleet-pg-XXXXXX";
        if (mkdtemp(tmpl) == nullptr) return fail(std::string("mkdtemp: ") + std::strerror(errno));
        dir_ = tmpl;
        if (drop_ && chown(dir_.c_str(), uid_, gid_) != 0) return fail(std::string("chown scratch dir: ") + std::strerror(errno));
        data_ = dir_ + "/data";
        const std::string log = dir_ + "/initdb.log";
        const int rc = run_as_server_user({bin_ + "/initdb", "-D", data_, "-U", "fleet", "-A", "trust", "-E", "UTF8",
                                           "--no-sync", "--locale=C"},
                                          log, /*wait=*/true);
        if (rc != 0) return fail("initdb failed (" + std::to_string(rc) + "): " + read_file(log));
        pid_ = run_as_server_user({bin_ + "/postgres", "-D", data_, "-k", dir_, "-c", "listen_addresses=",
                                   "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
                                   "-c", "max_connections=200", "-c", "shared_buffers=128MB",
                                   "-c", "log_min_messages=warning", "-c", "logging_collector=off"},
                                  dir_ + "/server.log", /*wait=*/false);
        if (pid_ <= 0) return fail("could not start postgres");
        const auto deadline = std::chrono::steady_clock::now() + ready_within;
        for (;;) {
            if (PQping(conninfo("postgres").c_str()) == PQPING_OK) return true;
            int status = 0;
            if (waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                return fail("postgres exited: " + read_file(dir_ + "/server.log"));
            }
            if (std::chrono::steady_clock::now() > deadline)
                return fail("postgres not ready in time: " + read_file(dir_ + "/server.log"));
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    }

    /// Kills the postmaster by its PID (SIGQUIT: immediate shutdown; SIGKILL if it lingers),
    /// reaps it, then removes the scratch directory. Idempotent.
    void stop() {
        if (pid_ > 0) {
            kill(pid_, SIGQUIT);
            const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
            int status = 0;
            while (waitpid(pid_, &status, WNOHANG) == 0) {
                if (std::chrono::steady_clock::now() > deadline) {
                    kill(pid_, SIGKILL);
                    waitpid(pid_, &status, 0);
                    break;
                }
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
            }
            pid_ = -1;
            // Its backends notice the postmaster's death and exit; the shared memory goes with them.
        }
        if (!dir_.empty()) {
            remove_tree(dir_);
            dir_.clear();
        }
    }

    /// libpq connection string for database `db` (Unix socket in the scratch directory).
    std::string conninfo(const std::string& db) const { return "host=" + dir_ + " user=fleet dbname=" + db; }
    const std::string& bin() const { return bin_; }
    const std::string& why() const { return why_; }
    const std::string& dir() const { return dir_; }
    pid_t pid() const { return pid_; }

    /// Runs SQL on database `db`; empty string on success, the error otherwise.
    std::string exec(const std::string& db, const std::string& sql) const {
        PGconn* c = PQconnectdb(conninfo(db).c_str());
        std::string err;
        if (PQstatus(c) != CONNECTION_OK) {
            err = PQerrorMessage(c);
        } else {
            PGresult* r = PQexec(c, sql.c_str());
            const ExecStatusType st = PQresultStatus(r);
            if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) err = PQresultErrorMessage(r);
            PQclear(r);
        }
        PQfinish(c);
        return err;
    }

    /// The first column of the first row of `sql` as text (nullopt on error or no row).
    std::optional<std::string> scalar(const std::string& db, const std::string& sql) const {
        PGconn* c = PQconnectdb(conninfo(db).c_str());
        std::optional<std::string> v;
        if (PQstatus(c) == CONNECTION_OK) {
            PGresult* r = PQexec(c, sql.c_str());
            if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0 && PQnfields(r) > 0) v = PQgetvalue(r, 0, 0);
            PQclear(r);
        }
        PQfinish(c);
        return v;
    }

    /// A fresh database; returns its connection string (empty on failure, with why()).
    std::string create_database(const std::string& name) {
        const std::string err = exec("postgres", "CREATE DATABASE " + name);
        if (!err.empty()) {
            why_ = err;
            return {};
        }
        return conninfo(name);
    }

private:
    bool fail(std::string why) {
        why_ = std::move(why);
        return false;
    }

    /// fork + (drop to the server user) + exec; stdout/stderr to `log`. wait: the exit code;
    /// else the child's PID. The child dies with this thread (PR_SET_PDEATHSIG), so a crashed
    /// test leaves no server behind.
    int run_as_server_user(std::vector<std::string> args, const std::string& log, bool wait) {
        std::vector<char*> argv;
        for (std::string& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0) return -1;
        if (drop_ && fchown(fd, uid_, gid_) != 0) {
            close(fd);
            return -1;
        }
        const pid_t parent = getpid();
        const pid_t pid = fork();
        if (pid == 0) {
            const int devnull = open("/dev/null", O_RDONLY);
            dup2(devnull, 0);
            dup2(fd, 1);
            dup2(fd, 2);
            if (drop_) {
                if (setgroups(0, nullptr) != 0 || setgid(gid_) != 0 || setuid(uid_) != 0) _exit(126);
            }
            prctl(PR_SET_PDEATHSIG, SIGKILL); // after setuid, which clears it
            if (getppid() != parent) _exit(125);
            if (chdir(dir_.c_str()) != 0) _exit(124);
            execv(argv[0], argv.data());
            _exit(127);
        }
        close(fd);
        if (pid < 0) return -1;
        if (!wait) return pid;
        int status = 0;
        waitpid(pid, &status, 0);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }

    std::string bin_, dir_, data_, why_;
    uid_t uid_ = 0;
    gid_t gid_ = 0;
    bool drop_ = false;
    pid_t pid_ = -1;
};

} // namespace fleet_test
