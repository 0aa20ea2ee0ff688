// azmaps-lro adapters: what the libcurl drivers (curl_easy.hpp, curl_multi.hpp) share.
//
// Not included by <azmaps/lro.hpp>: include a driver header, link libcurl (CMake:
// `find_package(CURL)` + `CURL::libcurl`). The drivers read clocks and sleep; the machine
// they drive still never does.
//
// The driver's half of the contract of `send_request` (action.hpp), as implemented here:
//   * wait until `not_before` (steady clock), then send exactly that method and URL;
//   * for `purpose::submit` send the submit body and `request_spec::submit_headers` again;
//   * attach `credentials` (subscription key as header or query parameter, Authorization,
//     any extra header) only when `same_origin` is true, and strip a `subscription-key`
//     query parameter from a URL on another origin;
//   * never follow redirects (a 3xx is fed to the machine like any other answer);
//   * send every submit on a fresh connection, so that libcurl never silently resends it
//     (it does so on a reused connection that died; for the GETs that is left as it is);
//   * feed status, headers in arrival order (of the final response block) and at most
//     `options::max_body_bytes + 1` body bytes, so the machine sees an oversized body
//     without the driver holding more than that; a CURLcode becomes a `transport_error`;
//   * pass the steady `now` and the wall clock (for HTTP-date Retry-After) with every input.
#ifndef AZMAPS_LRO_ADAPTERS_CURL_COMMON_HPP
#define AZMAPS_LRO_ADAPTERS_CURL_COMMON_HPP

#include <curl/curl.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../action.hpp"
#include "../detail/ascii.hpp"
#include "../detail/credentials.hpp"
#include "../detail/url.hpp"
#include "../observation.hpp"
#include "../operation.hpp"
#include "../outcome.hpp"
#include "request.hpp"
#include "../response.hpp"
#include "../version.hpp"

namespace azmaps::lro::curl {

/// The submit's body and headers, and the credentials (adapters/request.hpp), shared by every driver.
using lro::credentials;
using lro::request_spec;

/// libcurl settings common to both drivers.
struct transfer_config {
    /// Time allowed to connect (CURLOPT_CONNECTTIMEOUT_MS); expiry is a transport error.
    std::chrono::milliseconds connect_timeout{10000};
    /// Whole-request timeout (CURLOPT_TIMEOUT_MS); 0: none. Expiry is a transport error
    /// (`timed_out`), which the machine retries or fails per its rules.
    std::chrono::milliseconds request_timeout{60000};
    /// User-Agent header (CURLOPT_USERAGENT); empty: libcurl sends none.
    std::string user_agent = "azmaps-lro/" AZMAPS_LRO_VERSION_STRING " (libcurl)";
    /// CA bundle file (CURLOPT_CAINFO); empty: libcurl's default. TLS is always verified.
    std::string ca_file;
    /// CURLOPT_VERBOSE, to stderr.
    bool verbose = false;
    /// libcurl's in-memory cookie engine (CURLOPT_COOKIEFILE ""), enabled again after every
    /// curl_easy_reset: with the easy driver, cookies set by one answer go with the operation's
    /// later requests (libcurl's domain rules apply). Nothing is read from or written to disk.
    bool cookies = false;
};

/// A progress report (both drivers). Views point into the machine or the driver and are
/// valid only during the callback.
struct event {
    /// What happened, which says which of the fields below are set.
    enum class kind : std::uint8_t {
        waiting,          ///< easy driver: asleep until `request.not_before`; `wait` left
        sending,          ///< `request` is being sent now
        answered,         ///< `request` got HTTP `status`; `obs` is after the machine's step
        transport_failed, ///< `request` got no response: `error` / `curl_code`
    };
    /// What happened.
    kind what = kind::sending;
    /// The request concerned (views valid only during the callback).
    send_request request;
    /// `answered`: the HTTP status code; 0 otherwise.
    int status = 0;
    /// `transport_failed`: the error as the machine was told it.
    lro::transport_error error = lro::transport_error::other;
    /// `transport_failed`: libcurl's own code, for diagnostics.
    CURLcode curl_code = CURLE_OK;
    /// `waiting`: how long the driver will sleep before sending.
    std::chrono::milliseconds wait{0};
    /// `answered`: the machine's observations after it read the answer (progress lines).
    observation obs;
};

/// How a driven operation ended.
struct outcome {
    /// How the operation ended, owning every byte (outcome.hpp): keep it, return it, move it
    /// to another thread. `result.end` is `idle` when `interrupted` (the machine is still
    /// live: `save()` it to resume later).
    lro::outcome result;
    /// The result body, when `result.source` is not `none`: the body of the answer that ended
    /// the operation (at most max_body_bytes + 1 bytes). For a Maps operation, the resource.
    std::string body;
    /// Stopped by the caller (stop flag, `interrupt_all`) before the end.
    bool interrupted = false;
    /// HTTP requests attempted (transport failures included).
    std::uint32_t requests = 0;

    /// True when the operation ran to its end and succeeded (not interrupted, `result.ok()`).
    bool ok() const noexcept { return !interrupted && result.ok(); }
};

namespace curl_detail {

/// curl_global_init once per process (thread-safe through the static's initialisation).
inline bool global_init() noexcept {
    static const bool ok = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
    return ok;
}

/// libcurl's verdict, as the machine's kind of transport error.
inline lro::transport_error map_error(CURLcode rc) noexcept {
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
        return lro::transport_error::connect_failed;
    case CURLE_OPERATION_TIMEDOUT:
        return lro::transport_error::timed_out;
    case CURLE_GOT_NOTHING:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return lro::transport_error::connection_reset;
    default:
        return lro::transport_error::other;
    }
}

/// Percent-encodes everything but RFC 3986 unreserved bytes.
inline void append_encoded(std::string& out, std::string_view v) {
    static const char hex[] = "0123456789ABCDEF";
    for (char c : v) {
        const auto u = static_cast<unsigned char>(c);
        if (lro::detail::is_alpha(c) || lro::detail::is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            out.push_back(c);
        } else {
            out.push_back('%');
            out.push_back(hex[u >> 4]);
            out.push_back(hex[u & 15]);
        }
    }
}

/// The state of one HTTP exchange: what was sent and what came back.
struct transfer {
    // sent
    /// HTTP method sent.
    std::string method;
    std::string url;          ///< as sent (key query parameter included when same-origin)
    std::string machine_url;  ///< as the machine asked (for events; never holds our key)
    /// Why the machine asked for this request.
    lro::purpose purpose = lro::purpose::status;
    /// True when credentials were attached (the URL has the submit's origin).
    bool same_origin = true;
    /// When the machine asked the request to be sent.
    time_point not_before{};
    /// The wait the machine asked for before sending.
    std::chrono::milliseconds delay{0};
    /// Request headers handed to libcurl for this request: one of the two cached lists below
    /// (owned, freed on destruction).
    curl_slist* header_list = nullptr;
    // received
    /// Response headers (name, value), trimmed and unfolded, of the last response block.
    std::vector<std::pair<std::string, std::string>> headers;
    /// Bytes of header lines received so far (checked against max_header_bytes).
    std::size_t header_bytes = 0;
    /// Response body received so far (at most body_cap bytes).
    std::string body;
    std::size_t body_cap = 0;       ///< max_body_bytes + 1
    bool body_overflow = false;     ///< the body reached body_cap: the transfer was cut there
    /// The headers passed max_header_bytes: the transfer was aborted (a transport error).
    bool header_overflow = false;
    /// The caller's stop flag, polled by the progress callback to abort; null: none.
    const std::atomic<bool>* stop = nullptr;

    /// Cap on the total size of response header lines, so a hostile server cannot grow memory.
    static constexpr std::size_t max_header_bytes = std::size_t{256} * 1024;

    transfer() = default;
    transfer(const transfer&) = delete;
    transfer& operator=(const transfer&) = delete;
    ~transfer() { forget_headers(); }

    /// Drops the cached header lists (the next `prepare` builds them again). A driver that
    /// reuses one transfer for requests of another `request_spec` / `credentials` object must
    /// call this first, unless it keeps the previous objects alive (the cache is keyed on their
    /// addresses).
    void forget_headers() noexcept {
        for (header_cache& c : cache_) {
            curl_slist_free_all(c.list);
            c = header_cache{};
        }
        header_list = nullptr;
    }

    /// Forgets the handle this transfer configured (the next `prepare` resets it first).
    void forget_handle() noexcept { configured_ = nullptr; }
    /// The handle whose constant options this transfer set; null: none yet.
    CURL* configured_for() const noexcept { return configured_; }

    /// Body capacity kept between requests by a reused transfer; above it the buffer is freed.
    static constexpr std::size_t kept_buffer_bytes = std::size_t{16} * 1024;

    /// Frees the buffers of a large answer (a reused transfer keeps small ones for the next).
    void trim_buffers() noexcept {
        if (body.capacity() > kept_buffer_bytes) std::string().swap(body);
        if (headers.capacity() > 64) std::vector<std::pair<std::string, std::string>>().swap(headers);
    }

    /// The request as the machine described it, with views into this transfer.
    send_request as_request() const noexcept {
        send_request r;
        r.method = method;
        r.url = machine_url;
        r.delay = delay;
        r.not_before = not_before;
        r.purpose = purpose;
        r.same_origin = same_origin;
        return r;
    }

    /// CURLOPT_HEADERFUNCTION: collects one header line (`user` is the transfer); a new status
    /// line starts the headers over (1xx, proxies). Returns 0 to abort past max_header_bytes.
    static std::size_t on_header(char* data, std::size_t size, std::size_t n, void* user) {
        auto* t = static_cast<transfer*>(user);
        const std::size_t len = size * n;
        std::string_view line(data, len);
        // The line terminator (CRLF, or a bare LF), exactly once; then only OWS is trimmed
        // (detail/ascii.hpp), so a stray CR stays in the value as any driver would pass it.
        if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (lro::detail::istarts_with(line, "HTTP/")) { // a new response block (1xx, or a proxy's): start over
            t->headers.clear();
            t->header_bytes = 0;
            return len;
        }
        if (line.empty()) return len;
        t->header_bytes += line.size();
        if (t->header_bytes > max_header_bytes) {
            t->header_overflow = true;
            return 0; // aborts the transfer: CURLE_WRITE_ERROR
        }
        if (lro::detail::is_ows(line.front()) && !t->headers.empty()) { // obs-fold
            std::string& v = t->headers.back().second;
            v.push_back(' ');
            v.append(lro::detail::trim_ows(line));
            return len;
        }
        const std::size_t colon = line.find(':');
        if (colon == std::string_view::npos) return len;
        t->headers.emplace_back(std::string(lro::detail::trim_ows(line.substr(0, colon))),
                                  std::string(lro::detail::trim_ows(line.substr(colon + 1))));
        return len;
    }

    /// CURLOPT_WRITEFUNCTION: appends body bytes up to body_cap, then aborts the transfer
    /// (the machine then sees max_body_bytes + 1 bytes and rejects the body itself).
    static std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user) {
        auto* t = static_cast<transfer*>(user);
        const std::size_t len = size * n;
        const std::size_t room = t->body_cap - t->body.size();
        if (len > room) {
            t->body.append(data, room);
            t->body_overflow = true;
            return 0; // aborts the transfer: the machine will see max_body_bytes + 1 bytes
        }
        t->body.append(data, len);
        return len;
    }

    /// CURLOPT_XFERINFOFUNCTION: aborts the transfer (returns 1) once the stop flag is set.
    static int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
        auto* t = static_cast<transfer*>(user);
        return t->stop != nullptr && t->stop->load(std::memory_order_relaxed) ? 1 : 0;
    }

    /// Copies the request, builds the headers (or reuses the cached list) and sets the options
    /// on `h`. The first request on a handle resets it and sets every option that never changes;
    /// later ones on the same handle set only what a request changes (URL, headers, method,
    /// fresh connection, progress callback): libcurl's own reset and option copies cost more
    /// than the rest of the driver's work per request (docs/performance.md).
    bool prepare(CURL* h, const send_request& r, const request_spec& spec, const credentials& creds,
                 const transfer_config& cfg, std::size_t max_body_bytes) {
        method.assign(r.method);
        machine_url.assign(r.url);
        purpose = r.purpose;
        same_origin = r.same_origin;
        not_before = r.not_before;
        delay = r.delay;
        headers.clear();
        header_bytes = 0;
        body.clear();
        body_overflow = header_overflow = false;
        body_cap = max_body_bytes + 1;
        header_list = nullptr;

        if (same_origin) {
            url = machine_url;
            if (creds.key_in_query && !creds.subscription_key.empty() &&
                !lro::detail::has_query_param(url, "subscription-key")) {
                std::string enc;
                append_encoded(enc, creds.subscription_key);
                lro::detail::append_query_param(url, "subscription-key", enc);
            }
        } else {
            // the machine already keeps no credential in a URL; this is the driver's own guard
            url = lro::detail::has_credential_param(machine_url, {})
                      ? lro::detail::without_credential_params(machine_url, {})
                      : machine_url;
        }

        const bool is_submit = purpose == lro::purpose::submit;
        const bool send_body = is_submit && method != "GET" && method != "HEAD";
        header_cache& c = cache_[is_submit ? 1 : 0];
        if (c.list == nullptr || c.spec != &spec || c.creds != &creds ||
            c.same_origin != same_origin || c.send_body != send_body) {
            curl_slist_free_all(c.list);
            c = header_cache{};
            curl_slist* list = nullptr;
            if (!build_headers(list, is_submit, send_body, spec, creds, same_origin)) {
                curl_slist_free_all(list);
                return false;
            }
            c = header_cache{list, &spec, &creds, same_origin, send_body};
        }
        header_list = c.list;

        if (configured_ != h) {
            curl_easy_reset(h);
            curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
            curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
            curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#else
            curl_easy_setopt(h, CURLOPT_PROTOCOLS, static_cast<long>(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
            curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
            curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &transfer::on_header);
            curl_easy_setopt(h, CURLOPT_HEADERDATA, this);
            curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &transfer::on_body);
            curl_easy_setopt(h, CURLOPT_WRITEDATA, this);
            curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, &transfer::on_progress);
            curl_easy_setopt(h, CURLOPT_XFERINFODATA, this);
            curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(cfg.connect_timeout.count()));
            curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(cfg.request_timeout.count()));
            if (!cfg.user_agent.empty()) curl_easy_setopt(h, CURLOPT_USERAGENT, cfg.user_agent.c_str());
            if (!cfg.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, cfg.ca_file.c_str());
            if (cfg.verbose) curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
            if (cfg.cookies) curl_easy_setopt(h, CURLOPT_COOKIEFILE, ""); // the reset above disabled the engine
            configured_ = h;
        }
        curl_easy_setopt(h, CURLOPT_URL, url.c_str());
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, header_list);
        // libcurl silently resends a request whose reused connection died before any answer.
        // Harmless for the GETs; for a submit the machine must decide (it may not resend after
        // an ambiguous failure), so a submit always goes on a fresh connection.
        curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, is_submit ? 1L : 0L);
        // The stop flag is polled by the progress callback; without one, no progress calls.
        curl_easy_setopt(h, CURLOPT_NOPROGRESS, stop != nullptr ? 0L : 1L);
        if (method == "GET") {
            curl_easy_setopt(h, CURLOPT_HTTPGET, 1L); // also clears NOBODY and upload
            curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, static_cast<const char*>(nullptr));
        } else if (method == "HEAD") {
            curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
            curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, static_cast<const char*>(nullptr));
        } else {
            const std::string& b = send_body ? spec.body : empty_body();
            curl_easy_setopt(h, CURLOPT_NOBODY, 0L);
            curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(b.size()));
            curl_easy_setopt(h, CURLOPT_POSTFIELDS, b.data());
            curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method != "POST" ? method.c_str() : nullptr);
        }
        return true;
    }

    /// Builds the header lines of one kind of request into `list` (false: out of memory).
    static bool build_headers(curl_slist*& list, bool is_submit, bool send_body, const request_spec& spec,
                              const credentials& creds, bool same_origin_) {
        bool ok = true;
        auto add = [&](const std::string& line) {
            curl_slist* next = curl_slist_append(list, line.c_str());
            if (next == nullptr) ok = false; else list = next;
        };
        bool has_type = false;
        for (const std::string& line : spec.headers) add(line);
        if (is_submit)
            for (const std::string& line : spec.submit_headers) {
                add(line);
                if (lro::detail::istarts_with(line, "content-type:")) has_type = true;
            }
        if (send_body && !has_type) add(spec.body.empty() ? "Content-Type:" : "Content-Type: application/json");
        if (send_body) add("Expect:"); // no 100-continue round trip
        if (same_origin_) {
            if (!creds.subscription_key.empty() && !creds.key_in_query) add("subscription-key: " + creds.subscription_key);
            if (!creds.authorization.empty()) add("Authorization: " + creds.authorization);
            for (const std::string& line : creds.headers) add(line);
        }
        return ok;
    }

    /// A shared empty body, for requests that must not resend the submit body.
    static const std::string& empty_body() {
        static const std::string empty;
        return empty;
    }

    /// The progress event for a finished transfer: answered (with its status) or failed.
    event completion_event(CURLcode rc, int status) const noexcept {
        event e;
        e.request = as_request();
        if (has_response(rc)) {
            e.what = event::kind::answered;
            e.status = status;
        } else {
            e.what = event::kind::transport_failed;
            e.error = map_error(rc);
            e.curl_code = rc;
        }
        return e;
    }

    /// True when `rc` still means "a response to feed": complete, or cut at the body cap.
    bool has_response(CURLcode rc) const noexcept {
        return rc == CURLE_OK || (rc == CURLE_WRITE_ERROR && body_overflow);
    }

    /// Feeds the outcome of the exchange to the machine.
    template <class Op>
    lro::action feed(Op& op, CURL* h, CURLcode rc, int& status_out) {
        const time_point now = clock::now();
        if (!has_response(rc)) {
            status_out = 0;
            return op.on_transport_error(map_error(rc), now);
        }
        long code = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
        status_out = static_cast<int>(code);
        views_.clear();
        for (const auto& kv : headers) views_.push_back(lro::header{kv.first, kv.second});
        return op.on_response(lro::response_view{status_out, views_, body}, now, std::chrono::system_clock::now());
    }

private:
    /// One built header list and what it was built from (addresses: see forget_headers).
    struct header_cache {
        curl_slist* list = nullptr;
        const request_spec* spec = nullptr;
        const credentials* creds = nullptr;
        bool same_origin = false;
        bool send_body = false;
    };
    /// [0]: the GETs (status, resource); [1]: the submits.
    header_cache cache_[2];
    /// The handle whose constant options this transfer set (see prepare).
    CURL* configured_ = nullptr;
    /// Header views for the machine, kept between requests.
    std::vector<lro::header> views_;
};

} // namespace curl_detail
} // namespace azmaps::lro::curl

#endif
