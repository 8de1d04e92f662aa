#pragma once
// Anthropic's Messages API on the shared answer path: a `message` object, or the stream of
// message_start, content blocks (text, thinking, tool_use) and message_delta / message_stop.
// Errors are {"type":"error","error":{"type":…,"message":…}}.
#include <string>
#include <string_view>
#include <vector>

#include "switchyard/api/answer_encoder.hpp"

namespace switchyard::api::anthropic {

/// `stop_reason` as Anthropic names it.
std::string_view stop_reason_name(finish_kind finish) noexcept;

/// Anthropic's error type for an error, chosen by its HTTP status.
std::string_view error_type(const api_error& e) noexcept;

/// {"type":"error","error":{"type":…,"message":…}}
std::string anthropic_error_body(const api_error& e);

/// The error as an HTTP response, with the same status and retry headers as elsewhere.
http::http_response anthropic_error_response(const api_error& e);

class messages_encoder final : public answer_encoder {
public:
    explicit messages_encoder(std::string model);

    std::string opening(long prompt_tokens) override;
    std::string text(std::string_view text) override;
    std::string reasoning(std::string_view text) override;
    std::string tool_call_begin(std::size_t index, std::string_view id, std::string_view name) override;
    std::string tool_call_arguments(std::size_t index, std::string_view fragment) override;
    std::string_view keepalive() const override { return ping_event; }
    std::string closing(const answer_end& end) override;
    std::string failure(const api_error& e) override;
    http::http_response error_response(const api_error& e) const override { return anthropic_error_response(e); }
    http::http_response whole(const whole_answer& answer) override;

    static constexpr std::string_view ping_event = "event: ping\ndata: {\"type\":\"ping\"}\n\n";

private:
    enum class block { none, text, thinking };
    /// Closes the open block unless it is of `kind`, then opens one of `kind`; returns the events.
    std::string enter(block kind, std::string_view start_json = {});
    std::string close_block();

    std::string id_;
    std::string model_;

    block open_ = block::none;
    std::size_t open_index_ = 0;
    std::size_t next_index_ = 0;
    // Calls are written whole at the end: an upstream may interleave their argument fragments,
    // and a client may finalize a tool_use block when it stops. Bounded by the answer itself.
    std::vector<tool_call> calls_;
};

} // namespace switchyard::api::anthropic
