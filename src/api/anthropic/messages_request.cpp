#include "switchyard/api/anthropic/messages_request.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace switchyard::api::anthropic {
namespace {

using nlohmann::json;

api_error bad(error_kind kind, std::string message, std::string param) {
    return api_error{kind, std::move(message), std::move(param), std::nullopt};
}

api_error missing(const std::string& param) { return bad(error_kind::missing_parameter, param + ": Field required", param); }

bool valid_tool_name(std::string_view name) {
    if (name.empty() || name.size() > 64) return false;
    for (const char c : name)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) return false;
    return true;
}

void append_text(std::string& to, std::string_view text) {
    if (!to.empty() && !text.empty()) to += '\n';
    to += text;
}

/// An `image` block's source as a URL: base64 data becomes a data: URL.
std::variant<std::string, api_error> image_url(const json& block, const std::string& at) {
    const json* source = member_of(block, "source");
    const std::string* type = source && source->is_object() ? string_member_of(*source, "type") : nullptr;
    if (!type) return missing(at + ".source.type");
    if (*type == "base64") {
        const std::string* media = string_member_of(*source, "media_type");
        const std::string* data = string_member_of(*source, "data");
        if (!media) return missing(at + ".source.media_type");
        if (!data) return missing(at + ".source.data");
        return "data:" + *media + ";base64," + *data;
    }
    if (*type == "url") {
        const std::string* url = string_member_of(*source, "url");
        if (!url) return missing(at + ".source.url");
        return *url;
    }
    return bad(error_kind::unsupported_value, at + ".source.type: only base64 and url images are supported", at + ".source.type");
}

/// A `text` or `image` block, added to `into`.
std::optional<api_error> add_text_or_image(const json& block, std::string_view type, const std::string& at, chat_message& into) {
    if (type == "text") {
        const std::string* text = string_member_of(block, "text");
        if (!text) return missing(at + ".text");
        append_text(into.text, *text);
        return std::nullopt;
    }
    auto url = image_url(block, at);
    if (auto* err = std::get_if<api_error>(&url)) return std::move(*err);
    into.images.push_back({std::move(std::get<std::string>(url)), at, {}});
    return std::nullopt;
}

/// A tool_result's content: a string, or text (and image) blocks.
std::optional<api_error> tool_result_content(const json& block, chat_message& result, const std::string& at) {
    const json* content = member_of(block, "content");
    if (!content) return std::nullopt;
    if (content->is_string()) {
        result.text = content->get<std::string>();
        return std::nullopt;
    }
    if (!content->is_array())
        return bad(error_kind::invalid_value, at + ".content: expected a string or a list", at + ".content");
    for (std::size_t k = 0; k < content->size(); ++k) {
        const std::string part_at = at + ".content." + std::to_string(k);
        const std::string* type = (*content)[k].is_object() ? string_member_of((*content)[k], "type") : nullptr;
        if (!type) return missing(part_at + ".type");
        // Other result parts (documents, search results) carry nothing a web chat can take.
        if (*type != "text" && *type != "image") continue;
        if (auto err = add_text_or_image((*content)[k], *type, part_at, result)) return err;
    }
    return std::nullopt;
}

/// One Messages message. A user message's tool_result blocks become tool messages ahead of what
/// else it says, which is the order chat completions expects.
std::optional<api_error> parse_message(const json& m, std::size_t i, std::vector<chat_message>& out) {
    const std::string where = "messages." + std::to_string(i);
    if (!m.is_object()) return bad(error_kind::invalid_value, where + ": expected an object", where);
    const std::string* role = string_member_of(m, "role");
    if (!role) return missing(where + ".role");
    if (*role != "user" && *role != "assistant")
        return bad(error_kind::invalid_value, where + ".role: Input should be 'user' or 'assistant'", where + ".role");
    chat_message said;
    said.role = *role == "user" ? message_role::user : message_role::assistant;
    const json* content = member_of(m, "content");
    if (!content) return missing(where + ".content");
    if (content->is_string()) {
        said.text = content->get<std::string>();
        out.push_back(std::move(said));
        return std::nullopt;
    }
    if (!content->is_array())
        return bad(error_kind::invalid_value, where + ".content: expected a string or a list of content blocks",
                   where + ".content");
    for (std::size_t j = 0; j < content->size(); ++j) {
        const json& block = (*content)[j];
        const std::string at = where + ".content." + std::to_string(j);
        const std::string* type = block.is_object() ? string_member_of(block, "type") : nullptr;
        if (!type) return missing(at + ".type");
        if (*type == "text" || (*type == "image" && said.role == message_role::user)) {
            if (auto err = add_text_or_image(block, *type, at, said)) return err;
        } else if (*type == "tool_use" && said.role == message_role::assistant) {
            const std::string* id = string_member_of(block, "id");
            const std::string* name = string_member_of(block, "name");
            const json* input = member_of(block, "input");
            if (!id) return missing(at + ".id");
            if (!name) return missing(at + ".name");
            if (input && !input->is_object())
                return bad(error_kind::invalid_value, at + ".input: expected an object", at + ".input");
            said.tool_calls.push_back(
                {*id, *name, input ? input->dump(-1, ' ', false, json::error_handler_t::replace) : std::string("{}")});
        } else if (*type == "tool_result" && said.role == message_role::user) {
            const std::string* id = string_member_of(block, "tool_use_id");
            if (!id) return missing(at + ".tool_use_id");
            chat_message result;
            result.role = message_role::tool;
            result.tool_call_id = *id;
            if (auto err = tool_result_content(block, result, at)) return err;
            if (const json* e = member_of(block, "is_error"); e && e->is_boolean() && e->get<bool>())
                result.text = "Error: " + result.text;
            out.push_back(std::move(result));
        } else if (*type == "document") {
            // A plain-text document is text; files (PDF) reach no upstream here.
            const json* source = member_of(block, "source");
            const std::string* kind = source && source->is_object() ? string_member_of(*source, "type") : nullptr;
            const std::string* data = kind && *kind == "text" ? string_member_of(*source, "data") : nullptr;
            if (!data)
                return bad(error_kind::unsupported_value, at + ".source: only plain-text documents are supported by this gateway",
                           at + ".source");
            append_text(said.text, *data);
        } else if (said.role == message_role::user && *type != "search_result") {
            return bad(error_kind::invalid_value, at + ".type: '" + *type + "' is not a content block a user message can hold",
                       at + ".type");
        } // the assistant's thinking and server-tool blocks are the model's own; nothing to send back
    }
    if (said.role == message_role::assistant || !said.text.empty() || !said.images.empty()) out.push_back(std::move(said));
    return std::nullopt;
}

std::optional<api_error> parse_tools(const json& doc, chat_request& req) {
    const json* tools = member_of(doc, "tools");
    if (!tools) return std::nullopt;
    if (!tools->is_array()) return bad(error_kind::invalid_value, "tools: expected a list", "tools");
    for (std::size_t i = 0; i < tools->size(); ++i) {
        const json& t = (*tools)[i];
        const std::string at = "tools." + std::to_string(i);
        if (!t.is_object()) return bad(error_kind::invalid_value, at + ": expected an object", at);
        if (const std::string* type = string_member_of(t, "type"); type && *type != "custom") {
            // Anthropic-defined client tools come without a schema: the model is trained on them,
            // and no upstream here is.
            for (const char* client_tool : {"bash_", "text_editor_", "computer_", "memory_"})
                if (type->starts_with(client_tool))
                    return bad(error_kind::unsupported_value,
                               at + ".type: '" + *type + "' is not supported here; define the tool with an input_schema",
                               at + ".type");
            continue; // server tools (web search, web fetch, code execution) run at Anthropic: skipped
        }
        tool_definition tool;
        const std::string* name = string_member_of(t, "name");
        if (!name) return missing(at + ".name");
        if (!valid_tool_name(*name))
            return bad(error_kind::invalid_value, at + ".name: 1 to 64 letters, digits, underscores and dashes", at + ".name");
        if (req.find_tool(*name)) return bad(error_kind::invalid_value, at + ".name: tool names must be unique", at + ".name");
        tool.name = *name;
        if (const std::string* d = string_member_of(t, "description")) tool.description = *d;
        const json* schema = member_of(t, "input_schema");
        if (!schema) return missing(at + ".input_schema");
        if (!schema->is_object())
            return bad(error_kind::invalid_value, at + ".input_schema: expected an object", at + ".input_schema");
        tool.parameters = *schema;
        req.tools.push_back(std::move(tool));
    }
    return std::nullopt;
}

std::optional<api_error> parse_tool_choice(const json& doc, chat_request& req) {
    const json* choice = member_of(doc, "tool_choice");
    if (!choice) return std::nullopt;
    const std::string* type = choice->is_object() ? string_member_of(*choice, "type") : nullptr;
    if (!type) return missing("tool_choice.type");
    if (*type == "auto") {
        req.tool_choice.mode = tool_choice_mode::automatic;
    } else if (*type == "any") {
        req.tool_choice.mode = tool_choice_mode::required;
    } else if (*type == "none") {
        req.tool_choice.mode = tool_choice_mode::none;
    } else if (*type == "tool") {
        const std::string* name = string_member_of(*choice, "name");
        if (!name) return missing("tool_choice.name");
        if (!req.find_tool(*name))
            return bad(error_kind::invalid_value, "tool_choice.name: '" + *name + "' is not among the tools", "tool_choice.name");
        req.tool_choice = {tool_choice_mode::named, *name};
    } else {
        return bad(error_kind::invalid_value, "tool_choice.type: expected 'auto', 'any', 'tool' or 'none'", "tool_choice.type");
    }
    if (req.tool_choice.mode == tool_choice_mode::required && req.tools.empty())
        return bad(error_kind::invalid_value, "tool_choice: 'any' needs tools", "tool_choice");
    if (const json* d = member_of(*choice, "disable_parallel_tool_use"); d && d->is_boolean())
        req.parallel_tool_calls = !d->get<bool>();
    return std::nullopt;
}

std::optional<api_error> parse_system(const json& doc, chat_request& req) {
    const json* system = member_of(doc, "system");
    if (!system) return std::nullopt;
    chat_message m;
    m.role = message_role::system;
    if (system->is_string()) {
        m.text = system->get<std::string>();
    } else if (system->is_array()) {
        for (std::size_t i = 0; i < system->size(); ++i) {
            const json& block = (*system)[i];
            const std::string at = "system." + std::to_string(i);
            const std::string* text = block.is_object() ? string_member_of(block, "text") : nullptr;
            if (!text) return missing(at + ".text");
            append_text(m.text, *text);
        }
    } else {
        return bad(error_kind::invalid_value, "system: expected a string or a list of text blocks", "system");
    }
    if (!m.text.empty()) req.messages.push_back(std::move(m));
    return std::nullopt;
}

std::optional<api_error> parse_sampling(const json& doc, chat_request& req, bool for_counting) {
    const json* max_tokens = member_of(doc, "max_tokens");
    if (!max_tokens && !for_counting) return missing("max_tokens");
    if (max_tokens) {
        if (!max_tokens->is_number_integer() || max_tokens->get<long long>() < 1)
            return bad(error_kind::invalid_value, "max_tokens: expected an integer of at least 1", "max_tokens");
        req.max_tokens = static_cast<long>(std::min<long long>(max_tokens->get<long long>(), 1LL << 40));
    }
    for (const char* key : {"temperature", "top_p"}) {
        const json* v = member_of(doc, key);
        if (!v) continue;
        if (!v->is_number() || v->get<double>() < 0 || v->get<double>() > 1)
            return bad(error_kind::invalid_value, std::string(key) + ": expected a number from 0 to 1", key);
        (std::string_view(key) == "temperature" ? req.temperature : req.top_p) = v->get<double>();
    }
    if (const json* stop = member_of(doc, "stop_sequences")) {
        if (!stop->is_array() || stop->size() > max_stop_sequences)
            return bad(error_kind::invalid_value,
                       "stop_sequences: expected a list of at most " + std::to_string(max_stop_sequences) + " strings",
                       "stop_sequences");
        for (const auto& s : *stop) {
            if (!s.is_string()) return bad(error_kind::invalid_value, "stop_sequences: expected strings", "stop_sequences");
            if (!s.get_ref<const std::string&>().empty()) req.stop.push_back(s.get<std::string>());
        }
    }
    if (const json* stream = member_of(doc, "stream")) {
        if (!stream->is_boolean()) return bad(error_kind::invalid_value, "stream: expected a boolean", "stream");
        req.stream = stream->get<bool>();
    }
    return std::nullopt;
}

} // namespace

std::variant<chat_request, api_error> parse_messages_request(std::string_view body, bool for_counting) {
    auto parsed = parse_client_json(body);
    if (auto* err = std::get_if<api_error>(&parsed)) return std::move(*err);
    const json& doc = std::get<json>(parsed);
    if (!doc.is_object()) return bad(error_kind::invalid_json, "The request body must be a JSON object.", "body");
    chat_request req;
    const std::string* model = string_member_of(doc, "model");
    if (!model) return missing("model");
    req.model = *model;
    const json* messages = member_of(doc, "messages");
    if (!messages) return missing("messages");
    if (!messages->is_array() || messages->empty())
        return bad(error_kind::invalid_value, "messages: expected a non-empty list", "messages");
    if (auto err = parse_sampling(doc, req, for_counting)) return *err;
    if (auto err = parse_system(doc, req)) return *err;
    for (std::size_t i = 0; i < messages->size(); ++i)
        if (auto err = parse_message((*messages)[i], i, req.messages)) return *err;
    if (std::none_of(req.messages.begin(), req.messages.end(),
                     [](const chat_message& m) { return m.role != message_role::system; }))
        return bad(error_kind::invalid_value, "messages: at least one message must have content", "messages");
    if (auto err = parse_tools(doc, req)) return *err;
    if (auto err = parse_tool_choice(doc, req)) return *err;
    return req;
}

} // namespace switchyard::api::anthropic
