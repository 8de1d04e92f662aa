#pragma once
// FlowGPT (upstreams.md part A): context injection through /conversation/create, a signed
// /v3/chat call, and NDJSON answer streaming with "Response:**" clean-up.
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "switchyard/config/settings.hpp"
#include "switchyard/providers/credential_pool.hpp"
#include "switchyard/providers/provider.hpp"
#include "switchyard/upstream/http_client.hpp"

namespace switchyard::providers::flowgpt {

class flowgpt_provider final : public provider {
public:
    explicit flowgpt_provider(config::flowgpt_settings settings, config::credential_settings credentials = {});

    std::string_view name() const noexcept override { return "flowgpt"; }
    /// Only the conversation form leaves a conversation upstream that a later turn can continue.
    capabilities caps() const noexcept override { return {.reasoning_in_text = true, .upstream_memory = !history_form()}; }
    std::optional<provider_error> check_ready() const override;
    credential_pool* credentials() noexcept override { return tokens_.get(); }
    bool needs_credential(const model_route& route) const noexcept override {
        return !route.upstream_id.starts_with(anonymous_prompt);
    }
    /// A FlowGPT conversation belongs to the account of the token that created it.
    bool continues_with(const conversation_turn& conversation, std::string_view credential) const override;
    /// Creates an empty conversation with the token: authenticated, but no chat is spent.
    net::awaitable<std::optional<provider_error>> probe(const model_route& route, call_context ctx) override;
    /// "flowgpt/<slug>": any prompt of FlowGPT's marketplace, looked up by the slug of its page.
    bool finds(std::string_view model_id) const noexcept override { return model_id.starts_with(prompt_prefix); }
    net::awaitable<std::variant<found_model, provider_error>> find_model(std::string_view model_id, call_context ctx) override;
    std::string health_note() const override;
    /// One attempt with the bearer token in `ctx.credential`; without one (FLOWGPT_ANONYMOUS), or
    /// on an anonymous model's route, the anonymous endpoint.
    net::awaitable<std::optional<provider_error>> complete(const api::chat_request& req, const model_route& route,
                                                           event_sink& sink, call_context ctx) override;

    static constexpr std::string_view prompt_prefix = "flowgpt/";
    /// Exposed ids of the anonymous endpoint's models: this prefix and the upstream's name.
    static constexpr std::string_view anonymous_prefix = "flowgpt-anonymous/";
    /// The route upstream id of an anonymous model: the promptId the anonymous endpoint expects.
    static constexpr std::string_view anonymous_prompt = "model-";

private:
    bool history_form() const noexcept { return history_mode_ || lost_create_.load(std::memory_order_relaxed); }
    /// The answer stream, or why there is none.
    struct opened {
        std::optional<upstream::response> answer;
        std::optional<provider_error> error;
    };
    net::awaitable<opened> open_answer(const api::chat_request& req, const model_route& route, call_context ctx);
    static opened rejected(std::string_view step, int status, call_context ctx);
    net::awaitable<std::optional<provider_error>> relay_answer(upstream::response& answer, event_sink& sink,
                                                               call_context ctx) const;

    net::awaitable<opened> open_anonymous(const api::chat_request& req, const model_route& route, call_context ctx);
    net::awaitable<opened> open_with_history(const api::chat_request& req, const model_route& route, call_context ctx);
    upstream::header_list signed_headers(std::string_view authorization, const std::string& device_id) const;

    /// A prompt looked up by its slug, or the knowledge that there is none, until `expires`.
    struct prompt_entry {
        std::optional<found_model> found;
        std::chrono::steady_clock::time_point expires;
    };

    config::flowgpt_settings settings_;
    std::unique_ptr<credential_pool> tokens_;
    std::string anonymous_device_;         // `f-` + 19 characters, as the anonymous web client makes one
    const bool history_mode_;              // FLOWGPT_MODE=history: chosen, not fallen back to
    std::atomic<bool> lost_create_{false}; // /conversation/create answered 404/405: the history form from now on
    std::mutex prompts_mutex_;
    std::map<std::string, prompt_entry, std::less<>> prompts_; // by slug; bounded
    double lookup_budget_ = 0;                                 // lookups that may start now (a token bucket)
    std::chrono::steady_clock::time_point budget_filled_{};
};

/// Decodes one NDJSON line of the answer stream: the text it carries, if any. Only `event:"text"`
/// carries text, plus the older shape with no `event` but a string `data`. Sets `malformed` for
/// lines that are not JSON objects.
std::optional<std::string> text_of_line(std::string_view line, bool& malformed);

/// The reasoning in the text a prompt wrote before its "Response:**" header, or nullopt when
/// that text is only a label ("**Assistant").
std::optional<std::string> thinking_of(std::string preamble);

} // namespace switchyard::providers::flowgpt
