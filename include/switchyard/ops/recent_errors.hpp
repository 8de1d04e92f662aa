#pragma once
// The last failed exchanges, for the dashboard: an error status, or an answer ended by an
// upstream failure. A fixed ring under a lock; thread-safe.
#include <array>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "switchyard/http/message.hpp"

namespace switchyard::ops {

struct failed_exchange {
    std::int64_t at = 0; // unix seconds
    std::string request_id;
    std::string route;
    std::string model;
    std::string provider;
    int status = 0;
    std::string reason; // the upstream failure, when there was one
};

class recent_errors {
public:
    static constexpr std::size_t kept = 50;

    void exchange_ended(std::string_view request_id, const http::exchange_facts& f, int status);
    /// Newest first.
    std::vector<failed_exchange> list() const;

private:
    mutable std::mutex mutex_;
    std::array<failed_exchange, kept> ring_{};
    std::size_t next_ = 0;
    std::size_t count_ = 0;
};

} // namespace switchyard::ops
