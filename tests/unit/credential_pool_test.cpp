#include <gtest/gtest.h>

#include <limits>

#include "switchyard/providers/credential_pool.hpp"
#include "switchyard/providers/upstream_errors.hpp"

using namespace switchyard::providers;
using namespace std::chrono_literals;

namespace {

using clock_type = credential_pool::clock;

provider_error failure(failure_reason r, std::optional<long> retry_after = std::nullopt) {
    return {r, "refused", retry_after, std::nullopt};
}

/// The value of the credential `acquire` picks, or the reason nothing could be.
std::string pick(credential_pool& pool, clock_type::time_point now, std::vector<std::size_t> tried = {},
                 const std::function<bool(std::string_view)>& preferred = {}) {
    auto got = pool.acquire(tried, preferred, now);
    if (auto* e = std::get_if<provider_error>(&got)) return "none:" + std::string(reason_name(e->reason));
    return std::string(std::get<credential_pool::lease>(got).value());
}

credential_state state_of(const credential_pool& pool, std::size_t i, clock_type::time_point now) {
    return pool.report(now).at(i).state;
}

} // namespace

TEST(CredentialPool, EqualCredentialsTakeTurns) {
    credential_pool pool({"a", "b", "c"}, {});
    const auto t0 = clock_type::now();
    EXPECT_EQ(pick(pool, t0), "a");
    EXPECT_EQ(pick(pool, t0), "b");
    EXPECT_EQ(pick(pool, t0), "c");
    EXPECT_EQ(pick(pool, t0), "a");
}

TEST(CredentialPool, TheLeastLoadedIsPickedAndALeaseEndsItsLoad) {
    credential_pool pool({"a", "b"}, {});
    const auto t0 = clock_type::now();
    auto first = std::get<credential_pool::lease>(pool.acquire({}, {}, t0)); // a, held
    EXPECT_EQ(first.value(), "a");
    EXPECT_EQ(pick(pool, t0), "b");
    EXPECT_EQ(pick(pool, t0), "b"); // a is still busy
    EXPECT_EQ(pool.report(t0)[0].in_flight, 1u);
    { const auto gone = std::move(first); }
    EXPECT_EQ(pool.report(t0)[0].in_flight, 0u);
    EXPECT_EQ(pick(pool, t0), "a");
}

TEST(CredentialPool, AConcurrencyLimitPerCredentialRefusesWhenAllAreBusy) {
    credential_pool pool({"a"}, {.max_concurrent = 1});
    const auto t0 = clock_type::now();
    auto held = pool.acquire({}, {}, t0);
    ASSERT_TRUE(std::holds_alternative<credential_pool::lease>(held));
    auto refused = pool.acquire({}, {}, t0);
    ASSERT_TRUE(std::holds_alternative<provider_error>(refused));
    EXPECT_EQ(std::get<provider_error>(refused).reason, failure_reason::rate_limited);
    EXPECT_EQ(std::get<provider_error>(refused).retry_after_seconds, 1);
}

TEST(CredentialPool, ARateLimitCoolsUntilRetryAfterThenItIsBack) {
    credential_pool pool({"a", "b"}, {.cooldown = 60s});
    const auto t0 = clock_type::now();
    pool.failed(0, failure(failure_reason::rate_limited, 7), t0);
    EXPECT_EQ(state_of(pool, 0, t0), credential_state::cooling);
    EXPECT_EQ(pool.report(t0)[0].reason, "rate_limited: refused");
    EXPECT_EQ(pick(pool, t0 + 6s), "b");
    EXPECT_EQ(pick(pool, t0 + 6s), "b");
    EXPECT_EQ(state_of(pool, 0, t0 + 8s), credential_state::healthy);
    EXPECT_EQ(pick(pool, t0 + 8s), "a");
}

TEST(CredentialPool, WhenEveryCredentialCoolsTheSoonestReturnIsTheRetryAfter) {
    credential_pool pool({"a", "b"}, {.cooldown = 60s});
    const auto t0 = clock_type::now();
    pool.failed(0, failure(failure_reason::quota_exhausted), t0);  // the cooldown: 60 s
    pool.failed(1, failure(failure_reason::rate_limited, 20), t0); // Retry-After: 20 s
    auto got = pool.acquire({}, {}, t0 + 5s);
    ASSERT_TRUE(std::holds_alternative<provider_error>(got));
    EXPECT_EQ(std::get<provider_error>(got).reason, failure_reason::rate_limited); // b's, back first
    EXPECT_EQ(std::get<provider_error>(got).retry_after_seconds, 15);
    EXPECT_FALSE(pool.usable(t0 + 5s));
    EXPECT_TRUE(pool.usable(t0 + 21s));
    auto later = pool.acquire({}, {}, t0 + 25s);
    ASSERT_TRUE(std::holds_alternative<credential_pool::lease>(later));
    auto& b = std::get<credential_pool::lease>(later);
    EXPECT_EQ(b.value(), "b");
    pool.failed(b.index(), failure(failure_reason::rate_limited, 120), t0 + 25s);
    auto quota = pool.acquire({}, {}, t0 + 26s);
    EXPECT_EQ(std::get<provider_error>(quota).reason, failure_reason::quota_exhausted); // now a's is
}

TEST(CredentialPool, RefusalsMakeItFailingThenDeadUntilItSucceeds) {
    credential_pool pool({"a", "b"}, {.dead_after = 2});
    const auto t0 = clock_type::now();
    pool.failed(0, failure(failure_reason::credential_rejected), t0);
    EXPECT_EQ(state_of(pool, 0, t0), credential_state::failing);
    EXPECT_EQ(pool.report(t0)[0].consecutive_failures, 1u);
    // A failing credential comes after the healthy ones, but is still used.
    EXPECT_EQ(pick(pool, t0), "b");
    EXPECT_EQ(pick(pool, t0), "b");
    EXPECT_EQ(pick(pool, t0, {1}), "a");
    pool.failed(0, failure(failure_reason::credential_rejected), t0);
    EXPECT_EQ(state_of(pool, 0, t0), credential_state::dead);
    EXPECT_EQ(pick(pool, t0, {1}), "none:credential_rejected");
    pool.succeeded(0); // a probe found it working
    EXPECT_EQ(state_of(pool, 0, t0), credential_state::healthy);
    EXPECT_EQ(pool.report(t0)[0].consecutive_failures, 0u);
    EXPECT_EQ(pool.report(t0)[0].failures, 2u);
}

TEST(CredentialPool, TheUpstreamsOwnFailuresLeaveTheStateAlone) {
    credential_pool pool({"a"}, {});
    const auto t0 = clock_type::now();
    pool.failed(0, failure(failure_reason::upstream_failed), t0);
    pool.failed(0, failure(failure_reason::timeout), t0);
    EXPECT_EQ(state_of(pool, 0, t0), credential_state::healthy);
    EXPECT_EQ(pool.report(t0)[0].failures, 2u);
}

TEST(CredentialPool, APreferredUsableCredentialComesFirst) {
    credential_pool pool({"a", "b", "c"}, {});
    const auto t0 = clock_type::now();
    const auto is_c = [](std::string_view v) { return v == "c"; };
    EXPECT_EQ(pick(pool, t0, {}, is_c), "c");
    EXPECT_EQ(pick(pool, t0, {}, is_c), "c");
    pool.failed(2, failure(failure_reason::rate_limited), t0);
    EXPECT_EQ(pick(pool, t0, {}, is_c), "a"); // a cooling preference falls back to the others
}

TEST(CredentialPool, ReportsMaskTheValueAndCountStates) {
    credential_pool pool({"secret-token-1234", "other-token-9876"}, {});
    const auto t0 = clock_type::now();
    pool.failed(1, failure(failure_reason::rate_limited, 30), t0);
    const auto r = pool.report(t0);
    EXPECT_EQ(r[0].masked.find("secret"), std::string::npos);
    EXPECT_NE(r[0].masked.find("1234"), std::string::npos);
    ASSERT_TRUE(r[1].cooling_until);
    const auto left = std::chrono::duration_cast<std::chrono::seconds>(*r[1].cooling_until - std::chrono::system_clock::now());
    EXPECT_NEAR(static_cast<double>(left.count()), 30.0, 2.0);
    const auto counts = pool.count_by_state(t0);
    EXPECT_EQ(counts[static_cast<std::size_t>(credential_state::healthy)], 1u);
    EXPECT_EQ(counts[static_cast<std::size_t>(credential_state::cooling)], 1u);
}

TEST(CredentialPool, ASuccessDoesNotEndACoolingTheUpstreamAskedFor) {
    credential_pool pool({"a"}, {.dead_after = 3});
    const auto t0 = clock_type::now();
    pool.failed(0, failure(failure_reason::credential_rejected), t0);
    pool.failed(0, failure(failure_reason::rate_limited, 10), t0);
    pool.succeeded(0, t0 + 1s); // an exchange that began before the limit ends well
    EXPECT_EQ(state_of(pool, 0, t0 + 1s), credential_state::cooling);
    EXPECT_EQ(state_of(pool, 0, t0 + 11s), credential_state::healthy); // its refusal is forgotten
    pool.failed(0, failure(failure_reason::rate_limited, 10), t0 + 11s);
    pool.failed(0, failure(failure_reason::credential_rejected), t0 + 12s);
    EXPECT_EQ(state_of(pool, 0, t0 + 12s), credential_state::cooling); // keeps its time…
    EXPECT_EQ(state_of(pool, 0, t0 + 22s), credential_state::failing); // …then counts the refusal
    pool.reset(0);
    EXPECT_EQ(state_of(pool, 0, t0 + 12s), credential_state::healthy);
}

TEST(CredentialPool, ARetryAfterIsHeldToADay) {
    credential_pool pool({"a"}, {});
    const auto t0 = clock_type::now();
    pool.failed(0, failure(failure_reason::rate_limited, std::numeric_limits<long>::max()), t0);
    auto got = pool.acquire({}, {}, t0);
    ASSERT_TRUE(std::holds_alternative<provider_error>(got));
    EXPECT_EQ(std::get<provider_error>(got).retry_after_seconds, 86'400);
    EXPECT_EQ(state_of(pool, 0, t0 + 86'401s), credential_state::healthy);
}

TEST(RetryAfter, WholeSecondsOnlyAndAtMostADay) {
    using switchyard::providers::retry_after_seconds;
    EXPECT_EQ(retry_after_seconds("7"), 7);
    EXPECT_EQ(retry_after_seconds("7 "), 7);
    EXPECT_EQ(retry_after_seconds("99999999999"), 86'400);
    EXPECT_FALSE(retry_after_seconds("120abc"));
    EXPECT_FALSE(retry_after_seconds("-5"));
    EXPECT_FALSE(retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT"));
    EXPECT_FALSE(retry_after_seconds(""));
}

TEST(CredentialPool, AReloadKeepsTheCoolingButNotTheRefusals) {
    credential_pool before({"a", "b", "c"}, {.dead_after = 1});
    const auto t0 = clock_type::now();
    before.failed(0, failure(failure_reason::rate_limited, 30), t0);
    before.failed(1, failure(failure_reason::credential_rejected), t0);
    credential_pool after({"c", "a", "new"}, {});
    after.keep_cooling_from(before, t0 + 1s);
    EXPECT_EQ(state_of(after, 1, t0 + 1s), credential_state::cooling); // "a", still for 29 s
    EXPECT_EQ(state_of(after, 1, t0 + 31s), credential_state::healthy);
    EXPECT_EQ(state_of(after, 0, t0 + 1s), credential_state::healthy); // "c" was healthy
    EXPECT_EQ(state_of(after, 2, t0 + 1s), credential_state::healthy);
    EXPECT_EQ(before.report(t0)[1].state, credential_state::dead); // "b", dead before, is not carried (and gone)
}
