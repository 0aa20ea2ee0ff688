// Tests of the Creator LRO emulator, through a plain HTTP client (no LRO library).
#include "emulator.hpp"

#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <ctime>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

namespace emu = azmaps::lro::emulator;
using json = nlohmann::json;

namespace {

emu::config fast_config() {
  emu::config c;
  c.ms_retry_after = true;
  c.retry_after_ms = 20;
  c.running_polls = 2;
  c.keep_alive_timeout_s = 1;
  return c;
}

// "http://127.0.0.1:1234/a/b?x" -> "/a/b?x"; relative references are returned as they are.
std::string path_of(const std::string& url) {
  auto s = url;
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  if (s.rfind("http://", 0) == 0) {
    auto slash = s.find('/', 7);
    return slash == std::string::npos ? "/" : s.substr(slash);
  }
  return s;
}

std::string with_key(const std::string& path, const std::string& key = "demo-key") {
  return path + (path.find('?') == std::string::npos ? "?" : "&") + "subscription-key=" + key;
}

std::int64_t retry_ms(const httplib::Result& r) {
  if (r->has_header("retry-after-ms")) return std::stoll(r->get_header_value("retry-after-ms"));
  if (r->has_header("Retry-After")) return 1000 * std::stoll(r->get_header_value("Retry-After"));
  return 0;
}

struct answer {
  int status;
  httplib::Headers headers;
  json body;
};

class EmulatorTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(srv.start()); }
  void TearDown() override { srv.stop(); }

  httplib::Client client() {
    httplib::Client c(srv.base_url());
    c.set_read_timeout(5, 0);
    return c;
  }

  // Submits and returns the response.
  httplib::Result submit(int version, const std::string& params = "", httplib::Headers h = {}) {
    auto c = client();
    std::string path = version == 1 ? "/mapData/upload?api-version=1.0&dataFormat=zip"
                                    : "/mapData?api-version=2.0";
    path = with_key(path) + params;
    return c.Post(path.c_str(), h, "{}", "application/json");
  }

  // Polls `monitor` (path) until a terminal status, honouring Retry-After; every answer.
  std::vector<answer> poll_to_end(const std::string& monitor, int max = 30) {
    std::vector<answer> out;
    auto c = client();
    for (int i = 0; i < max; ++i) {
      auto r = c.Get(with_key(monitor).c_str());
      if (!r) {
        out.push_back({0, {}, json()});
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        continue;
      }
      out.push_back({r->status, r->headers, json::parse(r->body, nullptr, false)});
      const auto& b = out.back().body;
      if (r->status == 200 || r->status == 201) {
        if (b.is_object() && b.contains("status")) {
          auto st = b["status"].get<std::string>();
          if (st == "Succeeded" || st == "Failed" || st == "Canceled") break;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(retry_ms(r) + 5));
    }
    return out;
  }

  static std::string header(const httplib::Headers& h, const std::string& name) {
    auto it = h.find(name);
    return it == h.end() ? std::string() : it->second;
  }

  emu::server srv{fast_config()};
};

const std::regex k_v1_date(R"(\d{1,2}/\d{1,2}/\d{4} \d{1,2}:\d{2}:\d{2} (AM|PM) \+00:00)");
const std::regex k_v2_date(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}\+00:00)");
const std::regex k_imf(R"([A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT)");

}  // namespace

TEST(EmulatorScenarios, NamesRoundTrip) {
  EXPECT_EQ(emu::all_scenarios().size(), 18u);
  for (auto s : emu::all_scenarios()) EXPECT_EQ(emu::parse_scenario(emu::scenario_name(s)), s);
  EXPECT_FALSE(emu::parse_scenario("nope").has_value());
}

TEST_F(EmulatorTest, BaseUrlAndPorts) {
  EXPECT_GT(srv.port(), 0);
  EXPECT_GT(srv.foreign_port(), 0);
  EXPECT_NE(srv.port(), srv.foreign_port());
  EXPECT_EQ(srv.base_url(), "http://127.0.0.1:" + std::to_string(srv.port()));
}

TEST_F(EmulatorTest, V2SucceedsWithResource) {
  auto r = submit(2);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 202);
  const auto ol = r->get_header_value("Operation-Location");
  EXPECT_EQ(ol.rfind(srv.base_url() + "/mapData/operations/", 0), 0u) << ol;
  EXPECT_NE(ol.find("?api-version=2.0"), std::string::npos);
  EXPECT_FALSE(r->has_header("Location"));
  EXPECT_EQ(r->get_header_value("retry-after-ms"), "20");
  EXPECT_TRUE(r->has_header("x-ms-request-id"));
  EXPECT_TRUE(std::regex_match(r->get_header_value("Date"), k_imf));

  auto answers = poll_to_end(path_of(ol));
  ASSERT_EQ(answers.size(), 4u);
  EXPECT_EQ(answers[0].body["status"], "NotStarted");
  EXPECT_EQ(answers[1].body["status"], "Running");
  EXPECT_EQ(answers[2].body["status"], "Running");
  EXPECT_EQ(answers[3].body["status"], "Succeeded");
  for (auto& a : answers) {
    EXPECT_EQ(a.status, 200);
    EXPECT_TRUE(std::regex_match(a.body["created"].get<std::string>(), k_v2_date)) << a.body;
    EXPECT_FALSE(a.body.contains("createdDateTime"));
    EXPECT_EQ(header(a.headers, "Content-Type"), "application/json; charset=utf-8");
    EXPECT_FALSE(header(a.headers, "x-ms-request-id").empty());
    EXPECT_FALSE(header(a.headers, "Date").empty());
  }
  EXPECT_EQ(header(answers[0].headers, "retry-after-ms"), "20");
  EXPECT_TRUE(header(answers[3].headers, "retry-after-ms").empty());
  const auto rl = header(answers[3].headers, "Resource-Location");
  EXPECT_EQ(rl.rfind(srv.base_url() + "/mapData/metadata/", 0), 0u) << rl;
  EXPECT_NE(rl.find("api-version=2.0"), std::string::npos);
  const std::string id = answers[0].body["operationId"];

  auto c = client();
  auto res = c.Get(with_key(path_of(rl)).c_str());
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  auto meta = json::parse(res->body);
  EXPECT_EQ(meta["uploadStatus"], "Completed");

  auto op = srv.operation(id);
  ASSERT_TRUE(op);
  EXPECT_EQ(op->version, 2);
  EXPECT_EQ(op->scenario, "succeed");
  EXPECT_EQ(op->submits, 1);
  EXPECT_EQ(op->status_polls, 4);
  EXPECT_EQ(op->resource_fetches, 1);
  EXPECT_EQ(op->early_polls, 0);
  EXPECT_EQ(op->final_status, "Succeeded");
  ASSERT_EQ(op->requests.size(), 6u);
  EXPECT_EQ(op->requests[0].kind, "submit");
  EXPECT_EQ(op->requests[0].method, "POST");
  EXPECT_EQ(op->requests[0].path, "/mapData");
  EXPECT_EQ(op->requests[0].status, 202);
  EXPECT_EQ(op->requests[1].kind, "status");
  EXPECT_EQ(op->requests[4].status, 200);
  EXPECT_EQ(op->requests[5].kind, "resource");
  for (auto& q : op->requests) EXPECT_TRUE(q.had_key);
  for (std::size_t i = 1; i < op->requests.size(); ++i)
    EXPECT_GE(op->requests[i].at_ms, op->requests[i - 1].at_ms);
  EXPECT_EQ(srv.requests_without_key(), 0);
}

TEST_F(EmulatorTest, V1SucceedsWithQuotedLocation) {
  auto r = submit(1);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 202);
  const auto loc = r->get_header_value("Location");
  EXPECT_FALSE(r->has_header("Operation-Location"));
  EXPECT_NE(loc.find("/mapData/operations/"), std::string::npos);
  EXPECT_NE(loc.find("api-version=1.0"), std::string::npos);
  auto answers = poll_to_end(path_of(loc));
  ASSERT_EQ(answers.size(), 4u);
  auto& last = answers.back();
  EXPECT_EQ(last.status, 201);
  EXPECT_EQ(last.body["status"], "Succeeded");
  EXPECT_TRUE(std::regex_match(last.body["createdDateTime"].get<std::string>(), k_v1_date)) << last.body;
  const auto l = header(last.headers, "Location");
  ASSERT_GE(l.size(), 2u);
  EXPECT_EQ(l.front(), '"');
  EXPECT_EQ(l.back(), '"');
  EXPECT_EQ(l.substr(1, l.size() - 2), last.body["resourceLocation"].get<std::string>());
  EXPECT_NE(l.find("api-version=1.0"), std::string::npos);
  auto c = client();
  auto res = c.Get(with_key(path_of(l)).c_str());
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(srv.operation(last.body["operationId"].get<std::string>())->version, 1);
}

TEST_F(EmulatorTest, SucceedNoResource) {
  for (int v : {1, 2}) {
    auto r = submit(v, "&scenario=succeed-no-resource&running_polls=0");
    ASSERT_TRUE(r);
    auto answers = poll_to_end(path_of(r->get_header_value(v == 1 ? "Location" : "Operation-Location")));
    ASSERT_EQ(answers.size(), 2u);
    EXPECT_EQ(answers[1].status, 200);
    EXPECT_EQ(answers[1].body["status"], "Succeeded");
    EXPECT_TRUE(header(answers[1].headers, "Location").empty());
    EXPECT_TRUE(header(answers[1].headers, "Resource-Location").empty());
    EXPECT_FALSE(answers[1].body.contains("resourceLocation"));
  }
}

TEST_F(EmulatorTest, FailAndCancel) {
  for (int v : {1, 2}) {
    auto r = submit(v, "&scenario=fail&running_polls=1");
    ASSERT_TRUE(r);
    auto answers = poll_to_end(path_of(r->get_header_value(v == 1 ? "Location" : "Operation-Location")));
    ASSERT_EQ(answers.size(), 3u);
    auto& b = answers.back().body;
    EXPECT_EQ(answers.back().status, 200);
    EXPECT_EQ(b["status"], "Failed");
    EXPECT_EQ(b["error"]["code"], "InvalidFeature");
    EXPECT_EQ(b["error"]["message"], "The provided feature is invalid.");
    EXPECT_EQ(b["error"]["details"]["code"], "NoGeometry");
    EXPECT_EQ(srv.operation(b["operationId"].get<std::string>())->final_status, "Failed");
  }
  auto r = submit(2, "&scenario=cancel&running_polls=0");
  ASSERT_TRUE(r);
  auto answers = poll_to_end(path_of(r->get_header_value("Operation-Location")));
  ASSERT_EQ(answers.size(), 2u);
  EXPECT_EQ(answers.back().body["status"], "Canceled");
}

TEST_F(EmulatorTest, KeyIsRequired) {
  auto c = client();
  auto r = c.Post("/mapData?api-version=2.0", "{}", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(json::parse(r->body)["error"]["code"], "401 Unauthorized");
  r = c.Post("/mapData?api-version=2.0&subscription-key=wrong", "{}", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  // the header form is accepted
  r = c.Post("/mapData?api-version=2.0", {{"subscription-key", "demo-key"}}, "{}", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 202);
  auto monitor = path_of(r->get_header_value("Operation-Location"));
  auto s = c.Get(monitor.c_str());  // no key
  ASSERT_TRUE(s);
  EXPECT_EQ(s->status, 401);
  EXPECT_EQ(srv.requests_without_key(), 2);
  EXPECT_EQ(srv.requests_with_wrong_key(), 1);
  EXPECT_EQ(srv.operations().size(), 1u);
  EXPECT_EQ(srv.operations()[0].status_polls, 0);  // a 401 does not reach the operation
}

TEST_F(EmulatorTest, EarlyPollsAreCounted) {
  auto r = submit(2, "&retry_after_ms=300&running_polls=3");
  ASSERT_TRUE(r);
  auto monitor = with_key(path_of(r->get_header_value("Operation-Location")));
  auto c = client();
  auto a = c.Get(monitor.c_str());  // at once: early (the 202 said 300 ms)
  ASSERT_TRUE(a);
  EXPECT_EQ(a->get_header_value("retry-after-ms"), "300");
  a = c.Get(monitor.c_str());  // early again
  ASSERT_TRUE(a);
  std::this_thread::sleep_for(std::chrono::milliseconds(320));
  a = c.Get(monitor.c_str());  // on time
  ASSERT_TRUE(a);
  auto id = json::parse(a->body)["operationId"].get<std::string>();
  auto op = srv.operation(id);
  ASSERT_TRUE(op);
  EXPECT_EQ(op->status_polls, 3);
  EXPECT_EQ(op->early_polls, 2);
  EXPECT_GT(op->next_allowed_poll_ms, op->requests.back().at_ms + 250);
}

TEST_F(EmulatorTest, OneShotErrorStatusesThenNormal) {
  struct tc {
    const char* name;
    int status;
    bool retry_after;
  };
  for (auto t : {tc{"throttle-429", 429, true}, tc{"throttle-429-no-retry-after", 429, false},
                 tc{"unavailable-503", 503, true}, tc{"unavailable-503-no-retry-after", 503, false},
                 tc{"error-500", 500, false}}) {
    SCOPED_TRACE(t.name);
    auto r = submit(2, std::string("&running_polls=1&scenario=") + t.name);
    ASSERT_TRUE(r);
    auto answers = poll_to_end(path_of(r->get_header_value("Operation-Location")));
    ASSERT_EQ(answers.size(), 4u);
    EXPECT_EQ(answers[0].body["status"], "NotStarted");
    EXPECT_EQ(answers[1].status, t.status);  // fault_at defaults to the second poll
    EXPECT_TRUE(answers[1].body["error"]["code"].is_string());
    EXPECT_EQ(!header(answers[1].headers, "retry-after-ms").empty(), t.retry_after);
    EXPECT_EQ(answers[2].body["status"], "Running");
    EXPECT_EQ(answers[3].body["status"], "Succeeded");
    auto op = srv.operation(answers[0].body["operationId"].get<std::string>());
    EXPECT_EQ(op->status_polls, 4);
    EXPECT_EQ(op->requests[2].status, t.status);
  }
}

TEST_F(EmulatorTest, FaultAtAndSecondsRetryAfterViaHeaders) {
  auto r = submit(2, "", {{"x-emulator-scenario", "throttle-429"}, {"x-emulator-fault-at", "1"},
                          {"x-emulator-retry-after", "1"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->get_header_value("Retry-After"), "1");
  EXPECT_FALSE(r->has_header("retry-after-ms"));
  auto c = client();
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  auto a = c.Get(with_key(path_of(r->get_header_value("Operation-Location"))).c_str());
  ASSERT_TRUE(a);
  EXPECT_EQ(a->status, 429);
  EXPECT_EQ(a->get_header_value("Retry-After"), "1");
  EXPECT_EQ(srv.operations().back().scenario, "throttle-429");
  EXPECT_EQ(srv.operations().back().early_polls, 0);
}

TEST_F(EmulatorTest, SubmitUnavailableThenAccepted) {
  auto r = submit(2, "&scenario=submit-503&tag=a");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->get_header_value("retry-after-ms"), "20");
  EXPECT_FALSE(r->has_header("Operation-Location"));
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  auto r2 = submit(2, "&scenario=submit-503&tag=a");
  ASSERT_TRUE(r2);
  EXPECT_EQ(r2->status, 202);
  auto answers = poll_to_end(path_of(r2->get_header_value("Operation-Location")));
  EXPECT_EQ(answers.back().body["status"], "Succeeded");
  auto op = srv.operation(answers[0].body["operationId"].get<std::string>());
  ASSERT_TRUE(op);
  EXPECT_EQ(op->submits, 2);
  EXPECT_EQ(op->early_submits, 0);
  EXPECT_EQ(op->requests[0].status, 503);
  EXPECT_EQ(op->requests[1].status, 202);
  // seconds mode: the 503 says Retry-After: 1
  auto r3 = submit(2, "&scenario=submit-503&tag=b&retry_after=2");
  ASSERT_TRUE(r3);
  EXPECT_EQ(r3->get_header_value("Retry-After"), "1");
  auto r4 = submit(2, "&scenario=submit-503&tag=b&retry_after=2");  // too early
  ASSERT_TRUE(r4);
  EXPECT_EQ(r4->status, 202);
  EXPECT_EQ(srv.operations().back().early_submits, 1);
}

TEST_F(EmulatorTest, TruncatedBody) {
  auto r = submit(2, "&scenario=truncated-body&running_polls=1");
  ASSERT_TRUE(r);
  auto c = client();
  auto monitor = with_key(path_of(r->get_header_value("Operation-Location")));
  auto a1 = c.Get(monitor.c_str());
  ASSERT_TRUE(a1);
  std::this_thread::sleep_for(std::chrono::milliseconds(25));
  auto a2 = c.Get(monitor.c_str());
  ASSERT_TRUE(a2);
  EXPECT_EQ(a2->status, 200);
  EXPECT_FALSE(json::accept(a2->body)) << a2->body;
  EXPECT_EQ(a2->body.rfind("{\"operationId\"", 0), 0u);
  std::this_thread::sleep_for(std::chrono::milliseconds(25));
  auto a3 = c.Get(monitor.c_str());
  ASSERT_TRUE(a3);
  EXPECT_EQ(json::parse(a3->body)["status"], "Running");  // the cut answer did not advance
}

TEST_F(EmulatorTest, DropConnection) {
  auto r = submit(2, "&scenario=drop-connection&running_polls=0");
  ASSERT_TRUE(r);
  auto monitor = path_of(r->get_header_value("Operation-Location"));
  auto answers = poll_to_end(monitor);
  ASSERT_EQ(answers.size(), 3u);
  EXPECT_EQ(answers[0].body["status"], "NotStarted");
  EXPECT_EQ(answers[1].status, 0);  // transport error
  EXPECT_EQ(answers[2].body["status"], "Succeeded");
  auto op = srv.operations().back();
  EXPECT_EQ(op.status_polls, 3);
  EXPECT_EQ(op.requests[2].status, 0);
}

// The regression of the flaky 2,000-operation e2e test: a dropped connection is the answer, and
// the client sees it the moment the socket is shut down. The emulator must account for it
// (deadline, status) before that, never after: a handler thread descheduled after the shutdown
// used to stamp the deadline late and count the client's immediate retry as early (and to
// write status 0 over the retry's record). Here the dropped handler is held up after the
// shutdown (in the log callback) while the retry is served.
TEST(EmulatorAccounting, DroppedConnectionIsAccountedBeforeTheClientSeesIt) {
  auto cfg = fast_config();
  std::atomic<bool> drop_logged{false};
  cfg.log = [&](const std::string& line) {
    if (line.size() >= 7 && line.compare(line.size() - 7, 7, "dropped") == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      drop_logged = true;
    }
  };
  emu::server s(cfg);
  ASSERT_TRUE(s.start());
  httplib::Client c(s.base_url());
  auto r = c.Post("/mapData?api-version=2.0&subscription-key=demo-key&scenario=drop-connection&fault_at=1"
                  "&retry_after_ms=400&submit_retry_after=0",
                  "{}", "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 202);
  const std::string monitor = with_key(path_of(r->get_header_value("Operation-Location")));
  auto dropped = c.Get(monitor.c_str());
  EXPECT_FALSE(dropped);  // no response: the connection was shut down
  const std::int64_t seen_drop = s.now_ms();
  httplib::Client retry(s.base_url());  // at once, as libcurl does on a reused connection
  auto a = retry.Get(monitor.c_str());
  ASSERT_TRUE(a);
  EXPECT_EQ(a->status, 200);
  EXPECT_EQ(json::parse(a->body)["status"], "NotStarted");
  for (int i = 0; i < 1000 && !drop_logged; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_TRUE(drop_logged);  // the dropped handler has finished: nothing of it is pending
  auto op = s.operations().back();
  ASSERT_EQ(op.requests.size(), 3u);
  EXPECT_EQ(op.status_polls, 2);
  EXPECT_EQ(op.early_polls, 0);
  EXPECT_EQ(op.requests[1].status, 0);
  EXPECT_LE(op.requests[1].answered_ms, seen_drop);  // accounted before the client saw the end
  EXPECT_EQ(op.requests[1].wait_ms, -1);
  EXPECT_EQ(op.requests[2].status, 200);  // the retry keeps its own status
  EXPECT_EQ(op.requests[2].wait_ms, 400);
  // The deadline is the retry's (400 ms after its answer), not the dropped answer's.
  EXPECT_EQ(op.next_allowed_poll_ms, op.requests[2].answered_ms + 400);
}

TEST_F(EmulatorTest, SlowAnswer) {
  auto r = submit(2, "&scenario=slow&slow_ms=400&fault_at=1");
  ASSERT_TRUE(r);
  auto c = client();
  std::this_thread::sleep_for(std::chrono::milliseconds(25));
  auto t0 = std::chrono::steady_clock::now();
  auto a = c.Get(with_key(path_of(r->get_header_value("Operation-Location"))).c_str());
  auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_TRUE(a);
  EXPECT_EQ(a->status, 200);
  EXPECT_EQ(json::parse(a->body)["status"], "NotStarted");
  EXPECT_GE(took, std::chrono::milliseconds(390));
}

TEST_F(EmulatorTest, HttpDateRetryAfter) {
  auto r = submit(2, "&scenario=http-date&running_polls=0");
  ASSERT_TRUE(r);
  auto check = [](const httplib::Result& x) {
    auto ra = x->get_header_value("Retry-After");
    auto date = x->get_header_value("Date");
    ASSERT_TRUE(std::regex_match(ra, k_imf)) << ra;
    ASSERT_TRUE(std::regex_match(date, k_imf)) << date;
    auto parse = [](const std::string& s) {
      std::tm tm{};
      strptime(s.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
      return timegm(&tm);
    };
    EXPECT_EQ(parse(ra) - parse(date), 2);
  };
  check(r);
  auto c = client();
  auto monitor = with_key(path_of(r->get_header_value("Operation-Location")));
  auto a = c.Get(monitor.c_str());  // early: the date has not passed
  ASSERT_TRUE(a);
  EXPECT_EQ(json::parse(a->body)["status"], "NotStarted");
  check(a);
  auto op = srv.operations().back();
  EXPECT_EQ(op.early_polls, 1);
  EXPECT_GE(op.next_allowed_poll_ms - op.requests.back().at_ms, 1000);
}

TEST_F(EmulatorTest, RelativeUrls) {
  for (int v : {1, 2}) {
    auto r = submit(v, "&scenario=relative-urls&running_polls=0");
    ASSERT_TRUE(r);
    auto monitor = r->get_header_value(v == 1 ? "Location" : "Operation-Location");
    EXPECT_EQ(monitor.rfind("/mapData/operations/", 0), 0u) << monitor;
    auto answers = poll_to_end(monitor);
    auto res = header(answers.back().headers, v == 1 ? "Location" : "Resource-Location");
    EXPECT_EQ(path_of(res).rfind("/mapData/metadata/", 0), 0u) << res;
    if (v == 1) {
      EXPECT_EQ(answers.back().body["resourceLocation"].get<std::string>().rfind("/mapData/", 0), 0u);
    }
    auto c = client();
    auto m = c.Get(with_key(path_of(res)).c_str());
    ASSERT_TRUE(m);
    EXPECT_EQ(m->status, 200);
  }
}

TEST_F(EmulatorTest, CrossOriginMonitor) {
  auto r = submit(2, "&scenario=cross-origin&running_polls=0");
  ASSERT_TRUE(r);
  auto monitor = r->get_header_value("Operation-Location");
  EXPECT_EQ(monitor.rfind(srv.foreign_base_url() + "/mapData/operations/", 0), 0u) << monitor;
  httplib::Client f(srv.foreign_base_url());
  auto a = f.Get(path_of(monitor).c_str());  // a correct client: no key to the other origin
  ASSERT_TRUE(a);
  EXPECT_EQ(a->status, 200);
  EXPECT_EQ(json::parse(a->body)["status"], "NotStarted");
  EXPECT_EQ(srv.foreign_origin_key_requests(), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(25));
  a = f.Get(with_key(path_of(monitor)).c_str());  // a leaking client
  ASSERT_TRUE(a);
  EXPECT_EQ(json::parse(a->body)["status"], "Succeeded");
  auto rl = a->get_header_value("Resource-Location");
  EXPECT_EQ(rl.rfind(srv.base_url(), 0), 0u);  // the resource is back on the main origin
  a = f.Get(path_of(monitor).c_str(), {{"subscription-key", "demo-key"}});
  ASSERT_TRUE(a);
  EXPECT_EQ(srv.foreign_origin_key_requests(), 2);
  EXPECT_EQ(srv.foreign_origin_requests(), 3);
  auto op = srv.operations().back();
  EXPECT_TRUE(op.requests[1].foreign);
  EXPECT_FALSE(op.requests[1].had_key);
  EXPECT_TRUE(op.requests[2].had_key);
}

TEST_F(EmulatorTest, MissingApiVersion) {
  auto r = submit(2, "&scenario=missing-api-version&running_polls=0");
  ASSERT_TRUE(r);
  auto monitor = path_of(r->get_header_value("Operation-Location"));
  EXPECT_EQ(monitor.find('?'), std::string::npos) << monitor;
  auto c = client();
  auto a = c.Get(with_key(monitor).c_str());
  ASSERT_TRUE(a);
  EXPECT_EQ(a->status, 400);
  EXPECT_EQ(json::parse(a->body)["error"]["code"], "MissingApiVersionParameter");
  a = c.Get(with_key(monitor + "?api-version=2.0").c_str());
  ASSERT_TRUE(a);
  EXPECT_EQ(a->status, 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(25));
  a = c.Get(with_key(monitor + "?api-version=2.0").c_str());
  ASSERT_TRUE(a);
  EXPECT_EQ(json::parse(a->body)["status"], "Succeeded");
  auto rl = path_of(a->get_header_value("Resource-Location"));
  EXPECT_EQ(rl.find('?'), std::string::npos);
  auto m = c.Get(with_key(rl + "?api-version=2.0").c_str());
  ASSERT_TRUE(m);
  EXPECT_EQ(m->status, 200);
}

TEST_F(EmulatorTest, SubmitRejected) {
  auto r = submit(2, "&scenario=fail-submit-400");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(json::parse(r->body)["error"]["code"], "InvalidRequest");
  r = submit(2, "&scenario=no-such-thing");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  r = submit(2, "&running_polls=-1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  auto c = client();
  r = c.Post(with_key("/mapData").c_str(), "{}", "application/json");  // no api-version
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  // the scenario may also come from the JSON body
  r = c.Post(with_key("/mapData?api-version=2.0").c_str(), R"({"scenario":"fail-submit-400"})",
             "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_TRUE(srv.operations().empty());
}

TEST_F(EmulatorTest, UnknownOperationAndPath) {
  auto c = client();
  auto r = c.Get(with_key("/mapData/operations/does-not-exist?api-version=2.0").c_str());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(json::parse(r->body)["error"]["code"], "NotFound");
  r = c.Get(with_key("/nothing/here?api-version=2.0").c_str());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_TRUE(json::parse(r->body)["error"].is_object());
}

TEST_F(EmulatorTest, OtherCreatorSubmitPaths) {
  auto c = client();
  auto r = c.Post(with_key("/conversions?api-version=2.0&running_polls=0").c_str(), "", "text/plain");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 202);
  auto ol = r->get_header_value("Operation-Location");
  EXPECT_NE(ol.find("/conversions/operations/"), std::string::npos);
  auto answers = poll_to_end(path_of(ol));
  EXPECT_EQ(answers.back().body["status"], "Succeeded");
  auto rl = header(answers.back().headers, "Resource-Location");
  auto m = c.Get(with_key(path_of(rl)).c_str());
  ASSERT_TRUE(m);
  EXPECT_EQ(m->status, 200);
}

TEST_F(EmulatorTest, ManyConcurrentConnections) {
  // More simultaneous keep-alive connections than httplib's default pool, from several threads.
  constexpr int threads = 8, per_thread = 40;
  std::atomic<int> ok{0};
  std::vector<std::thread> ts;
  std::vector<std::unique_ptr<httplib::Client>> idle;
  for (int i = 0; i < 64; ++i) {  // idle keep-alive connections that hold their server thread
    idle.push_back(std::make_unique<httplib::Client>(srv.base_url()));
    idle.back()->set_keep_alive(true);
    auto res = idle.back()->Get(with_key("/nothing?api-version=2.0").c_str());
    ASSERT_TRUE(res);
  }
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&] {
      httplib::Client c(srv.base_url());
      c.set_keep_alive(true);
      c.set_tcp_nodelay(true);
      for (int i = 0; i < per_thread; ++i) {
        auto r = c.Post(with_key("/mapData?api-version=2.0&running_polls=0&retry_after_ms=0").c_str(),
                        "{}", "application/json");
        if (!r || r->status != 202) continue;
        auto m = with_key(path_of(r->get_header_value("Operation-Location")));
        auto a = c.Get(m.c_str());
        auto b = c.Get(m.c_str());
        if (a && b && json::parse(b->body)["status"] == "Succeeded") ++ok;
      }
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(ok.load(), threads * per_thread);
  EXPECT_EQ(srv.operation_count(), static_cast<std::size_t>(threads * per_thread));
  for (const auto& op : srv.operations()) EXPECT_EQ(op.early_polls, 0);
}

TEST(EmulatorLifecycle, StopIsPromptWithIdleKeepAliveClients) {
  auto cfg = fast_config();
  cfg.keep_alive_timeout_s = 60;  // stop() must not wait for it (a loose bound: load-proof)
  emu::server s(cfg);
  ASSERT_TRUE(s.start());
  httplib::Client c(s.base_url());
  c.set_keep_alive(true);
  auto r = c.Get("/mapData/operations/x?api-version=2.0&subscription-key=demo-key");
  ASSERT_TRUE(r);
  auto t0 = std::chrono::steady_clock::now();
  s.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(30));
  EXPECT_FALSE(s.running());
  s.stop();  // idempotent
}

TEST(EmulatorLifecycle, BoundedRecordsAndClear) {
  auto cfg = fast_config();
  cfg.max_operations = 5;
  emu::server s(cfg);
  ASSERT_TRUE(s.start());
  httplib::Client c(s.base_url());
  for (int i = 0; i < 8; ++i) {
    auto r = c.Post("/mapData?api-version=2.0&subscription-key=demo-key", "{}", "application/json");
    ASSERT_TRUE(r);
  }
  EXPECT_EQ(s.operation_count(), 5u);
  s.clear();
  EXPECT_EQ(s.operation_count(), 0u);
}

TEST(EmulatorLifecycle, PortInUseFails) {
  emu::server a(fast_config());
  ASSERT_TRUE(a.start());
  auto cfg = fast_config();
  cfg.port = a.port();
  emu::server b(cfg);
  EXPECT_FALSE(b.start());
}

// ---- limits: each bound answers with a clear status (README "Limits") -------------------

TEST(EmulatorLimits, BodyBeyondMaxBodyBytesIs413) {
  auto cfg = fast_config();
  cfg.max_body_bytes = 1000;
  emu::server s(cfg);
  ASSERT_TRUE(s.start());
  httplib::Client c(s.base_url());
  const std::string path = "/mapData?api-version=2.0&subscription-key=demo-key";
  auto ok = c.Post(path.c_str(), std::string(1000, ' '), "application/json");  // at the limit
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 202);
  httplib::Client c2(s.base_url());
  auto big = c2.Post(path.c_str(), std::string(1001, ' '), "application/json");
  ASSERT_TRUE(big);
  EXPECT_EQ(big->status, 413);
  auto b = json::parse(big->body, nullptr, false);
  ASSERT_TRUE(b.is_object()) << big->body;
  EXPECT_EQ(b["error"]["code"], "RequestEntityTooLarge");
  EXPECT_NE(b["error"]["message"].get<std::string>().find("1000 bytes"), std::string::npos);
  EXPECT_EQ(s.operation_count(), 1u);  // the oversized submit created nothing
  EXPECT_EQ(s.limit_refusals().too_large, 1);
}

TEST(EmulatorLimits, TooManyPendingResubmitsIs429UntilOneIsResubmitted) {
  auto cfg = fast_config();
  cfg.max_pending_resubmits = 2;
  emu::server s(cfg);
  ASSERT_TRUE(s.start());
  httplib::Client c(s.base_url());
  auto path = [](int tag) {
    return "/mapData?api-version=2.0&subscription-key=demo-key&scenario=submit-503&tag=" + std::to_string(tag);
  };
  auto a = c.Post(path(1).c_str(), "{}", "application/json");
  auto b = c.Post(path(2).c_str(), "{}", "application/json");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->status, 503);  // the scenario's own 503: both wait for their resubmit
  EXPECT_EQ(b->status, 503);
  auto full = c.Post(path(3).c_str(), "{}", "application/json");
  ASSERT_TRUE(full);
  EXPECT_EQ(full->status, 429);
  EXPECT_EQ(full->get_header_value("Retry-After"), "1");
  auto body = json::parse(full->body, nullptr, false);
  ASSERT_TRUE(body.is_object()) << full->body;
  EXPECT_EQ(body["error"]["code"], "TooManyRequests");
  EXPECT_EQ(s.operation_count(), 2u);  // the refused submit created nothing
  EXPECT_EQ(s.limit_refusals().pending_resubmits, 1);
  // A resubmit ends its wait (202) and makes room: the refused one now gets its 503.
  std::this_thread::sleep_for(std::chrono::milliseconds(30));  // the 503 asked for 20 ms
  auto again = c.Post(path(1).c_str(), "{}", "application/json");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 202);
  auto third = c.Post(path(3).c_str(), "{}", "application/json");
  ASSERT_TRUE(third);
  EXPECT_EQ(third->status, 503);
  EXPECT_EQ(s.operation_count(), 3u);
  for (const auto& op : s.operations()) EXPECT_EQ(op.early_submits, 0);
}

TEST(EmulatorLimits, ConnectionsBeyondMaxThreadsAre503AndClosed) {
  auto cfg = fast_config();
  cfg.max_threads = 2;
  cfg.keep_alive_timeout_s = 30;  // the two first connections hold their threads
  emu::server s(cfg);
  ASSERT_TRUE(s.start());
  const std::string get = "/mapData/operations/x?api-version=2.0&subscription-key=demo-key";
  std::vector<std::unique_ptr<httplib::Client>> held;
  for (int i = 0; i < 2; ++i) {
    held.push_back(std::make_unique<httplib::Client>(s.base_url()));
    held.back()->set_keep_alive(true);
    auto r = held.back()->Get(get.c_str());
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 404);  // served: an unknown operation
  }
  httplib::Client extra(s.base_url());
  auto busy = extra.Get(get.c_str());
  ASSERT_TRUE(busy);
  EXPECT_EQ(busy->status, 503);
  EXPECT_EQ(busy->get_header_value("Retry-After"), "1");
  EXPECT_EQ(busy->get_header_value("Connection"), "close");
  auto body = json::parse(busy->body, nullptr, false);
  ASSERT_TRUE(body.is_object()) << busy->body;
  EXPECT_EQ(body["error"]["code"], "ServerBusy");
  EXPECT_GE(s.limit_refusals().busy, 1);
  // A held connection still works, and once one is closed its thread serves newcomers.
  auto r = held[0]->Get(get.c_str());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  held[1]->stop();
  held.pop_back();
  int status = 0;
  for (int i = 0; i < 500 && status != 404; ++i) {
    httplib::Client c(s.base_url());
    auto x = c.Get(get.c_str());
    status = x ? x->status : 0;
    if (status != 404) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(status, 404);
}


// ---- the records endpoint (config::stats_endpoint, --stats; README "Records over HTTP") ----

TEST_F(EmulatorTest, RecordsEndpointIsOffByDefault) {
  auto c = client();
  auto r = c.Get(with_key("/_emulator/stats").c_str());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  auto clear = c.Post(with_key("/_emulator/clear").c_str(), "", "application/json");
  ASSERT_TRUE(clear);
  EXPECT_EQ(clear->status, 404);
}

TEST(EmulatorRecords, StatsCountWhatTheClientDidAndClearForgetsIt) {
  auto cfg = fast_config();
  cfg.stats_endpoint = true;
  emu::server s(cfg);
  ASSERT_TRUE(s.start());
  httplib::Client c(s.base_url());
  c.set_read_timeout(5, 0);
  int requests = 0, polls = 0;  // what this client sent to the API (not to the records)
  auto submit = [&](const std::string& params) {
    ++requests;
    auto r = c.Post(with_key("/mapData?api-version=2.0" + params).c_str(), "{}", "application/json");
    EXPECT_TRUE(r && r->status == 202);
    return r ? path_of(r->get_header_value("Operation-Location")) : std::string();
  };
  auto poll = [&](const std::string& monitor) {
    ++requests;
    ++polls;
    auto r = c.Get(with_key(monitor).c_str());
    EXPECT_TRUE(r && r->status == 200);
    return r;
  };
  // Polls, honouring each Retry-After, until the terminal answer; returns it.
  auto to_end = [&](const std::string& monitor) -> std::optional<httplib::Response> {
    for (int i = 0; i < 20; ++i) {
      auto r = poll(monitor);
      if (!r) return std::nullopt;
      auto st = json::parse(r->body, nullptr, false).value("status", "");
      if (st == "Succeeded" || st == "Failed" || st == "Canceled") return *r;
      std::this_thread::sleep_for(std::chrono::milliseconds(retry_ms(r) + 5));
    }
    ADD_FAILURE() << "no terminal answer";
    return std::nullopt;
  };
  auto stats = [&](const char* key = "demo-key") {
    httplib::Headers h{{"subscription-key", key}};
    auto r = c.Get("/_emulator/stats", h);
    EXPECT_TRUE(r);
    return r ? std::make_pair(r->status, json::parse(r->body, nullptr, false)) : std::make_pair(0, json());
  };

  // A: succeeds, and its resource is fetched: as scripted.
  std::this_thread::sleep_for(std::chrono::milliseconds(25));
  auto a = to_end(submit("&running_polls=1"));
  ASSERT_TRUE(a);
  ++requests;
  auto res = c.Get(with_key(path_of(a->get_header_value("Resource-Location"))).c_str());
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  // B: fails as its scenario says: as scripted, no resource.
  auto b_monitor = submit("&scenario=fail&running_polls=0");
  std::this_thread::sleep_for(std::chrono::milliseconds(25));
  to_end(b_monitor);
  // C: polled at once although the submit asked for 10 s: one early poll, left unfinished.
  poll(submit("&retry_after_ms=10000"));
  // D: succeeds, but its resource is never fetched: not as scripted.
  auto d_monitor = submit("&running_polls=0");
  std::this_thread::sleep_for(std::chrono::milliseconds(25));
  to_end(d_monitor);

  auto [status, j] = stats();
  ASSERT_EQ(status, 200);
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j["operations"], 4);
  EXPECT_EQ(j["submits"], 4);
  EXPECT_EQ(j["status_polls"], polls);
  EXPECT_EQ(j["status_polls"], 3 + 2 + 1 + 2);  // NotStarted, Running..., terminal
  EXPECT_EQ(j["fewest_status_polls"], 1);
  EXPECT_EQ(j["most_status_polls"], 3);
  EXPECT_EQ(j["resource_fetches"], 1);
  EXPECT_EQ(j["early_polls"], 1);
  EXPECT_EQ(j["succeeded"], 2);
  EXPECT_EQ(j["failed"], 1);
  EXPECT_EQ(j["canceled"], 0);
  EXPECT_EQ(j["unfinished"], 1);
  EXPECT_EQ(j["ended_as_scripted"], 2);
  EXPECT_EQ(j["requests"], requests);  // the records' own requests are not counted
  EXPECT_EQ(j["requests_without_key"], 0);
  EXPECT_EQ(j["refusals"]["busy"], 0);
  EXPECT_EQ(j["forgotten_operations"], 0);

  // The records need the key like every other request, and a refused look counts nowhere.
  auto [wrong_status, wrong] = stats("not-the-key");
  EXPECT_EQ(wrong_status, 401);
  auto no_key = c.Get("/_emulator/stats");
  ASSERT_TRUE(no_key);
  EXPECT_EQ(no_key->status, 401);
  EXPECT_EQ(stats().second["requests"], requests);
  EXPECT_EQ(s.requests_with_wrong_key(), 0);

  // Clear: every operation and count forgotten; a poll of a forgotten operation is 404.
  auto cleared = c.Post("/_emulator/clear", httplib::Headers{{"subscription-key", "demo-key"}}, "", "text/plain");
  ASSERT_TRUE(cleared);
  EXPECT_EQ(cleared->status, 200);
  EXPECT_EQ(s.operation_count(), 0u);
  auto after = stats().second;
  EXPECT_EQ(after["operations"], 0);
  EXPECT_EQ(after["status_polls"], 0);
  EXPECT_EQ(after["requests"], 0);
  auto gone = c.Get(with_key(d_monitor).c_str());
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->status, 404);
}
