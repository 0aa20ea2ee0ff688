// End-to-end: libcurl's multi driver inside an outside event loop (Boost.Asio): the loop
// watches libcurl's sockets and one timer (`attach_loop`), and reports back through
// `on_socket_event` / `on_timer`; nothing blocks in curl_multi_poll. Operations of every
// scenario against the emulator must each end once, as scripted, with exactly the requests
// the emulator recorded and none early.
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <azmaps/lro/adapters/curl_multi.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "e2e_support.hpp"

namespace {

using namespace e2e;
namespace net = boost::asio;

/// The glue: libcurl's sockets as Asio descriptors (never owned: released, not closed), and
/// one steady_timer. This is all an Asio program needs to host the multi driver.
class asio_curl_loop {
public:
    explicit asio_curl_loop(net::io_context& ioc) : ioc_(ioc), timer_(ioc) {}
    ~asio_curl_loop() { timer_.cancel(); }

    template <class Driver>
    bool attach(Driver& drv) {
        typename Driver::loop_hooks hooks;
        hooks.watch = [this, &drv](curl_socket_t fd, int what) { watch(drv, fd, what); };
        hooks.set_timer = [this, &drv](long ms) {
            timer_.cancel();
            ++timer_sets;
            if (ms < 0) return;
            timer_.expires_after(std::chrono::milliseconds(ms));
            timer_.async_wait([&drv](const boost::system::error_code& ec) {
                if (!ec) drv.on_timer();
            });
        };
        return drv.attach_loop(std::move(hooks));
    }

    std::size_t watched() const { return sockets_.size(); }
    std::size_t socket_events = 0, timer_sets = 0, max_watched = 0;

private:
    struct watcher {
        explicit watcher(net::io_context& ioc, curl_socket_t fd) : sd(ioc, fd) {}
        ~watcher() { sd.release(); } // libcurl owns and closes the descriptor
        net::posix::stream_descriptor sd;
        int what = 0;
        bool reading = false, writing = false;
    };

    template <class Driver>
    void watch(Driver& drv, curl_socket_t fd, int what) {
        if (what == CURL_POLL_REMOVE) {
            auto it = sockets_.find(fd);
            if (it != sockets_.end()) {
                it->second->what = 0;
                it->second->sd.release(); // deregisters now: libcurl may reuse the number at once
                sockets_.erase(it);
            }
            return;
        }
        auto& w = sockets_[fd];
        if (!w) w = std::make_shared<watcher>(ioc_, fd);
        w->what = what;
        max_watched = std::max(max_watched, sockets_.size());
        arm(drv, w, fd);
    }

    template <class Driver>
    void arm(Driver& drv, const std::shared_ptr<watcher>& w, curl_socket_t fd) {
        if ((w->what & CURL_POLL_IN) && !w->reading) {
            w->reading = true;
            w->sd.async_wait(net::posix::stream_descriptor::wait_read, [this, &drv, w, fd](const boost::system::error_code& ec) {
                w->reading = false;
                if (ec || !(w->what & CURL_POLL_IN)) return;
                ++socket_events;
                drv.on_socket_event(fd, CURL_CSELECT_IN);
                if (still(fd, w)) arm(drv, w, fd);
            });
        }
        if ((w->what & CURL_POLL_OUT) && !w->writing) {
            w->writing = true;
            w->sd.async_wait(net::posix::stream_descriptor::wait_write, [this, &drv, w, fd](const boost::system::error_code& ec) {
                w->writing = false;
                if (ec || !(w->what & CURL_POLL_OUT)) return;
                ++socket_events;
                drv.on_socket_event(fd, CURL_CSELECT_OUT);
                if (still(fd, w)) arm(drv, w, fd);
            });
        }
    }

    bool still(curl_socket_t fd, const std::shared_ptr<watcher>& w) const {
        auto it = sockets_.find(fd);
        return it != sockets_.end() && it->second == w;
    }

    net::io_context& ioc_;
    net::steady_timer timer_;
    std::map<curl_socket_t, std::shared_ptr<watcher>> sockets_;
};

std::string tag_of(const emu::server::operation_record& rec) {
    if (rec.requests.empty()) return {};
    const std::string& q = rec.requests.front().query;
    const std::size_t p = q.find("tag=");
    if (p == std::string::npos) return {};
    return q.substr(p + 4, q.find('&', p) - (p + 4));
}

void run_in_loop(std::size_t count, std::size_t max_connections) {
    emu::config ecfg;
    ecfg.subscription_key = "e2e-key";
    emu::server srv(ecfg);
    ASSERT_TRUE(srv.start());
    timing t;
    const std::vector<scenario>& all = emu::all_scenarios();
    auto creds = std::make_shared<const lro::curl::credentials>(lro::curl::credentials{"e2e-key", false, {}, {}});
    auto spec = std::make_shared<const lro::curl::request_spec>();
    auto opts_v1 = std::make_shared<const lro::options>(fast_options(srv, 1));
    auto opts_v2 = std::make_shared<const lro::options>(fast_options(srv, 2));

    net::io_context ioc(1);
    asio_curl_loop loop(ioc);
    lro::curl::multi_config cfg;
    cfg.max_connections = max_connections;
    lro::curl::multi_driver drv(cfg);
    ASSERT_TRUE(drv.valid());
    ASSERT_TRUE(loop.attach(drv));
    ASSERT_TRUE(drv.in_loop());

    std::vector<int> completions(count, 0);
    std::vector<seen> got(count);
    std::vector<scenario> kinds(count);
    std::vector<int> versions(count);
    std::size_t ended = 0;
    for (std::size_t i = 0; i < count; ++i) {
        kinds[i] = all[i % all.size()];
        versions[i] = (i / all.size()) % 2 == 0 ? 2 : 1;
        auto op = lro::operation::start("POST", srv.base_url() + submit_path(kinds[i], versions[i], t, std::to_string(i)),
                                        versions[i] == 1 ? opts_v1 : opts_v2);
        ASSERT_TRUE(op);
        drv.add(std::move(*op), spec, creds, [&, i](std::uint64_t, lro::operation& m, lro::curl::outcome& out) {
            ++completions[i];
            got[i] = capture(m, out);
            if (++ended == count) ioc.stop(); // idle kept-alive connections stay watched
        });
    }
    ioc.run(); // the only loop: Asio's
    EXPECT_EQ(ended, count);
    EXPECT_EQ(drv.size(), 0u);
    EXPECT_LE(drv.peak_in_flight(), max_connections);
    EXPECT_GT(loop.socket_events, 0u);
    EXPECT_GT(loop.timer_sets, 0u);
    EXPECT_GT(loop.max_watched, 0u);

    for (std::size_t i = 0; i < count; ++i) {
        ASSERT_EQ(completions[i], 1) << "operation " << i;
        expect_outcome(kinds[i], versions[i], got[i], "op " + std::to_string(i));
    }
    std::size_t matched = 0;
    for (const auto& rec : srv.operations()) {
        const std::string tag = tag_of(rec);
        ASSERT_FALSE(tag.empty()) << rec.id;
        const std::size_t i = std::stoul(tag);
        ASSERT_LT(i, count);
        expect_record(kinds[i], rec, got[i], t, "op " + tag);
        ++matched;
    }
    std::size_t rejected = 0;
    for (std::size_t i = 0; i < count; ++i) rejected += kinds[i] == scenario::fail_submit_400 ? 1 : 0;
    EXPECT_EQ(matched + rejected, count);
    EXPECT_EQ(srv.requests_without_key(), 0);
    EXPECT_EQ(srv.foreign_origin_key_requests(), 0);
}

TEST(EventLoopE2E, MultiDriverInsideAsioEndsEveryOperationOnce) { run_in_loop(360, 64); }

TEST(EventLoopE2E, OneConnectionStillServesEveryOperationInTurn) { run_in_loop(36, 1); }

TEST(EventLoopE2E, AttachNeedsBothHooks) {
    lro::curl::multi_driver drv;
    lro::curl::multi_driver::loop_hooks hooks;
    hooks.watch = [](curl_socket_t, int) {};
    EXPECT_FALSE(drv.attach_loop(hooks));
    EXPECT_FALSE(drv.in_loop());
}

} // namespace
