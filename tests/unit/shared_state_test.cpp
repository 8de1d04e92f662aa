// What gateway instances share on Redis: two shared states on one real redis-server stand for
// two instances.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <chrono>
#include <future>
#include <thread>

#include "redis_server.hpp"
#include "switchyard/providers/credential_pool.hpp"
#include "switchyard/store/redis/redis_shared_state.hpp"

using namespace switchyard;
using namespace std::chrono_literals;
using switchyard::testing_support::redis_server;
namespace net = boost::asio;

namespace {

/// Runs `task` to its end on a context of this thread, as an I/O thread would await it.
template <class T> T await(net::awaitable<T> task) {
    net::io_context ioc;
    auto result = net::co_spawn(ioc, std::move(task), net::use_future);
    ioc.run();
    return result.get();
}

std::unique_ptr<store::shared_state> instance(const redis_server& redis, std::chrono::milliseconds lease = 30s) {
    store::shared_state_settings s;
    s.lease = lease;
    s.news_period = 50ms;
    return store::open_redis_shared_state("redis://127.0.0.1:" + std::to_string(redis.port()), s);
}

/// Waits (a few seconds at most) for `done`: background calls land a moment later.
template <class F> bool eventually(F done) {
    for (int i = 0; i < 200; ++i) {
        if (done()) return true;
        std::this_thread::sleep_for(20ms);
    }
    return false;
}

} // namespace

TEST(SharedState, ALockHasOneHolderAcrossInstancesUntilUnlocked) {
    redis_server redis;
    auto a = instance(redis), b = instance(redis);
    const std::string name = "conversation:conv_1";
    const std::string token = await(a->lock(name));
    ASSERT_FALSE(token.empty());
    EXPECT_EQ(await(b->lock(name)), "");
    EXPECT_EQ(a->lock_blocking(name), ""); // not reentrant: a second turn on the same instance waits too
    EXPECT_FALSE(b->lock_blocking("conversation:conv_2").empty());
    b->unlock(name, "not-the-token"); // a stale unlock frees nothing
    a->unlock(name, token);
    EXPECT_TRUE(eventually([&] { return !b->lock_blocking(name).empty(); }));
}

TEST(SharedState, AHeldLockIsRenewedAndADeadInstancesLockExpires) {
    redis_server redis;
    auto a = instance(redis, 300ms), b = instance(redis, 300ms);
    ASSERT_FALSE(a->lock_blocking("conversation:long").empty());
    std::this_thread::sleep_for(900ms); // three leases: renewed meanwhile
    EXPECT_EQ(b->lock_blocking("conversation:long"), "");
    a.reset(); // the instance dies without unlocking
    std::this_thread::sleep_for(400ms);
    EXPECT_FALSE(b->lock_blocking("conversation:long").empty());
}

TEST(SharedState, KeyLimitsAreCountedOnceForEveryInstance) {
    redis_server redis;
    auto a = instance(redis), b = instance(redis);
    const store::key_quota per_minute{"team-a", 2, 0, 0};
    EXPECT_TRUE(await(a->admit(per_minute, 10)).admitted);
    EXPECT_TRUE(await(b->admit(per_minute, 10)).admitted);
    const auto third = await(a->admit(per_minute, 10));
    EXPECT_FALSE(third.admitted);
    EXPECT_EQ(third.limit, "requests");
    EXPECT_GT(third.wait_seconds, 0);
    EXPECT_LE(third.wait_seconds, 30);

    const store::key_quota one_at_a_time{"solo", 0, 0, 1};
    const auto first = await(a->admit(one_at_a_time, 0));
    ASSERT_TRUE(first.admitted);
    const auto second = await(b->admit(one_at_a_time, 0));
    EXPECT_FALSE(second.admitted);
    EXPECT_EQ(second.limit, "concurrent");
    a->finish(one_at_a_time, first.ticket, 0);
    EXPECT_TRUE(eventually([&] { return await(b->admit(one_at_a_time, 0)).admitted; }));

    // Tokens: a prompt that spends the minute refuses the next request, on the other instance too.
    const store::key_quota tokens{"tokens", 0, 100, 0};
    const auto big = await(a->admit(tokens, 60));
    ASSERT_TRUE(big.admitted);
    a->finish(tokens, big.ticket, 50); // the answer's tokens are counted when it ends
    EXPECT_TRUE(eventually([&] { return await(b->admit(tokens, 1)).limit == "tokens"; }));
}

TEST(SharedState, AKeysSlotOutlivesADeadInstanceOnlyByItsLease) {
    redis_server redis;
    auto a = instance(redis, 300ms), b = instance(redis, 300ms);
    const store::key_quota one_at_a_time{"solo", 0, 0, 1};
    ASSERT_TRUE(await(a->admit(one_at_a_time, 0)).admitted);
    std::this_thread::sleep_for(700ms); // renewed while its request runs
    EXPECT_FALSE(await(b->admit(one_at_a_time, 0)).admitted);
    a.reset();
    std::this_thread::sleep_for(400ms);
    EXPECT_TRUE(await(b->admit(one_at_a_time, 0)).admitted);
}

TEST(SharedState, ACredentialOneInstanceSawRateLimitedRestsOnTheOther) {
    redis_server redis;
    auto a = instance(redis), b = instance(redis);
    const providers::credential_policy policy{60s, 0, 3};
    providers::credential_pool on_a({"sk-one", "sk-two"}, policy), on_b({"sk-one", "sk-two"}, policy);
    on_a.share_through(a.get(), "openai");
    on_b.share_through(b.get(), "openai");
    on_a.failed(0, providers::provider_error{providers::failure_reason::rate_limited, "slow down", 30L, std::nullopt});
    EXPECT_TRUE(eventually([&] { return on_b.report()[0].state == providers::credential_state::cooling; }));
    const auto cooling = on_b.report()[0];
    ASSERT_TRUE(cooling.cooling_until);
    const auto left = *cooling.cooling_until - std::chrono::system_clock::now();
    EXPECT_GT(left, 25s);
    EXPECT_LE(left, 31s);
    // B draws the other credential now, never the resting one.
    for (int i = 0; i < 4; ++i) {
        auto lease = on_b.acquire();
        ASSERT_TRUE(std::holds_alternative<providers::credential_pool::lease>(lease));
        EXPECT_EQ(std::get<providers::credential_pool::lease>(lease).index(), 1u);
    }
    // The operator's reset on B is news for A.
    on_b.reset(0);
    EXPECT_TRUE(eventually([&] { return on_a.report()[0].state == providers::credential_state::healthy; }));
    // Refusals are counted across instances: three in all make it dead everywhere.
    const providers::provider_error refused{providers::failure_reason::credential_rejected, "revoked", std::nullopt,
                                            std::nullopt};
    on_a.failed(1, refused);
    EXPECT_TRUE(eventually([&] { return on_b.report()[1].consecutive_failures == 1; }));
    on_b.failed(1, refused);
    EXPECT_TRUE(eventually([&] { return on_a.report()[1].consecutive_failures == 2; }));
    on_a.failed(1, refused);
    EXPECT_TRUE(eventually([&] { return on_b.report()[1].state == providers::credential_state::dead; }));
    // Nothing in Redis names a credential: only digests.
    net::io_context ioc;
    store::redis::client peek(ioc.get_executor(), store::redis::parse_url("redis://127.0.0.1:" + std::to_string(redis.port())));
    const store::redis::command all{"HGETALL", "switchyard:credentials"};
    auto stored = net::co_spawn(ioc, peek.run(all), net::use_future);
    ioc.run();
    const auto r = stored.get();
    ASSERT_EQ(r.elements.size(), 4u);
    for (const auto& e : r.elements)
        EXPECT_EQ(e.text.find("sk-"), std::string::npos) << e.text;
}

TEST(SharedState, ANewPoolTakesTheOthersCoolingButStartsRefusalsAfresh) {
    redis_server redis;
    auto a = instance(redis), b = instance(redis);
    const providers::credential_policy policy{60s, 0, 2};
    providers::credential_pool on_a({"sk-one", "sk-two"}, policy);
    on_a.share_through(a.get(), "openai");
    const providers::provider_error refused{providers::failure_reason::credential_rejected, "revoked", std::nullopt,
                                            std::nullopt};
    on_a.failed(0, refused);
    on_a.failed(0, refused); // dead on A
    on_a.failed(1, providers::provider_error{providers::failure_reason::quota_exhausted, "quota", 600L, std::nullopt});
    std::this_thread::sleep_for(200ms);
    // B starts (or reloads) now: the quota cooling holds, the refusals before it do not.
    providers::credential_pool on_b({"sk-one", "sk-two"}, policy);
    on_b.share_through(b.get(), "openai");
    EXPECT_TRUE(eventually([&] { return on_b.report()[1].state == providers::credential_state::cooling; }));
    EXPECT_EQ(on_b.report()[0].state, providers::credential_state::healthy);
    // Another provider's credential of the same value is another credential.
    providers::credential_pool other({"sk-one", "sk-two"}, policy);
    other.share_through(b.get(), "lab");
    std::this_thread::sleep_for(200ms);
    EXPECT_EQ(other.report()[1].state, providers::credential_state::healthy);
}

TEST(SharedState, NewsMergesAsLocalOutcomesDoARefusalDoesNotEndACooling) {
    redis_server redis;
    auto a = instance(redis), b = instance(redis), c = instance(redis);
    const providers::credential_policy policy{60s, 0, 3};
    providers::credential_pool on_a({"sk-one"}, policy), on_b({"sk-one"}, policy), on_c({"sk-one"}, policy);
    on_a.share_through(a.get(), "openai");
    on_b.share_through(b.get(), "openai");
    on_c.share_through(c.get(), "openai");
    on_a.failed(0, providers::provider_error{providers::failure_reason::rate_limited, "slow down", 30L, std::nullopt});
    // B refuses it a moment later, before or after hearing of the cooling: it stays cooling everywhere.
    on_b.failed(0, providers::provider_error{providers::failure_reason::credential_rejected, "who?", std::nullopt, std::nullopt});
    EXPECT_TRUE(eventually([&] {
        const auto ra = on_a.report()[0], rb = on_b.report()[0], rc = on_c.report()[0];
        return ra.consecutive_failures == 1 && rc.state == providers::credential_state::cooling &&
               rb.state == providers::credential_state::cooling;
    }));
    EXPECT_EQ(on_a.report()[0].state, providers::credential_state::cooling);
    // Only an operator's reset ends it.
    on_c.reset(0);
    EXPECT_TRUE(eventually([&] {
        return on_a.report()[0].state == providers::credential_state::healthy &&
               on_b.report()[0].state == providers::credential_state::healthy;
    }));
}

TEST(SharedState, ValuesAreSharedAndAStaleOneIsDroppedOnlyIfStillHeld) {
    redis_server redis;
    auto a = instance(redis), b = instance(redis);
    const std::string name = "aipkit-nonce:chatgptfree";
    EXPECT_EQ(await(b->value(name)), "");
    a->put_value(name, "n-1", 10s);
    EXPECT_TRUE(eventually([&] { return await(b->value(name)) == "n-1"; }));
    b->drop_value(name, "n-0"); // someone else's stale value: kept
    a->put_value(name, "n-1b", 10s);
    EXPECT_TRUE(eventually([&] { return await(b->value(name)) == "n-1b"; }));
    b->drop_value(name, "n-1b");
    EXPECT_TRUE(eventually([&] { return await(a->value(name)).empty(); }));
}

TEST(SharedState, RedisDownIsAFastStoreUnavailableAndItComesBack) {
    auto redis = std::make_unique<redis_server>();
    const auto port = redis->port();
    auto a = instance(*redis);
    redis.reset();
    const auto started = std::chrono::steady_clock::now();
    EXPECT_THROW(a->lock_blocking("conversation:x"), store::store_unavailable);
    EXPECT_THROW(await(a->admit(store::key_quota{"k", 1, 0, 0}, 0)), store::store_unavailable);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
    a->unlock("conversation:x", "t"); // background calls fail quietly
    redis_server again({}, port);
    EXPECT_TRUE(eventually([&] {
        try {
            return !a->lock_blocking("conversation:x").empty();
        } catch (const store::store_unavailable&) {
            return false;
        }
    }));
}
