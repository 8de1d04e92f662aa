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

/// At most this many input items in one request.
constexpr std::size_t max_input_items = 10'000;

/// A Responses request: the neutral turn, and what the response object echoes back.
struct responses_request {
    chat_request turn;                       // `conversation` is turn.conversation_id
    nlohmann::ordered_json echo;             // instructions, tools, tool_choice, metadata, … as the response shows them
    std::vector<std::string> custom_tools;   // freeform tools: functions of one `input` string, called as custom_tool_call
    std::vector<nlohmann::json> input_items; // the input as stored and listed, each item with an id
    std::size_t input_start = 0;             // where the input begins in turn.messages (after the instructions)
    std::string previous_response_id;        // "" when none
    bool store = true;
};

/// Parses and validates a Responses request. `instructions` becomes the first message;
/// `function_call` and `custom_tool_call` items become the assistant's tool calls and their
/// outputs tool messages; reasoning and server-side items (web search, …) are dropped. Function
/// tools are offered; `custom` (freeform) tools as functions of one `input` string; hosted tools
/// (web search) and namespaces of tools are skipped. `text.format` and `reasoning.effort` reach an
/// OpenAI-compatible upstream as `response_format` and `reasoning_effort`.
/// `previous_response_id` and `conversation` are read but not looked up: the handler does that.
std::variant<responses_request, api_error> parse_responses_request(std::string_view body);

} // namespace switchyard::api::responses
