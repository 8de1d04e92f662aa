#include <gtest/gtest.h>

#include "switchyard/api/failure_mapping.hpp"

using namespace switchyard;
using providers::failure_reason;

TEST(FailureMapping, EachReasonHasOneKind) {
    struct row {
        failure_reason reason;
        api::error_kind kind;
        int status;
    };
    const row rows[] = {
        {failure_reason::credential_rejected, api::error_kind::upstream_auth_failed, 502},
        {failure_reason::rate_limited, api::error_kind::rate_limit_exceeded, 429},
        {failure_reason::quota_exhausted, api::error_kind::insufficient_quota, 429},
        {failure_reason::request_rejected, api::error_kind::invalid_value, 400},
        {failure_reason::request_unsupported, api::error_kind::unsupported_value, 400},
        {failure_reason::model_unknown, api::error_kind::model_not_found, 404},
        {failure_reason::upstream_failed, api::error_kind::upstream_error, 502},
        {failure_reason::protocol, api::error_kind::upstream_error, 502},
        {failure_reason::transport, api::error_kind::upstream_error, 502},
        {failure_reason::timeout, api::error_kind::upstream_timeout, 504},
        {failure_reason::not_configured, api::error_kind::provider_unavailable, 503},
    };
    for (const auto& r : rows) {
        const auto e = api::error_for({r.reason, "why", std::nullopt, std::nullopt});
        EXPECT_EQ(e.kind, r.kind) << static_cast<int>(r.reason);
        EXPECT_EQ(api::traits_of(e.kind).status, r.status) << static_cast<int>(r.reason);
        EXPECT_EQ(e.message, "why");
    }
}

TEST(FailureMapping, KeepsMessageParamAndRetryAfter) {
    const auto limited = api::error_for({failure_reason::rate_limited, "slow down", 7, std::nullopt});
    EXPECT_EQ(limited.retry_after_seconds, 7);
    EXPECT_EQ(limited.message, "slow down");
    const auto rejected = api::error_for({failure_reason::request_rejected, "bad image", std::nullopt, "messages"});
    EXPECT_EQ(rejected.param, "messages");
    EXPECT_EQ(rejected.kind, api::error_kind::invalid_value);
}
