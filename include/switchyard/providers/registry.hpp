#pragma once
// Model id → (provider, upstream id). Built once at start-up, read-only afterwards, so it is
// safe to share between threads.
#include <map>
#include <optional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "switchyard/config/settings.hpp"
#include "switchyard/providers/provider.hpp"

namespace switchyard::providers {

/// One place a model's requests can go.
struct route_target {
    model_route route;
    provider* target = nullptr;
};

struct model_binding {
    model_route route;                   // the first route
    provider* target = nullptr;          // and its provider
    std::vector<route_target> fallbacks; // tried in order when the one before fails before an answer starts
    std::string title{};                 // of a model found upstream: what the upstream calls it
    std::string description{};
    std::optional<bool> web_search{}; // of a model found upstream, when it says

    /// Route `i`: 0 is the first, then the fallbacks. A view into this binding, nothing copied.
    struct route_view {
        const model_route& route;
        provider* target;
    };
    route_view at(std::size_t i) const {
        return i == 0 ? route_view{route, target} : route_view{fallbacks[i - 1].route, fallbacks[i - 1].target};
    }
    std::size_t route_count() const noexcept { return 1 + fallbacks.size(); }
};

class registry {
public:
    /// Throws config::config_error when a provider of that name was added before.
    void add_provider(std::unique_ptr<provider> p);
    /// Binds a model id (and its aliases) to the providers of its routes, added before; throws
    /// config::config_error when one is missing. An id bound already keeps its first binding: false, and a warning is
    /// logged; a model named like an earlier alias takes the name over.
    bool add_model(const config::model_entry& entry);

    const model_binding* find(std::string_view model_id) const;
    /// The provider whose namespace of found models `model_id` is in (provider::finds), or null.
    provider* finder_of(std::string_view model_id) const noexcept;
    /// The models the providers found upstream, as bindings of one route each (for listing).
    std::vector<model_binding> found_models() const;
    const std::vector<model_binding>& models() const noexcept { return ordered_; }
    /// Every provider, in the order added. Providers are thread-safe, so a reader may use them.
    std::vector<provider*> providers() const;
    /// The first route of any model that goes to `p`, or nullopt: one an operator's probe can use.
    std::optional<route_target> first_route_to(const provider& p) const;
    /// How many upstream credentials the providers hold, all told.
    std::size_t credential_count() const;

private:
    std::vector<std::unique_ptr<provider>> providers_;
    std::vector<model_binding> ordered_;
    std::map<std::string, std::size_t, std::less<>> index_; // ids and aliases
    std::set<std::string, std::less<>> aliases_;
};

/// The registry for the configured models, with every provider they name.
std::unique_ptr<registry> build_registry(const config::settings& s);

} // namespace switchyard::providers
