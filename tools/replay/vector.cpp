// azmaps-lro: test vectors -- see vector.hpp and docs/vectors.md.
#include "vector.hpp"

#include <chrono>
#include <cstddef>
#include <fstream>
#include <iterator>
#include <limits>
#include <memory>
#include <new>
#include <sstream>
#include <utility>

namespace azmaps::lro::vectors {
namespace {

using ojson = nlohmann::ordered_json;

/// `now_ms` / `wall_ms` must fit the nanosecond clocks once converted.
constexpr std::int64_t max_time_ms = 9'000'000'000'000;
/// Largest byte string a generator (`repeat`) or header repetition may produce.
constexpr std::size_t max_generated_bytes = std::size_t{64} << 20;
constexpr std::int64_t max_header_repeat = 1'000'000;

/// Collects the first error; every reader returns false after it.
struct reader {
    std::string path;
    std::string error;

    bool fail(const std::string& where, const std::string& why) {
        if (error.empty()) error = path + ": " + (where.empty() ? std::string() : where + ": ") + why;
        return false;
    }
};

const char* type_name(const ojson& j) {
    switch (j.type()) {
    case ojson::value_t::null: return "null";
    case ojson::value_t::object: return "an object";
    case ojson::value_t::array: return "an array";
    case ojson::value_t::string: return "a string";
    case ojson::value_t::boolean: return "a boolean";
    case ojson::value_t::number_integer:
    case ojson::value_t::number_unsigned: return "an integer";
    case ojson::value_t::number_float: return "a non-integer number";
    default: return "an unusable value";
    }
}

bool get_int(reader& rd, const ojson& j, const std::string& where, std::int64_t lo, std::int64_t hi, std::int64_t& out) {
    if (j.is_number_unsigned()) {
        const auto u = j.get<std::uint64_t>();
        if (u > static_cast<std::uint64_t>(hi)) return rd.fail(where, "out of range (at most " + std::to_string(hi) + ")");
        out = static_cast<std::int64_t>(u);
        return true;
    }
    if (j.is_number_integer()) {
        const auto v = j.get<std::int64_t>();
        if (v < lo || v > hi)
            return rd.fail(where, "out of range (" + std::to_string(lo) + ".." + std::to_string(hi) + ")");
        out = v;
        return true;
    }
    return rd.fail(where, std::string("must be an integer, not ") + type_name(j));
}

bool get_bool(reader& rd, const ojson& j, const std::string& where, bool& out) {
    if (!j.is_boolean()) return rd.fail(where, std::string("must be true or false, not ") + type_name(j));
    out = j.get<bool>();
    return true;
}

bool get_string(reader& rd, const ojson& j, const std::string& where, std::string& out) {
    if (!j.is_string()) return rd.fail(where, std::string("must be a string, not ") + type_name(j));
    out = j.get<std::string>();
    return true;
}

bool decode_base64(std::string_view in, std::string& out) {
    out.clear();
    unsigned buf = 0;
    int bits = 0;
    std::size_t pad = 0;
    for (char c : in) {
        int v;
        if (c >= 'A' && c <= 'Z') v = c - 'A';
        else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
        else if (c >= '0' && c <= '9') v = c - '0' + 52;
        else if (c == '+' || c == '-') v = 62;
        else if (c == '/' || c == '_') v = 63;
        else if (c == '=') { ++pad; continue; }
        else if (c == '\n' || c == '\r' || c == ' ' || c == '\t') continue;
        else return false;
        if (pad != 0) return false; // data after padding
        buf = (buf << 6) | static_cast<unsigned>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((buf >> bits) & 0xFFu));
        }
    }
    return pad <= 2 && bits < 6;
}

/// A byte string: a JSON string (its UTF-8), or {"base64": s}, or
/// {"repeat": s, "count": n, "prefix"?: s, "suffix"?: s}.
bool get_bytes(reader& rd, const ojson& j, const std::string& where, std::string& out) {
    if (j.is_string()) {
        out = j.get<std::string>();
        return true;
    }
    if (!j.is_object())
        return rd.fail(where, std::string("must be a string or a byte generator object, not ") + type_name(j));
    if (j.contains("base64")) {
        if (j.size() != 1) return rd.fail(where, "a {\"base64\": ...} object takes no other key");
        std::string text;
        if (!get_string(rd, j["base64"], where + ".base64", text)) return false;
        if (!decode_base64(text, out)) return rd.fail(where + ".base64", "is not valid base64");
        return true;
    }
    if (!j.contains("repeat") || !j.contains("count"))
        return rd.fail(where, "an object here must be a byte generator: {\"base64\": ...} or {\"repeat\": ..., \"count\": ...}");
    std::string chunk, prefix, suffix;
    std::int64_t count = 0;
    for (const auto& [key, value] : j.items()) {
        if (key == "repeat") { if (!get_bytes(rd, value, where + ".repeat", chunk)) return false; }
        else if (key == "count") { if (!get_int(rd, value, where + ".count", 0, static_cast<std::int64_t>(max_generated_bytes), count)) return false; }
        else if (key == "prefix") { if (!get_bytes(rd, value, where + ".prefix", prefix)) return false; }
        else if (key == "suffix") { if (!get_bytes(rd, value, where + ".suffix", suffix)) return false; }
        else return rd.fail(where, "unknown key \"" + key + "\" in a byte generator");
    }
    const std::size_t n = static_cast<std::size_t>(count);
    if (!chunk.empty() && n > (max_generated_bytes - prefix.size() - suffix.size()) / chunk.size())
        return rd.fail(where, "generates more than " + std::to_string(max_generated_bytes) + " bytes");
    out = prefix;
    out.reserve(prefix.size() + chunk.size() * n + suffix.size());
    for (std::size_t i = 0; i < n; ++i) out += chunk;
    out += suffix;
    return true;
}

/// A list of strings (origins, words, parameter names).
bool get_origin_list(reader& rd, const ojson& j, const std::string& where, std::vector<std::string>& out) {
    if (!j.is_array()) return rd.fail(where, std::string("must be a list of strings, not ") + type_name(j));
    out.clear();
    for (std::size_t i = 0; i < j.size(); ++i) {
        std::string s;
        if (!get_string(rd, j[i], where + "[" + std::to_string(i) + "]", s)) return false;
        out.push_back(std::move(s));
    }
    return true;
}

bool get_options(reader& rd, const ojson& j, const std::string& where, lro::options& o) {
    if (!j.is_object()) return rd.fail(where, std::string("must be an object, not ") + type_name(j));
    constexpr std::int64_t big = std::numeric_limits<std::int64_t>::max();
    for (const auto& [key, value] : j.items()) {
        const std::string w = where + "." + key;
        std::int64_t n = 0;
        if (key == "default_poll_interval_ms") {
            if (!get_int(rd, value, w, -big, big, n)) return false;
            o.default_poll_interval = std::chrono::milliseconds(n);
        } else if (key == "min_poll_interval_ms") {
            if (!get_int(rd, value, w, -big, big, n)) return false;
            o.min_poll_interval = std::chrono::milliseconds(n);
        } else if (key == "max_poll_interval_ms") {
            if (!get_int(rd, value, w, -big, big, n)) return false;
            o.max_poll_interval = std::chrono::milliseconds(n);
        } else if (key == "backoff_base_ms") {
            if (!get_int(rd, value, w, -big, big, n)) return false;
            o.backoff_base = std::chrono::milliseconds(n);
        } else if (key == "max_consecutive_errors") {
            if (!get_int(rd, value, w, std::numeric_limits<int>::min(), std::numeric_limits<int>::max(), n)) return false;
            o.max_consecutive_errors = static_cast<int>(n);
        } else if (key == "timeout_ms") {
            if (value.is_null()) { o.timeout.reset(); continue; }
            if (!get_int(rd, value, w, -big, big, n)) return false;
            o.timeout = std::chrono::milliseconds(n);
        } else if (key == "max_polls") {
            if (value.is_null()) { o.max_polls.reset(); continue; }
            if (!get_int(rd, value, w, 0, std::numeric_limits<std::uint32_t>::max(), n)) return false;
            o.max_polls = static_cast<std::uint32_t>(n);
        } else if (key == "fetch_resource") {
            if (!get_bool(rd, value, w, o.fetch_resource)) return false;
        } else if (key == "allowed_origins") {
            if (!get_origin_list(rd, value, w, o.allowed_origins)) return false;
        } else if (key == "allow_any_origin") {
            if (!get_bool(rd, value, w, o.allow_any_origin)) return false;
        } else if (key == "allow_insecure") {
            if (!get_bool(rd, value, w, o.allow_insecure)) return false;
        } else if (key == "resubmit_on_ambiguous") {
            if (!get_bool(rd, value, w, o.resubmit_on_ambiguous)) return false;
        } else if (key == "max_body_bytes") {
            if (!get_int(rd, value, w, 0, big, n)) return false;
            o.max_body_bytes = static_cast<std::size_t>(n);
        } else if (key == "max_url_length") {
            if (!get_int(rd, value, w, 0, big, n)) return false;
            o.max_url_length = static_cast<std::size_t>(n);
        } else if (key == "jitter") {
            if (!get_bool(rd, value, w, o.jitter)) return false;
        } else if (key == "jitter_seed") {
            if (!value.is_number_unsigned() && !(value.is_number_integer() && value.get<std::int64_t>() >= 0))
                return rd.fail(w, std::string("must be an integer in 0..18446744073709551615, not ") + type_name(value));
            o.jitter_seed = value.get<std::uint64_t>();
        } else if (key == "add_query") {
            if (!value.is_array()) return rd.fail(w, std::string("must be a list of [name, value] pairs, not ") + type_name(value));
            o.add_query.clear();
            for (std::size_t i = 0; i < value.size(); ++i) {
                const std::string wi = w + "[" + std::to_string(i) + "]";
                const ojson& pair = value[i];
                if (!pair.is_array() || pair.size() != 2) return rd.fail(wi, "must be a [name, value] pair of strings");
                std::string name, val;
                if (!get_string(rd, pair[0], wi + "[0]", name) || !get_string(rd, pair[1], wi + "[1]", val)) return false;
                o.add_query.emplace_back(std::move(name), std::move(val));
            }
        } else if (key == "final_state_via") {
            std::string v;
            if (!get_string(rd, value, w, v)) return false;
            if (v == "azure-async-operation") o.final_state_via = lro::final_state::azure_async_operation;
            else if (v == "location") o.final_state_via = lro::final_state::location;
            else if (v == "original-uri") o.final_state_via = lro::final_state::original_uri;
            else if (v == "operation-location") o.final_state_via = lro::final_state::operation_location;
            else
                return rd.fail(w, "must be \"azure-async-operation\", \"location\", \"original-uri\" or "
                                  "\"operation-location\", not \"" + v + "\"");
        } else if (key == "result_member") {
            if (!get_string(rd, value, w, o.result_member)) return false;
        } else if (key == "succeeded_words") {
            if (!get_origin_list(rd, value, w, o.succeeded_words)) return false;
        } else if (key == "failed_words") {
            if (!get_origin_list(rd, value, w, o.failed_words)) return false;
        } else if (key == "canceled_words") {
            if (!get_origin_list(rd, value, w, o.canceled_words)) return false;
        } else if (key == "credential_query_names") {
            if (!get_origin_list(rd, value, w, o.credential_query_names)) return false;
        } else if (key == "resubmit_idempotent") {
            if (!get_bool(rd, value, w, o.resubmit_idempotent)) return false;
        } else if (key == "version") {
            std::string v;
            if (!get_string(rd, value, w, v)) return false;
            if (v == "auto") o.version = lro::protocol_version::unknown;
            else if (v == "v1") o.version = lro::protocol_version::v1;
            else if (v == "v2") o.version = lro::protocol_version::v2;
            else return rd.fail(w, "must be \"auto\", \"v1\" or \"v2\", not \"" + v + "\"");
        } else {
            return rd.fail(where, "unknown option \"" + key + "\"");
        }
    }
    return true;
}

bool get_headers(reader& rd, const ojson& j, const std::string& where, std::vector<std::pair<std::string, std::string>>& out) {
    if (!j.is_array()) return rd.fail(where, std::string("must be a list of [name, value] pairs, not ") + type_name(j));
    std::size_t total = 0;
    for (std::size_t i = 0; i < j.size(); ++i) {
        const std::string wi = where + "[" + std::to_string(i) + "]";
        const ojson& h = j[i];
        if (!h.is_array() || h.size() < 2 || h.size() > 3)
            return rd.fail(wi, "must be [name, value] or [name, value, count]");
        std::string name, value;
        std::int64_t count = 1;
        if (!get_bytes(rd, h[0], wi + "[0]", name) || !get_bytes(rd, h[1], wi + "[1]", value)) return false;
        if (h.size() == 3 && !get_int(rd, h[2], wi + "[2]", 0, max_header_repeat, count)) return false;
        for (std::int64_t k = 0; k < count; ++k) {
            total += name.size() + value.size() + 1;
            if (total > max_generated_bytes)
                return rd.fail(where, "the headers add up to more than " + std::to_string(max_generated_bytes) + " bytes");
            out.emplace_back(name, value);
        }
    }
    return true;
}

bool get_response(reader& rd, const ojson& j, const std::string& where, step& s) {
    if (!j.is_object()) return rd.fail(where, std::string("must be an object, not ") + type_name(j));
    if (!j.contains("status")) return rd.fail(where, "missing key \"status\"");
    if (j.contains("body") && j.contains("body_base64")) return rd.fail(where, "has both \"body\" and \"body_base64\"");
    for (const auto& [key, value] : j.items()) {
        const std::string w = where + "." + key;
        if (key == "status") {
            std::int64_t n = 0;
            if (!get_int(rd, value, w, std::numeric_limits<int>::min(), std::numeric_limits<int>::max(), n)) return false;
            s.status = static_cast<int>(n);
        } else if (key == "headers") {
            if (!get_headers(rd, value, w, s.headers)) return false;
        } else if (key == "body") {
            if (!get_bytes(rd, value, w, s.body)) return false;
        } else if (key == "body_base64") {
            std::string text;
            if (!get_string(rd, value, w, text)) return false;
            if (!decode_base64(text, s.body)) return rd.fail(w, "is not valid base64");
        } else {
            return rd.fail(where, "unknown key \"" + key + "\" in a response");
        }
    }
    return true;
}

bool get_step(reader& rd, const ojson& j, const std::string& where, const lro::options& base_opts, step& s) {
    if (!j.is_object()) return rd.fail(where, std::string("must be an object, not ") + type_name(j));
    static const char* const kinds[] = {"response", "transport_error", "cancel", "resume", "resume_token"};
    int found = 0;
    std::string names;
    for (const char* k : kinds)
        if (j.contains(k)) {
            ++found;
            names += names.empty() ? "" : ", ";
            names += k;
        }
    if (found == 0)
        return rd.fail(where, "needs exactly one of response, transport_error, cancel, resume, resume_token; it has none");
    if (found > 1) return rd.fail(where, "needs exactly one of response, transport_error, cancel, resume, resume_token; it has " + names);
    if (!j.contains("now_ms")) return rd.fail(where, "missing key \"now_ms\"");
    for (const auto& [key, value] : j.items()) {
        const std::string w = where + "." + key;
        if (key == "now_ms") {
            if (!get_int(rd, value, w, -max_time_ms, max_time_ms, s.now_ms)) return false;
        } else if (key == "wall_ms") {
            std::int64_t n = 0;
            if (!get_int(rd, value, w, -max_time_ms, max_time_ms, n)) return false;
            s.wall_ms = n;
        } else if (key == "response") {
            s.kind = step_kind::response;
            if (!get_response(rd, value, w, s)) return false;
        } else if (key == "transport_error") {
            s.kind = step_kind::transport_error;
            std::string name;
            if (!get_string(rd, value, w, name)) return false;
            if (name == "connect_failed") s.error = lro::transport_error::connect_failed;
            else if (name == "connection_reset") s.error = lro::transport_error::connection_reset;
            else if (name == "timed_out") s.error = lro::transport_error::timed_out;
            else if (name == "other") s.error = lro::transport_error::other;
            else return rd.fail(w, "unknown transport error \"" + name + "\" (connect_failed, connection_reset, timed_out, other)");
        } else if (key == "cancel" || key == "resume") {
            bool b = false;
            if (!get_bool(rd, value, w, b)) return false;
            if (!b) return rd.fail(w, "must be true");
            s.kind = key == "cancel" ? step_kind::cancel : step_kind::resume;
        } else if (key == "resume_token") {
            s.kind = step_kind::resume_token;
            if (!get_bytes(rd, value, w, s.token)) return false;
        } else if (key == "options" || key == "trusted_origin") {
            // checked below, once the kind is known
        } else {
            return rd.fail(where, "unknown key \"" + key + "\" in a step");
        }
    }
    const bool resuming = s.kind == step_kind::resume || s.kind == step_kind::resume_token;
    if (j.contains("options")) {
        if (!resuming) return rd.fail(where, "\"options\" is allowed only on a resume or resume_token step");
        lro::options o = base_opts;
        if (!get_options(rd, j["options"], where + ".options", o)) return false;
        s.resume_options = std::move(o);
    }
    if (j.contains("trusted_origin")) {
        if (!resuming) return rd.fail(where, "\"trusted_origin\" is allowed only on a resume or resume_token step");
        if (!get_string(rd, j["trusted_origin"], where + ".trusted_origin", s.trusted_origin)) return false;
        s.has_trusted_origin = true;
    }
    return true;
}

std::string stem_of(const std::string& path) {
    const std::size_t slash = path.find_last_of("/\\");
    std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
    const std::size_t dot = base.rfind('.');
    if (dot != std::string::npos && dot != 0) base.resize(dot);
    return base;
}

load_result load_text_impl(const std::string& text, const std::string& path, expect_required need) {
    reader rd{path, {}};
    load_result res;
    ojson doc = ojson::parse(text, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded()) {
        std::string why = "not valid JSON";
#if defined(__cpp_exceptions)
        try {
            const ojson again = ojson::parse(text);
            (void)again;
        } catch (const ojson::parse_error& e) {
            why += " (";
            why += e.what();
            why += ")";
        } catch (...) {
        }
#endif
        rd.fail("", why);
        res.error = rd.error;
        return res;
    }
    vector_file v;
    v.path = path;
    v.name = stem_of(path);
    auto done_with_error = [&res, &rd]() {
        res.error = rd.error;
        return res;
    };
    if (!doc.is_object()) {
        rd.fail("", std::string("the top level must be an object, not ") + type_name(doc));
        return done_with_error();
    }
    for (const char* k : {"description", "request", "steps", "expect"})
        if (!doc.contains(k) && !(need == expect_required::no && std::string_view(k) == "expect")) {
            rd.fail("", std::string("missing key \"") + k + "\"");
            return done_with_error();
        }
    for (const auto& [key, value] : doc.items()) {
        (void)value;
        if (key != "description" && key != "request" && key != "options" && key != "steps" && key != "expect" && key != "notes" &&
            key != "protocol") {
            rd.fail("", "unknown top-level key \"" + key + "\"");
            return done_with_error();
        }
    }
    if (!get_string(rd, doc["description"], "description", v.description)) return done_with_error();
    if (v.description.empty()) {
        rd.fail("description", "must not be empty");
        return done_with_error();
    }
    if (doc.contains("protocol")) {
        std::string p;
        if (!get_string(rd, doc["protocol"], "protocol", p)) return done_with_error();
        if (p == "maps") v.protocol = protocol::maps;
        else if (p == "azure") v.protocol = protocol::azure;
        else {
            rd.fail("protocol", "must be \"maps\" or \"azure\", not \"" + p + "\"");
            return done_with_error();
        }
    }
    const ojson& req = doc["request"];
    if (!req.is_object()) {
        rd.fail("request", std::string("must be an object, not ") + type_name(req));
        return done_with_error();
    }
    for (const char* k : {"method", "url"})
        if (!req.contains(k)) {
            rd.fail("request", std::string("missing key \"") + k + "\"");
            return done_with_error();
        }
    for (const auto& [key, value] : req.items()) {
        if (key == "method") { if (!get_bytes(rd, value, "request.method", v.method)) return done_with_error(); }
        else if (key == "url") { if (!get_bytes(rd, value, "request.url", v.url)) return done_with_error(); }
        else {
            rd.fail("request", "unknown key \"" + key + "\"");
            return done_with_error();
        }
    }
    if (doc.contains("options") && !get_options(rd, doc["options"], "options", v.opts)) return done_with_error();
    const ojson& steps = doc["steps"];
    v.has_expect = doc.contains("expect");
    const ojson expect = v.has_expect ? doc["expect"] : ojson::array();
    if (!steps.is_array()) {
        rd.fail("steps", std::string("must be a list, not ") + type_name(steps));
        return done_with_error();
    }
    if (!expect.is_array()) {
        rd.fail("expect", std::string("must be a list, not ") + type_name(expect));
        return done_with_error();
    }
    if (steps.empty()) {
        rd.fail("steps", "must not be empty");
        return done_with_error();
    }
    if (v.has_expect && steps.size() != expect.size()) {
        rd.fail("expect", "has " + std::to_string(expect.size()) + " entries for " + std::to_string(steps.size()) +
                              " steps (one expected action per step)");
        return done_with_error();
    }
    for (std::size_t i = 0; i < steps.size(); ++i) {
        step s;
        if (!get_step(rd, steps[i], "steps[" + std::to_string(i) + "]", v.opts, s)) return done_with_error();
        v.steps.push_back(std::move(s));
    }
    for (std::size_t i = 0; i < expect.size(); ++i) {
        const ojson& e = expect[i];
        const std::string w = "expect[" + std::to_string(i) + "]";
        if (!e.is_object()) {
            rd.fail(w, std::string("must be an object, not ") + type_name(e));
            return done_with_error();
        }
        if (!e.contains("action") || !e["action"].is_string()) {
            rd.fail(w, "needs a string \"action\"");
            return done_with_error();
        }
        const std::string a = e["action"].get<std::string>();
        if (a != "request" && a != "succeeded" && a != "failed" && a != "canceled" && a != "refused") {
            rd.fail(w + ".action", "unknown action \"" + a + "\" (request, succeeded, failed, canceled, refused)");
            return done_with_error();
        }
        v.expect.push_back(e);
    }
    res.vector = std::move(v);
    return res;
}

// --- rendering ------------------------------------------------------------------------------

ojson nullable(std::string_view s) { return s.empty() ? ojson(nullptr) : ojson(std::string(s)); }

ojson render(const lro::action& a) {
    ojson o = ojson::object();
    if (const auto* r = std::get_if<lro::send_request>(&a)) {
        o["action"] = "request";
        o["method"] = std::string(r->method);
        o["url"] = std::string(r->url);
        o["delay_ms"] = static_cast<std::int64_t>(r->delay.count());
        o["purpose"] = std::string(lro::to_string(r->purpose));
        o["same_origin"] = r->same_origin;
    } else if (const auto* s = std::get_if<lro::succeeded>(&a)) {
        o["action"] = "succeeded";
        o["resource_location"] = nullable(s->resource_location);
        o["result_source"] = std::string(lro::to_string(s->source));
        o["result_member"] = nullable(s->result_member);
    } else if (const auto* f = std::get_if<lro::failed>(&a)) {
        o["action"] = "failed";
        o["reason"] = std::string(lro::to_string(f->reason));
        o["http_status"] = f->http_status ? ojson(*f->http_status) : ojson(nullptr);
        if (f->error != nullptr) {
            ojson e = ojson::object();
            e["code"] = nullable(f->error->code);
            e["message"] = nullable(f->error->message);
            e["target"] = nullable(f->error->target);
            ojson details = ojson::array();
            for (const lro::odata_detail& d : f->error->details) {
                ojson dj = ojson::object();
                dj["code"] = nullable(d.code);
                dj["message"] = nullable(d.message);
                dj["target"] = nullable(d.target);
                details.push_back(std::move(dj));
            }
            e["details"] = std::move(details);
            ojson inner = ojson::array();
            for (const std::string& c : f->error->innererror) inner.push_back(c);
            e["innererror"] = std::move(inner);
            if (f->error->truncated) e["truncated"] = true; // only when cut: older vectors name no such key
            o["error"] = std::move(e);
        } else {
            o["error"] = nullptr;
        }
        o["monitor"] = nullable(f->monitor);
        o["detail"] = std::string(f->detail);
    } else if (const auto* c = std::get_if<lro::canceled>(&a)) {
        o["action"] = "canceled";
        o["by"] = std::string(lro::to_string(c->by));
    } else if (const auto* x = std::get_if<lro::refused>(&a)) {
        o["action"] = "refused";
        o["code"] = std::string(lro::to_string(x->code));
    }
    return o;
}

ojson refused_line(lro::errc e) { return render(lro::action{lro::refused{e}}); }

/// `Op` is `basic_operation<creator_policy>` or `basic_operation<azure_policy>`.
template <class Op>
std::vector<ojson> run_with(const vector_file& v) {
    std::vector<ojson> out;
    out.reserve(v.steps.size());
    auto started = Op::start(v.method, v.url, v.opts);
    if (!started) {
        for (std::size_t i = 0; i < v.steps.size(); ++i) out.push_back(refused_line(started.error()));
        return out;
    }
    Op op = std::move(started).value();
    lro::options current = v.opts;
    std::vector<lro::header> hs;
    for (const step& s : v.steps) {
        const lro::time_point now{std::chrono::milliseconds(s.now_ms)};
        switch (s.kind) {
        case step_kind::response: {
            hs.clear();
            hs.reserve(s.headers.size());
            for (const auto& h : s.headers) hs.push_back(lro::header{h.first, h.second});
            const lro::response_view rv{s.status, lro::header_span(hs.data(), hs.size()), s.body};
            std::optional<lro::wall_time> wall;
            if (s.wall_ms) wall = lro::wall_time(std::chrono::milliseconds(*s.wall_ms));
            out.push_back(render(op.on_response(rv, now, wall)));
            break;
        }
        case step_kind::transport_error:
            out.push_back(render(op.on_transport_error(s.error, now)));
            break;
        case step_kind::cancel:
            out.push_back(render(op.cancel(now)));
            break;
        case step_kind::resume:
        case step_kind::resume_token: {
            std::string token = s.token;
            if (s.kind == step_kind::resume) {
                auto saved = op.save();
                if (!saved) {
                    out.push_back(refused_line(saved.error()));
                    break;
                }
                token = std::move(saved).value();
            }
            const lro::options& next = s.resume_options ? *s.resume_options : current;
            // The caller's own record of the submit: the vector's request URL, unless the step
            // names another origin to trust (an empty one tests errc::origin_required).
            auto resumed = Op::resume(token, next, now,
                                      s.has_trusted_origin ? std::string_view(s.trusted_origin) : std::string_view(v.url));
            if (!resumed) {
                out.push_back(refused_line(resumed.error()));
                break;
            }
            op = std::move(resumed).value();
            current = next;
            if (const auto p = op.pending_request()) out.push_back(render(lro::action{*p}));
            else out.push_back(refused_line(lro::errc::not_expected));
            break;
        }
        }
    }
    return out;
}

std::vector<ojson> run_impl(const vector_file& v) {
    return v.protocol == protocol::azure ? run_with<lro::azure_operation>(v) : run_with<lro::operation>(v);
}

bool matches_impl(const ojson& expected, const ojson& actual) {
    if (expected.is_object()) {
        if (!actual.is_object()) return false;
        for (const auto& [key, value] : expected.items()) {
            const auto it = actual.find(key);
            if (it == actual.end() || !matches_impl(value, *it)) return false;
        }
        return true;
    }
    if (expected.is_array()) {
        if (!actual.is_array() || actual.size() != expected.size()) return false;
        for (std::size_t i = 0; i < expected.size(); ++i)
            if (!matches_impl(expected[i], actual[i])) return false;
        return true;
    }
    return expected == actual;
}

} // namespace

load_result load_text(const std::string& text, const std::string& path, expect_required need) {
#if defined(__cpp_exceptions)
    try {
        return load_text_impl(text, path, need);
    } catch (const std::bad_alloc&) {
        load_result r;
        r.error = path + ": out of memory while reading the vector";
        return r;
    } catch (const std::exception& e) {
        load_result r;
        r.error = path + ": unreadable vector (" + e.what() + ")";
        return r;
    }
#else
    return load_text_impl(text, path, need);
#endif
}

load_result load_file(const std::string& path, expect_required need) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        load_result r;
        r.error = path + ": cannot open the file";
        return r;
    }
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) {
        load_result r;
        r.error = path + ": cannot read the file";
        return r;
    }
    return load_text(text, path, need);
}

std::vector<nlohmann::ordered_json> run(const vector_file& v) {
#if defined(__cpp_exceptions)
    try {
        return run_impl(v);
    } catch (...) {
        return {};
    }
#else
    return run_impl(v);
#endif
}

std::string to_line(const nlohmann::ordered_json& action) {
    return action.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

bool matches(const nlohmann::ordered_json& expected, const nlohmann::ordered_json& actual) {
    return matches_impl(expected, actual);
}

check_result check(const vector_file& v) {
    check_result r;
    if (!v.has_expect) {
        r.message = "FAIL " + v.name + ": no \"expect\" list to check against (run without --check to see the actions)";
        return r;
    }
    const std::vector<ojson> got = run(v);
    if (got.size() != v.steps.size()) {
        r.message = "FAIL " + v.name + ": the run produced " + std::to_string(got.size()) + " actions for " +
                    std::to_string(v.steps.size()) + " steps";
        return r;
    }
    for (std::size_t i = 0; i < got.size(); ++i) {
        if (!matches(v.expect[i], got[i])) {
            r.message = "FAIL " + v.name + ": step " + std::to_string(i + 1) + ": expected " + to_line(v.expect[i]) +
                        " got " + to_line(got[i]);
            return r;
        }
    }
    r.passed = true;
    r.message = "PASS " + v.name;
    return r;
}

check_result check_file(const std::string& path) {
    const load_result l = load_file(path);
    if (!l) {
        check_result r;
        r.message = "FAIL " + stem_of(path) + ": malformed vector: " + l.error;
        return r;
    }
    return check(*l.vector);
}

} // namespace azmaps::lro::vectors
