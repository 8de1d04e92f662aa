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
    for (const auto& k : keys) {
        key_digests_.push_back(secrets::sha256(k));
        key_names_.push_back("key" + std::to_string(key_names_.size() + 1));
    }
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
    return key_name(authorization, x_api_key).has_value();
}

std::optional<std::string_view> authenticator::key_name(std::string_view authorization, std::string_view x_api_key) const {
    if (!enabled()) return std::string_view();
    std::string_view presented = bearer_key(authorization);
    if (presented.empty()) presented = trim(x_api_key);
    if (presented.empty()) return std::nullopt;
    const auto digest = secrets::sha256(presented);
    std::optional<std::string_view> match;
    for (std::size_t i = 0; i < key_digests_.size(); ++i)
        if (secrets::equal_constant_time(key_digests_[i], digest)) match = key_names_[i]; // no early exit
    return match;
}

} // namespace switchyard::http
