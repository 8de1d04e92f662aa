// What recording one exchange in the metrics costs, measured directly: ops::metrics::exchange_ended
// for a streamed chat completion with tokens (every family but failures touched), on one thread
// and on two at once, after a warm-up. Prints nanoseconds per exchange. bench/metrics-ab.sh sets
// it against a request's whole CPU cost.
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include "switchyard/ops/metrics.hpp"

using namespace switchyard;
using clock_type = std::chrono::steady_clock;

namespace {

double ns_per_exchange(ops::metrics& m, int threads, int per_thread) {
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
    const auto start = clock_type::now();
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t)
        workers.emplace_back([&] {
            for (int i = 0; i < per_thread; ++i)
                m.exchange_ended(f, 200, t0, t0 + std::chrono::milliseconds(40));
        });
    for (auto& w : workers)
        w.join();
    const double elapsed = std::chrono::duration<double, std::nano>(clock_type::now() - start).count();
    return elapsed / per_thread; // each thread's time per exchange, the threads running at once
}

} // namespace

int main() {
    ops::metrics m;
    ns_per_exchange(m, 1, 100'000); // warm-up: the series exist, the caches are filled
    std::printf("record_ns_one_thread=%.1f\n", ns_per_exchange(m, 1, 2'000'000));
    std::printf("record_ns_two_threads=%.1f\n", ns_per_exchange(m, 2, 1'000'000));
    return 0;
}
