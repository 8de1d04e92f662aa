#include <gtest/gtest.h>

#include "switchyard/providers/flowgpt/flowgpt_provider.hpp"
#include "switchyard/providers/upstream_json.hpp"

using namespace switchyard::providers;
using nlohmann::json;

TEST(UpstreamJson, FieldsOfTheWrongTypeReadAsAbsent) {
    for (const char* text : {R"({"success":1,"data":5})", R"({"success":"true","data":[1]})", "[1,2]", "42", "null",
                             R"({"data":null})", "not json"}) {
        const json doc = json::parse(text, nullptr, false);
        EXPECT_FALSE(upstream_json::is_true(doc, "success")) << text;
        EXPECT_EQ(upstream_json::object_field(doc, "data"), nullptr) << text;
        EXPECT_EQ(upstream_json::string_field(doc, "data"), nullptr) << text;
        EXPECT_EQ(upstream_json::text_field(doc, "data"), "") << text;
    }
    const json ok = json::parse(R"({"success":true,"data":{"nonce":"abc","n":5}})");
    EXPECT_TRUE(upstream_json::is_true(ok, "success"));
    ASSERT_NE(upstream_json::object_field(ok, "data"), nullptr);
    EXPECT_EQ(upstream_json::text_field(*upstream_json::object_field(ok, "data"), "nonce"), "abc");
    EXPECT_EQ(upstream_json::text_field(*upstream_json::object_field(ok, "data"), "n"), "");
    EXPECT_EQ(upstream_json::bool_field(json::parse(R"({"success":false})"), "success"), false);
}

TEST(UpstreamJson, ShapeNamesTypesNotValues) {
    EXPECT_EQ(upstream_json::shape(json::parse(R"({"success":1,"nonce":"secret"})"), {"success", "data", "nonce"}),
              "success=number data=missing nonce=string");
    EXPECT_EQ(upstream_json::shape(json::parse("[1]"), {"success"}), "a JSON array");
    EXPECT_EQ(upstream_json::shape(json::parse("{", nullptr, false), {"success"}), "not JSON");
}

TEST(UpstreamJson, FlowgptLinesOfOddShapesCarryNoText) {
    bool malformed = false;
    for (const char* line :
         {R"({"event":1,"data":"x"})", R"({"event":"text","data":5})", R"({"event":null,"data":"x"})", R"({"data":{"a":1}})"}) {
        EXPECT_FALSE(flowgpt::text_of_line(line, malformed)) << line;
        EXPECT_FALSE(malformed) << line;
    }
    EXPECT_FALSE(flowgpt::text_of_line("[1]", malformed));
    EXPECT_TRUE(malformed);
    EXPECT_EQ(flowgpt::text_of_line(R"({"event":"text","data":"hi"})", malformed), "hi");
    EXPECT_EQ(flowgpt::text_of_line(R"({"data":"old"})", malformed), "old");
}
