#include "switchyard/http/auth.hpp"

#include <strings.h>

#include "switchyard/util/secrets.hpp"

namespace switchyard::http {
namespace {

std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

} // namespace

authenticator::authenticator(const std::vector<std::string>& keys) {
    for (const auto& k : keys)
        key_digests_.push_back(secrets::sha256(k));
}

std::string_view authenticator::bearer_key(std::string_view authorization) noexcept {
    authorization = trim(authorization);
    constexpr std::string_view scheme = "bearer";
    if (authorization.size() <= scheme.size() || strncasecmp(authorization.data(), scheme.data(), scheme.size()) != 0) return {};
    const char sep = authorization[scheme.size()];
    if (sep != ' ' && sep != '\t') return {};
    return trim(authorization.substr(scheme.size()));
}

std::string authenticator::owner_of(std::string_view authorization, std::string_view x_api_key) const {
    if (!enabled()) return "anonymous";
    std::string_view presented = bearer_key(authorization);
    if (presented.empty()) presented = trim(x_api_key);
    return "key:" + secrets::sha256_hex(presented).substr(0, 32);
}

bool authenticator::allows(std::string_view authorization, std::string_view x_api_key) const {
    if (!enabled()) return true;
    std::string_view presented = bearer_key(authorization);
    if (presented.empty()) presented = trim(x_api_key);
    if (presented.empty()) return false;
    const auto digest = secrets::sha256(presented);
    bool match = false;
    for (const auto& key : key_digests_)
        match |= secrets::equal_constant_time(key, digest); // no early exit
    return match;
}

} // namespace switchyard::http
