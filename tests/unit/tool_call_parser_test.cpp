#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "switchyard/turn/tool_call_parser.hpp"

using namespace switchyard::turn;
using nlohmann::json;

namespace {

bool known(std::string_view name) { return name == "get_weather" || name == "search"; }

/// The pieces of `answer` fed as the given cuts, with adjacent texts joined (how a client sees
/// them), rendered as a readable trace: T(text) C(name args) B(problem).
std::string trace(const std::vector<std::string_view>& deltas) {
    tool_call_parser parser(known);
    std::vector<parsed_piece> pieces;
    for (const auto d : deltas)
        parser.push(d, pieces);
    parser.finish(pieces);
    std::string out, text;
    const auto flush_text = [&] {
        if (!text.empty()) out += "T(" + text + ")";
        text.clear();
    };
    for (const auto& p : pieces) {
        if (const auto* t = std::get_if<text_piece>(&p)) {
            text += t->text;
            continue;
        }
        flush_text();
        if (const auto* b = std::get_if<call_block>(&p))
            for (const auto& c : b->calls)
                out += "C(" + c.name + " " + c.arguments + (c.arguments_are_json ? "" : " !json") + ")";
        else
            out += "B(" + std::get<broken_call>(p).problem + ")";
    }
    flush_text();
    return out;
}

/// Feeds `answer` whole, byte by byte, and split in two at every position: all must agree.
std::string parse_every_way(std::string_view answer) {
    const std::string whole = trace({answer});
    std::vector<std::string_view> bytes;
    for (std::size_t i = 0; i < answer.size(); ++i)
        bytes.push_back(answer.substr(i, 1));
    EXPECT_EQ(trace(bytes), whole) << "byte by byte: " << answer;
    for (std::size_t cut = 0; cut <= answer.size(); ++cut)
        EXPECT_EQ(trace({answer.substr(0, cut), answer.substr(cut)}), whole) << "cut at " << cut << ": " << answer;
    return whole;
}

} // namespace

TEST(ToolCallParser, HermesTags) {
    EXPECT_EQ(parse_every_way(R"(<tool_call>{"name": "get_weather", "arguments": {"city": "Paris"}}</tool_call>)"),
              R"(C(get_weather {"city":"Paris"}))");
    EXPECT_EQ(parse_every_way("Let me check.\n<tool_call>\n{\"name\":\"search\",\"arguments\":{\"q\":\"x\"}}\n</tool_call>\n"
                              "<tool_call>{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Rome\\\"}\"}</tool_call>"),
              "T(Let me check.\n)C(search {\"q\":\"x\"})C(get_weather {\"city\":\"Rome\"})");
    // A model that forgets the closing tag at the very end still made its call.
    EXPECT_EQ(parse_every_way(R"(<tool_call>{"name":"search","arguments":{}})"), "C(search {})");
}

TEST(ToolCallParser, FencedJson) {
    EXPECT_EQ(parse_every_way("Sure.\n```json\n{\"name\": \"search\", \"arguments\": {\"q\": \"c++\"}}\n```\nDone."),
              "T(Sure.\n)C(search {\"q\":\"c++\"})T(Done.)");
    EXPECT_EQ(parse_every_way("```json\n{\"tool_calls\":[{\"name\":\"search\",\"arguments\":{\"q\":\"a\"}},"
                              "{\"function\":{\"name\":\"get_weather\",\"arguments\":{\"city\":\"Oslo\"}}}]}\n```"),
              "C(search {\"q\":\"a\"})C(get_weather {\"city\":\"Oslo\"})");
    // Code the user asked for is content, fence and all.
    EXPECT_EQ(parse_every_way("Here:\n```python\nprint(1)\n```\n"), "T(Here:\n```python\nprint(1)\n```\n)");
    EXPECT_EQ(parse_every_way("```json\n{\"name\": \"unknown\", \"arguments\": {}}\n```"),
              "T(```json\n{\"name\": \"unknown\", \"arguments\": {}}\n```)");
}

TEST(ToolCallParser, BareJsonAsTheWholeAnswer) {
    EXPECT_EQ(parse_every_way("  {\"name\": \"get_weather\", \"parameters\": {\"city\": \"Lima\"}}\n"),
              "C(get_weather {\"city\":\"Lima\"})");
    EXPECT_EQ(parse_every_way("{\"answer\": 42}"), "T({\"answer\": 42})");
    EXPECT_EQ(parse_every_way("{\"name\": \"search\", \"arguments\": {}} and more"),
              "T({\"name\": \"search\", \"arguments\": {}} and more)");
}

TEST(ToolCallParser, PartialOpeningsNeverLeakIntoText) {
    // Text flows while it cannot be a call; a partial tag is held until decided.
    tool_call_parser parser(known);
    std::vector<parsed_piece> pieces;
    parser.push("Hello <tool_c", pieces);
    ASSERT_EQ(pieces.size(), 1u);
    EXPECT_EQ(std::get<text_piece>(pieces[0]).text, "Hello ");
    parser.push("all>{\"name\":\"search\",\"arguments\":{}}</tool_", pieces);
    EXPECT_EQ(pieces.size(), 1u);
    parser.push("call> bye", pieces);
    ASSERT_EQ(pieces.size(), 3u);
    EXPECT_TRUE(std::holds_alternative<call_block>(pieces[1]));
    EXPECT_EQ(std::get<text_piece>(pieces[2]).text, "bye"); // white space after a call is layout
    // Something that only looked like a tag is released as text.
    EXPECT_EQ(parse_every_way("a <tool_cal b ``x"), "T(a <tool_cal b ``x)");
}

TEST(ToolCallParser, BrokenCallsSayWhy) {
    EXPECT_EQ(parse_every_way("<tool_call>not json</tool_call>"), "B(the call is not a JSON object with a name and arguments)");
    EXPECT_EQ(parse_every_way(R"(<tool_call>{"name":"rm_rf","arguments":{}}</tool_call>)"), "B(there is no tool named 'rm_rf')");
    EXPECT_EQ(parse_every_way(R"(<tool_call>{"name":"search","arguments":"q=1"}</tool_call>)"), "C(search q=1 !json)");
}

TEST(ToolCallParser, EveryHeldBlockIsBounded) {
    tool_call_parser parser(known);
    std::vector<parsed_piece> pieces;
    parser.push("<tool_call>", pieces);
    const std::string filler(tool_call_parser::max_block + 10, 'x');
    parser.push(filler, pieces);
    ASSERT_EQ(pieces.size(), 2u); // the block is dropped, what is past the bound is text
    EXPECT_TRUE(std::holds_alternative<broken_call>(pieces[0]));
    EXPECT_EQ(std::get<text_piece>(pieces[1]).text, "xxxxxxxxxx");
    tool_call_parser fenced(known);
    pieces.clear();
    fenced.push("```json\n" + filler, pieces);
    ASSERT_EQ(pieces.size(), 1u);
    EXPECT_TRUE(std::holds_alternative<text_piece>(pieces[0]));
    tool_call_parser bare(known);
    pieces.clear();
    bare.push("{" + filler, pieces);
    ASSERT_FALSE(pieces.empty());
    EXPECT_TRUE(std::holds_alternative<text_piece>(pieces[0]));
}

TEST(ToolCallParser, DeepNestingIsNotParsed) {
    const std::string deep = "<tool_call>" + std::string(60000, '[') + "</tool_call>";
    EXPECT_EQ(trace({deep}), "B(the call is not a JSON object with a name and arguments)");
}
