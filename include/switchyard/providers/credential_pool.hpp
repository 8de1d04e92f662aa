#pragma once
#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace switchyard::providers {

/// Upstream credentials (tokens, API keys) used round-robin; a rejected one sits out a
/// cooldown. A provider owns its pool and exposes it through `provider::credentials()`; only
/// `run_attempts` draws from it and rests what was rejected. Thread-safe.
class credential_pool {
public:
    using clock = std::chrono::steady_clock;

    credential_pool(std::vector<std::string> tokens, std::chrono::milliseconds cooldown);

    /// The next token not cooling down (or, if all are, the one that recovers first);
    /// nullopt only when the pool is empty.
    std::optional<std::string> next(clock::time_point now = clock::now());
    /// Like next(), but a rested token for which `preferred` holds comes first.
    std::optional<std::string> next_preferring(const std::function<bool(std::string_view)>& preferred,
                                               clock::time_point now = clock::now());
    void cool_down(const std::string& token, clock::time_point now = clock::now());
    std::size_t size() const noexcept { return tokens_.size(); }

private:
    std::vector<std::string> tokens_;
    std::vector<clock::time_point> resting_until_;
    std::chrono::milliseconds cooldown_;
    std::size_t cursor_ = 0;
    std::mutex mutex_;
};

} // namespace switchyard::providers
