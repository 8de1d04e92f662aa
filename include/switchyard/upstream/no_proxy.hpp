#pragma once
// NO_PROXY matching, with curl's semantics. Pure; thread-safe.
#include <string_view>

namespace switchyard::upstream {

/// True when `host` (a name or an IP literal, IPv6 with or without brackets) should be reached
/// without the proxy under `no_proxy`, a comma-separated list where:
/// - `*` as the whole list matches every host;
/// - a name matches itself and its subdomains (`example.com` and `.example.com` both match
///   `example.com` and `api.example.com`, not `badexample.com`); case and a trailing dot do not
///   matter;
/// - an IP address matches the same address (`::1` matches `[0:0::1]`), and `10.0.0.0/8` or
///   `fd00::/8` match the addresses in the range. IP hosts match only IP entries.
bool bypasses_proxy(std::string_view host, std::string_view no_proxy);

} // namespace switchyard::upstream
