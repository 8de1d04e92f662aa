#pragma once
// Client API keys (API_MASTER_KEY). Read-only after construction; thread-safe.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "switchyard/util/secrets.hpp"

namespace switchyard::http {

class authenticator {
public:
    explicit authenticator(const std::vector<std::string>& keys);

    /// With no keys configured, auth is off.
    bool enabled() const noexcept { return !key_digests_.empty(); }

    /// Accepts `Authorization: Bearer <key>` (scheme case-insensitive, blanks trimmed) or
    /// `x-api-key: <key>`. Every configured key is compared in constant time.
    bool allows(std::string_view authorization, std::string_view x_api_key) const;

    /// The name of the key presented ("key1" for the first configured, …), "" with auth off;
    /// nullopt when it matches none. Compared as `allows` does.
    std::optional<std::string_view> key_name(std::string_view authorization, std::string_view x_api_key) const;

    /// Who owns what this caller creates: a digest of the presented key (never the key itself),
    /// or "anonymous" when auth is off.
    std::string owner_of(std::string_view authorization, std::string_view x_api_key) const;

    /// The key in an Authorization header value, or "" when it is not a bearer credential.
    static std::string_view bearer_key(std::string_view authorization) noexcept;

private:
    std::vector<secrets::sha256_digest> key_digests_; // the keys themselves are not kept
    std::vector<std::string> key_names_;
};

} // namespace switchyard::http
