#include "switchyard/store/expiry_sweeper.hpp"

#include <spdlog/spdlog.h>

#include <ctime>

namespace switchyard::store {

expiry_sweeper::expiry_sweeper(conversation_store& store, std::chrono::seconds idle_ttl, std::chrono::seconds period)
    : store_(store), idle_ttl_(idle_ttl), period_(period) {
    sweep();
    thread_ = std::thread([this] {
        std::unique_lock lock(mutex_);
        while (!wake_.wait_for(lock, period_, [this] { return stopping_; })) {
            lock.unlock();
            sweep();
            lock.lock();
        }
    });
}

expiry_sweeper::~expiry_sweeper() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
}

void expiry_sweeper::sweep() {
    try {
        const auto cutoff = static_cast<std::int64_t>(std::time(nullptr)) - idle_ttl_.count();
        if (const auto n = store_.expire(cutoff); n > 0) spdlog::info("expired {} idle conversation(s)", n);
    } catch (const std::exception& e) {
        spdlog::error("expiring conversations failed: {}", e.what());
    }
}

} // namespace switchyard::store
