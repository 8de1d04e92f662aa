#include "switchyard/ops/recent_errors.hpp"

#include <ctime>

namespace switchyard::ops {

void recent_errors::exchange_ended(std::string_view request_id, const http::exchange_facts& f, int status) {
    if (status < 400 && f.upstream_failure.empty()) return;
    failed_exchange e{static_cast<std::int64_t>(std::time(nullptr)),
                      std::string(request_id),
                      std::string(f.route),
                      f.model,
                      std::string(f.provider),
                      status,
                      std::string(f.upstream_failure)};
    std::lock_guard lock(mutex_);
    ring_[next_] = std::move(e);
    next_ = (next_ + 1) % kept;
    count_ = std::min(count_ + 1, kept);
}

std::vector<failed_exchange> recent_errors::list() const {
    std::lock_guard lock(mutex_);
    std::vector<failed_exchange> out;
    out.reserve(count_);
    for (std::size_t i = 1; i <= count_; ++i)
        out.push_back(ring_[(next_ + kept - i) % kept]);
    return out;
}

} // namespace switchyard::ops
