// azmaps-lro command: progress lines and the printed result. Every line that shows text from
// the service or the user goes through clean(): credentials out, control characters escaped.
#include "cli.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>

#include <nlohmann/json.hpp>

namespace azmaps::lro::cli {

std::atomic<bool> g_stop{false};

namespace {
extern "C" void on_signal(int) { g_stop.store(true); }

std::vector<std::string>& secrets() {
    static std::vector<std::string> s;
    return s;
}
} // namespace

void install_signal_handlers() {
    static_assert(std::atomic<bool>::is_always_lock_free, "the signal handler needs a lock-free flag");
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
}

// --- text hygiene -----------------------------------------------------------------------------

std::string redact(std::string_view url) {
    static constexpr std::string_view name = "subscription-key";
    std::string out(url);
    std::size_t pos = 0;
    while (pos + name.size() < out.size()) {
        if (!detail::iequals(std::string_view(out).substr(pos, name.size()), name) || out[pos + name.size()] != '=' ||
            (pos > 0 && out[pos - 1] != '?' && out[pos - 1] != '&' && out[pos - 1] != ';')) {
            ++pos;
            continue;
        }
        const std::size_t start = pos + name.size() + 1;
        std::size_t end = out.find_first_of("&#; \t\r\n\"'", start);
        if (end == std::string::npos) end = out.size();
        out.replace(start, end - start, "***");
        pos = start + 3;
    }
    return out;
}

void set_secrets(std::vector<std::string> s) {
    // Longest first, so that a secret containing another is replaced whole.
    std::sort(s.begin(), s.end(), [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
    s.erase(std::remove(s.begin(), s.end(), std::string()), s.end());
    secrets() = std::move(s);
}

std::string scrub(std::string_view text) {
    std::string out = redact(text);
    for (const std::string& secret : secrets()) {
        std::size_t pos = 0;
        while ((pos = out.find(secret, pos)) != std::string::npos) {
            out.replace(pos, secret.size(), "***");
            pos += 3;
        }
    }
    return out;
}

std::string printable(std::string_view s) {
    static const char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(s.size());
    const auto escape_byte = [&](unsigned char u) {
        out += "\\x";
        out.push_back(hex[u >> 4]);
        out.push_back(hex[u & 15]);
    };
    const auto cont = [&](std::size_t i) { return i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80; };
    std::size_t i = 0;
    while (i < s.size()) {
        const auto u = static_cast<unsigned char>(s[i]);
        if (u < 0x20 || u == 0x7F) {
            escape_byte(u);
            ++i;
            continue;
        }
        if (u < 0x80) {
            out.push_back(static_cast<char>(u));
            ++i;
            continue;
        }
        // A strict UTF-8 sequence (no overlong forms, no surrogates, nothing above U+10FFFF).
        std::size_t len = 0;
        if (u >= 0xC2 && u <= 0xDF) len = 2;
        else if (u >= 0xE0 && u <= 0xEF) len = 3;
        else if (u >= 0xF0 && u <= 0xF4) len = 4;
        bool ok = len != 0;
        for (std::size_t k = 1; ok && k < len; ++k) ok = cont(i + k);
        if (ok && len >= 3) {
            const auto b1 = static_cast<unsigned char>(s[i + 1]);
            if ((u == 0xE0 && b1 < 0xA0) || (u == 0xED && b1 > 0x9F) || (u == 0xF0 && b1 < 0x90) || (u == 0xF4 && b1 > 0x8F))
                ok = false;
        }
        if (!ok) {
            escape_byte(u);
            ++i;
            continue;
        }
        if (len == 2 && u == 0xC2 && static_cast<unsigned char>(s[i + 1]) <= 0x9F) { // C1: U+0080-U+009F
            out += "\\u00";
            const auto c = static_cast<unsigned char>(s[i + 1]);
            out.push_back(hex[c >> 4]);
            out.push_back(hex[c & 15]);
        } else {
            out.append(s.substr(i, len));
        }
        i += len;
    }
    return out;
}

std::string clean(std::string_view s) { return printable(scrub(s)); }

std::string format_seconds(std::chrono::milliseconds ms) {
    char buf[32];
    if (ms.count() < 1000) {
        std::snprintf(buf, sizeof buf, "%lld ms", static_cast<long long>(ms.count() < 0 ? 0 : ms.count()));
        return buf;
    }
    const double s = static_cast<double>(ms.count()) / 1000.0;
    if (s < 10)
        std::snprintf(buf, sizeof buf, "%.1f s", s);
    else
        std::snprintf(buf, sizeof buf, "%.0f s", s);
    return buf;
}

std::string plural(std::uint64_t n, const char* one, const char* many) {
    return std::to_string(n) + " " + (n == 1 ? one : many);
}

// --- -o FILE ----------------------------------------------------------------------------------

output_file::~output_file() {
    if (fd_ >= 0) ::close(fd_);
}

bool output_file::open(const std::string& path, std::string& error) {
    path_ = path;
    struct stat st {};
    const bool existed = ::stat(path.c_str(), &st) == 0;
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
    if (fd_ < 0) {
        error = "cannot write " + path + ": " + std::strerror(errno);
        return false;
    }
    created_ = !existed;
    return true;
}

bool output_file::write(std::string_view data, std::string& error) {
    const auto fail = [&](const char* what) {
        error = std::string(what) + " " + path_ + ": " + std::strerror(errno);
        return false;
    };
    struct stat st {};
    if (::fstat(fd_, &st) == 0 && S_ISREG(st.st_mode) && ::ftruncate(fd_, 0) != 0) return fail("cannot truncate");
    std::size_t done = 0;
    while (done < data.size()) {
        const ssize_t n = ::write(fd_, data.data() + done, data.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            return fail("cannot write");
        }
        done += static_cast<std::size_t>(n);
    }
    if (S_ISREG(st.st_mode) && ::fsync(fd_) != 0) return fail("cannot write");
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) return fail("cannot write");
    return true;
}

void output_file::discard() {
    if (fd_ < 0) return;
    ::close(fd_);
    fd_ = -1;
    if (created_) ::unlink(path_.c_str());
}

// --- progress -------------------------------------------------------------------------------

progress::progress(std::FILE* out, bool live, bool quiet, std::string label)
    : out_(out), live_(live), quiet_(quiet), label_(std::move(label)), started_(std::chrono::steady_clock::now()) {}

void progress::on_event(const curl::event& e) {
    if (quiet_) return;
    using k = curl::event::kind;
    if (e.what == k::answered) last_status_ = e.status;
    if (e.what == k::sending && e.request.purpose == purpose::status) ++polls_sent_;
    if (live_) {
        draw(e);
        return;
    }
    const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started_);
    const std::string prefix = (label_.empty() ? std::string() : label_ + " ") + "[" + format_seconds(elapsed) + "] ";
    std::string line;
    switch (e.what) {
    case k::sending:
        line = prefix + std::string(e.request.method) + " " + std::string(e.request.url) + " (" +
               std::string(to_string(e.request.purpose)) + ")";
        break;
    case k::answered: {
        line = prefix + "  -> HTTP " + std::to_string(e.status);
        if (e.request.purpose != purpose::resource && !e.obs.status.empty()) line += ", status " + std::string(e.obs.status);
        if (e.request.purpose == purpose::status) line += " (poll " + std::to_string(polls_sent_) + ")";
        break;
    }
    case k::transport_failed:
        line = prefix + "  -> transport error: " + std::string(to_string(e.error)) + " (" + curl_easy_strerror(e.curl_code) + ")";
        break;
    case k::waiting:
        // Only the first report of each wait: the plain log gets one line per wait.
        if (e.wait + std::chrono::milliseconds(50) < e.request.delay) return;
        line = prefix + "  next " + std::string(to_string(e.request.purpose)) + " request in " + format_seconds(e.wait);
        break;
    }
    std::fprintf(out_, "%s\n", clean(line).c_str());
    std::fflush(out_);
}

void progress::draw(const curl::event& e) {
    using k = curl::event::kind;
    const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started_);
    std::string line = label_.empty() ? std::string() : label_ + " ";
    if (e.obs.version != protocol_version::unknown) line += std::string("[") + to_string(e.obs.version) + "] ";
    line += e.obs.status.empty() ? std::string(to_string(e.obs.phase)) : std::string(e.obs.status);
    if (last_status_ != 0) line += " (HTTP " + std::to_string(last_status_) + ")";
    line += " | " + plural(polls_sent_, "poll", "polls") + " | " + format_seconds(elapsed);
    switch (e.what) {
    case k::waiting:
        line += " | next " + std::string(e.request.purpose == purpose::status ? "poll" : to_string(e.request.purpose)) +
                " in " + format_seconds(e.wait.count() >= 1000 ? std::chrono::milliseconds((e.wait.count() + 999) / 1000 * 1000) : e.wait);
        break;
    case k::sending:
        line += " | " + std::string(to_string(e.request.purpose)) + " request...";
        break;
    case k::transport_failed:
        line += " | transport error: " + std::string(to_string(e.error));
        break;
    case k::answered:
        break;
    }
    std::fprintf(out_, "\r\x1b[K%s", clean(line).c_str());
    std::fflush(out_);
    line_open_ = true;
}

void progress::finish() {
    if (live_ && line_open_) {
        std::fprintf(out_, "\r\x1b[K");
        std::fflush(out_);
        line_open_ = false;
    }
}

// --- the result -----------------------------------------------------------------------------

namespace {

using json = nlohmann::ordered_json;

std::string resume_hint(const run_context& ctx, const std::string& token) {
    std::string cmd = "azmaps-lro resume";
    if (!ctx.origin.empty()) cmd += " --origin " + ctx.origin;
    for (const std::string& f : ctx.resume_flags) cmd += " " + f;
    cmd += " " + token;
    return cmd;
}

std::string resume_note(const run_context& ctx) {
    if (ctx.resume_credentials.empty()) return {};
    std::string note = "the token holds no credentials: give them again: ";
    for (std::size_t i = 0; i < ctx.resume_credentials.size(); ++i)
        note += (i ? ", " : "") + ctx.resume_credentials[i];
    return note;
}

/// For a cross-origin refusal: the flag that would allow the refused origin.
std::string cross_origin_hint(const outcome& o, const run_context& ctx) {
    if (o.end != phase::failed || o.reason != failure_reason::cross_origin) return {};
    const std::string marker = "on another origin: ";
    const std::size_t p = o.detail.rfind(marker);
    if (p == std::string::npos) return "to follow URLs on another origin, add --allow-origin ORIGIN";
    const std::string origin = o.detail.substr(p + marker.size());
    std::string hint = "to follow it, add --allow-origin " + origin;
    if (origin.rfind("http://", 0) == 0 && ctx.origin.rfind("https://", 0) == 0) hint += " --insecure";
    hint += " (credentials still go only to " + (ctx.origin.empty() ? std::string("the submit origin") : ctx.origin) + ")";
    return hint;
}

void print_error_text(std::FILE* out, const odata_error& e) {
    std::string line = "  error: " + (e.code.empty() ? std::string("(no code)") : e.code) + (e.message.empty() ? "" : ": ") + e.message;
    std::fprintf(out, "%s\n", clean(line).c_str());
    if (!e.target.empty()) std::fprintf(out, "    target: %s\n", clean(e.target).c_str());
    for (const odata_detail& d : e.details) {
        line = "    detail: " + (d.code.empty() ? std::string("(no code)") : d.code) + (d.message.empty() ? "" : ": ") + d.message;
        if (!d.target.empty()) line += " (target " + d.target + ")";
        std::fprintf(out, "%s\n", clean(line).c_str());
    }
    if (!e.innererror.empty()) {
        std::string chain;
        for (const std::string& c : e.innererror) chain += (chain.empty() ? "" : " > ") + c;
        std::fprintf(out, "    innererror: %s\n", clean(chain).c_str());
    }
}

json text_or_null(std::string_view s) { return s.empty() ? json(nullptr) : json(scrub(s)); }

json error_json(const odata_error& e) {
    json j = {{"code", scrub(e.code)}, {"message", scrub(e.message)}};
    if (!e.target.empty()) j["target"] = scrub(e.target);
    json details = json::array();
    for (const odata_detail& d : e.details) {
        json dj = {{"code", scrub(d.code)}, {"message", scrub(d.message)}};
        if (!d.target.empty()) dj["target"] = scrub(d.target);
        details.push_back(std::move(dj));
    }
    j["details"] = std::move(details);
    json inner = json::array();
    for (const std::string& c : e.innererror) inner.push_back(scrub(c));
    j["innererror"] = std::move(inner);
    return j;
}

/// The result for --json: the body as JSON (its `member` when named), else as a string; null
/// when there is none.
json result_json(const curl::outcome& r) {
    if (r.result.source == result_source::none || r.body.empty()) return nullptr;
    json parsed = json::parse(r.body, nullptr, false);
    if (parsed.is_discarded()) return scrub(r.body);
    if (!r.result.result_member.empty()) {
        if (!parsed.is_object()) return nullptr;
        auto it = parsed.find(r.result.result_member);
        return it == parsed.end() ? json(nullptr) : *it;
    }
    return parsed;
}

} // namespace

int report(std::FILE* out, const machine_state& m, const curl::outcome& result, const run_context& ctx) {
    const observation& obs = m.obs;
    const outcome& o = result.result;
    int code = exit_failed;
    std::string kind;
    bool can_resume = false;
    if (result.interrupted) {
        kind = "interrupted";
        code = exit_interrupted;
        can_resume = true;
    } else if (o.end == phase::succeeded) {
        kind = "succeeded";
        code = exit_succeeded;
    } else if (o.end == phase::failed) {
        kind = "failed";
        code = o.reason == failure_reason::timed_out ? exit_timed_out : exit_failed;
        can_resume = o.reason == failure_reason::timed_out;
    } else if (o.end == phase::canceled) {
        kind = "canceled";
        code = exit_canceled;
    } else {
        kind = "refused"; // the machine had nothing to send
        code = exit_failed;
    }
    can_resume = can_resume && m.resumable;
    const bool token_ok = m.token_ok;
    const std::string& token = m.token;
    const std::string& token_error = m.token_error;

    // The result body: never lost silently.
    const bool succeeded_now = kind == "succeeded";
    std::string output_error;
    std::string output_note;
    if (succeeded_now && result.body.size() > m.max_body_bytes) {
        output_error = "the result body is larger than max_body_bytes (" + std::to_string(m.max_body_bytes) +
                       " bytes): it was cut" + (ctx.output ? ", " + ctx.output->path() + " not written" : std::string());
        if (ctx.output) ctx.output->discard();
    } else if (ctx.output && ctx.output->is_open()) {
        if (!succeeded_now) {
            ctx.output->discard();
        } else if (o.source == result_source::none || result.body.empty()) {
            output_note = "no result body: " + ctx.output->path() + " not written";
            ctx.output->discard();
        } else if (std::string err; !ctx.output->write(result.body, err)) {
            output_error = err;
        } else {
            output_note = "wrote " + plural(result.body.size(), "byte", "bytes") + " to " + ctx.output->path();
        }
    }
    if (!output_error.empty()) code = exit_failed;
    const std::string hint = cross_origin_hint(o, ctx);
    const std::string note = can_resume && token_ok ? resume_note(ctx) : std::string();

    if (ctx.json) {
        json j;
        j["outcome"] = kind;
        if (!result.interrupted && o.end == phase::succeeded) {
            j["resource"] = text_or_null(o.resource_location);
            j["result"] = output_error.empty() ? result_json(result) : json(nullptr);
            j["result_source"] = std::string(to_string(o.source)); // where the result came from
            j["result_member"] = text_or_null(o.result_member);
        }
        if (!result.interrupted && o.end == phase::failed) {
            j["reason"] = to_string(o.reason);
            j["http_status"] = o.http_status ? json(*o.http_status) : json(nullptr);
            j["detail"] = scrub(o.detail);
            j["error"] = o.error ? error_json(*o.error) : json(nullptr);
            if (!o.monitor.empty()) j["monitor"] = scrub(o.monitor);
        }
        if (!result.interrupted && o.end == phase::canceled) j["canceled_by"] = to_string(o.canceled_by);
        j["version"] = to_string(obs.version);
        j["operation_id"] = text_or_null(obs.operation_id);
        j["status"] = text_or_null(obs.status);
        j["polls"] = obs.polls;
        j["requests"] = result.requests;
        j["elapsed_ms"] = obs.elapsed.count();
        if (can_resume) {
            j["resume_token"] = token_ok ? json(scrub(token)) : json(nullptr);
            if (token_ok) j["resume_command"] = scrub(resume_hint(ctx, token));
            if (!note.empty()) j["resume_note"] = note;
        }
        if (!hint.empty()) j["hint"] = hint;
        if (ctx.output) j["output"] = scrub(ctx.output->path());
        if (!output_error.empty()) j["output_error"] = scrub(output_error);
        j["exit_code"] = code;
        // ASCII only: every control character and every non-ASCII one is a \u escape.
        std::fprintf(out, "%s\n", j.dump(-1, ' ', true, json::error_handler_t::replace).c_str());
        std::fflush(out);
        return code;
    }

    const auto line = [&](const std::string& text) { std::fprintf(out, "%s\n", clean(text).c_str()); };
    if (result.interrupted) {
        line("interrupted (" + (obs.status.empty() ? std::string("no status yet") : std::string(obs.status)) + " after " +
             plural(obs.polls, "poll", "polls") + ")");
    } else if (o.end == phase::succeeded) {
        line(o.resource_location.empty() ? std::string("succeeded (no resource)") : "succeeded: " + o.resource_location);
    } else if (o.end == phase::failed) {
        if (o.reason == failure_reason::timed_out) {
            line("timed out: " + o.detail);
        } else {
            line("failed: " + std::string(to_string(o.reason)) + (o.http_status ? " (HTTP " + std::to_string(*o.http_status) + ")" : ""));
            line("  " + o.detail);
        }
        if (o.error) print_error_text(out, *o.error);
        if (!o.monitor.empty()) line("  monitor: " + o.monitor);
        if (!hint.empty()) line("  " + hint);
    } else if (o.end == phase::canceled) {
        line("canceled by the " + std::string(to_string(o.canceled_by)));
    } else {
        line("refused: the operation had no request to send");
    }
    std::string facts = "  operation";
    if (!obs.operation_id.empty()) facts += " " + std::string(obs.operation_id);
    facts += std::string(" (") + to_string(obs.version) + "), " + plural(obs.polls, "poll", "polls") + ", " +
             plural(result.requests, "request", "requests") + ", " + format_seconds(obs.elapsed);
    line(facts);
    if (!output_note.empty()) line("  " + output_note);
    if (!output_error.empty()) {
        line("error: " + output_error);
        std::fprintf(stderr, "azmaps-lro: %s\n", clean(output_error).c_str());
    }
    if (can_resume) {
        if (token_ok) {
            line("resume token: " + token);
            line("  continue with: " + resume_hint(ctx, token));
            if (!note.empty()) line("  " + note);
        } else {
            line("  nothing to resume: " + token_error);
        }
    }
    std::fflush(out);
    return code;
}

} // namespace azmaps::lro::cli
