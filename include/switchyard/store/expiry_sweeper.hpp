#pragma once
// Deletes conversations idle for longer than the TTL: once at start-up, then hourly, on a
// thread of its own so the I/O threads never wait for it. Stops when destroyed.
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "switchyard/store/conversation_store.hpp"

namespace switchyard::store {

class expiry_sweeper {
public:
    expiry_sweeper(conversation_store& store, std::chrono::seconds idle_ttl, std::chrono::seconds period = std::chrono::hours(1));
    ~expiry_sweeper();
    expiry_sweeper(const expiry_sweeper&) = delete;
    expiry_sweeper& operator=(const expiry_sweeper&) = delete;

private:
    void sweep();

    conversation_store& store_;
    std::chrono::seconds idle_ttl_;
    std::chrono::seconds period_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread thread_;
};

} // namespace switchyard::store
