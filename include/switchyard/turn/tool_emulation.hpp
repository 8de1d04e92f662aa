#pragma once
// Tool calling on upstreams that have none (the web chats). The request is rendered as plain
// text: the offered tools and the calling convention travel with the newest message, earlier
// calls as <tool_call> blocks and results as <tool_response> blocks. The answer is parsed back
// into tool-call events (`tool_call_parser`), each call's arguments checked against its tool's
// schema, with one repair round before the commit point. README "Tool calling" documents it.
#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string>
#include <vector>

#include "switchyard/api/chat_request.hpp"
#include "switchyard/providers/provider.hpp"

namespace switchyard::turn {

/// True when `req` must be rendered for an upstream without tools: it offers tools, or it or the
/// earlier turns of its `conversation` hold tool calls or results.
bool needs_emulation(const api::chat_request& req, const providers::conversation_turn* conversation = nullptr);

/// The text that offers `req.tools` and explains how to call them ("" when tool_choice is none).
std::string tool_instructions(const api::chat_request& req);

/// Messages as a web chat receives them: calls as <tool_call> blocks in the assistant's text,
/// each round of results as one user message of <tool_response> blocks.
std::vector<api::chat_message> render_messages(const std::vector<api::chat_message>& messages);

/// `req` as a web chat receives it: text-only messages, with the tool block ahead of the newest
/// user message. Tools and tool choice are kept for the parser; providers never read them.
api::chat_request render_for_emulation(const api::chat_request& req);

/// One exchange with a provider that cannot call tools: renders, runs `run_attempts`, turns
/// the answer's calls into tool-call events for `client`, and repairs or retries once when the
/// model's call is unusable and nothing has reached the client yet.
boost::asio::awaitable<std::optional<providers::provider_error>>
run_with_emulated_tools(providers::provider& p, const api::chat_request& req, const providers::model_route& route,
                        providers::event_sink& client, providers::call_context ctx);

} // namespace switchyard::turn
