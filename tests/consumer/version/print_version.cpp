// Prints the version as the headers define it, three ways, and (with libcurl) the drivers'
// default User-Agent; tests/consumer/version/check.cmake compares them with CMake's
// PROJECT_VERSION and `azmaps-lro --version`.
#include <azmaps/lro/version.hpp>
#if AZMAPS_LRO_WITH_CURL
#include <azmaps/lro/adapters/curl_common.hpp>
#endif

#include <cstdio>

int main() {
    constexpr azmaps::lro::version_info v = azmaps::lro::version();
    std::printf("macros %d.%d.%d\n", AZMAPS_LRO_VERSION_MAJOR, AZMAPS_LRO_VERSION_MINOR, AZMAPS_LRO_VERSION_PATCH);
    std::printf("string %s\n", AZMAPS_LRO_VERSION_STRING);
    std::printf("version() %d.%d.%d %s\n", v.major, v.minor, v.patch, v.text);
#if AZMAPS_LRO_WITH_CURL
    std::printf("user-agent %s\n", azmaps::lro::curl::transfer_config{}.user_agent.c_str());
#endif
    return 0;
}
