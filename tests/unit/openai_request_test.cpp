#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "switchyard/providers/openai/openai_provider.hpp"

using namespace switchyard;
using nlohmann::json;
using providers::openai::upstream_body;

namespace {

api::chat_request request(std::string_view body) { return std::get<api::chat_request>(api::parse_chat_request(body)); }

providers::model_route route_to(std::string upstream_id) {
    providers::model_route r;
    r.upstream_id = std::move(upstream_id);
    return r;
}

} // namespace

TEST(OpenaiRequest, FieldsPassThroughExceptModelAndConversation) {
    const auto req = request(R"({"model":"ours/m","messages":[{"role":"user","content":"hi \"there\""}],
        "temperature":0.25,"top_k":7,"tools":[{"type":"function","function":{"name":"f"}}],"conversation_id":"conv_1"})");
    const json sent = json::parse(upstream_body(req, route_to("m"), nullptr));
    EXPECT_EQ(sent["model"], "m");
    EXPECT_FALSE(sent.contains("conversation_id"));
    EXPECT_EQ(sent["temperature"], 0.25);
    EXPECT_EQ(sent["top_k"], 7);
    EXPECT_EQ(sent["tools"], req.original["tools"]);
    EXPECT_EQ(sent["messages"], req.original["messages"]);
    EXPECT_FALSE(sent.contains("stream_options"));
}

TEST(OpenaiRequest, StreamsAlwaysAskForUsageAndKeepOtherStreamOptions) {
    const auto plain = json::parse(upstream_body(
        request(R"({"model":"m","stream":true,"messages":[{"role":"user","content":"x"}]})"), route_to("m"), nullptr));
    EXPECT_EQ(plain["stream_options"], json::parse(R"({"include_usage":true})"));
    const auto merged = json::parse(upstream_body(
        request(
            R"({"model":"m","stream":true,"stream_options":{"include_usage":false,"x":1},"messages":[{"role":"user","content":"x"}]})"),
        route_to("m"), nullptr));
    EXPECT_EQ(merged["stream_options"], json::parse(R"({"include_usage":true,"x":1})"));
}

TEST(OpenaiRequest, ConversationHistoryComesFirst) {
    const auto req = request(R"({"model":"m","messages":[{"role":"user","content":"second"}]})");
    const std::vector<api::chat_message> history{{api::message_role::user, "first", {}},
                                                 {api::message_role::assistant, "answer", {}}};
    std::string state;
    const providers::conversation_turn turn{history, state};
    const json sent = json::parse(upstream_body(req, route_to("m"), &turn));
    ASSERT_EQ(sent["messages"].size(), 3u);
    EXPECT_EQ(sent["messages"][0], json::parse(R"({"role":"user","content":"first"})"));
    EXPECT_EQ(sent["messages"][1], json::parse(R"({"role":"assistant","content":"answer"})"));
    EXPECT_EQ(sent["messages"][2]["content"], "second");
}
