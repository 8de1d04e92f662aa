#include "switchyard/api/failure_mapping.hpp"

namespace switchyard::api {

error_kind kind_for(providers::failure_reason reason) noexcept {
    using providers::failure_reason;
    switch (reason) {
    // run_attempts reports it only once every credential was refused.
    case failure_reason::credential_rejected: return error_kind::upstream_auth_failed;
    case failure_reason::rate_limited: return error_kind::rate_limit_exceeded;
    case failure_reason::quota_exhausted: return error_kind::insufficient_quota;
    case failure_reason::request_rejected: return error_kind::invalid_value;
    case failure_reason::request_unsupported: return error_kind::unsupported_value;
    case failure_reason::model_unknown: return error_kind::model_not_found;
    case failure_reason::upstream_failed:
    case failure_reason::protocol:
    case failure_reason::transport: return error_kind::upstream_error;
    case failure_reason::timeout: return error_kind::upstream_timeout;
    case failure_reason::not_configured: return error_kind::provider_unavailable;
    case failure_reason::tool_call_invalid: return error_kind::tool_arguments_invalid;
    }
    return error_kind::upstream_error;
}

api_error error_for(const providers::provider_error& e) {
    return {kind_for(e.reason), e.message, e.param, e.retry_after_seconds};
}

} // namespace switchyard::api
