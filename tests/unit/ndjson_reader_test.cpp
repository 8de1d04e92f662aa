#include <gtest/gtest.h>

#include <vector>

#include "switchyard/providers/flowgpt/flowgpt_provider.hpp"
#include "switchyard/upstream/ndjson_reader.hpp"

using namespace switchyard;

namespace {

const std::string stream_body = "{\"event\":\"text\",\"data\":\"Hel\"}\n"
                                "\n"
                                "{\"event\":\"meta\",\"data\":{\"x\":1}}\r\n"
                                "not json at all\n"
                                "{\"data\":\"lo \\u4e16\"}\n"
                                "{\"event\":\"text\",\"data\":\"界 🎉\"}";

std::vector<std::string> run(const std::vector<std::string_view>& pieces, std::size_t* malformed_count = nullptr) {
    upstream::ndjson_reader reader;
    std::vector<std::string> texts;
    std::size_t malformed_lines = 0;
    auto on_line = [&](std::string_view line) {
        bool malformed = false;
        if (auto t = providers::flowgpt::text_of_line(line, malformed)) texts.push_back(*t);
        malformed_lines += malformed;
    };
    for (auto p : pieces)
        EXPECT_TRUE(reader.feed(p, on_line));
    reader.finish(on_line);
    if (malformed_count) *malformed_count = malformed_lines;
    return texts;
}

} // namespace

TEST(NdjsonReader, WholeBody) {
    std::size_t malformed = 0;
    EXPECT_EQ(run({stream_body}, &malformed), (std::vector<std::string>{"Hel", "lo 世", "界 🎉"}));
    EXPECT_EQ(malformed, 1u);
}

TEST(NdjsonReader, SplitAtEveryPosition) {
    const auto expected = run({stream_body});
    for (std::size_t cut = 0; cut <= stream_body.size(); ++cut) {
        std::string_view all(stream_body);
        EXPECT_EQ(run({all.substr(0, cut), all.substr(cut)}), expected) << "cut at " << cut;
    }
}

TEST(NdjsonReader, OneByteAtATime) {
    std::vector<std::string_view> bytes;
    for (std::size_t i = 0; i < stream_body.size(); ++i)
        bytes.push_back(std::string_view(stream_body).substr(i, 1));
    EXPECT_EQ(run(bytes), run({stream_body}));
}

TEST(NdjsonReader, BoundsLineLength) {
    upstream::ndjson_reader reader(16);
    auto ignore = [](std::string_view) {};
    EXPECT_TRUE(reader.feed("{\"a\":1}\n", ignore));
    EXPECT_FALSE(reader.feed(std::string(17, 'x'), ignore));
}

TEST(FlowgptLines, OnlyTextEventsCarryText) {
    bool malformed = false;
    EXPECT_EQ(providers::flowgpt::text_of_line(R"({"event":"text","data":"a"})", malformed), "a");
    EXPECT_FALSE(providers::flowgpt::text_of_line(R"({"event":"done","data":"a"})", malformed));
    EXPECT_FALSE(providers::flowgpt::text_of_line(R"({"event":"text","data":5})", malformed));
    EXPECT_FALSE(malformed);
    EXPECT_FALSE(providers::flowgpt::text_of_line(R"([1,2])", malformed));
    EXPECT_TRUE(malformed);
}
