#include "switchyard/http/router.hpp"

#include <boost/url/decode_view.hpp>
#include <boost/url/parse.hpp>

#include <spdlog/spdlog.h>

#include "switchyard/api/anthropic/messages_format.hpp"
#include "switchyard/api/anthropic/messages_handler.hpp"
#include "switchyard/api/handlers.hpp"
#include "switchyard/api/responses/responses_handler.hpp"
#include "switchyard/ops/admin.hpp"
#include "switchyard/ops/metrics.hpp"
#include "switchyard/providers/credential_pool.hpp"
#include "switchyard/web/dashboard.hpp"

namespace switchyard::http {
namespace {

using api::api_error;
using api::error_kind;

http_response preflight(const http_request& req) {
    http_response r;
    r.status = 204;
    r.content_type.clear();
    std::string_view requested = req.header("access-control-request-headers");
    // A literal "*" does not cover Authorization, so echo what the browser asked for.
    r.headers.emplace_back("access-control-allow-headers",
                           requested.empty() ? "authorization, content-type, x-api-key, x-stainless-arch, x-stainless-lang, "
                                               "x-stainless-os, x-stainless-package-version, x-stainless-retry-count, "
                                               "x-stainless-runtime, x-stainless-runtime-version, x-stainless-timeout"
                                             : std::string(requested));
    r.headers.emplace_back("access-control-allow-methods", "GET, POST, DELETE, OPTIONS");
    r.headers.emplace_back("access-control-max-age", "86400");
    return r;
}

/// Anthropic's routes answer errors in Anthropic's shape; every other route in OpenAI's.
bool anthropic_route(std::string_view path) { return path == "/messages" || path.starts_with("/messages/"); }

http_response error_reply(const http_request& req, const api_error& e) {
    return anthropic_route(api_path(req.path())) ? api::anthropic::anthropic_error_response(e) : api::error_response(e);
}

http_response method_not_allowed(const http_request& req, const char* allow) {
    auto r = error_reply(req, {error_kind::method_not_allowed,
                               "Method " + req.method + " is not allowed on " + std::string(req.path()) + ".", std::nullopt,
                               std::nullopt});
    r.headers.emplace_back("allow", allow);
    return r;
}

/// A bug, or a store that failed: the client still gets an answer in its API's shape.
http_response internal_failure(const http_request& req, const std::exception& e) {
    if (dynamic_cast<const store::store_unavailable*>(&e)) {
        spdlog::warn("[{}] {} {}: the store is unavailable: {}", req.request_id, req.method, req.path(), e.what());
        return error_reply(req, {error_kind::store_unavailable, "The conversation store is unavailable; try again shortly.",
                                 std::nullopt, std::nullopt});
    }
    spdlog::error("[{}] {} {} failed: {}", req.request_id, req.method, req.path(), e.what());
    return error_reply(req,
                       {error_kind::internal_error, "The server could not answer this request.", std::nullopt, std::nullopt});
}

std::string decode_segment(std::string_view s) {
    auto pct = boost::urls::make_pct_string_view(s);
    if (!pct) return std::string(s);
    std::string out;
    for (char c : *pct)
        out.push_back(c); // decode_view iterates decoded characters
    return out;
}

} // namespace

std::string_view api_path(std::string_view path) noexcept {
    if (path.starts_with("/v1/") || path == "/v1") path.remove_prefix(3);
    while (path.size() > 1 && path.back() == '/')
        path.remove_suffix(1);
    return path;
}

router::router(const config::settings& settings, std::shared_ptr<const ops::live_config> live,
               store::conversation_store& conversations, ops::metrics* metrics, ops::usage_recorder* usage,
               ops::recent_errors* errors, store::shared_state* shared)
    : settings_(settings), live_(std::move(live)),
      conversations_(conversations, metrics ? store::store_worker::call_observer([metrics](double s) { metrics->store_call(s); })
                                            : store::store_worker::call_observer()),
      locks_(shared),
      cors_(!settings.api_keys.empty() || !settings.keys.empty(), settings.cors_origins, names_loopback(settings.listen.host)),
      metrics_(metrics), usage_(usage), errors_(errors), admin_key_digest_(secrets::sha256(settings.admin_key)) {}

void router::replace(std::shared_ptr<const ops::live_config> next) { live_.store(std::move(next)); }

std::optional<http_response> router::refuse_non_operator(const http_request& req) const {
    // Without a key, only the machine itself: a loopback peer, and neither a web page from
    // elsewhere (an Origin other than the gateway's own dashboard, or a Host that is not a
    // loopback name: DNS rebinding) nor a proxy on this machine relaying someone else.
    const auto from_this_machine = [&] {
        const auto origin = req.header("origin");
        return req.from_loopback && (origin.empty() || same_origin(origin, req.header("host"))) &&
               names_loopback(req.header("host")) && req.header("forwarded").empty() && req.header("x-forwarded-for").empty() &&
               req.header("x-real-ip").empty();
    };
    const bool allowed = settings_.admin_key.empty()
                             ? from_this_machine()
                             : secrets::equal_constant_time(
                                   secrets::sha256(authenticator::bearer_key(req.header("authorization"))), admin_key_digest_);
    if (allowed) return std::nullopt;
    return error_reply(req, {error_kind::invalid_api_key,
                             settings_.admin_key.empty()
                                 ? "Without ADMIN_KEY, operator routes answer only this machine, not a proxy or a web "
                                   "page; set ADMIN_KEY to reach them from elsewhere."
                                 : "Send the operator key (ADMIN_KEY) as 'Authorization: Bearer <key>'.",
                             std::nullopt, std::nullopt});
}

http_response router::serve_metrics(const http_request& req, const providers::registry& models) const {
    if (!metrics_)
        return error_reply(
            req, {error_kind::route_not_found, "Invalid URL (" + req.method + " /metrics)", std::nullopt, std::nullopt});
    if (req.method != "GET" && req.method != "HEAD") return method_not_allowed(req, "GET");
    if (auto refused = refuse_non_operator(req)) return std::move(*refused);
    // Credential states are read now rather than counted as they change: a cooling credential
    // returns by the clock, not by an event.
    for (auto* p : models.providers())
        if (auto* pool = p->credentials()) {
            const auto counts = pool->count_by_state();
            for (std::size_t s = 0; s < counts.size(); ++s)
                metrics_->credentials_in_state(p->name(), providers::state_name(static_cast<providers::credential_state>(s)),
                                               counts[s]);
        }
    http_response r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = metrics_->render();
    return r;
}

namespace {

/// The route's pattern, a label from a fixed set.
std::string_view route_pattern(std::string_view path) noexcept {
    static constexpr std::string_view patterns[] = {"/chat/completions",      "/responses", "/messages",
                                                    "/messages/count_tokens", "/models",    "/conversations"};
    static constexpr std::string_view labels[] = {"/v1/chat/completions",      "/v1/responses", "/v1/messages",
                                                  "/v1/messages/count_tokens", "/v1/models",    "/v1/conversations"};
    for (std::size_t i = 0; i < std::size(patterns); ++i)
        if (path == patterns[i]) return labels[i];
    if (path.starts_with("/models/")) return "/v1/models/{id}";
    if (path.starts_with("/conversations/")) return "/v1/conversations/{id}";
    if (path.starts_with("/responses/")) return "/v1/responses/{id}";
    if (path == "/healthz") return "/healthz";
    if (path == "/metrics") return "/metrics";
    if (path.starts_with("/admin")) return "/admin";
    if (path == "/" || path == "/index.html" || path.starts_with("/ui/")) return "/ui";
    return "other";
}

} // namespace

std::optional<http_response> router::answer_directly(const http_request& req, const ops::live_config& live, exchange_facts& facts,
                                                     authenticator::caller& who) const {
    if (auto refused = cors_.refusal(req.header("origin"), req.header("host")))
        return error_reply(req, {error_kind::origin_not_allowed, std::move(*refused), std::nullopt, std::nullopt});
    if (req.method == "OPTIONS") return preflight(req);

    const std::string_view path = api_path(req.path());
    if (req.path() == "/" || req.path() == "/index.html" || req.path().starts_with("/ui/")) {
        if (req.method != "GET" && req.method != "HEAD") return method_not_allowed(req, "GET");
        if (auto page = web::dashboard_file(req.path())) return page;
        return error_reply(req, {error_kind::route_not_found, "Invalid URL (" + req.method + " " + std::string(req.path()) + ")",
                                 std::nullopt, std::nullopt});
    }
    if (req.path() == "/metrics") return serve_metrics(req, *live.models);
    if (req.path() == "/admin" || req.path().starts_with("/admin/")) {
        if (auto refused = refuse_non_operator(req)) return refused;
        return std::nullopt; // answered by ops::handle_admin
    }
    if (path == "/healthz" || req.path() == "/healthz") {
        if (req.method != "GET" && req.method != "HEAD") return method_not_allowed(req, "GET");
        return api::json_response(R"({"status":"ok"})");
    }

    const bool conversations = path == "/conversations" || path.starts_with("/conversations/");
    const bool stored_response = path.starts_with("/responses/");
    const bool messages = path == "/messages" || path == "/messages/count_tokens";
    const bool known = path == "/chat/completions" || path == "/responses" || path == "/models" || path.starts_with("/models/") ||
                       conversations || stored_response || messages;
    if (!known)
        return error_reply(req, {error_kind::route_not_found, "Invalid URL (" + req.method + " " + std::string(req.path()) + ")",
                                 std::nullopt, std::nullopt});

    const auto caller = live.auth->identify(req.header("authorization"), req.header("x-api-key"));
    if (caller) {
        facts.key_name = caller->name;
        who = *caller;
    } else {
        const bool missing = req.header("authorization").empty() && req.header("x-api-key").empty();
        return error_reply(
            req, {error_kind::invalid_api_key,
                  missing ? "You didn't provide an API key. Send it as 'Authorization: Bearer <key>' or 'x-api-key: <key>'."
                          : "Incorrect API key provided.",
                  std::nullopt, std::nullopt});
    }

    if (conversations || stored_response) return std::nullopt; // answered on the store's thread
    if (path == "/chat/completions" || path == "/responses" || messages) {
        if (req.method != "POST") return method_not_allowed(req, "POST");
        if (path == "/messages/count_tokens") return api::anthropic::count_tokens(req);
        return std::nullopt; // the chat or messages handler answers, possibly as a stream
    }
    if (req.method != "GET") return method_not_allowed(req, "GET");
    if (path == "/models") return api::list_models(*live.models);
    return api::retrieve_model(*live.models, decode_segment(path.substr(std::string_view("/models/").size())));
    // nullopt: a model a provider finds upstream, looked up in route()
}

// A stream holds this frame for its whole life, so the branches that need more live in
// coroutines of their own.
net::awaitable<void> router::route(const http_request& req, response_stream& out, upstream::http_client& http) const {
    // The configuration this exchange started with stays with it, whatever a reload does meanwhile.
    const std::shared_ptr<const ops::live_config> live = live_.load();
    out.facts().names_owner = live;
    std::optional<http_response> direct;
    out.facts().route = route_pattern(api_path(req.path()));
    authenticator::caller who;
    try {
        direct = answer_directly(req, *live, out.facts(), who);
    } catch (const std::exception& e) {
        direct = internal_failure(req, e);
    }
    if (direct) co_return co_await out.send(*direct);
    if (req.path().starts_with("/admin")) co_return co_await serve_admin(req, *live, out, http);
    const std::string_view path = api_path(req.path());
    if (path.starts_with("/models/")) co_return co_await serve_found_model(req, *live, out, http);
    if (path != "/chat/completions" && path != "/messages" && path != "/responses")
        co_return co_await serve_stored(req, *live, out);
    const std::function<std::string()> owner = [&] {
        return live->auth->owner_of(req.header("authorization"), req.header("x-api-key"));
    };
    const api::handler_context ctx{*live->models, settings_.stream, settings_.conversations.continuation,
                                   http,          conversations_,   locks_,
                                   owner,         who.key,          live->limits.get()};
    if (path == "/messages") co_return co_await api::anthropic::handle_messages(req, out, ctx);
    if (path == "/responses") co_return co_await api::responses::handle_responses(req, out, ctx);
    co_await api::handle_chat_completions(req, out, ctx);
}

net::awaitable<void> router::serve_admin(const http_request& req, const ops::live_config& live, response_stream& out,
                                         upstream::http_client& http) const {
    http_response response;
    try {
        const ops::admin_context admin{*live.models, http, conversations_, usage_, errors_, metrics_};
        response = co_await ops::handle_admin(req, req.path(), admin);
    } catch (const std::exception& e) {
        response = internal_failure(req, e);
    }
    co_await out.send(response);
}

net::awaitable<void> router::serve_found_model(const http_request& req, const ops::live_config& live, response_stream& out,
                                               upstream::http_client& http) const {
    http_response response;
    try {
        const std::string id = decode_segment(api_path(req.path()).substr(std::string_view("/models/").size()));
        response = co_await api::retrieve_found_model(*live.models, id, http, req.request_id);
    } catch (const std::exception& e) {
        response = internal_failure(req, e);
    }
    co_await out.send(response);
}

// /v1/conversations and stored responses: the whole handler runs where the store lives, off this I/O thread.
net::awaitable<void> router::serve_stored(const http_request& req, const ops::live_config& live, response_stream& out) const {
    const std::string owner = live.auth->owner_of(req.header("authorization"), req.header("x-api-key"));
    const std::string_view path = api_path(req.path());
    http_response response;
    try {
        response = co_await conversations_.run([&](store::conversation_store& s) {
            return path.starts_with("/responses/") ? api::responses::handle_stored_response(req, path, owner, s)
                                                   : api::handle_conversations(req, path, owner, s, locks_);
        });
    } catch (const std::exception& e) {
        response = internal_failure(req, e);
    }
    co_await out.send(response);
}

} // namespace switchyard::http
