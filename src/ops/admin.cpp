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

http::http_response no_such_credential(std::string_view id) {
    return api::error_response({error_kind::credential_not_found,
                                "No credential '" + std::string(id) + "'; GET /admin/credentials lists them.", std::nullopt,
                                std::nullopt});
}

json report_of(providers::provider& p, std::size_t index) {
    for (const auto& r : p.credentials()->report())
        if (r.index == index) return credential_json(p.name(), r);
    return json();
}

/// The operator's word: the credential is healthy now, whatever it was.
http::http_response reset_credential(const http::http_request& req, std::string_view id, const admin_context& ctx) {
    const auto [target, index] = credential_named(ctx.models, id);
    if (!target) return no_such_credential(id);
    target->credentials()->reset(index);
    spdlog::info("[{}] {} credential {} reset to healthy by the operator", req.request_id, target->name(), index);
    return api::json_response(dump(json{{"id", std::string(id)}, {"credential", report_of(*target, index)}}));
}

/// Asks the upstream about the credential, spending no quota. A success forgets its refusals (a
/// cooling one keeps its time: no probe sees a rate limit); a refusal counts as one.
net::awaitable<http::http_response> probe_credential(const http::http_request& req, std::string_view id,
                                                     const admin_context& ctx) {
    const auto [target, index] = credential_named(ctx.models, id);
    if (!target) co_return no_such_credential(id);
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
    if (!failed)
        pool.succeeded(index);
    else if (failed->reason == providers::failure_reason::credential_rejected)
        pool.failed(index, *failed);
    spdlog::info("[{}] probe of {} credential {}: {}", req.request_id, target->name(), index,
                 failed ? providers::reason_name(failed->reason) : "ok");
    json reply = {{"id", std::string(id)}, {"ok", !failed}, {"credential", report_of(*target, index)}};
    if (failed) reply["error"] = {{"reason", providers::reason_name(failed->reason)}, {"message", failed->message}};
    co_return api::json_response(dump(reply));
}

} // namespace

net::awaitable<http::http_response> handle_admin(const http::http_request& req, std::string_view path, const admin_context& ctx) {
    if (path == "/admin/credentials") {
        if (req.method != "GET" && req.method != "HEAD") co_return wrong_method(req, "GET");
        co_return list_credentials(ctx.models);
    }
    // /admin/credentials/{id}/{action}
    constexpr std::string_view prefix = "/admin/credentials/";
    if (!path.starts_with(prefix)) co_return not_found(req);
    const auto rest = path.substr(prefix.size());
    const auto slash = rest.find('/');
    if (slash == std::string_view::npos || slash == 0) co_return not_found(req);
    const auto id = rest.substr(0, slash), action = rest.substr(slash + 1);
    if (action != "probe" && action != "reset") co_return not_found(req);
    if (req.method != "POST") co_return wrong_method(req, "POST");
    if (action == "probe") co_return co_await probe_credential(req, id, ctx);
    co_return reset_credential(req, id, ctx);
}

} // namespace switchyard::ops
