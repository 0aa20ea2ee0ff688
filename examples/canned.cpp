// examples/canned.cpp -- the README's integration loop, verbatim, run against canned answers:
// no network, no server. `my_http` plays the service from a script (the examples of the
// Azure Maps Creator documents: a v2 operation that succeeds with a resource, and a v1
// operation that fails with the documents' OData error). Exit 0 when both end as scripted.
#include <azmaps/lro.hpp>

#include <chrono>
#include <cstdio>
#include <deque>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace lro = azmaps::lro;

namespace {

// --- the stand-ins the README's loop names ----------------------------------------------------

struct canned_answer {
    std::string expect_method, expect_url; // what the loop must ask for
    int status;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
};

struct http_result {
    bool ok = true;
    int status = 0;
    std::vector<lro::header> headers; // views into the script
    std::string body;
};

std::deque<canned_answer> script;
bool script_ok = true;
std::string last_resource;
std::string last_failure;

using header_list = std::vector<std::string>;
const header_list my_headers = {"Content-Type: application/json"};
header_list with_key(header_list h) {
    h.push_back("subscription-key: <your key>");
    return h;
}

http_result my_http(std::string_view method, std::string_view url, const header_list& headers, std::string_view body) {
    http_result r;
    if (script.empty()) {
        std::printf("  !! unexpected request %.*s %.*s\n", static_cast<int>(method.size()), method.data(),
                    static_cast<int>(url.size()), url.data());
        script_ok = false;
        r.ok = false;
        return r;
    }
    static std::deque<canned_answer> served; // keeps the header strings alive for the views
    served.push_back(std::move(script.front()));
    script.pop_front();
    const canned_answer& a = served.back();
    const bool keyed = headers.size() > my_headers.size();
    std::printf("  %-4.*s %.*s%s%s\n", static_cast<int>(method.size()), method.data(), static_cast<int>(url.size()),
                url.data(), keyed ? "  [key attached]" : "", body.empty() ? "" : "  [with body]");
    if (method != a.expect_method || url != a.expect_url) {
        std::printf("  !! expected %s %s\n", a.expect_method.c_str(), a.expect_url.c_str());
        script_ok = false;
    }
    r.status = a.status;
    for (const auto& kv : a.headers) r.headers.push_back(lro::header{kv.first, kv.second});
    r.body = a.body;
    std::printf("    -> %d%s%s\n", a.status, a.body.empty() ? "" : " ", a.body.substr(0, 90).c_str());
    return r;
}

void print(std::string_view what, std::string_view detail) {
    std::printf("  => %.*s: %.*s\n", static_cast<int>(what.size()), what.data(), static_cast<int>(detail.size()),
                detail.data());
    if (what == "done") last_resource = std::string(detail);
    else last_failure = std::string(detail);
}

void sleep_until(lro::time_point t) { std::this_thread::sleep_until(t); }

// --- the loop from the README, unchanged ----------------------------------------------------------

void readme_loop(const std::string& submit_url, const std::string& body) {
lro::options opts;                                        // defaults: see below
auto op = lro::operation::start("POST", submit_url, opts);  // refused: op.error()
if (!op) return;
auto req = *op->pending_request();                         // the submit itself
for (;;) {
  sleep_until(req.not_before);                             // your timer; delay 0 for the submit
  auto headers = req.same_origin ? with_key(my_headers) : my_headers;   // keep keys home
  http_result res = my_http(req.method, req.url, headers,
                            req.purpose == lro::purpose::submit ? body : "");
  lro::action next = res.ok
      ? op->on_response({res.status, res.headers /* vector<lro::header> */, res.body},
                        lro::clock::now())
      : op->on_transport_error(lro::transport_error::connection_reset, lro::clock::now());
  if (auto* r = std::get_if<lro::send_request>(&next)) { req = *r; continue; }
  if (auto* s = std::get_if<lro::succeeded>(&next)) print("done", s->resource_location);
  if (auto* f = std::get_if<lro::failed>(&next)) print(to_string(f->reason), f->detail);
  break;                                                   // succeeded, failed or canceled
}
}

} // namespace

int main() {
    const std::string host = "https://us.atlas.microsoft.com";
    // v2 (Data Upload 2.0): 202 + Operation-Location, NotStarted, Running, Succeeded + Resource-Location
    // (quoted, as the documents print it), then the resource metadata. Retry-After in
    // milliseconds so that the example runs in a blink.
    const std::string mon2 = host + "/mapData/operations/c587574e-add9-4ef7-9788-1635bed9a87e?api-version=2.0";
    const std::string res2 = host + "/mapData/metadata/25084fb7-307a-4720-8f91-7952a0b91012?api-version=2.0";
    std::printf("v2: upload, expected to succeed with a resource\n");
    script = {
        {"POST", host + "/mapData?api-version=2.0&dataFormat=geojson", 202,
         {{"Operation-Location", mon2}, {"retry-after-ms", "20"}}, ""},
        {"GET", mon2, 200, {{"retry-after-ms", "20"}},
         R"({"operationId":"c587574e-add9-4ef7-9788-1635bed9a87e","created":"2021-05-06T07:55:19.5256829+00:00","status":"NotStarted"})"},
        {"GET", mon2, 200, {{"Retry-After", "0"}},
         R"({"operationId":"c587574e-add9-4ef7-9788-1635bed9a87e","created":"2021-05-06T07:55:19.5256829+00:00","status":"Running"})"},
        {"GET", mon2, 200, {{"Resource-Location", "\"" + res2 + "\""}},
         R"({"operationId":"c587574e-add9-4ef7-9788-1635bed9a87e","created":"2021-05-06T07:55:19.5256829+00:00","status":"Succeeded"})"},
        {"GET", res2, 200, {}, R"({"udid":"25084fb7-307a-4720-8f91-7952a0b91012","uploadStatus":"Completed"})"},
    };
    readme_loop(host + "/mapData?api-version=2.0&dataFormat=geojson", R"({"type":"FeatureCollection","features":[]})");
    const bool v2_ok = script.empty() && last_resource == res2;

    // v1 (Conversion 1.0): 202 + Location, Running (v1 dates), Failed with the OData error.
    const std::string mon1 = host + "/conversion/operations/1b7bfbc5-8f6b-4e2b-8b3b-1d6c8f9cbb3a?api-version=1.0";
    std::printf("\nv1: conversion, expected to fail with the documents' OData error\n");
    script = {
        {"POST", host + "/conversion/convert?api-version=1.0&udid=25084fb7&outputOntology=facility-2.0", 202,
         {{"Location", mon1}, {"retry-after-ms", "20"}}, ""},
        {"GET", mon1, 200, {{"retry-after-ms", "20"}},
         R"({"operationId":"1b7bfbc5","createdDateTime":"3/11/2020 8:45:13 PM +00:00","status":"Running"})"},
        {"GET", mon1, 200, {},
         R"({"operationId":"1b7bfbc5","createdDateTime":"3/11/2020 8:45:13 PM +00:00","status":"Failed",)"
         R"("error":{"code":"InvalidFeature","message":"The provided feature is invalid.",)"
         R"("details":{"code":"NoGeometry","message":"No geometry was provided with the feature."}}})"},
    };
    last_failure.clear();
    readme_loop(host + "/conversion/convert?api-version=1.0&udid=25084fb7&outputOntology=facility-2.0", "");
    const bool v1_ok = script.empty() && last_failure.find("InvalidFeature") != std::string::npos;

    const bool ok = script_ok && v1_ok && v2_ok;
    std::printf("\ncanned: %s\n", ok ? "both operations ended as scripted" : "UNEXPECTED");
    return ok ? 0 : 1;
}
