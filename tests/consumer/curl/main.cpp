// Built (not run: it would need a server) against azmaps::lro_curl: the drivers' headers
// compile and libcurl links.
#include <azmaps/lro/adapters/curl_easy.hpp>

#include <cstdio>

int main(int argc, char** argv) {
    namespace lro = azmaps::lro;
    if (argc < 2) {
        std::printf("user agent: %s\n", lro::curl::transfer_config{}.user_agent.c_str());
        return 0;
    }
    auto op = lro::operation::start("POST", argv[1]);
    if (!op) return 2;
    const lro::curl::outcome out = lro::curl::run(*op, lro::curl::request_spec{}, lro::curl::credentials{});
    return out.result.ok() ? 0 : 1;
}
