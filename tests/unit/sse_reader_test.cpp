#include <gtest/gtest.h>

#include "switchyard/upstream/sse_reader.hpp"

using switchyard::upstream::sse_event;
using switchyard::upstream::sse_reader;

namespace {

// An AIPKit-shaped stream (upstreams.md B.4): preamble, named and unnamed events, an empty
// delta, coalesced text, `\/` escapes, raw UTF-8, an error with an id, then done.
const std::string body = ":" + std::string(4096, ' ') + "\n\n" +
                         "event: message_start\ndata: {\"message_id\":\"aipkit-msg-1\"}\n\n"
                         "data: {\"delta\":\"\"}\n\n"
                         "data: {\"delta\":\"¡Hola! 🎉 a\\/b\\nc\"}\n\n"
                         "event: openai_response_id\ndata: {\"id\":\"resp_1\"}\n\n"
                         "data: {\"delta\":\" fin\"}\n\n"
                         ": a comment\n"
                         "event: error\nid: err-1760000000\ndata: {\"error\":\"boom\"}\n\n"
                         "event: done\ndata: {\"finished\":true}\n\n"
                         "data: \n\n";

struct seen {
    std::string name, data, id;
    bool operator==(const seen&) const = default;
};

std::vector<seen> parse(const std::vector<std::string_view>& pieces, std::size_t bound = 1 << 20) {
    sse_reader r(bound);
    std::vector<seen> out;
    for (auto p : pieces)
        EXPECT_TRUE(r.feed(p, [&](const sse_event& e) { out.push_back({e.name, e.data, e.id}); }));
    return out;
}

} // namespace

TEST(SseReader, ReadsTheAipkitShapes) {
    const auto events = parse({body});
    ASSERT_EQ(events.size(), 8u);
    EXPECT_EQ(events[0], (seen{"message_start", R"({"message_id":"aipkit-msg-1"})", ""}));
    EXPECT_EQ(events[1], (seen{"message", R"({"delta":""})", ""}));
    EXPECT_EQ(events[2].name, "message"); // the name resets after every event
    EXPECT_EQ(events[3].name, "openai_response_id");
    EXPECT_EQ(events[4].name, "message");
    EXPECT_EQ(events[5], (seen{"error", R"({"error":"boom"})", "err-1760000000"}));
    EXPECT_EQ(events[6].name, "done");
    EXPECT_EQ(events[7], (seen{"message", "", "err-1760000000"})); // an empty data line is still an event
}

TEST(SseReader, SplitAtEveryPosition) {
    const auto whole = parse({body});
    for (std::size_t cut = 0; cut <= body.size(); cut += (cut < 4100 ? 97 : 1)) {
        std::string_view all(body);
        EXPECT_EQ(parse({all.substr(0, cut), all.substr(cut)}), whole) << cut;
    }
}

TEST(SseReader, OneByteAtATime) {
    std::vector<std::string_view> bytes;
    for (std::size_t i = 0; i < body.size(); ++i)
        bytes.push_back(std::string_view(body).substr(i, 1));
    EXPECT_EQ(parse(bytes), parse({body}));
}

TEST(SseReader, CrLfAndMultipleDataLines) {
    const auto events = parse({"event: x\r\ndata: a\r\ndata:b\r\n\r\n"});
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].data, "a\nb");
}

TEST(SseReader, BoundsEventSize) {
    sse_reader r(64);
    auto ignore = [](const sse_event&) {};
    EXPECT_TRUE(r.feed(":" + std::string(10, ' ') + "\n\n", ignore));
    EXPECT_FALSE(r.feed("data: " + std::string(100, 'x'), ignore));
}
