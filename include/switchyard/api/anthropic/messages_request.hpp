#pragma once
// Anthropic's Messages API (POST /v1/messages) read into the neutral chat_request. The parts
// this gateway reads are described in the README ("Anthropic Messages API").
#include <string_view>
#include <variant>

#include "switchyard/api/chat_request.hpp"
#include "switchyard/api/error.hpp"

namespace switchyard::api::anthropic {

/// At most this many stop sequences (the text shaper checks each at every delta).
constexpr std::size_t max_stop_sequences = 16;

/// Parses and validates a Messages request. `system` becomes the first message; `tool_use`
/// blocks become the assistant's tool calls and `tool_result` blocks tool messages; tools of a
/// server-side `type` (web search, bash, …) are skipped, since no upstream runs them. `param` of
/// an error is the path in the request ("messages.1.content.0.type").
/// `for_counting`: a count_tokens body, which has no max_tokens.
std::variant<chat_request, api_error> parse_messages_request(std::string_view body, bool for_counting = false);

} // namespace switchyard::api::anthropic
