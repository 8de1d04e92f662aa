#include "switchyard/ops/usage.hpp"

#include <spdlog/spdlog.h>

namespace switchyard::ops {

usage_recorder::usage_recorder(store::conversation_store& store, std::chrono::milliseconds flush_every)
    : store_(store), flush_every_(flush_every), thread_([this](std::stop_token stop) {
          std::mutex sleep_mutex;
          std::unique_lock lock(sleep_mutex);
          while (!stop.stop_requested()) {
              wake_.wait_for(lock, stop, flush_every_, [] { return false; });
              if (!stop.stop_requested()) flush();
          }
      }) {}

usage_recorder::~usage_recorder() {
    thread_.request_stop();
    thread_.join();
    flush();
}

void usage_recorder::exchange_ended(const http::exchange_facts& f, int status, wall_clock::time_point at) {
    if (f.model.empty()) return;
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(at.time_since_epoch()).count();
    const std::int64_t hour = seconds - seconds % 3600;
    const bool error = status >= 400 || !f.upstream_failure.empty();
    const std::int64_t prompt = std::max(0L, f.prompt_tokens), completion = std::max(0L, f.completion_tokens);
    std::lock_guard lock(mutex_);
    auto [it, added] = pending_.try_emplace(row_key{hour, std::string(f.key_name), f.model});
    auto& row = it->second;
    if (added) {
        row.hour = hour;
        row.key = f.key_name;
        row.model = f.model;
    }
    ++row.requests;
    row.errors += error ? 1 : 0;
    row.prompt_tokens += prompt;
    row.completion_tokens += completion;
    row.estimated_tokens += f.tokens_estimated ? prompt + completion : 0;
    row.streamed_bytes += f.streamed ? static_cast<std::int64_t>(f.body_bytes) : 0;
}

void usage_recorder::flush() {
    std::lock_guard one_at_a_time(flush_mutex_);
    std::vector<store::usage_row> rows;
    {
        std::lock_guard lock(mutex_);
        rows.reserve(pending_.size());
        for (auto& [key, row] : pending_)
            rows.push_back(std::move(row));
        pending_.clear();
    }
    if (rows.empty()) return;
    try {
        store_.add_usage(rows);
    } catch (const std::exception& e) {
        // Kept for the next flush rather than lost; a store that keeps failing is logged each time.
        spdlog::error("usage statistics could not be stored: {}", e.what());
        std::lock_guard lock(mutex_);
        for (auto& r : rows)
            store::add_counts(pending_[row_key{r.hour, r.key, r.model}], r);
    }
}

} // namespace switchyard::ops
