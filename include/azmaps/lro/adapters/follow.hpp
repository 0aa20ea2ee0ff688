// azmaps-lro adapters: follow an operation that was started elsewhere, from its monitor URL.
//
// No I/O and no libcurl: it only builds a machine. `follow_monitor(url, opts, now)` returns a
// machine whose pending request is `GET url` (purpose `status`, delay 0), as if a submit to
// `url` had just been answered `202` with that monitor. From there it is an ordinary
// operation: drive it with any driver, `save()` it, time it out.
//
// How: `operation::start("GET", url)` and a synthetic answer `202` + `retry-after-ms: 0` +
// the monitor header, fed at `now` (so `timeout` counts from `now`). The URL is the "submit"
// URL, so its origin is the one credentials may go to. The header decides the version the
// machine reports first: `Location` (v1) when `opts.version` is v1, or, when it is `unknown`,
// when the URL's `api-version` query parameter starts with `1.` (detail::query_param_value:
// the query ends at the first '#', so `x#y?api-version=1.0` has none); else
// `Operation-Location` (v2). The version affects only what `observe()` reports and which
// headers a pinned version follows.
#ifndef AZMAPS_LRO_ADAPTERS_FOLLOW_HPP
#define AZMAPS_LRO_ADAPTERS_FOLLOW_HPP

#include <memory>
#include <string_view>

#include "../detail/url.hpp"
#include "../operation.hpp"
#include "../response.hpp"
#include "../result.hpp"

namespace azmaps::lro {

/// A machine that follows the status monitor `monitor_url` (see the top of this file).
/// Refused with `bad_submit_url` when the URL is not a usable absolute http(s) URL, or
/// `bad_option`.
template <class Policy = creator_policy>
result<basic_operation<Policy>> follow_monitor(std::string_view monitor_url, std::shared_ptr<const options> opts,
                                               time_point now) {
    if (!opts) opts = std::make_shared<const options>();
    const protocol_version pin = opts->version;
    auto op = basic_operation<Policy>::start("GET", monitor_url, opts);
    if (!op) return op.error();
    bool has_api = false;
    const std::string_view api = detail::query_param_value(monitor_url, "api-version", has_api);
    const bool v1 = pin == protocol_version::v1 ||
                    (pin == protocol_version::unknown && api.size() >= 2 && api[0] == '1' && api[1] == '.');
    const header headers[] = {
        {v1 ? std::string_view("Location") : std::string_view("Operation-Location"), monitor_url},
        {"retry-after-ms", "0"},
    };
    const action a = op->on_response(response_view{202, headers, {}}, now);
    if (!std::holds_alternative<send_request>(a)) return errc::bad_submit_url;
    return op;
}

template <class Policy = creator_policy>
/// Same as the overload above, with a private copy of `opts`.
result<basic_operation<Policy>> follow_monitor(std::string_view monitor_url, const options& opts, time_point now) {
    return follow_monitor<Policy>(monitor_url, std::make_shared<const options>(opts), now);
}

} // namespace azmaps::lro

#endif
