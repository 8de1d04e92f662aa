#include "switchyard/api/anthropic/messages_handler.hpp"

#include <nlohmann/json.hpp>

#include "switchyard/api/anthropic/messages_format.hpp"
#include "switchyard/api/anthropic/messages_request.hpp"
#include "switchyard/api/chat_format.hpp"

namespace switchyard::api::anthropic {

net::awaitable<void> handle_messages(const http::http_request& http_req, http::response_stream& out, handler_context ctx) {
    auto parsed = parse_messages_request(http_req.body);
    if (const auto* err = std::get_if<api_error>(&parsed)) co_return co_await send_error(out, *err, anthropic_error_response);
    auto& req = std::get<chat_request>(parsed);
    const auto routed = co_await route_to_model(req, ctx, http_req.request_id);
    if (const auto* err = std::get_if<api_error>(&routed)) co_return co_await send_error(out, *err, anthropic_error_response);
    messages_encoder encoder(req.model);
    co_await answer_request(req, *std::get<model_handle>(routed), encoder, out, ctx, http_req.request_id);
}

http::http_response count_tokens(const http::http_request& req) {
    const auto parsed = parse_messages_request(req.body, true);
    if (const auto* err = std::get_if<api_error>(&parsed)) return anthropic_error_response(*err);
    // The same estimate as usage reports, so a client's context accounting agrees with itself.
    return json_response(nlohmann::json{{"input_tokens", estimate_prompt_tokens(std::get<chat_request>(parsed))}}.dump());
}

} // namespace switchyard::api::anthropic
