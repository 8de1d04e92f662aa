#include "switchyard/providers/registry.hpp"

#include "switchyard/providers/credential_pool.hpp"

#include "switchyard/providers/aipkit/aipkit_provider.hpp"
#include "switchyard/providers/flowgpt/flowgpt_provider.hpp"
#include "switchyard/providers/openai/openai_provider.hpp"

#include <spdlog/spdlog.h>

namespace switchyard::providers {

void registry::add_provider(std::unique_ptr<provider> p) {
    // Metrics, the admin API and the model list tell providers apart by name.
    for (const auto& known : providers_)
        if (known->name() == p->name())
            throw config::config_error("two providers are named '" + std::string(p->name()) +
                                       "'; give each OpenAI-compatible upstream a name of its own");
    providers_.push_back(std::move(p));
}

bool registry::add_model(const config::model_entry& entry) {
    const auto provider_named = [&](const std::string& name) {
        for (auto& p : providers_)
            if (p->name() == name) return p.get();
        throw config::config_error("model '" + entry.id + "' names unknown provider '" + name + "'");
    };
    provider* target = provider_named(entry.provider);
    std::vector<route_target> fallbacks;
    for (const auto& f : entry.fallbacks)
        fallbacks.push_back({{entry.id, f.upstream_id, entry.reasoning}, provider_named(f.provider)});
    if (auto it = index_.find(entry.id); it != index_.end() && aliases_.erase(entry.id) > 0) {
        spdlog::warn("model '{}' from {} replaces an alias of the same name", entry.id, entry.provider);
        index_.erase(it);
    } else if (it != index_.end()) {
        // Upstreams list the same id twice, or two providers share one: starting is worth more
        // than the second binding.
        spdlog::warn("model '{}' from {} is already bound to {}; the first one is kept", entry.id, entry.provider,
                     ordered_[it->second].target->name());
        return false;
    }
    index_.emplace(entry.id, ordered_.size());
    for (const auto& alias : entry.aliases) { // listed under its id only; an alias never hides a model
        if (index_.emplace(alias, ordered_.size()).second)
            aliases_.insert(alias);
        else
            spdlog::warn("alias '{}' of model '{}' is already a model or an alias; ignored", alias, entry.id);
    }
    ordered_.push_back({{entry.id, entry.upstream_id, entry.reasoning}, target, std::move(fallbacks)});
    return true;
}

std::vector<provider*> registry::providers() const {
    std::vector<provider*> out;
    for (const auto& p : providers_)
        out.push_back(p.get());
    return out;
}

std::optional<route_target> registry::first_route_to(const provider& p) const {
    for (const auto& m : ordered_)
        for (std::size_t i = 0; i < m.route_count(); ++i)
            if (m.at(i).target == &p) return route_target{m.at(i).route, m.at(i).target};
    return std::nullopt;
}

std::size_t registry::credential_count() const {
    std::size_t n = 0;
    for (const auto& p : providers_)
        n += p->credentials() ? p->credentials()->size() : 0;
    return n;
}

provider* registry::finder_of(std::string_view model_id) const noexcept {
    for (const auto& p : providers_)
        if (p->finds(model_id)) return p.get();
    return nullptr;
}

std::vector<model_binding> registry::found_models() const {
    std::vector<model_binding> out;
    for (const auto& p : providers_)
        for (auto& m : p->found_models())
            if (!index_.contains(m.route.model_id))
                out.push_back({std::move(m.route), p.get(), {}, std::move(m.title), std::move(m.description), m.web_search});
    return out;
}

const model_binding* registry::find(std::string_view model_id) const {
    auto it = index_.find(model_id);
    return it == index_.end() ? nullptr : &ordered_[it->second];
}

std::unique_ptr<registry> build_registry(const config::settings& s) {
    auto r = std::make_unique<registry>();
    r->add_provider(std::make_unique<flowgpt::flowgpt_provider>(s.flowgpt, s.credentials));
    r->add_provider(std::make_unique<aipkit::aipkit_provider>(s.chatgptfree, s.upstream, s.aipkit_discovery_ttl, s.credentials));
    for (const auto& site : s.aipkit_sites)
        r->add_provider(std::make_unique<aipkit::aipkit_provider>(site, s.upstream, s.aipkit_discovery_ttl, s.credentials));
    for (const auto& u : s.openai) // before the model map, whose routes may name them
        r->add_provider(std::make_unique<openai::openai_provider>(u, s.credentials));
    for (const auto& m : s.models)
        r->add_model(m);
    if (s.flowgpt.anonymous)
        for (const auto& m : s.flowgpt.anonymous_models)
            r->add_model({std::string(flowgpt::flowgpt_provider::anonymous_prefix) + m,
                          "flowgpt",
                          std::string(flowgpt::flowgpt_provider::anonymous_prompt) + m,
                          config::reasoning_mode::split,
                          {},
                          {}});
    for (const auto& u : s.openai) {
        const auto ids = u.all_models ? openai::discover_models(u, s.upstream) : u.models;
        std::size_t added = 0;
        for (const auto& id : ids)
            added += r->add_model({u.prefix + id, u.name, id, config::reasoning_mode::split, {}, {}}) ? 1 : 0;
        spdlog::info("{}: {} model(s) from {}", u.name, added, u.base_url);
    }
    return r;
}

} // namespace switchyard::providers
