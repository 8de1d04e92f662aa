#pragma once
// OpenAI response formatting, in one place: `chat.completion` bodies and the
// `chat.completion.chunk` SSE frames. https://platform.openai.com/docs/api-reference/chat/streaming
#include <ctime>
#include <string>
#include <string_view>

#include "switchyard/api/answer_encoder.hpp"
#include "switchyard/api/chat_request.hpp"
#include "switchyard/api/error.hpp"

namespace switchyard::api {

/// Token estimate used when the upstream reports none: ceil(code points / 4), the common
/// rule of thumb for English text with OpenAI tokenizers. Marked in `x-switchyard-usage: estimated`.
long estimate_tokens(std::string_view text) noexcept;
long estimate_tokens(std::size_t code_points) noexcept;
/// Estimate for a whole prompt: every message's text and tool calls plus 4 tokens of framing, the
/// tools' names, descriptions and schemas, plus 3 for the reply.
long estimate_prompt_tokens(const chat_request& req);

/// Appends `text` as a JSON string literal; invalid UTF-8 becomes U+FFFD.
void append_json_string(std::string& out, std::string_view text);

/// Appends `calls` as an OpenAI `tool_calls` array (arguments as JSON strings).
void append_tool_calls(std::string& out, const std::vector<tool_call>& calls);

/// Formats the SSE events of one streamed completion. Every chunk shares id, created and model.
/// Each returned string is a complete event, ready to write in one go.
class sse_writer {
public:
    sse_writer(std::string id, std::time_t created, std::string model);

    std::string role_event() const;
    std::string content_event(std::string_view text) const;
    /// `delta.reasoning_content`, the field reasoning front-ends and SDK helpers read.
    std::string reasoning_event(std::string_view text) const;
    /// The first delta of a call: index, id, type and name, with empty arguments.
    std::string tool_call_begin_event(std::size_t index, std::string_view id, std::string_view name) const;
    /// A later delta of a call: index and an argument fragment, never the id again.
    std::string tool_call_arguments_event(std::size_t index, std::string_view fragment) const;
    std::string finish_event(std::string_view finish_reason) const;
    std::string usage_event(const usage_counts& usage) const;
    static std::string error_event(const api_error& e);

    static constexpr std::string_view done_event = "data: [DONE]\n\n";
    /// A comment line with a single newline, sent only between events (see openai-contract.md §1.2).
    static constexpr std::string_view keepalive_comment = ": keep-alive\n";

private:
    /// A chunk whose delta is one string member, `key`.
    std::string text_event(std::string_view key, std::string_view text) const;

    std::string envelope_; // `data: {"id":…,"object":…,"created":…,"model":…,`
};

/// What the assistant said in one non-streamed answer.
struct answer_message {
    std::string_view content;
    std::string_view reasoning;               // omitted when empty
    const std::vector<tool_call>* tool_calls; // omitted when null or empty; content is then null if empty
};

/// The non-streaming `chat.completion` body.
std::string completion_body(std::string_view id, std::time_t created, std::string_view model, const answer_message& message,
                            std::string_view finish_reason, const usage_counts& usage);

/// `finish_reason` as chat completions names it.
std::string_view finish_reason_name(finish_kind finish) noexcept;

/// Chat completions on the shared answer path: chunks ending with `data: [DONE]` (usage chunk
/// when the client asked), or one `chat.completion` body.
class chat_encoder final : public answer_encoder {
public:
    chat_encoder(std::string model, bool include_usage);

    std::string opening(long) override { return writer_.role_event(); }
    std::string text(std::string_view text) override { return writer_.content_event(text); }
    std::string reasoning(std::string_view text) override { return writer_.reasoning_event(text); }
    std::string tool_call_begin(std::size_t index, std::string_view id, std::string_view name) override {
        return writer_.tool_call_begin_event(index, id, name);
    }
    std::string tool_call_arguments(std::size_t index, std::string_view fragment) override {
        return writer_.tool_call_arguments_event(index, fragment);
    }
    std::string_view keepalive() const override { return sse_writer::keepalive_comment; }
    std::string closing(const answer_end& end) override;
    std::string failure(const api_error& e) override;
    http::http_response error_response(const api_error& e) const override;
    http::http_response whole(const whole_answer& answer) override;

private:
    std::string id_;
    std::time_t created_;
    std::string model_;
    bool include_usage_;
    sse_writer writer_;
};

} // namespace switchyard::api
