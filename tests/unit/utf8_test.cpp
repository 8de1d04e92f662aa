#include <gtest/gtest.h>

#include "switchyard/util/utf8.hpp"

using namespace switchyard;

TEST(Utf8, CompletePrefixStopsBeforeAPartialSequence) {
    const std::string text = "a\xC3\xA9"
                             "b\xE4\xB8\x96"
                             "\xF0\x9F\x8E\x89"; // a é b 世 🎉
    struct row {
        std::size_t cut;
        std::size_t complete;
    };
    // Every cut of the string: the complete prefix never ends inside a character.
    const row rows[] = {{0, 0}, {1, 1}, {2, 1}, {3, 3}, {4, 4}, {5, 4}, {6, 4}, {7, 7}, {8, 7}, {9, 7}, {10, 7}, {11, 11}};
    for (const auto& r : rows)
        EXPECT_EQ(utf8::complete_prefix_length(std::string_view(text).substr(0, r.cut)), r.complete) << "cut " << r.cut;
}

TEST(Utf8, CarryJoinsCharactersSplitAcrossFragmentsAtEveryPosition) {
    const std::string text = "héllo 世界 🎉!";
    for (std::size_t cut = 0; cut <= text.size(); ++cut) {
        utf8::carry c;
        const std::string first = c.push(std::string_view(text).substr(0, cut));
        const std::string second = c.push(std::string_view(text).substr(cut));
        EXPECT_EQ(utf8::complete_prefix_length(first), first.size()) << cut;
        EXPECT_EQ(first + second + c.flush(), text) << cut;
    }
}

TEST(Utf8, ByteByByteFeedingLosesNothing) {
    const std::string text = "Ünïcödé 🎉 テキスト";
    utf8::carry c;
    std::string out;
    for (char ch : text) {
        auto part = c.push(std::string_view(&ch, 1));
        EXPECT_EQ(utf8::complete_prefix_length(part), part.size());
        out += part;
    }
    EXPECT_EQ(out + c.flush(), text);
}

TEST(Utf8, CountsAndOffsetsCodePoints) {
    const std::string text = "a世🎉b";
    EXPECT_EQ(utf8::count_code_points(text), 4u);
    EXPECT_EQ(utf8::offset_of_code_point(text, 2), 4u);
    EXPECT_EQ(utf8::offset_of_code_point(text, 9), text.size());
}

TEST(Utf8, ReplaceInvalidKeepsValidTextAndReplacesEachIllFormedSubpart) {
    using switchyard::utf8::replace_invalid;
    const std::string fffd = "\xEF\xBF\xBD";
    EXPECT_EQ(replace_invalid("héllo €𝄞"), "héllo €𝄞");
    EXPECT_EQ(replace_invalid("X\xffY"), "X" + fffd + "Y");
    EXPECT_EQ(replace_invalid("\xC0\xAF"), fffd + fffd);                       // overlong
    EXPECT_EQ(replace_invalid("\xED\xA0\x80"), fffd + fffd + fffd);            // surrogate
    EXPECT_EQ(replace_invalid("\xF4\x90\x80\x80"), fffd + fffd + fffd + fffd); // past U+10FFFF
    EXPECT_EQ(replace_invalid("a\xE2\x82"), "a" + fffd);                       // truncated: one replacement
    EXPECT_EQ(replace_invalid("\xE2\x82z"), fffd + "z");
    EXPECT_EQ(replace_invalid("\x80\x80"), fffd + fffd); // stray continuations
}
