#include "switchyard/ops/admin.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <charconv>

#include "switchyard/api/handlers.hpp"
#include "switchyard/providers/credential_pool.hpp"

namespace switchyard::ops {
namespace {

using api::api_error;
using api::error_kind;
using nlohmann::json;

long unix_seconds(std::chrono::system_clock::time_point t) {
    return static_cast<long>(std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count());
}

json credential_json(std::string_view provider, const providers::credential_report& r) {
    json j = {{"id", std::string(provider) + ":" + std::to_string(r.index)},
              {"provider", provider},
              {"credential", r.masked},
              {"state", providers::state_name(r.state)},
              {"consecutive_failures", r.consecutive_failures},
              {"requests", r.requests},
              {"failures", r.failures},
              {"in_flight", r.in_flight},
              {"reason", r.reason.empty() ? json() : json(r.reason)},
              {"cooling_until", r.cooling_until ? json(unix_seconds(*r.cooling_until)) : json()},
              {"last_used", r.last_used ? json(unix_seconds(*r.last_used)) : json()}};
    return j;
}

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

http::http_response not_found(const http::http_request& req) {
    return api::error_response({error_kind::route_not_found, "Invalid URL (" + req.method + " " + std::string(req.path()) + ")",
                                std::nullopt, std::nullopt});
}

http::http_response wrong_method(const http::http_request& req, const char* allow) {
    auto r = api::error_response({error_kind::method_not_allowed,
                                  "Method " + req.method + " is not allowed on " + std::string(req.path()) + ".", std::nullopt,
                                  std::nullopt});
    r.headers.emplace_back("allow", allow);
    return r;
}

http::http_response list_credentials(const providers::registry& models) {
    json data = json::array();
    for (auto* p : models.providers())
        if (auto* pool = p->credentials())
            for (const auto& r : pool->report())
                data.push_back(credential_json(p->name(), r));
    return api::json_response(dump(json{{"object", "list"}, {"data", std::move(data)}}));
}

/// "{provider}:{n}" → the provider and the credential's index, when both exist.
std::pair<providers::provider*, std::size_t> credential_named(const providers::registry& models, std::string_view id) {
    const auto colon = id.rfind(':');
    if (colon == std::string_view::npos) return {nullptr, 0};
    const std::string_view name = id.substr(0, colon), number = id.substr(colon + 1);
    std::size_t index = 0;
    const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), index);
    if (number.empty() || ec != std::errc{} || end != number.data() + number.size()) return {nullptr, 0};
    for (auto* p : models.providers())
        if (p->name() == name && p->credentials() && index < p->credentials()->size()) return {p, index};
    return {nullptr, 0};
}

net::awaitable<http::http_response> probe_credential(const http::http_request& req, std::string_view id,
                                                     const admin_context& ctx) {
    const auto [target, index] = credential_named(ctx.models, id);
    if (!target)
        co_return api::error_response({error_kind::credential_not_found,
                                       "No credential '" + std::string(id) + "'; GET /admin/credentials lists them.",
                                       std::nullopt, std::nullopt});
    const auto* model = ctx.models.first_model_of(*target);
    if (!model)
        co_return api::error_response(
            {error_kind::invalid_value,
             "No model routes to " + std::string(target->name()) + ", so there is nothing to probe with.", std::nullopt,
             std::nullopt});
    auto& pool = *target->credentials();
    const std::string credential = pool.value_at(index);
    providers::call_context call{ctx.http, req.request_id};
    call.credential = credential;
    const auto failed = co_await target->probe(model->route, call);
    if (failed)
        pool.failed(index, *failed);
    else
        pool.succeeded(index);
    spdlog::info("[{}] probe of {} credential {}: {}", req.request_id, target->name(), index,
                 failed ? providers::reason_name(failed->reason) : "ok");
    json reply = {{"id", std::string(id)}, {"ok", !failed}};
    if (failed) reply["error"] = {{"reason", providers::reason_name(failed->reason)}, {"message", failed->message}};
    for (const auto& r : pool.report())
        if (r.index == index) reply["credential"] = credential_json(target->name(), r);
    co_return api::json_response(dump(reply));
}

} // namespace

net::awaitable<http::http_response> handle_admin(const http::http_request& req, std::string_view path, const admin_context& ctx) {
    constexpr std::string_view credentials = "/admin/credentials";
    if (path == credentials) {
        if (req.method != "GET" && req.method != "HEAD") co_return wrong_method(req, "GET");
        co_return list_credentials(ctx.models);
    }
    if (path.starts_with(credentials) && path.ends_with("/probe") && path.size() > credentials.size() + 7) {
        if (req.method != "POST") co_return wrong_method(req, "POST");
        const auto id = path.substr(credentials.size() + 1, path.size() - credentials.size() - 1 - 6);
        co_return co_await probe_credential(req, id, ctx);
    }
    co_return not_found(req);
}

} // namespace switchyard::ops
