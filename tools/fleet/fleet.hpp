// azmaps-lro fleet: durable tracking of many long-running operations on PostgreSQL, with
// workers that can die and lose nothing. docs/fleet.md has the design.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include <azmaps/lro.hpp>
#include <azmaps/lro/adapters/curl_common.hpp>
#include <azmaps/lro/azure_policy.hpp>

namespace azmaps::lro::fleet {

/// `azmaps-lro fleet ARGS...`: argv[0] is "fleet". Returns the exit code.
int main(int argc, char** argv);

/// The states of a row (text in the database, stable).
inline constexpr const char* states[] = {"pending",   "submitting", "polling",       "succeeded",
                                         "failed",    "canceled",   "submit_unknown"};
inline bool is_live_state(const std::string& s) { return s == "pending" || s == "submitting" || s == "polling"; }

/// One operation as submitted: what goes into a row (credentials removed).
struct op_spec {
    std::string protocol = "maps"; ///< maps | maps-v1 | maps-v2 | azure
    std::string method = "POST";
    std::string url;               ///< credential query parameters removed
    std::optional<std::string> body;
    nlohmann::json headers = nlohmann::json::object(); ///< name -> value, no credential
    nlohmann::json options = nlohmann::json::object(); ///< canonical keys (see options_from_json)
    bool url_had_credentials = false;                  ///< a credential parameter was removed
};

/// Checks and canonicalises `spec` (protocol, method, URL, headers, options): false with
/// `error` set. Removes credential query parameters from the URL. Starts a machine to check
/// that the method, URL and options are usable.
bool validate(op_spec& spec, std::string& error);

/// The machine's options for a row's protocol and options JSON. False with `error` set.
bool options_from_json(const std::string& protocol, const nlohmann::json& j, lro::options& out, std::string& error);

/// True when `name` is a credential header (Authorization, subscription-key,
/// Ocp-Apim-Subscription-Key, Cookie, Proxy-Authorization): never stored.
bool is_credential_header(std::string_view name);

/// The machine's rule for resending a submit whose answer is unknown (the policy's
/// may_resend_ambiguous_submit): Maps only with --resubmit; Azure also PUT and DELETE.
bool resend_allowed(const std::string& protocol, const std::string& method, const lro::options& o);

/// The worker (`fleet work`).
struct worker_config {
    std::string conninfo;
    std::string name;
    int batch = 100;
    std::chrono::milliseconds lease{10000};
    int concurrency = 256;
    std::chrono::milliseconds tick{10};
    bool exit_when_idle = false;
    bool quiet = false;
    lro::credentials creds;
    lro::curl::transfer_config transfer;
};
int run_worker(const worker_config& cfg);

/// The OData error as JSON (code, message, target, details, innererror, truncated).
nlohmann::json error_json(const lro::odata_error& e);

} // namespace azmaps::lro::fleet
