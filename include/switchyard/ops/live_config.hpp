#pragma once
// What a reload (SIGHUP) replaces: the client keys and their limits, the upstream credentials and
// the model map, all built from one reading of the configuration. A `live_config` is never
// changed once built; each exchange holds the one it started with, so a reload cuts no stream and
// the old one goes when its last exchange ends. Everything else (the listen address, server
// limits, the store, CORS, ADMIN_KEY) takes a restart.
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "switchyard/config/settings.hpp"
#include "switchyard/http/auth.hpp"
#include "switchyard/ops/key_limits.hpp"
#include "switchyard/providers/registry.hpp"

namespace switchyard::ops {

struct live_config {
    config::settings settings;
    std::unique_ptr<providers::registry> models;
    std::unique_ptr<http::authenticator> auth;
    std::unique_ptr<key_limits> limits; // points into settings.keys

    /// Builds every part from `s`; throws config::config_error when the model map is wrong.
    /// With `shared`, credentials, limits and provider state are shared with the other instances.
    static std::shared_ptr<const live_config> build(config::settings s, store::shared_state* shared = nullptr);
};

/// Runs reloads on a thread of its own, so reading files and asking upstreams for their models
/// never blocks an I/O thread. Requests that arrive while one runs are folded into one more.
class reloader {
public:
    explicit reloader(std::function<void()> reload);
    ~reloader();
    reloader(const reloader&) = delete;
    reloader& operator=(const reloader&) = delete;

    /// Asks for a reload; returns at once. Thread-safe.
    void request();

private:
    void run(std::stop_token stop);

    std::function<void()> reload_;
    std::mutex mutex_;
    std::condition_variable_any wake_;
    bool pending_ = false;
    std::jthread thread_; // last: starts once the rest is built
};

} // namespace switchyard::ops
