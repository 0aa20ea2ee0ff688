// The smallest real use: start, feed a 202 and a Succeeded answer, expect the fetch.
#include <azmaps/lro.hpp>

#include <cstdio>
#include <variant>

int main() {
    using namespace azmaps::lro;
    auto op = operation::start("POST", "https://atlas.microsoft.com/mapData?api-version=2.0");
    if (!op) return 1;
    const header accepted[] = {{"Operation-Location", "https://atlas.microsoft.com/mapData/operations/1"}};
    auto a = op->on_response({202, accepted, ""}, time_point{});
    const auto* poll = std::get_if<send_request>(&a);
    if (!poll || poll->url != "https://atlas.microsoft.com/mapData/operations/1") return 2;
    const header done[] = {{"Resource-Location", "https://atlas.microsoft.com/mapData/metadata/9"}};
    a = op->on_response({200, done, R"({"status":"Succeeded"})"}, time_point{} + milliseconds(2000));
    const auto* fetch = std::get_if<send_request>(&a);
    if (!fetch || fetch->purpose != purpose::resource) return 3;
    std::puts("consumer ok");
    return 0;
}
