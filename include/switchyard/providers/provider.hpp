#pragma once
// The provider seam. A provider turns a parsed chat_request into a sequence of events; it never
// sees client JSON and never writes OpenAI JSON. Formatting, stop/max_tokens and the commit
// point live in the API layer.
#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "switchyard/api/chat_request.hpp"
#include "switchyard/api/error.hpp"

namespace switchyard::upstream {
class http_client;
}

namespace switchyard::providers {

namespace net = boost::asio;

struct text_delta {
    std::string text;
};

/// Real token counts, when the upstream reports them.
struct usage_report {
    long prompt_tokens = 0;
    long completion_tokens = 0;
};

/// Why an exchange failed; the message is safe to show to clients (no upstream bodies).
struct provider_error {
    api::error_kind kind = api::error_kind::upstream_error;
    std::string message;
    std::optional<long> retry_after_seconds;
    std::optional<std::string> param; // for errors about the request itself (400s)
};

using provider_event = std::variant<text_delta, usage_report>;

/// Receives a provider's events, in order.
class event_sink {
public:
    virtual ~event_sink() = default;
    /// Returns false when the consumer wants no more events; the provider should then return.
    virtual net::awaitable<bool> emit(provider_event&& event) = 0;
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
};

/// One upstream service. Shared by all worker threads, so implementations are thread-safe;
/// per-request state lives in the `complete` coroutine frame.
class provider {
public:
    virtual ~provider() = default;
    virtual std::string_view name() const noexcept = 0;
    virtual capabilities caps() const noexcept = 0;
    /// Checked before any I/O: e.g. a missing credential gives 503 naming the variable.
    virtual std::optional<provider_error> check_ready() const = 0;
    /// Streams the answer into `sink`. Returns nullopt when the answer ended normally.
    virtual net::awaitable<std::optional<provider_error>> complete(const api::chat_request& req, const model_route& route,
                                                                   event_sink& sink, call_context ctx) = 0;
};

} // namespace switchyard::providers
