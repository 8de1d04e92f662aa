#pragma once
// Which web pages may drive the gateway. With auth on, any page may (it cannot use a key it does
// not have), so `Access-Control-Allow-Origin: *`. With auth off, a page the user happens to visit
// could otherwise spend their upstream tokens with a no-preflight `text/plain` POST, or reach a
// loopback gateway through DNS rebinding: so only origins in CORS_ORIGINS are served, and a
// loopback gateway answers only Host names of the loopback. Clients that send no Origin (curl,
// SDKs) are unaffected. Read-only after construction; thread-safe.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace switchyard::http {

class cors_policy {
public:
    cors_policy(bool auth_on, std::vector<std::string> allowed_origins, bool loopback_listener);

    /// Why a request is refused (a client-safe message), or nullopt when it may be served.
    std::optional<std::string> refusal(std::string_view origin, std::string_view host) const;
    /// The Access-Control-Allow-Origin value for a request with this Origin, if any.
    std::optional<std::string> allow_origin(std::string_view origin) const;

private:
    bool origin_allowed(std::string_view origin) const;

    bool auth_on_;
    std::vector<std::string> allowed_origins_;
    bool loopback_listener_;
};

/// Whether `origin` is the request's own (`http://` and its Host) and that Host is a loopback
/// name or an address literal: the gateway's own pages. A DNS name in Host could be a
/// rebinding page's, so it never counts.
bool same_origin(std::string_view origin, std::string_view host) noexcept;

/// True for an IPv4 or bracketed IPv6 address literal, with or without a port.
bool names_address(std::string_view host) noexcept;

/// True for host names and address literals of the loopback ("localhost", "127.0.0.5",
/// "[::1]"), with or without a port.
bool names_loopback(std::string_view host) noexcept;

} // namespace switchyard::http
