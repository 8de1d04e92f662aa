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
        {R"({"model":"m","messages":[{"role":"user","content":"a"}],"tool_choice":"required"})", error_kind::invalid_value,
         "tool_choice"},
        {R"({"model":"m","messages":[{"role":"user","content":"a"}],"tool_choice":{"type":"function","function":{"name":"f"}}})",
         error_kind::invalid_value, "tool_choice"},
        {R"({"model":"m","messages":[{"role":"user","content":"a"}],"tools":[{"type":"function","function":{"name":"f"}}],
            "tool_choice":{"type":"function","function":{"name":"g"}}})",
         error_kind::invalid_value, "tool_choice"},
        {R"({"model":"m","messages":[{"role":"user","content":"a"}],"tools":{}})", error_kind::invalid_value, "tools"},
        {R"({"model":"m","messages":[{"role":"user","content":"a"}],"tools":[{"type":"custom","custom":{"name":"x"}}]})",
         error_kind::unsupported_value, "tools[0].type"},
        {R"({"model":"m","messages":[{"role":"user","content":"a"}],"tools":[{"type":"function","function":{"name":"a b"}}]})",
         error_kind::invalid_value, "tools[0].function.name"},
        {R"({"model":"m","messages":[{"role":"user","content":"a"}],"tools":[{"type":"function","function":{"name":"f"}},
            {"type":"function","function":{"name":"f"}}]})",
         error_kind::invalid_value, "tools[1].function.name"},
        {R"({"model":"m","messages":[{"role":"user","content":"a"}],"tools":[{"type":"function","function":{"name":"f","parameters":[]}}]})",
         error_kind::invalid_value, "tools[0].function.parameters"},
        {R"({"model":"m","messages":[{"role":"tool","content":"42"}]})", error_kind::missing_parameter,
         "messages[0].tool_call_id"},
        {R"({"model":"m","messages":[{"role":"assistant","content":null,"tool_calls":[{"type":"function","function":{"name":"f"}}]}]})",
         error_kind::missing_parameter, "messages[0].tool_calls[0].id"},
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

TEST(ChatRequest, ReadsToolsToolChoiceAndToolMessages) {
    const auto req = ok(R"({"model":"m","messages":[
        {"role":"user","content":"weather?"},
        {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function",
            "function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},
        {"role":"tool","tool_call_id":"call_1","content":"18C"}],
        "tools":[{"type":"function","function":{"name":"get_weather","description":"Weather now",
            "parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]},"strict":true}}],
        "tool_choice":{"type":"function","function":{"name":"get_weather"}},"parallel_tool_calls":false})");
    ASSERT_EQ(req.tools.size(), 1u);
    EXPECT_EQ(req.tools[0].name, "get_weather");
    EXPECT_EQ(req.tools[0].description, "Weather now");
    EXPECT_TRUE(req.tools[0].strict);
    EXPECT_EQ(req.tools[0].parameters["required"][0], "city");
    EXPECT_EQ(req.tool_choice.mode, tool_choice_mode::named);
    EXPECT_EQ(req.tool_choice.name, "get_weather");
    EXPECT_EQ(req.parallel_tool_calls, false);
    ASSERT_EQ(req.messages[1].tool_calls.size(), 1u);
    EXPECT_EQ(req.messages[1].tool_calls[0].id, "call_1");
    EXPECT_EQ(req.messages[1].tool_calls[0].arguments, R"({"city":"Paris"})");
    EXPECT_EQ(req.messages[2].role, message_role::tool);
    EXPECT_EQ(req.messages[2].tool_call_id, "call_1");
    EXPECT_EQ(req.messages[2].text, "18C");
    EXPECT_EQ(ok(R"({"model":"m","messages":[{"role":"user","content":"a"}],"tools":[{"type":"function","function":{"name":"f"}}],
        "tool_choice":"required"})")
                  .tool_choice.mode,
              tool_choice_mode::required);
}

TEST(ChatRequest, LegacyFunctionsBecomeTools) {
    const auto req = ok(R"({"model":"m","messages":[{"role":"user","content":"a"},
        {"role":"assistant","content":null,"function_call":{"name":"f","arguments":"{}"}},
        {"role":"function","name":"f","content":"done"}],
        "functions":[{"name":"f","parameters":{"type":"object"}}],"function_call":{"name":"f"}})");
    ASSERT_EQ(req.tools.size(), 1u);
    EXPECT_EQ(req.tool_choice.mode, tool_choice_mode::named);
    ASSERT_EQ(req.messages[1].tool_calls.size(), 1u);
    EXPECT_EQ(req.messages[1].tool_calls[0].name, "f");
    EXPECT_EQ(req.messages[2].role, message_role::tool);
    EXPECT_EQ(req.messages[2].name, "f");
}

TEST(ChatRequest, UnmodelledFieldsArePassedThroughVerbatim) {
    const auto req = ok(R"({"model":"m","messages":[{"role":"user","content":"a"}],"seed":7,"top_k":3,
        "response_format":{"type":"json_object"},"temperature":0.5,"conversation_id":"c","tools":[]})");
    EXPECT_EQ(req.passthrough, nlohmann::json::parse(R"({"seed":7,"top_k":3,"response_format":{"type":"json_object"}})"));
}
