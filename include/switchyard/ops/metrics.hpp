#pragma once
// The gateway's Prometheus metrics (GET /metrics), on prometheus-cpp's registry and text
// serializer, served by our own server. Every name is documented in the README ("Metrics").
// Recording is cheap and thread-safe: each thread finds a series by its label values in a map
// of its own, then counts or observes.
#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "switchyard/http/message.hpp"

namespace switchyard::ops {

class metrics {
public:
    metrics();
    ~metrics();
    metrics(const metrics&) = delete;
    metrics& operator=(const metrics&) = delete;

    /// An exchange has ended with `status` after `duration`.
    void exchange_ended(const http::exchange_facts& facts, int status, std::chrono::steady_clock::time_point started,
                        std::chrono::steady_clock::time_point ended);
    /// A streamed answer began or ended.
    void stream_opened();
    void stream_closed();
    /// A store call took `seconds` (queued and run).
    void store_call(double seconds);

    /// How many of `provider`'s upstream credentials are in `state` now.
    void credentials_in_state(std::string_view provider, std::string_view state, std::size_t count);

    /// Streamed answers in progress now.
    long open_streams() const;

    /// Everything, in the Prometheus text format (version 0.0.4).
    std::string render() const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

} // namespace switchyard::ops
