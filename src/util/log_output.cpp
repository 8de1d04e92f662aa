#include "switchyard/util/log_output.hpp"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <unistd.h>

namespace switchyard::log_output {
namespace {

constexpr std::size_t batch_bytes = 32 * 1024;

class batched_stdout_sink final : public spdlog::sinks::base_sink<std::mutex> {
public:
    batched_stdout_sink() { pending_.reserve(batch_bytes * 2); }

protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        spdlog::memory_buf_t line;
        formatter_->format(msg, line);
        pending_.append(line.data(), line.size());
        if (pending_.size() >= batch_bytes) flush_();
    }

    void flush_() override {
        std::size_t done = 0;
        while (done < pending_.size()) {
            const auto n = ::write(STDOUT_FILENO, pending_.data() + done, pending_.size() - done);
            if (n > 0)
                done += static_cast<std::size_t>(n);
            else if (n < 0 && errno == EINTR)
                continue;
            else
                break; // nowhere to report it: the rest of the batch is dropped
        }
        pending_.clear();
    }

private:
    std::string pending_;
};

} // namespace

void to_stdout(const std::string& level, const std::string& pattern) {
    if (!isatty(STDOUT_FILENO)) {
        auto logger = std::make_shared<spdlog::logger>("", std::make_shared<batched_stdout_sink>());
        logger->flush_on(spdlog::level::warn);
        spdlog::set_default_logger(std::move(logger));
        spdlog::flush_every(std::chrono::seconds(1));
    }
    spdlog::set_level(spdlog::level::from_str(level));
    spdlog::set_pattern(pattern);
}

void flush() { spdlog::default_logger()->flush(); }

} // namespace switchyard::log_output
