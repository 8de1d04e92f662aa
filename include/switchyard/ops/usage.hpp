#pragma once
// Usage statistics per hour, client key and model: requests, errors, tokens (with the part the
// gateway estimated) and streamed bytes. An exchange adds to a table in memory; a thread of the
// recorder's own adds that table to the store every few seconds and at exit, so a request costs
// a map update under a lock, never a write.
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <tuple>

#include "switchyard/http/message.hpp"
#include "switchyard/store/conversation_store.hpp"

namespace switchyard::ops {

class usage_recorder {
public:
    using wall_clock = std::chrono::system_clock;

    explicit usage_recorder(store::conversation_store& store, std::chrono::milliseconds flush_every = std::chrono::seconds(10));
    /// Writes what is pending.
    ~usage_recorder();
    usage_recorder(const usage_recorder&) = delete;
    usage_recorder& operator=(const usage_recorder&) = delete;

    /// Counts an exchange that ended with `status` (0: the client left first). Only requests
    /// for a model count; others are not usage.
    void exchange_ended(const http::exchange_facts& f, int status, wall_clock::time_point at = wall_clock::now());
    /// Adds what is pending to the store now (before reading it back). Thread-safe.
    void flush();

private:
    using row_key = std::tuple<std::int64_t, std::string, std::string>; // hour, key, model

    store::conversation_store& store_;
    std::mutex mutex_;
    std::map<row_key, store::usage_row> pending_;
    std::mutex flush_mutex_; // one flush at a time, so rows reach the store in order
    std::condition_variable_any wake_;
    std::chrono::milliseconds flush_every_;
    std::jthread thread_; // last: starts once the rest is built
};

} // namespace switchyard::ops
