// azmaps-lro: the library's version, in one place. CMake's project(VERSION), the command's
// --version and the libcurl drivers' User-Agent all read it.
#ifndef AZMAPS_LRO_VERSION_HPP
#define AZMAPS_LRO_VERSION_HPP

#define AZMAPS_LRO_VERSION_MAJOR 0
#define AZMAPS_LRO_VERSION_MINOR 2
#define AZMAPS_LRO_VERSION_PATCH 0

#define AZMAPS_LRO_STRINGIFY_DETAIL(x) #x
#define AZMAPS_LRO_STRINGIFY(x) AZMAPS_LRO_STRINGIFY_DETAIL(x)
/// "MAJOR.MINOR.PATCH"
#define AZMAPS_LRO_VERSION_STRING                                                                  \
    AZMAPS_LRO_STRINGIFY(AZMAPS_LRO_VERSION_MAJOR)                                                 \
    "." AZMAPS_LRO_STRINGIFY(AZMAPS_LRO_VERSION_MINOR) "." AZMAPS_LRO_STRINGIFY(AZMAPS_LRO_VERSION_PATCH)

namespace azmaps::lro {

/// The library's version as numbers and text.
struct version_info {
    int major;        ///< AZMAPS_LRO_VERSION_MAJOR: incompatible changes (before 1.0, the minor too)
    int minor;        ///< AZMAPS_LRO_VERSION_MINOR
    int patch;        ///< AZMAPS_LRO_VERSION_PATCH: fixes only
    const char* text; ///< AZMAPS_LRO_VERSION_STRING, "MAJOR.MINOR.PATCH"
};

/// The version of the headers in use.
constexpr version_info version() noexcept {
    return {AZMAPS_LRO_VERSION_MAJOR, AZMAPS_LRO_VERSION_MINOR, AZMAPS_LRO_VERSION_PATCH, AZMAPS_LRO_VERSION_STRING};
}

} // namespace azmaps::lro

#endif
