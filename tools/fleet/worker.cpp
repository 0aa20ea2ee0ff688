// azmaps-lro fleet: the worker. One thread, one PostgreSQL connection, one libcurl multi handle.
//
//   loop:
//     claim due rows (one UPDATE ... FOR UPDATE SKIP LOCKED, a batch at a time)
//       -> a machine per row: start() for a submit, resume(token) for a poll or fetch
//     send each row's pending request when due (libcurl multi, curl_common.hpp's transfer:
//       credentials only to same-origin requests)
//     feed the answer to the machine -> the next request (save(): token, next_at) or the end
//     write a batch of finished steps back in one UPDATE ... FROM unnest(...), which also
//       releases their leases; a submit answered 429/503 stays here until it is resent
//     renew the leases of rows still held (one UPDATE) every lease/3
//     idle: wait in curl_multi_poll on libcurl's sockets and the database socket (LISTEN),
//       until the earliest next_at; never a busy loop
//
// docs/fleet.md gives the crash-safety argument step by step.
#include <curl/curl.h>
#include <poll.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>
#include <memory>
#include <queue>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "fleet.hpp"
#include "pg.hpp"
#include "schema.hpp"

namespace azmaps::lro::fleet {

using json = nlohmann::json;

namespace {

std::atomic<bool> g_stop{false};
extern "C" void on_stop_signal(int) { g_stop.store(true); }

using any_op = std::variant<lro::operation, lro::azure_operation>;

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

/// Wall clock seconds since the epoch (microsecond resolution).
double wall_seconds() {
    return static_cast<double>(std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count()) /
           1e6;
}

std::string seconds_text(double s) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.6f", s);
    return buf;
}

/// A pair of clock readings taken together, to convert between the steady clock (the
/// machine's `now`) and the wall clock (next_at and token_at in the database).
struct clocks {
    lro::time_point steady = lro::clock::now();
    double wall = wall_seconds();
    double to_wall(lro::time_point t) const {
        return wall + std::chrono::duration<double>(t - steady).count();
    }
    lro::time_point to_steady(double w) const {
        const double d = w - wall;
        const double capped = std::max(-1e9, std::min(1e9, d));
        return steady + std::chrono::duration_cast<lro::clock::duration>(std::chrono::duration<double>(capped));
    }
};

/// One finished step to write back (a row of the batched UPDATE).
struct step_write {
    std::int64_t id = 0;
    std::string state;
    pg::param token, token_at, reason, http_status, error, detail, result_location, result_body;
    std::string next_at;
    std::uint32_t polls = 0;
};

struct job {
    std::int64_t id = 0;
    std::string protocol, method, url;
    bool resend_ok = false;
    any_op op;
    std::shared_ptr<const lro::request_spec> spec;
    std::shared_ptr<const lro::credentials> creds;
    std::unique_ptr<lro::curl::curl_detail::transfer> xfer;
    CURL* easy = nullptr;
    lro::time_point due{};
    std::uint64_t generation = 0;
    std::uint64_t claim_seq = 0; ///< which claim of this row this job is (lease keeper reports)
    bool submit_phase = false; ///< the request in flight (or last sent) is the submit
    bool submit_wait = false; ///< a submit answered "not taken" (429/503...), waiting to be resent
};

struct due_entry {
    lro::time_point due;
    std::int64_t id;
    std::uint64_t generation;
    bool operator>(const due_entry& o) const { return due > o.due; }
};

/// Renews the leases of the rows a worker holds, on its own thread and its own connection, so
/// that a main loop slowed by a long database call or a busy machine does not lose a row it is
/// working on (a lost submit would end `submit_unknown`). Every lease/3 it extends every held
/// row's lease (rows another statement holds locked right now are skipped: they are being
/// written back) and reports rows no longer ours and rows whose cancel was asked.
class lease_keeper {
public:
    struct report {
        std::int64_t id;
        std::uint64_t seq;
        bool lost;
        bool cancel;
    };

    lease_keeper(std::string conninfo, std::string owner, std::chrono::milliseconds lease)
        : conninfo_(std::move(conninfo)), owner_(std::move(owner)), lease_(lease) {}
    ~lease_keeper() { stop(); }
    lease_keeper(const lease_keeper&) = delete;
    lease_keeper& operator=(const lease_keeper&) = delete;

    bool start(std::string& error) {
        if (!db_.open(conninfo_, error)) return false;
        thread_ = std::thread([this] { loop(); });
        return true;
    }
    void stop() {
        {
            std::lock_guard<std::mutex> g(m_);
            stop_ = true;
        }
        cv_.notify_all();
        if (thread_.joinable()) thread_.join();
    }
    /// The rows held now (id, claim sequence), from the main loop.
    void set_held(std::vector<std::pair<std::int64_t, std::uint64_t>> held) {
        std::lock_guard<std::mutex> g(m_);
        held_ = std::move(held);
    }
    std::vector<report> take_reports() {
        std::lock_guard<std::mutex> g(m_);
        std::vector<report> out;
        out.swap(reports_);
        return out;
    }
    std::uint64_t renewals() const { return renewals_.load(); }

private:
    void loop() {
        std::unique_lock<std::mutex> lock(m_);
        for (;;) {
            cv_.wait_for(lock, lease_ / 3, [this] { return stop_; });
            if (stop_) return;
            const auto held = held_;
            lock.unlock();
            std::vector<report> out;
            std::string err;
            if (!held.empty()) renew(held, out, err);
            if (!err.empty()) std::fprintf(stderr, "azmaps-lro fleet work: %s\n", err.c_str());
            lock.lock();
            reports_.insert(reports_.end(), out.begin(), out.end());
        }
    }

    void renew(const std::vector<std::pair<std::int64_t, std::uint64_t>>& held, std::vector<report>& out,
               std::string& err) {
        if (!db_.is_open() && !db_.open(conninfo_, err)) return;
        std::vector<pg::param> ids;
        std::map<std::int64_t, std::uint64_t> seq;
        for (const auto& h : held) {
            ids.emplace_back(std::to_string(h.first));
            seq[h.first] = h.second;
        }
        const pg::result r = db_.exec(
            "WITH h AS (SELECT id FROM azlro.ops WHERE lease_owner = $1 AND id = ANY($3::bigint[]) "
            "           FOR UPDATE SKIP LOCKED), "
            "u AS (UPDATE azlro.ops o SET lease_expires = now() + $2::bigint * interval '1 millisecond', "
            "        next_at = now() + $2::bigint * interval '1 millisecond' FROM h WHERE o.id = h.id RETURNING o.id) "
            "SELECT o.id, o.lease_owner IS DISTINCT FROM $1, o.cancel_requested, (SELECT count(*) FROM u) "
            "FROM azlro.ops o WHERE o.id = ANY($3::bigint[])",
            {owner_, std::to_string(lease_.count()), pg::array_literal(ids)});
        if (!r.ok()) {
            err = "lease renewal failed (tried again in lease/3): " + r.error();
            return;
        }
        ++renewals_;
        std::map<std::int64_t, bool> seen;
        for (int i = 0; i < r.rows(); ++i) {
            const std::int64_t id = r.i64(i, 0);
            seen[id] = true;
            const bool lost = r.boolean(i, 1), cancel = r.boolean(i, 2);
            if (lost || cancel) out.push_back(report{id, seq[id], lost, cancel});
        }
        for (const auto& h : held)
            if (seen.find(h.first) == seen.end()) out.push_back(report{h.first, h.second, true, false});
    }

    std::string conninfo_, owner_;
    std::chrono::milliseconds lease_;
    pg::connection db_;
    std::thread thread_;
    std::mutex m_;
    std::condition_variable cv_;
    bool stop_ = false;
    std::vector<std::pair<std::int64_t, std::uint64_t>> held_;
    std::vector<report> reports_;
    std::atomic<std::uint64_t> renewals_{0};
};

const char* const live_states_sql = "('pending', 'submitting', 'polling')";

class worker {
public:
    // The lease owner: the name, the PID and the start time, so that a restarted worker with
    // the same name never takes its predecessor's leases for its own.
    explicit worker(const worker_config& cfg)
        : cfg_(cfg), owner_(cfg.name + "/" + std::to_string(::getpid()) + "/" + seconds_text(wall_seconds())) {
        lease_text_ = std::to_string(cfg_.lease.count());
    }
    ~worker() {
        for (auto& kv : jobs_) abandon(*kv.second);
        for (CURL* h : idle_handles_) curl_easy_cleanup(h);
        if (multi_ != nullptr) curl_multi_cleanup(multi_);
    }

    int run() {
        // First, so that a SIGTERM during start-up is a graceful stop too (exit 0), not a kill.
        install_signals();
        std::string err;
        if (!db_.open(cfg_.conninfo, err)) return fail("cannot connect to PostgreSQL: " + err);
        if (!lro::curl::curl_detail::global_init() || (multi_ = curl_multi_init()) == nullptr)
            return fail("cannot initialise libcurl");
        const long cap = static_cast<long>(cfg_.concurrency);
        curl_multi_setopt(multi_, CURLMOPT_MAX_TOTAL_CONNECTIONS, cap);
        curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS, cap);
        pg::result r = db_.exec(std::string("LISTEN ") + notify_channel);
        if (!r.ok()) return fail("LISTEN failed: " + r.error());
        r = db_.exec("SELECT 1 FROM azlro.ops LIMIT 0");
        if (!r.ok()) {
            if (r.sqlstate() == "42P01" || r.sqlstate() == "3F000")
                return fail("the fleet schema is missing: run `azmaps-lro fleet init` first");
            return fail("database error: " + r.error());
        }
        if (!keeper_.start(err)) return fail("cannot connect to PostgreSQL (lease keeper): " + err);
        log("started (batch " + std::to_string(cfg_.batch) + ", concurrency " + std::to_string(cfg_.concurrency) +
            ", lease " + std::to_string(cfg_.lease.count()) + " ms)");
        next_claim_ = lro::clock::now();
        int rc = loop();
        log("stopped: " + stats_json());
        return rc;
    }

private:
    // --- main loop --------------------------------------------------------------------------

    int loop() {
        bool stopping = false;
        lro::time_point stop_deadline{};
        for (;;) {
            if (!stopping && g_stop.load()) {
                stopping = true;
                stop_deadline = lro::clock::now() + std::min<std::chrono::milliseconds>(cfg_.lease, std::chrono::seconds(10));
                log("stopping: no more claims; finishing requests in flight");
                return_waiting_submits();
            }
            if (!db_.is_open()) return fail("lost the database connection: " + db_.last_error());
            const lro::time_point now = lro::clock::now();
            if (!stopping && now >= next_claim_ && jobs_.size() < static_cast<std::size_t>(cfg_.concurrency)) {
                if (!claim()) return fail_db();
            }
            start_due();
            int running = 0;
            curl_multi_perform(multi_, &running);
            collect();
            if (!staged_.empty() && (staged_.size() >= static_cast<std::size_t>(cfg_.batch) || in_flight_ == 0 ||
                                     lro::clock::now() >= flush_deadline_ || stopping)) {
                if (!flush()) return fail_db();
            }
            handle_lease_reports();
            if (!jobs_.empty() || !staged_.empty()) idle_since_claim_ = false;
            if (stopping) {
                if (jobs_.empty() && staged_.empty()) return 0;
                if (lro::clock::now() >= stop_deadline) {
                    if (!flush()) return fail_db();
                    return_all();
                    return 0;
                }
            }
            if (cfg_.exit_when_idle && jobs_.empty() && staged_.empty() && idle_since_claim_) {
                const pg::result r =
                    db_.exec(std::string("SELECT 1 FROM azlro.ops WHERE state IN ") + live_states_sql + " LIMIT 1");
                if (!r.ok()) return fail_db();
                if (r.rows() == 0) return 0;
            }
            wait(stopping);
        }
    }

    /// Sleeps in curl_multi_poll (libcurl's sockets and the database socket) until the first
    /// of: I/O, a due request, the next claim, a write-back or lease deadline; at most 250 ms
    /// so a stop signal is seen.
    void wait(bool stopping) {
        const lro::time_point now = lro::clock::now();
        lro::time_point until = now + std::chrono::milliseconds(250);
        while (!heap_.empty()) { // drop stale entries
            auto it = jobs_.find(heap_.top().id);
            if (it != jobs_.end() && it->second->generation == heap_.top().generation && it->second->easy == nullptr)
                break;
            heap_.pop();
        }
        if (!heap_.empty() && in_flight_ < static_cast<std::size_t>(cfg_.concurrency)) until = std::min(until, heap_.top().due);
        if (!stopping && jobs_.size() < static_cast<std::size_t>(cfg_.concurrency)) until = std::min(until, next_claim_);
        if (!staged_.empty()) until = std::min(until, flush_deadline_);
        {
            std::vector<std::pair<std::int64_t, std::uint64_t>> held;
            held.reserve(jobs_.size());
            for (const auto& kv : jobs_) held.emplace_back(kv.first, kv.second->claim_seq);
            keeper_.set_held(std::move(held));
        }
        long ms = static_cast<long>(std::chrono::ceil<std::chrono::milliseconds>(until - now).count());
        if (ms <= 0) return;
        curl_waitfd fd{};
        fd.fd = db_.socket();
        fd.events = CURL_WAIT_POLLIN;
        curl_multi_poll(multi_, &fd, fd.fd >= 0 ? 1 : 0, static_cast<int>(ms), nullptr);
        if (fd.fd >= 0 && (fd.revents & CURL_WAIT_POLLIN) != 0) check_notifications();
    }

    void check_notifications() {
        if (!db_.notifications().empty()) {
            next_claim_ = lro::clock::now(); // a submit: claim now
            ++stats_.notifications;
        }
    }

    // --- claiming ---------------------------------------------------------------------------

    /// Claims up to a batch of due rows and builds their machines. False on a database error.
    bool claim() {
        const std::size_t room = static_cast<std::size_t>(cfg_.concurrency) - jobs_.size();
        const std::size_t want = std::min<std::size_t>(room, static_cast<std::size_t>(cfg_.batch));
        // The claim, one statement: take due live rows nobody holds (next_at is the lease
        // expiry while a row is held), start a submit ('pending' -> 'submitting', with its
        // time), settle an unanswered submit by the machine's rule ('submitting' found with an
        // expired lease: resend, or 'submit_unknown'), and apply a requested cancel.
        static const std::string sql =
            "WITH c AS (SELECT id, state AS old_state FROM azlro.ops "
            "  WHERE state IN ('pending', 'submitting', 'polling') AND next_at <= now() "
            "    AND (lease_expires IS NULL OR lease_expires <= now()) "
            "  ORDER BY next_at LIMIT $2 FOR UPDATE SKIP LOCKED), "
            "d AS (SELECT c.id, c.old_state, CASE "
            "    WHEN o.cancel_requested THEN 'canceled' "
            "    WHEN c.old_state = 'pending' THEN 'submitting' "
            "    WHEN c.old_state = 'submitting' AND NOT o.resend_ok THEN 'submit_unknown' "
            "    ELSE c.old_state END AS new_state "
            "  FROM c JOIN azlro.ops o ON o.id = c.id) "
            "UPDATE azlro.ops o SET state = d.new_state, "
            "  lease_owner = CASE WHEN d.new_state IN ('submitting', 'polling') THEN $1 END, "
            "  lease_expires = CASE WHEN d.new_state IN ('submitting', 'polling') "
            "                  THEN now() + $3::bigint * interval '1 millisecond' END, "
            "  next_at = CASE WHEN d.new_state IN ('submitting', 'polling') "
            "            THEN now() + $3::bigint * interval '1 millisecond' ELSE o.next_at END, "
            "  attempts = o.attempts + CASE WHEN d.new_state IN ('submitting', 'polling') THEN 1 ELSE 0 END, "
            "  submit_started_at = CASE WHEN d.new_state = 'submitting' THEN now() ELSE o.submit_started_at END, "
            "  reason = CASE WHEN d.new_state = 'canceled' THEN 'client' "
            "           WHEN d.new_state = 'submit_unknown' THEN 'submit_unknown' ELSE o.reason END, "
            "  detail = CASE WHEN d.new_state = 'canceled' THEN 'canceled by the client (fleet cancel)' "
            "           WHEN d.new_state = 'submit_unknown' THEN 'the worker that sent the submit at ' || "
            "             to_char(o.submit_started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') || "
            "             ' stopped before recording its answer; the method is not idempotent and resubmit was not "
            "asked: the operation may exist on the service, check before submitting again' "
            "           ELSE o.detail END, "
            "  ended_at = CASE WHEN d.new_state IN ('canceled', 'submit_unknown') THEN now() ELSE o.ended_at END, "
            "  updated_at = now() "
            "FROM d WHERE o.id = d.id "
            "RETURNING o.id, d.old_state, o.state, o.protocol, o.options::text, o.method, o.url, "
            "  encode(o.body, 'hex'), o.headers::text, o.token, extract(epoch FROM o.token_at)";
        const pg::result r = exec(sql, {owner_, std::to_string(want), lease_text_});
        ++stats_.claims;
        if (!r.ok()) return db_failed(r);
        check_notifications();
        const clocks c;
        for (int i = 0; i < r.rows(); ++i) {
            ++stats_.claimed;
            const std::string state = r.str(i, 2);
            if (state == "canceled" || state == "submit_unknown") {
                ++stats_.ended;
                if (state == "submit_unknown") ++stats_.submit_unknown;
                continue;
            }
            auto j = std::make_unique<job>();
            j->id = r.i64(i, 0);
            j->protocol = r.str(i, 3);
            j->method = r.str(i, 5);
            j->url = r.str(i, 6);
            std::string failure;
            if (!build(*j, r, i, state, c, failure)) {
                // An unusable row (a token this build refuses, options it cannot read): it ends
                // failed, with the reason, rather than being retried forever.
                step_write w;
                w.id = j->id;
                w.state = "failed";
                w.reason = std::string("unusable_row");
                w.detail = failure;
                w.next_at = seconds_text(c.wall);
                stage(std::move(w));
                continue;
            }
            j->claim_seq = ++claim_seq_;
            job& ref = *j;
            jobs_[ref.id] = std::move(j);
            schedule(ref);
        }
        const lro::time_point now = lro::clock::now();
        if (static_cast<std::size_t>(r.rows()) >= want) {
            next_claim_ = now; // there may be more due rows
        } else {
            // Fewer than asked: the next claim waits for the earliest next_at (or a NOTIFY), and
            // at least a tick, so a trickle of due rows is claimed in batches.
            const pg::result e = exec(std::string("SELECT extract(epoch FROM next_at) FROM azlro.ops WHERE state IN ") +
                                          live_states_sql + " ORDER BY next_at LIMIT 1");
            if (!e.ok()) return db_failed(e);
            check_notifications();
            lro::time_point at = now + std::chrono::seconds(1);
            if (e.rows() == 1) at = std::min(at, clocks().to_steady(e.f64(0, 0)));
            if (e.rows() == 0 && jobs_.empty()) idle_since_claim_ = true;
            next_claim_ = std::max(at, now + cfg_.tick);
        }
        return true;
    }

    /// The options object for a row (shared by every row with the same options).
    std::shared_ptr<const lro::options> options_for(const std::string& protocol, const std::string& text,
                                                    std::string& error) {
        const std::string key = protocol + '\n' + text;
        auto it = options_cache_.find(key);
        if (it != options_cache_.end()) return it->second;
        lro::options o;
        const json j = json::parse(text, nullptr, false);
        if (j.is_discarded() || !options_from_json(protocol, j, o, error)) {
            if (error.empty()) error = "options are not JSON";
            return nullptr;
        }
        auto p = std::make_shared<const lro::options>(std::move(o));
        if (options_cache_.size() > 10000) options_cache_.clear();
        options_cache_.emplace(key, p);
        return p;
    }

    bool build(job& j, const pg::result& r, int i, const std::string& state, const clocks& c, std::string& failure) {
        const std::shared_ptr<const lro::options> opts = options_for(j.protocol, r.str(i, 4), failure);
        if (!opts) return false;
        j.resend_ok = resend_allowed(j.protocol, j.method, *opts);
        auto spec = std::make_shared<lro::request_spec>();
        if (!r.null(i, 7)) {
            std::string body;
            pg::unhex("\\x" + r.str(i, 7), body);
            spec->body = std::move(body);
        }
        // Headers of the row: Content-Type belongs to the submit; the rest, like credentials,
        // goes only to the submit origin (as `azmaps-lro run -H` does).
        std::shared_ptr<const lro::credentials> creds = shared_creds_;
        const json headers = json::parse(r.str(i, 8), nullptr, false);
        if (headers.is_object() && !headers.empty()) {
            auto own = std::make_shared<lro::credentials>(cfg_.creds);
            for (const auto& [name, value] : headers.items()) {
                if (!value.is_string() || is_credential_header(name)) continue;
                const std::string line = name + ": " + value.get<std::string>();
                if (lro::detail::iequals(name, "content-type")) spec->submit_headers.push_back(line);
                else own->headers.push_back(line);
            }
            creds = std::move(own);
        }
        j.spec = std::move(spec);
        j.creds = std::move(creds);
        const auto make = [&](auto tag) -> bool {
            using Op = decltype(tag);
            if (state == "submitting") {
                auto started = Op::start(j.method, j.url, opts);
                if (!started) {
                    failure = "cannot start: " + std::string(lro::message(started.error()));
                    return false;
                }
                j.op = std::move(*started);
                ++stats_.submits;
                return true;
            }
            if (r.null(i, 9)) {
                failure = "a polling row without a token";
                return false;
            }
            // The token follows an answer received at token_at (wall clock): resume as if our
            // steady `now` were then, so the machine's wait runs from the answer, not from now.
            // A token_at in the future (clock skew) counts as now: never earlier.
            lro::time_point at = c.steady;
            if (!r.null(i, 10)) at = std::min(c.steady, c.to_steady(r.f64(i, 10) + 0.001));
            auto resumed = Op::resume(r.text(i, 9), opts, at, j.url);
            if (!resumed) {
                failure = "cannot resume the token: " + std::string(lro::message(resumed.error()));
                return false;
            }
            j.op = std::move(*resumed);
            return true;
        };
        if (j.protocol == "azure") return make(lro::azure_operation{});
        return make(lro::operation{});
    }

    // --- requests -------------------------------------------------------------------------

    void schedule(job& j) {
        const std::optional<lro::send_request> req =
            std::visit([](auto& op) { return op.pending_request(); }, j.op);
        j.due = req ? req->not_before : lro::time_point::min();
        heap_.push(due_entry{j.due, j.id, ++j.generation});
    }

    void start_due() {
        const lro::time_point now = lro::clock::now();
        while (!heap_.empty() && in_flight_ < static_cast<std::size_t>(cfg_.concurrency) && heap_.top().due <= now) {
            const due_entry e = heap_.top();
            heap_.pop();
            auto it = jobs_.find(e.id);
            if (it == jobs_.end() || it->second->generation != e.generation || it->second->easy != nullptr) continue;
            job& j = *it->second;
            const std::optional<lro::send_request> req =
                std::visit([](auto& op) { return op.pending_request(); }, j.op);
            if (!req) { // nothing to send: it ended (not expected here)
                finish_step(j, std::nullopt, 0, "");
                continue;
            }
            j.submit_wait = false;
            j.submit_phase = req->purpose == lro::purpose::submit;
            CURL* h = nullptr;
            if (!idle_handles_.empty()) {
                h = idle_handles_.back();
                idle_handles_.pop_back();
            } else {
                h = curl_easy_init();
            }
            if (!j.xfer) j.xfer = std::make_unique<lro::curl::curl_detail::transfer>();
            const std::size_t max_body = std::visit([](auto& op) { return op.config().max_body_bytes; }, j.op);
            if (h == nullptr || !j.xfer->prepare(h, *req, *j.spec, *j.creds, cfg_.transfer, max_body) ||
                (curl_easy_setopt(h, CURLOPT_PRIVATE, static_cast<void*>(&j)), curl_multi_add_handle(multi_, h) != CURLM_OK)) {
                if (h != nullptr) idle_handles_.push_back(h);
                // Could not send: give the row back untouched, due in a second.
                log("row " + std::to_string(j.id) + ": could not start a transfer; returned");
                return_rows({j.id}, {});
                jobs_.erase(it);
                continue;
            }
            j.easy = h;
            ++in_flight_;
            ++stats_.requests;
            if (req->purpose == lro::purpose::status) ++stats_.polls;
        }
    }

    void release_handle(job& j) {
        if (j.easy == nullptr) return;
        curl_multi_remove_handle(multi_, j.easy);
        if (idle_handles_.size() < static_cast<std::size_t>(cfg_.concurrency)) idle_handles_.push_back(j.easy);
        else curl_easy_cleanup(j.easy);
        j.easy = nullptr;
        --in_flight_;
    }

    void abandon(job& j) {
        release_handle(j);
        j.xfer.reset();
    }

    void collect() {
        int left = 0;
        while (CURLMsg* m = curl_multi_info_read(multi_, &left)) {
            if (m->msg != CURLMSG_DONE) continue;
            CURL* h = m->easy_handle;
            const CURLcode rc = m->data.result;
            void* priv = nullptr;
            curl_easy_getinfo(h, CURLINFO_PRIVATE, &priv);
            job* j = static_cast<job*>(priv);
            if (j == nullptr || j->easy != h) continue;
            int status = 0;
            lro::action next = std::visit([&](auto& op) { return j->xfer->feed(op, h, rc, status); }, j->op);
            if (rc != CURLE_OK) // what the machine was told as a transport error, for the operator
                log("row " + std::to_string(j->id) + ": transfer failed: " + curl_easy_strerror(rc));
            const std::string body = std::holds_alternative<lro::succeeded>(next) ? std::move(j->xfer->body) : std::string();
            release_handle(*j);
            j->xfer.reset();
            finish_step(*j, std::move(next), status, body);
        }
    }

    /// After an answer: keep a submit that will be resent; stage every other step for write-back.
    void finish_step(job& j, std::optional<lro::action> next, int status, const std::string& body) {
        const clocks c;
        const bool submitting = std::visit([](auto& op) { return op.current_phase() == lro::phase::submitting; }, j.op);
        if (next && std::holds_alternative<lro::send_request>(*next) && submitting) {
            // The submit was not taken (429, 503...) or may be resent (the machine's rule): no
            // token exists before a submit is accepted, so this worker keeps the row (its lease
            // renewed) and resends when the machine says.
            j.submit_wait = true;
            schedule(j);
            return;
        }
        (void)status;
        const bool was_submit = j.submit_phase;
        step_write w;
        w.id = j.id;
        w.next_at = seconds_text(c.wall);
        w.polls = std::visit([](auto& op) { return op.observe().polls; }, j.op);
        if (next && std::holds_alternative<lro::send_request>(*next)) {
            const auto& req = std::get<lro::send_request>(*next);
            const lro::result<std::string> token = std::visit([](auto& op) { return op.save(); }, j.op);
            if (!token) {
                w.state = "failed";
                w.reason = std::string("unusable_row");
                w.detail = "the machine could not save a token: " + std::string(lro::message(token.error()));
                ++stats_.ended;
            } else {
                w.state = "polling";
                w.token = *token;
                w.token_at = seconds_text(c.wall);
                w.next_at = seconds_text(c.to_wall(req.not_before));
            }
        } else {
            const std::optional<lro::outcome> out = std::visit([](auto& op) { return op.final_outcome(); }, j.op);
            if (!out) { // refused or idle: nothing changed; give the row back
                log("row " + std::to_string(j.id) + ": the machine refused the answer; returned");
                return_rows({j.id}, {});
                const std::int64_t id = j.id;
                jobs_.erase(id);
                return;
            }
            ++stats_.ended;
            const lro::result<std::string> token = std::visit([](auto& op) { return op.save(); }, j.op);
            if (token) { // timed out: a token that continues on a fresh budget
                w.token = *token;
                w.token_at = seconds_text(c.wall);
            }
            switch (out->end) {
            case lro::phase::succeeded:
                w.state = "succeeded";
                if (!out->resource_location.empty()) w.result_location = out->resource_location;
                if (out->source != lro::result_source::none) w.result_body = pg::hex(body);
                w.detail = std::string("result from the ") + std::string(lro::to_string(out->source)) +
                           (out->result_member.empty() ? "" : " (member " + out->result_member + ")");
                break;
            case lro::phase::canceled:
                w.state = "canceled";
                w.reason = std::string(lro::to_string(out->canceled_by));
                w.detail = out->canceled_by == lro::cancel_source::server ? "canceled by the service"
                                                                          : "canceled by the client";
                break;
            default:
                w.state = "failed";
                w.reason = std::string(lro::to_string(out->reason));
                if (out->http_status) w.http_status = std::to_string(*out->http_status);
                if (out->error) w.error = dump(error_json(*out->error));
                w.detail = out->detail;
                break;
            }
        }
        // A submit's answer is written at once: until it is, a death of this worker would leave
        // the row `submitting` (and a POST would end `submit_unknown`).
        stage(std::move(w));
        if (was_submit) flush_deadline_ = lro::clock::now();
        const std::int64_t id = j.id;
        jobs_.erase(id);
    }

    void stage(step_write w) {
        if (staged_.empty()) flush_deadline_ = lro::clock::now() + cfg_.tick;
        staged_.push_back(std::move(w));
    }

    // --- writing back -----------------------------------------------------------------------

    /// Writes every staged step in one statement, which also releases their leases. Rows this
    /// worker no longer holds (its lease expired and another worker took them) are skipped.
    bool flush() {
        if (staged_.empty()) return true;
        std::vector<pg::param> id, state, token, token_at, next_at, polls, reason, http, error, detail, loc, body;
        for (const step_write& w : staged_) {
            id.emplace_back(std::to_string(w.id));
            state.emplace_back(w.state);
            token.push_back(w.token);
            token_at.push_back(w.token_at);
            next_at.emplace_back(w.next_at);
            polls.emplace_back(std::to_string(w.polls));
            reason.push_back(w.reason);
            http.push_back(w.http_status);
            error.push_back(w.error);
            detail.push_back(w.detail);
            loc.push_back(w.result_location);
            body.push_back(w.result_body);
        }
        // A cancel asked while the row was held ends it now, unless the operation ended first.
        static const std::string sql =
            "UPDATE azlro.ops o SET "
            "  state = CASE WHEN o.cancel_requested AND u.st = 'polling' THEN 'canceled' ELSE u.st END, "
            "  token = coalesce(u.tok, o.token), "
            "  token_at = CASE WHEN u.tok IS NULL THEN o.token_at ELSE to_timestamp(u.tat) END, "
            "  next_at = to_timestamp(u.nat), lease_owner = NULL, lease_expires = NULL, polls = u.pol, "
            "  reason = CASE WHEN o.cancel_requested AND u.st = 'polling' THEN 'client' ELSE u.rea END, "
            "  http_status = u.hs, error = u.err::jsonb, "
            "  detail = CASE WHEN o.cancel_requested AND u.st = 'polling' THEN 'canceled by the client (fleet "
            "cancel)' ELSE u.det END, "
            "  result_location = u.loc, result_body = decode(u.bod, 'hex'), updated_at = now(), "
            "  ended_at = CASE WHEN u.st = 'polling' AND NOT o.cancel_requested THEN NULL ELSE now() END "
            "FROM unnest($2::bigint[], $3::text[], $4::text[], $5::float8[], $6::float8[], $7::int[], $8::text[], "
            "  $9::int[], $10::text[], $11::text[], $12::text[], $13::text[]) "
            "  AS u(id, st, tok, tat, nat, pol, rea, hs, err, det, loc, bod) "
            "WHERE o.id = u.id AND o.lease_owner = $1";
        const pg::result r = exec(
            sql, {owner_, pg::array_literal(id), pg::array_literal(state), pg::array_literal(token),
                  pg::array_literal(token_at), pg::array_literal(next_at), pg::array_literal(polls),
                  pg::array_literal(reason), pg::array_literal(http), pg::array_literal(error),
                  pg::array_literal(detail), pg::array_literal(loc), pg::array_literal(body)});
        ++stats_.writes;
        if (!r.ok()) return db_failed(r);
        check_notifications();
        const long n = r.affected();
        stats_.written += static_cast<std::uint64_t>(n);
        if (n < static_cast<long>(staged_.size()))
            log(std::to_string(staged_.size() - static_cast<std::size_t>(n)) +
                " step(s) not written: their lease had passed to another worker");
        // This worker will want the rows it just released when they are due.
        const clocks c;
        for (const step_write& w : staged_)
            if (w.state == "polling") next_claim_ = std::min(next_claim_, c.to_steady(std::stod(w.next_at)));
        staged_.clear();
        return true;
    }

    /// Acts on the lease keeper's reports: drops rows whose lease was lost, cancels rows whose
    /// cancel was asked (a report about an earlier claim of the same row is ignored).
    void handle_lease_reports() {
        for (const lease_keeper::report& rep : keeper_.take_reports()) {
            auto it = jobs_.find(rep.id);
            if (it == jobs_.end() || it->second->claim_seq != rep.seq) continue;
            job& j = *it->second;
            if (rep.lost) {
                log("row " + std::to_string(rep.id) + ": lease lost (another worker took it); dropped");
                abandon(j);
                jobs_.erase(it);
            } else if (rep.cancel) {
                abandon(j);
                lro::action a = std::visit([](auto& op) { return op.cancel(lro::clock::now()); }, j.op);
                finish_step(j, std::move(a), 0, "");
            }
        }
    }

    /// Gives rows back without a new token: their lease is cleared and they are due now.
    /// `to_pending`: submits never taken (answered 429/503), which start over.
    void return_rows(const std::vector<std::int64_t>& ids, const std::vector<std::int64_t>& to_pending) {
        if (ids.empty()) return;
        std::vector<pg::param> a, p;
        for (const std::int64_t id : ids) a.emplace_back(std::to_string(id));
        for (const std::int64_t id : to_pending) p.emplace_back(std::to_string(id));
        const pg::result r = exec(
            "UPDATE azlro.ops SET lease_owner = NULL, lease_expires = NULL, next_at = now(), updated_at = now(), "
            "  state = CASE WHEN id = ANY($3::bigint[]) THEN 'pending' ELSE state END, "
            "  submit_started_at = CASE WHEN id = ANY($3::bigint[]) THEN NULL ELSE submit_started_at END "
            "WHERE lease_owner = $1 AND id = ANY($2::bigint[])",
            {owner_, pg::array_literal(a), pg::array_literal(p)});
        if (!r.ok()) log("could not return leases (they expire by themselves): " + r.error());
    }

    /// On a stop: submits waiting to be resent go back to 'pending' (they were never taken).
    void return_waiting_submits() {
        std::vector<std::int64_t> ids;
        for (const auto& kv : jobs_)
            if (kv.second->submit_wait && kv.second->easy == nullptr) ids.push_back(kv.first);
        return_rows(ids, ids);
        for (const std::int64_t id : ids) jobs_.erase(id);
    }

    /// At the end of the stop grace: every row still held goes back. A submit still in flight
    /// stays 'submitting' without a lease: the next claimer applies the machine's rule.
    void return_all() {
        std::vector<std::int64_t> ids, pending;
        for (auto& kv : jobs_) {
            ids.push_back(kv.first);
            if (kv.second->submit_wait && kv.second->easy == nullptr) pending.push_back(kv.first);
            abandon(*kv.second);
        }
        return_rows(ids, pending);
        jobs_.clear();
    }

    // --- misc -------------------------------------------------------------------------------

    static void install_signals() {
        struct sigaction sa {};
        sa.sa_handler = on_stop_signal;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGTERM, &sa, nullptr);
        sigaction(SIGINT, &sa, nullptr);
        signal(SIGPIPE, SIG_IGN);
    }

    /// db_.exec, timed into stats_.db_us.
    pg::result exec(const std::string& sql, const std::vector<pg::param>& params = {}) {
        const auto t0 = std::chrono::steady_clock::now();
        pg::result r = params.empty() ? db_.exec(sql) : db_.exec(sql, params);
        stats_.db_us += static_cast<std::uint64_t>(
            std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count());
        return r;
    }

    bool db_failed(const pg::result& r) {
        db_error_ = r.error();
        return false;
    }

    int fail_db() { return fail("database error: " + (db_error_.empty() ? db_.last_error() : db_error_)); }

    int fail(const std::string& msg) {
        std::fprintf(stderr, "azmaps-lro fleet work (%s): %s\n", cfg_.name.c_str(), msg.c_str());
        return 1;
    }

    void log(const std::string& msg) const {
        if (!cfg_.quiet) std::fprintf(stderr, "azmaps-lro fleet work (%s): %s\n", cfg_.name.c_str(), msg.c_str());
    }

    std::string stats_json() const {
        json j = {{"claims", stats_.claims},       {"claimed", stats_.claimed},   {"writes", stats_.writes},
                  {"written", stats_.written},     {"heartbeats", keeper_.renewals()},
                  {"requests", stats_.requests},   {"polls", stats_.polls},       {"submits", stats_.submits},
                  {"ended", stats_.ended},         {"submit_unknown", stats_.submit_unknown},
                  {"notifications", stats_.notifications}, {"db_ms", stats_.db_us / 1000},
                  {"wall_ms", std::chrono::duration_cast<std::chrono::milliseconds>(lro::clock::now() - started_).count()}};
        return dump(j);
    }

    struct counters {
        std::uint64_t claims = 0, claimed = 0, writes = 0, written = 0, requests = 0, polls = 0,
                      submits = 0, ended = 0, submit_unknown = 0, notifications = 0, db_us = 0;
    };

    worker_config cfg_;
    std::string owner_;
    std::string lease_text_;
    pg::connection db_;
    std::string db_error_;
    CURLM* multi_ = nullptr;
    std::shared_ptr<const lro::credentials> shared_creds_ = std::make_shared<const lro::credentials>(cfg_.creds);
    std::unordered_map<std::int64_t, std::unique_ptr<job>> jobs_;
    std::priority_queue<due_entry, std::vector<due_entry>, std::greater<due_entry>> heap_;
    std::vector<CURL*> idle_handles_;
    std::size_t in_flight_ = 0;
    std::vector<step_write> staged_;
    std::unordered_map<std::string, std::shared_ptr<const lro::options>> options_cache_;
    lro::time_point next_claim_{};
    std::uint64_t claim_seq_ = 0;
    lease_keeper keeper_{cfg_.conninfo, owner_, cfg_.lease};
    lro::time_point flush_deadline_{};
    bool idle_since_claim_ = false;
    lro::time_point started_ = lro::clock::now();
    counters stats_;
};

} // namespace

int run_worker(const worker_config& cfg) {
    worker w(cfg);
    return w.run();
}

} // namespace azmaps::lro::fleet
