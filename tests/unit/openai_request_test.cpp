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
    EXPECT_EQ(sent["tools"], json::parse(R"([{"type":"function","function":{"name":"f"}}])"));
    EXPECT_EQ(sent["tool_choice"], "auto");
    EXPECT_EQ(sent["messages"], json::parse(R"([{"role":"user","content":"hi \"there\""}])"));
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
    std::vector<api::chat_message> history(2);
    history[0].text = "first";
    history[1].role = api::message_role::assistant;
    history[1].text = "answer";
    std::string state;
    const providers::conversation_turn turn{history, state};
    const json sent = json::parse(upstream_body(req, route_to("m"), &turn));
    ASSERT_EQ(sent["messages"].size(), 3u);
    EXPECT_EQ(sent["messages"][0], json::parse(R"({"role":"user","content":"first"})"));
    EXPECT_EQ(sent["messages"][1], json::parse(R"({"role":"assistant","content":"answer"})"));
    EXPECT_EQ(sent["messages"][2]["content"], "second");
}

TEST(OpenaiAnswer, ReadsTextAndUsageFromTheirPathsOnly) {
    using providers::openai::scan_answer;
    const auto whole =
        scan_answer(R"({"id":"x","choices":[{"index":0,"message":{"role":"assistant","content":"caf\u00e9 \"q\"\n\ud83d\ude00"}},
        {"index":1,"message":{"content":"second choice"}}],"content":"top level","usage":{"prompt_tokens":12,"completion_tokens":34,
        "completion_tokens_details":{"reasoning_tokens":5}}})",
                    false);
    ASSERT_TRUE(whole);
    EXPECT_TRUE(whole->has_choices);
    EXPECT_FALSE(whole->has_error);
    EXPECT_EQ(whole->text, "café \"q\"\n😀");
    ASSERT_TRUE(whole->usage);
    EXPECT_EQ(whole->usage->prompt_tokens, 12);
    EXPECT_EQ(whole->usage->completion_tokens, 34);

    const auto chunk =
        scan_answer(R"({"choices":[{"index":0,"delta":{"content":"tok","tool_calls":[{"content":"no"}]}}]})", true);
    ASSERT_TRUE(chunk);
    EXPECT_EQ(chunk->text, "tok");
    EXPECT_FALSE(chunk->usage);
    EXPECT_EQ(scan_answer(R"({"choices":[{"delta":{"content":null}}],"usage":null})", true)->text, "");
    EXPECT_EQ(scan_answer(R"({"choices":[{"message":{"content":"not a delta"}}]})", true)->text, "");
}

TEST(OpenaiAnswer, ErrorsAndInvalidJson) {
    using providers::openai::scan_answer;
    EXPECT_TRUE(scan_answer(R"({"error":{"message":"overloaded"}})", true)->has_error);
    EXPECT_FALSE(scan_answer(R"({"error":1})", true)->has_choices);
    EXPECT_FALSE(scan_answer(R"({"choices":[}")", true));
    EXPECT_FALSE(scan_answer(R"({"choices":[]} trailing)", true));
    // Invalid UTF-8 costs nothing but the bad byte: the text shaper turns it into U+FFFD.
    EXPECT_EQ(scan_answer("{\"choices\":[{\"delta\":{\"content\":\"X\xffY\"}}]}", true)->text, "X\xffY");
    EXPECT_FALSE(scan_answer("", true));
}
