#include "switchyard/http/cors.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <strings.h>

#include <string>

namespace switchyard::http {

cors_policy::cors_policy(bool auth_on, std::vector<std::string> allowed_origins, bool loopback_listener)
    : auth_on_(auth_on), allowed_origins_(std::move(allowed_origins)), loopback_listener_(loopback_listener) {
    for (auto& o : allowed_origins_)
        while (!o.empty() && o.back() == '/')
            o.pop_back(); // "http://app.example/" and the browser's "http://app.example" are one origin
}

bool cors_policy::origin_allowed(std::string_view origin) const {
    return std::any_of(allowed_origins_.begin(), allowed_origins_.end(), [&](const std::string& o) {
        return o == "*" || (o.size() == origin.size() && strncasecmp(o.data(), origin.data(), o.size()) == 0);
    });
}

std::optional<std::string> cors_policy::refusal(std::string_view origin, std::string_view host) const {
    if (auth_on_) return std::nullopt;
    if (!origin.empty() && !origin_allowed(origin) && !same_origin(origin, host))
        return "Cross-origin requests from " + std::string(origin) +
               " are refused while authentication is off; list the origin in CORS_ORIGINS or set API_MASTER_KEY.";
    if (loopback_listener_ && !host.empty() && !names_loopback(host))
        return std::string("This gateway answers only requests addressed to the loopback while authentication is off.");
    return std::nullopt;
}

std::optional<std::string> cors_policy::allow_origin(std::string_view origin) const {
    if (auth_on_) return std::string("*");
    if (!origin.empty() && origin_allowed(origin)) return std::string(origin);
    return std::nullopt;
}

bool same_origin(std::string_view origin, std::string_view host) noexcept {
    // The gateway speaks plain HTTP, so its pages are http:// ones. A Host that is a DNS name
    // could be a rebinding page's; only a loopback name or an address literal is trusted.
    constexpr std::string_view scheme = "http://";
    if (host.empty() || !(names_loopback(host) || names_address(host))) return false;
    return origin.size() == scheme.size() + host.size() && strncasecmp(origin.data(), scheme.data(), scheme.size()) == 0 &&
           strncasecmp(origin.data() + scheme.size(), host.data(), host.size()) == 0;
}

bool names_address(std::string_view host) noexcept {
    if (host.starts_with('[')) { // [v6]:port
        const auto close = host.find(']');
        if (close == std::string_view::npos || close > 64) return false;
        const std::string v6(host.substr(1, close - 1));
        in6_addr a6{};
        return inet_pton(AF_INET6, v6.c_str(), &a6) == 1;
    }
    if (const auto colon = host.rfind(':'); colon != std::string_view::npos) host = host.substr(0, colon);
    if (host.size() > 15) return false;
    const std::string v4(host);
    in_addr a4{};
    return inet_pton(AF_INET, v4.c_str(), &a4) == 1;
}

bool names_loopback(std::string_view host) noexcept {
    if (host.starts_with('[')) { // [v6]:port
        const auto close = host.find(']');
        return close != std::string_view::npos && host.substr(1, close - 1) == "::1";
    }
    if (const auto colon = host.rfind(':'); colon != std::string_view::npos) host = host.substr(0, colon);
    if (host.size() == 9 && strncasecmp(host.data(), "localhost", 9) == 0) return true;
    if (!host.starts_with("127.")) return false;
    return std::all_of(host.begin(), host.end(), [](char c) { return c == '.' || (c >= '0' && c <= '9'); });
}

} // namespace switchyard::http
