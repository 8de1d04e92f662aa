#pragma once
// Handlers for the OpenAI routes. Each takes a parsed HTTP request and answers on the stream.
#include <boost/asio/awaitable.hpp>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <variant>

#include "switchyard/api/answer_encoder.hpp"
#include "switchyard/api/chat_request.hpp"
#include "switchyard/api/error.hpp"
#include "switchyard/config/settings.hpp"
#include "switchyard/http/message.hpp"
#include "switchyard/providers/registry.hpp"

namespace switchyard::upstream {
class http_client;
}
namespace switchyard::ops {
class key_limits;
}
namespace switchyard::store {
class store_worker;
class conversation_store;
} // namespace switchyard::store

namespace switchyard::api {

namespace net = boost::asio;
class conversation_locks;

/// What a handler may use; the http client belongs to the calling worker thread.
struct handler_context {
    const providers::registry& models;
    const config::stream_settings& stream;
    const config::continuation_settings& continuation;
    upstream::http_client& http;
    store::store_worker& conversations; // runs store calls off the I/O thread
    conversation_locks& locks;
    // Who is asking (http::authenticator::owner_of): a digest, so computed only when needed.
    const std::function<std::string()>& owner;
    // The caller's key when it has limits, and where they are kept (both null: none).
    const config::client_key* key = nullptr;
    ops::key_limits* limits = nullptr;
};

/// An error as an HTTP response: the envelope, plus retry headers where they apply.
http::http_response error_response(const api_error& e);
/// A 200 JSON response.
http::http_response json_response(std::string body);

/// Sends an error whole, in the shape `shape` gives it (OpenAI's by default). A coroutine of its
/// own, so the response is held only while it is sent and not in the frame of a handler that may
/// stream for minutes.
net::awaitable<void> send_error(http::response_stream& out, const api_error& e,
                                http::http_response (*shape)(const api_error&) = error_response);

/// POST /v1/chat/completions, streaming and not.
net::awaitable<void> handle_chat_completions(const http::http_request& req, http::response_stream& out, handler_context ctx);

// The answer path every API front-end shares (api/chat_handler.cpp).

/// A model's binding: the registry's for a configured model (not owned), a binding of its own for
/// a model a provider found upstream.
using model_handle = std::shared_ptr<const providers::model_binding>;

/// The model `req` names, configured or found upstream (which may ask the upstream), checked
/// against its provider (images, credentials); or the error.
net::awaitable<std::variant<model_handle, api_error>> route_to_model(const chat_request& req, const handler_context& ctx,
                                                                     std::string_view request_id);

/// The answer as the client received it.
struct finished_answer {
    const std::string& text;
    const std::vector<tool_call>& calls;
    bool cut = false; // a stop sequence or max_tokens ended it: the upstream said more than the client saw
};

/// What a front-end keeps of a turn beyond what answer_request keeps by itself. The Responses
/// API stores its response, continues a previous one, and writes its own items into a
/// conversation; chat completions and Messages keep nothing more.
struct turn_keeping {
    /// The new turn as conversation items (JSON objects); empty: the new messages, converted.
    std::vector<nlohmann::json> input_items;
    /// The answer as conversation items, asked once the encoder has closed the answer; unset:
    /// converted from the answer.
    std::function<std::vector<nlohmann::json>(const finished_answer&)> output_items;
    /// Where a previous response left its upstream conversation: continue it ("" when nowhere),
    /// if the new input, from `new_input_at` in the messages, reaches it as one message.
    std::optional<std::string> continue_from;
    std::size_t new_input_at = 0;
    /// The request field that names the conversation, for errors about it.
    std::string conversation_param = "conversation_id";
    /// Stores the API's own record of the turn, on the store thread, before the client sees the
    /// end. Given the continuation key the answer's upstream conversation is now kept under ("" when none).
    std::function<void(store::conversation_store&, const std::string& continuation_key)> record;
};

/// Answers an admitted request on `out` in `encoder`'s wire format: a stored conversation's turn,
/// a continued chat or a one-shot answer, streamed or whole, with the commit point, stop and
/// max_tokens applied and the turn stored before the answer ends. `req`'s messages may be
/// moved out (a continued chat keeps only its new turn).
net::awaitable<void> answer_request(chat_request& req, const providers::model_binding& binding, answer_encoder& encoder,
                                    http::response_stream& out, const handler_context& ctx, std::string_view request_id,
                                    const turn_keeping& keep);
net::awaitable<void> answer_request(chat_request& req, const providers::model_binding& binding, answer_encoder& encoder,
                                    http::response_stream& out, const handler_context& ctx, std::string_view request_id);

/// GET /v1/models
http::http_response list_models(const providers::registry& models);
/// GET /v1/models/{id} of a configured model, or nullopt for an id a provider may find upstream
/// (`retrieve_found_model` answers that).
std::optional<http::http_response> retrieve_model(const providers::registry& models, std::string_view id);
/// GET /v1/models/{id} of a model a provider finds upstream: its title and description too.
net::awaitable<http::http_response> retrieve_found_model(const providers::registry& models, std::string_view id,
                                                         upstream::http_client& http, std::string_view request_id);

} // namespace switchyard::api
