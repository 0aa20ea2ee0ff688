// azmaps-lro adapters: a blocking driver on libcurl's easy interface.
//
//   #include <azmaps/lro/adapters/curl_easy.hpp>       // link CURL::libcurl
//   namespace lro = azmaps::lro;
//   auto op = lro::operation::start("POST", url, opts);
//   lro::curl::credentials key{"<subscription key>"};
//   lro::curl::outcome out = lro::curl::run(*op, {body}, key);
//   if (out.ok()) use(out.result.resource_location, out.body);  // owning: outlives the machine
//
// `run` sends the pending request (the submit after `start`, the next GET after `resume`),
// sleeps on the steady clock until each `not_before`, and returns when the operation ended
// or `easy_config::stop` was set. See curl_common.hpp for what it sends and when.
#ifndef AZMAPS_LRO_ADAPTERS_CURL_EASY_HPP
#define AZMAPS_LRO_ADAPTERS_CURL_EASY_HPP

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <thread>

#include "curl_common.hpp"

namespace azmaps::lro::curl {

/// Settings of the easy (one operation, blocking) driver: the common libcurl settings plus
/// progress reports and a stop flag.
struct easy_config : transfer_config {
    /// Progress reports (optional): `sending`, `answered` / `transport_failed`, and while
    /// asleep one `waiting` every `tick` (and one when the wait starts).
    std::function<void(const event&)> on_event;
    /// How often a `waiting` event repeats while the driver sleeps before a request.
    std::chrono::milliseconds tick{1000};
    /// When set (e.g. by a SIGINT handler), `run` returns within ~50 ms with
    /// `outcome::interrupted` and leaves the machine live (a transfer in progress is
    /// abandoned; `save()` repeats that request on resume).
    const std::atomic<bool>* stop = nullptr;
};

/// Drives `op` to its end on the easy handle `handle` (reused: its connections stay open for
/// the next request). The machine must have a pending request (after `start` or `resume`);
/// otherwise its terminal outcome (or `refused{not_expected}`) is returned at once.
template <class Policy>
outcome run(CURL* handle, basic_operation<Policy>& op, const request_spec& spec, const credentials& creds,
            const easy_config& cfg = {}) {
    outcome out;
    std::optional<send_request> pending = op.pending_request();
    if (!pending) {
        if (auto end = op.outcome()) out.result = to_outcome(*end);
        return out;
    }
    const auto stopped = [&] { return cfg.stop != nullptr && cfg.stop->load(std::memory_order_relaxed); };
    const auto report = [&](event e) {
        if (!cfg.on_event) return;
        e.obs = op.observe();
        cfg.on_event(e);
    };
    const std::chrono::milliseconds tick = cfg.tick > std::chrono::milliseconds(0) ? cfg.tick : std::chrono::milliseconds(1000);
    const std::chrono::milliseconds slice = cfg.stop != nullptr ? std::chrono::milliseconds(50) : tick;
    curl_detail::transfer t;
    t.stop = cfg.stop;
    send_request req = *pending;
    for (;;) {
        // 1. Wait until not_before, reporting every tick and watching the stop flag.
        time_point next_report = cfg.on_event ? clock::time_point::min() : clock::time_point::max();
        for (;;) {
            const time_point now = clock::now();
            if (stopped()) {
                out.interrupted = true;
                return out;
            }
            if (now >= req.not_before) break;
            if (now >= next_report) {
                event e;
                e.what = event::kind::waiting;
                e.request = req;
                e.wait = std::chrono::duration_cast<std::chrono::milliseconds>(req.not_before - now);
                report(e);
                next_report = now + tick;
            }
            std::this_thread::sleep_until(std::min({req.not_before, now + slice, next_report}));
        }
        // 2. Send it.
        {
            event e;
            e.what = event::kind::sending;
            e.request = req;
            report(e);
        }
        if (!t.prepare(handle, req, spec, creds, cfg, op.config().max_body_bytes)) {
            out.interrupted = true; // out of memory for the header list: nothing was sent
            return out;
        }
        const CURLcode rc = curl_easy_perform(handle);
        if (rc == CURLE_ABORTED_BY_CALLBACK && stopped()) {
            out.interrupted = true;
            return out;
        }
        ++out.requests;
        // 3. Feed what came back; `req` views die with this input, `t` keeps copies.
        int status = 0;
        lro::action next = t.feed(op, handle, rc, status);
        report(t.completion_event(rc, status));
        if (const send_request* r = std::get_if<send_request>(&next)) {
            req = *r;
            continue;
        }
        out.result = to_outcome(next);
        if (out.result.ok() && out.result.source != result_source::none) out.body = std::move(t.body);
        return out;
    }
}

/// The same on a fresh easy handle (closed on return).
template <class Policy>
outcome run(basic_operation<Policy>& op, const request_spec& spec, const credentials& creds,
            const easy_config& cfg = {}) {
    curl_detail::global_init();
    std::unique_ptr<CURL, void (*)(CURL*)> h(curl_easy_init(), &curl_easy_cleanup);
    if (!h) {
        outcome out;
        if (auto p = op.pending_request()) {
            out.interrupted = true;
        }
        return out;
    }
    return run(h.get(), op, spec, creds, cfg);
}

} // namespace azmaps::lro::curl

#endif
