#include <azmaps/lro/detail/url.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>

using namespace azmaps::lro::detail;
using namespace std::string_view_literals;

namespace {

constexpr std::size_t big = 8192;

static_assert(noexcept(clean_header_url(""sv)));
static_assert(noexcept(check_absolute_url(""sv, 1)));
static_assert(noexcept(parse_origin(""sv, std::declval<origin&>())));
static_assert(noexcept(same_origin(origin{}, origin{})));
static_assert(noexcept(origin_matches(origin{}, ""sv)));
static_assert(noexcept(has_query_param(""sv, ""sv)));
static_assert(check_absolute_url("https://h/x", 100) == url_error::none);
static_assert(check_absolute_url("ftp://h/x", 100) == url_error::bad_scheme);
static_assert(has_query_param("https://h/?a=1", "a"));

std::string resolve_ok(std::string_view base, std::string_view ref) {
    std::string out;
    EXPECT_TRUE(resolve_reference(base, ref, out)) << ref;
    return out;
}

} // namespace

TEST(Url, ToStringNames) {
    EXPECT_EQ(to_string(url_error::none), "none");
    EXPECT_EQ(to_string(url_error::empty), "empty");
    EXPECT_EQ(to_string(url_error::bad_char), "bad_char");
    EXPECT_EQ(to_string(url_error::bad_scheme), "bad_scheme");
    EXPECT_EQ(to_string(url_error::user_info), "user_info");
    EXPECT_EQ(to_string(url_error::no_host), "no_host");
    EXPECT_EQ(to_string(url_error::bad_port), "bad_port");
    EXPECT_EQ(to_string(url_error::too_long), "too_long");
    EXPECT_EQ(to_string(url_error::malformed), "malformed");
}

TEST(Url, CleanHeaderUrl) {
    EXPECT_EQ(clean_header_url("\"https://atlas.microsoft.com/tileset/{tileset-id}\""),
              "https://atlas.microsoft.com/tileset/{tileset-id}");
    EXPECT_EQ(clean_header_url("https://atlas.microsoft.com/service/operations/{operationId} "),
              "https://atlas.microsoft.com/service/operations/{operationId}");
    EXPECT_EQ(clean_header_url(" \t \"https://h/x\"\t "), "https://h/x");
    EXPECT_EQ(clean_header_url("\"\"x\"\""), "\"x\"");     // one pair only
    EXPECT_EQ(clean_header_url("\"x"), "\"x");             // unbalanced: kept
    EXPECT_EQ(clean_header_url("x\""), "x\"");
    EXPECT_EQ(clean_header_url("\""), "\"");               // length 1: kept
    EXPECT_EQ(clean_header_url("\"\""), "");
    EXPECT_EQ(clean_header_url("\" x \""), " x ");         // no trim inside the quotes
    EXPECT_EQ(clean_header_url(""), "");
    EXPECT_EQ(clean_header_url("   "), "");
    EXPECT_EQ(clean_header_url("\nx\n"), "\nx\n");         // only spaces and tabs are trimmed
}

TEST(Url, SeedsVerbatim) {
    std::string out;
    const auto loc = clean_header_url("\"https://atlas.microsoft.com/tileset/{tileset-id}\"");
    EXPECT_EQ(check_absolute_url(loc, big), url_error::none);
    EXPECT_EQ(resolve_url("https://atlas.microsoft.com/mapData/operations/1?api-version=2.0", loc, big, out),
              url_error::none);
    EXPECT_EQ(out, "https://atlas.microsoft.com/tileset/{tileset-id}");

    const auto op = clean_header_url("https://atlas.microsoft.com/service/operations/{operationId} ");
    EXPECT_EQ(resolve_url("https://atlas.microsoft.com/mapData?api-version=2.0", op, big, out), url_error::none);
    EXPECT_EQ(out, "https://atlas.microsoft.com/service/operations/{operationId}");
    // Uncleaned, the trailing space is refused.
    EXPECT_EQ(resolve_url("https://atlas.microsoft.com/", "https://h/x ", big, out), url_error::bad_char);
    EXPECT_EQ(out, "");
}

// RFC 3986 §5.4.1 and §5.4.2 with base "http://a/b/c/d;p?q".
struct rfc_case {
    const char* ref;
    const char* expected;
};

constexpr std::string_view rfc_base = "http://a/b/c/d;p?q";

constexpr rfc_case rfc_normal[] = {
    {"g:h", "g:h"},
    {"g", "http://a/b/c/g"},
    {"./g", "http://a/b/c/g"},
    {"g/", "http://a/b/c/g/"},
    {"/g", "http://a/g"},
    {"//g", "http://g"},
    {"?y", "http://a/b/c/d;p?y"},
    {"g?y", "http://a/b/c/g?y"},
    {"#s", "http://a/b/c/d;p?q#s"},
    {"g#s", "http://a/b/c/g#s"},
    {"g?y#s", "http://a/b/c/g?y#s"},
    {";x", "http://a/b/c/;x"},
    {"g;x", "http://a/b/c/g;x"},
    {"g;x?y#s", "http://a/b/c/g;x?y#s"},
    {"", "http://a/b/c/d;p?q"},
    {".", "http://a/b/c/"},
    {"./", "http://a/b/c/"},
    {"..", "http://a/b/"},
    {"../", "http://a/b/"},
    {"../g", "http://a/b/g"},
    {"../..", "http://a/"},
    {"../../", "http://a/"},
    {"../../g", "http://a/g"},
};

constexpr rfc_case rfc_abnormal[] = {
    {"../../../g", "http://a/g"},
    {"../../../../g", "http://a/g"},
    {"/./g", "http://a/g"},
    {"/../g", "http://a/g"},
    {"g.", "http://a/b/c/g."},
    {".g", "http://a/b/c/.g"},
    {"g..", "http://a/b/c/g.."},
    {"..g", "http://a/b/c/..g"},
    {"./../g", "http://a/b/g"},
    {"./g/.", "http://a/b/c/g/"},
    {"g/./h", "http://a/b/c/g/h"},
    {"g/../h", "http://a/b/c/h"},
    {"g;x=1/./y", "http://a/b/c/g;x=1/y"},
    {"g;x=1/../y", "http://a/b/c/y"},
    {"g?y/./x", "http://a/b/c/g?y/./x"},
    {"g?y/../x", "http://a/b/c/g?y/../x"},
    {"g#s/./x", "http://a/b/c/g#s/./x"},
    {"g#s/../x", "http://a/b/c/g#s/../x"},
    {"http:g", "http:g"}, // strict parsers
};

TEST(Url, Rfc3986NormalExamples) {
    for (const auto& c : rfc_normal) {
        EXPECT_EQ(resolve_ok(rfc_base, c.ref), c.expected) << c.ref;
        std::string out;
        const url_error e = resolve_url(rfc_base, c.ref, big, out);
        const std::string_view ref = c.ref;
        if (ref.empty()) {
            EXPECT_EQ(e, url_error::empty);
        } else if (ref == "g:h") {
            EXPECT_EQ(e, url_error::bad_scheme);
        } else {
            EXPECT_EQ(e, url_error::none) << c.ref;
            EXPECT_EQ(out, c.expected) << c.ref;
        }
    }
}

TEST(Url, Rfc3986AbnormalExamples) {
    for (const auto& c : rfc_abnormal) {
        EXPECT_EQ(resolve_ok(rfc_base, c.ref), c.expected) << c.ref;
        std::string out;
        const url_error e = resolve_url(rfc_base, c.ref, big, out);
        if (std::string_view(c.ref) == "http:g") {
            EXPECT_EQ(e, url_error::no_host);
        } else {
            EXPECT_EQ(e, url_error::none) << c.ref;
            EXPECT_EQ(out, c.expected) << c.ref;
        }
    }
}

TEST(Url, StrictSchemeReference) {
    std::string out;
    EXPECT_EQ(resolve_url("https://atlas.microsoft.com/a/b", "https:foo", big, out), url_error::no_host);
    EXPECT_EQ(out, "https:foo");
    EXPECT_EQ(resolve_url("https://atlas.microsoft.com/a/b", "HTTPS:foo", big, out), url_error::no_host);
    EXPECT_EQ(resolve_url("https://atlas.microsoft.com/a/b", "http:/x", big, out), url_error::no_host);
    EXPECT_EQ(resolve_url("https://atlas.microsoft.com/a/b", "ftp://h/x", big, out), url_error::bad_scheme);
    EXPECT_EQ(resolve_url("https://atlas.microsoft.com/a/b", "javascript:alert(1)", big, out),
              url_error::bad_scheme);
    EXPECT_EQ(resolve_url("https://atlas.microsoft.com/a/b", "https:/.//evil.com/x", big, out),
              url_error::no_host);
    EXPECT_EQ(resolve_ok("https://atlas.microsoft.com/a/b", "https:/.//evil.com/x"), "https://evil.com/x");
    EXPECT_EQ(resolve_url("https://atlas.microsoft.com/a/b", "/.//evil.com/x", big, out), url_error::none);
    EXPECT_EQ(out, "https://atlas.microsoft.com//evil.com/x");
    EXPECT_EQ(resolve_url("https://atlas.microsoft.com/a/b", "1x:y", big, out), url_error::malformed);
    EXPECT_EQ(resolve_url("https://atlas.microsoft.com/a/b", ":y", big, out), url_error::malformed);
    EXPECT_EQ(out, "");
    // A colon after the first segment is fine.
    EXPECT_EQ(resolve_url("https://h/a/b", "./x:y", big, out), url_error::none);
    EXPECT_EQ(out, "https://h/a/x:y");
    EXPECT_EQ(resolve_url("https://h/a/b", "x/y:z", big, out), url_error::none);
    EXPECT_EQ(out, "https://h/a/x/y:z");
}

TEST(Url, ReferenceKinds) {
    std::string out;
    const std::string_view base = "https://atlas.microsoft.com:443/mapData/operations/abc?api-version=2.0";
    EXPECT_EQ(resolve_url(base, "//us.atlas.microsoft.com/x?y=1", big, out), url_error::none);
    EXPECT_EQ(out, "https://us.atlas.microsoft.com/x?y=1");
    EXPECT_EQ(resolve_url(base, "/tileset/1", big, out), url_error::none);
    EXPECT_EQ(out, "https://atlas.microsoft.com:443/tileset/1");
    EXPECT_EQ(resolve_url(base, "def", big, out), url_error::none);
    EXPECT_EQ(out, "https://atlas.microsoft.com:443/mapData/operations/def");
    EXPECT_EQ(resolve_url(base, "?status=1", big, out), url_error::none);
    EXPECT_EQ(out, "https://atlas.microsoft.com:443/mapData/operations/abc?status=1");
    EXPECT_EQ(resolve_url(base, "?", big, out), url_error::none);
    EXPECT_EQ(out, "https://atlas.microsoft.com:443/mapData/operations/abc?");
    EXPECT_EQ(resolve_url(base, "#frag", big, out), url_error::none);
    EXPECT_EQ(out, "https://atlas.microsoft.com:443/mapData/operations/abc?api-version=2.0#frag");
    EXPECT_EQ(resolve_url(base, "../../x/./y/../z", big, out), url_error::none);
    EXPECT_EQ(out, "https://atlas.microsoft.com:443/x/z");
    EXPECT_EQ(resolve_url(base, "http://other:8080/p", big, out), url_error::none);
    EXPECT_EQ(out, "http://other:8080/p");
    // No normalisation: case and percent-encoding kept (10.20).
    EXPECT_EQ(resolve_url("HTTPS://Atlas.Microsoft.COM/A/b", "%7Euser/%2e%2E/X", big, out), url_error::none);
    EXPECT_EQ(out, "HTTPS://Atlas.Microsoft.COM/A/%7Euser/%2e%2E/X");
    // Base without a path; base with a fragment (ignored).
    EXPECT_EQ(resolve_url("https://h", "x", big, out), url_error::none);
    EXPECT_EQ(out, "https://h/x");
    EXPECT_EQ(resolve_url("https://h?q", "?r", big, out), url_error::none);
    EXPECT_EQ(out, "https://h?r");
    EXPECT_EQ(resolve_url("https://h/a#f", "b", big, out), url_error::none);
    EXPECT_EQ(out, "https://h/b");
    EXPECT_EQ(resolve_url("https://h/a#f", "#g", big, out), url_error::none);
    EXPECT_EQ(out, "https://h/a#g");
    // Network-path with an empty host, with user-info.
    EXPECT_EQ(resolve_url(base, "///x", big, out), url_error::no_host);
    EXPECT_EQ(resolve_url(base, "//evil@atlas.microsoft.com/", big, out), url_error::user_info);
    // A base that is not absolute cannot give an absolute result.
    EXPECT_EQ(resolve_url("/relative/base", "x", big, out), url_error::bad_scheme);
    EXPECT_EQ(resolve_url("", "x", big, out), url_error::bad_scheme);
    EXPECT_EQ(resolve_url("1x:/base", "x", big, out), url_error::bad_scheme);
}

TEST(Url, RefusalReasons) {
    EXPECT_EQ(check_absolute_url("https://atlas.microsoft.com/x?y#z", big), url_error::none);
    EXPECT_EQ(check_absolute_url("http://h", big), url_error::none);
    EXPECT_EQ(check_absolute_url("HtTpS://h/", big), url_error::none);
    EXPECT_EQ(check_absolute_url("https://h/{a}|^`\\\"<>\x80\xff", big), url_error::none);

    EXPECT_EQ(check_absolute_url("", big), url_error::empty);

    EXPECT_EQ(check_absolute_url("https://h/a b", big), url_error::bad_char);
    EXPECT_EQ(check_absolute_url("https://h/a\tb", big), url_error::bad_char);
    EXPECT_EQ(check_absolute_url("https://h/a\r\nX: y", big), url_error::bad_char);
    EXPECT_EQ(check_absolute_url("https://h/\x7f", big), url_error::bad_char);
    EXPECT_EQ(check_absolute_url("https://h/\x01", big), url_error::bad_char);
    EXPECT_EQ(check_absolute_url(std::string_view("https://h/\0", 11), big), url_error::bad_char);
    EXPECT_EQ(check_absolute_url(" https://h/", big), url_error::bad_char);

    EXPECT_EQ(check_absolute_url("ftp://h/", big), url_error::bad_scheme);
    EXPECT_EQ(check_absolute_url("httpx://h/", big), url_error::bad_scheme);
    EXPECT_EQ(check_absolute_url("//h/x", big), url_error::bad_scheme);
    EXPECT_EQ(check_absolute_url("h/x", big), url_error::bad_scheme);
    EXPECT_EQ(check_absolute_url("1https://h/", big), url_error::bad_scheme);
    EXPECT_EQ(check_absolute_url("://h/", big), url_error::bad_scheme);

    EXPECT_EQ(check_absolute_url("https://user@h/", big), url_error::user_info);
    EXPECT_EQ(check_absolute_url("https://user:pw@h/", big), url_error::user_info);
    EXPECT_EQ(check_absolute_url("https://@h/", big), url_error::user_info);
    EXPECT_EQ(check_absolute_url("https://h@evil.com/", big), url_error::user_info);
    EXPECT_EQ(check_absolute_url("https://h/p@q", big), url_error::none); // '@' in the path is fine

    EXPECT_EQ(check_absolute_url("https:foo", big), url_error::no_host);
    EXPECT_EQ(check_absolute_url("https:/foo", big), url_error::no_host);
    EXPECT_EQ(check_absolute_url("https://", big), url_error::no_host);
    EXPECT_EQ(check_absolute_url("https:///x", big), url_error::no_host);
    EXPECT_EQ(check_absolute_url("https://:443/x", big), url_error::no_host);
    EXPECT_EQ(check_absolute_url("https://?x", big), url_error::no_host);
    EXPECT_EQ(check_absolute_url("https://[]/x", big), url_error::no_host);

    EXPECT_EQ(check_absolute_url("https://h:0/", big), url_error::bad_port);
    EXPECT_EQ(check_absolute_url("https://h:65536/", big), url_error::bad_port);
    EXPECT_EQ(check_absolute_url("https://h:99999999999999999999999/", big), url_error::bad_port);
    EXPECT_EQ(check_absolute_url("https://h:-1/", big), url_error::bad_port);
    EXPECT_EQ(check_absolute_url("https://h:+1/", big), url_error::bad_port);
    EXPECT_EQ(check_absolute_url("https://h:8a/", big), url_error::bad_port);
    EXPECT_EQ(check_absolute_url("https://h:80:80/", big), url_error::bad_port);
    EXPECT_EQ(check_absolute_url("https://[::1]:x/", big), url_error::bad_port);
    EXPECT_EQ(check_absolute_url("https://h:65535/", big), url_error::none);
    EXPECT_EQ(check_absolute_url("https://h:1", big), url_error::none);
    EXPECT_EQ(check_absolute_url("https://h:/", big), url_error::none);
    EXPECT_EQ(check_absolute_url("https://h:0443/", big), url_error::none);

    EXPECT_EQ(check_absolute_url("https://h/x", 11), url_error::none);
    EXPECT_EQ(check_absolute_url("https://h/x", 10), url_error::too_long);
    EXPECT_EQ(check_absolute_url("https://h/x", 0), url_error::too_long);
    EXPECT_EQ(check_absolute_url("https://h/ x", 5), url_error::too_long); // too_long first

    EXPECT_EQ(check_absolute_url("https://[::1/", big), url_error::malformed);
    EXPECT_EQ(check_absolute_url("https://[::1]x/", big), url_error::malformed);
    EXPECT_EQ(check_absolute_url("https://[::1]]/", big), url_error::malformed);
    EXPECT_EQ(check_absolute_url("https://[::<1]/", big), url_error::malformed);
    EXPECT_EQ(check_absolute_url("https://evil.com\\.atlas.microsoft.com/", big), url_error::malformed);
    EXPECT_EQ(check_absolute_url("https://a[b/", big), url_error::malformed);
    EXPECT_EQ(check_absolute_url("https://h\xc3\xa9/", big), url_error::malformed);
    EXPECT_EQ(check_absolute_url("https://h{x}/", big), url_error::malformed);
    EXPECT_EQ(check_absolute_url("https://[::1]/", big), url_error::none);
    EXPECT_EQ(check_absolute_url("https://[fe80::1%25eth0]:8443/", big), url_error::none);
    EXPECT_EQ(check_absolute_url("https://127.0.0.1:8080/x", big), url_error::none);
    EXPECT_EQ(check_absolute_url("https://a-b_c~d.e%41!$&'()*+,;=/", big), url_error::none);
}

TEST(Url, ResolveRefusals) {
    std::string out = "junk";
    EXPECT_EQ(resolve_url("https://h/", "", big, out), url_error::empty);
    EXPECT_EQ(out, "");
    EXPECT_EQ(resolve_url("https://h/", "a b", big, out), url_error::bad_char);
    EXPECT_EQ(resolve_url("https://h/", "a\x7f", big, out), url_error::bad_char);
    EXPECT_EQ(resolve_url("https://h/", "\"x\"", big, out), url_error::none); // cleaning is the caller's
    EXPECT_EQ(out, "https://h/\"x\"");
    EXPECT_EQ(resolve_url("https://h/", "//u:p@h/", big, out), url_error::user_info);
    EXPECT_EQ(resolve_url("https://h/", "//h:99999/", big, out), url_error::bad_port);
    EXPECT_EQ(resolve_url("https://h/", "//h\\x/", big, out), url_error::malformed);
}

TEST(Url, MaxLengthAppliesToResolvedUrl) {
    std::string out;
    // "https://h/a/b/" + "c" = 15 bytes
    EXPECT_EQ(resolve_url("https://h/a/b/", "c", 15, out), url_error::none);
    EXPECT_EQ(out, "https://h/a/b/c");
    EXPECT_EQ(resolve_url("https://h/a/b/", "c", 14, out), url_error::too_long);
    EXPECT_EQ(out, "https://h/a/b/c"); // the resolved text is left for diagnostics
    // A reference longer than the limit that resolves to something shorter passes.
    EXPECT_EQ(resolve_url("https://h/", "aaaaaaaaaaaaaaaaaaaa/../b", 12, out), url_error::none);
    EXPECT_EQ(out, "https://h/b");
    // A short reference against a long base can exceed it.
    const std::string long_base = "https://h/" + std::string(100, 'x') + "/";
    EXPECT_EQ(resolve_url(long_base, "y", 100, out), url_error::too_long);
    EXPECT_EQ(resolve_url(long_base, "/y", 100, out), url_error::none);
    EXPECT_EQ(out, "https://h/y");
}

TEST(Url, ParseOrigin) {
    origin o;
    ASSERT_TRUE(parse_origin("HTTPS://Atlas.Microsoft.COM/x?y#z", o));
    EXPECT_EQ(o.scheme, "HTTPS");
    EXPECT_EQ(o.host, "Atlas.Microsoft.COM");
    EXPECT_EQ(o.port, 443);
    ASSERT_TRUE(parse_origin("http://h", o));
    EXPECT_EQ(o.scheme, "http");
    EXPECT_EQ(o.host, "h");
    EXPECT_EQ(o.port, 80);
    ASSERT_TRUE(parse_origin("https://h:/", o));
    EXPECT_EQ(o.port, 443);
    ASSERT_TRUE(parse_origin("http://[::1]:8080/", o));
    EXPECT_EQ(o.host, "[::1]");
    EXPECT_EQ(o.port, 8080);
    ASSERT_TRUE(parse_origin("https://[::1]", o));
    EXPECT_EQ(o.host, "[::1]");
    EXPECT_EQ(o.port, 443);
    EXPECT_FALSE(parse_origin("ftp://h/", o));
    EXPECT_EQ(o.host, "");
    EXPECT_EQ(o.port, 0);
    EXPECT_FALSE(parse_origin("https://u@h/", o));
    EXPECT_FALSE(parse_origin("/relative", o));
    EXPECT_FALSE(parse_origin("", o));
    EXPECT_FALSE(parse_origin("https:foo", o));
}

TEST(Url, SameOrigin) {
    auto same = [](std::string_view a, std::string_view b) {
        origin oa, ob;
        EXPECT_TRUE(parse_origin(a, oa)) << a;
        EXPECT_TRUE(parse_origin(b, ob)) << b;
        EXPECT_EQ(same_origin(oa, ob), same_origin(ob, oa));
        return same_origin(oa, ob);
    };
    EXPECT_TRUE(same("https://atlas.microsoft.com/a", "https://atlas.microsoft.com/b?c"));
    EXPECT_TRUE(same("HTTPS://ATLAS.Microsoft.com/a", "https://atlas.microsoft.com/b"));
    EXPECT_TRUE(same("https://atlas.microsoft.com:443/a", "https://atlas.microsoft.com/b"));
    EXPECT_TRUE(same("https://atlas.microsoft.com:/a", "https://atlas.microsoft.com:443/b"));
    EXPECT_TRUE(same("http://h/", "http://h:80/"));
    EXPECT_TRUE(same("https://h:0443/", "https://h/"));
    EXPECT_FALSE(same("http://atlas.microsoft.com/", "https://atlas.microsoft.com/"));
    EXPECT_FALSE(same("http://h:443/", "https://h/"));
    EXPECT_FALSE(same("https://h:8443/", "https://h/"));
    EXPECT_FALSE(same("https://h:80/", "http://h/"));
    EXPECT_FALSE(same("https://atlas.microsoft.com/", "https://us.atlas.microsoft.com/"));
    EXPECT_FALSE(same("https://atlas.microsoft.com/", "https://atlas.microsoft.com./"));
    EXPECT_FALSE(same("https://atlas.microsoft.com/", "https://atlas.microsoft.com.evil.com/"));
    EXPECT_TRUE(same("https://[::1]/", "https://[::1]:443/"));
    EXPECT_TRUE(same("https://[FE80::1]/", "https://[fe80::1]/"));
    EXPECT_FALSE(same("https://[::1]/", "https://[::2]/"));
    EXPECT_FALSE(same("https://[::1]/", "https://127.0.0.1/"));
    EXPECT_FALSE(same_origin(origin{}, origin{}));
}

TEST(Url, OriginMatchesAllowList) {
    origin o;
    ASSERT_TRUE(parse_origin("https://Atlas.Microsoft.com/x/y?z", o));
    EXPECT_TRUE(origin_matches(o, "https://atlas.microsoft.com"));
    EXPECT_TRUE(origin_matches(o, "https://atlas.microsoft.com/"));
    EXPECT_TRUE(origin_matches(o, "https://atlas.microsoft.com:443"));
    EXPECT_TRUE(origin_matches(o, "https://atlas.microsoft.com:443/"));
    EXPECT_TRUE(origin_matches(o, "HTTPS://ATLAS.MICROSOFT.COM"));
    EXPECT_FALSE(origin_matches(o, "https://atlas.microsoft.com//"));
    EXPECT_FALSE(origin_matches(o, "https://atlas.microsoft.com/x"));
    EXPECT_FALSE(origin_matches(o, "https://atlas.microsoft.com?x"));
    EXPECT_FALSE(origin_matches(o, "https://atlas.microsoft.com#x"));
    EXPECT_FALSE(origin_matches(o, "http://atlas.microsoft.com"));
    EXPECT_FALSE(origin_matches(o, "https://atlas.microsoft.com:444"));
    EXPECT_FALSE(origin_matches(o, "https://us.atlas.microsoft.com"));
    EXPECT_FALSE(origin_matches(o, "atlas.microsoft.com"));
    EXPECT_FALSE(origin_matches(o, "https://*.microsoft.com"));
    EXPECT_FALSE(origin_matches(o, "*"));
    EXPECT_FALSE(origin_matches(o, ""));
    EXPECT_FALSE(origin_matches(o, " https://atlas.microsoft.com"));
    EXPECT_FALSE(origin_matches(o, "https://u@atlas.microsoft.com"));
    EXPECT_FALSE(origin_matches(origin{}, "https://atlas.microsoft.com"));

    ASSERT_TRUE(parse_origin("http://localhost:8080/x", o));
    EXPECT_TRUE(origin_matches(o, "http://localhost:8080"));
    EXPECT_FALSE(origin_matches(o, "http://localhost"));
    EXPECT_FALSE(origin_matches(o, "https://localhost:8080"));

    ASSERT_TRUE(parse_origin("https://[::1]/x", o));
    EXPECT_TRUE(origin_matches(o, "https://[::1]:443/"));
    EXPECT_FALSE(origin_matches(o, "https://::1"));
}

TEST(Url, OriginText) {
    origin o;
    std::string t = "junk";
    ASSERT_TRUE(parse_origin("HTTPS://Atlas.Microsoft.COM/x", o));
    origin_text(o, t);
    EXPECT_EQ(t, "https://atlas.microsoft.com:443");
    ASSERT_TRUE(parse_origin("http://H", o));
    origin_text(o, t);
    EXPECT_EQ(t, "http://h:80");
    ASSERT_TRUE(parse_origin("http://[FE80::1]:8080/", o));
    origin_text(o, t);
    EXPECT_EQ(t, "http://[fe80::1]:8080");
    ASSERT_TRUE(parse_origin("https://h:65535", o));
    origin_text(o, t);
    EXPECT_EQ(t, "https://h:65535");
    ASSERT_TRUE(parse_origin("https://h:1", o));
    origin_text(o, t);
    EXPECT_EQ(t, "https://h:1");
    ASSERT_TRUE(parse_origin("https://h:00010", o));
    origin_text(o, t);
    EXPECT_EQ(t, "https://h:10");
    // The canonical text is itself an allow-list entry matching the origin.
    EXPECT_TRUE(origin_matches(o, t));
}

TEST(Url, HasQueryParam) {
    const std::string_view u = "https://h/p?api-version=2.0&bare&x=1&empty=&=v";
    EXPECT_TRUE(has_query_param(u, "api-version"));
    EXPECT_TRUE(has_query_param(u, "bare"));
    EXPECT_TRUE(has_query_param(u, "x"));
    EXPECT_TRUE(has_query_param(u, "empty"));
    EXPECT_FALSE(has_query_param(u, "api"));
    EXPECT_FALSE(has_query_param(u, "version"));
    EXPECT_FALSE(has_query_param(u, "API-Version")); // exact
    EXPECT_FALSE(has_query_param(u, "2.0"));
    EXPECT_FALSE(has_query_param(u, "v"));
    EXPECT_FALSE(has_query_param(u, ""));
    EXPECT_FALSE(has_query_param("https://h/p", "api-version"));
    EXPECT_FALSE(has_query_param("https://h/p?", "api-version"));
    EXPECT_TRUE(has_query_param("https://h/p?api-version", "api-version"));
    EXPECT_TRUE(has_query_param("https://h/p?a=1&&api-version=1", "api-version"));
    EXPECT_FALSE(has_query_param("https://h/p?x=api-version", "api-version"));
    EXPECT_FALSE(has_query_param("https://h/p?api%2Dversion=1", "api-version")); // no decoding
    EXPECT_TRUE(has_query_param("https://h/p?a=1#frag", "a"));
    EXPECT_FALSE(has_query_param("https://h/p?a=1#api-version=2", "api-version"));
    EXPECT_FALSE(has_query_param("https://h/p#?api-version=2", "api-version"));
    EXPECT_TRUE(has_query_param("https://h/p?a=1?api-version=2", "a"));
    EXPECT_FALSE(has_query_param("https://h/p?a=1?api-version=2", "api-version")); // '?' not a separator
}

TEST(Url, AppendQueryParam) {
    auto app = [](std::string u) {
        append_query_param(u, "api-version", "2.0");
        EXPECT_TRUE(has_query_param(u, "api-version")) << u;
        return u;
    };
    EXPECT_EQ(app("https://h/p"), "https://h/p?api-version=2.0");
    EXPECT_EQ(app("https://h"), "https://h?api-version=2.0");
    EXPECT_EQ(app("https://h/p?a=1"), "https://h/p?a=1&api-version=2.0");
    EXPECT_EQ(app("https://h/p?"), "https://h/p?api-version=2.0");
    EXPECT_EQ(app("https://h/p?a=1&"), "https://h/p?a=1&api-version=2.0");
    EXPECT_EQ(app("https://h/p#frag"), "https://h/p?api-version=2.0#frag");
    EXPECT_EQ(app("https://h/p?a#frag"), "https://h/p?a&api-version=2.0#frag");
    EXPECT_EQ(app("https://h/p?#frag"), "https://h/p?api-version=2.0#frag");
    EXPECT_EQ(app("https://h/p#f?g"), "https://h/p?api-version=2.0#f?g");
    EXPECT_EQ(app("https://h/p?a=1#f?g&h"), "https://h/p?a=1&api-version=2.0#f?g&h");
    std::string u = "https://h/p";
    append_query_param(u, "k", "");
    EXPECT_EQ(u, "https://h/p?k=");
    append_query_param(u, "subscription-key", "abc");
    EXPECT_EQ(u, "https://h/p?k=&subscription-key=abc");
}

TEST(Url, NoCrashOnArbitraryBytes) {
    // Deterministic pseudo-random strings over an alphabet rich in URL delimiters; under
    // ASan/UBSan this checks bounds. Invariants: a resolved URL that passes is absolute and
    // has an origin whose canonical text matches it.
    const char alphabet[] = "hH:/?#@[]%.-_~{}\\ \t\x7f\x80\"01236589abcps";
    std::uint64_t x = 0x9E3779B97F4A7C15ull;
    auto next = [&x]() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        return x;
    };
    std::string a, b, out;
    for (int iter = 0; iter < 20000; ++iter) {
        a = (iter % 3 == 0) ? "https://h/" : (iter % 3 == 1 ? "http://a/b/c/d;p?q" : "");
        b.clear();
        const std::size_t la = next() % 12, lb = next() % 16;
        for (std::size_t i = 0; i < la; ++i) a.push_back(alphabet[next() % (sizeof alphabet - 1)]);
        for (std::size_t i = 0; i < lb; ++i) b.push_back(alphabet[next() % (sizeof alphabet - 1)]);
        (void)clean_header_url(b);
        (void)check_absolute_url(b, 64);
        const url_error e = resolve_url(a, b, 64, out);
        if (e == url_error::none) {
            EXPECT_EQ(check_absolute_url(out, 64), url_error::none) << a << " + " << b;
            origin o;
            EXPECT_TRUE(parse_origin(out, o));
            std::string t;
            origin_text(o, t);
            EXPECT_TRUE(origin_matches(o, t)) << out;
        }
        origin o;
        (void)parse_origin(b, o);
        (void)origin_matches(o, a);
        (void)has_query_param(b, "a");
        std::string c = b;
        append_query_param(c, "k", "v");
    }
}
