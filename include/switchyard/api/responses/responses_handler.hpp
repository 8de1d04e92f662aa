#pragma once
// POST /v1/responses: read into the neutral chat_request and answered on the same path as chat
// completions (api::answer_request), encoded by responses_encoder.
#include <boost/asio/awaitable.hpp>

#include "switchyard/api/handlers.hpp"

namespace switchyard::api::responses {

net::awaitable<void> handle_responses(const http::http_request& req, http::response_stream& out, handler_context ctx);

} // namespace switchyard::api::responses
