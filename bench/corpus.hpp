// The poll answers every benchmark case reads: a realistic mix of what the Azure Maps Creator
// status monitor sends (bodies from PROTOCOL.md section 2 and tests/vectors, headers as the
// live service sends them: Date, Content-Type, Content-Length, x-ms-request-id, Retry-After
// and the location headers).
#ifndef AZMAPS_LRO_BENCH_CORPUS_HPP
#define AZMAPS_LRO_BENCH_CORPUS_HPP

#include <azmaps/lro.hpp>

#include <string>
#include <utility>
#include <vector>

namespace azbench {

namespace lro = azmaps::lro;

// A real-looking 100-byte status monitor, GUID operationId, and the submit that produced them.
inline const std::string k_submit_url =
    "https://us.atlas.microsoft.com/mapData?api-version=2.0&dataFormat=dwgzippackage&subscription-key=0123456789abcdef";
inline const std::string k_monitor =
    "https://us.atlas.microsoft.com/mapData/operations/c587574e-add9-4ef7-9788-1635bed9a87e?api-version=2.0";
inline const std::string k_monitor_v1 =
    "https://us.atlas.microsoft.com/mapData/operations/c587574e-add9-4ef7-9788-1635bed9a87e?api-version=1.0";
inline const std::string k_resource_v1 = "https://us.atlas.microsoft.com/tilesets/7a2c4b5d-3e1f-4c6b-9a8d-1f2e3d4c5b6a";
inline const std::string k_resource_v2 =
    "https://us.atlas.microsoft.com/mapData/metadata/25084fb7-307a-4720-8f91-7952a0b91012?api-version=2.0";

struct answer {
    const char* name;
    int status;
    std::vector<std::pair<std::string, std::string>> header_text;
    std::string body;
    bool terminal;
    int version; // 1 or 2: which monitor (machine) the answer comes from
    std::vector<lro::header> headers; // views into header_text, filled by finish()

    void finish() {
        for (auto& h : header_text)
            if (h.first == "Content-Length") h.second = std::to_string(body.size());
        headers.clear();
        for (const auto& h : header_text) headers.push_back({h.first, h.second});
    }
    lro::response_view view() const { return {status, headers, body}; }
};

inline std::vector<std::pair<std::string, std::string>> service_headers(const char* request_id,
                                                                     std::vector<std::pair<std::string, std::string>> extra) {
    std::vector<std::pair<std::string, std::string>> h{{"Date", "Thu, 06 May 2021 07:55:49 GMT"},
                                                       {"Content-Type", "application/json; charset=utf-8"},
                                                       {"Content-Length", "0"},
                                                       {"x-ms-request-id", request_id}};
    for (auto& e : extra) h.push_back(std::move(e));
    return h;
}

/// The corpus, in the order the benchmarks step through it: NotStarted, Running x5 (v1 and
/// v2, compact and pretty-printed), Succeeded v1 (201 + Location + resourceLocation),
/// Succeeded v2 (Resource-Location), Failed with `details` as an object and as an array.
inline std::vector<answer> make_corpus() {
    const std::string op_id = "c587574e-add9-4ef7-9788-1635bed9a87e";
    std::vector<answer> c;
    c.push_back({"NotStarted v2", 200,
                 service_headers("0f2a0b1c-6e0e-4d3b-8a0e-2b7f1c9d4e11", {{"Retry-After", "1"}, {"Operation-Location", k_monitor}}),
                 R"({"operationId":")" + op_id + R"(","created":"2021-05-06T07:55:19.5256829+00:00","status":"NotStarted"})",
                 false, 2, {}});
    c.push_back({"Running v1", 200,
                 service_headers("3d1c4f9e-0d3c-4b3a-9a55-0d1f3e7c9b21", {{"Retry-After", "30"}}),
                 R"({"operationId":")" + op_id + R"(","createdDateTime":"3/11/2020 8:45:13 PM +00:00","status":"Running"})",
                 false, 1, {}});
    c.push_back({"Running v2", 200,
                 service_headers("8b0e8e4e-51a4-4f0a-bd3c-3f3b7d0c2a55", {{"Retry-After", "30"}, {"Operation-Location", k_monitor}}),
                 R"({"operationId":")" + op_id + R"(","created":"2021-05-06T07:55:19.5256829+00:00","status":"Running"})",
                 false, 2, {}});
    c.push_back({"Running v1 pretty", 200,
                 service_headers("a4f5c6d7-8e9f-4a0b-9c1d-2e3f4a5b6c7d", {{"Retry-After", "30"}}),
                 "{\n    \"operationId\": \"" + op_id + "\",\n    \"createdDateTime\": \"3/11/2020 8:45:13 PM +00:00\",\n"
                 "    \"status\": \"Running\"\n}",
                 false, 1, {}});
    c.push_back({"Running v2 pretty", 200,
                 service_headers("b5a6c7d8-9e0f-4a1b-8c2d-3e4f5a6b7c8d", {{"Retry-After", "60"}, {"Operation-Location", k_monitor}}),
                 "{\n  \"operationId\": \"" + op_id + "\",\n  \"created\": \"2021-05-06T07:55:19.5256829+00:00\",\n"
                 "  \"status\": \"Running\"\n}",
                 false, 2, {}});
    c.push_back({"Running v2 Retry-After 5", 200,
                 service_headers("c6b7d8e9-0f1a-4b2c-9d3e-4f5a6b7c8d9e", {{"Retry-After", "5"}, {"Operation-Location", k_monitor}}),
                 R"({"operationId":")" + op_id + R"(","created":"2021-05-06T07:55:19.5256829+00:00","status":"Running"})",
                 false, 2, {}});
    c.push_back({"Succeeded v1 201", 201,
                 service_headers("d7c8e9f0-1a2b-4c3d-8e4f-5a6b7c8d9e0f", {{"Location", "\"" + k_resource_v1 + "\""}}),
                 R"({"operationId":")" + op_id + R"(","createdDateTime":"3/11/2020 8:45:13 PM +00:00","status":"Succeeded","resourceLocation":")" +
                     k_resource_v1 + R"("})",
                 true, 1, {}});
    c.push_back({"Succeeded v2", 200,
                 service_headers("e8d9f0a1-2b3c-4d4e-9f5a-6b7c8d9e0f1a", {{"Resource-Location", k_resource_v2}}),
                 R"({"operationId":")" + op_id + R"(","created":"2021-05-06T07:55:19.5256829+00:00","status":"Succeeded"})",
                 true, 2, {}});
    c.push_back({"Failed v1 details object", 200,
                 service_headers("f9e0a1b2-3c4d-4e5f-8a6b-7c8d9e0f1a2b", {}),
                 R"({"operationId":")" + op_id + R"(","createdDateTime":"3/11/2020 8:45:13 PM +00:00","status":"Failed",)"
                 R"("error":{"code":"InvalidFeature","message":"The provided feature is invalid.",)"
                 R"("details":{"code":"NoGeometry","message":"No geometry was provided with the feature."}}})",
                 true, 1, {}});
    c.push_back({"Failed v2 details array", 200,
                 service_headers("0a1b2c3d-4e5f-4a6b-9c7d-8e9f0a1b2c3d", {}),
                 "{\n  \"operationId\": \"" + op_id + "\",\n  \"created\": \"2021-05-06T07:55:19.5256829+00:00\",\n"
                 "  \"status\": \"Failed\",\n  \"error\": {\n    \"code\": \"DWG Conversion Error\",\n"
                 "    \"details\": [\n      {\n        \"code\": \"invalidArchiveFormat\",\n"
                 "        \"message\": \"The provided data is not a valid zip archive.\"\n      }\n    ],\n"
                 "    \"innererror\": {\n      \"code\": null\n    }\n  },\n"
                 "  \"diagnosticPackageLocation\": \"https://us.atlas.microsoft.com/mapData/a1b2c3d4?api-version=2.0\"\n}",
                 true, 2, {}});
    for (auto& a : c) a.finish();
    return c;
}

/// The submit answer (v1: 202 + Location, v2: 202 + Operation-Location) and the first poll that bring a machine into
/// the steady polling phase.
inline answer make_accept(int version) {
    answer a{"Accepted", 202,
             service_headers("11111111-2222-4333-8444-555555555555",
                             {{version == 1 ? "Location" : "Operation-Location", version == 1 ? k_monitor_v1 : k_monitor},
                              {"Retry-After", "1"}}),
             "", false, version, {}};
    a.finish();
    return a;
}

} // namespace azbench

#endif
