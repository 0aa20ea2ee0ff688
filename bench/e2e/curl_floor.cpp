// lro_e2e_curl_floor: what libcurl itself costs per request, the floor under our drivers'
// CPU per poll (docs/performance.md). Plain keep-alive GETs of one URL, no machine, no
// driver: the easy loop reuses one handle (one connection); the multi loop keeps P handles
// busy on one multi handle (P connections) and re-adds each handle as it finishes, with a
// header list, a header callback and a write callback doing as little as libcurl allows.
// Prints one JSON line: {"floor":"easy"|"multi","requests":n,"ok":n,"wall_s":x,"cpu_user_s":x,
// "cpu_sys_s":x,"cpu_us_per_request":x}.
//
// Usage: lro_e2e_curl_floor --url URL --requests N [--key KEY] [--parallel P]
//   --parallel 0 (default): the easy loop; P >= 1: the multi loop with P handles.
#include <curl/curl.h>

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

std::size_t sink(char*, std::size_t size, std::size_t n, void* user) {
    *static_cast<std::size_t*>(user) += size * n;
    return size * n;
}

double cpu_seconds(bool user) {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    const timeval& tv = user ? ru.ru_utime : ru.ru_stime;
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
}

void setup(CURL* h, const std::string& url, curl_slist* hdrs, std::size_t* bytes) {
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &sink);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, bytes);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &sink);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, bytes);
}

} // namespace

int main(int argc, char** argv) {
    std::string url, key;
    long requests = 1000, parallel = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        if (a == "--url") url = argv[i + 1];
        else if (a == "--requests") requests = std::atol(argv[i + 1]);
        else if (a == "--key") key = argv[i + 1];
        else if (a == "--parallel") parallel = std::atol(argv[i + 1]);
        else return 2;
    }
    if (url.empty() || requests <= 0) {
        std::fprintf(stderr, "usage: lro_e2e_curl_floor --url URL --requests N [--key KEY] [--parallel P]\n");
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    curl_slist* hdrs = key.empty() ? nullptr : curl_slist_append(nullptr, ("subscription-key: " + key).c_str());
    std::size_t bytes = 0;
    long ok = 0, done = 0;
    const double u0 = cpu_seconds(true), s0 = cpu_seconds(false);
    const auto t0 = std::chrono::steady_clock::now();
    if (parallel <= 0) {
        CURL* h = curl_easy_init();
        setup(h, url, hdrs, &bytes);
        for (; done < requests; ++done)
            if (curl_easy_perform(h) == CURLE_OK) ++ok;
        curl_easy_cleanup(h);
    } else {
        CURLM* m = curl_multi_init();
        std::vector<CURL*> hs;
        long started = 0;
        for (long i = 0; i < parallel && started < requests; ++i, ++started) {
            CURL* h = curl_easy_init();
            setup(h, url, hdrs, &bytes);
            curl_multi_add_handle(m, h);
            hs.push_back(h);
        }
        int running = 0;
        while (done < requests) {
            curl_multi_perform(m, &running);
            int left = 0;
            while (CURLMsg* msg = curl_multi_info_read(m, &left)) {
                if (msg->msg != CURLMSG_DONE) continue;
                CURL* h = msg->easy_handle;
                ++done;
                if (msg->data.result == CURLE_OK) ++ok;
                curl_multi_remove_handle(m, h);
                if (started < requests) {
                    ++started;
                    curl_multi_add_handle(m, h);
                }
            }
            if (done < requests) curl_multi_poll(m, nullptr, 0, 1000, nullptr);
        }
        for (CURL* h : hs) curl_easy_cleanup(h);
        curl_multi_cleanup(m);
    }
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double u = cpu_seconds(true) - u0, s = cpu_seconds(false) - s0;
    std::printf("{\"floor\":\"%s\",\"requests\":%ld,\"ok\":%ld,\"wall_s\":%.6f,\"cpu_user_s\":%.6f,\"cpu_sys_s\":%.6f,"
                "\"cpu_us_per_request\":%.3f}\n",
                parallel <= 0 ? "easy" : "multi", done, ok, wall, u, s, (u + s) * 1e6 / static_cast<double>(done));
    curl_slist_free_all(hdrs);
    curl_global_cleanup();
    return ok == done ? 0 : 1;
}
