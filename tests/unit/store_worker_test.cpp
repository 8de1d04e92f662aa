#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <functional>
#include <stdexcept>
#include <thread>
#include <vector>

#include "switchyard/store/store_worker.hpp"
#include "temp_db.hpp"

using namespace switchyard::store;
namespace net = boost::asio;

namespace {

using switchyard::testing_support::temp_db;

/// Runs `body` as a coroutine on a fresh io_context until it ends; rethrows what it throws.
void run_coroutine(std::function<net::awaitable<void>()> body) {
    net::io_context ioc;
    std::exception_ptr failed;
    net::co_spawn(ioc, body(), [&](std::exception_ptr e) { failed = e; });
    ioc.run();
    if (failed) std::rethrow_exception(failed);
}

turn one_turn(const std::string& id, const std::string& text) { return turn{{item{id, text, 100}}, "flowgpt", "{}"}; }

class StoreWorkerTest : public testing::TestWithParam<std::function<std::unique_ptr<conversation_store>()>> {};

} // namespace

TEST_P(StoreWorkerTest, ReturnsResults) {
    auto store = GetParam()();
    store_worker worker(*store);
    run_coroutine([&]() -> net::awaitable<void> {
        const conversation c{"conv_a", "alice", 10, 10, "{}", "", ""};
        co_await worker.run([&](conversation_store& s) { s.create(c); });
        const bool saved =
            co_await worker.run([&](conversation_store& s) { return s.append_turn("alice", "conv_a", one_turn("m1", "hi")); });
        EXPECT_TRUE(saved);
        const auto got = co_await worker.run([&](conversation_store& s) { return s.get("alice", "conv_a"); });
        EXPECT_EQ(got->provider, "flowgpt");
        const auto missing = co_await worker.run([&](conversation_store& s) { return s.get("bob", "conv_a"); });
        EXPECT_FALSE(missing);
        const auto page =
            co_await worker.run([&](conversation_store& s) { return s.list_items("alice", "conv_a", 10, true, std::nullopt); });
        EXPECT_EQ(page.items.size(), 1u);
        EXPECT_EQ(page.items.empty() ? "" : page.items[0].body, "hi");
    });
}

TEST_P(StoreWorkerTest, ExceptionsReachTheCaller) {
    auto store = GetParam()();
    store_worker worker(*store);
    run_coroutine([&]() -> net::awaitable<void> {
        bool caught = false;
        try {
            co_await worker.run([](conversation_store&) -> int { throw std::logic_error("boom"); });
        } catch (const std::logic_error& e) {
            caught = std::string(e.what()) == "boom";
        }
        EXPECT_TRUE(caught);
        // The worker goes on after a failed call.
        const bool absent = co_await worker.run([](conversation_store& s) { return !s.get("o", "nope"); });
        EXPECT_TRUE(absent);
    });
}

TEST(StoreWorker, SqliteErrorsReachTheCaller) {
    auto store = open_sqlite_store(temp_db());
    store_worker worker(*store);
    run_coroutine([&]() -> net::awaitable<void> {
        const conversation c{"dup", "o", 1, 1, "{}", "", ""};
        co_await worker.run([&](conversation_store& s) { s.create(c); });
        bool caught = false;
        try {
            co_await worker.run([&](conversation_store& s) { s.create(c); }); // the same primary key
        } catch (const std::runtime_error&) {
            caught = true;
        }
        EXPECT_TRUE(caught);
    });
}

TEST_P(StoreWorkerTest, CallsRunOffTheCallerThreadAndItResumesOnItsOwn) {
    auto store = GetParam()();
    store_worker worker(*store);
    const auto caller = std::this_thread::get_id();
    run_coroutine([&]() -> net::awaitable<void> {
        const auto executor = co_await net::this_coro::executor;
        const auto ran_on = co_await worker.run([](conversation_store&) { return std::this_thread::get_id(); });
        EXPECT_NE(ran_on, caller);
        EXPECT_EQ(std::this_thread::get_id(), caller);
        EXPECT_TRUE(executor == co_await net::this_coro::executor);
    });
}

TEST_P(StoreWorkerTest, CallsRunInSubmissionOrder) {
    auto store = GetParam()();
    store_worker worker(*store);
    net::io_context ioc;
    std::vector<int> order; // touched only on the store thread, read after it is joined
    constexpr int n = 200;
    std::atomic<int> done = 0;
    for (int i = 0; i < n; ++i)
        net::co_spawn(
            ioc,
            [&, i]() -> net::awaitable<void> {
                co_await worker.run([&order, i](conversation_store&) { order.push_back(i); });
                ++done;
            },
            net::detached);
    ioc.run();
    worker.stop();
    EXPECT_EQ(done, n);
    ASSERT_EQ(order.size(), static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i)
        EXPECT_EQ(order[i], i);
}

TEST_P(StoreWorkerTest, ManyCallersOnTwoIoContexts) {
    auto store = GetParam()();
    store->create({"c", "o", 1, 1, "{}", "", ""});
    store_worker worker(*store);
    constexpr int per_context = 40;
    std::atomic<int> saved = 0, wrong_thread = 0;
    auto spawn_all = [&](net::io_context& ioc, int context) {
        for (int i = 0; i < per_context; ++i)
            net::co_spawn(
                ioc,
                [&, context, i]() -> net::awaitable<void> {
                    const auto me = std::this_thread::get_id();
                    const std::string id = "m" + std::to_string(context) + "_" + std::to_string(i);
                    const turn t = one_turn(id, id);
                    const bool ok = co_await worker.run([&](conversation_store& s) { return s.append_turn("o", "c", t); });
                    saved += ok;
                    wrong_thread += std::this_thread::get_id() != me;
                },
                net::detached);
    };
    net::io_context a, b;
    spawn_all(a, 0);
    spawn_all(b, 1);
    std::thread ta([&] { a.run(); });
    std::thread tb([&] { b.run(); });
    ta.join();
    tb.join();
    EXPECT_EQ(saved, 2 * per_context);
    EXPECT_EQ(wrong_thread, 0);
    EXPECT_EQ(store->list_items("o", "c", 1000, true, std::nullopt).items.size(), 2u * per_context);
    // Each context's own calls keep their order.
    std::vector<int> next(2, 0);
    for (const auto& it : store->list_items("o", "c", 1000, true, std::nullopt).items) {
        const int context = it.id[1] - '0';
        EXPECT_EQ(it.id, "m" + std::to_string(context) + "_" + std::to_string(next[context]++));
    }
}

TEST_P(StoreWorkerTest, StopDrainsQueuedCallsThenRefusesNewOnes) {
    auto store = GetParam()();
    auto worker = std::make_unique<store_worker>(*store);
    net::io_context ioc;
    constexpr int n = 20;
    std::atomic<int> ran = 0, resumed = 0;
    for (int i = 0; i < n; ++i)
        net::co_spawn(
            ioc,
            [&]() -> net::awaitable<void> {
                co_await worker->run([&](conversation_store&) {
                    std::this_thread::sleep_for(std::chrono::milliseconds(2));
                    ++ran;
                });
                ++resumed;
            },
            net::detached);
    ioc.poll();     // every call is queued
    worker->stop(); // waits for the queue to drain
    EXPECT_EQ(ran, n);
    EXPECT_EQ(worker->pending(), 0u);
    ioc.run();
    EXPECT_EQ(resumed, n);

    run_coroutine([&]() -> net::awaitable<void> {
        bool refused = false;
        try {
            co_await worker->run([](conversation_store&) {});
        } catch (const std::runtime_error&) {
            refused = true;
        }
        EXPECT_TRUE(refused);
    });
    worker.reset(); // a second stop, from the destructor, is harmless
}

INSTANTIATE_TEST_SUITE_P(Sqlite, StoreWorkerTest, testing::Values([] { return open_sqlite_store(temp_db()); }));
INSTANTIATE_TEST_SUITE_P(Memory, StoreWorkerTest, testing::Values([] { return make_memory_store(); }));
