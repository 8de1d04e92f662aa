#include <gtest/gtest.h>

#include <limits>

#include "switchyard/api/text_shaper.hpp"
#include "switchyard/util/utf8.hpp"

using namespace switchyard;
using switchyard::api::text_shaper;

namespace {

struct outcome {
    std::string text;
    std::string reason;
};

outcome run(text_shaper s, const std::vector<std::string>& deltas) {
    outcome o;
    for (const auto& d : deltas) {
        auto part = s.push(d);
        EXPECT_EQ(utf8::complete_prefix_length(part), part.size()) << "a delta ended inside a character";
        o.text += part;
        if (s.finished()) break;
    }
    o.text += s.flush();
    o.reason = std::string(s.finish_reason());
    return o;
}

} // namespace

TEST(TextShaper, PassesTextThroughWithoutLimits) {
    auto o = run(text_shaper({}, std::nullopt), {"Hel", "lo"});
    EXPECT_EQ(o.text, "Hello");
    EXPECT_EQ(o.reason, "stop");
}

TEST(TextShaper, StopSequenceSplitAtEveryPosition) {
    const std::string text = "one two END three";
    for (std::size_t cut = 0; cut <= text.size(); ++cut) {
        auto o = run(text_shaper({"END"}, std::nullopt), {text.substr(0, cut), text.substr(cut)});
        EXPECT_EQ(o.text, "one two ") << cut;
        EXPECT_EQ(o.reason, "stop") << cut;
    }
}

TEST(TextShaper, EarliestOfSeveralStopsWins) { EXPECT_EQ(run(text_shaper({"zz", "b"}, std::nullopt), {"a b zz"}).text, "a "); }

TEST(TextShaper, HeldPrefixIsReleasedWhenItIsNotAStop) {
    text_shaper s({"ENDING"}, std::nullopt);
    EXPECT_EQ(s.push("abc EN"), "abc ");
    EXPECT_EQ(s.push("X"), "ENX");
}

TEST(TextShaper, MaxTokensCutsByEstimateAndReportsLength) {
    auto o = run(text_shaper({}, 2), {"12345", "6789", "abc"}); // 2 tokens = 8 code points
    EXPECT_EQ(o.text, "12345678");
    EXPECT_EQ(o.reason, "length");
}

TEST(TextShaper, MaxTokensNeverSplitsACharacter) {
    auto o = run(text_shaper({}, 1), {"世界世界世"});
    EXPECT_EQ(o.text, "世界世界");
    EXPECT_EQ(o.reason, "length");
}

TEST(TextShaper, AnswerEndingExactlyAtTheLimitIsAStop) {
    auto o = run(text_shaper({}, 1), {"abcd"});
    EXPECT_EQ(o.text, "abcd");
    EXPECT_EQ(o.reason, "stop");
}

TEST(TextShaper, Utf8SplitAcrossDeltasIsJoined) {
    const std::string s = "é";
    auto o = run(text_shaper({}, std::nullopt), {s.substr(0, 1), s.substr(1)});
    EXPECT_EQ(o.text, "é");
}

TEST(TextShaper, InvalidBytesBecomeReplacementCharactersAcrossDeltas) {
    switchyard::api::text_shaper shaper({}, std::nullopt);
    EXPECT_EQ(shaper.push("a\xE2\x82"), "a"); // an incomplete character waits for the next delta
    EXPECT_EQ(shaper.push("\xAC"
                          "b\xff"),
              "\xE2\x82\xAC"
              "b\xEF\xBF\xBD");
    EXPECT_EQ(shaper.push("\xE2"), "");
    EXPECT_EQ(shaper.flush(), "\xEF\xBF\xBD"); // cut off at the end
}

// Found by fuzz_flowgpt_text: max_tokens * 4 wrapped, so 2^62 tokens allowed nothing.
TEST(TextShaper, HugeMaxTokensDoesNotWrapToZero) {
    for (long tokens : {1L << 62, (1L << 62) + 1, std::numeric_limits<long>::max()}) {
        auto o = run(text_shaper({}, tokens), {"Hel", "lo"});
        EXPECT_EQ(o.text, "Hello") << tokens;
        EXPECT_EQ(o.reason, "stop") << tokens;
    }
}

// Found by fuzz_flowgpt_text: with overlapping stops the cut depended on the delta boundaries
// ("" when "abc" came whole, "a" when it came byte by byte).
TEST(TextShaper, FirstCompletedStopWinsHoweverTheTextIsSplit) {
    const std::string text = "xabcy";
    for (std::size_t cut = 0; cut <= text.size(); ++cut) {
        auto o = run(text_shaper({"abc", "b"}, std::nullopt), {text.substr(0, cut), text.substr(cut)});
        EXPECT_EQ(o.text, "xa") << cut;
        EXPECT_EQ(o.reason, "stop") << cut;
    }
    EXPECT_EQ(run(text_shaper({"b", "ab"}, std::nullopt), {"xab"}).text, "x"); // same end: the longer
}

// Found by fuzz_flowgpt_text: incomplete bytes at the very end become U+FFFD only at flush,
// and a stop ending in that U+FFFD must still stop the answer there.
TEST(TextShaper, StopEndingInTheReplacedLastBytesIsHonoured) {
    const auto o = run(text_shaper({"]\xEF\xBF\xBD"}, std::nullopt), {"ok ]\xF3"});
    EXPECT_EQ(o.text, "ok ");
    EXPECT_EQ(o.reason, "stop");
}
