#pragma once
// /v1/responses: POST is read into the neutral chat_request and answered on the same path as
// chat completions (api::answer_request), encoded by responses_encoder. A stored response
// (`store`, the default) can be read back, deleted, listed by its input items, and continued
// by a later one (`previous_response_id`); `conversation` makes the response a turn of a
// stored conversation.
#include <boost/asio/awaitable.hpp>

#include <string>
#include <string_view>

#include "switchyard/api/handlers.hpp"
#include "switchyard/store/conversation_store.hpp"

namespace switchyard::api::responses {

/// POST /v1/responses.
net::awaitable<void> handle_responses(const http::http_request& req, http::response_stream& out, handler_context ctx);

/// GET and DELETE /v1/responses/{id}, GET /v1/responses/{id}/input_items (`path` is the API
/// path, e.g. "/responses/resp_1"). Runs on the store's thread.
http::http_response handle_stored_response(const http::http_request& req, std::string_view path, const std::string& owner,
                                           store::conversation_store& store);

} // namespace switchyard::api::responses
