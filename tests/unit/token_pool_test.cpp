#include <gtest/gtest.h>

#include "switchyard/providers/credential_pool.hpp"

using token_pool = switchyard::providers::credential_pool;
using namespace std::chrono_literals;

TEST(TokenPool, RotatesRoundRobin) {
    token_pool pool({"a", "b", "c"}, 60s);
    const auto t0 = token_pool::clock::now();
    EXPECT_EQ(pool.next(t0), "a");
    EXPECT_EQ(pool.next(t0), "b");
    EXPECT_EQ(pool.next(t0), "c");
    EXPECT_EQ(pool.next(t0), "a");
}

TEST(TokenPool, RejectedTokenRestsThenReturns) {
    token_pool pool({"a", "b"}, 60s);
    const auto t0 = token_pool::clock::now();
    pool.cool_down("a", t0);
    EXPECT_EQ(pool.next(t0), "b");
    EXPECT_EQ(pool.next(t0 + 1s), "b");
    EXPECT_EQ(pool.next(t0 + 61s), "a");
}

TEST(TokenPool, WhenAllRestTheSoonestBackIsTried) {
    token_pool pool({"a", "b"}, 60s);
    const auto t0 = token_pool::clock::now();
    pool.cool_down("b", t0);
    pool.cool_down("a", t0 + 5s);
    EXPECT_EQ(pool.next(t0 + 10s), "b");
    EXPECT_FALSE(token_pool({}, 60s).next().has_value());
}

TEST(TokenPool, APreferredRestedTokenComesFirst) {
    token_pool pool({"a", "b", "c"}, 60s);
    const auto t0 = token_pool::clock::now();
    const auto is_c = [](std::string_view t) { return t == "c"; };
    EXPECT_EQ(pool.next_preferring(is_c, t0), "c");
    EXPECT_EQ(pool.next_preferring(is_c, t0), "c");
    pool.cool_down("c", t0);
    EXPECT_EQ(pool.next_preferring(is_c, t0), "a"); // a resting preference falls back to rotation
    EXPECT_EQ(pool.next_preferring([](std::string_view) { return false; }, t0), "b");
}
