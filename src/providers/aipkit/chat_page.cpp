#include "switchyard/providers/aipkit/chat_page.hpp"

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <memory>
#include <mutex>

namespace switchyard::providers::aipkit {
namespace {

using nlohmann::json;

constexpr std::string_view container_prefix = "aipkit_chat_container_";

struct doc_deleter {
    void operator()(xmlDoc* d) const noexcept { xmlFreeDoc(d); }
};
struct xml_string_deleter {
    void operator()(xmlChar* s) const noexcept { xmlFree(s); }
};
using attribute = std::unique_ptr<xmlChar, xml_string_deleter>;

attribute attribute_of(xmlNode* node, const char* name) {
    return attribute(xmlGetProp(node, reinterpret_cast<const xmlChar*>(name)));
}

std::string_view view(const attribute& a) {
    return a ? std::string_view(reinterpret_cast<const char*>(a.get())) : std::string_view();
}

/// A value the plugin writes as a string or a number ("25871" or 25871).
std::string id_text(const json& config, const char* key) {
    const auto it = config.find(key);
    if (it == config.end()) return {};
    if (it->is_string()) return it->get<std::string>();
    if (it->is_number_integer()) return std::to_string(it->get<long long>());
    return {};
}

/// PHP settings arrive as true/false, 1/0 or "1"/"0".
bool flag(const json& config, const char* key) {
    const auto it = config.find(key);
    if (it == config.end()) return false;
    if (it->is_boolean()) return it->get<bool>();
    if (it->is_number()) return it->get<double>() != 0;
    if (it->is_string()) {
        const auto& s = it->get_ref<const std::string&>();
        return s == "1" || s == "true" || s == "yes";
    }
    return false;
}

std::string text(const json& config, const char* key) {
    const auto it = config.find(key);
    return it != config.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool plain_id(std::string_view id) {
    return !id.empty() && id.size() <= 20 && std::all_of(id.begin(), id.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::optional<page_bot> bot_of(xmlNode* node) {
    const auto id = attribute_of(node, "id");
    if (!view(id).starts_with(container_prefix)) return std::nullopt;
    const auto config_text = attribute_of(node, "data-config");
    if (!config_text || view(config_text).size() > max_bot_config_bytes) return std::nullopt;
    const json config = json::parse(view(config_text), nullptr, false);
    if (!config.is_object()) return std::nullopt;
    page_bot bot;
    bot.bot_id = id_text(config, "botId");
    if (bot.bot_id.empty()) bot.bot_id = std::string(view(id).substr(container_prefix.size()));
    if (!plain_id(bot.bot_id)) return std::nullopt;
    bot.nonce = text(config, "nonce");
    bot.post_id = id_text(config, "postId");
    bot.provider = text(config, "provider");
    bot.model = text(config, "model");
    bot.web_search = flag(config, "allowWebSearchTool");
    bot.openai_conversation_state = flag(config, "enableOpenAIConversationState");
    return bot;
}

} // namespace

std::vector<page_bot> read_chat_page(std::string_view html) {
    static std::once_flag init;
    std::call_once(init, [] { xmlInitParser(); });
    html = html.substr(0, max_page_bytes);
    const int options = HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET | HTML_PARSE_NOBLANKS;
    std::unique_ptr<xmlDoc, doc_deleter> doc(
        htmlReadMemory(html.data(), static_cast<int>(html.size()), nullptr, "UTF-8", options));
    std::vector<page_bot> bots;
    if (!doc) return bots;
    // Walked without recursion: a hostile page may nest as deep as the parser lets it.
    xmlNode* node = xmlDocGetRootElement(doc.get());
    while (node && bots.size() < max_page_bots) {
        if (node->type == XML_ELEMENT_NODE) {
            if (auto bot = bot_of(node)) {
                const bool seen =
                    std::any_of(bots.begin(), bots.end(), [&](const page_bot& b) { return b.bot_id == bot->bot_id; });
                if (!seen) bots.push_back(std::move(*bot));
            }
            if (node->children) {
                node = node->children;
                continue;
            }
        }
        while (node && !node->next)
            node = node->parent && node->parent->type != XML_DOCUMENT_NODE && node->parent->type != XML_HTML_DOCUMENT_NODE
                       ? node->parent
                       : nullptr;
        if (node) node = node->next;
    }
    return bots;
}

} // namespace switchyard::providers::aipkit
