#pragma once
// The AIPKit nonce that every request shares (upstreams.md B.5), with a single-flight refresh:
// however many requests find it missing, on however many worker threads, one fetch is in flight.
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace switchyard::providers::aipkit {

namespace net = boost::asio;

/// Holds the nonce and coordinates its refresh. Thread-safe; shared by all worker threads.
///
/// The first caller of get() that finds no nonce leads: it runs `fetch` in its own coroutine,
/// with its own I/O. Callers that arrive meanwhile wait, each on a timer of its own executor,
/// and are resumed there when the fetch ends (a posted wake-up, never a cross-thread call).
/// A failed fetch fails every waiter with it. A leader whose coroutine is cancelled (its
/// client went away) hands the lead to a waiter. Waiting is bounded by `wait_limit`.
/// A waiting coroutine's executor must be single-threaded or a strand, as a worker's is.
class shared_nonce {
public:
    enum class status { ok, failed, timed_out };
    struct result {
        status outcome = status::failed;
        std::string nonce; // set when outcome is ok
        bool led = false;  // this call ran the fetch (and its fetcher logged any failure)
    };
    /// Fetches a fresh nonce: "" when the upstream did not hand one out.
    using fetcher = std::function<net::awaitable<std::string>()>;

    explicit shared_nonce(std::string initial = {});
    shared_nonce(const shared_nonce&) = delete;
    shared_nonce& operator=(const shared_nonce&) = delete;

    /// The held nonce at once, or the result of the one fetch in flight (started by this call
    /// if none is). Cancelling a waiting caller throws operation_aborted from here.
    net::awaitable<result> get(const fetcher& fetch, std::chrono::milliseconds wait_limit);

    /// Holds `found` (a chat page's nonce) if no nonce is held and none is being fetched.
    void offer(const std::string& found);

    /// Drops the held nonce if it is still `rejected`, so that the next get() fetches.
    void forget(const std::string& rejected);

    /// How many fetches have been started.
    std::size_t fetches() const;

private:
    struct waiter;
    enum class ending { value, failed, abandoned };
    class lead;

    /// Ends the fetch in flight: stores the value, wakes every waiter on its own executor.
    void finish(ending how, const std::string& value);

    mutable std::mutex mutex_;
    std::string nonce_;
    bool fetching_ = false;
    std::vector<std::shared_ptr<waiter>> waiters_;
    std::size_t fetches_ = 0;
};

} // namespace switchyard::providers::aipkit
