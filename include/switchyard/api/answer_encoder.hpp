#pragma once
// One wire format's side of an answer. The commit point, the stream's keep-alives, stop and
// max_tokens, and storing a turn are the same for every API (api/chat_handler.cpp); what an API
// decides is how the neutral events, the end and the errors are written. Chat completions and
// Anthropic's Messages API each implement this.
#include <string>
#include <string_view>
#include <vector>

#include "switchyard/api/chat_request.hpp"
#include "switchyard/api/error.hpp"
#include "switchyard/http/message.hpp"

namespace switchyard::api {

struct usage_counts {
    long prompt_tokens = 0;
    long completion_tokens = 0;
};

/// Why an answer ended, in neutral terms; each API names it its own way.
enum class finish_kind { stop, stop_sequence, length, tool_calls, content_filter };

struct answer_end {
    finish_kind finish = finish_kind::stop;
    std::string_view stop_sequence; // which one, with finish_kind::stop_sequence
    usage_counts usage;
};

/// A whole, non-streamed answer.
struct whole_answer {
    std::string_view content;
    std::string_view reasoning;
    const std::vector<tool_call>& tool_calls;
    answer_end end;
};

class answer_encoder {
public:
    virtual ~answer_encoder() = default;

    // A stream. Each call returns complete events, ready to write in one go ("" for none).
    /// Right after the 200 head. `prompt_tokens`: the prompt's size, as usage will report it.
    virtual std::string opening(long prompt_tokens) = 0;
    virtual std::string text(std::string_view text) = 0;
    virtual std::string reasoning(std::string_view text) = 0;
    /// A function call opens; `index` counts the answer's calls from 0.
    virtual std::string tool_call_begin(std::size_t index, std::string_view id, std::string_view name) = 0;
    virtual std::string tool_call_arguments(std::size_t index, std::string_view fragment) = 0;
    /// Written while the upstream is silent, between events.
    virtual std::string_view keepalive() const = 0;
    /// The normal end: finish reason, usage, terminator.
    virtual std::string closing(const answer_end& end) = 0;
    /// An error once the stream has begun, then the terminator.
    virtual std::string failure(const api_error& e) = 0;

    /// An error before anything was sent, or for a non-streamed request.
    virtual http::http_response error_response(const api_error& e) const = 0;
    virtual http::http_response whole(const whole_answer& answer) = 0;
};

} // namespace switchyard::api
