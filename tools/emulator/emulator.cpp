#include "emulator.hpp"

#include <httplib.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <regex>
#include <thread>
#include <unordered_map>
#include <utility>

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace azmaps::lro::emulator {

namespace {

using json = nlohmann::ordered_json;
using steady = std::chrono::steady_clock;
using wall = std::chrono::system_clock;

struct scenario_entry {
  scenario s;
  std::string_view name;
};
constexpr std::array<scenario_entry, 18> k_scenarios{{
    {scenario::succeed, "succeed"},
    {scenario::succeed_no_resource, "succeed-no-resource"},
    {scenario::fail, "fail"},
    {scenario::cancel, "cancel"},
    {scenario::throttle_429, "throttle-429"},
    {scenario::throttle_429_no_retry_after, "throttle-429-no-retry-after"},
    {scenario::unavailable_503, "unavailable-503"},
    {scenario::unavailable_503_no_retry_after, "unavailable-503-no-retry-after"},
    {scenario::error_500, "error-500"},
    {scenario::submit_503, "submit-503"},
    {scenario::truncated_body, "truncated-body"},
    {scenario::drop_connection, "drop-connection"},
    {scenario::slow, "slow"},
    {scenario::http_date, "http-date"},
    {scenario::relative_urls, "relative-urls"},
    {scenario::cross_origin, "cross-origin"},
    {scenario::missing_api_version, "missing-api-version"},
    {scenario::fail_submit_400, "fail-submit-400"},
}};

// ---- an elastic task queue: one thread per live connection, up to a cap -----------------
// httplib's ThreadPool holds a worker for a connection's whole keep-alive life, so thousands
// of concurrent keep-alive clients need thousands of threads. Threads are created on demand
// and leave after being idle for a while. Beyond the cap a connection is not left waiting for
// a thread: it is served by one of a few overflow threads, on which every request is answered
// 503 + Retry-After + Connection: close (t_overloaded). Their queue is bounded too; beyond it
// the accept thread serves the connection so (backpressure: the kernel's backlog fills).

thread_local bool t_overloaded = false;  // this thread answers every request 503 (see above)

class elastic_queue final : public httplib::TaskQueue {
 public:
  static constexpr std::size_t overflow_threads = 2;
  static constexpr std::size_t overflow_queue = 256;

  explicit elastic_queue(std::size_t max_threads) : max_(std::max<std::size_t>(max_threads, 1)) {}
  ~elastic_queue() override { shutdown(); }

  void enqueue(std::function<void()> fn) override {
    std::unique_lock<std::mutex> lock(m_);
    if (jobs_.size() < idle_ || threads_ < max_) {
      jobs_.push_back(std::move(fn));
      if (jobs_.size() > idle_ && !spawn(false)) {
        if (threads_ == 0) {  // nobody to run it: run it here (the accept thread)
          auto job = std::move(jobs_.back());
          jobs_.pop_back();
          lock.unlock();
          job();
          return;
        }
      }
      cv_.notify_one();
      return;
    }
    if (overflow_.size() < overflow_queue &&
        (overflow_.size() < overflow_idle_ || overflow_threads_ < overflow_threads)) {
      overflow_.push_back(std::move(fn));
      if (overflow_.size() > overflow_idle_) spawn(true);
      if (overflow_threads_ > 0) {
        overflow_cv_.notify_one();
        return;
      }
      fn = std::move(overflow_.back());
      overflow_.pop_back();
    }
    lock.unlock();
    t_overloaded = true;
    fn();
    t_overloaded = false;
  }

  void shutdown() override {
    std::unique_lock<std::mutex> lock(m_);
    shutdown_ = true;
    cv_.notify_all();
    overflow_cv_.notify_all();
    done_.wait(lock, [&] { return threads_ == 0 && overflow_threads_ == 0; });
  }

 private:
  bool spawn(bool overflow) {  // under m_
    std::size_t& n = overflow ? overflow_threads_ : threads_;
    ++n;
#if defined(__cpp_exceptions)
    try {
      std::thread([this, overflow] { worker(overflow); }).detach();
    } catch (...) {
      --n;
      return false;
    }
#else
    std::thread([this, overflow] { worker(overflow); }).detach();
#endif
    return true;
  }

  void worker(bool overflow) {
    t_overloaded = overflow;
    auto& queue = overflow ? overflow_ : jobs_;
    auto& cv = overflow ? overflow_cv_ : cv_;
    auto& idle = overflow ? overflow_idle_ : idle_;
    std::unique_lock<std::mutex> lock(m_);
    for (;;) {
      ++idle;
      bool got = cv.wait_for(lock, std::chrono::seconds(10), [&] { return !queue.empty() || shutdown_; });
      --idle;
      if (!got || queue.empty()) break;  // idle too long, or shutting down with nothing left
      auto job = std::move(queue.front());
      queue.pop_front();
      lock.unlock();
      job();
      job = nullptr;
      lock.lock();
    }
    --(overflow ? overflow_threads_ : threads_);
    done_.notify_all();
    // nothing of *this is touched after the lock is released
  }

  const std::size_t max_;
  std::mutex m_;
  std::condition_variable cv_, overflow_cv_, done_;
  std::deque<std::function<void()>> jobs_, overflow_;
  std::size_t threads_ = 0, idle_ = 0, overflow_threads_ = 0, overflow_idle_ = 0;
  bool shutdown_ = false;
};

// httplib listens with a backlog of 5; widen it so bursts of connects are not dropped.
class http_server final : public httplib::Server {
 public:
  void widen_backlog(int n) {
    socket_t s = svr_sock_;
    if (s != INVALID_SOCKET) ::listen(s, n);
  }
};

// Shut down (not close: httplib owns the descriptors) the accepted TCP sockets whose local
// port is `local_port` and, if remote_port >= 0, whose peer port is `remote_port`.
int shutdown_sockets(int local_port, int remote_port) {
  int n = 0;
  DIR* dir = ::opendir("/proc/self/fd");
  if (!dir) return 0;
  const int self = ::dirfd(dir);
  while (dirent* e = ::readdir(dir)) {
    int fd = -1;
    std::string_view name(e->d_name);
    if (std::from_chars(name.data(), name.data() + name.size(), fd).ec != std::errc{}) continue;
    if (fd == self || fd < 0) continue;
    sockaddr_storage local{}, peer{};
    socklen_t ll = sizeof local, pl = sizeof peer;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &ll) != 0) continue;
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &pl) != 0) continue;
    auto port_of = [](const sockaddr_storage& a) -> int {
      if (a.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in&>(a).sin_port);
      if (a.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6&>(a).sin6_port);
      return -1;
    };
    if (port_of(local) != local_port) continue;
    if (remote_port >= 0 && port_of(peer) != remote_port) continue;
    ::shutdown(fd, SHUT_RDWR);
    ++n;
  }
  ::closedir(dir);
  return n;
}

std::tm utc_tm(std::time_t t) {
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  return tm;
}

// "Sun, 06 Nov 1994 08:49:37 GMT"
std::string imf_fixdate(std::time_t t) {
  static const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::tm tm = utc_tm(t);
  char b[64];
  std::snprintf(b, sizeof b, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday % 7], tm.tm_mday,
                months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return b;
}

// v1: "3/11/2020 8:45:13 PM +00:00"
std::string v1_date(wall::time_point tp) {
  std::tm tm = utc_tm(wall::to_time_t(tp));
  int h12 = tm.tm_hour % 12;
  if (h12 == 0) h12 = 12;
  char b[64];
  std::snprintf(b, sizeof b, "%d/%d/%d %d:%02d:%02d %s +00:00", tm.tm_mon + 1, tm.tm_mday,
                tm.tm_year + 1900, h12, tm.tm_min, tm.tm_sec, tm.tm_hour < 12 ? "AM" : "PM");
  return b;
}

// v2: "2021-05-06T07:55:19.5256829+00:00"
std::string v2_date(wall::time_point tp) {
  auto since = tp.time_since_epoch();
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(since);
  auto ticks = std::chrono::duration_cast<std::chrono::nanoseconds>(since - secs).count() / 100;
  if (ticks < 0) ticks = 0;
  std::tm tm = utc_tm(static_cast<std::time_t>(secs.count()));
  char b[64];
  std::snprintf(b, sizeof b, "%04d-%02d-%02dT%02d:%02d:%02d.%07lld+00:00", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long long>(ticks));
  return b;
}

std::string odata_error(std::string_view code, std::string_view message) {
  json j;
  j["error"]["code"] = code;
  j["error"]["message"] = message;
  return j.dump();
}

std::string query_of(const httplib::Request& req) {
  auto q = req.target.find('?');
  return q == std::string::npos ? std::string() : req.target.substr(q + 1);
}

bool parse_int(std::string_view s, int& out) {
  if (s.empty()) return false;
  int v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc{} || r.ptr != s.data() + s.size()) return false;
  out = v;
  return true;
}

bool is_terminal(const std::string& st) {
  return st == "Succeeded" || st == "Failed" || st == "Canceled";
}

bool is_poll_fault(scenario s) {
  switch (s) {
    case scenario::throttle_429:
    case scenario::throttle_429_no_retry_after:
    case scenario::unavailable_503:
    case scenario::unavailable_503_no_retry_after:
    case scenario::error_500:
    case scenario::truncated_body:
    case scenario::drop_connection:
    case scenario::slow:
      return true;
    default:
      return false;
  }
}

}  // namespace

std::string_view scenario_name(scenario s) noexcept {
  for (const auto& e : k_scenarios)
    if (e.s == s) return e.name;
  return "unknown";
}

std::optional<scenario> parse_scenario(std::string_view name) noexcept {
  for (const auto& e : k_scenarios)
    if (e.name == name) return e.s;
  return std::nullopt;
}

const std::vector<scenario>& all_scenarios() {
  static const std::vector<scenario> v = [] {
    std::vector<scenario> r;
    for (const auto& e : k_scenarios) r.push_back(e.s);
    return r;
  }();
  return v;
}

// ---------------------------------------------------------------------------------------------

struct server::impl {
  config cfg;
  steady::time_point t0 = steady::now();
  std::string failure_error;  // JSON text of the `error` object

  std::unique_ptr<http_server> main_svr, foreign_svr;
  std::thread main_thread, foreign_thread;
  std::atomic<bool> main_done{false}, foreign_done{false};
  int main_port = 0, foreign_port_ = 0;
  std::atomic<bool> started{false};

  struct op_state {
    operation_record rec;
    fault_script script;
    std::string family;       // first path segment of the submit: "mapData", "conversions"...
    std::string api_version;  // of the submit
    std::string udid;
    wall::time_point created;
    int progress = 0;         // state-advancing status answers sent
    bool fault_done = false;
    bool accepted = false;    // false while a submit-503 waits for its resubmit
    int resources_served = 0; // resource fetches answered 200 (the stats' ended_as_scripted)
  };

  mutable std::mutex m;
  std::unordered_map<std::string, std::shared_ptr<op_state>> ops;      // by id
  std::unordered_map<std::string, std::string> by_udid;               // udid -> id
  struct pending_entry {
    std::string id;
    std::int64_t expires_ms;  // the 503's wait + a minute: a resubmit later than that is new
  };
  std::unordered_map<std::string, pending_entry> pending_resubmit;    // submit key -> operation
  std::deque<std::string> order;                                      // ids in submit order
  int no_key = 0, wrong_key = 0, foreign_key = 0, foreign_all = 0;
  std::int64_t refused_pending = 0, refused_busy = 0, refused_too_large = 0;  // limits (README)
  std::int64_t total = 0;
  std::int64_t forgotten = 0;  // operations dropped beyond max_operations
  std::mt19937_64 rng{std::random_device{}()};

  explicit impl(config c) : cfg(std::move(c)) {
    failure_error = cfg.failure_error_json;
    if (failure_error.empty() || !json::accept(failure_error)) {
      json e;
      e["code"] = "InvalidFeature";
      e["message"] = "The provided feature is invalid.";
      e["details"]["code"] = "NoGeometry";
      e["details"]["message"] = "No geometry was provided with the feature.";
      failure_error = e.dump();
    }
  }

  std::int64_t now_ms() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - t0).count();
  }

  std::string base() const { return "http://" + url_host() + ":" + std::to_string(main_port); }
  std::string foreign_base() const {
    return "http://" + url_host() + ":" + std::to_string(foreign_port_);
  }
  std::string url_host() const {
    std::string h = cfg.host;
    if (h.empty() || h == "0.0.0.0") h = "127.0.0.1";
    if (h == "::") h = "::1";
    if (h.find(':') != std::string::npos) h = "[" + h + "]";
    return h;
  }

  std::string uuid() {  // under m
    std::uint64_t a = rng(), b = rng();
    a = (a & 0xFFFFFFFFFFFF0FFFull) | 0x0000000000004000ull;
    b = (b & 0x3FFFFFFFFFFFFFFFull) | 0x8000000000000000ull;
    char s[40];
    std::snprintf(s, sizeof s, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                  static_cast<unsigned>((a >> 16) & 0xFFFF), static_cast<unsigned>(a & 0xFFFF),
                  static_cast<unsigned>(b >> 48),
                  static_cast<unsigned long long>(b & 0xFFFFFFFFFFFFull));
    return s;
  }

  void common_headers(httplib::Response& res) {
    res.set_header("Date", imf_fixdate(wall::to_time_t(wall::now())));
    std::string id;
    {
      std::lock_guard<std::mutex> lock(m);
      id = uuid();
    }
    res.set_header("x-ms-request-id", id);
  }

  static void set_json(httplib::Response& res, int status, const std::string& body) {
    res.status = status;
    res.set_content(body, "application/json; charset=utf-8");
  }

  void log(const httplib::Request& req, int status, bool foreign) {
    if (!cfg.log) return;
    cfg.log((foreign ? "[foreign] " : "") + req.method + " " + req.target + " -> " +
            (status ? std::to_string(status) : std::string("dropped")));
  }

  enum class key_state { ok, missing, wrong };
  static bool has_credential(const httplib::Request& req) {
    return req.has_param("subscription-key") || req.has_header("subscription-key") ||
           req.has_header("Authorization");
  }
  key_state check_key(const httplib::Request& req) const {
    std::string k;
    if (req.has_param("subscription-key"))
      k = req.get_param_value("subscription-key");
    else if (req.has_header("subscription-key"))
      k = req.get_header_value("subscription-key");
    else
      return cfg.require_key ? key_state::missing : key_state::ok;
    if (!cfg.require_key) return key_state::ok;
    return k == cfg.subscription_key ? key_state::ok : key_state::wrong;
  }

  // 401 on the main listener; counts. Returns true when the request may go on.
  bool authorize(const httplib::Request& req) {
    auto ks = check_key(req);
    std::lock_guard<std::mutex> lock(m);
    ++total;
    if (ks == key_state::ok) return true;
    if (ks == key_state::missing) ++no_key; else ++wrong_key;
    return false;
  }
  void answer_401(const httplib::Request& req, httplib::Response& res) {
    common_headers(res);
    set_json(res, 401,
             odata_error("401 Unauthorized",
                         "Access denied due to invalid subscription key or wrong API endpoint. "
                         "Make sure to provide a valid key for an active subscription and use a "
                         "correct regional API endpoint for your resource."));
    log(req, 401, false);
  }

  // The parameter `name` from the query, else from the header x-emulator-<name with '-'>.
  static std::optional<std::string> param(const httplib::Request& req, const std::string& name) {
    if (req.has_param(name.c_str())) return req.get_param_value(name.c_str());
    std::string h = "x-emulator-" + name;
    std::replace(h.begin(), h.end(), '_', '-');
    if (req.has_header(h.c_str())) return req.get_header_value(h.c_str());
    return std::nullopt;
  }

  // Builds the script from config + request; on error fills `err`.
  bool make_script(const httplib::Request& req, fault_script& s, std::string& err) const {
    std::string name = cfg.default_scenario;
    if (auto p = param(req, "scenario")) {
      name = *p;
    } else if (!req.body.empty()) {
      auto j = json::parse(req.body, nullptr, false);
      if (j.is_object() && j.contains("scenario") && j["scenario"].is_string())
        name = j["scenario"].get<std::string>();
    }
    auto sc = parse_scenario(name);
    if (!sc) {
      err = "Unknown emulator scenario '" + name + "'.";
      return false;
    }
    s.kind = *sc;
    s.running_polls = cfg.running_polls;
    s.ms_retry_after = cfg.ms_retry_after;
    s.retry_after_ms = cfg.ms_retry_after ? cfg.retry_after_ms : cfg.retry_after_s * 1000;
    s.submit_retry_after = cfg.submit_retry_after;
    s.fault_at_poll = cfg.fault_at_poll;
    s.slow_ms = cfg.slow_ms;
    s.http_date_s = cfg.http_date_s;
    struct num {
      const char* name;
      int lo, hi;
      int* out;
    };
    int retry_s = -1, retry_ms = -1, sra = s.submit_retry_after ? 1 : 0;
    const num nums[] = {{"running_polls", 0, 10000, &s.running_polls},
                        {"retry_after", 0, 3600, &retry_s},
                        {"retry_after_ms", 0, 3600000, &retry_ms},
                        {"fault_at", 1, 10000, &s.fault_at_poll},
                        {"slow_ms", 0, 60000, &s.slow_ms},
                        {"http_date_s", 1, 3600, &s.http_date_s},
                        {"submit_retry_after", 0, 1, &sra}};
    for (const auto& n : nums) {
      if (auto p = param(req, n.name)) {
        int v = 0;
        if (!parse_int(*p, v) || v < n.lo || v > n.hi) {
          err = std::string("Emulator parameter '") + n.name + "' must be an integer in [" +
                std::to_string(n.lo) + ", " + std::to_string(n.hi) + "].";
          return false;
        }
        *n.out = v;
      }
    }
    if (retry_s >= 0) {
      s.ms_retry_after = false;
      s.retry_after_ms = retry_s * 1000;
    }
    if (retry_ms >= 0) {
      s.ms_retry_after = true;
      s.retry_after_ms = retry_ms;
    }
    s.submit_retry_after = sra != 0;
    s.running_polls = std::max(0, s.running_polls);
    s.retry_after_ms = std::max(0, s.retry_after_ms);
    s.fault_at_poll = std::max(1, s.fault_at_poll);
    s.http_date_s = std::max(1, s.http_date_s);
    return true;
  }

  // Sets the Retry-After header(s) per script; returns the delay in ms the client must wait
  // (measured from now).
  static std::int64_t set_retry_after(httplib::Response& res, const fault_script& s) {
    if (s.kind == scenario::http_date) {
      auto now = wall::now();
      std::time_t secs = wall::to_time_t(now);
      // The Date header (set by common_headers) carries `secs` truncated; the target is
      // Date + http_date_s. Recompute Date so both agree even across a second boundary.
      res.headers.erase("Date");
      res.set_header("Date", imf_fixdate(secs));
      res.set_header("Retry-After", imf_fixdate(secs + s.http_date_s));
      auto frac = std::chrono::duration_cast<std::chrono::milliseconds>(
                      now - wall::from_time_t(secs))
                      .count();
      return std::int64_t{s.http_date_s} * 1000 - frac;
    }
    if (s.ms_retry_after) {
      res.set_header("retry-after-ms", std::to_string(s.retry_after_ms));
      return s.retry_after_ms;
    }
    int secs = (s.retry_after_ms + 999) / 1000;
    res.set_header("Retry-After", std::to_string(secs));
    return std::int64_t{secs} * 1000;
  }

  std::string monitor_url(const op_state& op) const {
    std::string base;
    if (op.script.kind == scenario::cross_origin)
      base = foreign_base();
    else if (op.script.kind != scenario::relative_urls)
      base = this->base();
    std::string u = base + "/" + op.family + "/operations/" + op.rec.id;
    if (op.script.kind != scenario::missing_api_version) u += "?api-version=" + op.api_version;
    return u;
  }
  std::string resource_url(const op_state& op) const {
    std::string u = op.script.kind == scenario::relative_urls ? std::string() : base();
    if (op.family == "mapData")
      u += "/mapData/metadata/" + op.udid;
    else
      u += "/" + op.family + "/" + op.udid;
    if (op.script.kind != scenario::missing_api_version) u += "?api-version=" + op.api_version;
    return u;
  }

  static constexpr std::size_t no_record = static_cast<std::size_t>(-1);

  // Appends a record; returns its index, or no_record beyond max_requests_per_operation.
  std::size_t add_record(op_state& op, request_record r) {  // under m
    if (op.rec.requests.size() >= cfg.max_requests_per_operation) return no_record;
    op.rec.requests.push_back(std::move(r));
    return op.rec.requests.size() - 1;
  }
  static void set_last_status(op_state& op, int status) {  // under m, by handlers that hold m throughout
    if (!op.rec.requests.empty()) op.rec.requests.back().status = status;
  }
  // The answer to record `slot` (no_record: not kept): its status, when it was made and the
  // wait it asked for. Takes the time itself: call it before the answer can reach the client.
  void set_answer(op_state& op, std::size_t slot, int status, std::int64_t wait_ms) {  // under m
    if (slot == no_record || slot >= op.rec.requests.size()) return;
    auto& r = op.rec.requests[slot];
    r.status = status;
    r.answered_ms = now_ms();
    r.wait_ms = wait_ms;
  }

  // Whether one more submit-503 operation may wait for its resubmit; drops expired entries
  // first when the table is full.
  bool pending_room() {  // under m
    if (pending_resubmit.size() < cfg.max_pending_resubmits) return true;
    const std::int64_t now = now_ms();
    for (auto it = pending_resubmit.begin(); it != pending_resubmit.end();)
      it = it->second.expires_ms < now ? pending_resubmit.erase(it) : std::next(it);
    return pending_resubmit.size() < cfg.max_pending_resubmits;
  }

  void forget_oldest() {  // under m
    while (order.size() > std::max<std::size_t>(cfg.max_operations, 1)) {
      auto id = order.front();
      order.pop_front();
      auto it = ops.find(id);
      if (it != ops.end()) {
        by_udid.erase(it->second->udid);
        ops.erase(it);
        ++forgotten;
      }
    }
  }

  // ---- handlers -------------------------------------------------------------------------

  void on_submit(const httplib::Request& req, httplib::Response& res) {
    const std::int64_t at = now_ms();
    if (!authorize(req)) return answer_401(req, res);
    common_headers(res);
    const std::string api = req.has_param("api-version") ? req.get_param_value("api-version") : "";
    if (api.empty()) {
      set_json(res, 400, odata_error("MissingApiVersionParameter",
                                     "The api-version query parameter (?api-version=) is required "
                                     "for all requests."));
      return log(req, 400, false);
    }
    fault_script script;
    std::string err;
    if (!make_script(req, script, err)) {
      set_json(res, 400, odata_error("InvalidRequest", err));
      return log(req, 400, false);
    }
    if (script.kind == scenario::fail_submit_400) {
      set_json(res, 400,
               odata_error("InvalidRequest",
                           "The request is invalid: the emulator was asked to reject it "
                           "(scenario fail-submit-400)."));
      return log(req, 400, false);
    }
    std::string family = req.path.size() > 1 ? req.path.substr(1) : "mapData";
    family = family.substr(0, family.find('/'));

    request_record rr{req.method, req.path, query_of(req), has_credential(req), at, 0, "submit", false};
    {
      std::lock_guard<std::mutex> lock(m);
      accept_submit(req, res, script, api, family, std::move(rr));
    }
    log(req, res.status, false);
  }

  // The submit's answer, under m: a new operation (202), the submit-503 scenario's first 503
  // or its accepted resubmit, or 429 when too many submit-503 operations wait.
  void accept_submit(const httplib::Request& req, httplib::Response& res, const fault_script& script,
                     const std::string& api, const std::string& family, request_record rr) {
    std::shared_ptr<op_state> op;
    bool resubmit = false;
    std::string key;
    if (script.kind == scenario::submit_503) {
      // The body enters the key as its hash and size: an entry holds no client payload.
      key = req.method + " " + req.target + "\n" + req.get_header_value("x-emulator-scenario") + "\n" +
            req.get_header_value("x-emulator-client-id") + "\n" +
            std::to_string(std::hash<std::string>{}(req.body)) + ":" + std::to_string(req.body.size());
      auto it = pending_resubmit.find(key);
      if (it != pending_resubmit.end()) {
        auto o = ops.find(it->second.id);
        pending_resubmit.erase(it);
        if (o != ops.end()) {
          op = o->second;
          resubmit = true;
        }
      }
      if (!op && !pending_room()) {
        // Too many submit-503 operations wait for their resubmit: take none, say when to come
        // back. 429 (not 503): the emulator's own limit, not the scenario's 503.
        set_json(res, 429, odata_error("TooManyRequests",
                                       "Too many submit-503 operations wait for their resubmit (" +
                                           std::to_string(cfg.max_pending_resubmits) +
                                           "); retry the request later."));
        res.set_header("Retry-After", "1");
        ++refused_pending;
        return;
      }
    }
    if (!op) {
      op = std::make_shared<op_state>();
      op->rec.id = uuid();
      op->udid = uuid();
      op->rec.version = (api.rfind("1.", 0) == 0 || api == "1") ? 1 : 2;
      op->rec.scenario = std::string(scenario_name(script.kind));
      op->script = script;
      op->family = family;
      op->api_version = api;
      op->created = wall::now();
      ops.emplace(op->rec.id, op);
      order.push_back(op->rec.id);
      by_udid.emplace(op->udid, op->rec.id);
      forget_oldest();
    }
    op->rec.submits++;
    if (resubmit && rr.at_ms + cfg.early_tolerance_ms < op->rec.next_allowed_poll_ms) op->rec.early_submits++;
    add_record(*op, std::move(rr));
    if (script.kind == scenario::submit_503 && !resubmit) {
      set_json(res, 503, odata_error("ServiceUnavailable",
                                     "The service is temporarily unavailable; retry the request."));
      auto s = op->script;
      if (!s.ms_retry_after) s.retry_after_ms = 1000;
      op->rec.next_allowed_poll_ms = now_ms() + set_retry_after(res, s);
      pending_resubmit[key] = pending_entry{op->rec.id, op->rec.next_allowed_poll_ms + 60000};
      set_last_status(*op, 503);
    } else {
      op->accepted = true;
      op->rec.monitor_url = monitor_url(*op);
      res.status = 202;
      res.set_header(op->rec.version == 1 ? "Location" : "Operation-Location", op->rec.monitor_url);
      op->rec.next_allowed_poll_ms = now_ms();
      if (op->script.submit_retry_after) op->rec.next_allowed_poll_ms += set_retry_after(res, op->script);
      set_last_status(*op, 202);
    }
  }

  /// Counts a GET on the foreign listener (and any credential that reached it), or checks
  /// the key on the main one. False when a 401 has already been sent.
  bool admit(const httplib::Request& req, httplib::Response& res, bool foreign) {
    if (foreign) {
      std::lock_guard<std::mutex> lock(m);
      ++total;
      ++foreign_all;
      if (has_credential(req)) ++foreign_key;
    } else if (!authorize(req)) {
      answer_401(req, res);
      return false;
    }
    common_headers(res);
    return true;
  }

  void on_status(const httplib::Request& req, httplib::Response& res, bool foreign) {
    const std::int64_t at = now_ms();
    if (!admit(req, res, foreign)) return;
    const std::string id = req.matches.size() > 2 ? std::string(req.matches[2]) : std::string();
    std::shared_ptr<op_state> op;
    {
      std::lock_guard<std::mutex> lock(m);
      auto it = ops.find(id);
      if (it != ops.end() && it->second->accepted) op = it->second;
    }
    if (!op) {
      set_json(res, 404, odata_error("NotFound", "The operation '" + id + "' was not found."));
      return log(req, 404, foreign);
    }

    enum class act { normal, fault_status, truncated, drop, slow } what = act::normal;
    json body;
    int status = 200;
    std::int64_t delay = -1;  // Retry-After sent (ms), -1: none
    int fault_status = 0;
    fault_script script;
    std::size_t slot = no_record;  // this request's record
    int seq = 0;                   // this request's number among the operation's status polls
    bool no_api_version = false;
    {
      std::lock_guard<std::mutex> lock(m);
      auto& o = *op;
      script = o.script;
      seq = ++o.rec.status_polls;
      if (at + cfg.early_tolerance_ms < o.rec.next_allowed_poll_ms) o.rec.early_polls++;
      slot = add_record(o, request_record{req.method, req.path, query_of(req), has_credential(req), at, 0,
                                          "status", foreign});
      if (!req.has_param("api-version") || req.get_param_value("api-version").empty()) {
        set_json(res, 400, odata_error("MissingApiVersionParameter",
                                       "The api-version query parameter (?api-version=) is "
                                       "required for all requests."));
        set_answer(o, slot, 400, -1);
        o.rec.next_allowed_poll_ms = now_ms();
        no_api_version = true;
      }
      if (!no_api_version && !o.fault_done && is_poll_fault(o.script.kind) && o.rec.status_polls >= o.script.fault_at_poll &&
          !is_terminal(o.rec.final_status)) {
        o.fault_done = true;
        switch (o.script.kind) {
          case scenario::throttle_429:
          case scenario::throttle_429_no_retry_after:
            what = act::fault_status;
            fault_status = 429;
            break;
          case scenario::unavailable_503:
          case scenario::unavailable_503_no_retry_after:
            what = act::fault_status;
            fault_status = 503;
            break;
          case scenario::error_500:
            what = act::fault_status;
            fault_status = 500;
            break;
          case scenario::truncated_body:
            what = act::truncated;
            break;
          case scenario::drop_connection:
            what = act::drop;
            // The answer is the connection's end, which the client sees as soon as the socket
            // is shut down below: account for it now, while nothing has reached the client.
            // (Stamped after the shutdown, a descheduled thread could stamp a deadline later
            // than the client's retry and count that retry as early.)
            set_answer(o, slot, 0, -1);
            o.rec.next_allowed_poll_ms = now_ms();
            break;
          case scenario::slow:
            what = act::slow;
            break;
          default:
            break;
        }
      }
      if (!no_api_version && (what == act::normal || what == act::slow || what == act::truncated)) {
        // the answer (the truncated one does not advance the operation)
        int progress = o.progress + (what == act::truncated ? 0 : 1);
        if (what != act::truncated) o.progress = progress;
        std::string st;
        if (progress <= 1)
          st = "NotStarted";
        else if (progress <= 1 + o.script.running_polls)
          st = "Running";
        else if (o.script.kind == scenario::fail)
          st = "Failed";
        else if (o.script.kind == scenario::cancel)
          st = "Canceled";
        else
          st = "Succeeded";
        body["operationId"] = o.rec.id;
        if (o.rec.version == 1)
          body["createdDateTime"] = v1_date(o.created);
        else
          body["created"] = v2_date(o.created);
        body["status"] = st;
        const bool resource = o.script.kind != scenario::succeed_no_resource;
        if (st == "Succeeded") {
          if (what != act::truncated) o.rec.final_status = st;
          if (resource) {
            o.rec.resource_url = resource_url(o);
            if (o.rec.version == 1) {
              status = 201;
              res.set_header("Location", "\"" + o.rec.resource_url + "\"");
              body["resourceLocation"] = o.rec.resource_url;
            } else {
              res.set_header("Resource-Location", o.rec.resource_url);
            }
          }
        } else if (st == "Failed") {
          if (what != act::truncated) o.rec.final_status = st;
          body["error"] = json::parse(failure_error, nullptr, false);
        } else if (st == "Canceled") {
          if (what != act::truncated) o.rec.final_status = st;
        } else {
          delay = set_retry_after(res, o.script);
        }
      }
    }
    if (no_api_version) return log(req, 400, foreign);

    switch (what) {
      case act::fault_status: {
        const char* code = fault_status == 429   ? "TooManyRequests"
                           : fault_status == 503 ? "ServiceUnavailable"
                                                 : "InternalServerError";
        const char* msg = fault_status == 429   ? "Rate limit is exceeded. Try again later."
                          : fault_status == 503 ? "The service is temporarily unavailable."
                                                : "An internal server error occurred.";
        set_json(res, fault_status, odata_error(code, msg));
        if (fault_status == 429 && script.kind == scenario::throttle_429) delay = set_retry_after(res, script);
        if (fault_status == 503 && script.kind == scenario::unavailable_503) delay = set_retry_after(res, script);
        break;
      }
      case act::drop: {
        // Close the connection before anything is written: the client sees an empty reply.
        if (shutdown_sockets(req.local_port, req.remote_port) == 0) {
          // fallback: promise more bytes than are ever sent
          res.status = 200;
          res.set_content_provider(
              1024, "application/json; charset=utf-8",
              [](std::size_t, std::size_t, httplib::DataSink&) { return false; });
        }
        status = 0;
        break;
      }
      case act::truncated: {
        std::string full = body.dump();
        set_json(res, 200, full.substr(0, full.size() / 2));
        break;
      }
      case act::slow:
        std::this_thread::sleep_for(std::chrono::milliseconds(script.slow_ms));
        [[fallthrough]];
      case act::normal:
        set_json(res, status, body.dump());
        break;
    }
    if (what != act::drop) {
      // The answer leaves after this handler returns: the client's wait starts later than now.
      std::lock_guard<std::mutex> lock(m);
      set_answer(*op, slot, res.status, delay);
      // Only the latest poll's answer sets the deadline (a newer poll means the client already
      // gave up on this one: libcurl resends a GET whose reused connection died).
      if (seq == op->rec.status_polls) op->rec.next_allowed_poll_ms = now_ms() + (delay > 0 ? delay : 0);
    }
    log(req, what == act::drop ? 0 : res.status, foreign);
  }

  void on_resource(const httplib::Request& req, httplib::Response& res, bool foreign) {
    const std::int64_t at = now_ms();
    if (!admit(req, res, foreign)) return;
    const std::string udid = req.matches.size() > 2 ? std::string(req.matches[2]) : std::string();
    std::shared_ptr<op_state> op;
    std::lock_guard<std::mutex> lock(m);
    auto u = by_udid.find(udid);
    if (u != by_udid.end()) {
      auto it = ops.find(u->second);
      if (it != ops.end()) op = it->second;
    }
    if (!op || op->rec.final_status != "Succeeded" ||
        op->script.kind == scenario::succeed_no_resource) {
      set_json(res, 404, odata_error("NotFound", "The resource '" + udid + "' was not found."));
      if (op) {
        add_record(*op, request_record{req.method, req.path, query_of(req), has_credential(req),
                                       at, 404, "resource", foreign});
      }
      log(req, 404, foreign);
      return;
    }
    op->rec.resource_fetches++;
    add_record(*op, request_record{req.method, req.path, query_of(req), has_credential(req), at, 0,
                                   "resource", foreign});
    if (!req.has_param("api-version") || req.get_param_value("api-version").empty()) {
      set_json(res, 400, odata_error("MissingApiVersionParameter",
                                     "The api-version query parameter (?api-version=) is required "
                                     "for all requests."));
    } else {
      json j;
      j["udid"] = op->udid;
      j["location"] = op->rec.resource_url;
      j["created"] = v2_date(op->created);
      j["updated"] = v2_date(wall::now());
      j["sizeInBytes"] = 1024;
      j["uploadStatus"] = "Completed";
      j["dataFormat"] = "dwgzippackage";
      j["description"] = "Created by the azmaps-lro emulator (operation " + op->rec.id + ")";
      set_json(res, 200, j.dump());
      op->resources_served++;
    }
    set_last_status(*op, res.status);
    if (cfg.log) {
      // log outside of nothing: cfg.log must not call back into the server
      log(req, res.status, foreign);
    }
  }

  void not_found(const httplib::Request& req, httplib::Response& res, bool foreign) {
    if (!foreign && !authorize(req)) return answer_401(req, res);
    if (foreign) {
      std::lock_guard<std::mutex> lock(m);
      ++total;
      ++foreign_all;
      if (has_credential(req)) ++foreign_key;
    }
    common_headers(res);
    set_json(res, 404, odata_error("NotFound", "No emulator endpoint for " + req.method + " " + req.path + "."));
    log(req, 404, foreign);
  }

  // More connections than max_threads: this one is served by an overflow thread, which answers
  // every request so and closes the connection.
  void answer_busy(const httplib::Request& req, httplib::Response& res, bool foreign) {
    {
      std::lock_guard<std::mutex> lock(m);
      ++total;
      ++refused_busy;
    }
    common_headers(res);
    set_json(res, 503, odata_error("ServerBusy", "The emulator serves at most " + std::to_string(cfg.max_threads) +
                                                     " connections at once; retry the request later."));
    res.set_header("Retry-After", "1");
    res.set_header("Connection", "close");
    log(req, 503, foreign);
  }

  // httplib's own error answers (413 beyond max_body_bytes, 400 for a malformed request,
  // 414...) come without a body: give them an OData error like every other answer.
  void fill_error(const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty() || res.has_header("Content-Type")) return;
    if (res.status == 413) {
      {
        std::lock_guard<std::mutex> lock(m);
        ++refused_too_large;
      }
      set_json(res, 413, odata_error("RequestEntityTooLarge",
                                     "The request body is larger than the emulator accepts (" +
                                         std::to_string(cfg.max_body_bytes) + " bytes)."));
    } else {
      const char* code = res.status == 400 ? "BadRequest" : res.status == 414 ? "UriTooLong" : "HttpError";
      set_json(res, res.status, odata_error(code, "The emulator could not read the request (HTTP " +
                                                      std::to_string(res.status) + ")."));
    }
    if (!res.has_header("Date")) common_headers(res);
    (void)req;
  }

  // ---- the records endpoint (config::stats_endpoint) -------------------------------------

  std::string stats_json() const {
    std::lock_guard<std::mutex> lock(m);
    std::int64_t submits = 0, polls = 0, resources = 0, early = 0, early_submits = 0;
    std::int64_t succeeded = 0, failed = 0, canceled = 0, unfinished = 0, as_scripted = 0;
    std::int64_t most_polls = 0, fewest_polls = -1;
    for (const auto& id : order) {
      auto it = ops.find(id);
      if (it == ops.end()) continue;
      const op_state& o = *it->second;
      const auto& r = o.rec;
      submits += r.submits;
      polls += r.status_polls;
      resources += r.resource_fetches;
      early += r.early_polls;
      early_submits += r.early_submits;
      most_polls = std::max<std::int64_t>(most_polls, r.status_polls);
      fewest_polls = fewest_polls < 0 ? r.status_polls : std::min<std::int64_t>(fewest_polls, r.status_polls);
      if (r.final_status == "Succeeded") ++succeeded;
      else if (r.final_status == "Failed") ++failed;
      else if (r.final_status == "Canceled") ++canceled;
      else ++unfinished;
      // As scripted: the scenario's terminal status reached and, when it has a resource, the
      // resource fetched (answered 200) at least once.
      const char* expected = o.script.kind == scenario::fail     ? "Failed"
                             : o.script.kind == scenario::cancel ? "Canceled"
                                                                 : "Succeeded";
      const bool needs_resource = std::string_view(expected) == "Succeeded" &&
                                  o.script.kind != scenario::succeed_no_resource;
      if (r.final_status == expected && (!needs_resource || o.resources_served > 0)) ++as_scripted;
    }
    json j;
    j["operations"] = order.size();
    j["forgotten_operations"] = forgotten;
    j["submits"] = submits;
    j["status_polls"] = polls;
    j["resource_fetches"] = resources;
    j["early_polls"] = early;
    j["early_submits"] = early_submits;
    j["fewest_status_polls"] = fewest_polls < 0 ? 0 : fewest_polls;
    j["most_status_polls"] = most_polls;
    j["succeeded"] = succeeded;
    j["failed"] = failed;
    j["canceled"] = canceled;
    j["unfinished"] = unfinished;
    j["ended_as_scripted"] = as_scripted;
    j["requests"] = total;
    j["requests_without_key"] = no_key;
    j["requests_with_wrong_key"] = wrong_key;
    j["foreign_origin_requests"] = foreign_all;
    j["foreign_origin_key_requests"] = foreign_key;
    j["refusals"]["busy"] = refused_busy;
    j["refusals"]["pending_resubmits"] = refused_pending;
    j["refusals"]["too_large"] = refused_too_large;
    return j.dump();
  }

  void clear_all() {
    std::lock_guard<std::mutex> lock(m);
    ops.clear();
    by_udid.clear();
    pending_resubmit.clear();
    order.clear();
    no_key = wrong_key = foreign_key = foreign_all = 0;
    total = 0;
    forgotten = 0;
    refused_pending = refused_busy = refused_too_large = 0;
  }

  // The endpoint's own requests: the key is checked like any other, but neither they nor a
  // refusal enter a record or a count (a benchmark reads the counts between runs).
  void on_records(const httplib::Request& req, httplib::Response& res, bool clear) {
    if (check_key(req) != key_state::ok) return answer_401(req, res);
    common_headers(res);
    if (clear) {
      clear_all();
      set_json(res, 200, "{\"cleared\":true}");
    } else {
      set_json(res, 200, stats_json());
    }
    res.set_header("Cache-Control", "no-store");
    log(req, 200, false);
  }

  void routes(http_server& s, bool foreign) {
    static const char* families = "(mapData|conversions|conversion|tilesets|tileset|datasets|dataset|"
                                  "featureStateSets|featurestatesets|featureState|styles|mapConfigurations|routesets|wayfinding)";
    const std::string ops_re = std::string("/") + families + "/operations/([A-Za-z0-9._~-]+)";
    const std::string meta_re = std::string("/") + "(mapData/metadata|conversions|conversion|tilesets|tileset|datasets|dataset|"
                                "featureStateSets|featurestatesets|styles|mapConfigurations|routesets)/([A-Za-z0-9._~-]+)";
    // Every handler first answers 503 on an overflow thread (more connections than max_threads).
    using handler = std::function<void(const httplib::Request&, httplib::Response&)>;
    auto guard = [this, foreign](handler h) {
      return [this, foreign, h](const httplib::Request& q, httplib::Response& r) {
        if (t_overloaded) return answer_busy(q, r, foreign);
        h(q, r);
      };
    };
    const bool records = cfg.stats_endpoint && !foreign;
    if (records) {
      s.Get("/_emulator/stats", [this](const httplib::Request& q, httplib::Response& r) { on_records(q, r, false); });
      s.Post("/_emulator/clear", [this](const httplib::Request& q, httplib::Response& r) { on_records(q, r, true); });
    }
    s.Get(ops_re, guard([this, foreign](const httplib::Request& q, httplib::Response& r) { on_status(q, r, foreign); }));
    s.Get(meta_re, guard([this, foreign](const httplib::Request& q, httplib::Response& r) { on_resource(q, r, foreign); }));
    const std::string submit_re =
        "/(mapData|mapData/upload|conversions|conversion/convert|tilesets|tileset/create/vector|"
        "datasets|dataset/create|dataset/import|featureStateSets|featurestatesets|styles|"
        "mapConfigurations|routesets|wayfinding)";
    if (!foreign) {
      s.Post(submit_re, guard([this](const httplib::Request& q, httplib::Response& r) { on_submit(q, r); }));
    }
    const handler submit = guard([this](const httplib::Request& q, httplib::Response& r) { on_submit(q, r); });
    const handler nf = guard([this, foreign](const httplib::Request& q, httplib::Response& r) { not_found(q, r, foreign); });
    // httplib answers a body-less POST without Content-Length (e.g. `curl -X POST`) with a bare
    // 400 before routing; the service treats it as an empty body. The pre-routing handler runs
    // before httplib reads the content, so such requests are dispatched here.
    const std::regex submit_rx(submit_re);
    s.set_pre_routing_handler([this, records, foreign, submit_rx, submit, nf](const httplib::Request& q,
                                                                              httplib::Response& r) {
      if ((q.method != "POST" && q.method != "PUT" && q.method != "PATCH") ||
          q.has_header("Content-Length") || q.has_header("Transfer-Encoding"))
        return httplib::Server::HandlerResponse::Unhandled;
      if (records && q.method == "POST" && q.path == "/_emulator/clear")
        on_records(q, r, true);
      else if (!foreign && q.method == "POST" && std::regex_match(q.path, submit_rx))
        submit(q, r);
      else
        nf(q, r);
      return httplib::Server::HandlerResponse::Handled;
    });
    s.Get(".*", nf);
    s.Post(".*", nf);
    s.Put(".*", nf);
    s.Patch(".*", nf);
    s.Delete(".*", nf);
  }

  std::unique_ptr<http_server> make_server(bool foreign) {
    auto s = std::make_unique<http_server>();
    const std::size_t max_threads = cfg.max_threads;
    s->new_task_queue = [max_threads] { return new elastic_queue(max_threads); };
    s->set_keep_alive_max_count(std::max<std::size_t>(cfg.keep_alive_max_count, 1));
    s->set_keep_alive_timeout(std::max(cfg.keep_alive_timeout_s, 1));
    s->set_tcp_nodelay(true);
    // httplib's default also sets SO_REUSEPORT, which would let two emulators share a port.
    s->set_socket_options([](socket_t sock) {
      int yes = 1;
      ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    });
    s->set_payload_max_length(std::max<std::size_t>(cfg.max_body_bytes, 1));
    s->set_error_handler(httplib::Server::HandlerWithResponse(
        [this](const httplib::Request& q, httplib::Response& r) {
          fill_error(q, r);
          return httplib::Server::HandlerResponse::Handled;
        }));
    routes(*s, foreign);
    return s;
  }

  static bool launch(http_server& s, std::thread& t, std::atomic<bool>& done) {
    done = false;
    t = std::thread([&s, &done] {
      s.listen_after_bind();
      done = true;
    });
    // wait until the accept loop runs, so that stop() cannot race with its start
    for (int i = 0; i < 5000 && !s.is_running() && !done; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return s.is_running();
  }

  static int bind(http_server& s, const std::string& host, int port) {
    if (port == 0) return s.bind_to_any_port(host);
    return s.bind_to_port(host, port) ? port : -1;
  }

  bool start() {
    if (started) return true;
    // A dropped connection makes httplib write to a shut-down socket: never die of SIGPIPE.
    struct sigaction old {};
    if (::sigaction(SIGPIPE, nullptr, &old) == 0 && old.sa_handler == SIG_DFL) std::signal(SIGPIPE, SIG_IGN);
    main_svr = make_server(false);
    foreign_svr = make_server(true);
    main_port = bind(*main_svr, cfg.host, cfg.port);
    if (main_port <= 0) return fail_start();
    foreign_port_ = bind(*foreign_svr, cfg.host, cfg.foreign_port);
    if (foreign_port_ <= 0) return fail_start();
    main_svr->widen_backlog(4096);
    foreign_svr->widen_backlog(1024);
    if (!launch(*main_svr, main_thread, main_done)) return fail_start();
    if (!launch(*foreign_svr, foreign_thread, foreign_done)) return fail_start();
    started = true;
    return true;
  }

  bool fail_start() {
    halt();
    return false;
  }

  void halt() {
    for (auto* p : {&main_svr, &foreign_svr}) {
      if (*p) (*p)->stop();
    }
    // Idle keep-alive connections would hold stop() for up to keep_alive_timeout: end them.
    if (main_port > 0) shutdown_sockets(main_port, -1);
    if (foreign_port_ > 0) shutdown_sockets(foreign_port_, -1);
    for (auto* t : {&main_thread, &foreign_thread}) {
      if (t->joinable()) t->join();
    }
    main_svr.reset();
    foreign_svr.reset();
    started = false;
  }
};

server::server(config cfg) : impl_(std::make_unique<impl>(std::move(cfg))) {}
server::~server() { stop(); }

bool server::start() { return impl_->start(); }
void server::stop() {
  if (impl_->main_svr || impl_->foreign_svr) impl_->halt();
}
bool server::running() const { return impl_->started; }
int server::port() const { return impl_->main_port; }
std::string server::base_url() const { return impl_->base(); }
int server::foreign_port() const { return impl_->foreign_port_; }
std::string server::foreign_base_url() const { return impl_->foreign_base(); }

std::vector<server::operation_record> server::operations() const {
  std::lock_guard<std::mutex> lock(impl_->m);
  std::vector<operation_record> v;
  v.reserve(impl_->order.size());
  for (const auto& id : impl_->order) {
    auto it = impl_->ops.find(id);
    if (it != impl_->ops.end()) v.push_back(it->second->rec);
  }
  return v;
}

std::optional<server::operation_record> server::operation(std::string_view id) const {
  std::lock_guard<std::mutex> lock(impl_->m);
  auto it = impl_->ops.find(std::string(id));
  if (it == impl_->ops.end()) return std::nullopt;
  return it->second->rec;
}

std::size_t server::operation_count() const {
  std::lock_guard<std::mutex> lock(impl_->m);
  return impl_->ops.size();
}

int server::requests_without_key() const {
  std::lock_guard<std::mutex> lock(impl_->m);
  return impl_->no_key;
}
int server::requests_with_wrong_key() const {
  std::lock_guard<std::mutex> lock(impl_->m);
  return impl_->wrong_key;
}
int server::foreign_origin_key_requests() const {
  std::lock_guard<std::mutex> lock(impl_->m);
  return impl_->foreign_key;
}
int server::foreign_origin_requests() const {
  std::lock_guard<std::mutex> lock(impl_->m);
  return impl_->foreign_all;
}
std::int64_t server::total_requests() const {
  std::lock_guard<std::mutex> lock(impl_->m);
  return impl_->total;
}
server::refusals server::limit_refusals() const {
  std::lock_guard<std::mutex> lock(impl_->m);
  return refusals{impl_->refused_pending, impl_->refused_busy, impl_->refused_too_large};
}
std::int64_t server::now_ms() const { return impl_->now_ms(); }

void server::clear() { impl_->clear_all(); }
std::string server::stats_json() const { return impl_->stats_json(); }

}  // namespace azmaps::lro::emulator
