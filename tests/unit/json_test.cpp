// Tests for the strict JSON scanner (include/azmaps/lro/detail/json.hpp).
#include <azmaps/lro/detail/json.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>

using namespace std::string_literals;
using namespace std::string_view_literals;
using azmaps::lro::detail::json_error;
using azmaps::lro::detail::json_field;
using azmaps::lro::detail::json_kind;
using azmaps::lro::detail::json_string_iequals;
using azmaps::lro::detail::scan_status_body;
using azmaps::lro::detail::status_fields;
using azmaps::lro::detail::unescape_json_string;

namespace {

json_error scan(std::string_view body, int max_depth = 64) {
    status_fields f;
    return scan_status_body(body, f, max_depth);
}

// Wraps a value as the only member of a status body.
json_error scan_value(std::string_view v) {
    return scan("{\"v\":"s + std::string(v) + "}");
}

std::string nested(int depth, bool arrays) {
    // depth containers in total, the top-level object included
    std::string s = "{\"a\":";
    for (int i = 1; i < depth; ++i) s += arrays ? "[" : "{\"k\":";
    s += "1";
    for (int i = 1; i < depth; ++i) s += arrays ? "]" : "}";
    s += "}";
    return s;
}

std::string decode(std::string_view raw) {
    std::string out = "garbage";
    EXPECT_TRUE(unescape_json_string(raw, out)) << raw;
    return out;
}

} // namespace

TEST(JsonError, Names) {
    EXPECT_EQ(to_string(json_error::none), "none");
    EXPECT_EQ(to_string(json_error::empty), "empty");
    EXPECT_EQ(to_string(json_error::not_object), "not_object");
    EXPECT_EQ(to_string(json_error::syntax), "syntax");
    EXPECT_EQ(to_string(json_error::depth), "depth");
    EXPECT_EQ(to_string(json_error::bad_utf8), "bad_utf8");
    EXPECT_EQ(to_string(json_error::bad_escape), "bad_escape");
    EXPECT_EQ(to_string(json_error::bad_number), "bad_number");
    EXPECT_EQ(to_string(json_error::trailing), "trailing");
    static_assert(to_string(json_error::depth) == "depth");
}

// --- PROTOCOL.md section 2, verbatim -----------------------------------------------------------

TEST(StatusBody, V1Running) {
    const auto body = R"({"operationId":"c587574e-add9-4ef7-9788-1635bed9a87e",
               "createdDateTime":"3/11/2020 8:45:13 PM +00:00","status":"Running"})"sv;
    status_fields f;
    ASSERT_EQ(scan_status_body(body, f), json_error::none);
    EXPECT_EQ(f.operation_id.kind, json_kind::string);
    EXPECT_EQ(f.operation_id.raw, "c587574e-add9-4ef7-9788-1635bed9a87e");
    EXPECT_FALSE(f.operation_id.escaped);
    EXPECT_EQ(f.created_date_time.kind, json_kind::string);
    EXPECT_EQ(f.created_date_time.raw, "3/11/2020 8:45:13 PM +00:00");
    EXPECT_EQ(f.status.kind, json_kind::string);
    EXPECT_EQ(f.status.raw, "Running");
    EXPECT_TRUE(json_string_iequals(f.status, "running"));
    EXPECT_FALSE(json_string_iequals(f.status, "Runnin"));
    EXPECT_EQ(f.created.kind, json_kind::absent);
    EXPECT_EQ(f.resource_location.kind, json_kind::absent);
    EXPECT_EQ(f.error.kind, json_kind::absent);
}

TEST(StatusBody, V1Success) {
    const auto body = R"({"operationId":"...","createdDateTime":"3/11/2020 8:45:13 PM +00:00",
               "status":"Succeeded","resourceLocation":"https://atlas.microsoft.com/tileset/{tileset-id}"})"sv;
    status_fields f;
    ASSERT_EQ(scan_status_body(body, f), json_error::none);
    EXPECT_EQ(f.operation_id.raw, "...");
    EXPECT_EQ(f.created_date_time.raw, "3/11/2020 8:45:13 PM +00:00");
    EXPECT_EQ(f.status.raw, "Succeeded");
    EXPECT_EQ(f.resource_location.kind, json_kind::string);
    EXPECT_EQ(f.resource_location.raw, "https://atlas.microsoft.com/tileset/{tileset-id}");
    EXPECT_EQ(f.created.kind, json_kind::absent);
}

TEST(StatusBody, V2Success) {
    const auto body = R"({"operationId":"...","created":"2021-05-06T07:55:19.5256829+00:00","status":"Succeeded"})"sv;
    status_fields f;
    ASSERT_EQ(scan_status_body(body, f), json_error::none);
    EXPECT_EQ(f.created.kind, json_kind::string);
    EXPECT_EQ(f.created.raw, "2021-05-06T07:55:19.5256829+00:00");
    EXPECT_EQ(f.created_date_time.kind, json_kind::absent);
    EXPECT_EQ(f.status.raw, "Succeeded");
    EXPECT_TRUE(json_string_iequals(f.status, "SUCCEEDED"));
}

TEST(StatusBody, Failure) {
    const auto body = R"({"operationId":"...","createdDateTime":"...","status":"Failed",
                   "error":{"code":"InvalidFeature","message":"The provided feature is invalid.",
                            "details":{"code":"NoGeometry","message":"No geometry was provided with the feature."}}})"sv;
    status_fields f;
    ASSERT_EQ(scan_status_body(body, f), json_error::none);
    EXPECT_EQ(f.status.raw, "Failed");
    EXPECT_EQ(f.error.kind, json_kind::other);
    EXPECT_EQ(f.error.raw, R"({"code":"InvalidFeature","message":"The provided feature is invalid.",
                            "details":{"code":"NoGeometry","message":"No geometry was provided with the feature."}})");
    EXPECT_FALSE(f.error.escaped);
}

TEST(StatusBody, UnknownFieldsAndNestedKeysIgnored) {
    const auto body =
        R"({"warning":{"status":"x","error":1},"diagnosticPackageLocation":"u","list":[{"status":"y"},[],{}],)"
        R"("n":-1.5e+10,"t":true,"f":false,"z":null,"status":"Running"})"sv;
    status_fields f;
    ASSERT_EQ(scan_status_body(body, f), json_error::none);
    EXPECT_EQ(f.status.raw, "Running");
    EXPECT_EQ(f.error.kind, json_kind::absent);
}

TEST(StatusBody, KindsAndRaw) {
    status_fields f;
    ASSERT_EQ(scan_status_body(R"( {"status" : null , "error" : [1, {"a":2}] , "created":  12.5e3 ,)"
                               R"("operationId":true,"resourceLocation":{}} )",
                               f),
              json_error::none);
    EXPECT_EQ(f.status.kind, json_kind::null);
    EXPECT_EQ(f.status.raw, "null");
    EXPECT_FALSE(json_string_iequals(f.status, "null"));
    EXPECT_EQ(f.error.kind, json_kind::other);
    EXPECT_EQ(f.error.raw, R"([1, {"a":2}])");
    EXPECT_EQ(f.created.kind, json_kind::other);
    EXPECT_EQ(f.created.raw, "12.5e3");
    EXPECT_EQ(f.operation_id.kind, json_kind::other);
    EXPECT_EQ(f.operation_id.raw, "true");
    EXPECT_EQ(f.resource_location.kind, json_kind::other);
    EXPECT_EQ(f.resource_location.raw, "{}");
}

TEST(StatusBody, EmptyObjectsAndWhitespace) {
    EXPECT_EQ(scan("{}"), json_error::none);
    EXPECT_EQ(scan(" \t\r\n{ \t\r\n} \t\r\n"), json_error::none);
    EXPECT_EQ(scan("{\"a\":[ ],\"b\":{ },\"c\":\"\"}"), json_error::none);
    status_fields f;
    ASSERT_EQ(scan_status_body(R"({"status":""})", f), json_error::none);
    EXPECT_EQ(f.status.kind, json_kind::string);
    EXPECT_EQ(f.status.raw, "");
    EXPECT_TRUE(json_string_iequals(f.status, ""));
    EXPECT_FALSE(json_string_iequals(f.status, "a"));
    // other whitespace is not whitespace
    EXPECT_EQ(scan("\f{}"), json_error::syntax);
    EXPECT_EQ(scan("{}\v"), json_error::trailing);
    EXPECT_EQ(scan("{\xC2\xA0}"), json_error::syntax);
}

TEST(StatusBody, OutIsReset) {
    status_fields f;
    f.status.kind = json_kind::string;
    f.status.raw = "x";
    ASSERT_EQ(scan_status_body("{}", f), json_error::none);
    EXPECT_EQ(f.status.kind, json_kind::absent);
    EXPECT_EQ(f.status.raw, "");
}

TEST(StatusBody, DuplicatesLastWins) {
    status_fields f;
    ASSERT_EQ(scan_status_body(R"({"status":"Running","status":"Succeeded"})", f), json_error::none);
    EXPECT_EQ(f.status.raw, "Succeeded");
    // kind change string -> null
    ASSERT_EQ(scan_status_body(R"({"status":"Running","status":null})", f), json_error::none);
    EXPECT_EQ(f.status.kind, json_kind::null);
    EXPECT_EQ(f.status.raw, "null");
    // kind change object -> string, escaped flag reset
    ASSERT_EQ(scan_status_body(R"({"error":{"code":"a"},"error":"x\ny","error":"plain"})", f), json_error::none);
    EXPECT_EQ(f.error.kind, json_kind::string);
    EXPECT_EQ(f.error.raw, "plain");
    EXPECT_FALSE(f.error.escaped);
    // string (escaped) -> other
    ASSERT_EQ(scan_status_body(R"({"created":"a\"b","created":7})", f), json_error::none);
    EXPECT_EQ(f.created.kind, json_kind::other);
    EXPECT_EQ(f.created.raw, "7");
    EXPECT_FALSE(f.created.escaped);
    // duplicate through an escaped key
    ASSERT_EQ(scan_status_body(R"({"status":"A","st\u0061tus":"B"})", f), json_error::none);
    EXPECT_EQ(f.status.raw, "B");
}

TEST(StatusBody, KeysWithEscapes) {
    status_fields f;
    ASSERT_EQ(scan_status_body(R"({"st\u0061tus":"Running","\u006fperationId":"id","created\u0044ateTime":"d",)"
                               R"("resource\u004Cocation":"r","\u0065\u0072\u0072\u006f\u0072":{},"cr\u0065ated":"c"})",
                               f),
              json_error::none);
    EXPECT_EQ(f.status.raw, "Running");
    EXPECT_EQ(f.operation_id.raw, "id");
    EXPECT_EQ(f.created_date_time.raw, "d");
    EXPECT_EQ(f.resource_location.raw, "r");
    EXPECT_EQ(f.error.raw, "{}");
    EXPECT_EQ(f.created.raw, "c");
    // near misses do not match
    ASSERT_EQ(scan_status_body(R"({"Status":"a","status ":"b","statu":"c","st\u0061tus\u0000":"d",)"
                               R"("\/status":"e","operationID":"f","resourceLocation\u0020":"g"})",
                               f),
              json_error::none);
    EXPECT_EQ(f.status.kind, json_kind::absent);
    EXPECT_EQ(f.operation_id.kind, json_kind::absent);
    EXPECT_EQ(f.resource_location.kind, json_kind::absent);
    // a long escaped key is scanned and ignored
    ASSERT_EQ(scan_status_body(R"({"\u0073\u0074\u0061\u0074\u0075\u0073\u0073\u0074\u0061\u0074\u0075\u0073\u0073\u0074\u0061\u0074\u0075\u0073":1})",
                               f),
              json_error::none);
    EXPECT_EQ(f.status.kind, json_kind::absent);
}

TEST(StatusBody, EscapedValueRaw) {
    status_fields f;
    ASSERT_EQ(scan_status_body(R"({"status":"Run\u006Eing","resourceLocation":"https:\/\/x\/y"})", f), json_error::none);
    EXPECT_EQ(f.status.raw, R"(Run\u006Eing)");
    EXPECT_TRUE(f.status.escaped);
    EXPECT_TRUE(json_string_iequals(f.status, "running"));
    EXPECT_TRUE(json_string_iequals(f.status, "RUNNING"));
    EXPECT_FALSE(json_string_iequals(f.status, "runnin"));
    EXPECT_FALSE(json_string_iequals(f.status, "runningg"));
    EXPECT_EQ(decode(f.resource_location.raw), "https://x/y");
}

// --- escapes -------------------------------------------------------------------------------

TEST(Escapes, EveryKind) {
    status_fields f;
    ASSERT_EQ(scan_status_body(R"({"status":"\"\\\/\b\f\n\r\t\u0041\u00e9\u20AC\uD83D\uDE00\u0000"})", f),
              json_error::none);
    EXPECT_TRUE(f.status.escaped);
    EXPECT_EQ(decode(f.status.raw), "\"\\/\b\f\n\r\tA\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80"s + '\0');
    EXPECT_EQ(decode(R"(\uDBFF\uDFFF)"), "\xF4\x8F\xBF\xBF");
    EXPECT_EQ(decode(R"(\uD800\uDC00)"), "\xF0\x90\x80\x80");
    EXPECT_EQ(decode(R"(\u007F\u0080\u07FF\u0800\uFFFF)"), "\x7F\xC2\x80\xDF\xBF\xE0\xA0\x80\xEF\xBF\xBF");
    EXPECT_EQ(decode("plain \xC3\xA9 text"), "plain \xC3\xA9 text");
    EXPECT_EQ(decode(""), "");
}

TEST(Escapes, Rejected) {
    EXPECT_EQ(scan_value(R"("\a")"), json_error::bad_escape);
    EXPECT_EQ(scan_value(R"("\x41")"), json_error::bad_escape);
    EXPECT_EQ(scan_value(R"("\U0041")"), json_error::bad_escape);
    EXPECT_EQ(scan_value(R"("\')"), json_error::bad_escape);
    EXPECT_EQ(scan_value("\"\\\x01\""), json_error::bad_escape);
    EXPECT_EQ(scan_value(R"("\u12G4")"), json_error::bad_escape);
    EXPECT_EQ(scan_value(R"("\u123")"), json_error::bad_escape);
    EXPECT_EQ(scan_value(R"("\u")"), json_error::bad_escape);
    EXPECT_EQ(scan_value(R"("\u-123")"), json_error::bad_escape);
    // lone and mis-paired surrogates
    EXPECT_EQ(scan_value(R"("\uD800")"), json_error::bad_escape);
    EXPECT_EQ(scan_value(R"("\uDBFFx")"), json_error::bad_escape);
    EXPECT_EQ(scan_value(R"("\uDC00")"), json_error::bad_escape);
    EXPECT_EQ(scan_value(R"("\uDFFF\uD800")"), json_error::bad_escape);
    EXPECT_EQ(scan_value(R"("\uD800\uD800")"), json_error::bad_escape);
    EXPECT_EQ(scan_value(R"("\uD800\u0041")"), json_error::bad_escape);
    EXPECT_EQ(scan_value(R"("\uD800\n")"), json_error::bad_escape);
    EXPECT_EQ(scan_value(R"("\uD800\uDC0")"), json_error::bad_escape);
    EXPECT_EQ(scan_value(R"("\uD800\uDCG0")"), json_error::bad_escape);
    EXPECT_EQ(scan_value(R"("\uD800u\uDC00")"), json_error::bad_escape);
    // also in keys, and in ignored values
    EXPECT_EQ(scan(R"({"\uD800":1})"), json_error::bad_escape);
    EXPECT_EQ(scan(R"({"x":[{"\q":1}]})"), json_error::bad_escape);
    EXPECT_EQ(scan_value(R"(["\uDC00"])"), json_error::bad_escape);
}

TEST(Unescape, StringOverload) {
    std::string out = "previous content that must be replaced";
    ASSERT_TRUE(unescape_json_string(R"(a\nb)", out));
    EXPECT_EQ(out, "a\nb");
    ASSERT_TRUE(unescape_json_string("", out));
    EXPECT_EQ(out, "");
    // invalid bodies
    EXPECT_FALSE(unescape_json_string(R"(a"b)", out));
    EXPECT_FALSE(unescape_json_string(R"(abc\)", out));
    EXPECT_FALSE(unescape_json_string(R"(\u12)", out));
    EXPECT_FALSE(unescape_json_string(R"(\uD800)", out));
    EXPECT_FALSE(unescape_json_string(R"(\uD800\)", out));
    EXPECT_FALSE(unescape_json_string(R"(\uD800\u)", out));
    EXPECT_FALSE(unescape_json_string(R"(\uDC00)", out));
    EXPECT_FALSE(unescape_json_string(R"(\q)", out));
    EXPECT_FALSE(unescape_json_string("a\nb", out));
    EXPECT_FALSE(unescape_json_string("a\0b"sv, out));
    EXPECT_FALSE(unescape_json_string("\xC3", out));
    EXPECT_FALSE(unescape_json_string("\xE2\x82", out));
    EXPECT_FALSE(unescape_json_string("\xC0\x80", out));
    EXPECT_FALSE(unescape_json_string("\x80", out));
    EXPECT_FALSE(unescape_json_string("\xED\xA0\x80", out));
    EXPECT_FALSE(unescape_json_string("\xF4\x90\x80\x80", out));
}

TEST(Unescape, BufferOverload) {
    char buf[8];
    EXPECT_EQ(unescape_json_string(R"(a\tb)", buf, sizeof buf), 3u);
    EXPECT_EQ(std::string_view(buf, 3), "a\tb");
    EXPECT_EQ(unescape_json_string(R"(\uD83D\uDE00)", buf, 4), 4u);
    EXPECT_EQ(std::string_view(buf, 4), "\xF0\x9F\x98\x80");
    EXPECT_EQ(unescape_json_string(R"(\uD83D\uDE00)", buf, 3), SIZE_MAX);
    EXPECT_EQ(unescape_json_string("12345678", buf, 8), 8u);
    EXPECT_EQ(std::string_view(buf, 8), "12345678");
    EXPECT_EQ(unescape_json_string("123456789", buf, 8), SIZE_MAX);
    EXPECT_EQ(unescape_json_string(R"(1234567\n)", buf, 8), 8u);
    EXPECT_EQ(unescape_json_string(R"(1234567\n\n)", buf, 8), SIZE_MAX);
    EXPECT_EQ(unescape_json_string("", buf, 0), 0u);
    EXPECT_EQ(unescape_json_string("", nullptr, 0), 0u);
    EXPECT_EQ(unescape_json_string("a", nullptr, 0), SIZE_MAX);
    EXPECT_EQ(unescape_json_string("a", buf, 0), SIZE_MAX);
    EXPECT_EQ(unescape_json_string(R"(\x)", buf, sizeof buf), SIZE_MAX);
    EXPECT_EQ(unescape_json_string("\"", buf, sizeof buf), SIZE_MAX);
    // long ASCII runs (SWAR path) with an escape in the middle
    char big[64];
    const std::string_view raw = R"(abcdefghijklmnopqrstuvwxyz\u0041BCDEFGHIJKLMNOPQRSTUVWXYZ0123456789)";
    const std::size_t n = unescape_json_string(raw, big, sizeof big);
    ASSERT_EQ(n, 62u);
    EXPECT_EQ(std::string_view(big, n), "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
}

TEST(IEquals, Cases) {
    json_field f;
    EXPECT_FALSE(json_string_iequals(f, ""));
    f.kind = json_kind::other;
    f.raw = "Running";
    EXPECT_FALSE(json_string_iequals(f, "Running"));
    f.kind = json_kind::string;
    EXPECT_TRUE(json_string_iequals(f, "rUNNING"));
    f.raw = R"(\u0052\u0075nning)";
    f.escaped = true;
    EXPECT_TRUE(json_string_iequals(f, "running"));
    EXPECT_FALSE(json_string_iequals(f, "Runnin"));
    EXPECT_FALSE(json_string_iequals(f, "Runningx"));
    f.raw = R"(Cancel\u004CED)";
    EXPECT_TRUE(json_string_iequals(f, "Cancelled"));
    f.raw = R"(Running\u0000)";
    EXPECT_FALSE(json_string_iequals(f, "Running"));
    f.raw = R"(Runnin\)"; // invalid body never matches
    EXPECT_FALSE(json_string_iequals(f, "Runnin"));
    f.raw = R"(\u00e9)";
    EXPECT_FALSE(json_string_iequals(f, "e"));
    EXPECT_TRUE(json_string_iequals(f, "\xC3\xA9"));
    // only ASCII letters fold
    f.raw = "@[`{";
    f.escaped = false;
    EXPECT_FALSE(json_string_iequals(f, "`{@["));
    EXPECT_TRUE(json_string_iequals(f, "@[`{"));
}

// --- UTF-8 ---------------------------------------------------------------------------------

TEST(Utf8, Valid) {
    EXPECT_EQ(scan_value("\"\xC2\x80\xDF\xBF\xE0\xA0\x80\xED\x9F\xBF\xEE\x80\x80\xEF\xBF\xBF\""), json_error::none);
    EXPECT_EQ(scan_value("\"\xF0\x90\x80\x80\xF3\xBF\xBF\xBF\xF4\x8F\xBF\xBF\""), json_error::none);
    EXPECT_EQ(scan_value("\"\x7F\""), json_error::none);
    EXPECT_EQ(scan("{\"k\xC3\xA9y\":\"v\xE2\x82\xACv\"}"), json_error::none);
}

TEST(Utf8, Invalid) {
    const char* bad[] = {
        "\xC0\x80",         "\xC1\xBF",         "\xE0\x80\x80",     "\xE0\x9F\xBF",     // overlong
        "\xF0\x80\x80\x80", "\xF0\x8F\xBF\xBF",                                         // overlong
        "\xED\xA0\x80",     "\xED\xBF\xBF",                                             // surrogates
        "\xF4\x90\x80\x80", "\xF5\x80\x80\x80", "\xF7\xBF\xBF\xBF", "\xF8\x88\x80\x80\x80",
        "\xFC\x84\x80\x80\x80\x80", "\xFE", "\xFF",                                     // > U+10FFFF
        "\x80",             "\xBF",             "a\x80",            "\xC3\xA9\x80",     // stray continuation
        "\xC3",             "\xC3x",            "\xE2\x82",         "\xE2\x82x",        // truncated
        "\xF0\x9F\x98",     "\xF0\x9F",         "\xF0",             "\xC3\xC3\xA9",
    };
    for (const char* s : bad) {
        const std::string v = "\""s + s + "\"";
        EXPECT_EQ(scan_value(v), json_error::bad_utf8) << v;
        EXPECT_EQ(scan("{\"" + std::string(s) + "\":1}"), json_error::bad_utf8) << v;
        EXPECT_EQ(scan_value("[" + v + "]"), json_error::bad_utf8) << v;
        std::string out;
        EXPECT_FALSE(unescape_json_string(s, out)) << v;
    }
    // after a long ASCII run (SWAR path)
    EXPECT_EQ(scan_value("\"abcdefghijklmnop\xC0\x80qrstuvwxyz\""), json_error::bad_utf8);
}

TEST(Strings, ControlCharsAndNul) {
    for (int c = 0; c < 0x20; ++c) {
        std::string v = "\"ab";
        v += static_cast<char>(c);
        v += "cd\"";
        EXPECT_EQ(scan_value(v), json_error::syntax) << c;
        EXPECT_EQ(scan("{\"a" + std::string(1, static_cast<char>(c)) + "\":1}"), json_error::syntax) << c;
        // inside a long run
        EXPECT_EQ(scan_value("\"abcdefghijklmnopq" + std::string(1, static_cast<char>(c)) + "rstuvwxyz\""),
                  json_error::syntax)
            << c;
    }
    EXPECT_EQ(scan("{\"status\":\"Run\0ning\"}"sv), json_error::syntax);
    EXPECT_EQ(scan("{\"status\":\"Running\"}\0"sv), json_error::trailing);
    EXPECT_EQ(scan("{\"status\":\"Running\"} \0 "sv), json_error::trailing);
    EXPECT_EQ(scan("\0{}"sv), json_error::syntax);
    EXPECT_EQ(scan("{\0}"sv), json_error::syntax);
    EXPECT_EQ(scan_value("\"\\u0000\""), json_error::none);
}

// --- grammar -------------------------------------------------------------------------------

TEST(Grammar, TopLevel) {
    EXPECT_EQ(scan(""), json_error::empty);
    EXPECT_EQ(scan(" \t\r\n "), json_error::empty);
    EXPECT_EQ(scan("[]"), json_error::not_object);
    EXPECT_EQ(scan("[1,{\"status\":\"Running\"}]"), json_error::not_object);
    EXPECT_EQ(scan("\"status\""), json_error::not_object);
    EXPECT_EQ(scan(" 1 "), json_error::not_object);
    EXPECT_EQ(scan("null"), json_error::not_object);
    EXPECT_EQ(scan("true"), json_error::not_object);
    // an invalid text reports its own error first
    EXPECT_EQ(scan("[1,"), json_error::syntax);
    EXPECT_EQ(scan("[1] x"), json_error::trailing);
    EXPECT_EQ(scan("01"), json_error::bad_number);
    EXPECT_EQ(scan("x"), json_error::syntax);
    EXPECT_EQ(scan("{}{}"), json_error::trailing);
    EXPECT_EQ(scan("{} x"), json_error::trailing);
    EXPECT_EQ(scan("{},"), json_error::trailing);
    EXPECT_EQ(scan("{}}"), json_error::trailing);
}

TEST(Grammar, ObjectsAndArrays) {
    EXPECT_EQ(scan("{"), json_error::syntax);
    EXPECT_EQ(scan("}"), json_error::syntax);
    EXPECT_EQ(scan("{,}"), json_error::syntax);
    EXPECT_EQ(scan("{\"a\":1,}"), json_error::syntax);
    EXPECT_EQ(scan("{\"a\":1,,\"b\":2}"), json_error::syntax);
    EXPECT_EQ(scan("{\"a\"}"), json_error::syntax);
    EXPECT_EQ(scan("{\"a\":}"), json_error::syntax);
    EXPECT_EQ(scan("{\"a\" 1}"), json_error::syntax);
    EXPECT_EQ(scan("{\"a\"::1}"), json_error::syntax);
    EXPECT_EQ(scan("{\"a\":1 \"b\":2}"), json_error::syntax);
    EXPECT_EQ(scan("{a:1}"), json_error::syntax);
    EXPECT_EQ(scan("{'a':1}"), json_error::syntax);
    EXPECT_EQ(scan("{1:1}"), json_error::syntax);
    EXPECT_EQ(scan("{\"a\":1]"), json_error::syntax);
    EXPECT_EQ(scan_value("[1,]"), json_error::syntax);
    EXPECT_EQ(scan_value("[,1]"), json_error::syntax);
    EXPECT_EQ(scan_value("[,]"), json_error::syntax);
    EXPECT_EQ(scan_value("[1 2]"), json_error::syntax);
    EXPECT_EQ(scan_value("[1}"), json_error::syntax);
    EXPECT_EQ(scan_value("{\"a\":1]"), json_error::syntax);
    EXPECT_EQ(scan_value("{\"a\":1,}"), json_error::syntax);
    EXPECT_EQ(scan_value("{\"a\"}"), json_error::syntax);
    EXPECT_EQ(scan_value("{1:2}"), json_error::syntax);
    EXPECT_EQ(scan_value("[[1],[2,[3,{}]],{\"x\":[]}]"), json_error::none);
    EXPECT_EQ(scan_value("[[1],[2,[3,{}]]],{\"x\":[]}]"), json_error::syntax);
    EXPECT_EQ(scan_value("{\"a\":[1}"), json_error::syntax);
    EXPECT_EQ(scan_value("[{\"a\":1]}"), json_error::syntax);
    EXPECT_EQ(scan_value(""), json_error::syntax);
}

TEST(Grammar, Literals) {
    for (const char* ok : {"true", "false", "null", " true ", "[true,false,null]"})
        EXPECT_EQ(scan_value(ok), json_error::none) << ok;
    for (const char* bad : {"tru", "True", "TRUE", "nul", "NULL", "fals", "falsee", "truex", "nulll", "t", "n", "f",
                            "undefined", "NaN", "Infinity", "'a'"})
        EXPECT_EQ(scan_value(bad), json_error::syntax) << bad;
    EXPECT_EQ(scan("{\"a\":tru"), json_error::syntax);
    EXPECT_EQ(scan("{\"a\":nul"), json_error::syntax);
}

TEST(Grammar, Numbers) {
    for (const char* ok : {"0", "-0", "1", "-1", "10", "1234567890", "0.5", "-0.5", "1.25", "1e5", "1E5", "1e+5",
                           "1e-5", "1.5e-0", "0e0", "-0.0e00", "123.456E+789"})
        EXPECT_EQ(scan_value(ok), json_error::none) << ok;
    for (const char* bad : {"01", "-01", "00", "-", "1.", "-1.", ".5", "-.5", "1e", "1E", "1e+", "1e-", "+1", "1.e5",
                            "1.5.3", "1e5e5", "1e5.3", "1-2", "1+2", "--1", "-a", "2.a"})
        EXPECT_EQ(scan_value(bad), json_error::bad_number) << bad;
    EXPECT_EQ(scan_value("0x10"), json_error::syntax);
    EXPECT_EQ(scan_value("1a"), json_error::syntax);
    EXPECT_EQ(scan_value("-Infinity"), json_error::bad_number);
    // huge numbers are fine: never converted
    const std::string huge = "-" + std::string(5000, '9') + "." + std::string(5000, '1') + "e+" + std::string(5000, '7');
    EXPECT_EQ(scan_value(huge), json_error::none);
    status_fields f;
    const std::string body = "{\"created\":" + huge + "}";
    ASSERT_EQ(scan_status_body(body, f), json_error::none);
    EXPECT_EQ(f.created.kind, json_kind::other);
    EXPECT_EQ(f.created.raw, huge);
    EXPECT_EQ(scan_value("1e99999999999999999999999"), json_error::none);
    EXPECT_EQ(scan_value("[1,-2.5,3e3]"), json_error::none);
    EXPECT_EQ(scan_value("[01]"), json_error::bad_number);
    EXPECT_EQ(scan_value("{\"a\":1.}"), json_error::bad_number);
}

// --- depth ---------------------------------------------------------------------------------

TEST(Depth, Limits) {
    EXPECT_EQ(scan(nested(64, true)), json_error::none);
    EXPECT_EQ(scan(nested(65, true)), json_error::depth);
    EXPECT_EQ(scan(nested(64, false)), json_error::none);
    EXPECT_EQ(scan(nested(65, false)), json_error::depth);
    EXPECT_EQ(scan(nested(2, true), 1), json_error::depth);
    EXPECT_EQ(scan("{\"a\":1}", 1), json_error::none);
    EXPECT_EQ(scan("{}", 0), json_error::depth);
    EXPECT_EQ(scan("{}", -5), json_error::depth);
    EXPECT_EQ(scan(nested(10, false), 10), json_error::none);
    EXPECT_EQ(scan(nested(11, false), 10), json_error::depth);
    // top-level array counts 1 too
    EXPECT_EQ(scan(std::string(64, '[') + std::string(64, ']')), json_error::not_object);
    EXPECT_EQ(scan(std::string(65, '[') + std::string(65, ']')), json_error::depth);
    // siblings do not add up
    std::string wide = "{";
    for (int i = 0; i < 200; ++i) {
        const std::string inner = nested(64, i % 2 == 0); // 63 containers inside the wrapper
        wide += (i ? ",\"" : "\"") + std::to_string(i) + "\":" + inner.substr(5, inner.size() - 6);
    }
    wide += "}";
    EXPECT_EQ(scan(wide), json_error::none);
    EXPECT_EQ(scan(wide, 63), json_error::depth);
    // beyond 64 bits of stack: mixed kinds must still match up
    std::string mixed = "{\"a\":";
    for (int i = 0; i < 300; ++i) mixed += (i % 3 == 0) ? "{\"k\":" : "[";
    mixed += "0";
    for (int i = 299; i >= 0; --i) mixed += (i % 3 == 0) ? "}" : "]";
    mixed += "}";
    EXPECT_EQ(scan(mixed, 301), json_error::none);
    EXPECT_EQ(scan(mixed, 300), json_error::depth);
    std::string wrong = mixed;
    wrong[wrong.size() - 2 - 100] = wrong[wrong.size() - 2 - 100] == '}' ? ']' : '}';
    EXPECT_EQ(scan(wrong, 301), json_error::syntax);
    // a huge max_depth is capped, not trusted
    EXPECT_EQ(scan(nested(azmaps::lro::detail::max_supported_depth, true), 1 << 30), json_error::none);
    EXPECT_EQ(scan(nested(azmaps::lro::detail::max_supported_depth + 1, true), 1 << 30), json_error::depth);
}

TEST(Depth, HundredThousandDeep) {
    const std::string deep_arrays = "{\"a\":" + std::string(100000, '[');
    EXPECT_EQ(scan(deep_arrays), json_error::depth);
    EXPECT_EQ(scan(deep_arrays + std::string(100000, ']') + "}"), json_error::depth);
    std::string deep_objects = "{";
    for (int i = 0; i < 100000; ++i) deep_objects += "\"a\":{";
    EXPECT_EQ(scan(deep_objects), json_error::depth);
    EXPECT_EQ(scan(std::string(100000, '[')), json_error::depth);
    EXPECT_EQ(scan(deep_arrays, 1 << 30), json_error::depth);
}

// --- truncation, fuzz-ish ------------------------------------------------------------------

TEST(Robustness, EveryProperPrefixIsAnError) {
    const std::string_view bodies[] = {
        R"({"operationId":"c587574e-add9-4ef7-9788-1635bed9a87e",
               "createdDateTime":"3/11/2020 8:45:13 PM +00:00","status":"Running"})",
        R"({"operationId":"...","createdDateTime":"...","status":"Failed",
                   "error":{"code":"InvalidFeature","message":"The provided feature is invalid.",
                            "details":{"code":"NoGeometry","message":"No geometry was provided with the feature."}}})",
        R"({"a":[1,-2.5e+3,true,false,null,{"b":"\uD83D\uDE00\n\u00e9"}],"st\u0061tus":"\"x\"","n":0})",
        "{\"k\xC3\xA9\":\"\xF0\x9F\x98\x80\xE2\x82\xAC\"}",
    };
    for (const std::string_view body : bodies) {
        ASSERT_EQ(scan(body), json_error::none) << body;
        for (std::size_t n = 0; n < body.size(); ++n) {
            // copy into an exact-size heap buffer so ASan catches any read past the end
            const std::string prefix(body.substr(0, n));
            const std::size_t len = prefix.size();
            char* exact = new char[len == 0 ? 1 : len];
            if (len != 0) std::memcpy(exact, prefix.data(), len);
            const json_error e = scan(std::string_view(exact, len));
            EXPECT_NE(e, json_error::none) << n;
            delete[] exact;
        }
    }
}

TEST(Robustness, UnescapeOnArbitraryBytes) {
    std::uint32_t x = 12345;
    for (int round = 0; round < 20000; ++round) {
        std::string s;
        const int n = static_cast<int>(x % 24);
        for (int i = 0; i < n; ++i) {
            x = x * 1664525U + 1013904223U;
            static const char alphabet[] = "\\u\"dD8CfF0a9\xC3\xA9\xED\xF0\x80\xBFnx ";
            s += alphabet[(x >> 16) % (sizeof alphabet - 1)];
        }
        x = x * 1664525U + 1013904223U;
        char* exact = new char[s.size() + 1];
        std::memcpy(exact, s.data(), s.size());
        const std::string_view raw(exact, s.size());
        std::string out;
        const bool ok = unescape_json_string(raw, out);
        char buf[32];
        const std::size_t len = unescape_json_string(raw, buf, sizeof buf);
        EXPECT_EQ(ok, len != SIZE_MAX) << s;
        if (ok) {
            EXPECT_EQ(out, std::string_view(buf, len));
            EXPECT_LE(out.size(), raw.size());
            // a body that decodes must also scan as a string value
            EXPECT_EQ(scan_value("\"" + s + "\""), json_error::none) << s;
        }
        json_field f{json_kind::string, raw, true};
        std::string folded = out;
        for (char& c : folded) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
        EXPECT_EQ(json_string_iequals(f, "running"), ok && folded == "running") << s;
        delete[] exact;
    }
}

// --- differential test against nlohmann::json (tests only) -----------------------------------
#if __has_include(<nlohmann/json.hpp>)
#include <nlohmann/json.hpp>

namespace {

struct rng {
    std::uint64_t s;
    std::uint32_t next() {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        return static_cast<std::uint32_t>(s >> 33);
    }
    std::uint32_t below(std::uint32_t n) { return next() % n; }
};

void gen_string(rng& r, std::string& o) {
    static const char* const pieces[] = {
        "a", "Running", " ", "\\\"", "\\\\", "\\/", "\\b", "\\f", "\\n", "\\r", "\\t", "\\u0041", "\\u00e9",
        "\\uD83D\\uDE00", "\\u0000", "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80", "\x7F", "status", "st\\u0061tus"};
    o += '"';
    const std::uint32_t n = r.below(6);
    for (std::uint32_t i = 0; i < n; ++i) o += pieces[r.below(sizeof pieces / sizeof pieces[0])];
    o += '"';
}

void gen_value(rng& r, std::string& o, int depth) {
    const std::uint32_t k = depth > 6 ? r.below(4) : r.below(6);
    switch (k) {
    case 0: gen_string(r, o); break;
    case 1: {
        static const char* const nums[] = {"0", "-0", "1", "-12.5", "3e7", "1E-2", "0.000", "123456789012345678901234567890"};
        o += nums[r.below(8)];
        break;
    }
    case 2: {
        static const char* const lits[] = {"true", "false", "null"};
        o += lits[r.below(3)];
        break;
    }
    case 3: gen_string(r, o); break;
    case 4: {
        o += '[';
        const std::uint32_t n = r.below(4);
        for (std::uint32_t i = 0; i < n; ++i) {
            if (i) o += r.below(2) ? "," : " , ";
            gen_value(r, o, depth + 1);
        }
        o += ']';
        break;
    }
    default: {
        o += '{';
        const std::uint32_t n = r.below(5);
        for (std::uint32_t i = 0; i < n; ++i) {
            if (i) o += ',';
            static const char* const keys[] = {"\"status\"", "\"error\"", "\"created\"", "\"x\"", "\"st\\u0061tus\""};
            if (r.below(3)) o += keys[r.below(5)];
            else gen_string(r, o);
            o += r.below(2) ? ":" : " :\n";
            gen_value(r, o, depth + 1);
        }
        o += '}';
        break;
    }
    }
}

// nlohmann rejects numbers that overflow a double (error 406); RFC 8259 does not, nor do we.
struct overflow_probe {
    bool overflow = false;
    bool null() { return true; }
    bool boolean(bool) { return true; }
    bool number_integer(nlohmann::json::number_integer_t) { return true; }
    bool number_unsigned(nlohmann::json::number_unsigned_t) { return true; }
    bool number_float(nlohmann::json::number_float_t, const std::string&) { return true; }
    bool string(std::string&) { return true; }
    bool binary(nlohmann::json::binary_t&) { return true; }
    bool start_object(std::size_t) { return true; }
    bool key(std::string&) { return true; }
    bool end_object() { return true; }
    bool start_array(std::size_t) { return true; }
    bool end_array() { return true; }
    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& ex) {
        overflow = ex.id == 406;
        return false;
    }
};

} // namespace

// Every byte of a valid body replaced by 37 values (NUL included), each copy in an exact-size
// heap buffer (ASan sees any read past its end): the scanner accepts exactly the copies that
// nlohmann reads as an object, and reads the same status. (No copy can hit nlohmann's quirks:
// one changed byte makes no byte order mark, and a NUL where the value is not complete ends
// nlohmann's input early, which it refuses too.)
TEST(Differential, EveryByteFlipAgreesWithNlohmann) {
    const std::string body =
        R"({"a":[1,-2.5e+3,true,false,null,{"b":"\uD83D\uDE00\n\u00e9"}],"status":"Running","error":{"code":"x"}})";
    int valid = 0, running = 0;
    for (std::size_t i = 0; i < body.size(); ++i) {
        for (int b = 0; b < 256; b += 7) {
            std::string m = body;
            m[i] = static_cast<char>(b);
            char* exact = new char[m.size()];
            std::memcpy(exact, m.data(), m.size());
            status_fields f;
            const json_error ours = scan_status_body(std::string_view(exact, m.size()), f);
            const bool is_running = f.status.kind == json_kind::string && json_string_iequals(f.status, "running");
            delete[] exact;
            const nlohmann::json j = nlohmann::json::parse(m, nullptr, false);
            ASSERT_EQ(ours == json_error::none, !j.is_discarded() && j.is_object()) << i << " " << b << " " << to_string(ours);
            if (ours != json_error::none) continue;
            ++valid;
            std::string want = j.contains("status") && j["status"].is_string() ? j["status"].get<std::string>() : "";
            for (char& c : want) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
            EXPECT_EQ(is_running, want == "running") << m;
            running += is_running;
        }
    }
    // flips inside the strings and of digits keep the body valid; most of them keep "Running"
    EXPECT_GT(valid, 300);
    EXPECT_GT(running, 200);
}

TEST(Differential, AgainstNlohmann) {
    rng r{0x5eed};
    int valid = 0;
    for (int iter = 0; iter < 30000; ++iter) {
        std::string s;
        if (r.below(2)) s += ' ';
        s += '{';
        const std::uint32_t n = r.below(6);
        for (std::uint32_t i = 0; i < n; ++i) {
            if (i) s += ',';
            static const char* const keys[] = {"\"status\"", "\"error\"", "\"created\"", "\"operationId\"", "\"q\"",
                                               "\"st\\u0061tus\""};
            s += keys[r.below(6)];
            s += ':';
            gen_value(r, s, 1);
        }
        s += '}';
        // mutate some of them
        const std::uint32_t muts = r.below(3);
        for (std::uint32_t m = 0; m < muts && !s.empty(); ++m) {
            static const char alphabet[] = "{}[]:,\"\\u0123456789abcdefDdEe.-+ \t\nnulltrue\xC3\xA9\x80\xED\xA0\xF4\x90";
            const std::size_t pos = r.below(static_cast<std::uint32_t>(s.size()));
            const char c = alphabet[r.below(sizeof alphabet - 1)];
            switch (r.below(3)) {
            case 0: s[pos] = c; break;
            case 1: s.insert(s.begin() + static_cast<std::ptrdiff_t>(pos), c); break;
            default: s.erase(pos, 1); break;
            }
        }
        status_fields f;
        const json_error ours = scan_status_body(s, f);
        overflow_probe probe;
        (void)nlohmann::json::sax_parse(s, &probe);
        if (probe.overflow) continue;
        const bool theirs_ok = nlohmann::json::accept(s);
        nlohmann::json j = nlohmann::json::parse(s, nullptr, false);
        const bool theirs_object = theirs_ok && j.is_object();
        ASSERT_EQ(ours == json_error::none, theirs_object) << to_string(ours) << " " << s;
        if (ours == json_error::not_object) {
            EXPECT_TRUE(theirs_ok && !j.is_object()) << s;
        }
        if (ours != json_error::none) continue;
        ++valid;
        const auto it = j.find("status");
        if (it == j.end()) {
            EXPECT_EQ(f.status.kind, json_kind::absent) << s;
        } else if (it->is_string()) {
            ASSERT_EQ(f.status.kind, json_kind::string) << s;
            std::string decoded;
            ASSERT_TRUE(unescape_json_string(f.status.raw, decoded)) << s;
            EXPECT_EQ(decoded, it->get<std::string>()) << s;
            EXPECT_TRUE(json_string_iequals(f.status, it->get<std::string>())) << s;
        } else if (it->is_null()) {
            EXPECT_EQ(f.status.kind, json_kind::null) << s;
        } else {
            EXPECT_EQ(f.status.kind, json_kind::other) << s;
            EXPECT_EQ(nlohmann::json::parse(f.status.raw), *it) << s;
        }
        const auto e = j.find("error");
        if (e != j.end() && !e->is_string() && !e->is_null()) {
            ASSERT_EQ(f.error.kind, json_kind::other) << s;
            EXPECT_EQ(nlohmann::json::parse(f.error.raw), *e) << s;
        }
    }
    EXPECT_GT(valid, 5000);
}
#endif
