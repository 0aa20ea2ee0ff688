// Tests for the OData error parser (include/azmaps/lro/detail/json.hpp, PROTOCOL.md 6, 10.15).
#include <azmaps/lro/detail/json.hpp>

#include <gtest/gtest.h>

#include <string>
#include <string_view>

using namespace std::string_literals;
using namespace std::string_view_literals;
using azmaps::lro::odata_detail;
using azmaps::lro::odata_error;
using azmaps::lro::detail::json_error;
using azmaps::lro::detail::json_kind;
using azmaps::lro::detail::parse_error_body;
using azmaps::lro::detail::parse_odata_error;
using azmaps::lro::detail::scan_status_body;
using azmaps::lro::detail::status_fields;

namespace {

odata_error parse_ok(std::string_view text) {
    odata_error e;
    EXPECT_EQ(parse_odata_error(text, e), json_error::none) << text;
    return e;
}

} // namespace

TEST(OData, SeedFailureDetailsAsObject) {
    const auto body = R"({"operationId":"...","createdDateTime":"...","status":"Failed",
                   "error":{"code":"InvalidFeature","message":"The provided feature is invalid.",
                            "details":{"code":"NoGeometry","message":"No geometry was provided with the feature."}}})"sv;
    status_fields f;
    ASSERT_EQ(scan_status_body(body, f), json_error::none);
    ASSERT_EQ(f.error.kind, json_kind::other);
    odata_error e;
    ASSERT_EQ(parse_odata_error(f.error.raw, e), json_error::none);
    odata_error want;
    want.code = "InvalidFeature";
    want.message = "The provided feature is invalid.";
    want.details = {odata_detail{"NoGeometry", "No geometry was provided with the feature.", ""}};
    EXPECT_EQ(e, want);

    // the same through parse_error_body
    odata_error e2;
    bool has = false;
    ASSERT_EQ(parse_error_body(body, e2, has), json_error::none);
    EXPECT_TRUE(has);
    EXPECT_EQ(e2, want);
}

TEST(OData, DetailsAsArray) {
    const auto e = parse_ok(R"({"code":"BadRequest","message":"m","target":"t","details":[
        {"code":"A","message":"ma","target":"ta"},
        {"code":"B"},
        "not an object", 42, null, [{"code":"nested array ignored"}],
        {"message":"only message","unknown":{"code":"x"}},
        {}
    ]})");
    EXPECT_EQ(e.code, "BadRequest");
    EXPECT_EQ(e.message, "m");
    EXPECT_EQ(e.target, "t");
    ASSERT_EQ(e.details.size(), 4u);
    EXPECT_EQ(e.details[0], (odata_detail{"A", "ma", "ta"}));
    EXPECT_EQ(e.details[1], (odata_detail{"B", "", ""}));
    EXPECT_EQ(e.details[2], (odata_detail{"", "only message", ""}));
    EXPECT_EQ(e.details[3], (odata_detail{"", "", ""}));
    EXPECT_TRUE(e.innererror.empty());
}

TEST(OData, DetailsOtherShapes) {
    EXPECT_TRUE(parse_ok(R"({"details":[]})").details.empty());
    EXPECT_TRUE(parse_ok(R"({"details":null})").details.empty());
    EXPECT_TRUE(parse_ok(R"({"details":"x"})").details.empty());
    EXPECT_TRUE(parse_ok(R"({"details":7})").details.empty());
    EXPECT_EQ(parse_ok(R"({"details":{}})").details.size(), 1u);
    // last "details" key replaces earlier ones
    auto e = parse_ok(R"({"details":[{"code":"a"},{"code":"b"}],"details":{"code":"c"}})");
    ASSERT_EQ(e.details.size(), 1u);
    EXPECT_EQ(e.details[0].code, "c");
    e = parse_ok(R"({"details":[{"code":"a"}],"details":null})");
    EXPECT_TRUE(e.details.empty());
    // duplicates inside a detail
    e = parse_ok(R"({"details":[{"code":"a","code":null,"message":"x","message":"y"}]})");
    ASSERT_EQ(e.details.size(), 1u);
    EXPECT_EQ(e.details[0], (odata_detail{"", "y", ""}));
}

TEST(OData, InnerErrorChain) {
    const auto e = parse_ok(R"({"code":"Outer","innererror":{"code":"L1","innererror":{"code":null,
        "innererror":{"message":"no code","innererror":{"code":"L4","innererror":{"code":5,"innererror":{"code":"L6"}}}}}}})");
    EXPECT_EQ(e.code, "Outer");
    EXPECT_EQ(e.innererror, (std::vector<std::string>{"L1", "L4", "L6"}));
}

TEST(OData, InnerErrorShapes) {
    EXPECT_TRUE(parse_ok(R"({"innererror":{"code":null}})").innererror.empty());
    EXPECT_TRUE(parse_ok(R"({"innererror":null})").innererror.empty());
    EXPECT_TRUE(parse_ok(R"({"innererror":"x"})").innererror.empty());
    EXPECT_TRUE(parse_ok(R"({"innererror":[{"code":"x"}]})").innererror.empty());
    EXPECT_EQ(parse_ok(R"({"innererror":{"code":""}})").innererror, (std::vector<std::string>{""}));
    // last duplicate wins, for code and for the nested link
    EXPECT_EQ(parse_ok(R"({"innererror":{"code":"a"},"innererror":{"code":"b"}})").innererror,
              (std::vector<std::string>{"b"}));
    EXPECT_EQ(parse_ok(R"({"innererror":{"code":"a","code":null,"innererror":{"code":"x"},"innererror":{"code":"y"}}})")
                  .innererror,
              (std::vector<std::string>{"y"}));
    EXPECT_EQ(parse_ok(R"({"innererror":{"code":null,"code":"a"}})").innererror, (std::vector<std::string>{"a"}));
    // a non-object link ends the chain
    EXPECT_EQ(parse_ok(R"({"innererror":{"code":"a","innererror":"b"}})").innererror, (std::vector<std::string>{"a"}));
    // escapes in codes are decoded
    EXPECT_EQ(parse_ok(R"({"innererror":{"code":"a\u00e9\n"}})").innererror, (std::vector<std::string>{"a\xC3\xA9\n"}));
}

TEST(OData, InnerErrorAtMost64Links) {
    auto chain = [](int n) {
        std::string s = "{\"code\":\"top\"";
        for (int i = 0; i < n; ++i) s += ",\"innererror\":{\"code\":\"c" + std::to_string(i) + "\"";
        for (int i = 0; i < n; ++i) s += "}";
        return s + "}";
    };
    odata_error e;
    ASSERT_EQ(parse_odata_error(chain(64), e, 100), json_error::none);
    ASSERT_EQ(e.innererror.size(), 64u);
    EXPECT_EQ(e.innererror.front(), "c0");
    EXPECT_EQ(e.innererror.back(), "c63");
    ASSERT_EQ(parse_odata_error(chain(80), e, 100), json_error::none);
    ASSERT_EQ(e.innererror.size(), 64u);
    EXPECT_EQ(e.innererror.back(), "c63");
    // null codes count as links
    std::string nulls = "{";
    for (int i = 0; i < 70; ++i) nulls += std::string(i ? "," : "") + "\"innererror\":{\"code\":" + (i < 63 ? "null" : "\"c" + std::to_string(i) + "\"");
    for (int i = 0; i < 70; ++i) nulls += "}";
    nulls += "}";
    ASSERT_EQ(parse_odata_error(nulls, e, 100), json_error::none);
    EXPECT_EQ(e.innererror, (std::vector<std::string>{"c63"}));
    // depth: the error object is 1, so 64 nested innererrors need a budget of 65
    EXPECT_EQ(parse_odata_error(chain(64), e), json_error::depth);
    EXPECT_EQ(parse_odata_error(chain(63), e), json_error::none);
    EXPECT_EQ(e.innererror.size(), 63u);
}

TEST(OData, NullOrNonStringIsAbsent) {
    const auto e = parse_ok(R"({"code":null,"message":42,"target":{"x":"y"}})");
    EXPECT_EQ(e, odata_error{});
    // the live service: no top-level message, innererror with null code, extra fields
    const auto live = parse_ok(R"({"code":"InternalServerError","innererror":{"code":null},
        "diagnosticPackageLocation":"https://x/y","details":[]})");
    odata_error want;
    want.code = "InternalServerError";
    EXPECT_EQ(live, want);
}

TEST(OData, DuplicatesLastWins) {
    auto e = parse_ok(R"({"code":"a","code":"b","message":"m","message":null,"target":1,"target":"t"})");
    EXPECT_EQ(e.code, "b");
    EXPECT_EQ(e.message, "");
    EXPECT_EQ(e.target, "t");
}

TEST(OData, EscapedKeysAndValues) {
    const auto e = parse_ok(
        R"({"c\u006fde":"A\"B\\C\/D\bE\fF\nG\rH\tI\u0041\uD83D\uDE00","m\u0065ssage":"caf\u00e9","t\u0061rget":"x",)"
        R"("d\u0065tails":{"\u0063ode":"dc"},"inner\u0065rror":{"\u0063ode":"ic"},"Code":"ignored","code ":"ignored"})");
    EXPECT_EQ(e.code, "A\"B\\C/D\bE\fF\nG\rH\tIA\xF0\x9F\x98\x80");
    EXPECT_EQ(e.message, "caf\xC3\xA9");
    EXPECT_EQ(e.target, "x");
    EXPECT_EQ(e.details, (std::vector<odata_detail>{{"dc", "", ""}}));
    EXPECT_EQ(e.innererror, (std::vector<std::string>{"ic"}));
}

TEST(OData, OutIsReset) {
    odata_error e;
    e.code = "old";
    e.details.push_back({"a", "b", "c"});
    e.innererror.push_back("x");
    ASSERT_EQ(parse_odata_error("{}", e), json_error::none);
    EXPECT_EQ(e, odata_error{});
    e.code = "old";
    EXPECT_EQ(parse_odata_error("[]", e), json_error::not_object);
    EXPECT_EQ(e, odata_error{});
}

TEST(OData, ValidatedLikeABody) {
    odata_error e;
    EXPECT_EQ(parse_odata_error("", e), json_error::empty);
    EXPECT_EQ(parse_odata_error("  ", e), json_error::empty);
    EXPECT_EQ(parse_odata_error("[]", e), json_error::not_object);
    EXPECT_EQ(parse_odata_error("\"x\"", e), json_error::not_object);
    EXPECT_EQ(parse_odata_error("null", e), json_error::not_object);
    EXPECT_EQ(parse_odata_error(" {\"code\":\"a\"} ", e), json_error::none);
    EXPECT_EQ(e.code, "a");
    EXPECT_EQ(parse_odata_error("{\"code\":\"a\"", e), json_error::syntax);
    EXPECT_EQ(parse_odata_error("{\"code\":\"a\"} x", e), json_error::trailing);
    EXPECT_EQ(parse_odata_error("{\"code\":\"\\uD800\"}", e), json_error::bad_escape);
    EXPECT_EQ(parse_odata_error("{\"code\":\"\xC0\x80\"}", e), json_error::bad_utf8);
    EXPECT_EQ(parse_odata_error("{\"x\":01}", e), json_error::bad_number);
    EXPECT_EQ(parse_odata_error("{\"x\":[1,]}", e), json_error::syntax);
    EXPECT_EQ(parse_odata_error("{}", e, 0), json_error::depth);
    EXPECT_EQ(parse_odata_error("{}", e, 1), json_error::none);
    EXPECT_EQ(parse_odata_error("{\"details\":{}}", e, 1), json_error::depth);
    EXPECT_EQ(parse_odata_error("{\"details\":{}}", e, 2), json_error::none);
    const std::string deep = "{\"innererror\":" + std::string(100000, '[');
    EXPECT_EQ(parse_odata_error(deep, e), json_error::depth);
}

TEST(ErrorBody, Shapes) {
    odata_error e;
    bool has = true;
    ASSERT_EQ(parse_error_body(R"({"error":{}})", e, has), json_error::none);
    EXPECT_TRUE(has);
    EXPECT_EQ(e, odata_error{});

    ASSERT_EQ(parse_error_body(R"({"error":null})", e, has), json_error::none);
    EXPECT_FALSE(has);
    ASSERT_EQ(parse_error_body(R"({"error":"oops"})", e, has), json_error::none);
    EXPECT_FALSE(has);
    ASSERT_EQ(parse_error_body(R"({"error":[{"code":"x"}]})", e, has), json_error::none);
    EXPECT_FALSE(has);
    ASSERT_EQ(parse_error_body(R"({"message":"no error member"})", e, has), json_error::none);
    EXPECT_FALSE(has);
    EXPECT_EQ(e, odata_error{});
    // last duplicate wins
    ASSERT_EQ(parse_error_body(R"({"error":{"code":"a"},"error":null})", e, has), json_error::none);
    EXPECT_FALSE(has);
    EXPECT_EQ(e, odata_error{});
    ASSERT_EQ(parse_error_body(R"({"error":null,"error":{"code":"b"}})", e, has), json_error::none);
    EXPECT_TRUE(has);
    EXPECT_EQ(e.code, "b");
    // nested "error" members are not the error
    ASSERT_EQ(parse_error_body(R"({"x":{"error":{"code":"a"}}})", e, has), json_error::none);
    EXPECT_FALSE(has);
}

TEST(ErrorBody, Invalid) {
    odata_error e;
    bool has = true;
    e.code = "stale";
    EXPECT_EQ(parse_error_body("", e, has), json_error::empty);
    EXPECT_FALSE(has);
    EXPECT_EQ(e, odata_error{});
    has = true;
    EXPECT_EQ(parse_error_body("<html>Bad Gateway</html>", e, has), json_error::syntax);
    EXPECT_FALSE(has);
    has = true;
    EXPECT_EQ(parse_error_body(R"([{"error":{"code":"x"}}])", e, has), json_error::not_object);
    EXPECT_FALSE(has);
    has = true;
    EXPECT_EQ(parse_error_body(R"({"error":{"code":"x"}} trailing)", e, has), json_error::trailing);
    EXPECT_FALSE(has);
    has = true;
    EXPECT_EQ(parse_error_body(R"({"error":{"code":"x\uDC00"}})", e, has), json_error::bad_escape);
    EXPECT_FALSE(has);
}

TEST(ErrorBody, DepthBudget) {
    // body depth: top-level 1, error object 2; 64 in total is fine, 65 is not
    auto body = [](int total) {
        std::string s = "{\"error\":{\"code\":\"c\",\"details\":";
        for (int i = 2; i < total; ++i) s += "[";
        s += "0";
        for (int i = 2; i < total; ++i) s += "]";
        return s + "}}";
    };
    odata_error e;
    bool has = false;
    ASSERT_EQ(parse_error_body(body(64), e, has), json_error::none);
    EXPECT_TRUE(has);
    EXPECT_EQ(e.code, "c");
    EXPECT_TRUE(e.details.empty());
    EXPECT_EQ(parse_error_body(body(65), e, has), json_error::depth);
    EXPECT_FALSE(has);
    EXPECT_EQ(parse_error_body(body(10), e, has, 9), json_error::depth);
    EXPECT_EQ(parse_error_body(body(10), e, has, 10), json_error::none);
    EXPECT_TRUE(has);
    EXPECT_EQ(parse_error_body(R"({"error":{}})", e, has, 1), json_error::depth);
    EXPECT_EQ(parse_error_body(R"({"error":{}})", e, has, 2), json_error::none);
    EXPECT_TRUE(has);
}

TEST(ErrorBody, EveryProperPrefixIsAnError) {
    const std::string body =
        R"({"error":{"code":"InvalidFeature","message":"caf\u00e9","details":[{"code":"A"},{"code":"B"}],)"
        R"("innererror":{"code":null,"innererror":{"code":"X"}}}})";
    odata_error e;
    bool has = false;
    ASSERT_EQ(parse_error_body(body, e, has), json_error::none);
    ASSERT_TRUE(has);
    EXPECT_EQ(e.message, "caf\xC3\xA9");
    EXPECT_EQ(e.details.size(), 2u);
    EXPECT_EQ(e.innererror, (std::vector<std::string>{"X"}));
    for (std::size_t n = 0; n < body.size(); ++n) {
        char* exact = new char[n == 0 ? 1 : n];
        std::memcpy(exact, body.data(), n);
        EXPECT_NE(parse_error_body(std::string_view(exact, n), e, has), json_error::none) << n;
        EXPECT_FALSE(has);
        delete[] exact;
    }
}
