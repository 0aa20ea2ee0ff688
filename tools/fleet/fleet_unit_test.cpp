// Unit tests of what `fleet submit` stores and what a worker reads back, without a database:
// credential refusal and removal, the options a row carries, the resend rule, the array and
// bytea text that go through libpq. The end-to-end and crash tests are in tests/fleet.
#include <gtest/gtest.h>

#include "fleet.hpp"
#include "pg.hpp"

namespace fleet = azmaps::lro::fleet;
namespace pg = azmaps::lro::fleet::pg;
using json = nlohmann::json;

TEST(FleetSpec, CredentialHeadersAreRecognisedInAnyCase) {
    for (const char* name : {"Authorization", "AUTHORIZATION", "subscription-key", "Ocp-Apim-Subscription-Key",
                             "cookie", "Proxy-Authorization"})
        EXPECT_TRUE(fleet::is_credential_header(name)) << name;
    for (const char* name : {"Content-Type", "x-ms-client-id", "Authorization-Hint", "Cookies2"})
        EXPECT_FALSE(fleet::is_credential_header(name)) << name;
}

TEST(FleetSpec, SubmitRefusesACredentialHeader) {
    fleet::op_spec s;
    s.url = "https://example.com/mapData?api-version=2.0";
    s.headers = json{{"x-ms-client-id", "abc"}, {"Ocp-Apim-Subscription-Key", "secret-value"}};
    std::string error;
    EXPECT_FALSE(fleet::validate(s, error));
    EXPECT_NE(error.find("Ocp-Apim-Subscription-Key is a credential"), std::string::npos) << error;
    EXPECT_EQ(error.find("secret-value"), std::string::npos) << error;
}

TEST(FleetSpec, SubmitRemovesCredentialQueryParameters) {
    fleet::op_spec s;
    s.url = "https://example.com/mapData?Subscription-Key=k1&api-version=2.0&subscription-key=k2";
    std::string error;
    ASSERT_TRUE(fleet::validate(s, error)) << error;
    EXPECT_EQ(s.url, "https://example.com/mapData?api-version=2.0");
    EXPECT_TRUE(s.url_had_credentials);

    fleet::op_spec clean;
    clean.url = "https://example.com/mapData?api-version=2.0";
    ASSERT_TRUE(fleet::validate(clean, error)) << error;
    EXPECT_EQ(clean.url, "https://example.com/mapData?api-version=2.0");
    EXPECT_FALSE(clean.url_had_credentials);
}

TEST(FleetSpec, SubmitChecksWhatAMachineWouldRefuse) {
    std::string error;
    fleet::op_spec ftp;
    ftp.url = "ftp://example.com/x";
    EXPECT_FALSE(fleet::validate(ftp, error));
    fleet::op_spec proto;
    proto.protocol = "soap";
    proto.url = "https://example.com/x";
    EXPECT_FALSE(fleet::validate(proto, error));
    EXPECT_NE(error.find("protocol"), std::string::npos) << error;
    fleet::op_spec lower;
    lower.protocol = "azure";
    lower.method = "put";
    lower.url = "https://management.example.com/r?api-version=1";
    ASSERT_TRUE(fleet::validate(lower, error)) << error;
    EXPECT_EQ(lower.method, "PUT");
    fleet::op_spec v2;
    v2.protocol = "v2";
    v2.url = "https://example.com/x";
    ASSERT_TRUE(fleet::validate(v2, error)) << error;
    EXPECT_EQ(v2.protocol, "maps-v2");
}

TEST(FleetSpec, OptionsBecomeTheMachinesOptions) {
    azmaps::lro::options o;
    std::string error;
    const json j = {{"timeout_s", 1.5},     {"interval_s", 0.25},   {"max_errors", 3},
                    {"max_polls", 7},       {"resubmit", true},     {"fetch", false},
                    {"allow_origins", {"https://b.example.com"}}, {"add_query", {{"api-version", "2.0"}}}};
    ASSERT_TRUE(fleet::options_from_json("maps-v1", j, o, error)) << error;
    ASSERT_TRUE(o.timeout.has_value());
    EXPECT_EQ(o.timeout->count(), 1500);
    EXPECT_EQ(o.default_poll_interval.count(), 250);
    EXPECT_EQ(o.max_consecutive_errors, 3);
    ASSERT_TRUE(o.max_polls.has_value());
    EXPECT_EQ(*o.max_polls, 7u);
    EXPECT_TRUE(o.resubmit_on_ambiguous);
    EXPECT_FALSE(o.fetch_resource);
    EXPECT_EQ(o.version, azmaps::lro::protocol_version::v1);
    ASSERT_EQ(o.allowed_origins.size(), 1u);
    EXPECT_EQ(o.allowed_origins[0], "https://b.example.com");
    ASSERT_EQ(o.add_query.size(), 1u);
    EXPECT_EQ(o.add_query[0].first, "api-version");

    EXPECT_FALSE(fleet::options_from_json("maps", json{{"bogus", 1}}, o, error));
    EXPECT_NE(error.find("unknown option bogus"), std::string::npos) << error;
    EXPECT_FALSE(fleet::options_from_json("maps", json{{"add_query", {{"subscription-key", "x"}}}}, o, error));
    EXPECT_FALSE(fleet::options_from_json("maps", json{{"final_state_via", "location"}}, o, error));
    EXPECT_FALSE(fleet::options_from_json("azure", json{{"final_state_via", "somewhere"}}, o, error));
    ASSERT_TRUE(fleet::options_from_json("azure", json{{"final_state_via", "original-uri"}}, o, error)) << error;
    EXPECT_EQ(o.final_state_via, azmaps::lro::final_state::original_uri);
    EXPECT_FALSE(fleet::options_from_json("maps", json{{"timeout_s", -1}}, o, error));
    EXPECT_FALSE(fleet::options_from_json("maps", json{{"max_errors", 0}}, o, error));
}

TEST(FleetSpec, AnUnansweredSubmitIsResentByTheMachinesRuleOnly) {
    azmaps::lro::options plain, resubmit;
    resubmit.resubmit_on_ambiguous = true;
    EXPECT_FALSE(fleet::resend_allowed("maps", "POST", plain));
    EXPECT_FALSE(fleet::resend_allowed("maps", "PUT", plain)); // creator_policy: only when asked
    EXPECT_TRUE(fleet::resend_allowed("maps", "POST", resubmit));
    EXPECT_TRUE(fleet::resend_allowed("azure", "PUT", plain));
    EXPECT_TRUE(fleet::resend_allowed("azure", "DELETE", plain));
    EXPECT_FALSE(fleet::resend_allowed("azure", "POST", plain));
    EXPECT_FALSE(fleet::resend_allowed("azure", "PATCH", plain));
    azmaps::lro::options no_idem;
    no_idem.resubmit_idempotent = false;
    EXPECT_FALSE(fleet::resend_allowed("azure", "PUT", no_idem));
}

TEST(FleetPg, ArrayLiteralQuotesEveryElement) {
    EXPECT_EQ(pg::array_literal({}), "{}");
    EXPECT_EQ(pg::array_literal({std::string("a"), std::nullopt, std::string("")}), R"({"a",NULL,""})");
    EXPECT_EQ(pg::array_literal({std::string(R"(q"b\s,{})")}), R"({"q\"b\\s,{}"})");
    EXPECT_EQ(pg::array_literal({std::string("NULL")}), R"({"NULL"})");
}

TEST(FleetPg, ByteaHexRoundTrip) {
    const std::string bytes("\x00\x01\x7f\x80\xff{}", 7);
    const std::string h = pg::hex(bytes);
    EXPECT_EQ(h, "00017f80ff7b7d");
    std::string back;
    ASSERT_TRUE(pg::unhex("\\x" + h, back));
    EXPECT_EQ(back, bytes);
    EXPECT_FALSE(pg::unhex("00ff", back));
    EXPECT_FALSE(pg::unhex("\\x0g", back));
    EXPECT_FALSE(pg::unhex("\\x0", back));
}
