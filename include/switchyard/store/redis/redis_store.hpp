#pragma once
// The conversation store on Redis (SWITCHYARD_STORE=redis): what several gateway instances share.
#include <memory>
#include <string>

#include "switchyard/store/conversation_store.hpp"

namespace switchyard::store {

/// Connects to `url` (redis://…, store/redis/client.hpp) and checks it answers; every key starts
/// with `prefix`. Throws std::invalid_argument for a bad URL, std::runtime_error or
/// redis::failure when Redis cannot be used.
std::unique_ptr<conversation_store> open_redis_store(const std::string& url, const std::string& prefix = "switchyard:");

} // namespace switchyard::store
