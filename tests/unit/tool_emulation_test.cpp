#include <gtest/gtest.h>

#include "switchyard/turn/tool_emulation.hpp"

using namespace switchyard;
using api::message_role;

namespace {

api::chat_request request(std::string_view body) { return std::get<api::chat_request>(api::parse_chat_request(body)); }

constexpr std::string_view loop = R"({"model":"m","messages":[
    {"role":"system","content":"Be brief."},
    {"role":"user","content":"Weather in Paris and Rome?"},
    {"role":"assistant","content":null,"tool_calls":[
        {"id":"call_a","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},
        {"id":"call_b","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Rome\"}"}}]},
    {"role":"tool","tool_call_id":"call_a","content":"18C"},
    {"role":"tool","tool_call_id":"call_b","content":"24C"}],
  "tools":[{"type":"function","function":{"name":"get_weather","description":"Current weather",
    "parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}]})";

} // namespace

TEST(ToolEmulation, EarlierCallsAndResultsBecomeTextAndTheToolsTravelWithTheNewestMessage) {
    const auto req = request(loop);
    EXPECT_TRUE(turn::needs_emulation(req));
    const auto out = turn::render_for_emulation(req);
    ASSERT_EQ(out.messages.size(), 4u); // the two results are one message
    EXPECT_EQ(out.messages[0].text, "Be brief.");
    EXPECT_EQ(out.messages[1].text, "Weather in Paris and Rome?"); // tools are not repeated on old turns
    EXPECT_EQ(out.messages[2].role, message_role::assistant);
    EXPECT_EQ(out.messages[2].text, "<tool_call>{\"name\":\"get_weather\",\"arguments\":{\"city\":\"Paris\"}}</tool_call>\n"
                                    "<tool_call>{\"name\":\"get_weather\",\"arguments\":{\"city\":\"Rome\"}}</tool_call>");
    EXPECT_EQ(out.messages[3].role, message_role::user);
    const std::string& last = out.messages[3].text;
    EXPECT_TRUE(last.starts_with("# Tools\n")) << last;
    EXPECT_NE(last.find(R"({"name":"get_weather","description":"Current weather","parameters":)"), std::string::npos) << last;
    EXPECT_TRUE(last.ends_with("<tool_response name=\"get_weather\" id=\"call_a\">\n18C\n</tool_response>\n"
                               "<tool_response name=\"get_weather\" id=\"call_b\">\n24C\n</tool_response>"))
        << last;
    EXPECT_EQ(out.last_user_text(), last); // what a provider that sends one message sends
    for (const auto& m : out.messages) {
        EXPECT_TRUE(m.tool_calls.empty());
        EXPECT_NE(m.role, message_role::tool);
    }
}

TEST(ToolEmulation, ToolChoiceShapesTheInstructions) {
    auto req = request(loop);
    EXPECT_NE(turn::tool_instructions(req).find("only when it helps"), std::string::npos);
    req.tool_choice = {api::tool_choice_mode::required, ""};
    EXPECT_NE(turn::tool_instructions(req).find("You must call at least one function now."), std::string::npos);
    req.tool_choice = {api::tool_choice_mode::named, "get_weather"};
    EXPECT_NE(turn::tool_instructions(req).find("You must call the function `get_weather` now."), std::string::npos);
    req.tool_choice = {api::tool_choice_mode::none, ""};
    EXPECT_EQ(turn::tool_instructions(req), "");
    // With `none`, history is still rendered, but no tools are offered.
    const auto out = turn::render_for_emulation(req);
    EXPECT_EQ(out.messages.back().text.find("# Tools"), std::string::npos);
    EXPECT_FALSE(turn::needs_emulation(request(R"({"model":"m","messages":[{"role":"user","content":"hi"}]})")));
}
