// Replays every tests/vectors/*.json in-process (one test case per file, named after its stem)
// and checks that malformed vector files are reported clearly (docs/vectors.md).
#include "vector.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <string>
#include <vector>

namespace {

namespace vec = azmaps::lro::vectors;

const std::vector<std::string>& vector_files() {
    static const std::vector<std::string> files = {
#include "vector_files.inc"
    };
    return files;
}

std::string stem(const std::string& path) {
    const std::size_t slash = path.find_last_of('/');
    std::string s = path.substr(slash == std::string::npos ? 0 : slash + 1);
    const std::size_t dot = s.rfind('.');
    if (dot != std::string::npos) s.resize(dot);
    for (char& c : s)
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    return s;
}

class VectorFile : public ::testing::TestWithParam<std::string> {};

TEST_P(VectorFile, Replays) {
    const vec::load_result l = vec::load_file(GetParam());
    ASSERT_TRUE(l) << l.error;
    const vec::vector_file& v = *l.vector;
    const auto got = vec::run(v);
    ASSERT_EQ(got.size(), v.steps.size()) << v.description;
    for (std::size_t i = 0; i < got.size(); ++i) {
        EXPECT_TRUE(vec::matches(v.expect[i], got[i]))
            << v.name << ": " << v.description << "\n  step " << (i + 1) << ": expected " << vec::to_line(v.expect[i])
            << "\n  got " << vec::to_line(got[i]);
    }
    // The whole-vector check agrees with the step-by-step one.
    EXPECT_EQ(vec::check(v).passed, !::testing::Test::HasFailure());
    // Replaying is deterministic.
    EXPECT_EQ(vec::run(v), got);
}

INSTANTIATE_TEST_SUITE_P(Vectors, VectorFile, ::testing::ValuesIn(vector_files()),
                         [](const ::testing::TestParamInfo<std::string>& info) { return stem(info.param); });

TEST(VectorCorpus, HasEnoughVectors) { EXPECT_GE(vector_files().size(), 80u); }

// --- malformed files -----------------------------------------------------------------------

struct malformed_case {
    const char* file;
    const char* reason; // a substring the message must hold
};

const malformed_case malformed_cases[] = {
    {"bad_json.json", "not valid JSON"},
    {"missing_expect.json", "missing key \"expect\""},
    {"two_kinds.json", "it has response, cancel"},
    {"no_kind.json", "it has none"},
    {"unknown_option.json", "unknown option \"poll_interval_ms\""},
    {"unknown_transport_error.json", "unknown transport error \"dns_failed\""},
    {"body_not_string.json", "steps[0].response.body: must be a string or a byte generator object, not an integer"},
    {"status_not_integer.json", "steps[0].response.status: must be an integer, not a string"},
    {"expect_count.json", "has 1 entries for 2 steps"},
    {"bad_base64.json", "is not valid base64"},
    {"top_level_array.json", "the top level must be an object"},
    {"now_not_integer.json", "steps[0].now_ms: must be an integer, not a non-integer number"},
    {"bad_protocol.json", "protocol: must be \"maps\" or \"azure\", not \"arm\""},
    {"bad_final_state_via.json", "options.final_state_via: must be \"azure-async-operation\""},
};

TEST(MalformedVectors, ClearMessageNamingTheFile) {
    for (const malformed_case& c : malformed_cases) {
        const std::string path = std::string(AZMAPS_LRO_VECTOR_DIR) + "/malformed/" + c.file;
        const vec::load_result l = vec::load_file(path);
        EXPECT_FALSE(l) << path;
        EXPECT_EQ(l.error.rfind(path + ": ", 0), 0u) << l.error;
        EXPECT_NE(l.error.find(c.reason), std::string::npos) << "message: " << l.error << "\nwanted: " << c.reason;
        const vec::check_result r = vec::check_file(path);
        EXPECT_FALSE(r.passed);
        EXPECT_NE(r.message.find("malformed vector"), std::string::npos) << r.message;
    }
}

TEST(MalformedVectors, EveryFileIsCovered) {
    const std::vector<std::string> files = {
#include "malformed_files.inc"
    };
    EXPECT_EQ(files.size(), sizeof malformed_cases / sizeof malformed_cases[0]);
    for (const std::string& f : files) {
        const vec::load_result l = vec::load_file(f);
        EXPECT_FALSE(l) << f << " loads, but lives in malformed/";
    }
}

TEST(MalformedVectors, TextThatIsNoVectorNeverCrashes) {
    const char* texts[] = {"", "{", "null", "[]", "{\"description\":1}", "\xff\xfe", "{\"description\":\"x\",\"request\":{},\"steps\":[],\"expect\":[]}",
                           "{\"description\":\"x\",\"request\":{\"method\":\"POST\",\"url\":\"https://a\"},\"steps\":[{\"now_ms\":0,\"response\":{\"status\":202,\"headers\":[[\"a\"]]}}],\"expect\":[{\"action\":\"request\"}]}",
                           "{\"description\":\"x\",\"request\":{\"method\":\"POST\",\"url\":\"https://a\"},\"steps\":[{\"now_ms\":99999999999999999999,\"cancel\":true}],\"expect\":[{\"action\":\"canceled\"}]}"};
    for (const char* t : texts) {
        const vec::load_result l = vec::load_text(t, "inline.json");
        EXPECT_FALSE(l) << t;
        EXPECT_EQ(l.error.rfind("inline.json: ", 0), 0u) << l.error;
    }
}

TEST(Matching, SubsetOfKeysNestedObjectsArraysExact) {
    using nlohmann::ordered_json;
    const auto actual = ordered_json::parse(R"({"action":"failed","reason":"operation_failed","http_status":200,
        "error":{"code":"A","message":null,"target":null,"details":[{"code":"B","message":null,"target":null}],"innererror":[]},
        "monitor":null,"detail":"x"})");
    EXPECT_TRUE(vec::matches(ordered_json::parse(R"({"action":"failed"})"), actual));
    EXPECT_TRUE(vec::matches(ordered_json::parse(R"({"error":{"code":"A"}})"), actual));
    EXPECT_TRUE(vec::matches(ordered_json::parse(R"({"error":{"details":[{"code":"B"}]}})"), actual));
    EXPECT_FALSE(vec::matches(ordered_json::parse(R"({"error":{"details":[]}})"), actual));
    EXPECT_FALSE(vec::matches(ordered_json::parse(R"({"monitor":"m"})"), actual));
    EXPECT_FALSE(vec::matches(ordered_json::parse(R"({"nothing":null})"), actual));
    EXPECT_FALSE(vec::matches(ordered_json::parse(R"({"error":null})"), actual));
}

// --- captures without expect (lro-replay FILE) ---------------------------------------------

const char* const capture_text = R"({"description": "capture", "request": {"method": "POST", "url": "https://us.atlas.microsoft.com/mapData?api-version=2.0"},
  "steps": [{"now_ms": 0, "response": {"status": 202, "headers": [["Operation-Location", "https://us.atlas.microsoft.com/mapData/operations/1?api-version=2.0"]]}},
            {"now_ms": 2000, "response": {"status": 200, "body": "{\"status\":\"Failed\"}"}}]})";

TEST(Captures, ReplayWithoutExpectCheckNeedsIt) {
    // Printing needs no expect list: a user debugging a capture has none.
    const vec::load_result l = vec::load_text(capture_text, "capture.json", vec::expect_required::no);
    ASSERT_TRUE(l) << l.error;
    EXPECT_FALSE(l.vector->has_expect);
    const auto got = vec::run(*l.vector);
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0]["action"], "request");
    EXPECT_EQ(got[0]["url"], "https://us.atlas.microsoft.com/mapData/operations/1?api-version=2.0");
    EXPECT_EQ(got[0]["delay_ms"], 2000);
    EXPECT_EQ(got[1]["action"], "failed");
    EXPECT_EQ(got[1]["reason"], "operation_failed");
    // Checking does: the same text is malformed for --check, and check() refuses a vector without one.
    const vec::load_result strict = vec::load_text(capture_text, "capture.json");
    EXPECT_FALSE(strict);
    EXPECT_NE(strict.error.find("missing key \"expect\""), std::string::npos) << strict.error;
    const vec::check_result r = vec::check(*l.vector);
    EXPECT_FALSE(r.passed);
    EXPECT_NE(r.message.find("no \"expect\" list"), std::string::npos) << r.message;
}

TEST(Captures, ExpectIsStillValidatedWhenPresent) {
    std::string text = capture_text;
    text.insert(text.size() - 1, R"(, "expect": [{"action": "request"}])");
    const vec::load_result l = vec::load_text(text, "capture.json", vec::expect_required::no);
    EXPECT_FALSE(l);
    EXPECT_NE(l.error.find("has 1 entries for 2 steps"), std::string::npos) << l.error;
}

TEST(Protocol, DefaultIsMapsAzureIsNamed) {
    const vec::load_result maps = vec::load_text(capture_text, "c.json", vec::expect_required::no);
    ASSERT_TRUE(maps);
    EXPECT_EQ(maps.vector->protocol, vec::protocol::maps);
    std::string text = capture_text;
    text.insert(1, R"("protocol": "azure", "options": {"final_state_via": "location", "result_member": "result",
        "succeeded_words": ["Done"], "failed_words": ["Broken"], "canceled_words": ["Stopped"], "resubmit_idempotent": false,
        "credential_query_names": ["sig"]}, )");
    const vec::load_result az = vec::load_text(text, "c.json", vec::expect_required::no);
    ASSERT_TRUE(az) << az.error;
    const azmaps::lro::options& o = az.vector->opts;
    EXPECT_EQ(az.vector->protocol, vec::protocol::azure);
    EXPECT_EQ(o.final_state_via, azmaps::lro::final_state::location);
    EXPECT_EQ(o.result_member, "result");
    EXPECT_EQ(o.succeeded_words, std::vector<std::string>{"Done"});
    EXPECT_EQ(o.failed_words, std::vector<std::string>{"Broken"});
    EXPECT_EQ(o.canceled_words, std::vector<std::string>{"Stopped"});
    EXPECT_FALSE(o.resubmit_idempotent);
    EXPECT_EQ(o.credential_query_names, std::vector<std::string>{"sig"});
    for (const char* fsv : {"azure-async-operation", "original-uri", "operation-location"}) {
        std::string t = capture_text;
        t.insert(1, std::string(R"("options": {"final_state_via": ")") + fsv + R"("}, )");
        EXPECT_TRUE(vec::load_text(t, "c.json", vec::expect_required::no)) << fsv;
    }
}

} // namespace
