// One rule, one place: the ASCII case rule, the OWS trim and the RFC 3986 query reader
// (detail/ascii.hpp, detail/url.hpp) are the ones every call site uses. Each table below is
// checked against a reference written here from the rule's text (not from the library), at
// every call site that applies the rule: header lookup, Retry-After, status words in JSON,
// origins, URL cleaning, the libcurl driver's header parser and submit headers, follow_monitor
// and the driver's credential stripping.
#include <azmaps/lro.hpp>
#include <azmaps/lro/adapters/follow.hpp>
#include <azmaps/lro/detail/ascii.hpp>
#include <azmaps/lro/detail/credentials.hpp>
#include <azmaps/lro/detail/json.hpp>
#include <azmaps/lro/detail/retry_after.hpp>
#include <azmaps/lro/detail/url.hpp>
#if AZMAPS_LRO_TEST_CURL
#include <azmaps/lro/adapters/curl_common.hpp>
#endif

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace lro = azmaps::lro;
namespace d = azmaps::lro::detail;
using namespace std::string_literals;
using namespace std::string_view_literals;

namespace {

// --- references, from the rules' text -------------------------------------------------------

/// "ASCII letters fold, every other byte matches only itself."
bool ref_iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        unsigned char x = static_cast<unsigned char>(a[i]), y = static_cast<unsigned char>(b[i]);
        if (x >= 'A' && x <= 'Z') x = static_cast<unsigned char>(x + 32);
        if (y >= 'A' && y <= 'Z') y = static_cast<unsigned char>(y + 32);
        if (x != y) return false;
    }
    return true;
}

/// "Space and horizontal tab at both ends, nothing else."
std::string ref_trim(std::string_view v) {
    std::size_t b = 0, e = v.size();
    while (b < e && (v[b] == ' ' || v[b] == '\t')) ++b;
    while (e > b && (v[e - 1] == ' ' || v[e - 1] == '\t')) --e;
    return std::string(v.substr(b, e - b));
}

/// RFC 3986 3.4/3.5: the query is after the first '?' and before the first '#'; a '?' after
/// the '#' is fragment text. The value of the first `name=` component, if any.
bool ref_query_value(std::string_view url, std::string_view name, std::string& value) {
    const std::string_view head = url.substr(0, url.find('#'));
    const std::size_t q = head.find('?');
    if (q == std::string_view::npos) return false;
    std::string_view query = head.substr(q + 1);
    while (true) {
        const std::size_t amp = query.find('&');
        const std::string_view comp = query.substr(0, amp);
        const std::size_t eq = comp.find('=');
        if (comp.substr(0, eq) == name) {
            value = eq == std::string_view::npos ? "" : std::string(comp.substr(eq + 1));
            return true;
        }
        if (amp == std::string_view::npos) return false;
        query.remove_prefix(amp + 1);
    }
}

/// The URL without the query components named (ASCII case-insensitively) `name`; the other
/// components stay byte for byte, the '?' goes when none is left. Per RFC 3986 3.4/3.5.
std::string ref_without_param(std::string_view url, std::string_view name) {
    const std::size_t hash = url.find('#');
    const std::string_view head = url.substr(0, hash), frag = hash == std::string_view::npos ? "" : url.substr(hash);
    const std::size_t q = head.find('?');
    if (q == std::string_view::npos) return std::string(url);
    std::string_view query = head.substr(q + 1);
    std::vector<std::string> kept;
    while (true) {
        const std::size_t amp = query.find('&');
        const std::string_view comp = query.substr(0, amp);
        if (!ref_iequals(comp.substr(0, comp.find('=')), name)) kept.emplace_back(comp);
        if (amp == std::string_view::npos) break;
        query.remove_prefix(amp + 1);
    }
    std::string out(head.substr(0, q));
    for (std::size_t i = 0; i < kept.size(); ++i) out += (i == 0 ? "?" : "&") + kept[i];
    return out + std::string(frag);
}

/// The credential remover as the machine and the driver call it.
std::string strip_key(std::string_view url) {
    return d::has_credential_param(url, {}) ? d::without_credential_params(url, {}) : std::string(url);
}

/// JSON text of a string whose bytes are `s` (valid UTF-8): every ASCII byte as \u00XX when
/// `all_escaped`, else controls, '"' and '\\' only.
std::string json_string(std::string_view s, bool all_escaped) {
    static const char hex[] = "0123456789abcdef";
    std::string out = "\"";
    for (char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x80 && (all_escaped || u < 0x20 || c == '"' || c == '\\')) {
            out += "\\u00";
            out += hex[u >> 4];
            out += hex[u & 15];
        } else {
            out += c;
        }
    }
    return out + "\"";
}

// --- the tricky inputs --------------------------------------------------------------------------

/// Header names, against the literals the call sites look for. Bytes >= 0x80 that are a letter
/// or '-' plus 0x80 (0xC5 = 'E' | 0x80, 0xAD = '-' | 0x80) must not fold; neither may '@', '[',
/// '`', '{' (the neighbours of the letter ranges), '_' nor any control.
const std::vector<std::string> tricky_names = {
    "retry-after", "Retry-After", "RETRY-AFTER", "rEtRy-AfTeR", "retry_after", "retry-after ",
    " retry-after", "retry-afte", "retry-after\t", "r\xC5try-after", "retry\xAD" "after", "retry\rafter",
    "retry-afte\n", "retry-aft@r", "retry-aft`r", "retry-aft[r", "retry-aft{r", "",
    "retry-after-ms", "Retry-After-MS", "RETRY-AFTER-M\xD3", "retry-after-m\x00"s,
    "x-ms-retry-after-ms", "X-MS-Retry-After-Ms", "X-MS-RETRY-AFTER-MS", "x-ms-retry-after-m\xF3",
    "x\x2Dms-retry-after-ms", "x\xADms-retry-after-ms", "x-ms-retry-after-m\xD3",
    "date", "Date", "DATE", "dat\xC5", "dat\x05", "date\r",
    "location", "Location", "LOCATION", "Locatio\xCE", "operation-location", "Operation-Location",
    "OPERATION-LOCATION", "operation\xADlocation", "operation_location", "content-type", "Content-Type",
    "CONTENT-TYPE", "content\xADtype", "content-typ\xC5",
};
const std::vector<std::string> header_literals = {"retry-after", "retry-after-ms", "x-ms-retry-after-ms", "date",
                                                  "location", "operation-location", "content-type"};

/// Header values for the trim rule: tabs, CR/LF at the ends, NBSP, VT/FF, NUL, empty values.
const std::vector<std::string> tricky_values = {
    "5", " 5", "5 ", " \t5\t ", "\t\t5", "5\r", "\r5", "5\n", "\n5", "5\r\n", "\r\n5\r\n", "",
    " ", "\t", " \t \t", "\xC2\xA0" "5", "5\xC2\xA0", "\x0B" "5", "5\x0C", "5\x00"s, "\x00" "5"s,
    "5 5", "\xFF", " \xFF ", "\r", "\n", " \r ",
};

} // namespace

// The one rule, as written: ASCII letters only.
TEST(OneRule, CaseFoldIsAsciiOnly) {
    for (int a = 0; a < 256; ++a)
        for (int b = 0; b < 256; ++b) {
            const std::string x(1, static_cast<char>(a)), y(1, static_cast<char>(b));
            ASSERT_EQ(d::iequals(x, y), ref_iequals(x, y)) << a << " " << b;
            // the word-at-a-time paths (4..7 bytes, 8 and more): the byte at each position
            for (std::size_t len : {std::size_t{4}, std::size_t{5}, std::size_t{7}, std::size_t{9}})
                for (std::size_t at = 0; at < len; at += 2) {
                    std::string u(len, 'q'), v(len, 'Q');
                    u[at] = static_cast<char>(a);
                    v[at] = static_cast<char>(b);
                    ASSERT_EQ(d::iequals(u, v), ref_iequals(u, v)) << a << " " << b << " at " << at << "/" << len;
                    // equals_lowered: `text` is the lower-case spelling of `mixed`
                    std::string low = v;
                    for (char& c : low) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
                    ASSERT_EQ(d::equals_lowered(u.data(), v.data(), len), u == low) << a << " " << b << " at " << at;
                }
        }
    EXPECT_FALSE(d::iequals("\xC3\x89", "\xC3\xA9")); // no Unicode folding
    EXPECT_TRUE(d::istarts_with("Content-Type: x", "content-type:"));
    EXPECT_FALSE(d::istarts_with("Content-Typ", "content-type:"));
}

// Every call site that compares a header name agrees with the rule on every tricky name.
TEST(OneRule, HeaderNameCallSitesAgree) {
    for (const std::string& name : tricky_names) {
        for (const std::string& lit : header_literals) {
            const bool want = ref_iequals(name, lit);
            EXPECT_EQ(d::iequals(name, lit), want) << name << " / " << lit;
            const lro::header h[] = {{name, "7"}};
            // response.hpp: find_header
            EXPECT_EQ(lro::find_header(h, lit) != nullptr, want) << name << " / " << lit;
            // retry_after.hpp: the delay headers and Date
            std::uint64_t ms = 0;
            const bool used = d::retry_after_ms(h, false, 0, ms);
            const bool delay_name = lit == "retry-after" || lit == "retry-after-ms" || lit == "x-ms-retry-after-ms";
            if (delay_name && want) {
                EXPECT_TRUE(used) << name;
                EXPECT_EQ(ms, lit == "retry-after" ? 7000u : 7u) << name;
            }
        }
        // retry_after.hpp: no other name is a delay header
        const lro::header h[] = {{name, "7"}};
        std::uint64_t ms = 0;
        const bool any = ref_iequals(name, "retry-after") || ref_iequals(name, "retry-after-ms") ||
                         ref_iequals(name, "x-ms-retry-after-ms");
        EXPECT_EQ(d::retry_after_ms(h, false, 0, ms), any) << name;
        // retry_after.hpp: Date is the reference of an HTTP-date only under its own name
        const lro::header hd[] = {{name, "Sun, 06 Nov 1994 08:49:37 GMT"},
                                  {"Retry-After", "Sun, 06 Nov 1994 08:49:47 GMT"}};
        ms = 0;
        const bool dated = d::retry_after_ms(hd, false, 0, ms);
        EXPECT_EQ(dated, ref_iequals(name, "date")) << name;
        if (dated) {
            EXPECT_EQ(ms, 10000u) << name;
        }
    }
}

// The status words of a JSON body (json_string_iequals, plain and escaped) follow the same rule.
TEST(OneRule, JsonStatusWordsAgree) {
    std::vector<std::string> words = {"Succeeded", "succeeded", "SUCCEEDED", "Succeede", "Succeeded ",
                                      "Succ\xC3\xA9" "eded", "Succ\xC3\x89" "eded", "Su\tcceeded", "",
                                      "Failed", "FAILED", "F\xC3\xA1iled", "Canceled", "cancelled",
                                      "CANCELLED", "Cancel\xC5\x81" "ed", "Running", "running\r", "@[`{",
                                      "`{@["};
    for (const std::string& n : tricky_names)
        if (n.find('\0') == std::string::npos && n.find_first_of("\xAD\xC5\xD3\xF3\xCE") == std::string::npos)
            words.push_back(n); // valid UTF-8 only: a JSON body cannot carry the others
    const std::vector<std::string> literals = {"Succeeded", "Failed", "Canceled", "Cancelled", "Running",
                                               "\xC3\xA9", "@[`{", "retry-after", "date", ""};
    for (const std::string& w : words) {
        for (bool all_escaped : {false, true}) {
            const std::string body = "{\"status\":" + json_string(w, all_escaped) + "}";
            d::status_fields f;
            ASSERT_EQ(d::scan_status_body(body, f), d::json_error::none) << body;
            for (const std::string& lit : literals)
                EXPECT_EQ(d::json_string_iequals(f.status, lit), ref_iequals(w, lit)) << body << " / " << lit;
        }
    }
}

// Schemes and hosts (origins) follow the same rule.
TEST(OneRule, OriginsAgree) {
    const std::vector<std::string> hosts = {"example.com", "EXAMPLE.COM", "Example.Com", "examplE.com",
                                            "example.co", "example_com", "example-com", "ex@mple.com",
                                            "exampl[.com", "example.c`m", "example.c{m", "a.b.c.d.e.f.g.h.i"};
    const std::vector<std::string> schemes = {"https", "HTTPS", "HttpS", "http", "HTTP"};
    for (const std::string& s1 : schemes)
        for (const std::string& h1 : hosts)
            for (const std::string& h2 : hosts) {
                const std::string ua = s1 + "://" + h1 + "/p", ub = "https://" + h2 + "/p"; // origins view these
                d::origin a, b;
                const bool pa = d::parse_origin(ua, a);
                const bool pb = d::parse_origin(ub, b);
                if (!pa || !pb) continue;
                const bool want = ref_iequals(s1, "https") && ref_iequals(h1, h2);
                EXPECT_EQ(d::same_origin(a, b), want) << s1 << "://" << h1 << " vs " << h2;
                std::string canonical;
                d::origin_text(b, canonical);
                EXPECT_EQ(d::is_origin_text_of(a, canonical), want) << s1 << "://" << h1 << " vs " << canonical;
            }
}

// Every call site that trims a header value agrees: spaces and tabs only.
TEST(OneRule, TrimCallSitesAgree) {
    for (const std::string& v : tricky_values) {
        const std::string want = ref_trim(v);
        EXPECT_EQ(std::string(d::trim_ows(v)), want) << "[" << v << "]";
        // url.hpp: clean_header_url trims the same way (no quotes here)
        EXPECT_EQ(std::string(d::clean_header_url(v)), want) << "[" << v << "]";
        // retry_after.hpp: the value is usable exactly when the trimmed text is 1*DIGIT
        bool digits = !want.empty();
        for (char c : want) digits = digits && c >= '0' && c <= '9';
        for (const char* name : {"retry-after-ms", "x-ms-retry-after-ms", "Retry-After"}) {
            const lro::header h[] = {{name, v}};
            std::uint64_t ms = 0;
            EXPECT_EQ(d::retry_after_ms(h, false, 0, ms), digits) << name << " [" << v << "]";
        }
    }
    // A monitor URL with a stray CR or LF at an end is not repaired: it is refused.
    for (const char* v : {"https://h/x\r", "\rhttps://h/x", "https://h/x\n", "\thttps://h/x\t"}) {
        std::string out;
        const bool clean = ref_trim(v) == "https://h/x";
        EXPECT_EQ(d::resolve_url("https://h/", d::clean_header_url(v), 8192, out) == d::url_error::none, clean) << v;
    }
}

// The query is between the first '?' and the first '#'; every reader and writer agrees.
TEST(OneRule, QueryReadersAgree) {
    const std::vector<std::string> urls = {
        "https://h/x?api-version=1.0",
        "https://h/x#y?api-version=1.0", // a '?' in the fragment: no query
        "https://h/x#?api-version=1.0",
        "https://h/x?a=1#api-version=1.0",
        "https://h/x?api-version=1.0#f",
        "https://h/x?api-version=1.0#f?api-version=2.0",
        "https://h/x?API-VERSION=1.0",
        "https://h/x?api-version=1.0&api-version=2.0",
        "https://h/x?api-version",
        "https://h/x?api-version=",
        "https://h/x?a=1?api-version=1.0", // '?' inside a query is data
        "https://h/x?&&api-version=1.5&",
        "https://h/x?",
        "https://h/x",
        "https://h/x?api-version=1.0%20",
        "https://h/x?api%2Dversion=1.0",
        "https://h/x?api-version=1.0\xC3\xA9",
    };
    for (const std::string& u : urls) {
        std::string want_value;
        const bool want = ref_query_value(u, "api-version", want_value);
        bool found = false;
        const std::string_view got = d::query_param_value(u, "api-version", found);
        EXPECT_EQ(found, want) << u;
        EXPECT_EQ(std::string(got), want_value) << u;
        EXPECT_EQ(d::has_query_param(u, "api-version"), want) << u;

        // follow_monitor: the v1 Location only when the query's api-version starts with "1."
        auto op = lro::follow_monitor(u, lro::options{}, lro::time_point{});
        ASSERT_TRUE(op.has_value()) << u;
        const bool v1 = want && want_value.size() >= 2 && want_value[0] == '1' && want_value[1] == '.';
        EXPECT_EQ(op->observe().version, v1 ? lro::protocol_version::v1 : lro::protocol_version::v2) << u;

        // append_query_param adds the parameter where the readers find it, before the fragment
        std::string added = u;
        d::append_query_param(added, "subscription-key", "K");
        std::string key;
        EXPECT_TRUE(ref_query_value(added, "subscription-key", key)) << added;
        EXPECT_EQ(key, "K") << added;
        EXPECT_TRUE(d::has_query_param(added, "subscription-key")) << added;
        EXPECT_EQ(added.substr(added.find('#') == std::string::npos ? added.size() : added.find('#')),
                  u.substr(u.find('#') == std::string::npos ? u.size() : u.find('#')))
            << added;

        // the credential remover takes it out again, and removes from the query only
        const std::string removed = strip_key(added);
        EXPECT_EQ(removed, ref_without_param(added, "subscription-key")) << added;
        EXPECT_EQ(strip_key(u), ref_without_param(u, "subscription-key")) << u;
        EXPECT_FALSE(ref_query_value(removed, "subscription-key", key)) << removed;
    }
    // The fragment case itself: `x#y?api-version=1.0` has no query, so no api-version.
    bool found = true;
    EXPECT_TRUE(d::query_param_value("https://h/x#y?api-version=1.0", "api-version", found).empty());
    EXPECT_FALSE(found);
    auto op = lro::follow_monitor("https://h/x#y?api-version=1.0", lro::options{}, lro::time_point{});
    ASSERT_TRUE(op.has_value());
    EXPECT_EQ(op->observe().version, lro::protocol_version::v2);
    // A key inside a fragment is fragment text: nothing to remove, the URL is unchanged.
    EXPECT_FALSE(d::has_credential_param("https://h/x#y?subscription-key=K", {}));
    EXPECT_EQ(strip_key("https://h/x#y?subscription-key=K"), "https://h/x#y?subscription-key=K");
    EXPECT_EQ(strip_key("https://h/x?a=1&Subscription-Key=K&b#f?subscription-key=K"), "https://h/x?a=1&b#f?subscription-key=K");
    EXPECT_EQ(strip_key("https://h/x?subscription-key=K#f"), "https://h/x#f");
}

#if AZMAPS_LRO_TEST_CURL
namespace {
namespace cd = azmaps::lro::curl::curl_detail;

/// Feeds raw header lines (terminators included) to the driver's header callback.
std::vector<std::pair<std::string, std::string>> driver_headers(const std::vector<std::string>& lines) {
    cd::transfer t;
    for (std::string line : lines)
        EXPECT_EQ(cd::transfer::on_header(line.data(), 1, line.size(), &t), line.size());
    return t.headers;
}
} // namespace

// The libcurl driver removes the line terminator and then trims exactly like the machine.
TEST(OneRule, CurlDriverTrimsLikeTheMachine) {
    for (const std::string& v : tricky_values) {
        if (v.find('\n') != std::string::npos) continue; // libcurl hands over one line at a time
        for (const char* eol : {"\r\n", "\n"}) {
            if (eol[0] == '\n' && !v.empty() && v.back() == '\r') continue; // that is a CRLF line
            const auto hs = driver_headers({"HTTP/1.1 202 Accepted\r\n", "Retry-After-Ms:" + v + eol, std::string(eol)});
            ASSERT_EQ(hs.size(), 1u) << "[" << v << "]";
            EXPECT_EQ(hs[0].first, "Retry-After-Ms");
            EXPECT_EQ(hs[0].second, ref_trim(v)) << "[" << v << "] " << (eol[0] == '\r' ? "CRLF" : "LF");
            // and the machine reads the driver's value as it reads the raw one
            const lro::header raw[] = {{"retry-after-ms", v}};
            const lro::header fed[] = {{hs[0].first, hs[0].second}};
            std::uint64_t a = 0, b = 0;
            EXPECT_EQ(d::retry_after_ms(raw, false, 0, a), d::retry_after_ms(fed, false, 0, b)) << "[" << v << "]";
            EXPECT_EQ(a, b);
        }
    }
    // names are trimmed the same way; an obs-fold continuation line too
    const auto hs = driver_headers({"HTTP/1.1 200 OK\r\n", "X-A \t: 1\r\n", "\t two \r\n", "x-b:\t\r\n", "\r\n"});
    ASSERT_EQ(hs.size(), 2u);
    EXPECT_EQ(hs[0].first, "X-A");
    EXPECT_EQ(hs[0].second, "1 two");
    EXPECT_EQ(hs[1].first, "x-b");
    EXPECT_EQ(hs[1].second, "");
    // a new response block starts over, whatever the case of "HTTP/"
    EXPECT_TRUE(driver_headers({"HTTP/1.1 100 Continue\r\n", "X: 1\r\n", "http/1.1 200 OK\r\n"}).empty());
}

// The driver's submit-header check and credential stripping use the same rules.
TEST(OneRule, CurlDriverCallSitesAgree) {
    ASSERT_TRUE(cd::global_init());
    CURL* h = curl_easy_init();
    ASSERT_NE(h, nullptr);
    lro::send_request r;
    r.method = "POST";
    r.url = "https://h/x";
    r.purpose = lro::purpose::submit;
    for (const std::string& name : tricky_names) {
        if (name.find_first_of("\r\n\0"s) != std::string::npos || name.find(':') != std::string::npos) continue;
        cd::transfer t;
        lro::curl::request_spec spec;
        spec.body = "{}";
        spec.submit_headers = {name + ": text/plain"};
        ASSERT_TRUE(t.prepare(h, r, spec, {}, {}, 1024));
        bool added = false;
        for (const curl_slist* l = t.header_list; l != nullptr; l = l->next)
            added = added || std::string(l->data) == "Content-Type: application/json";
        EXPECT_EQ(added, !ref_iequals(name, "content-type")) << name;
    }
    // another origin: the key is removed from the query, never from the fragment
    r.purpose = lro::purpose::status;
    r.method = "GET";
    r.same_origin = false;
    for (const char* u : {"https://h/x#y?subscription-key=K", "https://h/x?a=1&SUBSCRIPTION-KEY=K#f?subscription-key=K",
                          "https://h/x?subscription-key=K&subscription-key&a", "https://h/x?a#subscription-key=K"}) {
        r.url = u;
        cd::transfer t;
        ASSERT_TRUE(t.prepare(h, r, {}, {}, {}, 1024));
        EXPECT_EQ(t.url, ref_without_param(u, "subscription-key")) << u;
        std::string v;
        EXPECT_FALSE(ref_query_value(t.url, "subscription-key", v)) << t.url;
        EXPECT_EQ(t.url.substr(t.url.find('#') == std::string::npos ? t.url.size() : t.url.find('#')),
                  std::string(u).substr(std::string(u).find('#') == std::string::npos ? std::string(u).size()
                                                                                       : std::string(u).find('#')))
            << u;
    }
    curl_easy_cleanup(h);
}
#endif
