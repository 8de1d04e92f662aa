#pragma once
// The one rotation and retry loop, in front of every provider and before the commit point.
#include <optional>

#include "switchyard/providers/provider.hpp"

namespace switchyard::providers {

/// Runs one exchange with `p`. A provider without credentials gets one attempt. One with
/// credentials gets at most one attempt per credential, leased from its pool
/// (`credential_pool::acquire`), and every outcome is reported back to the pool. When an attempt
/// fails in a way another credential may not (refused, rate-limited, out of quota) before any
/// output reached `sink`, the next credential is tried; the last failure is returned. Any other
/// failure, and any failure after output (`event_sink::output_seen`), ends the exchange as the
/// provider reported it. With no usable credential the pool's reason is returned, and nothing is
/// sent upstream. Exceptions pass through.
net::awaitable<std::optional<provider_error>> run_attempts(provider& p, const api::chat_request& req, const model_route& route,
                                                           event_sink& sink, call_context ctx);

} // namespace switchyard::providers
