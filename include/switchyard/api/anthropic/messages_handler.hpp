#pragma once
// The Anthropic Messages routes. A request is read into the neutral chat_request and answered
// on the same path as chat completions (api::answer_request), encoded by messages_encoder.
#include <boost/asio/awaitable.hpp>

#include "switchyard/api/handlers.hpp"

namespace switchyard::api::anthropic {

/// POST /v1/messages, streaming and not.
net::awaitable<void> handle_messages(const http::http_request& req, http::response_stream& out, handler_context ctx);

/// POST /v1/messages/count_tokens: estimated here, never sent upstream.
http::http_response count_tokens(const http::http_request& req);

} // namespace switchyard::api::anthropic
