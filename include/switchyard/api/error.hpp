#pragma once
// The one error vocabulary. Every error the gateway sends, as an HTTP status or in-band in a
// stream, is an `api_error` rendered by `error_body` as {"error":{message,type,param,code}}.
#include <optional>
#include <string>

namespace switchyard::api {

enum class error_kind {
    invalid_json,                // 400 body is not JSON
    missing_parameter,           // 400 missing_required_parameter
    invalid_value,               // 400 invalid_value
    unsupported_value,           // 400 unsupported_value
    invalid_api_key,             // 401
    route_not_found,             // 404 unknown path
    model_not_found,             // 404
    conversation_not_found,      // 404
    conversation_busy,           // 409, not retryable
    item_not_found,              // 404, an item of a conversation
    response_not_found,          // 404, a stored response
    credential_not_found,        // 404, an upstream credential named in the admin API
    previous_response_not_found, // 400, `previous_response_id` names no stored response
    method_not_allowed,          // 405
    payload_too_large,           // 413
    headers_too_large,           // 431
    provider_unavailable,        // 503 provider not configured
    upstream_auth_failed,        // 502, not retryable
    rate_limit_exceeded,         // 429
    insufficient_quota,          // 429, not retryable
    upstream_error,              // 502
    tool_arguments_invalid,      // 502, a strict tool's emulated call failed its schema after the repair round
    upstream_timeout,            // 504
    store_unavailable,           // 503, the shared store (Redis) cannot be reached
    server_shutting_down,        // 503
    server_overloaded,           // 503, too many connections
    origin_not_allowed,          // 403, cross-site request while auth is off
    model_not_allowed,           // 403, the client key may not use the model
    internal_error,              // 500
};

struct error_traits {
    int status;
    const char* type;
    const char* code; // nullptr renders as JSON null
    bool retryable;   // false adds `x-should-retry: false`
};

error_traits traits_of(error_kind kind) noexcept;

struct api_error {
    error_kind kind;
    std::string message;
    std::optional<std::string> param;
    std::optional<long> retry_after_seconds;
};

/// {"error":{"message":…,"type":…,"param":…,"code":…}}
std::string error_body(const api_error& e);

} // namespace switchyard::api
