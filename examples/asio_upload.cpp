// `co_await` one Azure Maps Creator operation on Boost.Asio (adapters/asio.hpp), with Ctrl-C
// canceling it (canceled{client}) and the owning outcome printed at the end.
//
//   asio_upload URL KEY [BODY]       e.g. asio_upload 'http://127.0.0.1:8080/mapData?api-version=2.0' demo-key
//
// Build: CMake target `azmaps::lro_asio` (C++20, Boost >= 1.74, OpenSSL).
#include <utility> // before Asio (Boost 1.74 + g++ 12)

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <azmaps/lro.hpp>
#include <azmaps/lro/adapters/asio.hpp>

#include <cstdio>
#include <string>

namespace lro = azmaps::lro;
namespace net = boost::asio;

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s URL KEY [BODY]\n", argv[0]);
        return 2;
    }
    auto op = lro::operation::start("POST", argv[1], lro::options{});
    if (!op) {
        std::fprintf(stderr, "cannot start: %s\n", std::string(lro::message(op.error())).c_str());
        return 2;
    }
    net::io_context ioc(1);
    lro::asio::cancel_signal cancel;
    net::signal_set signals(ioc, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code& ec, int) {
        if (!ec) cancel.emit();
    });
    lro::asio::outcome out;
    net::co_spawn(ioc, [&]() -> net::awaitable<void> {
        lro::asio::request_spec spec;
        spec.body = argc > 3 ? argv[3] : "";
        lro::asio::credentials creds;
        creds.subscription_key = argv[2];
        const lro::asio::config cfg; // named: GCC 12 mishandles class temporaries in co_await operands
        out = co_await lro::asio::async_run(*op, spec, creds, cfg, &cancel);
        signals.cancel(); // nothing left to cancel: let run() return
    }, net::detached);
    ioc.run();

    const lro::outcome& r = out.result;
    std::printf("%s after %u requests\n", std::string(lro::to_string(r.end)).c_str(), out.requests);
    if (r.ok()) {
        std::printf("result: %s\n", r.resource_location.c_str());
        if (!out.body.empty()) std::printf("%s\n", out.body.c_str());
    } else if (r.end == lro::phase::failed) {
        std::printf("%s: %s\n", std::string(lro::to_string(r.reason)).c_str(), r.detail.c_str());
    }
    return r.ok() ? 0 : 1;
}
