#include <gtest/gtest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "switchyard/providers/aipkit/shared_nonce.hpp"

using switchyard::providers::aipkit::shared_nonce;
namespace net = boost::asio;
using namespace std::chrono_literals;

namespace {

net::awaitable<void> pause(std::chrono::milliseconds d) {
    net::steady_timer t(co_await net::this_coro::executor, d);
    co_await t.async_wait(net::use_awaitable); // throws when cancelled
}

/// A fetch that takes `delay`, then returns `value` (or throws when `value` is "throw").
shared_nonce::fetcher slow_fetch(std::atomic<int>& calls, std::string value, std::chrono::milliseconds delay) {
    return [&calls, value, delay]() -> net::awaitable<std::string> {
        ++calls;
        co_await pause(delay);
        if (value == "throw") throw std::runtime_error("connection refused");
        co_return value;
    };
}

struct outcome {
    shared_nonce::status status;
    std::string nonce;
    bool resumed_on_own_thread;
    bool led;
};

/// `per_context` callers on each of two io_contexts, each on its own thread.
std::vector<outcome> callers_on_two_threads(shared_nonce& n, const shared_nonce::fetcher& fetch, int per_context,
                                            std::chrono::milliseconds limit = 2000ms) {
    std::mutex m;
    std::vector<outcome> out;
    net::io_context a, b;
    for (auto* ioc : {&a, &b})
        for (int i = 0; i < per_context; ++i)
            net::co_spawn(
                *ioc,
                [&]() -> net::awaitable<void> {
                    const auto me = std::this_thread::get_id();
                    shared_nonce::result r;
                    try {
                        r = co_await n.get(fetch, limit);
                    } catch (const std::exception&) {
                        r = {shared_nonce::status::failed, "threw", true};
                    }
                    std::lock_guard lock(m);
                    out.push_back({r.outcome, r.nonce, std::this_thread::get_id() == me, r.led});
                },
                net::detached);
    std::thread ta([&] { a.run(); });
    std::thread tb([&] { b.run(); });
    ta.join();
    tb.join();
    return out;
}

} // namespace

TEST(SharedNonce, EightCallersOnTwoThreadsShareOneFetch) {
    shared_nonce n;
    std::atomic<int> calls = 0;
    const auto fetch = slow_fetch(calls, "n1", 50ms);
    const auto out = callers_on_two_threads(n, fetch, 4);
    ASSERT_EQ(out.size(), 8u);
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(n.fetches(), 1u);
    int leaders = 0;
    for (const auto& o : out) {
        leaders += o.led;
        EXPECT_EQ(o.status, shared_nonce::status::ok);
        EXPECT_EQ(o.nonce, "n1");
        EXPECT_TRUE(o.resumed_on_own_thread);
    }
    EXPECT_EQ(leaders, 1);
}

TEST(SharedNonce, AHeldNonceNeedsNoFetchUntilForgotten) {
    shared_nonce n("configured");
    std::atomic<int> calls = 0;
    const auto fetch = slow_fetch(calls, "fresh", 1ms);
    auto out = callers_on_two_threads(n, fetch, 2);
    EXPECT_EQ(calls, 0);
    EXPECT_EQ(out[0].nonce, "configured");
    n.forget("something else"); // a stale rejection does not drop the current nonce
    EXPECT_EQ(callers_on_two_threads(n, fetch, 1)[0].nonce, "configured");
    n.forget("configured");
    out = callers_on_two_threads(n, fetch, 2);
    EXPECT_EQ(calls, 1);
    for (const auto& o : out)
        EXPECT_EQ(o.nonce, "fresh");
}

TEST(SharedNonce, AFailedFetchFailsEveryWaiterAndTheNextCallTriesAgain) {
    shared_nonce n;
    std::atomic<int> calls = 0;
    const auto empty = slow_fetch(calls, "", 30ms);
    for (const auto& o : callers_on_two_threads(n, empty, 4))
        EXPECT_EQ(o.status, shared_nonce::status::failed);
    EXPECT_EQ(calls, 1);

    const auto throwing = slow_fetch(calls, "throw", 30ms);
    const auto out = callers_on_two_threads(n, throwing, 4);
    EXPECT_EQ(calls, 2);
    int thrown = 0;
    for (const auto& o : out) {
        EXPECT_EQ(o.status, shared_nonce::status::failed);
        thrown += o.nonce == "threw";
    }
    EXPECT_EQ(thrown, 1) << "the leader sees the exception, the waiters a failure";
}

TEST(SharedNonce, WaitingIsBounded) {
    shared_nonce n;
    std::atomic<int> calls = 0;
    const auto fetch = slow_fetch(calls, "late", 400ms);
    const auto started = std::chrono::steady_clock::now();
    int timed_out = 0;
    for (const auto& o : callers_on_two_threads(n, fetch, 2, 50ms))
        timed_out += o.status == shared_nonce::status::timed_out;
    EXPECT_EQ(timed_out, 3) << "all but the leader";
    EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);
}

TEST(SharedNonce, ACancelledLeaderHandsTheFetchToAWaiter) {
    shared_nonce n;
    std::atomic<int> calls = 0;
    const auto fetch = slow_fetch(calls, "n2", 100ms);
    net::io_context a, b;
    net::cancellation_signal cancel;
    bool leader_cancelled = false;
    net::co_spawn(
        a, [&]() -> net::awaitable<void> { (void)co_await n.get(fetch, 2000ms); },
        net::bind_cancellation_slot(cancel.slot(), [&](std::exception_ptr e) { leader_cancelled = e != nullptr; }));
    net::steady_timer cancel_timer(a, 30ms);
    cancel_timer.async_wait([&](auto) { cancel.emit(net::cancellation_type::terminal); });
    std::vector<std::string> got;
    for (int i = 0; i < 3; ++i)
        net::co_spawn(
            b,
            [&]() -> net::awaitable<void> {
                co_await pause(10ms); // after the leader has started
                const auto r = co_await n.get(fetch, 2000ms);
                got.push_back(r.nonce);
            },
            net::detached);
    std::thread ta([&] { a.run(); });
    b.run();
    ta.join();
    EXPECT_TRUE(leader_cancelled);
    EXPECT_EQ(calls, 2);
    EXPECT_EQ(got, (std::vector<std::string>{"n2", "n2", "n2"}));
}
