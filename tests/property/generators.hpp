// RapidCheck generators for realistic and hostile exchanges with the machine.
#ifndef AZMAPS_LRO_PROPERTY_GENERATORS_HPP
#define AZMAPS_LRO_PROPERTY_GENERATORS_HPP

#include "lro_invariants.hpp"

#include <azmaps/lro/detail/http_date.hpp>
#include <azmaps/lro/operation.hpp>

#include <nlohmann/json.hpp>
#include <rapidcheck.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace lro_prop {

namespace lro = azmaps::lro;
using std::chrono::milliseconds;

// --- formatting the three HTTP-date forms (RFC 9110 5.6.7) ------------------------------------
inline const char* const short_days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
inline const char* const long_days[] = {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};
inline const char* const month_names[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

struct broken_down {
    std::int64_t year;
    unsigned month, day, hour, minute, second, weekday;
};

inline broken_down break_down(std::int64_t unix_s) {
    namespace h = azmaps::lro::detail;
    const std::int64_t days = h::floor_div(unix_s, 86400);
    const std::int64_t secs = unix_s - days * 86400;
    const auto c = h::civil_from_days(days);
    return {c.year, c.month, c.day, static_cast<unsigned>(secs / 3600), static_cast<unsigned>(secs % 3600 / 60),
            static_cast<unsigned>(secs % 60), static_cast<unsigned>(((days % 7) + 7 + 4) % 7)};
}

inline std::string two(unsigned v) {
    return std::string{static_cast<char>('0' + v / 10 % 10), static_cast<char>('0' + v % 10)};
}
inline std::string four(std::int64_t v) { return two(static_cast<unsigned>(v / 100)) + two(static_cast<unsigned>(v % 100)); }

inline std::string format_rfc850(std::int64_t unix_s) {
    const broken_down b = break_down(unix_s);
    return std::string(long_days[b.weekday]) + ", " + two(b.day) + "-" + month_names[b.month - 1] + "-" +
           two(static_cast<unsigned>(b.year % 100)) + " " + two(b.hour) + ":" + two(b.minute) + ":" + two(b.second) + " GMT";
}

inline std::string format_asctime(std::int64_t unix_s) {
    const broken_down b = break_down(unix_s);
    std::string day = b.day < 10 ? " " + std::to_string(b.day) : std::to_string(b.day);
    return std::string(short_days[b.weekday]) + " " + month_names[b.month - 1] + " " + day + " " + two(b.hour) + ":" +
           two(b.minute) + ":" + two(b.second) + " " + four(b.year);
}

// --- exchanges ---------------------------------------------------------------------------------

/// One input of a generated exchange, with owned bytes.
struct step {
    enum class kind { response, transport_error, cancel } what = kind::response;
    int status = 200;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::optional<std::int64_t> wall_ms;
    lro::transport_error error = lro::transport_error::other;
    int time_mode = 0;   // 0: honour the pending delay, 1: forward dt, 2: backwards dt, 3: huge jump, 4: same now
    std::int64_t dt_ms = 0;
};

inline std::string describe(const step& s) {
    std::string out;
    if (s.what == step::kind::cancel) out = "cancel";
    else if (s.what == step::kind::transport_error) out = "transport_error(" + std::string(lro::to_string(s.error)) + ")";
    else {
        out = std::to_string(s.status);
        for (const auto& h : s.headers) out += " [" + h.first + ": " + h.second + "]";
        out += " " + s.body;
    }
    return out + " (time " + std::to_string(s.time_mode) + "/" + std::to_string(s.dt_ms) + ")";
}

inline rc::Gen<int> gen_status() {
    return rc::gen::weightedOneOf<int>({
        {60, rc::gen::weightedElement<int>({{30, 200}, {6, 201}, {20, 202}, {4, 400}, {2, 401}, {2, 403}, {3, 404},
                                            {2, 408}, {2, 410}, {5, 429}, {3, 500}, {2, 502}, {4, 503}, {2, 504},
                                            {1, 204}, {1, 299}, {1, 300}, {1, 0}, {1, -1}, {1, 999}})},
        {1, rc::gen::arbitrary<int>()},
    });
}

inline std::string random_case(std::string s, std::uint32_t bits) {
    for (std::size_t i = 0; i < s.size(); ++i) {
        char& c = s[i];
        const bool up = ((bits >> (i % 32)) & 1) != 0;
        if (up && c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
        if (!up && c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    }
    return s;
}

inline rc::Gen<std::string> gen_header_name() {
    return rc::gen::weightedOneOf<std::string>({
        {12, rc::gen::element<std::string>("Operation-Location", "Location", "Resource-Location", "Retry-After",
                                           "retry-after-ms", "x-ms-retry-after-ms", "Date", "x-ms-error-code",
                                           "Content-Type")},
        {3, rc::gen::apply([](std::string n, std::uint32_t bits) { return random_case(std::move(n), bits); },
                           rc::gen::element<std::string>("operation-location", "LOCATION", "Retry-After", "DATE",
                                                         "Resource-Location", "Retry-After-Ms"),
                           rc::gen::arbitrary<std::uint32_t>())},
        {1, rc::gen::arbitrary<std::string>()},
    });
}

/// Unix seconds between years 1900 and 2200.
inline rc::Gen<std::int64_t> gen_unix_s() { return rc::gen::inRange<std::int64_t>(-2208988800, 7258118400); }

inline rc::Gen<std::string> gen_retry_after_value() {
    return rc::gen::weightedOneOf<std::string>({
        {6, rc::gen::map(rc::gen::inRange<std::int64_t>(0, 400), [](std::int64_t v) { return std::to_string(v); })},
        {2, rc::gen::map(rc::gen::inRange<std::int64_t>(0, 400000), [](std::int64_t v) { return std::to_string(v); })},
        {2, rc::gen::map(gen_unix_s(), [](std::int64_t s) { return azmaps::lro::detail::format_imf_fixdate(s); })},
        {1, rc::gen::map(gen_unix_s(), [](std::int64_t s) { return format_rfc850(s); })},
        {1, rc::gen::map(gen_unix_s(), [](std::int64_t s) { return format_asctime(s); })},
        {2, rc::gen::element<std::string>("", " 5 ", "\t7", "-1", "1.5", "+3", "0x10", "99999999999999999999999",
                                          "18446744073709551616", "Sun, 06 Nov 1994 08:49:37 UTC", "soon",
                                          "Mon, 30 Feb 2024 00:00:00 GMT", "Fri, 31 Dec 1999 23:59:60 GMT")},
        {1, rc::gen::arbitrary<std::string>()},
    });
}

inline rc::Gen<std::string> gen_url() {
    return rc::gen::weightedOneOf<std::string>({
        {10, rc::gen::apply([](std::string prefix, int id) { return prefix + std::to_string(id); },
                            rc::gen::element<std::string>(
                                "https://atlas.microsoft.com/mapData/operations/", "https://us.atlas.microsoft.com/tilesets/",
                                "/mapData/operations/", "operations/", "../up/", "./", "?api-version=2.0&id=",
                                "//atlas.microsoft.com/x/", "https://ATLAS.microsoft.com:443/x/",
                                "\"https://atlas.microsoft.com/tileset/", " https://atlas.microsoft.com/sp/",
                                "https://eu.atlas.microsoft.com/x/", "http://atlas.microsoft.com/x/"),
                            rc::gen::inRange(0, 1000))},
        {4, rc::gen::element<std::string>(
                "https://evil.example/steal", "//evil.example/x", "http://atlas.microsoft.com/downgrade",
                "https://user:pw@atlas.microsoft.com/x", "ftp://atlas.microsoft.com/x", "javascript:alert(1)",
                "https:relative", "https://atlas.microsoft.com/a b", "https://atlas.microsoft.com/a\x01",
                "https://atlas.microsoft.com\\@evil.example/", "\"\"", "\"", "", "   ", "https://atlas.microsoft.com:0/",
                "https://atlas.microsoft.com:99999/", "https://[::1]/x", "#frag", "?", "https://atlas.microsoft.com./x",
                "\"https://atlas.microsoft.com/tileset/{tileset-id}\"", "https://atlas.microsoft.com/\x7f")},
        {1, rc::gen::map(rc::gen::inRange(8000, 9000),
                         [](int n) { return "https://atlas.microsoft.com/" + std::string(static_cast<std::size_t>(n), 'a'); })},
        {1, rc::gen::arbitrary<std::string>()},
    });
}

inline rc::Gen<std::pair<std::string, std::string>> gen_header() {
    return rc::gen::mapcat(gen_header_name(), [](std::string name) {
        const std::string lower = random_case(name, 0);
        rc::Gen<std::string> value = rc::gen::arbitrary<std::string>();
        if (lower.find("retry-after") != std::string::npos || lower == "date") value = gen_retry_after_value();
        else if (lower.find("location") != std::string::npos) value = gen_url();
        else if (lower == "x-ms-error-code") value = rc::gen::element<std::string>("Throttled", " \"Quoted\" ", "", "E\x01");
        return rc::gen::map(value, [name](std::string v) { return std::make_pair(name, std::move(v)); });
    });
}

/// A JSON value, as nlohmann::json (depth-bounded).
inline rc::Gen<nlohmann::json> gen_json(int depth);

inline rc::Gen<std::string> gen_json_text_string() {
    return rc::gen::weightedOneOf<std::string>({
        {4, rc::gen::element<std::string>("Running", "Succeeded", "Failed", "NotStarted", "Canceled", "Cancelled",
                                          "succeeded", "FAILED", "", "3/11/2020 8:45:13 PM +00:00",
                                          "2021-05-06T07:55:19.5256829+00:00", "c587574e-add9-4ef7-9788-1635bed9a87e")},
        {2, rc::gen::map(rc::gen::container<std::vector<std::uint32_t>>(rc::gen::inRange<std::uint32_t>(1, 0x110000)),
                         [](const std::vector<std::uint32_t>& cps) {
                             std::string s;
                             for (std::uint32_t c : cps) {
                                 if (c >= 0xD800 && c <= 0xDFFF) c = 0xFFFD;
                                 char buf[4];
                                 s.append(buf, azmaps::lro::detail::json_impl::encode_utf8(c, buf));
                             }
                             return s;
                         })},
        {1, rc::gen::arbitrary<std::string>()}, // may be invalid UTF-8: nlohmann refuses to dump it
    });
}

inline rc::Gen<nlohmann::json> gen_json(int depth) {
    using nlohmann::json;
    auto null_ = rc::gen::just(json(nullptr));
    auto bool_ = rc::gen::map(rc::gen::arbitrary<bool>(), [](bool b) { return json(b); });
    auto int_ = rc::gen::map(rc::gen::arbitrary<std::int64_t>(), [](std::int64_t v) { return json(v); });
    auto double_ = rc::gen::map(rc::gen::inRange(-1000000, 1000000), [](int v) { return json(v / 7.0); });
    auto string_ = rc::gen::map(gen_json_text_string(), [](std::string s) { return json(std::move(s)); });
    if (depth <= 0) return rc::gen::weightedOneOf<json>({{2, null_}, {2, bool_}, {3, int_}, {1, double_}, {6, string_}});
    auto array_ = rc::gen::map(rc::gen::container<std::vector<json>>(rc::gen::lazy([depth] { return gen_json(depth - 1); })),
                               [](std::vector<json> v) { return json(std::move(v)); });
    auto object_ = rc::gen::map(rc::gen::container<std::vector<std::pair<std::string, json>>>(rc::gen::pair(
                                    rc::gen::arbitrary<std::string>(), rc::gen::lazy([depth] { return gen_json(depth - 1); }))),
                                [](std::vector<std::pair<std::string, json>> kv) {
                                    json o = json::object();
                                    for (auto& p : kv) o[p.first] = std::move(p.second);
                                    return o;
                                });
    return rc::gen::weightedOneOf<json>(
        {{2, null_}, {2, bool_}, {3, int_}, {1, double_}, {6, string_}, {2, array_}, {2, object_}});
}

/// A top-level status/error body: the fields the machine reads, with realistic or random values.
inline rc::Gen<nlohmann::json> gen_status_object() {
    using nlohmann::json;
    return rc::gen::apply(
        [](std::vector<int> which, std::vector<json> values, json error, bool with_error) {
            json o = json::object();
            static const char* const keys[] = {"status", "operationId", "created", "createdDateTime",
                                               "resourceLocation", "warning", "other"};
            for (std::size_t i = 0; i < which.size() && i < values.size(); ++i) o[keys[which[i] % 7]] = values[i];
            if (with_error) o["error"] = error;
            return o;
        },
        rc::gen::container<std::vector<int>>(rc::gen::inRange(0, 7)),
        rc::gen::container<std::vector<json>>(rc::gen::weightedOneOf<json>({
            {5, rc::gen::map(gen_json_text_string(), [](std::string s) { return json(std::move(s)); })},
            {2, gen_json(2)},
        })),
        rc::gen::weightedOneOf<json>({{3, rc::gen::just(json{{"code", "InvalidFeature"},
                                                               {"message", "The provided feature is invalid."},
                                                               {"details", {{"code", "NoGeometry"}, {"message", "No geometry."}}}})},
                                      {3, gen_json(3)}}),
        rc::gen::arbitrary<bool>());
}

/// A JSON text for `v` (valid JSON, nlohmann's dump), or an empty optional when nlohmann cannot
/// dump it (invalid UTF-8 in a string).
inline std::optional<std::string> dump(const nlohmann::json& v) {
    try {
        return v.dump();
    } catch (const nlohmann::json::exception&) {
        return std::nullopt;
    }
}

/// Random damage to a text: flips, insertions, deletions, truncation.
inline rc::Gen<std::string> gen_mutated(std::string text) {
    return rc::gen::map(rc::gen::container<std::vector<std::tuple<int, std::size_t, char>>>(
                            rc::gen::tuple(rc::gen::inRange(0, 4), rc::gen::arbitrary<std::size_t>(), rc::gen::arbitrary<char>())),
                        [text](const std::vector<std::tuple<int, std::size_t, char>>& edits) {
                            std::string s = text;
                            for (const auto& [op, pos, c] : edits) {
                                const std::size_t at = s.empty() ? 0 : pos % (s.size() + 1);
                                switch (op) {
                                case 0: if (at < s.size()) s[at] = c; break;
                                case 1: s.insert(s.begin() + static_cast<std::ptrdiff_t>(at), c); break;
                                case 2: if (at < s.size()) s.erase(at, 1); break;
                                default: s.resize(at); break;
                                }
                            }
                            return s;
                        });
}

inline rc::Gen<std::string> gen_body() {
    static const std::vector<std::string> examples = {
        R"({"operationId":"c587574e-add9-4ef7-9788-1635bed9a87e","createdDateTime":"3/11/2020 8:45:13 PM +00:00","status":"Running"})",
        R"({"operationId":"c587574e","createdDateTime":"3/11/2020 8:45:13 PM +00:00","status":"Succeeded","resourceLocation":"https://atlas.microsoft.com/tileset/{tileset-id}"})",
        R"({"operationId":"c587574e","created":"2021-05-06T07:55:19.5256829+00:00","status":"Succeeded"})",
        R"({"operationId":"x","createdDateTime":"3/11/2020 8:45:13 PM +00:00","status":"Failed","error":{"code":"InvalidFeature","message":"The provided feature is invalid.","details":{"code":"NoGeometry","message":"No geometry was provided with the feature."}}})",
        R"({"status":"Failed","error":{"code":"E","innererror":{"code":null,"innererror":{"code":"Inner"}}}})",
        R"({"error":{"code":"BadRequest","message":"The request is invalid.","details":[{"code":"A","target":"t"}]}})",
        R"({"status":"Running"})", R"({"status":"NotStarted"})", R"({"status":"Canceled"})", "", "{}", "[]", "null"};
    return rc::gen::weightedOneOf<std::string>({
        {8, rc::gen::elementOf(examples)},
        {6, rc::gen::map(gen_status_object(), [](const nlohmann::json& j) { return dump(j).value_or("{}"); })},
        {3, rc::gen::mapcat(rc::gen::elementOf(examples), [](std::string s) { return gen_mutated(std::move(s)); })},
        {1, rc::gen::arbitrary<std::string>()},
    });
}

inline rc::Gen<step> gen_step() {
    return rc::gen::apply(
        [](int what, int status, std::vector<std::pair<std::string, std::string>> headers, std::string body,
           rc::Maybe<std::int64_t> wall, int err, int time_mode, std::int64_t dt) {
            step s;
            s.what = what < 90 ? step::kind::response : what < 96 ? step::kind::transport_error : step::kind::cancel;
            s.status = status;
            s.headers = std::move(headers);
            s.body = std::move(body);
            if (wall) s.wall_ms = *wall;
            s.error = static_cast<lro::transport_error>(err);
            s.time_mode = time_mode;
            s.dt_ms = dt;
            return s;
        },
        rc::gen::inRange(0, 100), gen_status(),
        rc::gen::resize(6, rc::gen::container<std::vector<std::pair<std::string, std::string>>>(gen_header())),
        gen_body(),
        rc::gen::maybe(rc::gen::weightedOneOf<std::int64_t>({
            {5, rc::gen::inRange<std::int64_t>(784111000000, 784112000000)},
            {3, rc::gen::inRange<std::int64_t>(1700000000000, 1800000000000)},
            {1, rc::gen::inRange<std::int64_t>(-9'000'000'000'000, 9'000'000'000'000)}})),
        rc::gen::inRange(0, 4),
        rc::gen::weightedElement<int>({{10, 0}, {4, 1}, {1, 2}, {1, 3}, {2, 4}}),
        rc::gen::weightedOneOf<std::int64_t>({{6, rc::gen::inRange<std::int64_t>(0, 5000)},
                                              {2, rc::gen::inRange<std::int64_t>(0, 400000)},
                                              {1, rc::gen::inRange<std::int64_t>(0, 1'000'000'000'000)}}));
}

/// A realistic step of a long operation: accepted, still running, throttled, a transport
/// error; time honours the delay (mostly). Keeps machines alive for long exchanges.
inline rc::Gen<step> gen_realistic_step() {
    return rc::gen::apply(
        [](int what, std::string status, int ra, bool new_monitor, int monitor_id, int time_mode) {
            step s;
            s.time_mode = time_mode;
            switch (what) {
            case 0:
                s.status = 202;
                s.headers = {{"Operation-Location", (monitor_id % 2 ? "https://atlas.microsoft.com" : "") +
                                                        std::string("/mapData/operations/") + std::to_string(monitor_id)}};
                break;
            case 1:
                s.status = 202;
                s.headers = {{"Location", "/mapData/operations/" + std::to_string(monitor_id) + "?api-version=1.0"}};
                break;
            case 2:
            case 3:
            case 4:
                s.status = 200;
                s.body = R"({"operationId":"op-)" + std::to_string(monitor_id) +
                         R"(","created":"2021-05-06T07:55:19.5256829+00:00","status":")" + status + R"("})";
                if (new_monitor) s.headers.push_back({"Operation-Location", "operations/" + std::to_string(monitor_id)});
                break;
            case 5:
                s.status = 429;
                break;
            case 6:
                s.status = 503;
                break;
            default:
                s.what = step::kind::transport_error;
                break;
            }
            if (ra >= 0) s.headers.push_back({"Retry-After", std::to_string(ra)});
            return s;
        },
        rc::gen::weightedElement<int>({{2, 0}, {1, 1}, {8, 2}, {1, 5}, {1, 6}, {1, 7}}),
        rc::gen::weightedElement<std::string>({{6, "Running"}, {2, "NotStarted"}, {1, "running"}, {1, "Queued"}}),
        rc::gen::inRange(-1, 60), rc::gen::weightedElement<bool>({{1, true}, {9, false}}), rc::gen::inRange(1, 5),
        rc::gen::weightedElement<int>({{8, 0}, {1, 1}, {1, 4}}));
}

/// Steps of an exchange: an accepted submit then mostly realistic steps, or all hostile.
inline rc::Gen<std::vector<step>> gen_exchange(std::size_t max_size = 40, int hostile_weight = 1) {
    auto accepted_then = [](std::vector<step> v) {
        step s;
        s.status = 202;
        s.headers = {{"Operation-Location", "/mapData/operations/0?api-version=2.0"},
                     {"Location", "/mapData/operations/0?api-version=1.0"}}; // a pinned v1 follows Location
        v.insert(v.begin(), s);
        return v;
    };
    auto realistic = rc::gen::map(rc::gen::container<std::vector<step>>(rc::gen::weightedOneOf<step>(
                                      {{9, gen_realistic_step()}, {static_cast<std::size_t>(hostile_weight), gen_step()}})),
                                  accepted_then);
    if (hostile_weight == 0)
        return rc::gen::resize(static_cast<int>(max_size),
                               rc::gen::map(rc::gen::container<std::vector<step>>(gen_realistic_step()), accepted_then));
    return rc::gen::resize(static_cast<int>(max_size),
                           rc::gen::weightedOneOf<std::vector<step>>({
                               {3, realistic},
                               {1, rc::gen::container<std::vector<step>>(gen_step())},
                           }));
}

inline rc::Gen<lro::options> gen_options() {
    return rc::gen::apply(
        [](std::uint32_t flags, rc::Maybe<std::uint32_t> max_polls, rc::Maybe<std::int64_t> timeout,
           std::vector<std::int64_t> iv, int errors, std::uint64_t seed) {
            lro::options o;
            o.fetch_resource = (flags & 1) == 0;
            o.allow_any_origin = (flags & 2) != 0;
            o.allow_insecure = (flags & 4) != 0;
            o.resubmit_on_ambiguous = (flags & 8) != 0;
            o.jitter = (flags & 16) != 0;
            o.version = static_cast<lro::protocol_version>((flags >> 5) % 3);
            if (flags & 128) o.allowed_origins = {"https://eu.atlas.microsoft.com", "http://atlas.microsoft.com"};
            if (flags & 256) o.add_query = {{"api-version", "2.0"}};
            if ((flags & 512) && ((flags >> 16) & 3) == 0) o.max_body_bytes = 64; // restrictive limits: 1 in 8
            if ((flags & 1024) && ((flags >> 18) & 3) == 0) o.max_url_length = 110; // the submit URLs fit
            if (max_polls) o.max_polls = *max_polls;
            if (timeout) o.timeout = milliseconds(*timeout);
            if (iv.size() >= 4) {
                o.min_poll_interval = milliseconds(iv[0]);
                o.max_poll_interval = milliseconds(iv[1]);
                o.default_poll_interval = milliseconds(iv[2]);
                o.backoff_base = milliseconds(iv[3]);
            }
            o.max_consecutive_errors = errors;
            o.jitter_seed = seed;
            return o;
        },
        rc::gen::arbitrary<std::uint32_t>(), rc::gen::maybe(rc::gen::inRange<std::uint32_t>(0, 12)),
        rc::gen::maybe(rc::gen::inRange<std::int64_t>(-5, 3'000'000)),
        rc::gen::weightedOneOf<std::vector<std::int64_t>>({
            {3, rc::gen::just(std::vector<std::int64_t>{})},
            {2, rc::gen::container<std::vector<std::int64_t>>(
                    4, rc::gen::weightedElement<std::int64_t>({{3, 0}, {2, 1000}, {2, 2000}, {2, 30000}, {2, 300000},
                                                               {1, -7}, {1, 50}, {1, INT64_MAX / 2}}))}}),
        rc::gen::inRange(-1, 7), rc::gen::arbitrary<std::uint64_t>());
}

inline const char* const secret = "S3cr3tK3yZq";

inline rc::Gen<std::string> gen_submit_url() {
    return rc::gen::element<std::string>(
        "https://atlas.microsoft.com/mapData/upload?api-version=2.0&subscription-key=S3cr3tK3yZq",
        "https://us.atlas.microsoft.com/tilesets?api-version=2022-09-01-preview&subscription-key=S3cr3tK3yZq",
        "http://atlas.microsoft.com/conversions?subscription-key=S3cr3tK3yZq",
        "https://atlas.microsoft.com:8443/a/b/c?subscription-key=S3cr3tK3yZq");
}

/// The time of the next input after `s`, from the previous `now` and the pending request.
inline std::int64_t next_now(const step& s, std::int64_t now_ms, const lro::operation& m) {
    switch (s.time_mode) {
    case 0:
        if (auto p = m.pending_request())
            now_ms = std::chrono::duration_cast<milliseconds>(p->not_before.time_since_epoch()).count() + s.dt_ms % 1000;
        break;
    case 1: now_ms += s.dt_ms; break;
    case 2: now_ms -= s.dt_ms % 100000; break;
    case 3: now_ms += s.dt_ms * 8; break;
    default: break;
    }
    constexpr std::int64_t lim = 9'000'000'000'000;
    return now_ms > lim ? lim : now_ms < -lim ? -lim : now_ms;
}

/// Calls f(input) with views of `s` at time `now_ms`.
template <class F>
auto with_step(const step& s, std::int64_t now_ms, F&& f) {
    std::vector<lro::header> hs;
    for (const auto& h : s.headers) hs.push_back({h.first, h.second});
    const lro::response_view r{s.status, lro::header_span(hs), s.body};
    azmaps_lro_check::input in;
    in.what = s.what == step::kind::response          ? azmaps_lro_check::input::kind::response
              : s.what == step::kind::transport_error ? azmaps_lro_check::input::kind::transport_error
                                                      : azmaps_lro_check::input::kind::cancel;
    in.response = &r;
    if (s.wall_ms) in.wall = lro::wall_time(std::chrono::duration_cast<lro::wall_time::duration>(milliseconds(*s.wall_ms)));
    in.error = s.error;
    in.now = lro::time_point(milliseconds(now_ms));
    return f(in);
}

} // namespace lro_prop

#endif
