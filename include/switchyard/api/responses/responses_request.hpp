#pragma once
// OpenAI's Responses API (POST /v1/responses) read into the neutral chat_request: what a
// stateless client such as Codex CLI sends, the whole input every turn (README, "Responses API").
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "switchyard/api/chat_request.hpp"
#include "switchyard/api/error.hpp"

namespace switchyard::api::responses {

/// A Responses request: the neutral turn, and what the response object echoes back.
struct responses_request {
    chat_request turn;
    nlohmann::ordered_json echo;           // instructions, tools, tool_choice, metadata, … as the response shows them
    std::vector<std::string> custom_tools; // freeform tools: functions of one `input` string, called as custom_tool_call
};

/// Parses and validates a Responses request. `instructions` becomes the first message;
/// `function_call` and `custom_tool_call` items become the assistant's tool calls and their
/// outputs tool messages; reasoning and server-side items (web search, …) are dropped. Function
/// tools are offered; `custom` (freeform) tools as functions of one `input` string; hosted tools
/// (web search) and namespaces of tools are skipped. `text.format` and `reasoning.effort` reach an
/// OpenAI-compatible upstream as `response_format` and `reasoning_effort`.
/// `previous_response_id` and `conversation` are refused for now: responses are not stored.
std::variant<responses_request, api_error> parse_responses_request(std::string_view body);

} // namespace switchyard::api::responses
