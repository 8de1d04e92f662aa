#include "switchyard/ops/key_limits.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>

#include <spdlog/spdlog.h>

namespace switchyard::ops {
namespace {

api::api_error over_limit(const config::client_key& key, std::string what, double wait_seconds) {
    const long seconds = std::max(1L, static_cast<long>(std::ceil(wait_seconds)));
    return {api::error_kind::rate_limit_exceeded,
            "Rate limit reached for key '" + key.name + "': " + what + ". Retry in " + std::to_string(seconds) + " s.",
            std::nullopt, seconds};
}

} // namespace

void key_limits::bucket::refill(double per_minute, clock::time_point now) {
    const double minutes = std::chrono::duration<double>(now - filled).count() / 60.0;
    level = std::min(per_minute, level + minutes * per_minute);
    filled = now;
}

key_limits::key_limits(const std::vector<config::client_key>& keys) : keys_(keys) {
    const auto now = clock::now();
    for (const auto& k : keys) {
        auto s = std::make_unique<state>();
        s->requests = {static_cast<double>(k.rpm), now};
        s->tokens = {static_cast<double>(k.tpm), now};
        states_.push_back(std::move(s));
    }
}

key_limits::~key_limits() = default;

std::variant<key_limits::ticket, api::api_error> key_limits::admit(const config::client_key* key, bool model_allowed,
                                                                   long prompt_tokens, clock::time_point now) {
    if (!key) return ticket();
    if (!model_allowed)
        return api::api_error{api::error_kind::model_not_allowed, "The key '" + key->name + "' may not use this model.", "model",
                              std::nullopt};
    const auto index = static_cast<std::size_t>(key - keys_.data());
    state& s = *states_.at(index);
    std::lock_guard lock(s.mutex);
    if (key->max_concurrent > 0 && s.in_flight >= key->max_concurrent)
        return over_limit(*key, std::to_string(key->max_concurrent) + " requests at once", 1);
    if (key->rpm > 0) {
        s.requests.refill(static_cast<double>(key->rpm), now);
        if (s.requests.level < 1)
            return over_limit(*key, std::to_string(key->rpm) + " requests per minute",
                              (1 - s.requests.level) * 60.0 / static_cast<double>(key->rpm));
    }
    if (key->tpm > 0) {
        s.tokens.refill(static_cast<double>(key->tpm), now);
        if (s.tokens.level <= 0)
            return over_limit(*key, std::to_string(key->tpm) + " tokens per minute",
                              (1 - s.tokens.level) * 60.0 / static_cast<double>(key->tpm));
        s.tokens.level -= static_cast<double>(std::max(0L, prompt_tokens));
    }
    if (key->rpm > 0) s.requests.level -= 1;
    ++s.in_flight;
    return ticket(this, index);
}

store::key_quota key_limits::quota_of(const config::client_key& key) { return {key.name, key.rpm, key.tpm, key.max_concurrent}; }

boost::asio::awaitable<std::variant<key_limits::ticket, api::api_error>>
key_limits::admit_everywhere(const config::client_key* key, bool model_allowed, long prompt_tokens) {
    if (!shared_ || !key || !model_allowed || (key->rpm == 0 && key->tpm == 0 && key->max_concurrent == 0))
        co_return admit(key, model_allowed, prompt_tokens);
    const auto index = static_cast<std::size_t>(key - keys_.data());
    const store::key_quota quota = quota_of(*key);
    store::shared_state::admission verdict;
    bool counted_alone = false;
    try {
        verdict = co_await shared_->admit(quota, prompt_tokens);
    } catch (const std::exception& e) {
        // Counted here alone until Redis answers again: a limit a little loose beats refusing everyone.
        static std::atomic<std::int64_t> last_said{0};
        const std::int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(clock::now().time_since_epoch()).count();
        if (auto said = last_said.load(); now_s - said >= 10 && last_said.compare_exchange_strong(said, now_s))
            spdlog::warn("key '{}': the shared limits are unavailable ({}); counting on each instance until they are back",
                         key->name, e.what());
        counted_alone = true;
    }
    if (counted_alone) co_return admit(key, model_allowed, prompt_tokens);
    if (verdict.admitted) co_return ticket(this, index, verdict.ticket);
    if (verdict.limit == "concurrent")
        co_return over_limit(*key, std::to_string(key->max_concurrent) + " requests at once", verdict.wait_seconds);
    if (verdict.limit == "tokens")
        co_return over_limit(*key, std::to_string(key->tpm) + " tokens per minute", verdict.wait_seconds);
    co_return over_limit(*key, std::to_string(key->rpm) + " requests per minute", verdict.wait_seconds);
}

void key_limits::release(std::size_t index, long completion_tokens, const std::string& shared_ticket) noexcept {
    const auto& key = keys_[index];
    if (!shared_ticket.empty()) {
        shared_->finish(quota_of(key), shared_ticket, completion_tokens);
        return;
    }
    state& s = *states_[index];
    std::lock_guard lock(s.mutex);
    --s.in_flight;
    if (key.tpm > 0) {
        s.tokens.refill(static_cast<double>(key.tpm), clock::now());
        s.tokens.level -= static_cast<double>(std::max(0L, completion_tokens));
    }
}

key_limits::ticket::ticket(ticket&& other) noexcept
    : owner_(std::exchange(other.owner_, nullptr)), index_(other.index_), completion_tokens_(other.completion_tokens_),
      shared_(std::move(other.shared_)) {}

key_limits::ticket::~ticket() {
    if (owner_) owner_->release(index_, completion_tokens_, shared_);
}

} // namespace switchyard::ops
