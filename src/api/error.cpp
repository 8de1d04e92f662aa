#include "switchyard/api/error.hpp"

#include "switchyard/api/handlers.hpp"

#include <nlohmann/json.hpp>

namespace switchyard::api {

error_traits traits_of(error_kind kind) noexcept {
    switch (kind) {
    case error_kind::invalid_json: return {400, "invalid_request_error", "invalid_json", true};
    case error_kind::missing_parameter: return {400, "invalid_request_error", "missing_required_parameter", true};
    case error_kind::invalid_value: return {400, "invalid_request_error", "invalid_value", true};
    case error_kind::unsupported_value: return {400, "invalid_request_error", "unsupported_value", true};
    case error_kind::invalid_api_key: return {401, "invalid_request_error", "invalid_api_key", true};
    case error_kind::route_not_found: return {404, "invalid_request_error", nullptr, true};
    case error_kind::model_not_found: return {404, "invalid_request_error", "model_not_found", true};
    case error_kind::conversation_not_found: return {404, "invalid_request_error", "conversation_not_found", true};
    case error_kind::conversation_busy: return {409, "invalid_request_error", "conversation_busy", false};
    case error_kind::item_not_found: return {404, "invalid_request_error", "item_not_found", true};
    case error_kind::credential_not_found: return {404, "invalid_request_error", "credential_not_found", true};
    case error_kind::response_not_found: return {404, "invalid_request_error", "response_not_found", true};
    case error_kind::previous_response_not_found: return {400, "invalid_request_error", "previous_response_not_found", true};
    case error_kind::method_not_allowed: return {405, "invalid_request_error", "method_not_allowed", true};
    case error_kind::payload_too_large: return {413, "invalid_request_error", "payload_too_large", true};
    case error_kind::headers_too_large: return {431, "invalid_request_error", "headers_too_large", true};
    case error_kind::provider_unavailable: return {503, "server_error", "provider_not_configured", false};
    case error_kind::store_unavailable: return {503, "server_error", "store_unavailable", true};
    case error_kind::insufficient_quota: return {429, "insufficient_quota", "insufficient_quota", false};
    case error_kind::upstream_auth_failed: return {502, "server_error", "upstream_auth_failed", false};
    case error_kind::rate_limit_exceeded: return {429, "requests", "rate_limit_exceeded", true};
    case error_kind::upstream_error: return {502, "server_error", "upstream_error", true};
    case error_kind::tool_arguments_invalid: return {502, "server_error", "tool_arguments_invalid", true};
    case error_kind::upstream_timeout: return {504, "server_error", "upstream_timeout", true};
    case error_kind::server_shutting_down: return {503, "server_error", "server_shutting_down", true};
    case error_kind::server_overloaded: return {503, "server_error", "server_overloaded", true};
    case error_kind::origin_not_allowed: return {403, "invalid_request_error", "origin_not_allowed", false};
    case error_kind::model_not_allowed: return {403, "invalid_request_error", "model_not_allowed", false};
    case error_kind::internal_error: return {500, "server_error", "internal_error", true};
    }
    return {500, "server_error", "internal_error", true};
}

std::string error_body(const api_error& e) {
    const auto t = traits_of(e.kind);
    nlohmann::json body = {{"error",
                            {{"message", e.message},
                             {"type", t.type},
                             {"param", e.param ? nlohmann::json(*e.param) : nlohmann::json(nullptr)},
                             {"code", t.code ? nlohmann::json(t.code) : nlohmann::json(nullptr)}}}};
    return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

http::http_response error_response(const api_error& e) {
    const auto t = traits_of(e.kind);
    http::http_response r;
    r.status = t.status;
    r.body = error_body(e);
    if (!t.retryable) r.headers.emplace_back("x-should-retry", "false");
    if (e.retry_after_seconds) r.headers.emplace_back("retry-after", std::to_string(*e.retry_after_seconds));
    return r;
}

http::http_response json_response(std::string body) {
    http::http_response r;
    r.body = std::move(body);
    return r;
}

} // namespace switchyard::api
