#pragma once
// An AIPKit chat page, as the plugin renders it (upstreams.md B.0): every bot on the page is a
// `div#aipkit_chat_container_<botId>` whose `data-config` attribute holds the bot's settings as
// HTML-escaped JSON. The page is parsed as HTML (libxml2), so entities and markup quirks are
// the parser's business, not ours.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace switchyard::providers::aipkit {

/// What a bot container's `data-config` says about the bot.
struct page_bot {
    std::string bot_id;
    std::string nonce;                      // the page's nonce for the chat actions
    std::string post_id;                    // the page's post
    std::string provider;                   // the AI provider behind the bot ("OpenAI", "Google", …)
    std::string model;                      // its model there ("gpt-4o-mini")
    bool web_search = false;                // allowWebSearchTool
    bool openai_conversation_state = false; // enableOpenAIConversationState
};

/// Bounds on what a page may hand us; beyond them the rest is ignored.
inline constexpr std::size_t max_page_bytes = 4 * 1024 * 1024;
inline constexpr std::size_t max_page_bots = 64;
inline constexpr std::size_t max_bot_config_bytes = 64 * 1024;

/// The bots of a chat page, in page order, each bot id once. A container whose `data-config` is
/// missing, oversized or not a JSON object, or that names no bot, is skipped. Never throws for
/// what the page holds.
std::vector<page_bot> read_chat_page(std::string_view html);

} // namespace switchyard::providers::aipkit
