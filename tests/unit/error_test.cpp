#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "switchyard/api/error.hpp"
#include "switchyard/api/handlers.hpp"

using namespace switchyard::api;

TEST(ErrorMapping, StatusTypeAndCodeFollowTheContract) {
    struct row {
        error_kind kind;
        int status;
        const char* code;
        bool retry_header;
    };
    const row rows[] = {
        {error_kind::invalid_json, 400, "invalid_json", false},
        {error_kind::invalid_api_key, 401, "invalid_api_key", false},
        {error_kind::model_not_found, 404, "model_not_found", false},
        {error_kind::route_not_found, 404, nullptr, false},
        {error_kind::method_not_allowed, 405, "method_not_allowed", false},
        {error_kind::payload_too_large, 413, "payload_too_large", false},
        {error_kind::rate_limit_exceeded, 429, "rate_limit_exceeded", false},
        {error_kind::insufficient_quota, 429, "insufficient_quota", true},
        {error_kind::conversation_not_found, 404, "conversation_not_found", false},
        {error_kind::conversation_busy, 409, "conversation_busy", true},
        {error_kind::upstream_auth_failed, 502, "upstream_auth_failed", true},
        {error_kind::upstream_error, 502, "upstream_error", false},
        {error_kind::provider_unavailable, 503, "provider_not_configured", true},
        {error_kind::upstream_timeout, 504, "upstream_timeout", false},
    };
    for (const auto& r : rows) {
        const auto resp = error_response({r.kind, "msg", "p", std::nullopt});
        EXPECT_EQ(resp.status, r.status);
        const auto body = nlohmann::json::parse(resp.body);
        ASSERT_TRUE(body["error"].is_object());
        EXPECT_EQ(body["error"]["message"], "msg");
        EXPECT_EQ(body["error"]["param"], "p");
        EXPECT_TRUE(body["error"]["type"].is_string());
        if (r.code) {
            EXPECT_EQ(body["error"]["code"], r.code);
        } else {
            EXPECT_TRUE(body["error"]["code"].is_null());
        }
        bool has_no_retry = false;
        for (const auto& [k, v] : resp.headers)
            has_no_retry |= (k == "x-should-retry" && v == "false");
        EXPECT_EQ(has_no_retry, r.retry_header) << r.status;
    }
}

TEST(ErrorMapping, RetryAfterIsForwarded) {
    const auto resp = error_response({error_kind::rate_limit_exceeded, "slow down", std::nullopt, 7});
    ASSERT_FALSE(resp.headers.empty());
    EXPECT_EQ(resp.headers.back().first, "retry-after");
    EXPECT_EQ(resp.headers.back().second, "7");
    EXPECT_TRUE(nlohmann::json::parse(resp.body)["error"]["param"].is_null());
}
