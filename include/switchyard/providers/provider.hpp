#pragma once
// The provider seam. A provider turns a parsed chat_request into a sequence of events; it never
// sees client JSON and never writes OpenAI JSON. Formatting, stop/max_tokens and the commit
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

namespace switchyard::upstream {
class http_client;
}

namespace switchyard::providers {

namespace net = boost::asio;

class credential_pool;

struct text_delta {
    std::string text;
};

/// Real token counts, when the upstream reports them.
struct usage_report {
    long prompt_tokens = 0;
    long completion_tokens = 0;
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
};

/// Why an exchange failed; the message is safe to show to clients (no upstream bodies).
struct provider_error {
    failure_reason reason = failure_reason::protocol;
    std::string message;
    std::optional<long> retry_after_seconds;
    std::optional<std::string> param; // for failures about the request itself
};

using provider_event = std::variant<text_delta, usage_report>;

/// Receives a provider's events, in order.
class event_sink {
public:
    virtual ~event_sink() = default;
    /// Returns false when the consumer wants no more events; the provider should then return.
    /// Not a coroutine itself: the consumer's `deliver` is the only frame an event costs.
    net::awaitable<bool> emit(provider_event&& event) {
        text_seen_ = text_seen_ || std::holds_alternative<text_delta>(event);
        return deliver(std::move(event));
    }
    /// Whether any text went by: after that, an exchange may not be retried.
    bool text_seen() const noexcept { return text_seen_; }

protected:
    virtual net::awaitable<bool> deliver(provider_event&& event) = 0;

private:
    bool text_seen_ = false;
};

struct capabilities {
    bool images = false;
    bool web_search = false;
    bool reports_usage = false; // real token counts arrive as usage_report events
};

/// A model id the client may ask for, and where it goes upstream.
struct model_route {
    std::string model_id;
    std::string upstream_id; // provider-specific: FlowGPT promptId, AIPKit bot_id, …
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
    /// One attempt with `ctx.credential`: streams the answer into `sink`, and returns nullopt when
    /// it ended normally. A refused credential is reported as `credential_rejected`, never retried
    /// here: resting it and trying the next is the caller's business (`run_attempts`).
    virtual net::awaitable<std::optional<provider_error>> complete(const api::chat_request& req, const model_route& route,
                                                                   event_sink& sink, call_context ctx) = 0;
};

} // namespace switchyard::providers
