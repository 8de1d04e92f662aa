#include "switchyard/ops/live_config.hpp"

namespace switchyard::ops {

std::shared_ptr<const live_config> live_config::build(config::settings s, store::shared_state* shared) {
    auto live = std::make_shared<live_config>();
    live->settings = std::move(s);
    live->models = providers::build_registry(live->settings);
    live->auth = std::make_unique<http::authenticator>(live->settings.api_keys, live->settings.keys);
    live->limits = std::make_unique<key_limits>(live->settings.keys);
    if (shared) {
        for (auto* p : live->models->providers())
            p->share_through(*shared);
        live->limits->share_through(shared);
    }
    return live;
}

reloader::reloader(std::function<void()> reload)
    : reload_(std::move(reload)), thread_([this](std::stop_token stop) { run(std::move(stop)); }) {}

reloader::~reloader() {
    thread_.request_stop();
    wake_.notify_all();
}

void reloader::request() {
    {
        std::lock_guard lock(mutex_);
        pending_ = true;
    }
    wake_.notify_all();
}

void reloader::run(std::stop_token stop) {
    for (;;) {
        {
            std::unique_lock lock(mutex_);
            if (!wake_.wait(lock, stop, [this] { return pending_; })) return;
            pending_ = false;
        }
        reload_();
    }
}

} // namespace switchyard::ops
