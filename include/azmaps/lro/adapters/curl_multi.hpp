// azmaps-lro adapters: many operations on one thread, on libcurl's multi interface.
//
//   #include <azmaps/lro/adapters/curl_multi.hpp>      // link CURL::libcurl
//   namespace lro = azmaps::lro;
//   lro::curl::multi_config cfg;  cfg.max_connections = 64;
//   lro::curl::multi_driver drv(cfg);
//   for (auto& url : urls)
//       drv.add(*lro::operation::start("POST", url, shared_opts), spec, creds,
//               [](std::uint64_t id, lro::operation& op, lro::curl::outcome& out) { ... });
//   drv.run();                       // returns when every operation has ended
//
// Each operation is its own machine. Requests wait in a min-heap keyed on `not_before`;
// the loop starts every due request while fewer than `max_connections` transfers are in
// flight, then sleeps in `curl_multi_poll` until I/O or the next due time (no busy wait).
//
// What it needs, however many operations are added (10,000 run under the default soft
// RLIMIT_NOFILE of 1024, docs/performance.md):
//   * connections, so file descriptors: at most `max_connections` (default 64) sockets, open
//     or idle (libcurl's CURLMOPT_MAX_TOTAL_CONNECTIONS and CURLMOPT_MAXCONNECTS are set to
//     it), plus libcurl's own: 2 for the multi handle's wake-up pair and, while a host name is
//     being resolved by the threaded resolver, 2 per resolution (numeric hosts: none). A submit
//     goes on a fresh connection (see curl_common.hpp): at the cap, libcurl closes the oldest
//     idle connection first, so submits cost a connect each but never an fd beyond the cap.
//   * easy handles: one per transfer in flight, at most `max_connections`, each paired for
//     good with its transfer buffers (reused by every operation in turn; a body buffer above
//     16 KiB is freed after its answer), plus libcurl's own state and receive buffer per handle.
//   * per operation: its machine, its completion, two shared_ptr and one entry in the id
//     table and in the due heap -- no handle, no buffer, no fd while it waits.
// When more requests are due than `max_connections`, they wait their turn: polls come late,
// never early. Raise `max_connections` only with the fd limit in mind (the process needs
// max_connections + a few descriptors besides its own).
// Every added operation gets exactly one completion call: its terminal outcome, or
// `interrupted` when the driver was stopped or destroyed first. One thread only: the driver
// is not thread-safe (use the stop flag to end `run` from another thread or a signal).
//
// Inside the caller's event loop (libuv, Asio, epoll...) instead of `run`: call
// `attach_loop({watch, set_timer})` once, then never `run`/`step`. The driver asks the loop to
// watch libcurl's sockets (`watch(fd, CURL_POLL_IN/OUT/INOUT/REMOVE)`) and to arm one timer
// (`set_timer(ms)`, -1: disarm) for the earlier of libcurl's timeout and the next due request;
// the loop reports back with `on_socket_event(fd, CURL_CSELECT_IN/OUT/ERR)` and `on_timer()`
// (both `curl_multi_socket_action` underneath). Completions are called from those two.
#ifndef AZMAPS_LRO_ADAPTERS_CURL_MULTI_HPP
#define AZMAPS_LRO_ADAPTERS_CURL_MULTI_HPP

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <queue>
#include <unordered_map>
#include <utility>
#include <vector>

#include "curl_common.hpp"

namespace azmaps::lro::curl {

/// Settings of the multi driver.
struct multi_config : transfer_config {
    /// Most transfers, connections and so sockets at once (see the top of this file for every
    /// descriptor the driver needs); further due requests wait their turn. The default fits the
    /// default soft RLIMIT_NOFILE (1024) with room for the rest of the process.
    std::size_t max_connections = 64;
    /// Optional progress: `sending`, `answered`, `transport_failed` per request, with the
    /// operation's id.
    std::function<void(std::uint64_t id, const event&)> on_event;
};

/// Drives many operations of one policy on one thread with libcurl's multi interface (see
/// the file comment): add() them, then run() (or step() from your own loop). Each gets
/// exactly one completion call. `multi_driver` is the Maps (creator_policy) one.
template <class Policy>
class basic_multi_driver {
public:
    /// The machine type this driver runs.
    using operation_type = basic_operation<Policy>;
    /// Called once per operation, from `run`/`step`/`cancel`/`interrupt_all`. The machine is
    /// destroyed after the call returns (move it out to keep it, e.g. to `save()`).
    using completion = std::function<void(std::uint64_t id, operation_type& op, outcome& result)>;

    /// The driver's settings type.
    using config = multi_config;

    basic_multi_driver() : basic_multi_driver(config{}) {}
    /// A driver with settings `cfg` (a `max_connections` of 0 counts as 1). Initialises
    /// libcurl once per process; check valid() before relying on it.
    explicit basic_multi_driver(config cfg) : cfg_(std::move(cfg)) {
        if (cfg_.max_connections == 0) cfg_.max_connections = 1;
        curl_detail::global_init();
        multi_ = curl_multi_init();
        if (multi_ != nullptr) {
            const long cap = static_cast<long>(std::min<std::size_t>(cfg_.max_connections, 1u << 20));
            curl_multi_setopt(multi_, CURLMOPT_MAX_TOTAL_CONNECTIONS, cap);
            curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS, cap);
        }
    }
    basic_multi_driver(const basic_multi_driver&) = delete;
    basic_multi_driver& operator=(const basic_multi_driver&) = delete;

    /// Operations still live complete as `interrupted`.
    ~basic_multi_driver() {
        interrupt_all();
        for (auto& s : slots_) curl_easy_cleanup(s->easy);
        slots_.clear();
        if (multi_ != nullptr) curl_multi_cleanup(multi_);
    }

    /// False when libcurl could not be initialised (then `add` completes at once, interrupted).
    bool valid() const noexcept { return multi_ != nullptr; }

    /// Adds an operation (after `start` or `resume`; its pending request is sent when due).
    /// Returns its id, passed to the completion. `spec` and `creds` may be shared by many.
    std::uint64_t add(operation_type op, std::shared_ptr<const request_spec> spec,
                      std::shared_ptr<const credentials> creds, completion done) {
        const std::uint64_t id = ++last_id_;
        job& j = jobs_[id]; // a node of its own: its address is stable until erased
        j.id = id;
        j.op = std::move(op);
        j.spec = spec ? std::move(spec) : std::make_shared<const request_spec>();
        j.creds = creds ? std::move(creds) : std::make_shared<const credentials>();
        j.done = std::move(done);
        schedule(j);
        if (loop_) rearm();
        return id;
    }

    /// Same, with a private copy of `spec` and `creds`.
    std::uint64_t add(operation_type op, request_spec spec, credentials creds, completion done) {
        return add(std::move(op), std::make_shared<const request_spec>(std::move(spec)),
                   std::make_shared<const credentials>(std::move(creds)), std::move(done));
    }

    /// Ends one operation `canceled{client}` now (its transfer, if any, is abandoned) and calls
    /// its completion. False if the id is unknown or already ended.
    bool cancel(std::uint64_t id) {
        auto it = jobs_.find(id);
        if (it == jobs_.end() || it->second.finishing) return false;
        job& j = it->second;
        abandon_transfer(j);
        outcome out;
        out.requests = j.requests;
        out.result = to_outcome(j.op.cancel(clock::now()));
        finish(j, out);
        return true;
    }

    /// Runs until every operation has ended, or `stop` is set (then the live ones complete
    /// `interrupted`). Returns the number of completions made.
    std::size_t run(const std::atomic<bool>* stop = nullptr) {
        std::size_t n = 0;
        while (!jobs_.empty()) {
            if (stop != nullptr && stop->load(std::memory_order_relaxed)) {
                n += interrupt_all();
                break;
            }
            n += step(stop != nullptr ? std::chrono::milliseconds(100) : std::chrono::milliseconds(60000));
        }
        return n;
    }

    /// One round: start due requests, wait for I/O or the next due time (at most `max_wait`),
    /// finish completed transfers. Returns the number of completions made.
    std::size_t step(std::chrono::milliseconds max_wait) {
        std::size_t completed = 0;
        if (multi_ == nullptr) return interrupt_all();
        completed += start_due();
        int running = 0;
        curl_multi_perform(multi_, &running);
        completed += collect();
        completed += start_due();
        if (jobs_.empty()) return completed;
        // Sleep until I/O, libcurl's own timers, or the next due request.
        long wait_ms = static_cast<long>(max_wait.count());
        if (!heap_.empty() && in_flight_ < cfg_.max_connections) {
            const auto until = heap_.top().due - clock::now();
            const auto ms = std::chrono::ceil<std::chrono::milliseconds>(until).count();
            wait_ms = std::max<long>(0, std::min<long>(wait_ms, static_cast<long>(ms)));
        }
        if (wait_ms > 0 || in_flight_ > 0) curl_multi_poll(multi_, nullptr, 0, static_cast<int>(wait_ms), nullptr);
        curl_multi_perform(multi_, &running);
        completed += collect();
        return completed;
    }

    /// Completes every live operation `interrupted` (machines left live). Returns how many.
    std::size_t interrupt_all() {
        std::vector<job*> live;
        live.reserve(jobs_.size());
        for (auto& kv : jobs_)
            if (!kv.second.finishing) live.push_back(&kv.second);
        std::sort(live.begin(), live.end(), [](const job* a, const job* b) { return a->id < b->id; });
        for (job* j : live) {
            abandon_transfer(*j);
            outcome out;
            out.requests = j->requests;
            out.interrupted = true;
            if (j->op.pending_request()) {
                // still live: interrupted, resumable
            } else if (auto end = j->op.outcome()) {
                out.result = to_outcome(*end);
                out.interrupted = false;
            }
            finish(*j, out);
        }
        return live.size();
    }

    /// What an outside event loop provides (see the top of this file). Both are called from
    /// `attach_loop`, `add`, `on_socket_event` and `on_timer`, never from another thread.
    struct loop_hooks {
        /// Watch `fd` for `what`: CURL_POLL_IN, CURL_POLL_OUT, CURL_POLL_INOUT, or stop
        /// watching it with CURL_POLL_REMOVE (libcurl closes it afterwards: do not close it).
        std::function<void(curl_socket_t fd, int what)> watch;
        /// Call `on_timer()` once, `ms` milliseconds from now (0: soon); -1: no timer. Replaces
        /// the previous request.
        std::function<void(long ms)> set_timer;
    };

    /// Switches to running inside an outside event loop (do not call `run` or `step` after).
    /// False when libcurl could not be initialised or a hook is missing.
    bool attach_loop(loop_hooks hooks) {
        if (multi_ == nullptr || !hooks.watch || !hooks.set_timer) return false;
        loop_ = std::make_unique<loop_state>();
        loop_->hooks = std::move(hooks);
        curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &basic_multi_driver::loop_socket_cb);
        curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, static_cast<void*>(this));
        curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &basic_multi_driver::loop_timer_cb);
        curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, static_cast<void*>(this));
        rearm();
        return true;
    }

    /// The loop saw `events` (CURL_CSELECT_IN | CURL_CSELECT_OUT | CURL_CSELECT_ERR, or 0)
    /// on a watched `fd`. Returns the number of completions made.
    std::size_t on_socket_event(curl_socket_t fd, int events) {
        if (!loop_) return 0;
        int running = 0;
        curl_multi_socket_action(multi_, fd, events, &running);
        return after_loop_action();
    }

    /// The loop's timer (armed through `set_timer`) fired. Returns the completions made.
    std::size_t on_timer() {
        if (!loop_) return 0;
        loop_->timer_ms = -2; // fired: the next rearm must ask again even for the same delay
        if (loop_->curl_deadline && *loop_->curl_deadline <= clock::now()) {
            loop_->curl_deadline.reset();
            int running = 0;
            curl_multi_socket_action(multi_, CURL_SOCKET_TIMEOUT, 0, &running);
        }
        return after_loop_action();
    }

    /// True after a successful `attach_loop`.
    bool in_loop() const noexcept { return loop_ != nullptr; }

    /// Operations added and not completed yet.
    std::size_t size() const noexcept { return jobs_.size(); }
    /// Transfers in progress now (at most `max_connections`).
    std::size_t in_flight() const noexcept { return in_flight_; }
    /// Most transfers that were ever in flight at once.
    std::size_t peak_in_flight() const noexcept { return peak_in_flight_; }
    /// The settings this driver was built with.
    const config& settings() const noexcept { return cfg_; }

private:
    struct job;

    /// An easy handle and the transfer state it works with, paired for good and reused by
    /// every operation in turn: at most `max_connections` exist, so an operation that is only
    /// waiting holds no handle and no buffer (docs/performance.md: memory per operation).
    struct slot {
        CURL* easy = nullptr;
        curl_detail::transfer xfer;
        job* owner = nullptr; ///< the operation whose request is in flight; null: idle
        /// The spec and credentials xfer's cached header lists were built from, kept alive so
        /// that their addresses (the cache key) cannot be reused by other objects.
        std::shared_ptr<const request_spec> spec;
        std::shared_ptr<const credentials> creds;
    };

    struct job {
        std::uint64_t id = 0;
        operation_type op;
        std::shared_ptr<const request_spec> spec;
        std::shared_ptr<const credentials> creds;
        completion done;
        slot* in_flight = nullptr;    // the slot sending its request, while one is in flight
        std::uint32_t generation = 0; // matches the live heap entry
        std::uint32_t requests = 0;
        bool finishing = false;
    };

    struct due_entry {
        time_point due;
        std::uint64_t seq;
        std::uint64_t id;
        std::uint32_t generation;
        bool operator>(const due_entry& o) const noexcept {
            return due != o.due ? due > o.due : seq > o.seq;
        }
    };

    void schedule(job& j) {
        const std::optional<send_request> r = j.op.pending_request();
        const time_point due = r ? r->not_before : clock::time_point::min();
        heap_.push(due_entry{due, ++seq_, j.id, ++j.generation});
    }

    /// Starts due requests while there is room. Returns completions (ops with nothing to send).
    std::size_t start_due() {
        std::size_t completed = 0;
        const time_point now = clock::now();
        while (!heap_.empty() && in_flight_ < cfg_.max_connections && heap_.top().due <= now) {
            const due_entry e = heap_.top();
            heap_.pop();
            auto it = jobs_.find(e.id);
            if (it == jobs_.end() || it->second.generation != e.generation || it->second.finishing) continue;
            job& j = it->second;
            const std::optional<send_request> r = j.op.pending_request();
            if (!r) { // added already ended (or idle): report what it is
                outcome out;
                out.requests = j.requests;
                if (auto end = j.op.outcome()) out.result = to_outcome(*end);
                finish(j, out);
                ++completed;
                continue;
            }
            if (!begin_transfer(j, *r)) {
                outcome out;
                out.requests = j.requests;
                out.interrupted = true;
                finish(j, out);
                ++completed;
            }
        }
        return completed;
    }

    /// An idle slot, made when none is idle (at most max_connections: one per transfer).
    slot* take_slot() {
        if (!idle_slots_.empty()) {
            slot* s = idle_slots_.back();
            idle_slots_.pop_back();
            return s;
        }
        CURL* h = curl_easy_init();
        if (h == nullptr) return nullptr;
        slots_.push_back(std::make_unique<slot>());
        slot* s = slots_.back().get();
        s->easy = h;
        return s;
    }

    bool begin_transfer(job& j, const send_request& r) {
        slot* s = take_slot();
        if (s == nullptr) return false;
        if (s->spec != j.spec || s->creds != j.creds) { // another request kind: build its headers anew
            s->xfer.forget_headers();
            s->spec = j.spec;
            s->creds = j.creds;
        }
        const bool fresh = s->xfer.configured_for() != s->easy;
        if (!s->xfer.prepare(s->easy, r, *j.spec, *j.creds, cfg_, j.op.config().max_body_bytes)) {
            idle_slots_.push_back(s);
            return false;
        }
        if (fresh) curl_easy_setopt(s->easy, CURLOPT_PRIVATE, static_cast<void*>(s));
        if (curl_multi_add_handle(multi_, s->easy) != CURLM_OK) {
            idle_slots_.push_back(s);
            return false;
        }
        s->owner = &j;
        j.in_flight = s;
        ++in_flight_;
        peak_in_flight_ = std::max(peak_in_flight_, in_flight_);
        if (cfg_.on_event) {
            event e;
            e.what = event::kind::sending;
            e.request = r;
            e.obs = j.op.observe();
            cfg_.on_event(j.id, e);
        }
        return true;
    }

    /// Takes the slot back from `j` (its transfer, if any, is abandoned) for the next request.
    void release_slot(job& j) {
        slot* s = j.in_flight;
        if (s == nullptr) return;
        curl_multi_remove_handle(multi_, s->easy);
        s->xfer.trim_buffers();
        s->owner = nullptr;
        j.in_flight = nullptr;
        idle_slots_.push_back(s);
        --in_flight_;
    }

    void abandon_transfer(job& j) { release_slot(j); }

    /// Reads finished transfers and feeds them to their machines.
    std::size_t collect() {
        std::size_t completed = 0;
        int left = 0;
        while (CURLMsg* m = curl_multi_info_read(multi_, &left)) {
            if (m->msg != CURLMSG_DONE) continue;
            CURL* h = m->easy_handle;
            const CURLcode rc = m->data.result;
            void* priv = nullptr;
            curl_easy_getinfo(h, CURLINFO_PRIVATE, &priv);
            slot* s = static_cast<slot*>(priv);
            if (s == nullptr || s->owner == nullptr || s->easy != h) continue;
            job* j = s->owner;
            ++j->requests;
            int status = 0;
            curl_detail::transfer& t = s->xfer;
            lro::action next = t.feed(j->op, h, rc, status);
            if (cfg_.on_event) {
                event e = t.completion_event(rc, status);
                e.obs = j->op.observe();
                cfg_.on_event(j->id, e);
            }
            if (std::holds_alternative<send_request>(next)) {
                release_slot(*j); // an operation that waits holds only its machine
                schedule(*j);
                continue;
            }
            outcome out;
            out.result = to_outcome(next);
            out.requests = j->requests;
            if (out.result.ok() && out.result.source != result_source::none) out.body = std::move(t.body);
            release_slot(*j);
            finish(*j, out);
            ++completed;
        }
        return completed;
    }

    /// Calls the completion once, then forgets the job.
    void finish(job& j, outcome& out) {
        j.finishing = true;
        const std::uint64_t id = j.id;
        if (j.done) j.done(id, j.op, out);
        jobs_.erase(id);
    }

    struct loop_state {
        loop_hooks hooks;
        std::optional<time_point> curl_deadline; ///< libcurl's own timeout, when set
        long timer_ms = -2;                      ///< last set_timer argument (-2: none yet)
        time_point timer_at{};                   ///< when that timer fires
    };

    static int loop_socket_cb(CURL*, curl_socket_t fd, int what, void* self, void*) {
        auto* d = static_cast<basic_multi_driver*>(self);
        if (d->loop_) d->loop_->hooks.watch(fd, what);
        return 0;
    }

    static int loop_timer_cb(CURLM*, long timeout_ms, void* self) {
        auto* d = static_cast<basic_multi_driver*>(self);
        if (!d->loop_) return 0;
        if (timeout_ms < 0) d->loop_->curl_deadline.reset();
        else d->loop_->curl_deadline = clock::now() + std::chrono::milliseconds(timeout_ms);
        d->rearm();
        return 0;
    }

    /// After libcurl ran: finish completed transfers, start due requests, ask for the timer.
    std::size_t after_loop_action() {
        std::size_t n = collect();
        n += start_due();
        n += collect();
        rearm();
        return n;
    }

    /// One timer for the earlier of libcurl's deadline and the next due request (with room).
    void rearm() {
        if (!loop_) return;
        std::optional<time_point> wake = loop_->curl_deadline;
        if (!heap_.empty() && in_flight_ < cfg_.max_connections)
            if (!wake || heap_.top().due < *wake) wake = heap_.top().due;
        long ms = -1;
        if (wake) {
            const auto left = std::chrono::ceil<std::chrono::milliseconds>(*wake - clock::now()).count();
            ms = static_cast<long>(std::max<std::int64_t>(0, static_cast<std::int64_t>(left)));
        }
        const time_point at = ms < 0 ? time_point::max() : clock::now() + std::chrono::milliseconds(ms);
        // Ask again only when it changes the wake-up (libcurl calls the timer callback often).
        if (ms == loop_->timer_ms && (ms < 0 || at - loop_->timer_at < std::chrono::milliseconds(1))) return;
        loop_->timer_ms = ms;
        loop_->timer_at = at;
        loop_->hooks.set_timer(ms);
    }

    config cfg_;
    CURLM* multi_ = nullptr;
    std::unique_ptr<loop_state> loop_;
    std::unordered_map<std::uint64_t, job> jobs_;
    std::priority_queue<due_entry, std::vector<due_entry>, std::greater<due_entry>> heap_;
    std::vector<std::unique_ptr<slot>> slots_; // every slot made (at most max_connections)
    std::vector<slot*> idle_slots_;
    std::size_t in_flight_ = 0;
    std::size_t peak_in_flight_ = 0;
    std::uint64_t last_id_ = 0;
    std::uint64_t seq_ = 0;
};

/// The driver for Azure Maps Creator operations.
using multi_driver = basic_multi_driver<creator_policy>;

} // namespace azmaps::lro::curl

#endif
