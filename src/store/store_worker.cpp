#include "switchyard/store/store_worker.hpp"

#include <stdexcept>

namespace switchyard::store {

store_worker::store_worker(conversation_store& store, call_observer observe)
    : store_(store), observe_(std::move(observe)), thread_([this] { loop(); }) {}

store_worker::~store_worker() { stop(); }

void store_worker::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

std::size_t store_worker::pending() const {
    std::lock_guard lock(mutex_);
    return queue_.size() + running_;
}

void store_worker::submit(std::shared_ptr<store_detail::task> job) {
    {
        std::lock_guard lock(mutex_);
        if (!stopping_) {
            if (observe_) job->queued = std::chrono::steady_clock::now();
            queue_.push_back(std::move(job));
            wake_.notify_one();
            return;
        }
    }
    job->error = std::make_exception_ptr(std::runtime_error("the conversation store is shutting down"));
    job->done->post(job->error); // posted: the caller never resumes inside its own co_await
}

void store_worker::loop() {
    std::unique_lock lock(mutex_);
    for (;;) {
        wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return; // stopping, and drained
        auto job = std::move(queue_.front());
        queue_.pop_front();
        ++running_;
        lock.unlock();
        job->execute(store_);
        if (observe_) observe_(std::chrono::duration<double>(std::chrono::steady_clock::now() - job->queued).count());
        job->done->post(job->error);
        job.reset(); // the call's captures are released here, off the lock
        lock.lock();
        --running_;
    }
}

} // namespace switchyard::store
