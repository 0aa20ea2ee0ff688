// lro_e2e_client: our side of the end-to-end benchmark (docs/performance.md). Submits N
// operations to an emulator running in another process and drives them to their end with one
// of our libcurl drivers, then prints one JSON line:
//   {"client":"ours-multi","operations":N,"succeeded":n,"failed":n,"other":n,"requests":n,
//    "wall_s":x,"cpu_user_s":x,"cpu_sys_s":x,"maxrss_kb":n}
// `requests` is counted by the client (curl::outcome::requests); CPU and RSS come from
// getrusage(RUSAGE_SELF). Exit 0 when every operation ended (whatever its outcome), else 1.
//
// Usage: lro_e2e_client --driver multi|easy --url SUBMIT_URL --count N [--key KEY]
//                       [--max-connections N]
// Each submit is POST SUBMIT_URL&tag=i (i = 0..N-1; `?tag=i` when the URL has no query).
// The easy driver runs the operations one after the other (the benchmark uses N = 1).
#include <azmaps/lro/adapters/curl_easy.hpp>
#include <azmaps/lro/adapters/curl_multi.hpp>

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

namespace lro = azmaps::lro;

namespace {

struct tally {
    std::size_t succeeded = 0, failed = 0, other = 0, ended = 0;
    std::uint64_t requests = 0;
    void add(const lro::curl::outcome& out) {
        requests += out.requests;
        if (out.interrupted) { ++other; return; }
        if (out.result.ended()) ++ended;
        if (out.result.end == lro::phase::succeeded) ++succeeded;
        else if (out.result.end == lro::phase::failed) ++failed;
        else ++other;
    }
};

int usage() {
    std::fprintf(stderr, "usage: lro_e2e_client --driver multi|easy --url SUBMIT_URL --count N [--key KEY] "
                         "[--max-connections N]\n");
    return 2;
}

double seconds(const timeval& tv) { return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6; }

} // namespace

int main(int argc, char** argv) {
    std::string driver = "multi", url, key;
    std::size_t count = 1;
    std::size_t max_connections = lro::curl::multi_config{}.max_connections;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (i + 1 >= argc) return usage();
        const char* v = argv[++i];
        if (a == "--driver") driver = v;
        else if (a == "--url") url = v;
        else if (a == "--count") count = std::strtoull(v, nullptr, 10);
        else if (a == "--key") key = v;
        else if (a == "--max-connections") max_connections = std::strtoull(v, nullptr, 10);
        else return usage();
    }
    if (url.empty() || count == 0 || (driver != "multi" && driver != "easy")) return usage();

    auto opts = std::make_shared<const lro::options>();
    auto spec = std::make_shared<const lro::curl::request_spec>();
    auto creds = std::make_shared<const lro::curl::credentials>();
    if (!key.empty()) {
        lro::curl::credentials c;
        c.subscription_key = key;
        creds = std::make_shared<const lro::curl::credentials>(std::move(c));
    }
    const char sep = url.find('?') == std::string::npos ? '?' : '&';

    tally t;
    const auto t0 = std::chrono::steady_clock::now();
    if (driver == "multi") {
        lro::curl::multi_config cfg;
        cfg.max_connections = max_connections;
        lro::curl::multi_driver drv(cfg);
        if (!drv.valid()) {
            std::fprintf(stderr, "lro_e2e_client: libcurl could not be initialised\n");
            return 1;
        }
        for (std::size_t i = 0; i < count; ++i) {
            auto op = lro::operation::start("POST", url + sep + "tag=" + std::to_string(i), opts);
            if (!op) {
                std::fprintf(stderr, "lro_e2e_client: the submit URL is refused\n");
                return 1;
            }
            drv.add(std::move(*op), spec, creds,
                    [&t](std::uint64_t, lro::operation&, lro::curl::outcome& out) { t.add(out); });
        }
        drv.run();
    } else {
        lro::curl::curl_detail::global_init();
        std::unique_ptr<CURL, void (*)(CURL*)> h(curl_easy_init(), &curl_easy_cleanup);
        if (!h) return 1;
        for (std::size_t i = 0; i < count; ++i) {
            auto op = lro::operation::start("POST", url + sep + "tag=" + std::to_string(i), opts);
            if (!op) {
                std::fprintf(stderr, "lro_e2e_client: the submit URL is refused\n");
                return 1;
            }
            t.add(lro::curl::run(h.get(), *op, *spec, *creds));
        }
    }
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    std::printf("{\"client\":\"ours-%s\",\"operations\":%zu,\"succeeded\":%zu,\"failed\":%zu,\"other\":%zu,"
                "\"requests\":%llu,\"wall_s\":%.6f,\"cpu_user_s\":%.6f,\"cpu_sys_s\":%.6f,\"maxrss_kb\":%ld}\n",
                driver.c_str(), count, t.succeeded, t.failed, t.other, static_cast<unsigned long long>(t.requests),
                wall, seconds(ru.ru_utime), seconds(ru.ru_stime), ru.ru_maxrss);
    std::fflush(stdout);
    return t.ended == count ? 0 : 1;
}
