// azmaps-lro command: progress lines and the printed result.
#include "cli.hpp"

#include <csignal>
#include <cstdio>
#include <string>

namespace azmaps::lro::cli {

std::atomic<bool> g_stop{false};

namespace {
extern "C" void on_signal(int) { g_stop.store(true); }
} // namespace

void install_signal_handlers() {
    static_assert(std::atomic<bool>::is_always_lock_free, "the signal handler needs a lock-free flag");
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
}

std::string json_quote(std::string_view s) {
    static const char hex[] = "0123456789abcdef";
    std::string out = "\"";
    for (char c : s) {
        const auto u = static_cast<unsigned char>(c);
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            if (u < 0x20 || u == 0x7F) {
                out += "\\u00";
                out.push_back(hex[u >> 4]);
                out.push_back(hex[u & 15]);
            } else {
                out.push_back(c);
            }
        }
    }
    out += '"';
    return out;
}

std::string redact(std::string_view url) {
    std::string out(url);
    std::size_t pos = 0;
    while ((pos = out.find("subscription-key=", pos)) != std::string::npos) {
        if (pos > 0 && out[pos - 1] != '?' && out[pos - 1] != '&') {
            pos += 1;
            continue;
        }
        const std::size_t start = pos + 17;
        std::size_t end = out.find_first_of("&#", start);
        if (end == std::string::npos) end = out.size();
        out.replace(start, end - start, "***");
        pos = start + 3;
    }
    return out;
}

std::string format_seconds(std::chrono::milliseconds ms) {
    char buf[32];
    const double s = static_cast<double>(ms.count()) / 1000.0;
    if (s < 10)
        std::snprintf(buf, sizeof buf, "%.1f s", s);
    else
        std::snprintf(buf, sizeof buf, "%.0f s", s);
    return buf;
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
    switch (e.what) {
    case k::sending:
        std::fprintf(out_, "%s%s %s (%s)\n", prefix.c_str(), std::string(e.request.method).c_str(),
                     redact(e.request.url).c_str(), std::string(to_string(e.request.purpose)).c_str());
        break;
    case k::answered: {
        std::string what = "  -> HTTP " + std::to_string(e.status);
        if (e.request.purpose != purpose::resource && !e.obs.status.empty()) what += ", status " + std::string(e.obs.status);
        if (e.request.purpose == purpose::status) what += " (poll " + std::to_string(polls_sent_) + ")";
        std::fprintf(out_, "%s%s\n", prefix.c_str(), what.c_str());
        break;
    }
    case k::transport_failed:
        std::fprintf(out_, "%s  -> transport error: %s (%s)\n", prefix.c_str(), std::string(to_string(e.error)).c_str(),
                     curl_easy_strerror(e.curl_code));
        break;
    case k::waiting:
        // Only the first report of each wait: the plain log gets one line per wait.
        if (e.wait + std::chrono::milliseconds(50) >= e.request.delay)
            std::fprintf(out_, "%s  next %s request in %s\n", prefix.c_str(),
                         std::string(to_string(e.request.purpose)).c_str(), format_seconds(e.wait).c_str());
        break;
    }
    std::fflush(out_);
}

void progress::draw(const curl::event& e) {
    using k = curl::event::kind;
    const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started_);
    std::string line = label_.empty() ? std::string() : label_ + " ";
    if (e.obs.version != protocol_version::unknown) line += std::string("[") + to_string(e.obs.version) + "] ";
    line += e.obs.status.empty() ? std::string(to_string(e.obs.phase)) : std::string(e.obs.status);
    if (last_status_ != 0) line += " (HTTP " + std::to_string(last_status_) + ")";
    line += " | polls " + std::to_string(polls_sent_) + " | " + format_seconds(elapsed);
    switch (e.what) {
    case k::waiting:
        line += " | next " + std::string(e.request.purpose == purpose::status ? "poll" : to_string(e.request.purpose)) +
                " in " + std::to_string((e.wait.count() + 999) / 1000) + " s";
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
    std::fprintf(out_, "\r\x1b[K%s", line.c_str());
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

std::string resume_hint(const run_context& ctx, const std::string& token) {
    std::string cmd = "azmaps-lro resume";
    if (!ctx.origin.empty()) cmd += " --origin " + ctx.origin;
    for (const std::string& f : ctx.resume_flags) cmd += " " + f;
    cmd += " " + token;
    return cmd;
}

void print_error_text(std::FILE* out, const odata_error& e) {
    std::fprintf(out, "  error: %s%s%s\n", e.code.empty() ? "(no code)" : e.code.c_str(), e.message.empty() ? "" : ": ",
                 e.message.c_str());
    if (!e.target.empty()) std::fprintf(out, "    target: %s\n", e.target.c_str());
    for (const odata_detail& d : e.details) {
        std::fprintf(out, "    detail: %s%s%s", d.code.empty() ? "(no code)" : d.code.c_str(), d.message.empty() ? "" : ": ",
                     d.message.c_str());
        if (!d.target.empty()) std::fprintf(out, " (target %s)", d.target.c_str());
        std::fprintf(out, "\n");
    }
    if (!e.innererror.empty()) {
        std::string chain;
        for (const std::string& c : e.innererror) chain += (chain.empty() ? "" : " > ") + c;
        std::fprintf(out, "    innererror: %s\n", chain.c_str());
    }
}

std::string error_json(const odata_error& e) {
    std::string j = "{\"code\":" + json_quote(e.code) + ",\"message\":" + json_quote(e.message);
    if (!e.target.empty()) j += ",\"target\":" + json_quote(e.target);
    j += ",\"details\":[";
    for (std::size_t i = 0; i < e.details.size(); ++i) {
        const odata_detail& d = e.details[i];
        if (i) j += ",";
        j += "{\"code\":" + json_quote(d.code) + ",\"message\":" + json_quote(d.message);
        if (!d.target.empty()) j += ",\"target\":" + json_quote(d.target);
        j += "}";
    }
    j += "],\"innererror\":[";
    for (std::size_t i = 0; i < e.innererror.size(); ++i) j += (i ? "," : "") + json_quote(e.innererror[i]);
    j += "]}";
    return j;
}

} // namespace

int report(std::FILE* out, const operation& op, const curl::outcome& result, const run_context& ctx) {
    const observation obs = op.observe();
    int code = exit_failed;
    std::string kind;
    std::string token;
    bool can_resume = false;
    if (result.interrupted) {
        kind = "interrupted";
        code = exit_interrupted;
        can_resume = true;
    } else if (std::holds_alternative<succeeded>(result.action)) {
        kind = "succeeded";
        code = exit_succeeded;
    } else if (const failed* f = std::get_if<failed>(&result.action)) {
        kind = "failed";
        code = f->reason == failure_reason::timed_out ? exit_timed_out : exit_failed;
        can_resume = f->reason == failure_reason::timed_out;
    } else if (std::holds_alternative<canceled>(result.action)) {
        kind = "canceled";
        code = exit_canceled;
    } else {
        kind = "refused";
        code = exit_failed;
    }
    bool token_ok = false;
    std::string token_error;
    if (can_resume) {
        auto saved = op.save();
        token_ok = saved.has_value();
        if (token_ok) token = *saved;
        else token_error = std::string(message(saved.error()));
    }

    if (ctx.json) {
        std::string j = "{\"outcome\":" + json_quote(kind);
        if (const succeeded* s = std::get_if<succeeded>(&result.action); s && !result.interrupted)
            j += ",\"resource\":" + (s->resource_location.empty() ? std::string("null") : json_quote(s->resource_location));
        if (const failed* f = std::get_if<failed>(&result.action); f && !result.interrupted) {
            j += ",\"reason\":" + json_quote(to_string(f->reason));
            j += ",\"http_status\":" + (f->http_status ? std::to_string(*f->http_status) : std::string("null"));
            j += ",\"detail\":" + json_quote(f->detail);
            j += ",\"error\":" + (f->error ? error_json(*f->error) : std::string("null"));
            if (!f->monitor.empty()) j += ",\"monitor\":" + json_quote(f->monitor);
        }
        if (const canceled* c = std::get_if<canceled>(&result.action); c && !result.interrupted)
            j += ",\"canceled_by\":" + json_quote(to_string(c->by));
        if (const refused* r = std::get_if<refused>(&result.action))
            j += ",\"refused\":" + json_quote(to_string(r->code));
        j += ",\"version\":" + json_quote(to_string(obs.version));
        j += ",\"operation_id\":" + (obs.operation_id.empty() ? std::string("null") : json_quote(obs.operation_id));
        j += ",\"status\":" + (obs.status.empty() ? std::string("null") : json_quote(obs.status));
        j += ",\"polls\":" + std::to_string(obs.polls);
        j += ",\"requests\":" + std::to_string(result.requests);
        j += ",\"elapsed_ms\":" + std::to_string(obs.elapsed.count());
        if (can_resume) {
            j += ",\"resume_token\":" + (token_ok ? json_quote(token) : std::string("null"));
            if (token_ok) j += ",\"resume_command\":" + json_quote(resume_hint(ctx, token));
        }
        j += ",\"exit_code\":" + std::to_string(code) + "}";
        std::fprintf(out, "%s\n", j.c_str());
        std::fflush(out);
        return code;
    }

    if (result.interrupted) {
        std::fprintf(out, "interrupted (%s after %u polls)\n", obs.status.empty() ? "no status yet" : std::string(obs.status).c_str(),
                     obs.polls);
    } else if (const succeeded* s = std::get_if<succeeded>(&result.action)) {
        if (s->resource_location.empty())
            std::fprintf(out, "succeeded (no resource)\n");
        else
            std::fprintf(out, "succeeded: %s\n", redact(s->resource_location).c_str());
    } else if (const failed* f = std::get_if<failed>(&result.action)) {
        if (f->reason == failure_reason::timed_out) {
            std::fprintf(out, "timed out: %s\n", std::string(f->detail).c_str());
        } else {
            std::fprintf(out, "failed: %s", std::string(to_string(f->reason)).c_str());
            if (f->http_status) std::fprintf(out, " (HTTP %d)", *f->http_status);
            std::fprintf(out, "\n  %s\n", std::string(f->detail).c_str());
        }
        if (f->error) print_error_text(out, *f->error);
        if (!f->monitor.empty()) std::fprintf(out, "  monitor: %s\n", redact(f->monitor).c_str());
    } else if (const canceled* c = std::get_if<canceled>(&result.action)) {
        std::fprintf(out, "canceled by the %s\n", std::string(to_string(c->by)).c_str());
    } else if (const refused* r = std::get_if<refused>(&result.action)) {
        std::fprintf(out, "refused: %s\n", std::string(message(r->code)).c_str());
    }
    std::string facts = "  operation";
    if (!obs.operation_id.empty()) facts += " " + std::string(obs.operation_id);
    facts += std::string(" (") + to_string(obs.version) + "), " + std::to_string(obs.polls) + " polls, " +
             std::to_string(result.requests) + " requests, " + format_seconds(obs.elapsed);
    std::fprintf(out, "%s\n", facts.c_str());
    if (can_resume) {
        if (token_ok) {
            std::fprintf(out, "resume token: %s\n", token.c_str());
            std::fprintf(out, "  continue with: %s\n", resume_hint(ctx, token).c_str());
        } else {
            std::fprintf(out, "  nothing to resume: %s\n", token_error.c_str());
        }
    }
    std::fflush(out);
    return code;
}

} // namespace azmaps::lro::cli
