#pragma once
// FlowGPT (upstreams.md part A): context injection through /conversation/create, a signed
// /v3/chat call, and NDJSON answer streaming with "Response:**" clean-up.
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "switchyard/config/settings.hpp"
#include "switchyard/providers/provider.hpp"
#include "switchyard/upstream/http_client.hpp"

namespace switchyard::providers::flowgpt {

/// Bearer tokens used round-robin; a rejected token sits out a cooldown. Thread-safe.
class token_pool {
public:
    using clock = std::chrono::steady_clock;

    token_pool(std::vector<std::string> tokens, std::chrono::milliseconds cooldown);

    /// The next token not cooling down (or, if all are, the one that recovers first);
    /// nullopt only when the pool is empty.
    std::optional<std::string> next(clock::time_point now = clock::now());
    void cool_down(const std::string& token, clock::time_point now = clock::now());
    std::size_t size() const noexcept { return tokens_.size(); }

private:
    std::vector<std::string> tokens_;
    std::vector<clock::time_point> resting_until_;
    std::chrono::milliseconds cooldown_;
    std::size_t cursor_ = 0;
    std::mutex mutex_;
};

class flowgpt_provider final : public provider {
public:
    explicit flowgpt_provider(config::flowgpt_settings settings);

    std::string_view name() const noexcept override { return "flowgpt"; }
    capabilities caps() const noexcept override { return {}; }
    std::optional<provider_error> check_ready() const override;
    net::awaitable<std::optional<provider_error>> complete(const api::chat_request& req, const model_route& route,
                                                           event_sink& sink, call_context ctx) override;

private:
    /// One token's try: an answer stream, a final error, or neither (the token was rejected).
    struct attempt {
        std::optional<upstream::response> answer;
        std::optional<provider_error> error;
    };
    net::awaitable<attempt> open_answer(const std::string& token, const api::chat_request& req, const model_route& route,
                                        call_context ctx);
    attempt reject(const std::string& token, std::string_view step, int status, call_context ctx);
    net::awaitable<std::optional<provider_error>> relay_answer(upstream::response& answer, event_sink& sink,
                                                               call_context ctx) const;

    config::flowgpt_settings settings_;
    std::unique_ptr<token_pool> tokens_;
};

/// Decodes one NDJSON line of the answer stream: the text it carries, if any. Only `event:"text"`
/// carries text, plus the older shape with no `event` but a string `data`. Sets `malformed` for
/// lines that are not JSON objects.
std::optional<std::string> text_of_line(std::string_view line, bool& malformed);

} // namespace switchyard::providers::flowgpt
