#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

#include "switchyard/turn/json_schema.hpp"

using namespace switchyard::turn;
using nlohmann::json;

namespace {

// Debian's json-schema-test-suite (scripts/install-deps.sh installs it).
const std::filesystem::path suite = "/usr/share/json-schema-test-suite/tests/draft7";

} // namespace

// Every case of the keyword files that function tools use, whose schema stays inside the
// supported subset, must give the suite's verdict.
TEST(JsonSchema, AgreesWithTheJsonSchemaTestSuite) {
    ASSERT_TRUE(std::filesystem::exists(suite)) << "install json-schema-test-suite (scripts/install-deps.sh)";
    const char* files[] = {"type",
                           "properties",
                           "required",
                           "enum",
                           "const",
                           "items",
                           "additionalProperties",
                           "anyOf",
                           "oneOf",
                           "allOf",
                           "not",
                           "minimum",
                           "maximum",
                           "exclusiveMinimum",
                           "exclusiveMaximum",
                           "minLength",
                           "maxLength",
                           "minItems",
                           "maxItems",
                           "definitions",
                           "ref"};
    int ran = 0, skipped = 0;
    for (const char* name : files) {
        std::ifstream in(suite / (std::string(name) + ".json"));
        ASSERT_TRUE(in) << name;
        const json groups = json::parse(in);
        for (const auto& group : groups) {
            if (!schema_uses_supported_keywords(group["schema"])) {
                skipped += static_cast<int>(group["tests"].size());
                continue;
            }
            for (const auto& t : group["tests"]) {
                const bool valid = !schema_violation(group["schema"], t["data"]);
                EXPECT_EQ(valid, t["valid"].get<bool>()) << name << ": " << group["description"] << " / " << t["description"];
                ++ran;
            }
        }
    }
    std::printf("json-schema-test-suite draft7: %d cases run, %d outside the subset\n", ran, skipped);
    EXPECT_GT(ran, 200); // the subset covers most of these files (215 of 254 cases in suite 2.0.0)
}

TEST(JsonSchema, ViolationsNameThePath) {
    const json schema = json::parse(R"({"type":"object","properties":{"city":{"type":"string","minLength":2},
        "units":{"enum":["c","f"]},"days":{"type":"array","items":{"type":"integer","minimum":1}}},
        "required":["city"],"additionalProperties":false})");
    EXPECT_FALSE(schema_violation(schema, json::parse(R"({"city":"Paris","units":"c","days":[1,2]})")));
    EXPECT_EQ(*schema_violation(schema, json::parse(R"({})")), "$: missing the required property 'city'");
    EXPECT_EQ(*schema_violation(schema, json::parse(R"({"city":"P"})")), "$.city: shorter than 2 characters");
    EXPECT_EQ(*schema_violation(schema, json::parse(R"({"city":"Rome","days":[1,0]})")), "$.days[1]: less than the minimum 1");
    EXPECT_EQ(*schema_violation(schema, json::parse(R"({"city":"Rome","x":1})")), "$: the property 'x' is not allowed");
    EXPECT_TRUE(schema_violation(schema, json::parse(R"({"city":"Rome","units":"k"})"))->starts_with("$.units:"));
    // Type arrays, and integers written as 2.0.
    EXPECT_FALSE(schema_violation(json::parse(R"({"type":["integer","null"]})"), json::parse("2.0")));
    EXPECT_FALSE(schema_violation(json::parse(R"({"type":["integer","null"]})"), json()));
}

TEST(JsonSchema, SelfReferenceIsBounded) {
    const json schema = json::parse(R"({"$ref":"#"})");
    EXPECT_TRUE(schema_violation(schema, json::object()).has_value());
}
