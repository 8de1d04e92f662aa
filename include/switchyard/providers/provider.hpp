#pragma once
// The provider seam. A provider turns a parsed chat_request into a sequence of events; it never
// sees client JSON and never writes a client's wire format. Formatting, stop/max_tokens and the commit
// point live in the API layer. Providers report *why* an exchange failed (`failure_reason`); the
// core decides what the client sees (`api::error_for`), and one loop (`providers::run_attempts`)
// rotates credentials and retries before the commit point.
#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "switchyard/api/chat_request.hpp"
#include "switchyard/config/settings.hpp"

namespace switchyard::store {
class shared_state;
}
namespace switchyard::upstream {
class http_client;
}

namespace switchyard::providers {

namespace net = boost::asio;

class credential_pool;

// The neutral events of one answer. Every wire format (chat completions today) is encoded
// from these; none of them knows which upstream produced it.

struct text_delta {
    std::string text;
};

/// The model's visible thinking (`reasoning_content` upstream, or a `<think>` block).
struct reasoning_delta {
    std::string text;
};

/// A function call opens: `index` counts the calls of this answer from 0.
struct tool_call_begin {
    std::size_t index = 0;
    std::string id; // "call_…"
    std::string name;
};

/// A piece of the open call's arguments (JSON text, split anywhere).
struct tool_call_arguments {
    std::size_t index = 0;
    std::string fragment;
};

/// The call is complete.
struct tool_call_end {
    std::size_t index = 0;
};

/// Real token counts, when the upstream reports them.
struct usage_report {
    long prompt_tokens = 0;
    long completion_tokens = 0;
};

/// Why the upstream says the answer ended, when it says so (`finish_reason` of an OpenAI
/// upstream). The core decides the client's finish reason; this is one input to it.
enum class finish_cause { stop, length, tool_calls, content_filter };

struct finish_report {
    finish_cause cause = finish_cause::stop;
};

/// Why an exchange failed, in the upstream's terms. Not an HTTP status: the API layer maps it.
enum class failure_reason {
    credential_rejected, // the credential in call_context was refused (401/403, a WAF page)
    rate_limited,        // the upstream asks us to slow down; retry_after_seconds when it says how long
    quota_exhausted,     // the account or guest has used up its quota
    request_rejected,    // the upstream refused the request itself; message and param say what to fix
    request_unsupported, // the request asks for something this upstream cannot do (param names it)
    model_unknown,       // the upstream does not know the model it was routed to
    upstream_failed,     // the upstream answered with a failure of its own (5xx, an error event)
    protocol,            // garbage, unreadable or oversized replies
    transport,           // connect, TLS, reset, a stream cut short
    timeout,             // the upstream did not answer in time
    not_configured,      // the provider lacks the settings it needs
    tool_call_invalid,   // the model's call of a strict tool does not match the tool's schema
};

/// The reason's name, as metrics and logs show it ("credential_rejected", …).
std::string_view reason_name(failure_reason reason) noexcept;

/// Why an exchange failed; the message is safe to show to clients (no upstream bodies).
struct provider_error {
    failure_reason reason = failure_reason::protocol;
    std::string message;
    std::optional<long> retry_after_seconds;
    std::optional<std::string> param; // for failures about the request itself
};

using provider_event =
    std::variant<text_delta, reasoning_delta, tool_call_begin, tool_call_arguments, tool_call_end, usage_report, finish_report>;

/// True for the events a client would see: text, reasoning and tool calls.
inline bool is_output(const provider_event& e) noexcept {
    return !std::holds_alternative<usage_report>(e) && !std::holds_alternative<finish_report>(e);
}

/// Receives a provider's events, in order.
class event_sink {
public:
    virtual ~event_sink() = default;
    /// Returns false when the consumer wants no more events; the provider should then return.
    /// Not a coroutine itself: the consumer's `deliver` is the only frame an event costs.
    net::awaitable<bool> emit(provider_event&& event) {
        output_seen_ = output_seen_ || is_output(event);
        return deliver(std::move(event));
    }
    /// Whether any output (text, reasoning, a tool call) went by: after that, an exchange may
    /// not be retried.
    bool output_seen() const noexcept { return output_seen_; }

protected:
    virtual net::awaitable<bool> deliver(provider_event&& event) = 0;

private:
    bool output_seen_ = false;
};

struct capabilities {
    bool images = false;
    bool web_search = false;
    bool reports_usage = false;     // real token counts arrive as usage_report events
    bool native_tools = false;      // the upstream takes `tools` itself; otherwise the core emulates them
    bool reasoning_in_text = false; // a model's thinking arrives inside the answer text (<think>, a preamble)
    bool upstream_memory = false;   // the upstream remembers a conversation, so a resent history can continue it
};

/// A model id the client may ask for, and where it goes upstream.
struct model_route {
    std::string model_id;
    std::string upstream_id; // provider-specific: FlowGPT promptId, AIPKit bot_id, …
    /// How the model's reasoning reaches the client: the core's policy, not read by providers.
    config::reasoning_mode reasoning = config::reasoning_mode::split;
};

/// A model a provider finds upstream while it runs, beyond the configured ones: a FlowGPT prompt
/// named by its slug, a bot on an AIPKit chat page.
struct found_model {
    model_route route;
    std::string title;                // what the upstream calls it
    std::string description;          // and how it describes it
    std::optional<bool> web_search{}; // when the upstream says so for this model, not only for its provider
};

/// A turn of a stored conversation: what was said before, and the provider's own state from
/// the last turn (opaque JSON), which the provider updates in place for the next one.
struct conversation_turn {
    const std::vector<api::chat_message>& history;
    std::string& upstream_state;
};

/// Per-request resources a provider may use. They belong to the calling worker thread.
struct call_context {
    upstream::http_client& http;
    std::string_view request_id;
    conversation_turn* conversation = nullptr; // null for a one-shot request
    std::string_view credential = {};          // this attempt's token or key; empty when none
    std::string* masked_credential = nullptr;  // where run_attempts notes the credential it used, masked
};

/// One upstream service. Shared by all worker threads, so implementations are thread-safe;
/// per-request state lives in the `complete` coroutine frame.
class provider {
public:
    virtual ~provider() = default;
    virtual std::string_view name() const noexcept = 0;
    virtual capabilities caps() const noexcept = 0;
    /// Checked before any I/O: e.g. a missing credential is `not_configured`, naming the variable.
    virtual std::optional<provider_error> check_ready() const = 0;
    /// The credentials `run_attempts` rotates through `call_context::credential`; nullptr (the
    /// default) for a provider that takes none. The provider owns the pool.
    virtual credential_pool* credentials() noexcept { return nullptr; }
    /// Whether a request on `route` takes one of those credentials: false for a route the
    /// upstream serves without any (FlowGPT's anonymous models), which then never cools a credential.
    virtual bool needs_credential(const model_route& route) const noexcept {
        (void)route;
        return true;
    }
    /// Whether `credential` can continue `conversation`'s upstream memory. A provider whose
    /// upstream conversations belong to one account says which; `run_attempts` tries that one first.
    virtual bool continues_with(const conversation_turn& conversation, std::string_view credential) const {
        (void)conversation;
        (void)credential;
        return true;
    }
    /// Whether `model_id` is in this provider's namespace of models found upstream ("flowgpt/…",
    /// "<site>/…"); then `find_model` answers for it. No I/O.
    virtual bool finds(std::string_view model_id) const noexcept {
        (void)model_id;
        return false;
    }
    /// Looks up a model `finds` claims (cached by the provider): its route, or why not
    /// (`model_unknown` when the upstream has no such model).
    virtual net::awaitable<std::variant<found_model, provider_error>> find_model(std::string_view model_id, call_context ctx);
    /// The found models a model list shows beside the configured ones.
    virtual std::vector<found_model> found_models() const { return {}; }
    /// Shares with the other instances of a deployment what must be the same on all (the state
    /// of credentials, a session nonce). The default shares the credentials. `shared` outlives the provider.
    virtual void share_through(store::shared_state& shared);
    /// Something an operator should know about how this provider reaches its upstream (a
    /// protocol fallback, a chat page it could not read); empty when all is as configured.
    virtual std::string health_note() const { return {}; }
    /// Checks `ctx.credential` with the upstream without spending quota (an operator's probe, for
    /// a model `route` of this provider): nullopt when it works. The default cannot, and says so.
    virtual net::awaitable<std::optional<provider_error>> probe(const model_route& route, call_context ctx);
    /// One attempt with `ctx.credential`: streams the answer into `sink`, and returns nullopt when
    /// it ended normally. A refused credential is reported as `credential_rejected`, never retried
    /// here: resting it and trying the next is the caller's business (`run_attempts`).
    virtual net::awaitable<std::optional<provider_error>> complete(const api::chat_request& req, const model_route& route,
                                                                   event_sink& sink, call_context ctx) = 0;
};

} // namespace switchyard::providers
