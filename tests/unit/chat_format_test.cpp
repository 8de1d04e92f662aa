#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <string>
#include <utility>
#include <vector>

#include "switchyard/api/chat_format.hpp"

using namespace switchyard::api;
using nlohmann::json;

namespace {

json event_json(const std::string& event) {
    EXPECT_TRUE(event.starts_with("data: ")) << event;
    EXPECT_TRUE(event.ends_with("\n\n")) << event;
    EXPECT_EQ(event.find('\n'), event.size() - 2) << "one line per event";
    return json::parse(event.substr(6, event.size() - 8));
}

} // namespace

TEST(SseWriter, ChunksShareTheEnvelopeAndFollowTheCanonicalShape) {
    sse_writer w("chatcmpl-abc", 1767225600, "default");
    const auto role = event_json(w.role_event());
    const auto content = event_json(w.content_event("Hi \"there\"\n"));
    const auto finish = event_json(w.finish_event("length"));
    const auto usage = event_json(w.usage_event({9, 3}));
    for (const auto* j : {&role, &content, &finish, &usage}) {
        EXPECT_EQ((*j)["id"], "chatcmpl-abc");
        EXPECT_EQ((*j)["object"], "chat.completion.chunk");
        EXPECT_EQ((*j)["created"], 1767225600);
        EXPECT_EQ((*j)["model"], "default");
    }
    EXPECT_EQ(role["choices"][0]["delta"]["role"], "assistant");
    EXPECT_EQ(role["choices"][0]["delta"]["content"], "");
    EXPECT_TRUE(role["choices"][0]["finish_reason"].is_null());
    EXPECT_EQ(content["choices"][0]["delta"]["content"], "Hi \"there\"\n");
    EXPECT_TRUE(content["choices"][0]["logprobs"].is_null());
    EXPECT_TRUE(finish["choices"][0]["delta"].empty());
    EXPECT_EQ(finish["choices"][0]["finish_reason"], "length");
    EXPECT_TRUE(usage["choices"].empty());
    EXPECT_EQ(usage["usage"]["total_tokens"], 12);
    EXPECT_EQ(sse_writer::done_event, "data: [DONE]\n\n");
}

TEST(SseWriter, InvalidUtf8BecomesReplacementCharacter) {
    sse_writer w("id", 1, "m");
    const auto j = event_json(w.content_event("ok\xFF\xFE!"));
    EXPECT_EQ(j["choices"][0]["delta"]["content"], "ok\xEF\xBF\xBD\xEF\xBF\xBD!");
}

TEST(SseWriter, ErrorEventIsTheEnvelopeWithoutChoices) {
    const auto j = event_json(sse_writer::error_event({error_kind::upstream_error, "boom", std::nullopt, std::nullopt}));
    EXPECT_EQ(j["error"]["message"], "boom");
    EXPECT_EQ(j["error"]["code"], "upstream_error");
    EXPECT_FALSE(j.contains("choices"));
}

TEST(CompletionBody, MatchesTheChatCompletionShape) {
    const auto j = json::parse(completion_body("chatcmpl-x", 42, "default", {"Hello", "", nullptr}, "stop", {5, 2}));
    EXPECT_EQ(j["object"], "chat.completion");
    EXPECT_EQ(j["created"], 42);
    EXPECT_EQ(j["choices"][0]["index"], 0);
    EXPECT_EQ(j["choices"][0]["message"]["role"], "assistant");
    EXPECT_EQ(j["choices"][0]["message"]["content"], "Hello");
    EXPECT_TRUE(j["choices"][0]["message"]["refusal"].is_null());
    EXPECT_EQ(j["choices"][0]["finish_reason"], "stop");
    EXPECT_EQ(j["usage"]["prompt_tokens"], 5);
    EXPECT_EQ(j["usage"]["completion_tokens"], 2);
    EXPECT_EQ(j["usage"]["total_tokens"], 7);
}

TEST(TokenEstimate, IsCeilOfCodePointsOverFour) {
    EXPECT_EQ(estimate_tokens(""), 0);
    EXPECT_EQ(estimate_tokens("abcd"), 1);
    EXPECT_EQ(estimate_tokens("abcde"), 2);
    EXPECT_EQ(estimate_tokens("世界世界"), 1);
}

TEST(JsonString, MatchesNlohmannOnValidText) {
    const std::vector<std::string> samples = {"",
                                              "plain",
                                              "quote \" and backslash \\",
                                              "tab\tnew\nline\r",
                                              std::string("nul \0 bell \x07 del \x7f", 18),
                                              "\b\f\x1f",
                                              "héllo wörld",
                                              "日本語",
                                              "emoji 😀 and 𝄞",
                                              "mixed \"日本\"\n😀"};
    for (const auto& s : samples) {
        std::string ours;
        append_json_string(ours, s);
        EXPECT_EQ(ours, nlohmann::json(s).dump()) << s;
    }
}

TEST(JsonString, ReplacesEachInvalidByteWithReplacementCharacter) {
    const std::string replacement = "\xEF\xBF\xBD";
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"a\xff"
         "b",
         "\"a" + replacement + "b\""},
        {"\xc3", "\"" + replacement + "\""},                                                       // truncated two-byte sequence
        {"\xc0\xaf", "\"" + replacement + replacement + "\""},                                     // overlong
        {"\xed\xa0\x80", "\"" + replacement + replacement + replacement + "\""},                   // UTF-16 surrogate
        {"\xf4\x90\x80\x80", "\"" + replacement + replacement + replacement + replacement + "\""}, // above U+10FFFF
        {"ok \xe2\x82", "\"ok " + replacement + replacement + "\""},
    };
    for (const auto& [in, expected] : cases) {
        std::string ours;
        append_json_string(ours, in);
        EXPECT_EQ(ours, expected);
        EXPECT_TRUE(nlohmann::json::accept(ours)); // always valid JSON
    }
}

TEST(CompletionBody, ToolCallsMakeContentNullAndArgumentsAString) {
    const std::vector<tool_call> calls{{"call_1", "get_weather", R"({"city":"Paris"})"}, {"call_2", "f", "{}"}};
    const auto j = json::parse(completion_body("chatcmpl-x", 42, "m", {"", "thought", &calls}, "tool_calls", {1, 1}));
    const auto& m = j["choices"][0]["message"];
    EXPECT_TRUE(m["content"].is_null());
    EXPECT_EQ(m["reasoning_content"], "thought");
    ASSERT_EQ(m["tool_calls"].size(), 2u);
    EXPECT_EQ(m["tool_calls"][0], json::parse(R"({"id":"call_1","type":"function","function":{"name":"get_weather",
        "arguments":"{\"city\":\"Paris\"}"}})"));
    EXPECT_EQ(m["tool_calls"][1]["function"]["arguments"], "{}");
    EXPECT_EQ(j["choices"][0]["finish_reason"], "tool_calls");
    // Text next to calls is kept; no calls, no key.
    const auto both = json::parse(completion_body("x", 1, "m", {"hi", "", &calls}, "tool_calls", {1, 1}));
    EXPECT_EQ(both["choices"][0]["message"]["content"], "hi");
    const auto none = json::parse(completion_body("x", 1, "m", {"hi", "", nullptr}, "stop", {1, 1}));
    EXPECT_FALSE(none["choices"][0]["message"].contains("tool_calls"));
    EXPECT_FALSE(none["choices"][0]["message"].contains("reasoning_content"));
}

TEST(SseWriter, ToolCallDeltasFollowOpenAiOrder) {
    sse_writer w("chatcmpl-x", 42, "m");
    const auto begin = event_json(w.tool_call_begin_event(1, "call_9", "lookup"));
    const auto& d = begin["choices"][0]["delta"];
    EXPECT_EQ(d["tool_calls"][0], json::parse(R"({"index":1,"id":"call_9","type":"function",
        "function":{"name":"lookup","arguments":""}})"));
    EXPECT_TRUE(begin["choices"][0]["finish_reason"].is_null());
    const auto more = event_json(w.tool_call_arguments_event(1, "{\"q\":"));
    const auto& call = more["choices"][0]["delta"]["tool_calls"][0];
    EXPECT_EQ(call["index"], 1);
    EXPECT_FALSE(call.contains("id")); // an id on a later delta opens a second call in NextChat
    EXPECT_EQ(call["function"]["arguments"], "{\"q\":");
    const auto thought = event_json(w.reasoning_event("hmm"));
    EXPECT_EQ(thought["choices"][0]["delta"]["reasoning_content"], "hmm");
}
