// fuzz_token: operation::resume() on arbitrary text, and on structurally valid tokens (framed,
// with a correct CRC) built from the input so that every field check is reached.
//
// Invariants checked (abort() on violation):
//  - resume() returns a machine or an errc, never crashes;
//  - a resumed machine is polling or fetching, its pending request's URL obeys the origin rules
//    of the options (same_origin exactly when the origin is the token's), and its token
//    round-trips: resume(save(m)) succeeds and saves the same text;
//  - a resumed machine takes a status answer (delay within bounds, absolute URL) and a cancel.
#include <fuzzer/FuzzedDataProvider.h> // copied from clang's resource directory (CMakeLists.txt)

#include <azmaps/lro/operation.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace {
namespace lro = azmaps::lro;
namespace d = azmaps::lro::detail;

[[noreturn]] void violation(const std::string& what) {
    std::fprintf(stderr, "fuzz_token: invariant broken: %s\n", what.c_str());
    std::abort();
}

std::string structured_token(FuzzedDataProvider& in) {
    static const char* const origins[] = {"https://atlas.microsoft.com:443", "http://atlas.microsoft.com:80",
                                          "https://eu.atlas.microsoft.com:443", "https://atlas.microsoft.com",
                                          "https://[::1]:443", "HTTPS://atlas.microsoft.com:443"};
    static const char* const urls[] = {"https://atlas.microsoft.com/mapData/operations/1?api-version=2.0",
                                       "https://eu.atlas.microsoft.com/x", "http://atlas.microsoft.com/x",
                                       "https://evil.example/x", "https://atlas.microsoft.com:8443/x",
                                       "/relative", "", "https://u@atlas.microsoft.com/", "https://[::1]/y"};
    std::string payload;
    const auto u8 = [&](int lo, int hi) { payload.push_back(static_cast<char>(in.ConsumeIntegralInRange<int>(lo, hi))); };
    u8(0, 3);   // policy id
    u8(0, 4);   // version
    u8(0, 7);   // phase
    u8(0, 4);   // flags
    for (int i = 0; i < 4; ++i) {
        const std::uint8_t mode = in.ConsumeIntegral<std::uint8_t>();
        d::put_varint(payload, mode < 200 ? in.ConsumeIntegralInRange<std::uint64_t>(0, 100000) : in.ConsumeIntegral<std::uint64_t>());
    }
    d::put_u64(payload, in.ConsumeIntegral<std::uint64_t>());
    const auto str = [&](const char* const* table, int n) {
        const std::uint8_t mode = in.ConsumeIntegral<std::uint8_t>();
        if (mode < 200) d::put_bytes(payload, table[in.ConsumeIntegralInRange<int>(0, n - 1)]);
        else d::put_bytes(payload, in.ConsumeRandomLengthString(60));
    };
    str(origins, 6);
    str(urls, 9);
    str(urls, 9);
    for (int i = 0; i < 3; ++i) d::put_bytes(payload, in.ConsumeRandomLengthString(30));
    if (in.ConsumeIntegral<std::uint8_t>() > 250) payload += in.ConsumeRandomLengthString(4);
    std::string framed;
    d::put_varint(framed, payload.size());
    framed += payload;
    d::put_u64(framed, d::crc32(payload));
    std::string token = "azlro1.";
    d::base64url_encode(framed, token);
    return token;
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // Byte 0 is the mode (options, trusted origin, raw or structured token); the rest feeds
    // FuzzedDataProvider (raw mode: it is the token text, so seeds are "\x00" + a token).
    if (size == 0) return 0;
    const std::uint8_t mode = data[0];
    FuzzedDataProvider in(data + 1, size - 1);
    lro::options opts;
    if (mode & 2) opts.allowed_origins = {"https://eu.atlas.microsoft.com"};
    if (mode & 4) opts.allow_any_origin = true;
    if (mode & 8) opts.allow_insecure = true;
    if (mode & 16) opts.version = lro::protocol_version::v1;
    if (mode & 32) opts.max_url_length = 40;
    // resume() always takes the caller's submit origin (docs/decisions.md 8).
    const std::string trusted = (mode & 64) ? "https://atlas.microsoft.com" : "https://us.atlas.microsoft.com";
    const std::string token = (mode & 1) ? structured_token(in) : in.ConsumeRemainingBytesAsString();
    const lro::time_point now{std::chrono::milliseconds(
        (mode & 128) ? in.ConsumeIntegralInRange<std::int64_t>(-4'000'000'000'000, 4'000'000'000'000) : 1'000'000)};

    auto r = lro::operation::resume(token, opts, now, trusted);
    if (!r) {
        if (r.error() == lro::errc::ok) violation("refused with errc::ok");
        return 0;
    }
    lro::operation& m = *r;
    if (m.current_phase() != lro::phase::polling && m.current_phase() != lro::phase::fetching)
        violation("a resumed machine is not polling or fetching");
    const auto p = m.pending_request();
    if (!p) violation("a resumed machine has no pending request");
    // Origin rules of the options: another origin only when allowed; with a trusted origin,
    // same_origin means that origin.
    d::origin o;
    if (!d::parse_origin(p->url, o)) violation("a resumed request URL is not absolute");
    if (!p->same_origin) {
        bool allowed = opts.allow_any_origin;
        for (const auto& e : opts.allowed_origins) allowed = allowed || d::origin_matches(o, e);
        if (!allowed) violation("a resumed request on another origin that the options do not allow");
    } else if (!d::origin_matches(o, trusted)) {
        violation("same_origin on a URL outside the trusted origin");
    }
    const auto again = m.save();
    if (!again) violation("a resumed machine cannot save");
    auto r2 = lro::operation::resume(*again, opts, now, trusted);
    if (!r2) violation("resume(save(resume(t))) refused: " + std::string(lro::to_string(r2.error())));
    const auto third = r2->save();
    if (!third || *third != *again) violation("save() is not stable across resume");

    // Take one status answer and check the invariants.
    static const lro::header hs[] = {{"Retry-After", "5"}, {"Operation-Location", "/mapData/operations/2"}};
    const lro::response_view running{200, lro::header_span(hs), R"({"status":"Running","operationId":"x"})"};
    const lro::action a = m.on_response(running, now + std::chrono::seconds(1));
    if (const auto* s = std::get_if<lro::send_request>(&a)) {
        if (s->delay < opts.min_poll_interval || s->delay > opts.max_poll_interval) violation("a delay outside [min, max]");
        d::origin t;
        if (!d::parse_origin(s->url, t)) violation("a followed URL is not absolute");
    }
    const lro::action b = m.cancel(now + std::chrono::seconds(2));
    if (lro::is_terminal(a) ? !std::holds_alternative<lro::refused>(b) : !std::holds_alternative<lro::canceled>(b))
        violation("cancel after resume misbehaved");
    return 0;
}
