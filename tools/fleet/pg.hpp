// azmaps-lro fleet: a thin RAII layer over libpq (no protocol code of our own).
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace azmaps::lro::fleet::pg {

/// One query result. Owns the PGresult.
class result {
public:
    result() = default;
    explicit result(PGresult* r) : r_(r, &PQclear) {}
    bool ok() const noexcept {
        if (!r_) return false;
        const ExecStatusType s = PQresultStatus(r_.get());
        return s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;
    }
    int rows() const noexcept { return r_ ? PQntuples(r_.get()) : 0; }
    bool null(int row, int col) const noexcept { return PQgetisnull(r_.get(), row, col) != 0; }
    std::string_view text(int row, int col) const noexcept {
        return std::string_view(PQgetvalue(r_.get(), row, col), static_cast<std::size_t>(PQgetlength(r_.get(), row, col)));
    }
    std::string str(int row, int col) const { return std::string(text(row, col)); }
    std::int64_t i64(int row, int col) const { return null(row, col) ? 0 : std::stoll(str(row, col)); }
    double f64(int row, int col) const { return null(row, col) ? 0.0 : std::stod(str(row, col)); }
    bool boolean(int row, int col) const { return !null(row, col) && text(row, col) == "t"; }
    std::optional<std::string> opt(int row, int col) const {
        if (null(row, col)) return std::nullopt;
        return str(row, col);
    }
    /// "SQLSTATE: message" of a failed result.
    std::string error() const {
        if (!r_) return "no result";
        std::string m = PQresultErrorMessage(r_.get());
        while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
        return m;
    }
    /// The SQLSTATE of a failed result (e.g. "40001"), or empty.
    std::string sqlstate() const {
        if (!r_) return {};
        const char* s = PQresultErrorField(r_.get(), PG_DIAG_SQLSTATE);
        return s != nullptr ? s : "";
    }
    /// Rows changed by an UPDATE/INSERT/DELETE.
    long affected() const {
        if (!r_) return 0;
        const char* n = PQcmdTuples(r_.get());
        return n != nullptr && *n != '\0' ? std::stol(n) : 0;
    }

private:
    std::shared_ptr<PGresult> r_;
};

/// A parameter: text, or SQL NULL.
using param = std::optional<std::string>;

/// One connection.
class connection {
public:
    connection() = default;
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;
    ~connection() { close(); }

    /// Connects with `conninfo` (empty: libpq's PG* environment defaults). False with
    /// `error` set (libpq's message, which never holds the password).
    bool open(const std::string& conninfo, std::string& error) {
        close();
        c_ = PQconnectdb(conninfo.c_str());
        if (c_ == nullptr || PQstatus(c_) != CONNECTION_OK) {
            error = c_ != nullptr ? PQerrorMessage(c_) : "out of memory";
            while (!error.empty() && (error.back() == '\n' || error.back() == ' ')) error.pop_back();
            close();
            return false;
        }
        // Quiet NOTICEs (e.g. "relation already exists, skipping").
        PQsetNoticeProcessor(c_, [](void*, const char*) {}, nullptr);
        return true;
    }
    void close() {
        if (c_ != nullptr) PQfinish(c_);
        c_ = nullptr;
    }
    bool is_open() const noexcept { return c_ != nullptr && PQstatus(c_) == CONNECTION_OK; }
    PGconn* raw() const noexcept { return c_; }
    int socket() const noexcept { return c_ != nullptr ? PQsocket(c_) : -1; }
    std::string last_error() const {
        std::string m = c_ != nullptr ? PQerrorMessage(c_) : "not connected";
        while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
        return m;
    }

    /// A statement without parameters (may hold several; the last result is returned).
    result exec(const std::string& sql) { return result(PQexec(c_, sql.c_str())); }

    /// A statement with text parameters ($1, $2, ...).
    result exec(const std::string& sql, const std::vector<param>& params) {
        std::vector<const char*> values;
        values.reserve(params.size());
        for (const param& p : params) values.push_back(p ? p->c_str() : nullptr);
        return result(PQexecParams(c_, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr,
                                   nullptr, 0));
    }

    /// Reads pending input and returns the notifications received (channel names).
    std::vector<std::string> notifications() {
        std::vector<std::string> out;
        if (c_ == nullptr) return out;
        PQconsumeInput(c_);
        while (PGnotify* n = PQnotifies(c_)) {
            out.emplace_back(n->relname);
            PQfreemem(n);
        }
        return out;
    }

private:
    PGconn* c_ = nullptr;
};

/// A PostgreSQL array literal ({"a","b",NULL}) of text elements, for `$n::text[]` parameters.
inline std::string array_literal(const std::vector<param>& items) {
    std::string out = "{";
    bool first = true;
    for (const param& p : items) {
        if (!first) out.push_back(',');
        first = false;
        if (!p) {
            out += "NULL";
            continue;
        }
        out.push_back('"');
        for (const char c : *p) {
            if (c == '"' || c == '\\') out.push_back('\\');
            out.push_back(c);
        }
        out.push_back('"');
    }
    out.push_back('}');
    return out;
}

/// Lower-case hex of `bytes` (for bytea values passed as `decode($n, 'hex')`).
inline std::string hex(std::string_view bytes) {
    static const char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (const char c : bytes) {
        const auto u = static_cast<unsigned char>(c);
        out.push_back(digits[u >> 4]);
        out.push_back(digits[u & 15]);
    }
    return out;
}

/// Decodes PostgreSQL's bytea hex output (`\x...`); false when `text` is not that form.
inline bool unhex(std::string_view text, std::string& out) {
    out.clear();
    if (text.size() < 2 || text[0] != '\\' || text[1] != 'x' || text.size() % 2 != 0) return false;
    const auto val = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    out.reserve(text.size() / 2 - 1);
    for (std::size_t i = 2; i < text.size(); i += 2) {
        const int hi = val(text[i]), lo = val(text[i + 1]);
        if (hi < 0 || lo < 0) return false;
        out.push_back(static_cast<char>(hi * 16 + lo));
    }
    return true;
}

} // namespace azmaps::lro::fleet::pg
