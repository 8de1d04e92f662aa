#pragma once
// The one place a provider's failure reason becomes what the client sees. Providers report why
// an exchange failed; this decides the error kind (and so the status, code and retry headers).
#include "switchyard/api/error.hpp"
#include "switchyard/providers/provider.hpp"

namespace switchyard::api {

/// The client-facing error for a provider failure: its kind from the reason (every credential
/// refused → upstream_auth_failed 502, rate_limited → 429 with retry-after, request_rejected →
/// invalid_value 400 with param, …), with the provider's client-safe message, param and
/// retry-after.
api_error error_for(const providers::provider_error& e);

/// The kind alone; total over `failure_reason`.
error_kind kind_for(providers::failure_reason reason) noexcept;

} // namespace switchyard::api
