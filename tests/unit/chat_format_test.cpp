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
    const auto j = json::parse(completion_body("chatcmpl-x", 42, "default", "Hello", "stop", {5, 2}));
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
