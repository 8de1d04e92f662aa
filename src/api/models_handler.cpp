#include <nlohmann/json.hpp>

#include "switchyard/api/handlers.hpp"
#include "switchyard/providers/credential_pool.hpp"

namespace switchyard::api {
namespace {

// A fixed creation time: the models are configuration, not objects with a history.
constexpr long models_created = 1700000000;

std::string_view reasoning_name(config::reasoning_mode mode) noexcept {
    switch (mode) {
    case config::reasoning_mode::split: return "split";
    case config::reasoning_mode::inline_: return "inline";
    case config::reasoning_mode::drop: return "drop";
    }
    return "split";
}

/// Whether a route to `p` could take a request now: `p` is configured, and one of its
/// credentials (if it has any) is neither cooling nor dead.
bool route_up(providers::provider& p) {
    if (p.check_ready()) return false;
    const auto* pool = p.credentials();
    return !pool || pool->size() == 0 || pool->usable();
}

/// OpenAI's model object, plus what a client choosing a model wants to know: its routes and how
/// many are up, and what it can do (as its first route does it).
nlohmann::json model_object(const providers::model_binding& m) {
    nlohmann::json routes = nlohmann::json::array();
    std::size_t up = 0;
    for (std::size_t i = 0; i < m.route_count(); ++i) {
        const auto r = m.at(i);
        const bool is_up = route_up(*r.target);
        up += is_up ? 1 : 0;
        routes.push_back({{"provider", r.target->name()}, {"up", is_up}});
    }
    const auto caps = m.target->caps();
    return {{"id", m.route.model_id},
            {"object", "model"},
            {"created", models_created},
            {"owned_by", m.target->name()},
            {"health",
             {{"status", up == m.route_count() ? "up"
                         : up > 0              ? "degraded"
                                               : "down"},
              {"routes_up", up},
              {"routes", std::move(routes)}}},
            {"capabilities",
             {{"streaming", true},
              {"images", caps.images},
              {"tools", caps.native_tools ? "native" : "emulated"},
              {"reasoning", reasoning_name(m.route.reasoning)},
              {"web_search", caps.web_search}}}};
}

} // namespace

http::http_response list_models(const providers::registry& models) {
    nlohmann::json data = nlohmann::json::array();
    for (const auto& m : models.models())
        data.push_back(model_object(m));
    return json_response(nlohmann::json{{"object", "list"}, {"data", std::move(data)}}.dump());
}

http::http_response retrieve_model(const providers::registry& models, std::string_view id) {
    if (const auto* m = models.find(id)) return json_response(model_object(*m).dump());
    return error_response({error_kind::model_not_found,
                           "The model `" + std::string(id) + "` does not exist or you do not have access to it.", "model",
                           std::nullopt});
}

} // namespace switchyard::api
