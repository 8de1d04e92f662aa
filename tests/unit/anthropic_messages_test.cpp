#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "switchyard/api/anthropic/messages_format.hpp"
#include "switchyard/api/anthropic/messages_request.hpp"

using namespace switchyard;
using api::message_role;
using nlohmann::json;

namespace {

api::chat_request parsed(std::string_view body) {
    auto r = api::anthropic::parse_messages_request(body);
    if (auto* err = std::get_if<api::api_error>(&r)) ADD_FAILURE() << err->message;
    return std::get<api::chat_request>(r);
}

api::api_error refused(std::string_view body) {
    auto r = api::anthropic::parse_messages_request(body);
    EXPECT_TRUE(std::holds_alternative<api::api_error>(r)) << body;
    return std::holds_alternative<api::api_error>(r) ? std::get<api::api_error>(r) : api::api_error{};
}

/// The events of an SSE text: (name, data as JSON).
std::vector<std::pair<std::string, json>> events_of(const std::string& sse) {
    std::vector<std::pair<std::string, json>> out;
    std::size_t at = 0;
    while (at < sse.size()) {
        const auto end = sse.find("\n\n", at);
        EXPECT_NE(end, std::string::npos) << "an event must end with a blank line";
        if (end == std::string::npos) break;
        const std::string frame = sse.substr(at, end - at);
        const auto newline = frame.find('\n');
        EXPECT_EQ(frame.rfind("event: ", 0), 0u) << frame;
        EXPECT_EQ(frame.compare(newline + 1, 6, "data: "), 0) << frame;
        out.emplace_back(frame.substr(7, newline - 7), json::parse(frame.substr(newline + 7)));
        at = end + 2;
    }
    return out;
}

} // namespace

TEST(AnthropicRequest, SystemMessagesToolsAndChoiceBecomeTheNeutralRequest) {
    const auto req = parsed(R"({"model":"m","max_tokens":64,"stream":true,"temperature":0.2,"stop_sequences":["END",""],
        "system":[{"type":"text","text":"be brief"},{"type":"text","text":"be kind","cache_control":{"type":"ephemeral"}}],
        "tools":[{"name":"Read","description":"read a file","input_schema":{"type":"object"}},
                 {"type":"web_search_20250305","name":"web_search"}],
        "tool_choice":{"type":"tool","name":"Read","disable_parallel_tool_use":true},
        "thinking":{"type":"enabled","budget_tokens":1024},"metadata":{"user_id":"u"},
        "messages":[
          {"role":"user","content":[{"type":"text","text":"look"},
             {"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBOR"}}]},
          {"role":"assistant","content":[{"type":"thinking","thinking":"hmm","signature":"s"},{"type":"text","text":"ok"},
             {"type":"tool_use","id":"toolu_1","name":"Read","input":{"file_path":"a.txt"}}]},
          {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":[{"type":"text","text":"line 1"}]},
             {"type":"tool_result","tool_use_id":"toolu_2","content":"denied","is_error":true},
             {"type":"text","text":"thanks"}]}]})");
    EXPECT_EQ(req.model, "m");
    EXPECT_EQ(req.max_tokens, 64);
    EXPECT_TRUE(req.stream);
    EXPECT_EQ(req.temperature, 0.2);
    EXPECT_EQ(req.stop, std::vector<std::string>{"END"});
    ASSERT_EQ(req.messages.size(), 6u);
    EXPECT_EQ(req.messages[0].role, message_role::system);
    EXPECT_EQ(req.messages[0].text, "be brief\nbe kind");
    EXPECT_EQ(req.messages[1].text, "look");
    ASSERT_EQ(req.messages[1].images.size(), 1u);
    EXPECT_EQ(req.messages[1].images[0].url, "data:image/png;base64,iVBOR");
    EXPECT_EQ(req.messages[2].role, message_role::assistant);
    EXPECT_EQ(req.messages[2].text, "ok"); // thinking is the model's own, not sent back
    ASSERT_EQ(req.messages[2].tool_calls.size(), 1u);
    EXPECT_EQ(req.messages[2].tool_calls[0].id, "toolu_1");
    EXPECT_EQ(json::parse(req.messages[2].tool_calls[0].arguments), json::parse(R"({"file_path":"a.txt"})"));
    EXPECT_EQ(req.messages[3].role, message_role::tool);
    EXPECT_EQ(req.messages[3].tool_call_id, "toolu_1");
    EXPECT_EQ(req.messages[3].text, "line 1");
    EXPECT_EQ(req.messages[4].text, "Error: denied");
    EXPECT_EQ(req.messages[5].role, message_role::user); // what follows the results comes after them
    EXPECT_EQ(req.messages[5].text, "thanks");
    ASSERT_EQ(req.tools.size(), 1u); // the server tool is skipped
    EXPECT_EQ(req.tools[0].name, "Read");
    EXPECT_EQ(req.tool_choice.mode, api::tool_choice_mode::named);
    EXPECT_EQ(req.tool_choice.name, "Read");
    EXPECT_EQ(req.parallel_tool_calls, false);
}

TEST(AnthropicRequest, BadRequestsNameTheField) {
    EXPECT_EQ(refused(R"({"model":"m","messages":[{"role":"user","content":"x"}]})").param, "max_tokens");
    EXPECT_EQ(refused(R"({"max_tokens":1,"messages":[{"role":"user","content":"x"}]})").param, "model");
    EXPECT_EQ(refused(R"({"model":"m","max_tokens":1,"messages":[]})").param, "messages");
    EXPECT_EQ(refused(R"({"model":"m","max_tokens":1,"system":"s","messages":[{"role":"user","content":[]}]})").param,
              "messages"); // nothing left to answer
    EXPECT_EQ(refused(R"({"model":"m","max_tokens":0,"messages":[{"role":"user","content":"x"}]})").param, "max_tokens");
    EXPECT_EQ(refused(R"({"model":"m","max_tokens":1,"messages":[{"role":"system","content":"x"}]})").param, "messages.0.role");
    EXPECT_EQ(refused(R"({"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"video"}]}]})").param,
              "messages.0.content.0.type");
    const auto pdf = refused(R"({"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"document",
        "source":{"type":"base64","media_type":"application/pdf","data":"JVBE"}}]}]})");
    EXPECT_EQ(pdf.kind, api::error_kind::unsupported_value);
    const auto bash = refused(
        R"({"model":"m","max_tokens":1,"tools":[{"type":"bash_20250124","name":"bash"}],"messages":[{"role":"user","content":"x"}]})");
    EXPECT_EQ(bash.param, "tools.0.type");
    const auto text_doc = parsed(R"({"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"document",
        "source":{"type":"text","media_type":"text/plain","data":"the notes"}},{"type":"text","text":"summarise"}]}]})");
    EXPECT_EQ(text_doc.messages.at(0).text, "the notes\nsummarise");
    EXPECT_EQ(
        refused(R"({"model":"m","max_tokens":1,"tool_choice":{"type":"any"},"messages":[{"role":"user","content":"x"}]})").param,
        "tool_choice");
    EXPECT_EQ(
        refused(
            R"({"model":"m","max_tokens":1,"tools":[{"name":"a b","input_schema":{}}],"messages":[{"role":"user","content":"x"}]})")
            .param,
        "tools.0.name");
    EXPECT_EQ(refused("[1,2]").kind, api::error_kind::invalid_json);
    EXPECT_EQ(refused(std::string(100, '[')).kind, api::error_kind::invalid_json);
    // count_tokens bodies have no max_tokens
    EXPECT_TRUE(std::holds_alternative<api::chat_request>(
        api::anthropic::parse_messages_request(R"({"model":"m","messages":[{"role":"user","content":"x"}]})", true)));
}

TEST(AnthropicEncoder, AStreamOpensAndClosesOneBlockPerKindInOrder) {
    api::anthropic::messages_encoder enc("claude-x");
    std::string sse = enc.opening(12);
    sse += enc.reasoning("thinking");
    sse += enc.text("Hel");
    sse += enc.text("lo");
    sse += enc.tool_call_begin(0, "call_1", "Read");
    sse += enc.tool_call_arguments(0, R"({"file_path":)");
    sse += enc.tool_call_arguments(0, R"("a"})");
    sse += enc.closing({api::finish_kind::tool_calls, {}, {12, 7}});
    const auto ev = events_of(sse);
    std::vector<std::string> names;
    for (const auto& [name, data] : ev) {
        names.push_back(name);
        EXPECT_EQ(data["type"], name); // the data's type repeats the event name
    }
    // Tool calls are written whole at the end, each as one valid JSON fragment.
    const std::vector<std::string> expected = {
        "message_start",       "content_block_start", "content_block_delta", "content_block_stop",  "content_block_start",
        "content_block_delta", "content_block_delta", "content_block_stop",  "content_block_start", "content_block_delta",
        "content_block_stop",  "message_delta",       "message_stop"};
    EXPECT_EQ(names, expected);
    EXPECT_EQ(ev[0].second["message"]["usage"]["input_tokens"], 12);
    EXPECT_EQ(ev[1].second["content_block"]["type"], "thinking");
    EXPECT_EQ(ev[2].second["delta"]["thinking"], "thinking");
    EXPECT_EQ(ev[4].second["index"], 1);
    EXPECT_EQ(ev[6].second["delta"]["text"], "lo");
    EXPECT_EQ(ev[8].second["index"], 2);
    EXPECT_EQ(ev[8].second["content_block"]["name"], "Read");
    EXPECT_EQ(json::parse(ev[9].second["delta"]["partial_json"].get<std::string>()), json::parse(R"({"file_path":"a"})"));
    EXPECT_EQ(ev[11].second["delta"]["stop_reason"], "tool_use");
    EXPECT_EQ(ev[11].second["usage"]["output_tokens"], 7);
    EXPECT_EQ(ev[11].second["usage"]["input_tokens"], 12);
}

TEST(AnthropicEncoder, InterleavedOrBrokenArgumentsStillMakeWholeValidInputs) {
    api::anthropic::messages_encoder enc("m");
    std::string sse = enc.opening(1);
    sse += enc.tool_call_begin(0, "call_a", "first");
    sse += enc.tool_call_begin(1, "call_b", "second");
    sse += enc.tool_call_arguments(0, R"({"x":)");
    sse += enc.tool_call_arguments(1, "not json");
    sse += enc.tool_call_arguments(0, "1}");
    sse += enc.closing({api::finish_kind::tool_calls, {}, {1, 1}});
    std::vector<json> inputs;
    for (const auto& [name, data] : events_of(sse))
        if (name == "content_block_delta") inputs.push_back(json::parse(data["delta"]["partial_json"].get<std::string>()));
    ASSERT_EQ(inputs.size(), 2u);
    EXPECT_EQ(inputs[0], json::parse(R"({"x":1})"));
    EXPECT_EQ(inputs[1], json::object()); // arguments that are not an object would break a client's parser
}

TEST(AnthropicEncoder, AnErrorAfterTextClosesTheBlockAndIsAnErrorEvent) {
    api::anthropic::messages_encoder enc("m");
    std::string sse = enc.opening(1) + enc.text("partial");
    sse += enc.failure({api::error_kind::upstream_timeout, "too slow", std::nullopt, std::nullopt});
    const auto ev = events_of(sse);
    ASSERT_EQ(ev.size(), 5u);
    EXPECT_EQ(ev[3].first, "content_block_stop");
    EXPECT_EQ(ev[4].first, "error");
    EXPECT_EQ(ev[4].second["error"]["type"], "timeout_error");
    EXPECT_EQ(ev[4].second["error"]["message"], "too slow");
}

TEST(AnthropicEncoder, AWholeMessageAndErrorResponses) {
    api::anthropic::messages_encoder enc("m");
    const std::vector<api::tool_call> calls = {{"call_1", "Read", R"({"file_path":"a"})"}};
    const auto r = enc.whole({"I will read it.", "", calls, {api::finish_kind::tool_calls, {}, {5, 3}}});
    const auto body = json::parse(r.body);
    EXPECT_EQ(body["type"], "message");
    EXPECT_EQ(body["stop_reason"], "tool_use");
    ASSERT_EQ(body["content"].size(), 2u);
    EXPECT_EQ(body["content"][0]["text"], "I will read it.");
    EXPECT_EQ(body["content"][1]["input"]["file_path"], "a");
    EXPECT_EQ(body["usage"]["input_tokens"], 5);
    const std::vector<api::tool_call> no_calls;
    EXPECT_EQ(json::parse(enc.whole({"", "", no_calls, {}}).body)["content"], json::array()); // no empty text block
    const std::vector<api::tool_call> none;
    const auto cut = json::parse(enc.whole({"a", "", none, {api::finish_kind::stop_sequence, "STOP", {1, 1}}}).body);
    EXPECT_EQ(cut["stop_reason"], "stop_sequence");
    EXPECT_EQ(cut["stop_sequence"], "STOP");

    const auto limited =
        api::anthropic::anthropic_error_response({api::error_kind::rate_limit_exceeded, "slow down", std::nullopt, 7});
    EXPECT_EQ(limited.status, 429);
    EXPECT_EQ(json::parse(limited.body),
              json::parse(R"({"type":"error","error":{"type":"rate_limit_error","message":"slow down"}})"));
    bool retry_after = false;
    for (const auto& [k, v] : limited.headers)
        retry_after = retry_after || (k == "retry-after" && v == "7");
    EXPECT_TRUE(retry_after);
    EXPECT_EQ(api::anthropic::error_type({api::error_kind::server_overloaded, "", std::nullopt, std::nullopt}),
              "overloaded_error");
    EXPECT_EQ(
        api::anthropic::anthropic_error_response({api::error_kind::server_overloaded, "", std::nullopt, std::nullopt}).status,
        529);
    EXPECT_EQ(api::anthropic::error_type({api::error_kind::provider_unavailable, "", std::nullopt, std::nullopt}), "api_error");
    EXPECT_EQ(api::anthropic::error_type({api::error_kind::model_not_found, "", std::nullopt, std::nullopt}), "not_found_error");
}
