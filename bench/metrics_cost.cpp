// What recording one exchange costs, measured directly: ops::metrics::exchange_ended for a
// streamed chat completion with tokens (every family but failures touched), and
// ops::usage_recorder::exchange_ended for the same exchange (the usage statistics), on one thread
// and on two at once, after a warm-up. Prints nanoseconds per exchange. bench/metrics-ab.sh sets
// them against a request's whole CPU cost.
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include "switchyard/ops/metrics.hpp"
#include "switchyard/ops/usage.hpp"
#include "switchyard/store/conversation_store.hpp"

using namespace switchyard;
using clock_type = std::chrono::steady_clock;

namespace {

/// `record(facts)` on `threads` threads at once, `per_thread` times each: each thread's time per call.
template <class Record> double ns_per_exchange(Record record, int threads, int per_thread) {
    const auto t0 = clock_type::now();
    http::exchange_facts f;
    f.route = "/v1/chat/completions";
    f.model = "gpt-4o-mini";
    f.provider = "chatgptfree";
    f.key_name = "key1";
    f.first_byte = t0 + std::chrono::milliseconds(3);
    f.first_token = t0 + std::chrono::milliseconds(4);
    f.prompt_tokens = 120;
    f.completion_tokens = 300;
    f.tokens_estimated = true;
    f.streamed = true;
    f.body_bytes = 4096;
    const auto start = clock_type::now();
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t)
        workers.emplace_back([&] {
            for (int i = 0; i < per_thread; ++i)
                record(f, t0);
        });
    for (auto& w : workers)
        w.join();
    const double elapsed = std::chrono::duration<double, std::nano>(clock_type::now() - start).count();
    return elapsed / per_thread; // each thread's time per exchange, the threads running at once
}

} // namespace

int main() {
    ops::metrics m;
    const auto metrics = [&](const http::exchange_facts& f, clock_type::time_point t0) {
        m.exchange_ended(f, 200, t0, t0 + std::chrono::milliseconds(40));
    };
    ns_per_exchange(metrics, 1, 100'000); // warm-up: the series exist, the caches are filled
    std::printf("record_ns_one_thread=%.1f\n", ns_per_exchange(metrics, 1, 2'000'000));
    std::printf("record_ns_two_threads=%.1f\n", ns_per_exchange(metrics, 2, 1'000'000));

    const auto store = store::make_memory_store();
    ops::usage_recorder recorder(*store); // flushes every 10 s, on its own thread, as in the gateway
    const auto usage = [&](const http::exchange_facts& f, clock_type::time_point) { recorder.exchange_ended(f, 200); };
    ns_per_exchange(usage, 1, 100'000);
    std::printf("usage_ns_one_thread=%.1f\n", ns_per_exchange(usage, 1, 2'000'000));
    std::printf("usage_ns_two_threads=%.1f\n", ns_per_exchange(usage, 2, 1'000'000));
    return 0;
}
