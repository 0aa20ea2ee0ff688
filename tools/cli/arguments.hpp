// The readers of command-line values that `azmaps-lro` and `azmaps-lro fleet` share: durations
// and request bodies (`-d DATA`, `@FILE`, `@-`).
#pragma once

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <string>

namespace azmaps::lro::cli_text {

/// "90s", "10m", "1h", "2d", "500ms", "1.5s", "30" (seconds); nullopt for anything else and for
/// more than 10^12 ms (so the result always fits the machine's clock arithmetic).
inline std::optional<std::chrono::milliseconds> parse_duration(const std::string& s) {
    if (s.empty()) return std::nullopt;
    std::size_t i = 0;
    double v = 0;
    bool digits = false;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        v = v * 10 + (s[i++] - '0');
        digits = true;
    }
    if (i < s.size() && s[i] == '.') {
        ++i;
        double scale = 0.1;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
            v += (s[i++] - '0') * scale;
            scale /= 10;
            digits = true;
        }
    }
    if (!digits) return std::nullopt;
    const std::string unit = s.substr(i);
    double ms = 0;
    if (unit.empty() || unit == "s") ms = v * 1000;
    else if (unit == "ms") ms = v;
    else if (unit == "m" || unit == "min") ms = v * 60000;
    else if (unit == "h") ms = v * 3600000;
    else if (unit == "d") ms = v * 86400000;
    else return std::nullopt;
    if (ms > 1e12) return std::nullopt;
    return std::chrono::milliseconds(static_cast<std::int64_t>(ms));
}

/// `-d` values: the text itself, `@FILE` the file's bytes, `@-` standard input.
inline bool read_data(const std::string& arg, std::string& out, std::string& err) {
    if (arg.empty() || arg[0] != '@') {
        out = arg;
        return true;
    }
    const std::string path = arg.substr(1);
    if (path == "-") {
        out.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
        return true;
    }
    std::ifstream f(path, std::ios::binary);
    if (!f) {
        err = "cannot read " + path + ": " + std::strerror(errno);
        return false;
    }
    out.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    return true;
}

} // namespace azmaps::lro::cli_text
