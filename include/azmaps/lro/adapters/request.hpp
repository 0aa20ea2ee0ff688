// azmaps-lro adapters: what a driver sends besides what the machine asks for -- the submit's
// body and headers, and the credentials it attaches to same-origin requests only. Shared by
// the libcurl drivers (curl_common.hpp) and the Asio/Beast driver (asio.hpp); needs neither.
#ifndef AZMAPS_LRO_ADAPTERS_REQUEST_HPP
#define AZMAPS_LRO_ADAPTERS_REQUEST_HPP

#include <string>
#include <vector>

namespace azmaps::lro {

/// Secrets, sent only with requests whose `same_origin` is true.
struct credentials {
    /// Azure Maps subscription key; empty: none.
    std::string subscription_key;
    /// Send the key as the `subscription-key` query parameter instead of a header.
    bool key_in_query = false;
    /// Value of an `Authorization` header (e.g. "Bearer eyJ0..."); empty: none.
    std::string authorization;
    /// More "Name: value" lines for the submit origin only (e.g. `x-ms-client-id`).
    std::vector<std::string> headers;
};

/// What the submit sends, and what every request sends.
struct request_spec {
    /// The submit body, sent again with every resubmit.
    std::string body;
    /// "Name: value" lines sent with the submit and every resubmit (e.g. Content-Type). When
    /// the body is not empty and none names Content-Type, `application/json` is sent.
    std::vector<std::string> submit_headers;
    /// "Name: value" lines sent with every request, on every origin: never put secrets here.
    std::vector<std::string> headers;
};

} // namespace azmaps::lro

#endif
