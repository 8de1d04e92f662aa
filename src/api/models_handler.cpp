#include <nlohmann/json.hpp>

#include "switchyard/api/handlers.hpp"

namespace switchyard::api {
namespace {

// A fixed creation time: the models are configuration, not objects with a history.
constexpr long models_created = 1700000000;

nlohmann::json model_object(const providers::model_binding& m) {
    return {{"id", m.route.model_id}, {"object", "model"}, {"created", models_created}, {"owned_by", m.target->name()}};
}

} // namespace

http::http_response error_response(const api_error& e) {
    const auto t = traits_of(e.kind);
    http::http_response r;
    r.status = t.status;
    r.body = error_body(e);
    if (!t.retryable) r.headers.emplace_back("x-should-retry", "false");
    if (e.retry_after_seconds) r.headers.emplace_back("retry-after", std::to_string(*e.retry_after_seconds));
    return r;
}

http::http_response json_response(std::string body) {
    http::http_response r;
    r.body = std::move(body);
    return r;
}

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
