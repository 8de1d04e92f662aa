#include <gtest/gtest.h>

#include <string>

#include "switchyard/ops/metrics.hpp"

using namespace switchyard;
using clock_type = std::chrono::steady_clock;

namespace {

/// The sample line for `series` (name and labels, as rendered), or "" when there is none.
std::string line_of(const std::string& text, const std::string& series) {
    const auto at = text.find("\n" + series + " ");
    if (at == std::string::npos) return {};
    return text.substr(at + 1, text.find('\n', at + 1) - at - 1);
}

} // namespace

TEST(Metrics, AnExchangeIsCountedWithItsLabelsLatenciesAndTokens) {
    ops::metrics m;
    const auto t0 = clock_type::now();
    http::exchange_facts f;
    f.route = "/v1/chat/completions";
    f.model = "default";
    f.provider = "flowgpt";
    f.key_name = "key1";
    f.first_byte = t0 + std::chrono::milliseconds(20);
    f.first_token = t0 + std::chrono::milliseconds(30);
    f.prompt_tokens = 12;
    f.completion_tokens = 30;
    f.tokens_estimated = true;
    m.exchange_ended(f, 200, t0, t0 + std::chrono::milliseconds(50));
    m.exchange_ended(f, 200, t0, t0 + std::chrono::milliseconds(50));
    f.upstream_failure = "timeout";
    f.prompt_tokens = f.completion_tokens = -1;
    m.exchange_ended(f, 504, t0, t0 + std::chrono::seconds(5));
    m.stream_opened();
    m.stream_opened();
    m.stream_closed();
    m.store_call(0.002);

    const std::string text = "\n" + m.render();
    EXPECT_EQ(
        line_of(text,
                R"(switchyard_requests_total{model="default",provider="flowgpt",route="/v1/chat/completions",status="200"})"),
        R"(switchyard_requests_total{model="default",provider="flowgpt",route="/v1/chat/completions",status="200"} 2)");
    EXPECT_NE(
        line_of(text,
                R"(switchyard_requests_total{model="default",provider="flowgpt",route="/v1/chat/completions",status="504"})"),
        "");
    EXPECT_EQ(line_of(text, R"(switchyard_upstream_failures_total{provider="flowgpt",reason="timeout"})"),
              R"(switchyard_upstream_failures_total{provider="flowgpt",reason="timeout"} 1)");
    EXPECT_EQ(line_of(text, R"(switchyard_tokens_total{estimated="true",key="key1",kind="prompt",model="default"})"),
              R"(switchyard_tokens_total{estimated="true",key="key1",kind="prompt",model="default"} 24)");
    EXPECT_EQ(line_of(text, R"(switchyard_request_duration_seconds_count{route="/v1/chat/completions"})"),
              R"(switchyard_request_duration_seconds_count{route="/v1/chat/completions"} 3)");
    EXPECT_EQ(line_of(text, R"(switchyard_request_duration_seconds_bucket{route="/v1/chat/completions",le="0.05"})"),
              R"(switchyard_request_duration_seconds_bucket{route="/v1/chat/completions",le="0.05"} 2)");
    EXPECT_EQ(line_of(text, R"(switchyard_time_to_first_token_seconds_count{provider="flowgpt"})"),
              R"(switchyard_time_to_first_token_seconds_count{provider="flowgpt"} 3)");
    EXPECT_EQ(line_of(text, "switchyard_open_streams"), "switchyard_open_streams 1");
    EXPECT_EQ(line_of(text, "switchyard_store_call_seconds_count"), "switchyard_store_call_seconds_count 1");
}

TEST(Metrics, LabelSetsThatShareTextStayApart) {
    // Series are found by their label values one by one: "a"+"bc" and "ab"+"c" are two series.
    ops::metrics m;
    const auto t0 = clock_type::now();
    http::exchange_facts one, two;
    one.route = "/v1/models";
    one.model = "ab";
    one.provider = "c";
    two.route = "/v1/models";
    two.model = "a";
    two.provider = "bc";
    m.exchange_ended(one, 200, t0, t0);
    m.exchange_ended(two, 200, t0, t0);
    const std::string text = "\n" + m.render();
    EXPECT_NE(line_of(text, R"(switchyard_requests_total{model="ab",provider="c",route="/v1/models",status="200"})"), "");
    EXPECT_NE(line_of(text, R"(switchyard_requests_total{model="a",provider="bc",route="/v1/models",status="200"})"), "");
    EXPECT_EQ(line_of(text, R"(switchyard_time_to_first_byte_seconds_count{route="/v1/models"})"), "") << "no head was written";
}
