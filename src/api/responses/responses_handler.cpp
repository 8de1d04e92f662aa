#include "switchyard/api/responses/responses_handler.hpp"

#include "switchyard/api/responses/responses_format.hpp"
#include "switchyard/api/responses/responses_request.hpp"

namespace switchyard::api::responses {

net::awaitable<void> handle_responses(const http::http_request& http_req, http::response_stream& out, handler_context ctx) {
    auto parsed = parse_responses_request(http_req.body);
    if (const auto* err = std::get_if<api_error>(&parsed)) co_return co_await send_error(out, *err);
    auto& request = std::get<responses_request>(parsed);
    const auto routed = route_to_model(request.turn, ctx.models);
    if (const auto* err = std::get_if<api_error>(&routed)) co_return co_await send_error(out, *err);
    responses_encoder encoder(request.turn.model, std::move(request.echo), std::move(request.custom_tools));
    co_await answer_request(request.turn, *std::get<const providers::model_binding*>(routed), encoder, out, ctx,
                            http_req.request_id);
}

} // namespace switchyard::api::responses
