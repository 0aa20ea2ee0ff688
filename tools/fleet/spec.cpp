// azmaps-lro fleet: what an operation row holds, checked once at submit time.
#include <cmath>
#include <string>

#include "fleet.hpp"

namespace azmaps::lro::fleet {

using json = nlohmann::json;

bool is_credential_header(std::string_view name) {
    for (const std::string_view c :
         {"authorization", "subscription-key", "ocp-apim-subscription-key", "cookie", "proxy-authorization"})
        if (lro::detail::iequals(name, c)) return true;
    return false;
}

bool resend_allowed(const std::string& protocol, const std::string& method, const lro::options& o) {
    if (o.resubmit_on_ambiguous) return true;
    if (protocol != "azure") return false;
    return o.resubmit_idempotent && (lro::detail::iequals(method, "PUT") || lro::detail::iequals(method, "DELETE"));
}

namespace {

bool duration_ms(const json& v, const char* key, std::chrono::milliseconds& out, std::string& error) {
    if (!v.is_number() || !std::isfinite(v.get<double>()) || v.get<double>() < 0 || v.get<double>() > 1e9) {
        error = std::string("options.") + key + " must be a number of seconds (0 to 1e9)";
        return false;
    }
    out = std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(v.get<double>() * 1000.0)));
    return true;
}

bool count(const json& v, const char* key, std::int64_t lo, std::int64_t hi, std::int64_t& out, std::string& error) {
    if (!v.is_number_integer() || v.get<std::int64_t>() < lo || v.get<std::int64_t>() > hi) {
        error = std::string("options.") + key + " must be an integer from " + std::to_string(lo) + " to " +
                std::to_string(hi);
        return false;
    }
    out = v.get<std::int64_t>();
    return true;
}

bool flag(const json& v, const char* key, bool& out, std::string& error) {
    if (!v.is_boolean()) {
        error = std::string("options.") + key + " must be true or false";
        return false;
    }
    out = v.get<bool>();
    return true;
}

bool text(const json& v, const char* key, std::string& out, std::string& error) {
    if (!v.is_string()) {
        error = std::string("options.") + key + " must be a string";
        return false;
    }
    out = v.get<std::string>();
    return true;
}

} // namespace

bool options_from_json(const std::string& protocol, const json& j, lro::options& o, std::string& error) {
    o = lro::options{};
    if (protocol == "maps-v1") o.version = lro::protocol_version::v1;
    else if (protocol == "maps-v2") o.version = lro::protocol_version::v2;
    else if (protocol != "maps" && protocol != "azure") {
        error = "protocol must be maps, maps-v1, maps-v2 or azure: " + protocol;
        return false;
    }
    if (!j.is_object()) {
        error = "options must be a JSON object";
        return false;
    }
    for (const auto& [key, v] : j.items()) {
        if (key == "add_query") {
            if (!v.is_object()) {
                error = "options.add_query must be an object of NAME: VALUE strings";
                return false;
            }
            for (const auto& [name, value] : v.items()) {
                if (name.empty() || !value.is_string()) {
                    error = "options.add_query must be an object of NAME: VALUE strings";
                    return false;
                }
                if (lro::detail::is_credential_name(name, o.credential_query_names)) {
                    error = "options.add_query: " + name + " is a credential; give credentials to the workers";
                    return false;
                }
                o.add_query.emplace_back(name, value.get<std::string>());
            }
        } else if (key == "allow_origins") {
            if (!v.is_array()) {
                error = "options.allow_origins must be an array of origins";
                return false;
            }
            for (const json& e : v) {
                if (!e.is_string()) {
                    error = "options.allow_origins must be an array of origins";
                    return false;
                }
                o.allowed_origins.push_back(e.get<std::string>());
            }
        } else if (key == "allow_any_origin") {
            if (!flag(v, "allow_any_origin", o.allow_any_origin, error)) return false;
        } else if (key == "insecure") {
            if (!flag(v, "insecure", o.allow_insecure, error)) return false;
        } else if (key == "timeout_s") {
            std::chrono::milliseconds ms{0};
            if (!duration_ms(v, "timeout_s", ms, error)) return false;
            o.timeout = ms;
        } else if (key == "interval_s") {
            if (!duration_ms(v, "interval_s", o.default_poll_interval, error)) return false;
        } else if (key == "max_errors") {
            std::int64_t n = 0;
            if (!count(v, "max_errors", 1, 1000000, n, error)) return false;
            o.max_consecutive_errors = static_cast<int>(n);
        } else if (key == "max_polls") {
            std::int64_t n = 0;
            if (!count(v, "max_polls", 0, 1000000000, n, error)) return false;
            o.max_polls = static_cast<std::uint32_t>(n);
        } else if (key == "resubmit") {
            if (!flag(v, "resubmit", o.resubmit_on_ambiguous, error)) return false;
        } else if (key == "fetch") {
            if (!flag(v, "fetch", o.fetch_resource, error)) return false;
        } else if (key == "no_fetch") {
            bool no = false;
            if (!flag(v, "no_fetch", no, error)) return false;
            o.fetch_resource = !no;
        } else if (key == "final_state_via" || key == "result_member") {
            if (protocol != "azure") {
                error = "options." + key + " applies to protocol azure only";
                return false;
            }
            std::string s;
            if (!text(v, key.c_str(), s, error)) return false;
            if (key == "result_member") {
                o.result_member = s;
            } else if (s == "azure-async-operation") {
                o.final_state_via = lro::final_state::azure_async_operation;
            } else if (s == "location") {
                o.final_state_via = lro::final_state::location;
            } else if (s == "original-uri") {
                o.final_state_via = lro::final_state::original_uri;
            } else if (s == "operation-location") {
                o.final_state_via = lro::final_state::operation_location;
            } else {
                error = "options.final_state_via must be azure-async-operation, location, original-uri or "
                        "operation-location: " + s;
                return false;
            }
        } else {
            error = "unknown option " + key + " (known: add_query, allow_origins, allow_any_origin, insecure, "
                    "timeout_s, interval_s, max_errors, max_polls, resubmit, fetch, no_fetch, final_state_via, "
                    "result_member)";
            return false;
        }
    }
    return true;
}

bool validate(op_spec& s, std::string& error) {
    if (s.protocol == "v1") s.protocol = "maps-v1";
    if (s.protocol == "v2") s.protocol = "maps-v2";
    for (char& c : s.method)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    lro::options o;
    if (!options_from_json(s.protocol, s.options, o, error)) return false;
    if (!s.headers.is_object()) {
        error = "headers must be a JSON object of name: value strings";
        return false;
    }
    for (const auto& [name, value] : s.headers.items()) {
        if (!value.is_string() || name.empty() || name.find_first_of(":\r\n") != std::string::npos ||
            value.get<std::string>().find_first_of("\r\n") != std::string::npos) {
            error = "headers must be a JSON object of name: value strings (no ':' in a name, no line break)";
            return false;
        }
        if (is_credential_header(name)) {
            error = "header " + name +
                    " is a credential: credentials are never stored; give them to the workers (fleet work --key, "
                    "AZMAPS_KEY, --bearer)";
            return false;
        }
    }
    if (lro::detail::has_credential_param(s.url, o.credential_query_names)) {
        s.url = lro::detail::without_credential_params(s.url, o.credential_query_names);
        s.url_had_credentials = true;
    }
    // A machine must accept the row as it will be stored.
    const auto check = [&](auto started) {
        if (!started) {
            error = std::string(lro::message(started.error())) + ": " + s.url + " (method " + s.method + ")";
            return false;
        }
        return true;
    };
    if (s.protocol == "azure") return check(lro::azure_operation::start(s.method, s.url, o));
    return check(lro::operation::start(s.method, s.url, o));
}

json error_json(const lro::odata_error& e) {
    json j = json::object();
    j["code"] = e.code;
    j["message"] = e.message;
    if (!e.target.empty()) j["target"] = e.target;
    json details = json::array();
    for (const lro::odata_detail& d : e.details) {
        json x = {{"code", d.code}, {"message", d.message}};
        if (!d.target.empty()) x["target"] = d.target;
        details.push_back(std::move(x));
    }
    j["details"] = std::move(details);
    j["innererror"] = e.innererror;
    if (e.truncated) j["truncated"] = true;
    return j;
}

} // namespace azmaps::lro::fleet
