#include <gtest/gtest.h>

#include "switchyard/api/chat_request.hpp"

using namespace switchyard::api;

namespace {

api_error error_of(std::string_view body) {
    auto r = parse_chat_request(body);
    EXPECT_TRUE(std::holds_alternative<api_error>(r)) << body;
    return std::holds_alternative<api_error>(r) ? std::get<api_error>(r) : api_error{};
}

chat_request ok(std::string_view body) {
    auto r = parse_chat_request(body);
    if (auto* e = std::get_if<api_error>(&r)) ADD_FAILURE() << body << " -> " << e->message;
    return std::holds_alternative<chat_request>(r) ? std::get<chat_request>(r) : chat_request{};
}

} // namespace

TEST(ChatRequest, RejectsBadInputWithParam) {
    struct row {
        const char* body;
        error_kind kind;
        const char* param;
    };
    const row rows[] = {
        {"{not json", error_kind::invalid_json, nullptr},
        {"[1]", error_kind::invalid_value, "body"},
        {R"({"messages":[{"role":"user","content":"hi"}]})", error_kind::missing_parameter, "model"},
        {R"({"model":"m"})", error_kind::missing_parameter, "messages"},
        {R"({"model":"m","messages":[]})", error_kind::invalid_value, "messages"},
        {R"({"model":"m","messages":"hi"})", error_kind::invalid_value, "messages"},
        {R"({"model":"m","messages":[{"role":"wizard","content":"hi"}]})", error_kind::invalid_value, "messages[0].role"},
        {R"({"model":"m","messages":[{"content":"hi"}]})", error_kind::missing_parameter, "messages[0].role"},
        {R"({"model":"m","messages":[{"role":"user","content":"a"}],"n":2})", error_kind::unsupported_value, "n"},
        {R"({"model":"m","messages":[{"role":"user","content":"a"}],"stream":"yes"})", error_kind::invalid_value, "stream"},
        {R"({"model":"m","messages":[{"role":"user","content":"a"}],"temperature":3})", error_kind::invalid_value, "temperature"},
        {R"({"model":"m","messages":[{"role":"user","content":"a"}],"max_tokens":0})", error_kind::invalid_value, "max_tokens"},
        {R"({"model":"m","messages":[{"role":"user","content":"a"}],"stop":["a","b","c","d","e"]})", error_kind::invalid_value,
         "stop"},
        {R"({"model":"m","messages":[{"role":"user","content":"a"}],"tool_choice":"required"})", error_kind::unsupported_value,
         "tool_choice"},
        {R"({"model":"m","messages":[{"role":"user","content":"a"}],"tool_choice":{"type":"function","function":{"name":"f"}}})",
         error_kind::unsupported_value, "tool_choice"},
        {R"({"model":"m","messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{}}]}]})",
         error_kind::unsupported_value, "messages[0].content[0].type"},
        {R"({"model":"m","messages":[{"role":"user","content":[{"type":"text"}]}]})", error_kind::invalid_value,
         "messages[0].content[0].text"},
    };
    for (const auto& r : rows) {
        const auto e = error_of(r.body);
        EXPECT_EQ(e.kind, r.kind) << r.body;
        if (r.param) {
            EXPECT_EQ(e.param.value_or("<none>"), r.param) << r.body;
        }
        EXPECT_FALSE(e.message.empty());
    }
}

TEST(ChatRequest, AcceptsEveryRoleAndContentShape) {
    const auto req = ok(R"({"model":"m","messages":[
        {"role":"developer","content":"dev rules"},
        {"role":"system","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]},
        {"role":"user","content":[{"type":"text","text":"look"},{"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA","detail":"low"}}]},
        {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"f","arguments":"{}"}}]},
        {"role":"tool","tool_call_id":"call_1","content":"42"},
        {"role":"function","name":"f","content":"43"},
        {"role":"user","content":"last"}],
        "unknown_field":{"nested":true},"reasoning_effort":"high","stream_options":{"include_usage":true}})");
    ASSERT_EQ(req.messages.size(), 7u);
    EXPECT_EQ(req.messages[0].role, message_role::system);
    EXPECT_EQ(req.messages[1].text, "a\nb");
    EXPECT_EQ(req.messages[2].images.size(), 1u);
    EXPECT_EQ(req.messages[2].images[0].param, "messages[2].content[1]");
    EXPECT_EQ(req.messages[3].role, message_role::assistant);
    EXPECT_EQ(req.messages[5].role, message_role::tool);
    EXPECT_EQ(req.last_user_text(), "last");
    EXPECT_FALSE(req.stream);
    EXPECT_FALSE(req.include_usage); // stream_options only counts when streaming
}

TEST(ChatRequest, ReadsOptions) {
    const auto req = ok(R"({"model":"m","messages":[{"role":"user","content":"a"}],"stream":true,
        "stream_options":{"include_usage":true},"temperature":0.2,"max_tokens":10,"max_completion_tokens":5,
        "stop":"END","n":1,"tool_choice":"auto","web_search":true,"conversation_id":"conv_1"})");
    EXPECT_TRUE(req.stream);
    EXPECT_TRUE(req.include_usage);
    EXPECT_DOUBLE_EQ(*req.temperature, 0.2);
    EXPECT_EQ(*req.max_tokens, 5);
    EXPECT_EQ(req.stop, std::vector<std::string>{"END"});
    EXPECT_TRUE(req.web_search);
    EXPECT_EQ(*req.conversation_id, "conv_1");
}
