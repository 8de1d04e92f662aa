#include <gtest/gtest.h>

#include "switchyard/providers/flowgpt/prefix_cleaner.hpp"

using switchyard::providers::flowgpt::prefix_cleaner;

namespace {

std::string run(const std::vector<std::string>& deltas, std::size_t lookahead = 150,
                std::vector<std::string>* emitted = nullptr) {
    prefix_cleaner c(lookahead);
    std::string out;
    for (const auto& d : deltas) {
        auto part = c.push(d);
        if (emitted && !part.empty()) emitted->push_back(part);
        out += part;
    }
    return out + c.flush();
}

} // namespace

TEST(PrefixCleaner, StripsTheHeaderAndLeadingBlanks) {
    EXPECT_EQ(run({"**Assistant Response:**  Hello", " world"}), "Hello world");
}

TEST(PrefixCleaner, SeparatorSplitAtEveryPosition) {
    const std::string text = "**Assistant Response:** Hello there, friend.";
    for (std::size_t cut = 0; cut <= text.size(); ++cut)
        EXPECT_EQ(run({text.substr(0, cut), text.substr(cut)}), "Hello there, friend.") << cut;
}

TEST(PrefixCleaner, NoDuplicatedTail) { // seed bug 1
    EXPECT_EQ(run({"Response:**", "a", "b", "c"}), "abc");
}

TEST(PrefixCleaner, PlainAnswersStreamAfterTheLookahead) { // seed bug 2
    std::vector<std::string> emitted;
    const std::string first(20, 'x');
    const auto out = run({first, "y", "z", "w"}, 10, &emitted);
    EXPECT_EQ(out, first + "yzw");
    EXPECT_EQ(emitted, (std::vector<std::string>{first, "y", "z", "w"}));
}

TEST(PrefixCleaner, ShortPlainAnswerIsFlushedAtTheEnd) { EXPECT_EQ(run({"Hi", "!"}), "Hi!"); }

TEST(PrefixCleaner, StateIsPerInstance) { // seed bug 3: one cleaner per request
    prefix_cleaner a, b;
    EXPECT_EQ(a.push("Response:** A"), "A");
    EXPECT_EQ(b.push("plain"), "");
    EXPECT_EQ(b.flush(), "plain");
    EXPECT_EQ(a.push(" more"), " more");
}

TEST(PrefixCleaner, WhitespaceOnlyAfterSeparatorKeepsTrimming) { EXPECT_EQ(run({"Response:**", "  ", "\n", "Text"}), "Text"); }

// Found by fuzz_flowgpt_text: a separator past the look-ahead was stripped when it came in the
// same delta as the text before it, but kept when the deltas were smaller.
TEST(PrefixCleaner, SeparatorPastTheLookaheadIsTextHoweverItArrives) {
    const std::string text = std::string(30, 'x') + " Response:** y";
    EXPECT_EQ(run({text}, 20), text);
    for (std::size_t cut = 0; cut <= text.size(); ++cut)
        EXPECT_EQ(run({text.substr(0, cut), text.substr(cut)}, 20), text) << cut;
}
