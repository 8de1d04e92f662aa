#include "switchyard/providers/attempts.hpp"

#include <spdlog/spdlog.h>

#include "switchyard/providers/credential_pool.hpp"
#include "switchyard/util/secrets.hpp"

namespace switchyard::providers {
namespace {

/// Failures another credential may not have: the next one is worth a try.
bool credential_specific(failure_reason r) noexcept {
    return r == failure_reason::credential_rejected || r == failure_reason::rate_limited || r == failure_reason::quota_exhausted;
}

} // namespace

void provider::share_through(store::shared_state& shared) {
    if (auto* pool = credentials()) pool->share_through(&shared, name());
}

net::awaitable<std::optional<provider_error>> provider::probe(const model_route& route, call_context ctx) {
    (void)route;
    (void)ctx;
    co_return provider_error{failure_reason::not_configured, std::string(name()) + " has no probe.", std::nullopt, std::nullopt};
}

net::awaitable<std::variant<found_model, provider_error>> provider::find_model(std::string_view model_id, call_context ctx) {
    (void)ctx;
    co_return provider_error{failure_reason::model_unknown, "The model `" + std::string(model_id) + "` does not exist.",
                             std::nullopt, std::nullopt};
}

net::awaitable<std::optional<provider_error>> run_attempts(provider& p, const api::chat_request& req, const model_route& route,
                                                           event_sink& sink, call_context ctx) {
    credential_pool* pool = p.credentials();
    if (!pool || pool->size() == 0 || !p.needs_credential(route)) co_return co_await p.complete(req, route, sink, ctx);
    std::optional<provider_error> err;
    std::vector<std::size_t> tried;
    const std::function<bool(std::string_view)> continues = [&](std::string_view c) {
        return p.continues_with(*ctx.conversation, c);
    };
    static const std::function<bool(std::string_view)> no_preference;
    while (tried.size() < pool->size()) {
        auto acquired = pool->acquire(tried, tried.empty() && ctx.conversation ? continues : no_preference);
        if (auto* none = std::get_if<provider_error>(&acquired)) {
            // Nothing (more) to try. The pool's reason is the answer when it says when to come
            // back, or when nothing was tried at all; otherwise the last attempt's failure is.
            if (!err || none->retry_after_seconds) err = std::move(*none);
            break;
        }
        const auto& lease = std::get<credential_pool::lease>(acquired);
        tried.push_back(lease.index());
        ctx.credential = lease.value();
        if (ctx.masked_credential) *ctx.masked_credential = secrets::mask(lease.value());
        auto failed = co_await p.complete(req, route, sink, ctx);
        if (!failed) {
            pool->succeeded(lease.index());
            co_return std::nullopt;
        }
        pool->failed(lease.index(), *failed);
        if (!credential_specific(failed->reason) || sink.output_seen()) co_return failed;
        spdlog::warn("[{}] {} credential {}: {}; trying the next", ctx.request_id, p.name(), secrets::mask(lease.value()),
                     reason_name(failed->reason));
        // A limit that passes tells the client more than a refused credential does.
        if (!err || err->reason == failure_reason::credential_rejected) err = std::move(failed);
    }
    co_return err;
}

} // namespace switchyard::providers
