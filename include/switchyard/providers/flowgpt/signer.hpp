#pragma once
// FlowGPT request signing (upstreams.md A.1.1): x-signature = md5 over the timestamp, the nonce
// and a scheme-specific third part.
#include <string>
#include <string_view>

#include "switchyard/config/settings.hpp"

namespace switchyard::providers::flowgpt {

/// v1: md5(ts "-" nonce "-" authorization); v2: md5(ts nonce device_id); v3: md5(ts ":" nonce ":" device_id).
/// Returns "" for `none`.
std::string signature(config::signature_scheme scheme, std::string_view timestamp, std::string_view nonce,
                      std::string_view device_id, std::string_view authorization);

} // namespace switchyard::providers::flowgpt
