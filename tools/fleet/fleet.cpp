// azmaps-lro fleet: the subcommands (init, submit, work, status, list, cancel, result, purge).
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "../cli/arguments.hpp"
#include "fleet.hpp"
#include "pg.hpp"
#include "schema.hpp"

namespace azmaps::lro::fleet {

using json = nlohmann::json;

namespace {

constexpr int exit_ok = 0;
constexpr int exit_fail = 1;
constexpr int exit_usage = 2;

/// JSON text that never throws on bytes that are not UTF-8 (they become U+FFFD).
std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

int fail(const std::string& msg, int code = exit_fail) {
    std::fprintf(stderr, "azmaps-lro fleet: %s\n", msg.c_str());
    return code;
}

using azmaps::lro::cli_text::parse_duration;

std::string conninfo_of(const std::string& flag) {
    if (!flag.empty()) return flag;
    if (const char* env = std::getenv("AZMAPS_LRO_FLEET_DB"); env != nullptr) return env;
    return {};
}

bool connect(pg::connection& c, const std::string& conninfo, std::string& error) {
    if (!c.open(conninfo, error)) {
        error = "cannot connect to PostgreSQL: " + error;
        return false;
    }
    return true;
}

/// A timestamptz column as ISO 8601 UTC text with milliseconds.
std::string iso(const char* column) {
    return std::string("to_char(") + column + " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')";
}

bool schema_missing(const pg::result& r) { return r.sqlstate() == "42P01" || r.sqlstate() == "3F000"; }

std::string db_error(const pg::result& r) {
    if (schema_missing(r)) return "the fleet schema is missing: run `azmaps-lro fleet init` first";
    return "database error: " + r.error();
}

// --- init -------------------------------------------------------------------------------------

int cmd_init(pg::connection& db) {
    pg::result r = db.exec("BEGIN");
    if (!r.ok()) return fail(db_error(r));
    // One initialiser at a time (workers on many machines may all run init at start).
    r = db.exec("SELECT pg_advisory_xact_lock(7418305262)");
    if (r.ok()) r = db.exec("CREATE SCHEMA IF NOT EXISTS azlro");
    if (r.ok())
        r = db.exec("CREATE TABLE IF NOT EXISTS azlro.migrations (version integer PRIMARY KEY, description text NOT "
                    "NULL, applied_at timestamptz NOT NULL DEFAULT now())");
    if (r.ok()) r = db.exec("SELECT coalesce(max(version), 0) FROM azlro.migrations");
    if (!r.ok()) {
        db.exec("ROLLBACK");
        return fail(db_error(r));
    }
    const std::int64_t have = r.i64(0, 0);
    std::int64_t now = have;
    int applied = 0;
    for (const migration& m : migrations()) {
        if (m.version <= have) continue;
        r = db.exec(m.sql);
        if (r.ok())
            r = db.exec("INSERT INTO azlro.migrations (version, description) VALUES ($1, $2)",
                        {std::to_string(m.version), std::string(m.description)});
        if (!r.ok()) {
            db.exec("ROLLBACK");
            return fail("migration " + std::to_string(m.version) + " failed: " + r.error());
        }
        now = m.version;
        ++applied;
    }
    r = db.exec("COMMIT");
    if (!r.ok()) return fail(db_error(r));
    if (have > static_cast<std::int64_t>(migrations().back().version))
        std::fprintf(stderr, "azmaps-lro fleet: the database has schema version %lld, newer than this build knows (%d)\n",
                     static_cast<long long>(have), migrations().back().version);
    std::printf("schema version %lld%s\n", static_cast<long long>(now),
                applied == 0 ? " (up to date)" : (" (applied " + std::to_string(applied) + ")").c_str());
    return exit_ok;
}

// --- submit -----------------------------------------------------------------------------------

struct submit_args {
    std::string protocol = "maps", method = "POST", data, timeout, interval, final_state_via, result_member, jsonl;
    std::string url;
    std::vector<std::string> headers, add_query, allow_origin;
    int max_errors = -1;
    long long max_polls = -1;
    bool resubmit = false, no_fetch = false, allow_any_origin = false, insecure = false;
    bool data_given = false;
};

using azmaps::lro::cli_text::read_data;

bool spec_from_flags(const submit_args& a, op_spec& s, std::string& err) {
    s.protocol = a.protocol;
    s.method = a.method;
    s.url = a.url;
    if (a.data_given) {
        std::string body;
        if (!read_data(a.data, body, err)) return false;
        s.body = std::move(body);
    }
    for (const std::string& h : a.headers) {
        const std::size_t colon = h.find(':');
        if (colon == std::string::npos || colon == 0) {
            err = "a header must look like 'Name: value': " + h;
            return false;
        }
        std::string name = h.substr(0, colon);
        while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.pop_back();
        std::string value = h.substr(colon + 1);
        while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.erase(0, 1);
        s.headers[name] = value;
    }
    json& o = s.options;
    for (const std::string& q : a.add_query) {
        const std::size_t eq = q.find('=');
        if (eq == std::string::npos || eq == 0) {
            err = "--add-query takes NAME=VALUE: " + q;
            return false;
        }
        o["add_query"][q.substr(0, eq)] = q.substr(eq + 1);
    }
    for (const std::string& v : a.allow_origin) o["allow_origins"].push_back(v);
    if (a.allow_any_origin) o["allow_any_origin"] = true;
    if (a.insecure) o["insecure"] = true;
    const auto dur = [&](const std::string& text, const char* flag, const char* key) {
        if (text.empty()) return true;
        const auto d = parse_duration(text);
        if (!d) {
            err = std::string(flag) + " takes a duration such as 90s, 10m, 1h, 500ms: " + text;
            return false;
        }
        o[key] = static_cast<double>(d->count()) / 1000.0;
        return true;
    };
    if (!dur(a.timeout, "--timeout", "timeout_s") || !dur(a.interval, "--interval", "interval_s")) return false;
    if (a.max_errors >= 0) o["max_errors"] = a.max_errors;
    if (a.max_polls >= 0) o["max_polls"] = a.max_polls;
    if (a.resubmit) o["resubmit"] = true;
    if (a.no_fetch) o["fetch"] = false;
    if (!a.final_state_via.empty()) o["final_state_via"] = a.final_state_via;
    if (!a.result_member.empty()) o["result_member"] = a.result_member;
    return true;
}

bool spec_from_json_line(const std::string& line, op_spec& s, std::string& err) {
    const json j = json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        err = "not a JSON object";
        return false;
    }
    for (const auto& [key, v] : j.items()) {
        if (key == "protocol" || key == "method" || key == "url") {
            if (!v.is_string()) {
                err = key + " must be a string";
                return false;
            }
            (key == "protocol" ? s.protocol : key == "method" ? s.method : s.url) = v.get<std::string>();
        } else if (key == "body") {
            if (v.is_string()) s.body = v.get<std::string>();
            else if (!v.is_null()) s.body = dump(v);
        } else if (key == "headers") {
            s.headers = v;
        } else if (key == "options") {
            s.options = v;
        } else {
            err = "unknown member " + key + " (known: protocol, method, url, body, headers, options)";
            return false;
        }
    }
    if (s.url.empty()) {
        err = "url is missing";
        return false;
    }
    return true;
}

/// Inserts `specs` in one transaction and returns their ids in order.
bool insert(pg::connection& db, const std::vector<op_spec>& specs, std::vector<std::int64_t>& ids, std::string& err) {
    pg::result r = db.exec("BEGIN");
    if (!r.ok()) {
        err = db_error(r);
        return false;
    }
    constexpr std::size_t chunk = 2000;
    for (std::size_t first = 0; first < specs.size(); first += chunk) {
        std::vector<pg::param> protocol, options, method, url, body, headers, resend;
        for (std::size_t i = first; i < specs.size() && i < first + chunk; ++i) {
            const op_spec& s = specs[i];
            lro::options o;
            std::string e;
            options_from_json(s.protocol, s.options, o, e);
            protocol.emplace_back(s.protocol);
            options.emplace_back(dump(s.options));
            method.emplace_back(s.method);
            url.emplace_back(s.url);
            body.push_back(s.body ? pg::param(pg::hex(*s.body)) : pg::param());
            headers.emplace_back(dump(s.headers));
            resend.emplace_back(resend_allowed(s.protocol, s.method, o) ? "t" : "f");
        }
        r = db.exec("INSERT INTO azlro.ops (protocol, options, method, url, body, headers, resend_ok) "
                    "SELECT p, o::jsonb, m, u, decode(b, 'hex'), h::jsonb, r FROM "
                    "unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::boolean[]) "
                    "WITH ORDINALITY AS t(p, o, m, u, b, h, r, n) ORDER BY n RETURNING id",
                    {pg::array_literal(protocol), pg::array_literal(options), pg::array_literal(method),
                     pg::array_literal(url), pg::array_literal(body), pg::array_literal(headers),
                     pg::array_literal(resend)});
        if (!r.ok()) {
            db.exec("ROLLBACK");
            err = db_error(r);
            return false;
        }
        std::vector<std::int64_t> got;
        for (int i = 0; i < r.rows(); ++i) got.push_back(r.i64(i, 0));
        std::sort(got.begin(), got.end()); // bigserial follows the insertion order
        ids.insert(ids.end(), got.begin(), got.end());
    }
    r = db.exec(std::string("SELECT pg_notify('") + notify_channel + "', '')");
    if (r.ok()) r = db.exec("COMMIT");
    if (!r.ok()) {
        db.exec("ROLLBACK");
        err = db_error(r);
        return false;
    }
    return true;
}

int cmd_submit(pg::connection& db, const submit_args& a, const CLI::App& sub) {
    std::vector<op_spec> specs;
    std::string err;
    if (!a.jsonl.empty()) {
        for (const char* flag : {"URL", "--protocol", "-X", "-d", "-H", "--allow-origin", "--add-query", "--timeout",
                                 "--interval", "--max-errors", "--max-polls", "--resubmit", "--no-fetch",
                                 "--final-state-via", "--result-member", "--allow-any-origin", "--insecure"})
            if (sub.get_option(flag)->count() > 0)
                return fail(std::string("--jsonl takes everything from the file: ") + flag + " is not allowed with it",
                            exit_usage);
        std::ifstream file;
        std::istream* in = &std::cin;
        if (a.jsonl != "-") {
            file.open(a.jsonl, std::ios::binary);
            if (!file) return fail("cannot read " + a.jsonl + ": " + std::strerror(errno), exit_usage);
            in = &file;
        }
        std::string line;
        std::size_t n = 0;
        while (std::getline(*in, line)) {
            ++n;
            if (!line.empty() && line.back() == '\r') line.pop_back();
            if (line.find_first_not_of(" \t") == std::string::npos) continue;
            op_spec s;
            if (!spec_from_json_line(line, s, err) || !validate(s, err))
                return fail("line " + std::to_string(n) + ": " + err + " (nothing was enqueued)", exit_usage);
            specs.push_back(std::move(s));
        }
        if (in->bad()) return fail("cannot read " + a.jsonl, exit_usage);
    } else {
        if (a.url.empty()) return fail("submit needs a URL (or --jsonl FILE)", exit_usage);
        op_spec s;
        if (!spec_from_flags(a, s, err) || !validate(s, err)) return fail(err, exit_usage);
        specs.push_back(std::move(s));
    }
    std::size_t stripped = 0;
    for (const op_spec& s : specs) stripped += s.url_had_credentials ? 1 : 0;
    if (stripped > 0)
        std::fprintf(stderr,
                     "azmaps-lro fleet: removed credential query parameters from %zu URL(s): credentials are never "
                     "stored; give them to the workers (fleet work --key or AZMAPS_KEY)\n",
                     stripped);
    std::vector<std::int64_t> ids;
    if (!specs.empty() && !insert(db, specs, ids, err)) return fail(err);
    std::string out;
    for (const std::int64_t id : ids) out += std::to_string(id) + "\n";
    std::fputs(out.c_str(), stdout);
    return exit_ok;
}

// --- status, list -----------------------------------------------------------------------------

int cmd_status(pg::connection& db, bool as_json) {
    const pg::result r = db.exec("SELECT state, count(*) FROM azlro.ops GROUP BY state");
    if (!r.ok()) return fail(db_error(r));
    json j = json::object();
    for (const char* s : states) j[s] = 0;
    std::int64_t total = 0;
    for (int i = 0; i < r.rows(); ++i) {
        j[r.str(i, 0)] = r.i64(i, 1);
        total += r.i64(i, 1);
    }
    j["total"] = total;
    if (as_json) {
        std::printf("%s\n", dump(j).c_str());
        return exit_ok;
    }
    for (const char* s : states) std::printf("%-15s %lld\n", s, static_cast<long long>(j[s].get<std::int64_t>()));
    std::printf("%-15s %lld\n", "total", static_cast<long long>(total));
    return exit_ok;
}

int cmd_list(pg::connection& db, const std::string& state, long long limit, bool as_json) {
    if (!state.empty()) {
        bool known = false;
        for (const char* s : states) known = known || state == s;
        if (!known)
            return fail("--state takes pending, submitting, polling, succeeded, failed, canceled or submit_unknown: " +
                            state,
                        exit_usage);
    }
    const pg::result r =
        db.exec("SELECT id, state, protocol, method, url, attempts, " + iso("next_at") + ", " + iso("updated_at") +
                    " FROM azlro.ops WHERE ($1::text IS NULL OR state = $1) ORDER BY id LIMIT $2",
                {state.empty() ? pg::param() : pg::param(state), std::to_string(limit)});
    if (!r.ok()) return fail(db_error(r));
    json rows = json::array();
    for (int i = 0; i < r.rows(); ++i) {
        const bool live = is_live_state(r.str(i, 1));
        if (as_json) {
            rows.push_back({{"id", r.i64(i, 0)},
                            {"state", r.str(i, 1)},
                            {"protocol", r.str(i, 2)},
                            {"method", r.str(i, 3)},
                            {"url", r.str(i, 4)},
                            {"attempts", r.i64(i, 5)},
                            {"next_at", live ? json(r.str(i, 6)) : json(nullptr)},
                            {"updated_at", r.str(i, 7)}});
        } else {
            std::printf("%lld\t%s\t%s\t%s\t%s\t%lld\t%s\t%s\n", static_cast<long long>(r.i64(i, 0)), r.str(i, 1).c_str(),
                        r.str(i, 2).c_str(), r.str(i, 3).c_str(), r.str(i, 4).c_str(),
                        static_cast<long long>(r.i64(i, 5)), live ? r.str(i, 6).c_str() : "-", r.str(i, 7).c_str());
        }
    }
    if (as_json) std::printf("%s\n", dump(rows).c_str());
    return exit_ok;
}

// --- cancel, result, purge --------------------------------------------------------------------

int cmd_cancel(pg::connection& db, long long id) {
    // Not leased: it ends now. Leased: the worker that holds it ends it canceled when it writes
    // back (or the next claimer does, if that worker died).
    const pg::result r = db.exec(
        "UPDATE azlro.ops SET cancel_requested = true, updated_at = now(), "
        "  state = CASE WHEN lease_owner IS NULL OR lease_expires < now() THEN 'canceled' ELSE state END, "
        "  reason = CASE WHEN lease_owner IS NULL OR lease_expires < now() THEN 'client' ELSE reason END, "
        "  detail = CASE WHEN lease_owner IS NULL OR lease_expires < now() THEN 'canceled by the client (fleet cancel)' "
        "           ELSE detail END, "
        "  ended_at = CASE WHEN lease_owner IS NULL OR lease_expires < now() THEN now() ELSE ended_at END, "
        "  lease_owner = CASE WHEN lease_owner IS NULL OR lease_expires < now() THEN NULL ELSE lease_owner END, "
        "  lease_expires = CASE WHEN lease_owner IS NULL OR lease_expires < now() THEN NULL ELSE lease_expires END "
        "WHERE id = $1 AND state IN ('pending', 'submitting', 'polling') RETURNING state",
        {std::to_string(id)});
    if (!r.ok()) return fail(db_error(r));
    if (r.rows() == 1) {
        if (r.str(0, 0) == "canceled") std::printf("%lld canceled\n", id);
        else std::printf("%lld cancel requested (a worker holds it: it ends canceled when that worker writes back)\n", id);
        return exit_ok;
    }
    const pg::result s = db.exec("SELECT state FROM azlro.ops WHERE id = $1", {std::to_string(id)});
    if (!s.ok()) return fail(db_error(s));
    if (s.rows() == 0) return fail("no operation " + std::to_string(id));
    return fail("operation " + std::to_string(id) + " already ended (" + s.str(0, 0) + ")");
}

bool valid_utf8(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        if (n == 0 || i + n > s.size()) return false;
        for (std::size_t k = 1; k < n; ++k)
            if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
        i += n;
    }
    return true;
}

std::string base64(std::string_view in) {
    static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        const unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                           static_cast<unsigned char>(in[i + 2]);
        out += {t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], t[v & 63]};
    }
    if (i + 1 == in.size()) {
        const unsigned v = static_cast<unsigned char>(in[i]) << 16;
        out += {t[v >> 18], t[(v >> 12) & 63], '=', '='};
    } else if (i + 2 == in.size()) {
        const unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
        out += {t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], '='};
    }
    return out;
}

int cmd_result(pg::connection& db, long long id, bool as_json) {
    const pg::result r =
        db.exec("SELECT id, state, reason, http_status, error::text, result_location, result_body, " +
                    iso("submit_started_at") + ", " + iso("ended_at") + ", detail, " + iso("created_at") +
                    ", protocol, method, url, polls, attempts FROM azlro.ops WHERE id = $1",
                {std::to_string(id)});
    if (!r.ok()) return fail(db_error(r));
    if (r.rows() == 0) return fail("no operation " + std::to_string(id));
    std::string body;
    const bool has_body = !r.null(0, 6) && pg::unhex(r.text(0, 6), body);
    const bool text_body = has_body && valid_utf8(body) && body.find('\0') == std::string::npos;
    json j = json::object();
    j["id"] = r.i64(0, 0);
    j["state"] = r.str(0, 1);
    j["reason"] = r.null(0, 2) ? json(nullptr) : json(r.str(0, 2));
    j["http_status"] = r.null(0, 3) ? json(nullptr) : json(r.i64(0, 3));
    j["error"] = r.null(0, 4) ? json(nullptr) : json::parse(r.str(0, 4), nullptr, false);
    j["result_location"] = r.null(0, 5) ? json(nullptr) : json(r.str(0, 5));
    j["result_body"] = text_body ? json(body) : json(nullptr);
    if (has_body && !text_body) j["result_body_base64"] = base64(body);
    j["submitted_at"] = r.null(0, 7) ? json(nullptr) : json(r.str(0, 7));
    j["ended_at"] = r.null(0, 8) ? json(nullptr) : json(r.str(0, 8));
    j["detail"] = r.null(0, 9) ? json(nullptr) : json(r.str(0, 9));
    j["created_at"] = r.str(0, 10);
    j["protocol"] = r.str(0, 11);
    j["method"] = r.str(0, 12);
    j["url"] = r.str(0, 13);
    j["polls"] = r.i64(0, 14);
    j["attempts"] = r.i64(0, 15);
    if (as_json) {
        std::printf("%s\n", dump(j).c_str());
        return exit_ok;
    }
    const auto line = [](const char* k, const json& v) {
        if (v.is_null()) return;
        std::printf("%-16s %s\n", k, v.is_string() ? v.get<std::string>().c_str() : dump(v).c_str());
    };
    for (const char* k : {"id", "state", "reason", "http_status", "detail", "error", "result_location", "protocol",
                          "method", "url", "created_at", "submitted_at", "ended_at", "polls", "attempts"})
        line(k, j[k]);
    if (j["state"] == "submit_unknown")
        std::printf("%-16s %s\n", "note",
                    "the submit may have reached the service (sent at submitted_at, its answer never recorded); "
                    "check the service before submitting again");
    if (has_body) {
        std::printf("%-16s (%zu bytes)\n", "result_body", body.size());
        if (text_body) std::printf("%s\n", body.c_str());
        else std::printf("%s\n", base64(body).c_str());
    }
    return exit_ok;
}

int cmd_purge(pg::connection& db, const std::string& older_than) {
    const auto d = parse_duration(older_than);
    if (!d) return fail("--older-than takes a duration such as 7d, 12h, 30m: " + older_than, exit_usage);
    const pg::result r =
        db.exec("DELETE FROM azlro.ops WHERE ended_at IS NOT NULL AND ended_at < now() - $1::bigint * interval '1 "
                "millisecond' AND state NOT IN ('pending', 'submitting', 'polling')",
                {std::to_string(d->count())});
    if (!r.ok()) return fail(db_error(r));
    std::printf("purged %ld finished operations\n", r.affected());
    return exit_ok;
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"azmaps-lro fleet: durable tracking of many long-running operations on PostgreSQL (docs/fleet.md)",
                 "azmaps-lro fleet"};
    app.set_help_flag("-h,--help", "print this help and exit");
    app.require_subcommand(1);
    std::string db_flag;
    app.add_option("--db", db_flag,
                   "libpq connection string or URI (default: $AZMAPS_LRO_FLEET_DB, else libpq's PG* environment)")
        ->option_text("CONNINFO");

    CLI::App* init = app.add_subcommand("init", "create or migrate the schema (idempotent); prints the schema version");

    submit_args sa;
    CLI::App* submit = app.add_subcommand("submit", "enqueue one operation (or many with --jsonl); prints the ids");
    submit->add_option("URL", sa.url, "the submit URL (credential query parameters are removed)");
    submit->add_option("--jsonl", sa.jsonl, "one JSON object per line, - for stdin; one transaction")->option_text("FILE");
    submit->add_option("--protocol", sa.protocol, "maps (default), maps-v1, maps-v2 or azure")->option_text("P");
    submit->add_option("-X,--method", sa.method, "submit method (default POST)")->option_text("M");
    submit->add_option("-d,--data", sa.data, "submit body; @FILE reads a file, @- stdin")->option_text("DATA");
    submit->add_option("-H,--header", sa.headers, "non-credential header 'Name: value', repeatable")
        ->option_text("'K: V'")->allow_extra_args(false);
    submit->add_option("--allow-origin", sa.allow_origin, "follow URLs on this origin too, repeatable")
        ->option_text("ORIGIN")->allow_extra_args(false);
    submit->add_flag("--allow-any-origin", sa.allow_any_origin, "follow URLs on any origin");
    submit->add_flag("--insecure", sa.insecure, "allow a switch from https to http");
    submit->add_option("--add-query", sa.add_query, "NAME=VALUE added to same-origin monitor/resource URLs, repeatable")
        ->option_text("NAME=VALUE")->allow_extra_args(false);
    submit->add_option("--timeout", sa.timeout, "give up after DUR from the first request")->option_text("DUR");
    submit->add_option("--interval", sa.interval, "poll interval without Retry-After (default 2s)")->option_text("DUR");
    submit->add_option("--max-errors", sa.max_errors, "consecutive errors before giving up (default 5)")->option_text("N");
    submit->add_option("--max-polls", sa.max_polls, "give up after N status requests")->option_text("N");
    submit->add_flag("--resubmit", sa.resubmit, "resend the submit after 500/502/504, a transport error, or a worker death");
    submit->add_flag("--no-fetch", sa.no_fetch, "do not GET the created resource after Succeeded");
    submit->add_option("--final-state-via", sa.final_state_via, "azure: where the final result is")->option_text("F");
    submit->add_option("--result-member", sa.result_member, "azure: the result is this member of the status body")
        ->option_text("NAME");

    worker_config wc;
    std::string lease = "10s", tick = "10ms", connect_timeout = "10s", request_timeout = "60s", key, bearer;
    CLI::App* work = app.add_subcommand("work", "run a worker: claim due operations, send their requests, record answers");
    work->add_option("--worker", wc.name, "this worker's name (default HOST-PID)")->option_text("NAME");
    work->add_option("--batch", wc.batch, "rows claimed (and written back) per transaction (default 100)")->option_text("N");
    work->add_option("--lease", lease, "lease of a claimed row, renewed while it is held (default 10s)")->option_text("DUR");
    work->add_option("--concurrency", wc.concurrency, "requests in flight at once (default 256)")->option_text("N");
    work->add_option("--tick", tick,
                     "longest a finished step waits for its batched write-back, and shortest gap between two "
                     "claims that found little (default 10ms)")
        ->option_text("DUR");
    work->add_flag("--exit-when-idle", wc.exit_when_idle, "exit 0 once no operation is pending, submitting or polling");
    work->add_option("--key", key, "Azure Maps subscription key, sent only to submit origins (default: $AZMAPS_KEY)")
        ->option_text("KEY")->envname("AZMAPS_KEY");
    work->add_flag("--key-in-query", wc.creds.key_in_query, "send the key as the subscription-key query parameter");
    work->add_option("--bearer", bearer, "send Authorization: Bearer TOKEN to submit origins")->option_text("TOKEN");
    work->add_option("--connect-timeout", connect_timeout, "per-connection timeout (default 10s)")->option_text("DUR");
    work->add_option("--request-timeout", request_timeout, "per-request timeout (default 60s)")->option_text("DUR");
    work->add_flag("-q,--quiet", wc.quiet, "no log lines on stderr");

    bool status_json = false;
    CLI::App* status = app.add_subcommand("status", "operations per state, and the total");
    status->add_flag("--json", status_json, "one JSON object");

    std::string list_state;
    long long list_limit = 100;
    bool list_json = false;
    CLI::App* list = app.add_subcommand("list", "operations, oldest first");
    list->add_option("--state", list_state, "only this state")->option_text("S");
    list->add_option("--limit", list_limit, "at most N rows (default 100)")->option_text("N");
    list->add_flag("--json", list_json, "a JSON array");

    long long cancel_id = 0;
    CLI::App* cancel = app.add_subcommand("cancel", "cancel an operation (the client gives up)");
    cancel->add_option("ID", cancel_id, "operation id")->required();

    long long result_id = 0;
    bool result_json = false;
    CLI::App* result = app.add_subcommand("result", "how an operation ended (or where it is)");
    result->add_option("ID", result_id, "operation id")->required();
    result->add_flag("--json", result_json, "one JSON object");

    std::string older_than;
    CLI::App* purge = app.add_subcommand("purge", "delete finished operations older than DUR");
    purge->add_option("--older-than", older_than, "e.g. 7d, 12h")->option_text("DUR")->required();

    for (CLI::App* sub : {init, submit, work, status, list, cancel, result, purge}) sub->fallthrough();

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp&) {
        std::fputs(app.help().c_str(), stdout);
        return exit_ok;
    } catch (const CLI::CallForAllHelp&) {
        std::fputs(app.help("", CLI::AppFormatMode::All).c_str(), stdout);
        return exit_ok;
    } catch (const CLI::ParseError& e) {
        return fail(std::string(e.what()) + " (see azmaps-lro fleet --help)", exit_usage);
    }

    const std::string conninfo = conninfo_of(db_flag);
    if (work->parsed()) {
        wc.conninfo = conninfo;
        const auto l = parse_duration(lease), t = parse_duration(tick), ct = parse_duration(connect_timeout),
                   rt = parse_duration(request_timeout);
        if (!l || l->count() < 1000) return fail("--lease takes a duration of at least 1s: " + lease, exit_usage);
        if (!t || t->count() > 10000) return fail("--tick takes a duration up to 10s: " + tick, exit_usage);
        if (!ct || !rt) return fail("--connect-timeout and --request-timeout take durations", exit_usage);
        if (wc.batch < 1 || wc.batch > 100000) return fail("--batch takes 1 to 100000", exit_usage);
        if (wc.concurrency < 1 || wc.concurrency > 100000) return fail("--concurrency takes 1 to 100000", exit_usage);
        wc.lease = *l;
        wc.tick = *t;
        wc.transfer.connect_timeout = *ct;
        wc.transfer.request_timeout = *rt;
        wc.creds.subscription_key = key;
        if (!bearer.empty()) wc.creds.authorization = "Bearer " + bearer;
        if (wc.name.empty()) {
            char host[256] = {};
            if (::gethostname(host, sizeof host - 1) != 0) std::strcpy(host, "worker");
            wc.name = std::string(host) + "-" + std::to_string(::getpid());
        }
        return run_worker(wc);
    }

    pg::connection db;
    std::string err;
    if (!connect(db, conninfo, err)) return fail(err);
    if (init->parsed()) return cmd_init(db);
    if (submit->parsed()) {
        sa.data_given = submit->get_option("--data")->count() > 0;
        return cmd_submit(db, sa, *submit);
    }
    if (status->parsed()) return cmd_status(db, status_json);
    if (list->parsed()) {
        if (list_limit < 0) return fail("--limit takes N >= 0", exit_usage);
        return cmd_list(db, list_state, list_limit, list_json);
    }
    if (cancel->parsed()) return cmd_cancel(db, cancel_id);
    if (result->parsed()) return cmd_result(db, result_id, result_json);
    if (purge->parsed()) return cmd_purge(db, older_than);
    return fail("unknown subcommand", exit_usage);
}

} // namespace azmaps::lro::fleet
