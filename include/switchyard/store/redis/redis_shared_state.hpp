#pragma once
// The state several gateway instances share (store/shared_state.hpp), on Redis.
#include <chrono>
#include <memory>
#include <string>

#include "switchyard/store/shared_state.hpp"

namespace switchyard::store {

struct shared_state_settings {
    std::chrono::milliseconds lease{30'000};    // a lock or a key's slot outlives a dead instance by this much
    std::chrono::milliseconds news_period{500}; // how often the others' credential news is read
    std::string prefix = "switchyard:";         // of every key
};

/// Runs its own thread and Redis connections for `url` (redis://…). Throws std::invalid_argument
/// for a bad URL; a Redis that is down is not an error here (calls throw store_unavailable).
std::unique_ptr<shared_state> open_redis_shared_state(const std::string& url, shared_state_settings settings = {});

} // namespace switchyard::store
