#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "switchyard/api/failure_mapping.hpp"
#include "switchyard/providers/aipkit/aipkit_provider.hpp"

using namespace switchyard;
using providers::aipkit::image_inputs;
using providers::aipkit::one_shot_message;

namespace {

api::chat_request request(std::string_view body) { return std::get<api::chat_request>(api::parse_chat_request(body)); }

} // namespace

TEST(AipkitRequest, OneShotSendsTheMessageOrATranscript) {
    EXPECT_EQ(one_shot_message(request(R"({"model":"m","messages":[{"role":"user","content":"hi"}]})")), "hi");
    EXPECT_EQ(one_shot_message(request(R"({"model":"m","messages":[{"role":"system","content":"be brief"},
        {"role":"user","content":"a"},{"role":"assistant","content":"b"},{"role":"user","content":"c"}]})")),
              "System: be brief\n\nUser: a\n\nAssistant: b\n\nUser: c");
    // A history kept elsewhere (a stored conversation, a continued chat) comes first.
    const auto earlier =
        request(R"({"model":"m","messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b"}]})");
    EXPECT_EQ(one_shot_message(request(R"({"model":"m","messages":[{"role":"user","content":"c"}]})"), earlier.messages),
              "User: a\n\nAssistant: b\n\nUser: c");
}

TEST(AipkitRequest, ImagesBecomeImageInputs) {
    const auto ok = image_inputs(request(R"({"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"x"},
        {"type":"image_url","image_url":{"url":"data:image/webp;base64,UklGR"}}]}]})"));
    ASSERT_TRUE(std::holds_alternative<std::string>(ok));
    const auto j = nlohmann::json::parse(std::get<std::string>(ok));
    EXPECT_EQ(j, nlohmann::json::parse(R"([{"mime_type":"image/webp","base64_data":"UklGR"}])"));
    EXPECT_EQ(std::get<std::string>(image_inputs(request(R"({"model":"m","messages":[{"role":"user","content":"no images"}]})"))),
              "");
}

TEST(AipkitRequest, BadImagesAreA400NamingThePart) {
    struct row {
        const char* url;
        const char* param;
    };
    const row rows[] = {
        {"https://example.com/a.png", "messages[0].content[0].image_url.url"},
        {"data:image/gif;base64,R0lG", "messages[0].content[0].image_url.url"},
        {"data:image/png,notbase64", "messages[0].content[0].image_url.url"},
    };
    for (const auto& r : rows) {
        const std::string body =
            std::string(R"({"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":")") +
            r.url + R"("}}]}]})";
        const auto result = image_inputs(request(body));
        ASSERT_TRUE(std::holds_alternative<providers::provider_error>(result)) << r.url;
        EXPECT_EQ(std::get<providers::provider_error>(result).param.value_or(""), r.param) << r.url;
        EXPECT_EQ(api::traits_of(api::error_for(std::get<providers::provider_error>(result)).kind).status, 400);
    }
    std::string five = R"({"model":"m","messages":[{"role":"user","content":[)";
    for (int i = 0; i < 5; ++i)
        five += std::string(i ? "," : "") + R"({"type":"image_url","image_url":{"url":"data:image/png;base64,AA"}})";
    five += "]}]}";
    const auto many = image_inputs(request(five));
    ASSERT_TRUE(std::holds_alternative<providers::provider_error>(many));
    EXPECT_EQ(std::get<providers::provider_error>(many).param.value_or(""), "messages[0].content[4]");
}
