// Every `cpp` block of docs/usage.md, verbatim (check_usage_snippets.cmake fails the build's
// test when one differs), compiled, and run against the emulator: blocking, libcurl multi,
// Asio coroutine, and the multi driver inside an outside loop (here a poll(2) loop).
// Exit status 0 only when every shape ended its operations as the emulator scripted them.
#include <utility>

#include <poll.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <azmaps/lro.hpp>
#include <azmaps/lro/adapters/asio.hpp>
#include <azmaps/lro/adapters/curl_multi.hpp>

#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "emulator.hpp"

namespace lro = azmaps::lro;

namespace {

// ---- what the blocking snippet calls `http`: a minimal synchronous Beast client (plain HTTP)
struct http_result {
    bool ok = false;
    int status = 0;
    std::vector<std::string> owned;      // names and values, in pairs
    std::vector<lro::header> headers;    // views into `owned`
    std::string body;
    lro::transport_error error_kind = lro::transport_error::other;
};

http_result http(std::string_view method, std::string_view url, bool same_origin, std::string_view body) {
    namespace beast = boost::beast;
    namespace bhttp = boost::beast::http;
    http_result r;
    lro::detail::absolute_url_parts p;
    if (lro::detail::parse_absolute_url(url, 8192, p) != lro::detail::url_error::none) return r;
    boost::asio::io_context ioc;
    beast::tcp_stream s(ioc);
    boost::system::error_code ec;
    boost::asio::ip::tcp::resolver res(ioc);
    s.connect(res.resolve(std::string(p.host), std::to_string(p.port), ec), ec);
    if (ec) { r.error_kind = lro::transport_error::connect_failed; return r; }
    bhttp::request<bhttp::string_body> req;
    req.method_string(std::string(method));
    req.target(std::string(p.path.empty() ? "/" : p.path) + (p.has_query ? "?" + std::string(p.query) : ""));
    req.set(bhttp::field::host, std::string(p.host) + ":" + std::to_string(p.port));
    if (same_origin) req.set("subscription-key", "<key>"); // credentials: same origin only
    if (method != "GET") { req.body() = std::string(body); req.prepare_payload(); }
    bhttp::write(s, req, ec);
    beast::flat_buffer buf;
    bhttp::response<bhttp::string_body> resp;
    if (!ec) bhttp::read(s, buf, resp, ec);
    if (ec) { r.error_kind = lro::transport_error::connection_reset; return r; }
    r.ok = true;
    r.status = static_cast<int>(resp.result_int());
    for (const auto& f : resp) {
        r.owned.emplace_back(f.name_string());
        r.owned.emplace_back(f.value());
    }
    for (std::size_t i = 0; i + 1 < r.owned.size(); i += 2) r.headers.push_back({r.owned[i], r.owned[i + 1]});
    r.body = std::move(resp.body());
    return r;
}

// ---- docs/usage.md, "Blocking"
lro::outcome run_blocking(const std::string& url, const lro::options& opts, const std::string& body) {
    auto started = lro::operation::start("POST", url, opts);
    if (!started) return {};                            // lro::message(started.error()) says why
    lro::operation& op = *started;
    lro::send_request req = *op.pending_request();      // the submit, delay 0
    for (;;) {
        std::this_thread::sleep_until(req.not_before);  // a steady_clock time point
        http_result res = http(req.method, req.url, req.same_origin,
                               req.purpose == lro::purpose::submit ? body : "");
        const auto now = lro::clock::now();             // after the answer is complete
        lro::action a = res.ok ? op.on_response({res.status, res.headers, res.body}, now,
                                                std::chrono::system_clock::now())
                               : op.on_transport_error(res.error_kind, now);
        if (auto* next = std::get_if<lro::send_request>(&a)) { req = *next; continue; }
        return lro::to_outcome(a);                      // owns its bytes: safe after op dies
    }
}

// ---- docs/usage.md, "Many operations on one thread (libcurl multi)"
std::size_t run_many(const std::vector<std::string>& urls, std::shared_ptr<const lro::options> opts,
                     std::vector<lro::outcome>& results) {
    lro::curl::multi_config cfg;
    cfg.max_connections = 64;
    lro::curl::multi_driver drv(cfg);
    auto creds = std::make_shared<const lro::curl::credentials>(lro::curl::credentials{"<key>", false, {}, {}});
    auto spec = std::make_shared<const lro::curl::request_spec>();
    results.resize(urls.size());
    for (std::size_t i = 0; i < urls.size(); ++i) {
        auto op = lro::operation::start("POST", urls[i], opts);
        if (!op) continue;
        drv.add(std::move(*op), spec, creds, [&results, i](std::uint64_t, lro::operation&, lro::curl::outcome& out) {
            results[i] = std::move(out.result);         // called once per operation
        });
    }
    return drv.run();                                   // blocks in curl_multi_poll until all ended
}

// ---- docs/usage.md, "Coroutines (Boost.Asio + Beast)"
boost::asio::awaitable<void> upload(lro::operation& op, lro::asio::cancel_signal& cancel,
                                    lro::outcome& result) {
    const lro::asio::request_spec spec{"{}", {}, {}};   // named, not temporaries: GCC 12
    const lro::asio::credentials creds{"<key>", false, {}, {}};
    const lro::asio::config cfg;                        // timeouts, TLS context, user agent
    lro::asio::outcome out = co_await lro::asio::async_run(op, spec, creds, cfg, &cancel);
    result = std::move(out.result);                     // out.body: the result body, if any
}
// boost::asio::co_spawn(ioc, upload(op, cancel, result), boost::asio::detached);
// cancel.emit() (on the io_context's thread) ends it canceled{client}.

// ---- what the event-loop snippet calls `my_loop`: a poll(2) loop with one timer
class my_loop {
public:
    void watch(curl_socket_t fd, int what, std::function<void(int)> cb) { fds_[fd] = {what, std::move(cb)}; }
    void forget(curl_socket_t fd) { fds_.erase(fd); }
    void arm(long ms, std::function<void()> cb) {
        timer_ = lro::clock::now() + std::chrono::milliseconds(ms);
        timer_cb_ = std::move(cb);
    }
    void disarm() { timer_cb_ = nullptr; }
    /// Runs until `done()`; false when there was nothing left to wait for before that.
    bool run(const std::function<bool()>& done) {
        while (!done()) {
            std::vector<pollfd> p;
            for (const auto& [fd, w] : fds_)
                p.push_back(pollfd{fd, static_cast<short>(((w.what & CURL_POLL_IN) ? POLLIN : 0) |
                                                          ((w.what & CURL_POLL_OUT) ? POLLOUT : 0)), 0});
            int timeout = -1;
            if (timer_cb_) {
                const auto left = std::chrono::ceil<std::chrono::milliseconds>(timer_ - lro::clock::now()).count();
                timeout = static_cast<int>(std::max<long long>(0, left));
            }
            if (p.empty() && timeout < 0) return false;
            ::poll(p.data(), p.size(), timeout);
            for (const pollfd& e : p) {
                if (e.revents == 0 || fds_.count(e.fd) == 0) continue;
                const int ev = ((e.revents & POLLIN) ? CURL_CSELECT_IN : 0) | ((e.revents & POLLOUT) ? CURL_CSELECT_OUT : 0) |
                               ((e.revents & (POLLERR | POLLHUP)) ? CURL_CSELECT_ERR : 0);
                auto cb = fds_[e.fd].cb;
                cb(ev);
            }
            if (timer_cb_ && lro::clock::now() >= timer_) {
                auto cb = std::move(timer_cb_);
                timer_cb_ = nullptr;
                cb();
            }
        }
        return true;
    }

private:
    struct watched {
        int what = 0;
        std::function<void(int)> cb;
    };
    std::map<curl_socket_t, watched> fds_;
    lro::clock::time_point timer_{};
    std::function<void()> timer_cb_;
};

// ---- docs/usage.md, "Inside your event loop (libcurl multi + libuv, Asio, epoll...)"
bool host_in_loop(lro::curl::multi_driver& drv, my_loop& loop) {
    lro::curl::multi_driver::loop_hooks hooks;
    hooks.watch = [&](curl_socket_t fd, int what) {   // CURL_POLL_IN/OUT/INOUT, or REMOVE
        if (what == CURL_POLL_REMOVE) loop.forget(fd);  // never close it: libcurl does
        else loop.watch(fd, what, [&drv, fd](int events) { drv.on_socket_event(fd, events); });
    };
    hooks.set_timer = [&](long ms) {                    // one timer; -1: none
        if (ms < 0) loop.disarm();
        else loop.arm(ms, [&drv] { drv.on_timer(); });
    };
    return drv.attach_loop(std::move(hooks));           // then add() operations; never run()
}

// ---- docs/usage.md, "Surviving a restart"
void persist(const std::string&) {}
void restart(lro::operation& op, const std::string& token, const lro::options& opts) {
if (auto token = op.save()) persist(*token);           // while polling or fetching
// ... in another process:
auto resumed = lro::operation::resume(token, opts, lro::clock::now(), "https://us.atlas.microsoft.com");
    (void)resumed;
}

int failures = 0;
void check(bool ok, const char* what) {
    std::printf("%s %s\n", ok ? "ok  " : "FAIL", what);
    if (!ok) ++failures;
}

} // namespace

int main() {
    azmaps::lro::emulator::config ecfg;
    ecfg.subscription_key = "<key>";
    azmaps::lro::emulator::server srv(ecfg);
    if (!srv.start()) return 2;
    lro::options opts;
    opts.default_poll_interval = std::chrono::milliseconds(50);
    const auto url = [&](const char* scenario, int i) {
        return srv.base_url() + "/mapData?api-version=2.0&retry_after_ms=50&running_polls=1&scenario=" + scenario +
               "&tag=" + std::to_string(i);
    };

    const lro::outcome blocking = run_blocking(url("succeed", 0), opts, "{}");
    check(blocking.ok() && blocking.resource_location.find("/mapData/metadata/") != std::string::npos, "blocking");
    const lro::outcome failing = run_blocking(url("fail", 1), opts, "{}");
    check(failing.end == lro::phase::failed && failing.error && failing.error->code == "InvalidFeature",
          "blocking, failed operation");

    std::vector<lro::outcome> many;
    const std::size_t n = run_many({url("succeed", 2), url("throttle-429", 3), url("cancel", 4)},
                                   std::make_shared<const lro::options>(opts), many);
    check(n == 3 && many.size() == 3 && many[0].ok() && many[1].ok() && many[2].end == lro::phase::canceled &&
              many[2].canceled_by == lro::cancel_source::server,
          "libcurl multi");

    {
        auto op = lro::operation::start("POST", url("succeed", 5), opts);
        boost::asio::io_context ioc;
        lro::asio::cancel_signal cancel;
        lro::outcome result;
        boost::asio::co_spawn(ioc, upload(*op, cancel, result), boost::asio::detached);
        ioc.run();
        check(result.ok() && result.source == lro::result_source::final, "asio coroutine");
    }
    {
        lro::curl::multi_driver drv;
        my_loop loop;
        const bool attached = host_in_loop(drv, loop);
        std::vector<lro::outcome> ends(2);
        for (int i = 0; i < 2; ++i) {
            auto op = lro::operation::start("POST", url(i == 0 ? "succeed" : "unavailable-503", 6 + i), opts);
            drv.add(std::move(*op), lro::curl::request_spec{"{}", {}, {}}, lro::curl::credentials{"<key>", false, {}, {}},
                    [&ends, i](std::uint64_t, lro::operation&, lro::curl::outcome& out) { ends[i] = out.result; });
        }
        const bool ran = loop.run([&] { return drv.size() == 0; });
        check(attached && ran && ends[0].ok() && ends[1].ok(), "libcurl multi inside a poll(2) loop");
    }
    {
        auto op = lro::operation::start("POST", url("succeed", 8), opts);
        restart(*op, "azlro1.not-a-token", opts); // the resume of a bad token is refused
    }
    int early = 0;
    for (const auto& rec : srv.operations()) early += rec.early_polls + rec.early_submits;
    check(early == 0 && srv.requests_without_key() == 0, "no early poll, every request keyed");
    return failures == 0 ? 0 : 1;
}
