// azmaps-lro emulator: a local stand-in for the Azure Maps Creator long-running-operation API
// (v1 and v2), with scriptable faults per operation and per-operation request records so that
// end-to-end tests can assert how a client behaved (early polls, keys sent to other origins...).
//
// Not part of the library: a test and demo tool. See tools/emulator/README.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace azmaps::lro::emulator {

// What an operation does; chosen by the client at submit time (`?scenario=NAME` or the header
// `x-emulator-scenario: NAME`). Names are the kebab-case strings of scenario_name().
enum class scenario {
  succeed,                         // "succeed" (default): ends Succeeded with a resource
  succeed_no_resource,             // "succeed-no-resource"
  fail,                            // "fail": ends Failed with an OData error
  cancel,                          // "cancel": ends with status Canceled
  throttle_429,                    // "throttle-429": one poll answered 429 + Retry-After
  throttle_429_no_retry_after,     // "throttle-429-no-retry-after"
  unavailable_503,                 // "unavailable-503": one poll answered 503 + Retry-After
  unavailable_503_no_retry_after,  // "unavailable-503-no-retry-after"
  error_500,                       // "error-500": one poll answered 500 (no Retry-After)
  submit_503,                      // "submit-503": first submit 503 + Retry-After, resubmit accepted
  truncated_body,                  // "truncated-body": one 200 status answer with a cut JSON body
  drop_connection,                 // "drop-connection": one poll's connection closed, no response
  slow,                            // "slow": one status answer delayed (slow_ms, default 1500)
  http_date,                       // "http-date": Retry-After as an IMF-fixdate, with Date
  relative_urls,                   // "relative-urls": monitor and resource as relative references
  cross_origin,                    // "cross-origin": monitor on the second (foreign) listener
  missing_api_version,             // "missing-api-version": monitor/resource URLs lack api-version
  fail_submit_400,                 // "fail-submit-400": submit rejected with 400 InvalidRequest
};

std::string_view scenario_name(scenario s) noexcept;
std::optional<scenario> parse_scenario(std::string_view name) noexcept;
const std::vector<scenario>& all_scenarios();

// The script one operation follows: the scenario plus its timing. Built at submit time from the
// server's config, overridden by submit query parameters / x-emulator-* headers.
struct fault_script {
  scenario kind = scenario::succeed;
  int running_polls = 2;          // Running answers after the NotStarted one
  int retry_after_ms = 1000;      // delay advertised while NotStarted/Running (and by faults)
  bool ms_retry_after = false;    // send `retry-after-ms: N` instead of `Retry-After: ceil(N/1000)`
  bool submit_retry_after = true; // also advertise the delay on the 202 submit answer
  int fault_at_poll = 2;          // 1-based status poll that receives the one-shot fault
  int slow_ms = 1500;             // delay of the `slow` answer
  int http_date_s = 2;            // `http-date`: Retry-After = Date + this many seconds
};

struct config {
  std::string host = "127.0.0.1";
  int port = 0;                         // 0: any free port
  std::string subscription_key = "demo-key";
  bool require_key = true;              // false: accept requests without/with any key
  // Defaults of every operation's fault_script:
  std::string default_scenario = "succeed";
  int running_polls = 2;
  int retry_after_s = 1;
  bool ms_retry_after = false;          // send retry-after-ms (value retry_after_ms) instead
  int retry_after_ms = 1000;            // used only when ms_retry_after
  bool submit_retry_after = true;
  int fault_at_poll = 2;
  int slow_ms = 1500;
  int http_date_s = 2;
  // The `error` object of Failed answers, as JSON text; empty: the example of the docs
  // (InvalidFeature / NoGeometry).
  std::string failure_error_json;
  // The second listener (other origin) used by `cross-origin`. Always started.
  int foreign_port = 0;
  // Limits (tools/emulator/README.md, "Limits"). Connection handling: one thread per live
  // connection, up to max_threads; a connection beyond is answered 503 + Retry-After: 1 +
  // Connection: close (by one of two overflow threads). The 2,000-operation e2e test needs 256
  // client connections (+ the foreign listener's): 1024 leaves room for keep-alive benchmarks.
  std::size_t max_threads = 1024;
  // Largest request body read (submit bodies are ignored but for "scenario"): beyond, 413.
  std::size_t max_body_bytes = 1024 * 1024;
  // submit-503 operations waiting for their resubmit at once; beyond, a new submit-503 submit
  // is answered 429 + Retry-After: 1 (no operation is created). An entry expires a minute
  // after its 503's Retry-After (only looked at when the table is full).
  std::size_t max_pending_resubmits = 4096;
  std::size_t keep_alive_max_count = 1000;
  int keep_alive_timeout_s = 5;
  int early_tolerance_ms = 50;
  // Bounded memory: oldest operations are forgotten beyond this many; each keeps at most
  // max_requests_per_operation request records (counters keep counting).
  std::size_t max_operations = 100000;
  std::size_t max_requests_per_operation = 1000;
  // The records endpoint (README "Records over HTTP"): `GET /_emulator/stats` answers the
  // server-wide counts as JSON and `POST /_emulator/clear` forgets every operation, on the main
  // listener, with the same key as every other request. Off by default (those paths are 404).
  // Its own requests are in no record and no count.
  bool stats_endpoint = false;
  // Optional: one line per request (e.g. "GET /mapData/operations/ID?api-version=2.0 -> 200").
  // Called from server threads, possibly concurrently.
  std::function<void(const std::string&)> log;
};

class server {
 public:
  struct request_record {
    std::string method, path, query;  // query: the raw query string, without '?'
    bool had_key = false;             // subscription-key (query or header) or Authorization
    std::int64_t at_ms = 0;           // arrival, steady clock ms since server start
    int status = 0;                   // HTTP status answered (0: connection dropped)
    std::string kind;                 // "submit", "status" or "resource"
    bool foreign = false;             // arrived on the foreign (cross-origin) listener
    std::int64_t answered_ms = 0;     // status polls: when the answer was made (before it left;
                                      // for a dropped connection, before the shutdown)
    std::int64_t wait_ms = -1;        // status polls: the wait the answer asked for, -1: none
  };
  struct operation_record {
    std::string id;
    int version = 2;                         // 1 or 2
    std::string scenario;                    // scenario name
    std::vector<request_record> requests;    // submit(s), polls, resource fetches, in order
    std::int64_t next_allowed_poll_ms = 0;   // when the last sent Retry-After expires, counted
                                             // from a moment before the answer left
    int early_polls = 0;    // status polls that arrived before next_allowed_poll_ms - tolerance
    int early_submits = 0;  // resubmits (submit-503) before the 503's Retry-After expired
    int status_polls = 0;   // every GET on the monitor, faults included
    int submits = 0;
    int resource_fetches = 0;
    std::string final_status;  // "Succeeded", "Failed", "Canceled" once answered, else ""
    std::string monitor_url;   // as sent (may be relative)
    std::string resource_url;  // as sent, empty without a resource
  };

  explicit server(config cfg = {});
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  bool start();  // binds both listeners, serves on background threads; false on failure
  void stop();   // idempotent; closes live connections; also called by the destructor
  bool running() const;

  int port() const;
  std::string base_url() const;          // "http://127.0.0.1:PORT"
  int foreign_port() const;
  std::string foreign_base_url() const;  // the second listener (other origin)

  std::vector<operation_record> operations() const;  // snapshot, submit order, thread-safe
  std::optional<operation_record> operation(std::string_view id) const;
  std::size_t operation_count() const;

  int requests_without_key() const;         // main listener: requests with no key at all
  int requests_with_wrong_key() const;      // main listener: a key, but not the right one
  int foreign_origin_key_requests() const;  // foreign listener: requests that carried a key
  int foreign_origin_requests() const;      // foreign listener: all requests
  std::int64_t total_requests() const;
  // Requests refused by a limit of config: 429 (pending resubmits), 503 (connections beyond
  // max_threads), 413 (body beyond max_body_bytes).
  struct refusals {
    std::int64_t pending_resubmits = 0, busy = 0, too_large = 0;
  };
  refusals limit_refusals() const;
  std::int64_t now_ms() const;              // steady clock ms since server start

  // The server-wide counts as one JSON object (what `GET /_emulator/stats` answers; README
  // "Records over HTTP"): operations, submits, status_polls, resource_fetches, early_polls,
  // ended_as_scripted, final statuses, requests, refusals...
  std::string stats_json() const;

  void clear();  // forget operations and reset counters

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace azmaps::lro::emulator
