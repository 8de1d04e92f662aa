#pragma once
// Per-key limits for client keys (the config file's `keys`): requests and estimated tokens per
// minute, streams at once, and the models a key may use. Thread-safe; one per process.
//
// Requests and tokens are token buckets that refill evenly over a minute: a key may spend its
// whole minute at once, then waits for the refill. A request is admitted while its key's token
// bucket is not empty, and its estimated prompt is taken from it then (a large prompt may leave
// it below zero); the answer's tokens are taken when it ends.
//
// Instances that share state count each key once, on Redis (store/shared_state.hpp), with the
// same buckets; when Redis cannot answer, each instance counts on its own until it can.
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <string>
#include <memory>
#include <mutex>
#include <optional>
#include <variant>
#include <vector>

#include "switchyard/api/error.hpp"
#include "switchyard/config/settings.hpp"
#include "switchyard/store/shared_state.hpp"

namespace switchyard::ops {

class key_limits {
public:
    using clock = std::chrono::steady_clock;

    /// `keys` must outlive this object; the keys passed to admit() are elements of it.
    explicit key_limits(const std::vector<config::client_key>& keys);
    ~key_limits();
    key_limits(const key_limits&) = delete;
    key_limits& operator=(const key_limits&) = delete;

    /// Holds one of the key's concurrent requests until it is destroyed; then takes the answer's
    /// tokens (set_completion_tokens) from the key's minute.
    class ticket {
    public:
        ticket() = default;
        ticket(ticket&& other) noexcept;
        ticket& operator=(ticket&&) = delete;
        ~ticket();
        void set_completion_tokens(long tokens) noexcept { completion_tokens_ = tokens; }

    private:
        friend class key_limits;
        ticket(key_limits* owner, std::size_t index, std::string shared = {})
            : owner_(owner), index_(index), shared_(std::move(shared)) {}
        key_limits* owner_ = nullptr;
        std::size_t index_ = 0;
        long completion_tokens_ = 0;
        std::string shared_; // the shared state's ticket, when counted there
    };

    /// Admits a request of `key` (null: a key without limits) for `model` (allowed: whether the
    /// key may use it) with an estimated prompt of `prompt_tokens`, or says why not: 403
    /// model_not_allowed, or 429 rate_limit_exceeded with the seconds to wait.
    std::variant<ticket, api::api_error> admit(const config::client_key* key, bool model_allowed, long prompt_tokens,
                                               clock::time_point now = clock::now());

    /// Counts with every instance from now on (`shared` outlives this object).
    void share_through(store::shared_state* shared) noexcept { shared_ = shared; }
    /// admit(), counted with every instance when they share state.
    boost::asio::awaitable<std::variant<ticket, api::api_error>> admit_everywhere(const config::client_key* key,
                                                                                  bool model_allowed, long prompt_tokens);

private:
    struct bucket {
        double level = 0;
        clock::time_point filled;
        void refill(double per_minute, clock::time_point now);
    };
    struct state {
        std::mutex mutex;
        bucket requests;
        bucket tokens;
        long in_flight = 0;
    };
    void release(std::size_t index, long completion_tokens, const std::string& shared_ticket) noexcept;
    static store::key_quota quota_of(const config::client_key& key);

    const std::vector<config::client_key>& keys_;
    std::vector<std::unique_ptr<state>> states_;
    store::shared_state* shared_ = nullptr;
};

} // namespace switchyard::ops
