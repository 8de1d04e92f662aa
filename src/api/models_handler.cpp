#include <nlohmann/json.hpp>

#include "switchyard/api/failure_mapping.hpp"
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
        nlohmann::json route = {{"provider", r.target->name()}, {"up", is_up}};
        if (auto note = r.target->health_note(); !note.empty()) route["note"] = std::move(note);
        routes.push_back(std::move(route));
    }
    const auto caps = m.target->caps();
    nlohmann::json out = {{"id", m.route.model_id},
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
                            {"web_search", m.web_search.value_or(caps.web_search)}}}};
    if (!m.title.empty()) out["title"] = m.title;
    if (!m.description.empty()) out["description"] = m.description;
    return out;
}

http::http_response no_such_model(std::string_view id) {
    return error_response({error_kind::model_not_found,
                           "The model `" + std::string(id) + "` does not exist or you do not have access to it.", "model",
                           std::nullopt});
}

} // namespace

http::http_response list_models(const providers::registry& models) {
    nlohmann::json data = nlohmann::json::array();
    for (const auto& m : models.models())
        data.push_back(model_object(m));
    for (const auto& m : models.found_models())
        data.push_back(model_object(m));
    return json_response(nlohmann::json{{"object", "list"}, {"data", std::move(data)}}.dump());
}

std::optional<http::http_response> retrieve_model(const providers::registry& models, std::string_view id) {
    if (const auto* m = models.find(id)) return json_response(model_object(*m).dump());
    if (models.finder_of(id)) return std::nullopt;
    return no_such_model(id);
}

net::awaitable<http::http_response> retrieve_found_model(const providers::registry& models, std::string_view id,
                                                         upstream::http_client& http, std::string_view request_id) {
    auto* finder = models.finder_of(id);
    if (!finder) co_return no_such_model(id);
    const auto found = co_await finder->find_model(id, providers::call_context{http, request_id});
    if (const auto* failed = std::get_if<providers::provider_error>(&found)) co_return error_response(error_for(*failed));
    const auto& m = std::get<providers::found_model>(found);
    co_return json_response(model_object({m.route, finder, {}, m.title, m.description, m.web_search}).dump());
}

} // namespace switchyard::api
