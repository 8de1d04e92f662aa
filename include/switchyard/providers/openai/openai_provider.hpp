#pragma once
// Any OpenAI-compatible upstream. The neutral request is written back as a chat completions
// body: its messages, tools and limits, plus the client's other fields (`passthrough`) as they
// came, with `model` mapped. Answers (text, reasoning, tool calls) are parsed into neutral events
// and re-framed by the API layer, so the commit point, stop/max_tokens and in-band errors apply as
// for every provider, and the upstream's own usage is kept.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "switchyard/config/settings.hpp"
#include "switchyard/providers/credential_pool.hpp"
#include "switchyard/providers/provider.hpp"
#include "switchyard/upstream/http_client.hpp"

namespace switchyard::providers::openai {

class openai_provider final : public provider {
public:
    explicit openai_provider(config::openai_upstream upstream, config::credential_settings credentials = {});

    std::string_view name() const noexcept override { return upstream_.name; }
    capabilities caps() const noexcept override {
        return {.images = true, .web_search = false, .reports_usage = true, .native_tools = true};
    }
    std::optional<provider_error> check_ready() const override { return std::nullopt; }
    /// The API keys; an empty pool (a keyless upstream) gets one attempt without a key.
    credential_pool* credentials() noexcept override { return keys_.get(); }
    /// Lists the upstream's models with the key: nothing is generated.
    net::awaitable<std::optional<provider_error>> probe(const model_route& route, call_context ctx) override;
    /// One attempt with the API key in `ctx.credential`, if any.
    net::awaitable<std::optional<provider_error>> complete(const api::chat_request& req, const model_route& route,
                                                           event_sink& sink, call_context ctx) override;

private:
    upstream::request upstream_request(const api::chat_request& req, const model_route& route, const call_context& ctx) const;
    net::awaitable<std::optional<provider_error>> refusal(upstream::response& res) const;
    net::awaitable<std::optional<provider_error>> relay_answer(upstream::response& res, event_sink& sink) const;
    net::awaitable<std::optional<provider_error>> relay_stream(upstream::response& res, event_sink& sink) const;

    config::openai_upstream upstream_;
    std::unique_ptr<credential_pool> keys_;
};

/// The body sent upstream: the neutral request with `model` mapped and the client's other fields
/// passed through, stored conversation turns prepended, and usage requested when streaming.
std::string upstream_body(const api::chat_request& req, const model_route& route, const conversation_turn* conversation);

/// One element of `tool_calls` in a message or a delta; in a delta, any part may be missing.
struct upstream_tool_call {
    std::optional<std::size_t> index; // the `index` member; deltas have it, messages use the position
    std::string id;
    std::optional<std::string> name;
    std::string arguments;
};

/// What the gateway reads from one upstream chat.completion (`choices[0].message`) or
/// chat.completion.chunk (`choices[0].delta`): content, reasoning, tool calls, the finish
/// reason, usage, and whether it is an error.
struct upstream_answer {
    std::string text;
    std::string reasoning; // `reasoning_content`, or `reasoning` as some servers name it
    std::vector<upstream_tool_call> tool_calls;
    std::optional<finish_cause> finish;
    std::optional<usage_report> usage;
    bool has_choices = false;
    bool has_error = false;
};
/// nullopt when `body` is not one valid JSON value.
std::optional<upstream_answer> scan_answer(std::string_view body, bool streaming);

/// Model ids the upstream lists at GET {base_url}/models. Blocking; for start-up only.
std::vector<std::string> discover_models(const config::openai_upstream& upstream, const config::upstream_settings& settings);

} // namespace switchyard::providers::openai
