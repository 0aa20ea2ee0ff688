// examples/curl_loop.cpp -- the README's loop on libcurl's easy interface, by hand.
//   curl_loop SUBMIT_URL KEY [BODY]
// The drivers in include/azmaps/lro/adapters/ do the same with body limits, timeouts, wall
// clock, progress, interruption, Authorization, and a multi driver for thousands at once.
#include <azmaps/lro.hpp>
#include <curl/curl.h>

#include <cstdio>
#include <deque>
#include <string>
#include <thread>
#include <vector>

namespace lro = azmaps::lro;

struct answer {                        // what came back: headers in order (as views), body
    std::deque<std::string> text;      // a deque never moves its strings
    std::vector<lro::header> headers;
    std::string body;
};

static std::size_t on_body(char* p, std::size_t size, std::size_t n, void* a) {
    static_cast<answer*>(a)->body.append(p, size * n);
    return size * n;
}

static std::size_t on_header(char* p, std::size_t size, std::size_t n, void* out) {
    auto& a = *static_cast<answer*>(out);
    std::string line(p, size * n);
    line.erase(line.find_last_not_of(" \t\r\n") + 1);
    const std::size_t colon = line.find(':'), value = line.find_first_not_of(" \t", colon + 1);
    if (line.rfind("HTTP/", 0) == 0) a.headers.clear(); // a new response block starts over
    if (line.rfind("HTTP/", 0) == 0 || colon == std::string::npos) return size * n;
    a.text.push_back(line.substr(0, colon));
    a.text.push_back(value == std::string::npos ? "" : line.substr(value));
    a.headers.push_back({a.text[a.text.size() - 2], a.text.back()});
    return size * n;
}

int main(int argc, char** argv) {
    if (argc < 3) return std::fprintf(stderr, "usage: curl_loop SUBMIT_URL KEY [BODY]\n"), 2;
    const std::string key = std::string("subscription-key: ") + argv[2], body = argc > 3 ? argv[3] : "";
    auto op = lro::operation::start("POST", argv[1]);
    if (!op) return 2;
    CURL* h = curl_easy_init();
    for (lro::send_request req = *op->pending_request();;) {           // the submit comes first
        std::this_thread::sleep_until(req.not_before);                   // delay 0 for the submit
        answer a;
        curl_slist* keys = req.same_origin ? curl_slist_append(nullptr, key.c_str()) : nullptr;  // keys stay home
        curl_easy_reset(h);
        curl_easy_setopt(h, CURLOPT_URL, std::string(req.url).c_str()); // libcurl copies strings
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, std::string(req.method).c_str());
        if (req.purpose == lro::purpose::submit) curl_easy_setopt(h, CURLOPT_COPYPOSTFIELDS, body.c_str());
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, keys);
        curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(h, CURLOPT_HEADERDATA, &a);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &a);
        const CURLcode rc = curl_easy_perform(h);
        curl_slist_free_all(keys);
        long status = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        lro::action next = rc == CURLE_OK
            ? op->on_response({static_cast<int>(status), a.headers, a.body}, lro::clock::now(), std::chrono::system_clock::now())
            : op->on_transport_error(lro::transport_error::connection_reset, lro::clock::now());
        if (auto* r = std::get_if<lro::send_request>(&next)) { req = *r; continue; }
        if (auto* s = std::get_if<lro::succeeded>(&next)) std::printf("succeeded: %s\n", std::string(s->resource_location).c_str());
        if (auto* f = std::get_if<lro::failed>(&next)) std::printf("failed: %s\n", std::string(f->detail).c_str());
        curl_easy_cleanup(h);
        return std::holds_alternative<lro::succeeded>(next) ? 0 : 1;
    }
}
