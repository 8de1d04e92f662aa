#pragma once
// Handlers for the OpenAI routes. Each takes a parsed HTTP request and answers on the stream.
#include <boost/asio/awaitable.hpp>

#include <functional>
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
namespace switchyard::store {
class store_worker;
}

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

/// The model `req` names, checked against its provider (images, credentials), or the error.
std::variant<const providers::model_binding*, api_error> route_to_model(const chat_request& req,
                                                                        const providers::registry& models);

/// Answers an admitted request on `out` in `encoder`'s wire format: a stored conversation's turn,
/// a continued chat or a one-shot answer, streamed or whole, with the commit point, stop and
/// max_tokens applied and the turn stored before the answer ends. `req`'s messages may be
/// moved out (a continued chat keeps only its new turn).
net::awaitable<void> answer_request(chat_request& req, const providers::model_binding& binding, answer_encoder& encoder,
                                    http::response_stream& out, const handler_context& ctx, std::string_view request_id);

/// GET /v1/models
http::http_response list_models(const providers::registry& models);
/// GET /v1/models/{id}
http::http_response retrieve_model(const providers::registry& models, std::string_view id);

} // namespace switchyard::api
