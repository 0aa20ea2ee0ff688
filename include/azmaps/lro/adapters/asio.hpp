// azmaps-lro adapters: `co_await` an operation on Boost.Asio, over a Beast HTTP client.
//
// Optional and header-only; not included by <azmaps/lro.hpp>. Needs C++20 coroutines and
// Boost (Asio + Beast, 1.74 or later); HTTPS also needs OpenSSL (define
// AZMAPS_LRO_ASIO_NO_TLS to build without it: https URLs then fail to connect).
// CMake: link `azmaps::lro_asio`.
//
//   #include <utility>                                  // before Asio (Boost 1.74 + g++ 12)
//   #include <azmaps/lro/adapters/asio.hpp>
//   namespace lro = azmaps::lro;
//   boost::asio::awaitable<void> upload(lro::operation& op) {
//       const lro::asio::request_spec spec{body};      // named objects, not temporaries:
//       const lro::asio::credentials creds{"<key>"};   // GCC 12 destroys class temporaries
//       lro::asio::outcome out = co_await lro::asio::async_run(op, spec, creds); // of co_await twice
//       if (out.ok()) use(out.result.resource_location, out.body);
//   }
//   boost::asio::co_spawn(ioc, upload(op), boost::asio::detached);
//
// Many operations run concurrently on one io_context (one coroutine each, one thread). The
// driver's half of the `send_request` contract (action.hpp) is the libcurl drivers' one
// (curl_common.hpp):
//   * wait on an `asio::steady_timer` until `not_before`, then send exactly that method and URL;
//   * for `purpose::submit` send the submit body and `request_spec::submit_headers` again, on a
//     fresh connection (never on a reused one, which could die and tempt a silent resend);
//   * attach `credentials` only when `same_origin` is true, and strip a `subscription-key`
//     query parameter from a URL on another origin;
//   * never follow redirects (a 3xx is fed to the machine like any other answer);
//   * feed the status, the headers in arrival order and at most `max_body_bytes + 1` body bytes
//     (the connection is closed at that point), with the steady `now` read after the response
//     is complete and the wall clock for HTTP-date Retry-After;
//   * a GET whose reused keep-alive connection turns out dead before any answer byte is sent
//     again once on a new connection (as libcurl does); a submit never is;
//   * HTTPS through Beast's ssl_stream with the peer verified (CA bundle, host name, SNI).
//
// Cancellation. Boost 1.74 (Asio 1.18) has no per-operation cancellation slots, so pass a
// `lro::asio::cancel_signal`: `emit()` (on the io_context's thread) stops the wait or the
// exchange in progress and the coroutine returns the machine's `cancel(now)`, that is
// `canceled{client}`. Destroying the io_context instead drops the coroutine and leaves the
// machine live (`save()` it to resume later).
#ifndef AZMAPS_LRO_ADAPTERS_ASIO_HPP
#define AZMAPS_LRO_ADAPTERS_ASIO_HPP

#include <utility> // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without it

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#if !defined(AZMAPS_LRO_ASIO_NO_TLS)
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#endif

#if !defined(BOOST_ASIO_HAS_CO_AWAIT)
#error "azmaps/lro/adapters/asio.hpp needs C++20 coroutines (clang: -DBOOST_ASIO_HAS_CO_AWAIT -DBOOST_ASIO_HAS_STD_COROUTINE)"
#endif

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "../action.hpp"
#include "../detail/url.hpp"
#include "../operation.hpp"
#include "../outcome.hpp"
#include "request.hpp"
#include "../version.hpp"
#include "../response.hpp"

namespace azmaps::lro::asio {

namespace net = boost::asio;

/// The submit's body and headers, and the credentials (adapters/request.hpp), shared by every driver.
using lro::credentials;
using lro::request_spec;

/// Transfer settings.
struct config {
    /// Resolve + connect (+ TLS handshake) limit; expiry is `transport_error::connect_failed`.
    std::chrono::milliseconds connect_timeout{10000};
    /// Write + read limit of one exchange; expiry is `transport_error::timed_out`.
    std::chrono::milliseconds request_timeout{60000};
    /// The User-Agent header sent with every request.
    std::string user_agent = "azmaps-lro/" AZMAPS_LRO_VERSION_STRING " (Beast)";
#if !defined(AZMAPS_LRO_ASIO_NO_TLS)
    /// TLS context for https URLs; null: one made per `async_run` that verifies the peer
    /// against `ca_file` (empty: the system's default paths). A context given here must have
    /// its own verification set up; the driver always adds host-name verification and SNI.
    std::shared_ptr<net::ssl::context> tls;
#endif
    /// CA bundle file for the default TLS context; empty: the system's default paths.
    std::string ca_file;
};

/// How a driven operation ended, owning every byte (like `curl::outcome`).
struct outcome {
    /// How it ended (outcome.hpp). `end` is `idle` only when the machine had nothing to send
    /// and had not ended (never after a run that started with a pending request).
    lro::outcome result;
    /// The result body when `result.source` is not `none` (at most max_body_bytes + 1 bytes).
    std::string body;
    /// HTTP exchanges attempted (transport failures included).
    std::uint32_t requests = 0;

    /// True when the operation succeeded.
    bool ok() const noexcept { return result.ok(); }
};

/// Per-operation cancellation (Asio 1.18 has no cancellation slots). Use it from the
/// io_context's thread only (from elsewhere: `net::post(ioc, [&] { sig.emit(); })`). It must
/// outlive the `async_run` it is given to. `emit()` before the run starts cancels at once.
class cancel_signal {
public:
    cancel_signal() = default;
    cancel_signal(const cancel_signal&) = delete;
    cancel_signal& operator=(const cancel_signal&) = delete;

    /// Asks the run to stop: the machine is canceled (`canceled{client}`) and the pending
    /// wait or exchange is abandoned.
    void emit() {
        requested_ = true;
        if (hook_) {
            auto h = std::move(hook_);
            hook_ = nullptr;
            h();
        }
    }
    /// True once `emit()` was called.
    bool requested() const noexcept { return requested_; }

    /// For the driver: what stops the pending asynchronous step (called once by `emit()`).
    void set_hook(std::function<void()> h) { hook_ = std::move(h); }
    /// For the driver: the pending step finished; nothing to stop any more.
    void clear_hook() noexcept { hook_ = nullptr; }

private:
    bool requested_ = false;
    std::function<void()> hook_;
};

namespace asio_detail {

namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;

inline std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
        s.remove_suffix(1);
    return s;
}

inline bool starts_with_ci(std::string_view s, std::string_view prefix) noexcept {
    return s.size() >= prefix.size() && lro::detail::iequals(s.substr(0, prefix.size()), prefix);
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

/// Removes every `name=...` (or bare `name`) parameter from the query of `url`.
inline std::string strip_query_param(std::string_view url, std::string_view name) {
    const std::size_t q = url.find('?');
    if (q == std::string_view::npos) return std::string(url);
    const std::size_t hash = url.find('#', q);
    const std::string_view query = url.substr(q + 1, (hash == std::string_view::npos ? url.size() : hash) - q - 1);
    std::string out(url.substr(0, q));
    std::string kept;
    std::size_t i = 0;
    while (i <= query.size()) {
        std::size_t amp = query.find('&', i);
        if (amp == std::string_view::npos) amp = query.size();
        const std::string_view pair = query.substr(i, amp - i);
        const std::string_view key = pair.substr(0, pair.find('='));
        if (!pair.empty() && key != name) {
            if (!kept.empty()) kept.push_back('&');
            kept.append(pair);
        }
        i = amp + 1;
    }
    if (!kept.empty()) {
        out.push_back('?');
        out += kept;
    }
    if (hash != std::string_view::npos) out.append(url.substr(hash));
    return out;
}

/// "Name: value" -> the request's field (lines without a name are skipped).
template <class Message>
void set_line(Message& m, std::string_view line) {
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) return;
    const std::string_view name = trim(line.substr(0, colon));
    if (name.empty()) return;
    m.insert(beast::string_view(name.data(), name.size()), beast::string_view(trim(line.substr(colon + 1)).data(),
                                                                              trim(line.substr(colon + 1)).size()));
}

/// The target of one request, parsed from the URL as sent.
struct target {
    bool ok = false;
    bool https = false;
    std::string host;      ///< brackets removed from an IPv6 literal
    std::string port;
    std::string host_field; ///< the Host header
    std::string origin;     ///< "scheme://host:port", lower case: the connection's key
    std::string path;       ///< path + query (never empty)
};

inline target parse_target(std::string_view url) {
    target t;
    lro::detail::absolute_url_parts p;
    if (lro::detail::parse_absolute_url(url, static_cast<std::size_t>(-1), p) != lro::detail::url_error::none)
        return t;
    t.https = lro::detail::iequals(p.scheme, "https");
    std::string_view host = p.host;
    t.host_field.assign(host);
    if (p.port != (t.https ? 443 : 80)) t.host_field += ":" + std::to_string(p.port);
    if (host.size() >= 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
    t.host.assign(host);
    t.port = std::to_string(p.port);
    const lro::detail::origin o{p.scheme, p.host, p.port};
    lro::detail::origin_text(o, t.origin);
    t.path.assign(p.path.empty() ? std::string_view("/") : p.path);
    if (p.has_query) {
        t.path.push_back('?');
        t.path.append(p.query);
    }
    t.ok = true;
    return t;
}

/// One kept-alive connection (plain or TLS) and its read buffer.
struct connection {
    std::string origin;
    std::unique_ptr<beast::tcp_stream> plain;
#if !defined(AZMAPS_LRO_ASIO_NO_TLS)
    std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> tls;
#endif
    beast::flat_buffer buffer;
    std::uint32_t exchanges = 0; ///< answers read on it (a reused connection has > 0)

    bool open() const noexcept {
#if !defined(AZMAPS_LRO_ASIO_NO_TLS)
        if (tls) return true;
#endif
        return plain != nullptr;
    }
    beast::tcp_stream& lowest() noexcept {
#if !defined(AZMAPS_LRO_ASIO_NO_TLS)
        if (tls) return beast::get_lowest_layer(*tls);
#endif
        return *plain;
    }
    void close() noexcept {
        if (open()) {
            error_code ec;
            lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
            lowest().socket().close(ec);
        }
        plain.reset();
#if !defined(AZMAPS_LRO_ASIO_NO_TLS)
        tls.reset();
#endif
        buffer.clear();
        origin.clear();
        exchanges = 0;
    }
};

/// What one exchange gave: a response (status, headers, body) or a transport error.
struct answer {
    bool responded = false;
    bool canceled = false;
    lro::transport_error error = lro::transport_error::other;
    bool before_any_byte = false; ///< failed before any byte of an answer arrived
    int status = 0;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
};

inline lro::transport_error map_error(const error_code& ec, bool connecting) noexcept {
    if (ec == beast::error::timeout) return connecting ? lro::transport_error::connect_failed : lro::transport_error::timed_out;
    if (connecting) return lro::transport_error::connect_failed;
    if (ec == net::error::connection_reset || ec == net::error::eof || ec == net::error::broken_pipe ||
        ec == http::error::end_of_stream || ec == http::error::partial_message || ec == net::error::connection_aborted)
        return lro::transport_error::connection_reset;
    return lro::transport_error::other;
}

template <class Stream>
net::awaitable<void> exchange(Stream& stream, connection& c, http::request<http::string_body>& req, bool head,
                              std::size_t body_cap, std::chrono::milliseconds timeout, answer& out) {
    error_code ec;
    auto token = net::redirect_error(net::use_awaitable, ec);
    if (timeout.count() > 0) c.lowest().expires_after(timeout);
    else c.lowest().expires_never();
    co_await http::async_write(stream, req, token);
    if (ec) {
        out.error = map_error(ec, false);
        out.before_any_byte = true;
        co_return;
    }
    http::response_parser<http::string_body> parser;
    parser.header_limit(256 * 1024);
    parser.body_limit((std::numeric_limits<std::uint64_t>::max)()); // we cut at body_cap ourselves
    if (head) parser.skip(true);
    co_await http::async_read_header(stream, c.buffer, parser, token);
    if (ec) {
        out.error = map_error(ec, false);
        out.before_any_byte = !parser.got_some();
        co_return;
    }
    bool cut = false;
    while (!parser.is_done()) {
        co_await http::async_read_some(stream, c.buffer, parser, token);
        if (ec) break;
        if (parser.get().body().size() >= body_cap) { // the machine sees max_body_bytes + 1 bytes
            cut = true;
            break;
        }
    }
    if (ec && !cut) {
        out.error = map_error(ec, false);
        co_return;
    }
    auto& msg = parser.get();
    out.responded = true;
    out.status = static_cast<int>(msg.result_int());
    out.headers.reserve(static_cast<std::size_t>(std::distance(msg.begin(), msg.end())));
    for (const auto& f : msg) out.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    out.body = std::move(msg.body());
    if (out.body.size() > body_cap) out.body.resize(body_cap);
    ++c.exchanges;
    if (cut || !msg.keep_alive()) c.close();
}

} // namespace asio_detail

namespace asio_detail {

/// The copies a run keeps in its frame.
struct run_args {
    request_spec spec;
    credentials creds;
    config cfg;
};

/// The coroutine. It takes only a reference and pointers: GCC 12 destroys by-value class
/// parameters of a coroutine twice when they are initialised from temporaries, so the public
/// `async_run` hands over its copies as a raw pointer the frame adopts at once.
template <class Policy>
net::awaitable<outcome> run(basic_operation<Policy>& op, run_args* raw_args, cancel_signal* cancel) {
    const std::unique_ptr<run_args> args(raw_args);
    const request_spec& spec = args->spec;
    const credentials& creds = args->creds;
    const config& cfg = args->cfg;
    namespace beast = boost::beast;
    namespace http = boost::beast::http;

    outcome out;
    const auto finish = [&](const lro::action& a) { out.result = to_outcome(a); };
    if (!op.pending_request()) {
        if (auto end = op.outcome()) finish(*end);
        co_return out;
    }
    const auto executor = co_await net::this_coro::executor;
    net::steady_timer timer(executor);
    tcp::resolver resolver(executor);
    connection conn;
    const auto canceled = [&] { return cancel != nullptr && cancel->requested(); };
    struct unhook { // no hook may outlive this frame's locals
        cancel_signal* s;
        ~unhook() { if (s != nullptr) s->clear_hook(); }
    } unhook_guard{cancel};

#if !defined(AZMAPS_LRO_ASIO_NO_TLS)
    std::shared_ptr<net::ssl::context> tls = cfg.tls;
#endif
    const std::size_t body_cap = op.config().max_body_bytes + 1;

    for (;;) {
        // 1. Wait until not_before (the machine has no timers: nothing else to do meanwhile).
        const send_request pending = *op.pending_request();
        if (canceled()) break;
        if (clock::now() < pending.not_before) {
            timer.expires_at(pending.not_before);
            if (cancel != nullptr) cancel->set_hook([&timer] { timer.cancel(); });
            error_code ec;
            co_await timer.async_wait(net::redirect_error(net::use_awaitable, ec));
            if (cancel != nullptr) cancel->clear_hook();
            if (canceled()) break;
        }
        // 2. Copy the request (its views die with the next input) and build the message.
        const send_request r = *op.pending_request();
        const lro::purpose purpose = r.purpose;
        const std::string method(r.method);
        std::string url;
        if (r.same_origin) {
            url.assign(r.url);
            if (creds.key_in_query && !creds.subscription_key.empty() &&
                !lro::detail::has_query_param(url, "subscription-key")) {
                std::string enc;
                append_encoded(enc, creds.subscription_key);
                lro::detail::append_query_param(url, "subscription-key", enc);
            }
        } else {
            url = strip_query_param(r.url, "subscription-key");
        }
        const target where = parse_target(url);
        const bool is_submit = purpose == lro::purpose::submit;
        const bool head = method == "HEAD";
        const bool send_body = is_submit && method != "GET" && !head;

        http::request<http::string_body> req;
        const http::verb verb = http::string_to_verb(method);
        if (verb != http::verb::unknown) req.method(verb);
        else req.method_string(method);
        req.target(where.path);
        req.version(11);
        req.set(http::field::host, where.host_field);
        if (!cfg.user_agent.empty()) req.set(http::field::user_agent, cfg.user_agent);
        bool has_type = false;
        for (const std::string& line : spec.headers) set_line(req, line);
        if (is_submit)
            for (const std::string& line : spec.submit_headers) {
                set_line(req, line);
                if (starts_with_ci(line, "content-type:")) has_type = true;
            }
        if (send_body && !has_type && !spec.body.empty()) req.set(http::field::content_type, "application/json");
        if (r.same_origin) {
            if (!creds.subscription_key.empty() && !creds.key_in_query) req.set("subscription-key", creds.subscription_key);
            if (!creds.authorization.empty()) req.set(http::field::authorization, creds.authorization);
            for (const std::string& line : creds.headers) set_line(req, line);
        }
        if (send_body) req.body() = spec.body;
        if (send_body || (method != "GET" && !head)) req.prepare_payload();

        // 3. Exchange: a fresh connection for a submit, else the kept-alive one of that origin.
        answer ans;
        for (int attempt = 0; attempt < 2; ++attempt) {
            ans = answer{};
            if (!where.ok) {
                ans.error = lro::transport_error::connect_failed;
                break;
            }
            if (is_submit || conn.origin != where.origin) conn.close();
            const bool reused = conn.open() && conn.exchanges > 0;
            if (!conn.open()) {
                // Resolve, connect and (https) handshake within connect_timeout.
                if (cancel != nullptr) cancel->set_hook([&resolver, &conn] {
                    resolver.cancel();
                    if (conn.open()) conn.lowest().cancel();
                });
                error_code ec;
                auto token = net::redirect_error(net::use_awaitable, ec);
                const auto endpoints = co_await resolver.async_resolve(where.host, where.port, token);
                if (canceled()) { ans.canceled = true; break; }
                if (ec) {
                    ans.error = lro::transport_error::connect_failed;
                    break;
                }
                if (where.https) {
#if defined(AZMAPS_LRO_ASIO_NO_TLS)
                    ans.error = lro::transport_error::connect_failed;
                    break;
#else
                    if (!tls) {
                        tls = std::make_shared<net::ssl::context>(net::ssl::context::tls_client);
                        error_code vec;
                        if (cfg.ca_file.empty()) tls->set_default_verify_paths(vec);
                        else tls->load_verify_file(cfg.ca_file, vec);
                        tls->set_verify_mode(net::ssl::verify_peer, vec);
                    }
                    conn.tls = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(executor, *tls);
                    conn.tls->set_verify_mode(net::ssl::verify_peer);
                    conn.tls->set_verify_callback(net::ssl::host_name_verification(where.host));
                    if (!SSL_set_tlsext_host_name(conn.tls->native_handle(), where.host.c_str())) {
                        conn.close();
                        ans.error = lro::transport_error::connect_failed;
                        break;
                    }
#endif
                } else {
                    conn.plain = std::make_unique<beast::tcp_stream>(executor);
                }
                conn.lowest().expires_after(cfg.connect_timeout);
                co_await conn.lowest().async_connect(endpoints, token);
#if !defined(AZMAPS_LRO_ASIO_NO_TLS)
                if (!ec && !canceled() && conn.tls) co_await conn.tls->async_handshake(net::ssl::stream_base::client, token);
#endif
                if (canceled()) { ans.canceled = true; break; }
                if (ec) {
                    conn.close();
                    ans.error = map_error(ec, true);
                    break;
                }
                conn.origin = where.origin;
            }
            if (cancel != nullptr) cancel->set_hook([&conn] { if (conn.open()) conn.lowest().cancel(); });
#if !defined(AZMAPS_LRO_ASIO_NO_TLS)
            if (conn.tls) co_await exchange(*conn.tls, conn, req, head, body_cap, cfg.request_timeout, ans);
            else
#endif
                co_await exchange(*conn.plain, conn, req, head, body_cap, cfg.request_timeout, ans);
            if (canceled()) { ans.canceled = true; break; }
            if (ans.responded) break;
            conn.close();
            // A reused connection the server had closed: send a GET once more on a new one.
            if (!(reused && ans.before_any_byte && !is_submit)) break;
        }
        if (cancel != nullptr) cancel->clear_hook();
        if (ans.canceled || canceled()) {
            conn.close();
            break;
        }
        ++out.requests;

        // 4. Feed it, with `now` read after the answer is complete.
        const time_point now = clock::now();
        lro::action next = refused{errc::not_expected};
        if (ans.responded) {
            std::vector<lro::header> views;
            views.reserve(ans.headers.size());
            for (const auto& kv : ans.headers) views.push_back(lro::header{kv.first, kv.second});
            next = op.on_response(lro::response_view{ans.status, views, ans.body}, now, std::chrono::system_clock::now());
        } else {
            next = op.on_transport_error(ans.error, now);
        }
        if (std::holds_alternative<send_request>(next)) continue;
        finish(next);
        if (out.result.ok() && out.result.source != result_source::none) out.body = std::move(ans.body);
        co_return out;
    }
    // Canceled by the caller: the machine says how (canceled{client}).
    finish(op.cancel(clock::now()));
    co_return out;
}

} // namespace asio_detail

/// Drives `op` to its end (send, wait, feed, repeat) as a coroutine on the caller's executor:
/// `outcome out = co_await async_run(op, spec, creds);`. The machine must have a pending
/// request (after `start` or `resume`); otherwise its terminal outcome is returned at once.
/// `op` (and `cancel`, if given) must outlive the coroutine; `spec`, `creds` and `cfg` are
/// copied into its frame. Await the result (an awaitable dropped unawaited leaks those copies).
/// (Overloads, not default arguments: GCC 12 destroys a default argument's temporary twice
/// when the call is the operand of `co_await`.)
template <class Policy>
net::awaitable<outcome> async_run(basic_operation<Policy>& op, const request_spec& spec, const credentials& creds,
                                  const config& cfg, cancel_signal* cancel) {
    return asio_detail::run(op, new asio_detail::run_args{spec, creds, cfg}, cancel);
}

template <class Policy>
net::awaitable<outcome> async_run(basic_operation<Policy>& op, const request_spec& spec, const credentials& creds,
                                  const config& cfg) {
    return asio_detail::run(op, new asio_detail::run_args{spec, creds, cfg}, nullptr);
}

template <class Policy>
net::awaitable<outcome> async_run(basic_operation<Policy>& op, const request_spec& spec, const credentials& creds) {
    return asio_detail::run(op, new asio_detail::run_args{spec, creds, config{}}, nullptr);
}

} // namespace azmaps::lro::asio

#endif
