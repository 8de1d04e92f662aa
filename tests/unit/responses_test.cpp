#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "switchyard/api/responses/responses_format.hpp"
#include "switchyard/api/responses/responses_request.hpp"

using namespace switchyard;
using api::message_role;
using nlohmann::json;

namespace {

api::responses::responses_request parsed(std::string_view body) {
    auto r = api::responses::parse_responses_request(body);
    if (auto* err = std::get_if<api::api_error>(&r)) ADD_FAILURE() << err->message;
    return std::get<api::responses::responses_request>(r);
}

std::optional<std::string> refused_param(std::string_view body) {
    auto r = api::responses::parse_responses_request(body);
    EXPECT_TRUE(std::holds_alternative<api::api_error>(r)) << body;
    return std::holds_alternative<api::api_error>(r) ? std::get<api::api_error>(r).param : std::nullopt;
}

} // namespace

TEST(ResponsesRequest, ItemsBecomeTheNeutralTurn) {
    const auto r = parsed(R"({"model":"m","instructions":"be brief","max_output_tokens":50,"stream":true,
        "tools":[{"type":"function","name":"exec_command","parameters":{"type":"object"}},{"type":"web_search"},
                 {"type":"namespace","name":"mcp","tools":[]}],
        "tool_choice":"required","store":false,"reasoning":{"effort":"low"},"include":["reasoning.encrypted_content"],
        "input":[{"type":"message","role":"developer","content":[{"type":"input_text","text":"rules"}]},
                 {"role":"user","content":"run it"},
                 {"type":"reasoning","id":"rs_1","summary":[],"encrypted_content":"x"},
                 {"type":"function_call","call_id":"call_1","name":"exec_command","arguments":"{\"cmd\":\"ls\"}"},
                 {"type":"function_call_output","call_id":"call_1","output":"a.txt"},
                 {"role":"assistant","content":[{"type":"output_text","text":"done"}]}]})");
    const auto& t = r.turn;
    EXPECT_TRUE(t.stream);
    EXPECT_EQ(t.max_tokens, 50);
    ASSERT_EQ(t.messages.size(), 6u);
    EXPECT_EQ(t.messages[0].role, message_role::system);
    EXPECT_EQ(t.messages[0].text, "be brief");
    EXPECT_EQ(t.messages[1].role, message_role::system); // developer
    EXPECT_EQ(t.messages[2].text, "run it");
    EXPECT_EQ(t.messages[3].role, message_role::assistant);
    ASSERT_EQ(t.messages[3].tool_calls.size(), 1u);
    EXPECT_EQ(t.messages[3].tool_calls[0].id, "call_1");
    EXPECT_EQ(t.messages[4].role, message_role::tool);
    EXPECT_EQ(t.messages[4].tool_call_id, "call_1");
    EXPECT_EQ(t.messages[4].text, "a.txt");
    EXPECT_EQ(t.messages[5].text, "done");
    ASSERT_EQ(t.tools.size(), 1u); // hosted and namespace tools are skipped
    EXPECT_EQ(t.tool_choice.mode, api::tool_choice_mode::required);
    EXPECT_EQ(r.echo["instructions"], "be brief");
    EXPECT_EQ(r.echo["tools"].size(), 3u); // every tool is shown as it was sent
    EXPECT_EQ(r.echo["store"], false);
}

TEST(ResponsesRequest, BadRequestsNameTheField) {
    EXPECT_EQ(refused_param(R"({"input":"x"})"), "model");
    EXPECT_EQ(refused_param(R"({"model":"m"})"), "input");
    EXPECT_EQ(refused_param(R"({"model":"m","input":[]})"), "input");
    EXPECT_EQ(refused_param(R"({"model":"m","input":"x","previous_response_id":"resp_1","conversation":"conv_1"})"),
              "conversation"); // one or the other, as OpenAI says
    EXPECT_EQ(refused_param(R"({"model":"m","input":"x","previous_response_id":7})"), "previous_response_id");
    EXPECT_EQ(refused_param(R"({"model":"m","input":"x","conversation":{"name":"c"}})"), "conversation");
    EXPECT_EQ(refused_param(R"({"model":"m","input":"x","store":"yes"})"), "store");
    EXPECT_EQ(refused_param(R"({"model":"m","input":[{"role":"robot","content":"x"}]})"), "input[0].role");
    EXPECT_EQ(refused_param(R"({"model":"m","input":[{"type":"item_reference","id":"x"}]})"), "input[0].type");
    EXPECT_EQ(refused_param(R"({"model":"m","input":"x","max_output_tokens":0})"), "max_output_tokens");
    EXPECT_EQ(refused_param(R"({"model":"m","input":"x","tool_choice":"required"})"), "tool_choice");
}

TEST(ResponsesRequest, StateAndInputItemsAreRead) {
    auto parsed = api::responses::parse_responses_request(
        R"({"model":"m","instructions":"be brief","conversation":{"id":"conv_9"},"store":false,
            "input":[{"role":"user","content":"hi"},{"type":"function_call_output","call_id":"c1","output":"42"}]})");
    ASSERT_TRUE(std::holds_alternative<api::responses::responses_request>(parsed));
    const auto& r = std::get<api::responses::responses_request>(parsed);
    EXPECT_EQ(r.turn.conversation_id, "conv_9");
    EXPECT_FALSE(r.store);
    EXPECT_EQ(r.echo["conversation"], json({{"id", "conv_9"}}));
    EXPECT_EQ(r.input_start, 1u); // after the instructions
    ASSERT_EQ(r.input_items.size(), 2u);
    EXPECT_EQ(r.input_items[0]["type"], "message");
    EXPECT_TRUE(r.input_items[0]["id"].get<std::string>().starts_with("msg_"));
    EXPECT_EQ(r.input_items[0]["content"], json::parse(R"([{"type":"input_text","text":"hi"}])"));
    EXPECT_EQ(r.input_items[1]["type"], "function_call_output");
    EXPECT_EQ(r.input_items[1]["call_id"], "c1");

    auto chained = api::responses::parse_responses_request(R"({"model":"m","input":"next","previous_response_id":"resp_1"})");
    ASSERT_TRUE(std::holds_alternative<api::responses::responses_request>(chained));
    EXPECT_EQ(std::get<api::responses::responses_request>(chained).previous_response_id, "resp_1");
    EXPECT_TRUE(std::get<api::responses::responses_request>(chained).store);
}

TEST(ResponsesEncoder, AStreamNumbersEveryEventAndEndsWithTheWholeResponse) {
    api::responses::responses_encoder enc("m", {{"instructions", nullptr}}, {});
    // The first event is encoded before the opening is asked for, as at the commit point.
    const std::string first = enc.text("Hel");
    std::string sse = enc.opening(9) + first + enc.text("lo");
    sse += enc.tool_call_begin(0, "call_1", "exec_command");
    sse += enc.tool_call_arguments(0, R"({"cmd":"ls"})");
    sse += enc.closing({api::finish_kind::tool_calls, {}, {9, 2}});
    std::vector<json> events;
    std::vector<std::string> types;
    for (std::size_t at = 0; at < sse.size();) {
        const auto end = sse.find("\n\n", at);
        ASSERT_NE(end, std::string::npos);
        const std::string frame = sse.substr(at, end - at);
        const auto nl = frame.find('\n');
        ASSERT_EQ(frame.substr(0, 7), "event: ");
        events.push_back(json::parse(frame.substr(nl + 7)));
        EXPECT_EQ(events.back()["type"], frame.substr(7, nl - 7));
        types.push_back(frame.substr(7, nl - 7));
        at = end + 2;
    }
    for (std::size_t i = 0; i < events.size(); ++i)
        EXPECT_EQ(events[i]["sequence_number"], i) << types[i];
    const std::vector<std::string> expected = {"response.created",
                                               "response.in_progress",
                                               "response.output_item.added",
                                               "response.content_part.added",
                                               "response.output_text.delta",
                                               "response.output_text.delta",
                                               "response.output_text.done",
                                               "response.content_part.done",
                                               "response.output_item.done",
                                               "response.output_item.added",
                                               "response.function_call_arguments.delta",
                                               "response.function_call_arguments.done",
                                               "response.output_item.done",
                                               "response.completed"};
    EXPECT_EQ(types, expected);
    const auto& done = events.back()["response"];
    EXPECT_EQ(done["status"], "completed");
    ASSERT_EQ(done["output"].size(), 2u);
    EXPECT_EQ(done["output"][0]["content"][0]["text"], "Hello");
    EXPECT_EQ(done["output"][1]["type"], "function_call");
    EXPECT_EQ(done["output"][1]["call_id"], "call_1");
    EXPECT_EQ(done["usage"]["total_tokens"], 11);
    // What is stored is what the client got, item ids included.
    EXPECT_EQ(json::parse(enc.final_response().dump()), done);
    const auto items = enc.output_items();
    ASSERT_EQ(items.size(), 2u);
    EXPECT_EQ(items[0]["id"], done["output"][0]["id"]);
    EXPECT_EQ(items[1]["id"], done["output"][1]["id"]);
}

TEST(ResponsesEncoder, ACutIsIncompleteAndAFailureAfterTheStartIsResponseFailed) {
    api::responses::responses_encoder enc("m", json::object(), {});
    const std::vector<api::tool_call> none;
    const auto whole = json::parse(enc.whole({"abc", "", none, {api::finish_kind::length, {}, {1, 1}}}).body);
    EXPECT_EQ(whole["status"], "incomplete");
    EXPECT_EQ(whole["incomplete_details"]["reason"], "max_output_tokens");
    const std::string failed = enc.failure({api::error_kind::upstream_timeout, "too slow", std::nullopt, std::nullopt});
    const auto data = json::parse(failed.substr(failed.find("data: ") + 6));
    EXPECT_EQ(data["type"], "response.failed");
    EXPECT_EQ(data["response"]["status"], "failed");
    EXPECT_EQ(data["response"]["error"]["code"], "upstream_timeout");
}

TEST(ResponsesEncoder, AFailureAfterAnUnsentClosingFollowsWhatTheClientSaw) {
    // The answer is stored between closing() and writing it; when storing fails, the failure is
    // written instead, numbered after the last event sent and showing only the items announced.
    api::responses::responses_encoder enc("m", json::object(), {});
    const std::string sent = enc.opening(1) + enc.text("partial");
    const std::string unsent = enc.closing({api::finish_kind::stop, {}, {1, 1}});
    EXPECT_NE(unsent.find("response.completed"), std::string::npos);
    const std::string failed = enc.failure({api::error_kind::internal_error, "not stored", std::nullopt, std::nullopt});
    const auto data = json::parse(failed.substr(failed.find("data: ") + 6));
    EXPECT_EQ(data["type"], "response.failed");
    EXPECT_EQ(data["sequence_number"], 5); // created, in_progress, item added, part added, delta
    EXPECT_EQ(data["response"]["output"], json::array());
    EXPECT_EQ(enc.output_items().size(), 1u); // what would have been stored
}

TEST(ResponsesRequest, FreeformToolsAreFunctionsOfOneInputAndTheirCallsComeBack) {
    const auto r = parsed(R"({"model":"m","tools":[{"type":"custom","name":"apply_patch","description":"edit files"}],
        "text":{"format":{"type":"json_schema","name":"answer","schema":{"type":"object"},"strict":true}},
        "reasoning":{"effort":"low"},
        "input":[{"role":"user","content":"patch it"},
                 {"type":"custom_tool_call","call_id":"call_9","name":"apply_patch","input":"*** Begin Patch"},
                 {"type":"custom_tool_call_output","call_id":"call_9","output":"Done"},
                 {"type":"web_search_call","id":"ws_1","status":"completed"}]})");
    ASSERT_EQ(r.custom_tools, std::vector<std::string>{"apply_patch"});
    ASSERT_EQ(r.turn.tools.size(), 1u);
    EXPECT_EQ(r.turn.tools[0].parameters["required"], json::array({"input"}));
    ASSERT_EQ(r.turn.messages.size(), 3u); // the web search record is dropped
    EXPECT_EQ(json::parse(r.turn.messages[1].tool_calls.at(0).arguments)["input"], "*** Begin Patch");
    EXPECT_EQ(r.turn.messages[2].tool_call_id, "call_9");
    EXPECT_EQ(r.turn.passthrough["response_format"]["json_schema"]["name"], "answer");
    EXPECT_EQ(r.turn.passthrough["reasoning_effort"], "low");
    EXPECT_EQ(r.echo["text"]["format"]["type"], "json_schema");
    EXPECT_EQ(refused_param(R"({"model":"m","input":[{"type":"compaction","encrypted_content":"x"}]})"), "input[0].type");

    api::responses::responses_encoder enc("m", json::object(), r.custom_tools);
    const std::vector<api::tool_call> calls = {{"call_1", "apply_patch", R"({"input":"*** Begin Patch\n"})"}};
    const auto whole = json::parse(enc.whole({"", "", calls, {api::finish_kind::tool_calls, {}, {1, 1}}}).body);
    ASSERT_EQ(whole["output"].size(), 1u);
    EXPECT_EQ(whole["output"][0]["type"], "custom_tool_call");
    EXPECT_EQ(whole["output"][0]["input"], "*** Begin Patch\n");
    std::string sse = enc.opening(9);
    sse += enc.tool_call_begin(0, "call_1", "apply_patch");
    sse += enc.tool_call_arguments(0, R"({"input":"x"})");
    sse += enc.closing({api::finish_kind::tool_calls, {}, {1, 1}});
    EXPECT_NE(sse.find("event: response.custom_tool_call_input.done\n"), std::string::npos);
    EXPECT_EQ(sse.find("function_call_arguments"), std::string::npos);
}
