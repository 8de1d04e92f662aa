#include <gtest/gtest.h>

#include "switchyard/providers/flowgpt/flowgpt_provider.hpp"
#include "switchyard/turn/reasoning.hpp"

using namespace switchyard;
using turn::think_splitter;

namespace {

/// "R(…)" for reasoning, "T(…)" for text, adjacent pieces of one kind joined.
std::string trace(const std::vector<std::string_view>& deltas) {
    think_splitter s;
    std::vector<think_splitter::piece> pieces;
    for (const auto d : deltas)
        s.push(d, pieces);
    s.finish(pieces);
    std::string out;
    char last = 0;
    for (const auto& p : pieces) {
        const char kind = p.reasoning ? 'R' : 'T';
        if (kind == last) {
            out.insert(out.size() - 1, p.text);
        } else {
            out += std::string(1, kind) + "(" + p.text + ")";
        }
        last = kind;
    }
    return out;
}

std::string every_way(std::string_view answer) {
    const std::string whole = trace({answer});
    for (std::size_t cut = 0; cut <= answer.size(); ++cut)
        EXPECT_EQ(trace({answer.substr(0, cut), answer.substr(cut)}), whole) << "cut at " << cut;
    std::vector<std::string_view> bytes;
    for (std::size_t i = 0; i < answer.size(); ++i)
        bytes.push_back(answer.substr(i, 1));
    EXPECT_EQ(trace(bytes), whole);
    return whole;
}

} // namespace

TEST(ThinkSplitter, ALeadingThinkBlockIsReasoning) {
    EXPECT_EQ(every_way("  <think>plan it</think>\n\nThe answer."), "R(plan it)T(The answer.)");
    EXPECT_EQ(every_way("No thinking <think>here</think>"), "T(No thinking <think>here</think>)");
    EXPECT_EQ(every_way("<thin"), "T(<thin)");
    EXPECT_EQ(every_way("<think>cut off"), "R(cut off)"); // an unclosed block is reasoning
}

TEST(FlowgptThinking, OnlyAPreambleOfMoreThanThreeWordsIsReasoning) {
    EXPECT_FALSE(providers::flowgpt::thinking_of("**Assistant "));
    EXPECT_FALSE(providers::flowgpt::thinking_of("  "));
    EXPECT_EQ(*providers::flowgpt::thinking_of("Thinking: the user wants an echo. **"), "Thinking: the user wants an echo.");
}
