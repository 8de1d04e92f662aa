#include "switchyard/api/conversation_items.hpp"

#include "switchyard/util/ids.hpp"

namespace switchyard::api::items {
namespace {

using nlohmann::json;

api_error bad(error_kind kind, std::string message, std::string param) {
    return api_error{kind, std::move(message), std::move(param), std::nullopt};
}

api_error missing(const std::string& param) {
    return bad(error_kind::missing_parameter, "Missing required parameter: '" + param + "'.", param);
}

void append_text(std::string& to, std::string_view text) {
    if (!to.empty() && !text.empty()) to += '\n';
    to += text;
}

/// A message's content: a string, or input_text / output_text / input_image / refusal parts.
std::optional<api_error> read_content(const json& content, chat_message& into, const std::string& at) {
    if (content.is_string()) {
        into.text = content.get<std::string>();
        return std::nullopt;
    }
    if (!content.is_array()) return bad(error_kind::invalid_value, "Expected a string or an array of content parts.", at);
    for (std::size_t k = 0; k < content.size(); ++k) {
        const json& part = content[k];
        const std::string part_at = at + "[" + std::to_string(k) + "]";
        const std::string* type = part.is_object() ? string_member_of(part, "type") : nullptr;
        if (!type) return bad(error_kind::invalid_value, "Each content part needs a 'type'.", part_at + ".type");
        if (*type == "input_text" || *type == "output_text" || *type == "text") {
            const std::string* text = string_member_of(part, "text");
            if (!text) return missing(part_at + ".text");
            append_text(into.text, *text);
        } else if (*type == "refusal") {
            if (const std::string* text = string_member_of(part, "refusal")) append_text(into.text, *text);
        } else if (*type == "input_image") {
            const std::string* url = string_member_of(part, "image_url");
            if (!url)
                return bad(error_kind::unsupported_value, "Only images given by 'image_url' are supported by this gateway.",
                           part_at + ".image_url");
            std::string detail;
            if (const std::string* d = string_member_of(part, "detail")) detail = *d;
            into.images.push_back({*url, part_at, std::move(detail)});
        } else {
            return bad(error_kind::unsupported_value, "Content parts of type '" + *type + "' are not supported by this gateway.",
                       part_at + ".type");
        }
    }
    return std::nullopt;
}

std::optional<message_role> role_of(std::string_view r) {
    if (r == "user") return message_role::user;
    if (r == "assistant") return message_role::assistant;
    if (r == "system" || r == "developer") return message_role::system;
    return std::nullopt;
}

/// A call the assistant made, joining the assistant message before it.
void add_call(std::vector<chat_message>& out, tool_call call) {
    if (out.empty() || out.back().role != message_role::assistant) {
        chat_message m;
        m.role = message_role::assistant;
        out.push_back(std::move(m));
    }
    out.back().tool_calls.push_back(std::move(call));
}

std::string new_id(std::string_view type) {
    const std::string prefix = type == "message"                ? "msg_"
                               : type == "function_call"        ? "fc_"
                               : type == "function_call_output" ? "fco_"
                               : type == "custom_tool_call"     ? "ctc_"
                               : type == "reasoning"            ? "rs_"
                                                                : "item_";
    return prefix + ids::hex(48);
}

json text_part(message_role role, const std::string& text) {
    return {{"type", role == message_role::assistant ? "output_text" : "input_text"}, {"text", text}};
}

} // namespace

std::optional<api_error> read_item(const json& item, const std::string& at, std::vector<chat_message>& out) {
    if (!item.is_object()) return bad(error_kind::invalid_value, "Each item must be an object.", at);
    const std::string* type = string_member_of(item, "type");
    if (!type || *type == "message") {
        const std::string* role = string_member_of(item, "role");
        const auto parsed = role ? role_of(*role) : std::nullopt;
        if (!parsed)
            return bad(error_kind::invalid_value,
                       "Invalid value for '" + at + ".role': expected user, assistant, system or developer.", at + ".role");
        chat_message m;
        m.role = *parsed;
        const json* content = member_of(item, "content");
        if (!content) return missing(at + ".content");
        if (auto err = read_content(*content, m, at + ".content")) return err;
        out.push_back(std::move(m));
        return std::nullopt;
    }
    if (*type == "function_call") {
        const std::string* call_id = string_member_of(item, "call_id");
        const std::string* name = string_member_of(item, "name");
        if (!call_id) return missing(at + ".call_id");
        if (!name) return missing(at + ".name");
        const std::string* arguments = string_member_of(item, "arguments");
        add_call(out, {*call_id, *name, arguments ? *arguments : std::string("{}")});
        return std::nullopt;
    }
    if (*type == "custom_tool_call") {
        const std::string* call_id = string_member_of(item, "call_id");
        const std::string* name = string_member_of(item, "name");
        if (!call_id || !name)
            return bad(error_kind::missing_parameter, "A custom_tool_call needs a 'call_id' and a 'name'.", at);
        const std::string* input = string_member_of(item, "input");
        add_call(out, {*call_id, *name, dump(json{{"input", input ? *input : std::string()}})});
        return std::nullopt;
    }
    if (*type == "function_call_output" || *type == "custom_tool_call_output") {
        const std::string* call_id = string_member_of(item, "call_id");
        if (!call_id) return missing(at + ".call_id");
        chat_message m;
        m.role = message_role::tool;
        m.tool_call_id = *call_id;
        if (const json* output = member_of(item, "output"))
            if (auto err = read_content(*output, m, at + ".output")) return err;
        out.push_back(std::move(m));
        return std::nullopt;
    }
    if (*type == "compaction" || *type == "item_reference")
        return bad(error_kind::unsupported_value,
                   "Items of type '" + *type + "' refer to state this gateway does not keep; send the items themselves.",
                   at + ".type");
    return std::nullopt;
}

json normalized(const json& item) {
    json out = json::object();
    const std::string* type = string_member_of(item, "type");
    const std::string kind = type ? *type : "message";
    out["type"] = kind;
    // Ids are always the gateway's: unique, and safe in a URL path.
    out["id"] = new_id(kind);
    if (kind == "message") {
        const std::string role = item.value("role", "user");
        out["status"] = "completed";
        out["role"] = role;
        const json& content = item["content"];
        out["content"] =
            content.is_string() ? json::array({text_part(role_of(role).value_or(message_role::user), content)}) : content;
        return out;
    }
    for (const auto& [k, v] : item.items())
        if (k != "type" && k != "id") out[k] = v;
    if (!out.contains("status") && (kind == "function_call" || kind == "custom_tool_call" || kind == "function_call_output"))
        out["status"] = "completed";
    return out;
}

std::vector<json> items_of(const chat_message& m) {
    std::vector<json> out;
    if (m.role == message_role::tool) {
        out.push_back({{"type", "function_call_output"},
                       {"id", new_id("function_call_output")},
                       {"status", "completed"},
                       {"call_id", m.tool_call_id},
                       {"output", m.text}});
        return out;
    }
    if (!m.text.empty() || !m.images.empty() || m.tool_calls.empty()) {
        json content = json::array();
        if (!m.text.empty() || m.images.empty()) content.push_back(text_part(m.role, m.text));
        for (const auto& image : m.images) {
            json part = {{"type", "input_image"}, {"image_url", image.url}};
            part["detail"] = image.detail.empty() ? "auto" : image.detail;
            content.push_back(std::move(part));
        }
        out.push_back({{"type", "message"},
                       {"id", new_id("message")},
                       {"status", "completed"},
                       {"role", role_name(m.role)},
                       {"content", std::move(content)}});
    }
    for (const auto& call : m.tool_calls)
        out.push_back({{"type", "function_call"},
                       {"id", new_id("function_call")},
                       {"status", "completed"},
                       {"call_id", call.id},
                       {"name", call.name},
                       {"arguments", call.arguments.empty() ? std::string("{}") : call.arguments}});
    return out;
}

std::vector<json> answer_items(std::string_view text, const std::vector<tool_call>& calls) {
    chat_message answer;
    answer.role = message_role::assistant;
    answer.text = text;
    answer.tool_calls = calls;
    return items_of(answer);
}

std::string dump(const json& item) { return item.dump(-1, ' ', false, json::error_handler_t::replace); }

} // namespace switchyard::api::items
