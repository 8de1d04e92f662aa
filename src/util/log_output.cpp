#include "switchyard/util/log_output.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/pattern_formatter.h>
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

constexpr std::string_view access_logger_name = "access";
bool json_mode = false;
std::shared_ptr<spdlog::logger> access_logger;

/// `%*` in a JSON line: an access record's own fields, or "message" with the text escaped.
class json_payload final : public spdlog::custom_flag_formatter {
public:
    void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
        if (msg.logger_name == access_logger_name) {
            dest.append(msg.payload.begin(), msg.payload.end());
            return;
        }
        const std::string text = nlohmann::json(std::string(msg.payload.begin(), msg.payload.end()))
                                     .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        constexpr std::string_view key = "\"message\":";
        dest.append(key.data(), key.data() + key.size());
        dest.append(text.data(), text.data() + text.size());
    }
    std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<json_payload>(); }
};

} // namespace

void to_stdout(const std::string& level, const std::string& pattern, bool json) {
    if (!isatty(STDOUT_FILENO)) {
        auto logger = std::make_shared<spdlog::logger>("", std::make_shared<batched_stdout_sink>());
        logger->flush_on(spdlog::level::warn);
        spdlog::set_default_logger(std::move(logger));
        spdlog::flush_every(std::chrono::seconds(1));
    }
    spdlog::set_level(spdlog::level::from_str(level));
    json_mode = json;
    if (!json) {
        spdlog::set_pattern(pattern);
        return;
    }
    auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
    formatter->add_flag<json_payload>('*').set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l",%*})");
    spdlog::set_formatter(std::move(formatter));
    const auto& sinks = spdlog::default_logger()->sinks();
    access_logger = std::make_shared<spdlog::logger>(std::string(access_logger_name), sinks.begin(), sinks.end());
    access_logger->set_level(spdlog::default_logger()->level());
}

bool json_lines() { return json_mode; }

void access(std::string_view fields) {
    if (access_logger) access_logger->info("{}", fields);
}

void flush() { spdlog::default_logger()->flush(); }

} // namespace switchyard::log_output
