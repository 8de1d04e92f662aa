#pragma once
// The one rotation and retry loop, in front of every provider and before the commit point.
#include <optional>

#include "switchyard/providers/provider.hpp"

namespace switchyard::providers {

/// Runs one exchange with `p`. A provider without credentials gets one attempt. One with
/// credentials gets one attempt per credential: when an attempt reports `credential_rejected`
/// before any text reached `sink`, that credential rests (`credential_pool::cool_down`) and the
/// next is tried; once every one was refused, the last `credential_rejected` is returned. Any
/// other failure, and any failure after output (`event_sink::output_seen`), ends the exchange as the
/// provider reported it. Exceptions pass through. Uses `p`'s pool, which is thread-safe.
net::awaitable<std::optional<provider_error>> run_attempts(provider& p, const api::chat_request& req, const model_route& route,
                                                           event_sink& sink, call_context ctx);

} // namespace switchyard::providers
