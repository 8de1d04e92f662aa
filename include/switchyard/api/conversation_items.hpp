#pragma once
// Conversation items, in the shape OpenAI's Conversations and Responses APIs share (`message`,
// `function_call`, `function_call_output`, …), and the neutral chat_message: the one place where
// the two meet. The store keeps every item as this JSON, so a conversation reads the same
// through /v1/conversations, /v1/responses and chat completions.
// https://platform.openai.com/docs/api-reference/conversations/list-items-object
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "switchyard/api/chat_request.hpp"
#include "switchyard/api/error.hpp"

namespace switchyard::api::items {

/// Reads one item into `out`: a message (string content, or input_text / output_text /
/// input_image / refusal parts), a function or custom tool call (joining the assistant message
/// before it) or a call's output (a tool message). Reasoning and the records of tools that ran at
/// OpenAI (web search, …) carry nothing an upstream here can be shown, and are skipped. `at`
/// names the item in errors, e.g. "input[2]".
std::optional<api_error> read_item(const nlohmann::json& item, const std::string& at, std::vector<chat_message>& out);

/// An item that read_item accepted, as it is stored and listed: with its `type`, a new `id` (a
/// client's own is replaced), `status`, and a message's content as parts.
nlohmann::json normalized(const nlohmann::json& item);

/// A neutral message as items: a message when it has text or images, then its calls; a tool
/// result as a function_call_output.
std::vector<nlohmann::json> items_of(const chat_message& m);

/// An answer as items: the assistant's message when it said something, then its calls.
std::vector<nlohmann::json> answer_items(std::string_view text, const std::vector<tool_call>& calls);

/// The JSON text an item is stored as.
std::string dump(const nlohmann::json& item);

} // namespace switchyard::api::items
