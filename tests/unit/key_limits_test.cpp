#include <gtest/gtest.h>

#include <variant>

#include "switchyard/http/auth.hpp"
#include "switchyard/ops/key_limits.hpp"

using namespace switchyard;
using namespace std::chrono_literals;
using limits = ops::key_limits;

namespace {

config::client_key key_with(long rpm, long tpm, long concurrent) {
    config::client_key k;
    k.name = "team";
    k.key = "sk-team";
    k.rpm = rpm;
    k.tpm = tpm;
    k.max_concurrent = concurrent;
    return k;
}

const api::api_error* refused(const std::variant<limits::ticket, api::api_error>& v) { return std::get_if<api::api_error>(&v); }

} // namespace

TEST(KeyLimits, RequestsPerMinuteRefillEvenlyAndSayHowLongToWait) {
    const std::vector<config::client_key> keys{key_with(2, 0, 0)};
    limits l(keys);
    const auto t0 = limits::clock::now();
    EXPECT_FALSE(refused(l.admit(&keys[0], true, 10, t0)));
    EXPECT_FALSE(refused(l.admit(&keys[0], true, 10, t0)));
    const auto third = l.admit(&keys[0], true, 10, t0);
    ASSERT_TRUE(refused(third));
    EXPECT_EQ(refused(third)->kind, api::error_kind::rate_limit_exceeded);
    EXPECT_EQ(refused(third)->retry_after_seconds, 30); // one request comes back every 30 s
    EXPECT_NE(refused(third)->message.find("2 requests per minute"), std::string::npos);
    EXPECT_TRUE(refused(l.admit(&keys[0], true, 10, t0 + 20s)));
    EXPECT_FALSE(refused(l.admit(&keys[0], true, 10, t0 + 31s)));
}

TEST(KeyLimits, TokensPerMinuteTakeThePromptAtOnceAndTheAnswerAtTheEnd) {
    const std::vector<config::client_key> keys{key_with(0, 100, 0)};
    limits l(keys);
    const auto t0 = limits::clock::now();
    {
        auto first = l.admit(&keys[0], true, 60, t0); // 100 → 40
        ASSERT_FALSE(refused(first));
        std::get<limits::ticket>(first).set_completion_tokens(50); // 40 → about -10 when it ends
    }
    const auto second = l.admit(&keys[0], true, 10, t0 + 1s);
    ASSERT_TRUE(refused(second)) << "the answer's tokens counted too";
    EXPECT_GE(refused(second)->retry_after_seconds.value_or(0), 1);
    EXPECT_NE(refused(second)->message.find("100 tokens per minute"), std::string::npos);
    // A prompt larger than the whole minute still goes through once the bucket is full again.
    EXPECT_FALSE(refused(l.admit(&keys[0], true, 500, t0 + 2min)));
    EXPECT_TRUE(refused(l.admit(&keys[0], true, 1, t0 + 2min + 1s)));
}

TEST(KeyLimits, ConcurrentRequestsAreHeldByTheirTickets) {
    const std::vector<config::client_key> keys{key_with(0, 0, 1)};
    limits l(keys);
    {
        auto held = l.admit(&keys[0], true, 1);
        ASSERT_FALSE(refused(held));
        const auto second = l.admit(&keys[0], true, 1);
        ASSERT_TRUE(refused(second));
        EXPECT_NE(refused(second)->message.find("1 requests at once"), std::string::npos);
        auto moved = std::move(std::get<limits::ticket>(held)); // still one request
        EXPECT_TRUE(refused(l.admit(&keys[0], true, 1)));
    }
    EXPECT_FALSE(refused(l.admit(&keys[0], true, 1)));
}

TEST(KeyLimits, AModelOutsideTheKeysListIsA403AndAKeyWithoutLimitsPasses) {
    const std::vector<config::client_key> keys{key_with(1, 0, 0)};
    limits l(keys);
    const auto denied = l.admit(&keys[0], false, 1);
    ASSERT_TRUE(refused(denied));
    EXPECT_EQ(refused(denied)->kind, api::error_kind::model_not_allowed);
    EXPECT_EQ(api::traits_of(api::error_kind::model_not_allowed).status, 403);
    EXPECT_FALSE(refused(l.admit(&keys[0], true, 1))) << "a refused model spends nothing";
    EXPECT_FALSE(refused(l.admit(nullptr, true, 1'000'000)));
}

TEST(Authenticator, NamedKeysByValueOrDigestCarryTheirLimits) {
    std::vector<config::client_key> named{key_with(5, 0, 0), key_with(0, 0, 0)};
    named[1].name = "digest-only";
    named[1].key.clear();
    // sha256("sk-digest")
    named[1].key_sha256 = "ef078e2f81a14ac6e29122c29799f8568babce0ed8c21df3019ea0f35bfbaff6";
    const http::authenticator auth({"sk-master"}, named);
    const auto master = auth.identify("Bearer sk-master", "");
    ASSERT_TRUE(master);
    EXPECT_EQ(master->name, "key1");
    EXPECT_EQ(master->key, nullptr);
    const auto team = auth.identify("", "sk-team");
    ASSERT_TRUE(team);
    EXPECT_EQ(team->name, "team");
    EXPECT_EQ(team->key, &named[0]);
    const auto by_digest = auth.identify("Bearer sk-digest", "");
    ASSERT_TRUE(by_digest);
    EXPECT_EQ(by_digest->name, "digest-only");
    EXPECT_EQ(by_digest->key, nullptr) << "no limits";
    EXPECT_FALSE(auth.identify("Bearer sk-nobody", ""));
    EXPECT_EQ(auth.owner_of("Bearer sk-team", ""), auth.owner_of("", "sk-team"));
}
