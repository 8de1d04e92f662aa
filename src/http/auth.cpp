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

authenticator::authenticator(const std::vector<std::string>& keys, const std::vector<config::client_key>& named) {
    for (const auto& k : keys)
        entries_.push_back({secrets::sha256(k), "key" + std::to_string(entries_.size() + 1), nullptr});
    for (const auto& k : named) {
        secrets::sha256_digest digest{};
        if (k.key_sha256.empty()) {
            digest = secrets::sha256(k.key);
        } else {
            for (std::size_t i = 0; i < digest.size(); ++i)
                digest[i] = static_cast<unsigned char>(std::stoi(k.key_sha256.substr(2 * i, 2), nullptr, 16));
        }
        entries_.push_back({digest, k.name, k.limited() ? &k : nullptr});
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
    return identify(authorization, x_api_key).has_value();
}

std::optional<authenticator::caller> authenticator::identify(std::string_view authorization, std::string_view x_api_key) const {
    if (!enabled()) return caller{};
    std::string_view presented = bearer_key(authorization);
    if (presented.empty()) presented = trim(x_api_key);
    if (presented.empty()) return std::nullopt;
    const auto digest = secrets::sha256(presented);
    const entry* match = nullptr;
    for (const auto& e : entries_)
        if (secrets::equal_constant_time(e.digest, digest) && !match) match = &e; // every key compared: no early exit
    if (!match) return std::nullopt;
    return caller{match->name, match->key};
}

} // namespace switchyard::http
