#include "switchyard/providers/credential_pool.hpp"

namespace switchyard::providers {

credential_pool::credential_pool(std::vector<std::string> tokens, std::chrono::milliseconds cooldown)
    : tokens_(std::move(tokens)), resting_until_(tokens_.size()), cooldown_(cooldown) {}

std::optional<std::string> credential_pool::next(clock::time_point now) {
    std::lock_guard lock(mutex_);
    if (tokens_.empty()) return std::nullopt;
    // Round-robin over rested tokens; when all are resting, the one back soonest is tried
    // anyway, so a single rejected token does not lock everyone out for the whole cooldown.
    std::size_t pick = cursor_ % tokens_.size();
    for (std::size_t i = 0; i < tokens_.size(); ++i) {
        const std::size_t idx = (cursor_ + i) % tokens_.size();
        if (resting_until_[idx] <= now) {
            pick = idx;
            break;
        }
        if (resting_until_[idx] < resting_until_[pick]) pick = idx;
    }
    cursor_ = pick + 1;
    return tokens_[pick];
}

std::optional<std::string> credential_pool::next_preferring(const std::function<bool(std::string_view)>& preferred,
                                                            clock::time_point now) {
    {
        std::lock_guard lock(mutex_);
        for (std::size_t i = 0; i < tokens_.size(); ++i)
            if (resting_until_[i] <= now && preferred(tokens_[i])) return tokens_[i];
    }
    return next(now);
}

void credential_pool::cool_down(const std::string& token, clock::time_point now) {
    std::lock_guard lock(mutex_);
    for (std::size_t i = 0; i < tokens_.size(); ++i)
        if (tokens_[i] == token) resting_until_[i] = now + cooldown_;
}

} // namespace switchyard::providers
