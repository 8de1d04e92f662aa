#include "switchyard/ops/admin.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <cctype>
#include <charconv>
#include <ctime>
#include <map>

#include "switchyard/api/conversations.hpp"
#include "switchyard/api/handlers.hpp"
#include "switchyard/ops/metrics.hpp"
#include "switchyard/ops/recent_errors.hpp"
#include "switchyard/ops/usage.hpp"
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
    const auto route = ctx.models.first_route_to(*target);
    if (!route)
        co_return api::error_response(
            {error_kind::invalid_value,
             "No model routes to " + std::string(target->name()) + ", so there is nothing to probe with.", std::nullopt,
             std::nullopt});
    auto& pool = *target->credentials();
    const std::string credential = pool.value_at(index);
    providers::call_context call{ctx.http, req.request_id};
    call.credential = credential;
    const auto failed = co_await target->probe(route->route, call);
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

/// The times /admin/usage reads: from 1970 to the end of 9999.
constexpr std::int64_t latest_time = 253'402'300'799;

/// A time as Unix seconds, or as an ISO 8601 UTC date or time ("2026-12-07", "2026-12-07T01:00:00Z"),
/// within [0, latest_time]; nullopt for anything else, impossible dates included.
std::optional<std::int64_t> parse_time(const std::string& text) {
    std::int64_t seconds = 0;
    const char* end = text.data() + text.size();
    if (auto [p, ec] = std::from_chars(text.data(), end, seconds); ec == std::errc{} && p == end && !text.empty())
        return seconds >= 0 && seconds <= latest_time ? std::optional(seconds) : std::nullopt;
    // YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ, digits where digits belong.
    constexpr std::string_view date_shape = "dddd-dd-dd", time_shape = "dddd-dd-ddTdd:dd:ddZ";
    const std::string_view shape = text.size() == date_shape.size() ? date_shape : time_shape;
    if (text.size() != shape.size()) return std::nullopt;
    for (std::size_t k = 0; k < shape.size(); ++k)
        if (shape[k] == 'd' ? !std::isdigit(static_cast<unsigned char>(text[k])) : text[k] != shape[k]) return std::nullopt;
    const auto field = [&](std::size_t at, std::size_t n) { return std::stoi(text.substr(at, n)); };
    const int year = field(0, 4), month = field(5, 2), day = field(8, 2);
    const int hour = shape == time_shape ? field(11, 2) : 0, minute = shape == time_shape ? field(14, 2) : 0,
              second = shape == time_shape ? field(17, 2) : 0;
    if (year < 1970 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return std::nullopt;
    std::tm tm{};
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = minute;
    tm.tm_sec = second;
    const auto at = static_cast<std::int64_t>(timegm(&tm));
    if (tm.tm_mday != day || tm.tm_mon != month - 1) return std::nullopt; // 31 February rolled into March
    return at;
}

std::string iso_hour(std::int64_t seconds) {
    const std::time_t t = static_cast<std::time_t>(seconds);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

http::http_response bad_usage_query(std::string message, const char* param) {
    return api::error_response({error_kind::invalid_value, std::move(message), std::string(param), std::nullopt});
}

json usage_json(const store::usage_row& r, bool by_hour, bool by_key, bool by_model) {
    json j = json::object();
    if (by_hour) j["hour"] = iso_hour(r.hour);
    if (by_key) j["key"] = r.key.empty() ? json() : json(r.key);
    if (by_model) j["model"] = r.model;
    j["requests"] = r.requests;
    j["errors"] = r.errors;
    j["prompt_tokens"] = r.prompt_tokens;
    j["completion_tokens"] = r.completion_tokens;
    j["estimated_tokens"] = r.estimated_tokens;
    j["streamed_bytes"] = r.streamed_bytes;
    return j;
}

/// GET /admin/usage: the stored rows of [from, to) (default: the last 24 hours), summed over
/// whatever `group_by` leaves out (`hour`, `key`, `model`, comma-separated; default `hour`).
net::awaitable<http::http_response> usage_statistics(const http::http_request& req, const admin_context& ctx) {
    if (!ctx.usage)
        co_return api::error_response(
            {error_kind::route_not_found, "Usage statistics are not kept.", std::nullopt, std::nullopt});
    const auto now = static_cast<std::int64_t>(std::time(nullptr));
    std::int64_t from = now - 24 * 3600, to = now + 1;
    if (auto v = req.query_param("from")) {
        const auto t = parse_time(*v);
        if (!t)
            co_return bad_usage_query("from: expected Unix seconds or an ISO 8601 UTC date or time, got '" + *v + "'.", "from");
        from = *t;
    }
    if (auto v = req.query_param("to")) {
        const auto t = parse_time(*v);
        if (!t) co_return bad_usage_query("to: expected Unix seconds or an ISO 8601 UTC date or time, got '" + *v + "'.", "to");
        to = *t;
    }
    if (to <= from) co_return bad_usage_query("to must be later than from.", "to");
    bool by_hour = false, by_key = false, by_model = false;
    const std::string group_by = req.query_param("group_by").value_or("hour");
    for (const auto& part : config::split_list(group_by)) {
        if (part == "hour")
            by_hour = true;
        else if (part == "key")
            by_key = true;
        else if (part == "model")
            by_model = true;
        else
            co_return bad_usage_query("group_by: expected hour, key or model (comma-separated), got '" + part + "'.", "group_by");
    }
    // Whole hours: the hour `from` falls in, up to the one `to` falls in.
    const std::int64_t first_hour = from - ((from % 3600) + 3600) % 3600;
    auto* usage = ctx.usage;
    const auto rows = co_await ctx.store.run([&](store::conversation_store& s) {
        usage->flush(); // what the last seconds added
        return s.usage(first_hour, to);
    });
    std::map<std::tuple<std::int64_t, std::string, std::string>, store::usage_row> groups;
    store::usage_row total;
    for (const auto& r : rows) {
        store::usage_row key_of = r;
        if (!by_hour) key_of.hour = 0;
        if (!by_key) key_of.key.clear();
        if (!by_model) key_of.model.clear();
        store::add_counts(groups[{key_of.hour, key_of.key, key_of.model}], key_of);
        store::add_counts(total, r);
    }
    json data = json::array();
    for (const auto& [k, g] : groups)
        data.push_back(usage_json(g, by_hour, by_key, by_model));
    json reply = {{"object", "usage"},         {"from", iso_hour(first_hour)}, {"to", iso_hour(to)},
                  {"group_by", json::array()}, {"data", std::move(data)},      {"total", usage_json(total, false, false, false)}};
    if (by_hour) reply["group_by"].push_back("hour");
    if (by_key) reply["group_by"].push_back("key");
    if (by_model) reply["group_by"].push_back("model");
    co_return api::json_response(dump(reply));
}

http::http_response errors_list(const admin_context& ctx) {
    json data = json::array();
    if (ctx.errors)
        for (const auto& e : ctx.errors->list())
            data.push_back({{"at", e.at},
                            {"request_id", e.request_id},
                            {"route", e.route},
                            {"model", e.model.empty() ? json() : json(e.model)},
                            {"provider", e.provider.empty() ? json() : json(e.provider)},
                            {"status", e.status},
                            {"reason", e.reason.empty() ? json() : json(e.reason)}});
    return api::json_response(dump(json{{"object", "list"}, {"data", std::move(data)}}));
}

const std::time_t process_started = std::time(nullptr); // at static initialisation: the process's start

http::http_response status_report(const admin_context& ctx) {
    const auto started = process_started;
    const json reply = {{"version", SWITCHYARD_VERSION},
                        {"started_at", static_cast<std::int64_t>(started)},
                        {"open_streams", ctx.gauges ? json(ctx.gauges->open_streams()) : json()},
                        {"models", ctx.models.models().size()},
                        {"credentials", ctx.models.credential_count()}};
    return api::json_response(dump(reply));
}

} // namespace

net::awaitable<http::http_response> handle_admin(const http::http_request& req, std::string_view path, const admin_context& ctx) {
    if (path == "/admin/errors" || path == "/admin/status") {
        if (req.method != "GET" && req.method != "HEAD") co_return api::method_not_allowed(req, "GET");
        co_return path == "/admin/errors" ? errors_list(ctx) : status_report(ctx);
    }
    if (path == "/admin/usage") {
        if (req.method != "GET" && req.method != "HEAD") co_return api::method_not_allowed(req, "GET");
        co_return co_await usage_statistics(req, ctx);
    }
    if (path == "/admin/credentials") {
        if (req.method != "GET" && req.method != "HEAD") co_return api::method_not_allowed(req, "GET");
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
    if (req.method != "POST") co_return api::method_not_allowed(req, "POST");
    if (action == "probe") co_return co_await probe_credential(req, id, ctx);
    co_return reset_credential(req, id, ctx);
}

} // namespace switchyard::ops
