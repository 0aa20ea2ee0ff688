// azmaps-lro: credential query parameters, removed from every URL the machine keeps.
//
// Why here and not in the drivers: a URL the machine keeps goes into resume tokens,
// observations, failure details and request actions that drivers print. A service can name a
// monitor such as `Operation-Location: #x` (which resolves to the submit URL, query included)
// or `/ops/1?subscription-key=...`; whatever it names, no kept URL may hold a credential. The
// drivers attach credentials themselves, and only to same-origin requests.
#ifndef AZMAPS_LRO_DETAIL_CREDENTIALS_HPP
#define AZMAPS_LRO_DETAIL_CREDENTIALS_HPP

#include <string>
#include <string_view>
#include <vector>

#include "../response.hpp"
#include "url.hpp"

namespace azmaps::lro::detail {

/// The query parameter that always carries a credential (Azure Maps' key).
inline constexpr std::string_view subscription_key_param = "subscription-key";

/// True when a query component named `name` is a credential: `subscription-key` or one of
/// `extra`, compared ASCII case-insensitively (a service or a user may spell it any way).
inline bool is_credential_name(std::string_view name, const std::vector<std::string>& extra) noexcept {
    if (iequals(name, subscription_key_param)) return true;
    for (const std::string& e : extra)
        if (!e.empty() && iequals(name, e)) return true;
    return false;
}

// for_each_query_component and query_component_name: url.hpp (the one query reader).

/// True when `url` has a credential query parameter. Allocation-free: the steady poll checks
/// every followed URL with it.
inline bool has_credential_param(std::string_view url, const std::vector<std::string>& extra) {
    bool any = false;
    for_each_query_component(url, [&](std::string_view comp, std::size_t, std::size_t) {
        any = is_credential_name(query_component_name(comp), extra);
        return !any;
    });
    return any;
}

/// `url` without its credential query parameters (the rest byte for byte; a query left empty
/// loses its '?'). Only called when has_credential_param() said so.
inline std::string without_credential_params(std::string_view url, const std::vector<std::string>& extra) {
    std::string out;
    out.reserve(url.size());
    bool found = false;
    const std::string_view q = url_query(url, found);
    const std::size_t q_begin = static_cast<std::size_t>(q.data() - url.data()); // just after '?'
    const std::size_t q_end = q_begin + q.size();
    out.append(url.substr(0, q_begin)); // up to and including '?'
    bool first = true;
    for_each_query_component(url, [&](std::string_view comp, std::size_t, std::size_t) {
        if (!is_credential_name(query_component_name(comp), extra)) {
            if (!first) out.push_back('&');
            out.append(comp);
            first = false;
        }
        return true;
    });
    if (first) out.pop_back(); // nothing left: drop the '?'
    out.append(url.substr(q_end));
    return out;
}

} // namespace azmaps::lro::detail

#endif
