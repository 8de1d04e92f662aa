#pragma once
// Maps requests to handlers: CORS preflight, health, auth, then the OpenAI routes.
// Shared by all workers; read-only after construction.
#include <boost/asio/awaitable.hpp>

#include <atomic>
#include <memory>
#include <optional>

#include "switchyard/api/conversations.hpp"
#include "switchyard/config/settings.hpp"
#include "switchyard/http/auth.hpp"
#include "switchyard/http/cors.hpp"
#include "switchyard/http/message.hpp"
#include "switchyard/ops/live_config.hpp"
#include "switchyard/providers/registry.hpp"
#include "switchyard/store/store_worker.hpp"

namespace switchyard::upstream {
class http_client;
}
namespace switchyard::ops {
class metrics;
class usage_recorder;
class recent_errors;
} // namespace switchyard::ops

namespace switchyard::http {

class router {
public:
    /// `settings` are the start-up ones (CORS, streams, ADMIN_KEY); `live` the keys, credentials
    /// and models a reload replaces. `metrics` may be null (metrics off); `shared` is what
    /// instances share (turn locks), null for a single instance.
    router(const config::settings& settings, std::shared_ptr<const ops::live_config> live,
           store::conversation_store& conversations, ops::metrics* metrics = nullptr, ops::usage_recorder* usage = nullptr,
           ops::recent_errors* errors = nullptr, store::shared_state* shared = nullptr);

    /// Serves requests that begin from now on with `next`; exchanges under way keep theirs. Thread-safe.
    void replace(std::shared_ptr<const ops::live_config> next);
    /// The configuration requests start with now.
    std::shared_ptr<const ops::live_config> live() const { return live_.load(); }

    /// Answers one request. Throws only when the client is gone.
    net::awaitable<void> route(const http_request& req, response_stream& out, upstream::http_client& http) const;

    /// Which origins may call, for the server's CORS headers.
    const cors_policy& cors() const noexcept { return cors_; }
    /// Where exchanges are counted; null when metrics are off.
    ops::metrics* metrics() const noexcept { return metrics_; }
    /// Where usage statistics are counted; null when they are not kept.
    ops::usage_recorder* usage() const noexcept { return usage_; }
    /// Where failed exchanges are kept for the dashboard; null when they are not.
    ops::recent_errors* errors() const noexcept { return errors_; }

private:
    /// What needs no upstream and no store is answered synchronously; nullopt means a chat
    /// completion or a conversations route.
    /// `who` is set to the caller once authenticated.
    std::optional<http_response> answer_directly(const http_request& req, const ops::live_config& live, exchange_facts& facts,
                                                 authenticator::caller& who) const;
    /// Operator routes (/metrics, /admin/*) take ADMIN_KEY when set, else callers on this
    /// machine only: the refusal, or nullopt for the operator.
    std::optional<http_response> refuse_non_operator(const http_request& req) const;
    http_response serve_metrics(const http_request& req, const providers::registry& models) const;
    /// GET /v1/models/{id} of a model a provider finds upstream (which may ask the upstream).
    net::awaitable<void> serve_found_model(const http_request& req, const ops::live_config& live, response_stream& out,
                                           upstream::http_client& http) const;
    net::awaitable<void> serve_admin(const http_request& req, const ops::live_config& live, response_stream& out,
                                     upstream::http_client& http) const;
    net::awaitable<void> serve_stored(const http_request& req, const ops::live_config& live, response_stream& out) const;

    const config::settings& settings_;
    std::atomic<std::shared_ptr<const ops::live_config>> live_;
    mutable store::store_worker conversations_; // the store, on its own thread
    mutable api::conversation_locks locks_;
    cors_policy cors_;
    ops::metrics* metrics_;
    ops::usage_recorder* usage_;
    ops::recent_errors* errors_;
    secrets::sha256_digest admin_key_digest_{};
};

/// The API path with `/v1` and any trailing slash removed ("/v1/models/" → "/models");
/// bare paths are accepted too, because some clients drop the `/v1`.
std::string_view api_path(std::string_view path) noexcept;

} // namespace switchyard::http
