// fuzz_json: the status-body scanner, the OData error parser and JSON string unescaping.
//
// Invariants checked (abort() on violation), beyond "no crash, no read out of bounds":
//  - scan_status_body and parse_error_body agree on validity (same depth budget);
//  - every recorded field views the input; string fields of a valid body unescape, and the
//    buffer and std::string overloads of unescape_json_string agree;
//  - unescape_json_string(raw) succeeds exactly when {"k":"raw"} scans (raw without '"'), its output is valid
//    UTF-8 and never longer than raw, and re-escaping it unescapes to the same text;
//  - parse_odata_error keeps at most 64 innererror links.
#include <azmaps/lro/detail/json.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {
namespace d = azmaps::lro::detail;

[[noreturn]] void violation(const char* what) {
    std::fprintf(stderr, "fuzz_json: invariant broken: %s\n", what);
    std::abort();
}

bool valid_utf8(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        std::size_t n;
        unsigned lo = 0x80, hi = 0xBF;
        if (c < 0x80) { ++i; continue; }
        if (c < 0xC2) return false;
        if (c < 0xE0) n = 2;
        else if (c < 0xF0) { n = 3; if (c == 0xE0) lo = 0xA0; if (c == 0xED) hi = 0x9F; }
        else if (c < 0xF5) { n = 4; if (c == 0xF0) lo = 0x90; if (c == 0xF4) hi = 0x8F; }
        else return false;
        if (s.size() - i < n) return false;
        for (std::size_t k = 1; k < n; ++k) {
            const auto b = static_cast<unsigned char>(s[i + k]);
            if (b < lo || b > hi) return false;
            lo = 0x80; hi = 0xBF;
        }
        i += n;
    }
    return true;
}

/// Escapes decoded text as a JSON string body: controls, quote and backslash as \u00XX.
std::string escape(std::string_view s) {
    static const char hex[] = "0123456789abcdef";
    std::string out;
    for (char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c == '"' || c == '\\') {
            out += "\\u00";
            out += hex[c >> 4];
            out += hex[c & 15];
        } else {
            out += ch;
        }
    }
    return out;
}

bool inside(std::string_view part, std::string_view whole) {
    if (part.empty()) return true;
    const std::uintptr_t p = reinterpret_cast<std::uintptr_t>(part.data());
    const std::uintptr_t w = reinterpret_cast<std::uintptr_t>(whole.data());
    return p >= w && p + part.size() <= w + whole.size();
}

void check_unescape(std::string_view raw) {
    std::string s;
    const bool ok = d::unescape_json_string(raw, s);
    char buf[64];
    const std::size_t n = d::unescape_json_string(raw, buf, sizeof buf);
    if (ok) {
        if (s.size() > raw.size()) violation("unescape grew the text");
        if (!valid_utf8(s)) violation("unescape produced invalid UTF-8");
        if (s.size() <= sizeof buf && (n != s.size() || std::string_view(buf, n) != s))
            violation("the two unescape overloads disagree");
        std::string back;
        if (!d::unescape_json_string(escape(s), back) || back != s) violation("escape/unescape does not round-trip");
    } else if (n != SIZE_MAX) {
        violation("the buffer overload accepted what the string overload refused");
    }
    if (raw.size() < 4096 && raw.find('"') == std::string_view::npos) { // a quote could end the string early
        std::string doc = "{\"k\":\"";
        doc.append(raw.data(), raw.size());
        doc += "\"}";
        d::status_fields f;
        if ((d::scan_status_body(doc, f) == d::json_error::none) != ok)
            violation("unescape and the scanner disagree on a string body");
    }
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view body(reinterpret_cast<const char*>(data), size);
    const int depth = size > 0 ? (data[0] % 4 == 0 ? 3 : 64) : 64;
    d::status_fields f;
    const d::json_error e = d::scan_status_body(body, f, depth);
    azmaps::lro::odata_error err;
    bool has = false;
    const d::json_error pe = d::parse_error_body(body, err, has, depth);
    if ((e == d::json_error::none) != (pe == d::json_error::none))
        violation("scan_status_body and parse_error_body disagree");
    if (e != d::json_error::none && has) violation("an error parsed from an invalid body");
    if (err.innererror.size() > static_cast<std::size_t>(d::max_innererror_links)) violation("too many innererror links");
    if (e == d::json_error::none) {
        for (const d::json_field* x : {&f.status, &f.operation_id, &f.created, &f.created_date_time, &f.resource_location, &f.error}) {
            if (!inside(x->raw, body)) violation("a field views outside the body");
            if (x->kind == d::json_kind::string) {
                std::string s;
                if (!d::unescape_json_string(x->raw, s)) violation("a string of a valid body does not unescape");
                if (x->escaped != (x->raw.find('\\') != std::string_view::npos)) violation("escaped flag is wrong");
                (void)d::json_string_iequals(*x, "Succeeded");
            }
            if (x->kind == d::json_kind::other || x->kind == d::json_kind::null) {
                if (x->raw.empty()) violation("an empty non-string value");
            }
        }
        if (f.error.kind == d::json_kind::other && f.error.raw.front() == '{') {
            azmaps::lro::odata_error direct;
            if (d::parse_odata_error(f.error.raw, direct) != d::json_error::none && depth == 64)
                violation("the error object of a valid body does not parse");
        }
    }
    check_unescape(body);
    if (size > 2) check_unescape(body.substr(1, size - 2));
    return 0;
}
