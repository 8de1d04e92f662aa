#pragma once
// Mappings every provider shares between what the upstream client reports and provider_error.
#include <optional>
#include <string_view>

#include "switchyard/providers/provider.hpp"
#include "switchyard/upstream/http_client.hpp"

namespace switchyard::providers {

/// A transport failure as a provider_error naming the upstream (`who`): `timeout` or `transport`.
/// Cancellation (the client went away) is rethrown as operation_aborted.
provider_error transport_error(const upstream::failure& f, std::string_view who);

/// The longest wait an upstream may ask for: a day. Beyond it, a credential would sit out for as
/// long as the upstream likes, and clients would be told to wait as long.
inline constexpr long max_retry_after_seconds = 86'400;

/// A `retry-after` header in seconds, at most max_retry_after_seconds; nullopt when absent or
/// not a whole number (an HTTP date, trailing junk).
std::optional<long> retry_after_seconds(std::string_view header);

} // namespace switchyard::providers
