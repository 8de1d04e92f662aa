#include "switchyard/providers/attempts.hpp"

#include <spdlog/spdlog.h>

#include "switchyard/providers/credential_pool.hpp"
#include "switchyard/util/secrets.hpp"

namespace switchyard::providers {

net::awaitable<std::optional<provider_error>> run_attempts(provider& p, const api::chat_request& req, const model_route& route,
                                                           event_sink& sink, call_context ctx) {
    credential_pool* pool = p.credentials();
    if (!pool || pool->size() == 0) co_return co_await p.complete(req, route, sink, ctx);
    std::optional<provider_error> err;
    for (std::size_t tried = 0; tried < pool->size(); ++tried) {
        const auto credential =
            tried == 0 && ctx.conversation
                ? pool->next_preferring([&](std::string_view c) { return p.continues_with(*ctx.conversation, c); })
                : pool->next();
        if (!credential) break;
        ctx.credential = *credential;
        err = co_await p.complete(req, route, sink, ctx);
        if (!err) co_return std::nullopt;
        if (err->reason != failure_reason::credential_rejected || sink.output_seen()) co_return err;
        spdlog::warn("[{}] {} credential {} rejected; resting it", ctx.request_id, p.name(), secrets::mask(*credential));
        pool->cool_down(*credential);
    }
    co_return err;
}

} // namespace switchyard::providers
