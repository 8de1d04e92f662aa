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
#include "switchyard/providers/credential_pool.hpp"
#include "switchyard/providers/provider.hpp"
#include "switchyard/upstream/http_client.hpp"

namespace switchyard::providers::flowgpt {

class flowgpt_provider final : public provider {
public:
    explicit flowgpt_provider(config::flowgpt_settings settings, config::credential_settings credentials = {});

    std::string_view name() const noexcept override { return "flowgpt"; }
    capabilities caps() const noexcept override { return {.reasoning_in_text = true, .upstream_memory = true}; }
    std::optional<provider_error> check_ready() const override;
    credential_pool* credentials() noexcept override { return tokens_.get(); }
    /// A FlowGPT conversation belongs to the account of the token that created it.
    bool continues_with(const conversation_turn& conversation, std::string_view credential) const override;
    /// Creates an empty conversation with the token: authenticated, but no chat is spent.
    net::awaitable<std::optional<provider_error>> probe(const model_route& route, call_context ctx) override;
    /// One attempt with the bearer token in `ctx.credential`.
    net::awaitable<std::optional<provider_error>> complete(const api::chat_request& req, const model_route& route,
                                                           event_sink& sink, call_context ctx) override;

private:
    /// The answer stream, or why there is none.
    struct opened {
        std::optional<upstream::response> answer;
        std::optional<provider_error> error;
    };
    net::awaitable<opened> open_answer(const api::chat_request& req, const model_route& route, call_context ctx);
    static opened rejected(std::string_view step, int status, call_context ctx);
    net::awaitable<std::optional<provider_error>> relay_answer(upstream::response& answer, event_sink& sink,
                                                               call_context ctx) const;

    config::flowgpt_settings settings_;
    std::unique_ptr<credential_pool> tokens_;
};

/// Decodes one NDJSON line of the answer stream: the text it carries, if any. Only `event:"text"`
/// carries text, plus the older shape with no `event` but a string `data`. Sets `malformed` for
/// lines that are not JSON objects.
std::optional<std::string> text_of_line(std::string_view line, bool& malformed);

/// The reasoning in the text a prompt wrote before its "Response:**" header, or nullopt when
/// that text is only a label ("**Assistant").
std::optional<std::string> thinking_of(std::string preamble);

} // namespace switchyard::providers::flowgpt
