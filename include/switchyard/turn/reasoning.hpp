#pragma once
// The per-model reasoning policy (config `models[].reasoning`). Web chat models that think
// aloud write `<think>…</think>` at the start of the answer; FlowGPT providers report their
// thinking preamble as reasoning. `split` sends reasoning as `reasoning_content`, `inline` puts
// it in the content inside <think> tags (front-ends such as Open WebUI render those), `drop`
// removes it.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "switchyard/config/settings.hpp"
#include "switchyard/providers/provider.hpp"

namespace switchyard::turn {

namespace net = boost::asio;

/// Splits a `<think>…</think>` block at the start of an answer (after white space) from the
/// rest, delta by delta. Holds at most a partial tag; one instance per answer.
class think_splitter {
public:
    struct piece {
        bool reasoning;
        std::string text;
    };
    void push(std::string_view delta, std::vector<piece>& out);
    /// End of the answer: what is still held. An unclosed block is reasoning.
    void finish(std::vector<piece>& out);

private:
    enum class state { start, thinking, closed, answering };
    void emit(bool reasoning, std::string text, std::vector<piece>& out);

    state state_ = state::start;
    std::string held_;
};

/// Applies `mode` between a provider and the next sink.
class reasoning_sink final : public providers::event_sink {
public:
    reasoning_sink(providers::event_sink& next, config::reasoning_mode mode) : next_(next), mode_(mode) {}
    /// The end of the answer: flushes the splitter and closes an inline <think> block.
    net::awaitable<bool> finish();

private:
    net::awaitable<bool> deliver(providers::provider_event&& ev) override;
    net::awaitable<bool> send(bool reasoning, std::string& text);
    net::awaitable<bool> pass(std::vector<think_splitter::piece>& pieces);

    providers::event_sink& next_;
    config::reasoning_mode mode_;
    think_splitter splitter_;
    bool inline_open_ = false; // an inline <think> block has been opened and not closed
};

/// Whether the policy needs a reasoning_sink for this provider: one whose reasoning arrives in
/// the answer text always (web chats), OpenAI-compatible upstreams unless the mode is `split`.
bool needs_reasoning_policy(const providers::provider& p, config::reasoning_mode mode);

/// `run_attempts` with a reasoning_sink in front of `client`.
net::awaitable<std::optional<providers::provider_error>>
run_with_reasoning_policy(providers::provider& p, const api::chat_request& req, const providers::model_route& route,
                          providers::event_sink& client, providers::call_context ctx);

} // namespace switchyard::turn
