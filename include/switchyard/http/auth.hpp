#pragma once
// Client API keys (API_MASTER_KEY). Read-only after construction; thread-safe.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "switchyard/config/settings.hpp"
#include "switchyard/util/secrets.hpp"

namespace switchyard::http {

class authenticator {
public:
    /// Who a request comes from: the name of the key it presented ("" with auth off) and that
    /// key's limits (null for a key without any).
    struct caller {
        std::string_view name;
        const config::client_key* key = nullptr;
    };

    /// `keys` are API_MASTER_KEY's, named key1, key2, …; `named` are the config file's.
    explicit authenticator(const std::vector<std::string>& keys, const std::vector<config::client_key>& named = {});

    /// With no keys configured, auth is off.
    bool enabled() const noexcept { return !entries_.empty(); }

    /// Accepts `Authorization: Bearer <key>` (scheme case-insensitive, blanks trimmed) or
    /// `x-api-key: <key>`. Every configured key is compared in constant time.
    bool allows(std::string_view authorization, std::string_view x_api_key) const;

    /// The caller, or nullopt when the key presented matches none. Every key is compared, in
    /// constant time.
    std::optional<caller> identify(std::string_view authorization, std::string_view x_api_key) const;

    /// Who owns what this caller creates: a digest of the presented key (never the key itself),
    /// or "anonymous" when auth is off.
    std::string owner_of(std::string_view authorization, std::string_view x_api_key) const;

    /// The key in an Authorization header value, or "" when it is not a bearer credential.
    static std::string_view bearer_key(std::string_view authorization) noexcept;

private:
    struct entry {
        secrets::sha256_digest digest; // the keys themselves are not kept
        std::string name;
        const config::client_key* key = nullptr;
    };
    std::vector<entry> entries_;
};

} // namespace switchyard::http
