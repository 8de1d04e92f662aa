#include "switchyard/providers/attempts.hpp"

#include <spdlog/spdlog.h>

#include "switchyard/providers/credential_pool.hpp"
#include "switchyard/util/secrets.hpp"

namespace switchyard::providers {
namespace {

/// Passes events on and remembers whether text went by: after that, nothing may be retried.
class watching_sink final : public event_sink {
public:
    explicit watching_sink(event_sink& inner) : inner_(inner) {}
    net::awaitable<bool> emit(provider_event&& ev) override {
        text_ |= std::holds_alternative<text_delta>(ev);
        co_return co_await inner_.emit(std::move(ev));
    }
    bool saw_text() const noexcept { return text_; }

private:
    event_sink& inner_;
    bool text_ = false;
};

} // namespace

net::awaitable<std::optional<provider_error>> run_attempts(provider& p, const api::chat_request& req, const model_route& route,
                                                           event_sink& sink, call_context ctx) {
    watching_sink watched(sink);
    credential_pool* pool = p.credentials();
    if (!pool || pool->size() == 0) {
        auto err = co_await p.complete(req, route, watched, ctx);
        if (err) err->after_text |= watched.saw_text();
        co_return err;
    }
    std::optional<provider_error> err;
    for (std::size_t tried = 0; tried < pool->size(); ++tried) {
        const auto credential = pool->next();
        if (!credential) break;
        ctx.credential = *credential;
        err = co_await p.complete(req, route, watched, ctx);
        if (!err) co_return std::nullopt;
        err->after_text |= watched.saw_text();
        if (err->reason != failure_reason::credential_rejected || err->after_text) co_return err;
        spdlog::warn("[{}] {} credential {} rejected; resting it", ctx.request_id, p.name(), secrets::mask(*credential));
        pool->cool_down(*credential);
    }
    co_return err;
}

} // namespace switchyard::providers
