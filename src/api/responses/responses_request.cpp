#include "switchyard/api/responses/responses_request.hpp"

namespace switchyard::api::responses {
namespace {

using nlohmann::json;
using ordered = nlohmann::ordered_json;

api_error bad(error_kind kind, std::string message, std::string param) {
    return api_error{kind, std::move(message), std::move(param), std::nullopt};
}

void append_text(std::string& to, std::string_view text) {
    if (!to.empty() && !text.empty()) to += '\n';
    to += text;
}

/// A message's content: a string, or input_text / output_text / input_image parts.
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
            if (!text)
                return bad(error_kind::missing_parameter, "Missing required parameter: '" + part_at + ".text'.",
                           part_at + ".text");
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

/// The arguments a freeform tool is offered with: one free-text `input`.
json freeform_parameters() {
    return {{"type", "object"},
            {"properties", {{"input", {{"type", "string"}, {"description", "The tool's input, as free text."}}}}},
            {"required", {"input"}}};
}

/// One input item; calls join the assistant message before them.
std::optional<api_error> read_item(const json& item, std::size_t i, std::vector<chat_message>& out) {
    const std::string at = "input[" + std::to_string(i) + "]";
    if (!item.is_object()) return bad(error_kind::invalid_value, "Each input item must be an object.", at);
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
        if (!content)
            return bad(error_kind::missing_parameter, "Missing required parameter: '" + at + ".content'.", at + ".content");
        if (auto err = read_content(*content, m, at + ".content")) return err;
        out.push_back(std::move(m));
        return std::nullopt;
    }
    if (*type == "function_call") {
        const std::string* call_id = string_member_of(item, "call_id");
        const std::string* name = string_member_of(item, "name");
        if (!call_id)
            return bad(error_kind::missing_parameter, "Missing required parameter: '" + at + ".call_id'.", at + ".call_id");
        if (!name) return bad(error_kind::missing_parameter, "Missing required parameter: '" + at + ".name'.", at + ".name");
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
        add_call(out, {*call_id, *name,
                       json{{"input", input ? *input : std::string()}}.dump(-1, ' ', false, json::error_handler_t::replace)});
        return std::nullopt;
    }
    if (*type == "function_call_output" || *type == "custom_tool_call_output") {
        const std::string* call_id = string_member_of(item, "call_id");
        if (!call_id)
            return bad(error_kind::missing_parameter, "Missing required parameter: '" + at + ".call_id'.", at + ".call_id");
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
                   "Input items of type '" + *type + "' refer to stored state, which this gateway does not keep yet.",
                   at + ".type");
    // Reasoning, and the records of tools that ran on OpenAI's side (web search, image
    // generation, tool search, …): nothing an upstream here can be shown.
    return std::nullopt;
}

std::optional<api_error> read_tools(const json& doc, responses_request& out) {
    chat_request& req = out.turn;
    ordered& echo = out.echo;
    echo["tools"] = ordered::array();
    const json* tools = member_of(doc, "tools");
    if (!tools) return std::nullopt;
    if (!tools->is_array()) return bad(error_kind::invalid_value, "Invalid value for 'tools': expected an array.", "tools");
    for (std::size_t i = 0; i < tools->size(); ++i) {
        const json& t = (*tools)[i];
        const std::string at = "tools[" + std::to_string(i) + "]";
        const std::string* type = t.is_object() ? string_member_of(t, "type") : nullptr;
        if (t.is_object()) echo["tools"].push_back(ordered::parse(t.dump()));
        // Hosted tools (web search) run at OpenAI; namespaces of tools are not flattened yet.
        if (!type || (*type != "function" && *type != "custom")) continue;
        tool_definition tool;
        const std::string* name = string_member_of(t, "name");
        if (!name || name->empty())
            return bad(error_kind::missing_parameter, "Missing required parameter: '" + at + ".name'.", at + ".name");
        if (req.find_tool(*name))
            return bad(error_kind::invalid_value, "Duplicate function name '" + *name + "' in tools.", at + ".name");
        tool.name = *name;
        if (const std::string* d = string_member_of(t, "description")) tool.description = *d;
        if (*type == "custom") {
            tool.parameters = freeform_parameters();
            out.custom_tools.push_back(tool.name);
        } else {
            if (const json* p = member_of(t, "parameters")) {
                if (!p->is_object())
                    return bad(error_kind::invalid_value, "Invalid '" + at + ".parameters': expected a JSON Schema object.",
                               at + ".parameters");
                tool.parameters = *p;
            }
            if (const json* s = member_of(t, "strict"); s && s->is_boolean()) tool.strict = s->get<bool>();
            auto& shown = echo["tools"].back(); // as the SDK reads a function tool: both fields present
            if (!shown.contains("strict")) shown["strict"] = nullptr;
            if (!shown.contains("parameters")) shown["parameters"] = nullptr;
        }
        req.tools.push_back(std::move(tool));
    }
    return std::nullopt;
}

std::optional<api_error> read_tool_choice(const json& doc, chat_request& req, ordered& echo) {
    echo["tool_choice"] = "auto";
    const json* choice = member_of(doc, "tool_choice");
    if (!choice) return std::nullopt;
    if (choice->is_string()) {
        const auto& c = choice->get_ref<const std::string&>();
        if (c == "auto")
            req.tool_choice.mode = tool_choice_mode::automatic;
        else if (c == "none")
            req.tool_choice.mode = tool_choice_mode::none;
        else if (c == "required")
            req.tool_choice.mode = tool_choice_mode::required;
        else
            return bad(error_kind::invalid_value, "Invalid value for 'tool_choice': expected auto, none or required.",
                       "tool_choice");
    } else if (const std::string* name = choice->is_object() ? string_member_of(*choice, "name") : nullptr;
               name && choice->value("type", "") == "function") {
        if (!req.find_tool(*name))
            return bad(error_kind::invalid_value,
                       "'tool_choice' names the function '" + *name + "', which is not among the tools.", "tool_choice");
        req.tool_choice = {tool_choice_mode::named, *name};
    } else {
        return bad(error_kind::unsupported_value, "Only 'auto', 'none', 'required' and function choices are supported.",
                   "tool_choice");
    }
    if (req.tool_choice.mode == tool_choice_mode::required && req.tools.empty())
        return bad(error_kind::invalid_value, "'tool_choice' is 'required' but no function tools were given.", "tool_choice");
    echo["tool_choice"] = ordered::parse(choice->dump());
    return std::nullopt;
}

std::optional<api_error> read_sampling(const json& doc, chat_request& req, ordered& echo) {
    echo["max_output_tokens"] = nullptr;
    if (const json* m = member_of(doc, "max_output_tokens")) {
        if (!m->is_number_integer() || m->get<long long>() < 1)
            return bad(error_kind::invalid_value, "Invalid 'max_output_tokens': expected a positive integer.",
                       "max_output_tokens");
        req.max_tokens = static_cast<long>(std::min<long long>(m->get<long long>(), 1LL << 40));
        echo["max_output_tokens"] = *req.max_tokens;
    }
    for (const auto& [key, limit] : {std::pair{"temperature", 2.0}, std::pair{"top_p", 1.0}}) {
        echo[key] = 1.0;
        const json* v = member_of(doc, key);
        if (!v) continue;
        if (!v->is_number() || v->get<double>() < 0 || v->get<double>() > limit)
            return bad(error_kind::invalid_value, std::string("Invalid '") + key + "'.", key);
        (std::string_view(key) == "temperature" ? req.temperature : req.top_p) = v->get<double>();
        echo[key] = v->get<double>();
    }
    if (const json* s = member_of(doc, "stream")) {
        if (!s->is_boolean()) return bad(error_kind::invalid_value, "Invalid 'stream': expected a boolean.", "stream");
        req.stream = s->get<bool>();
    }
    echo["parallel_tool_calls"] = true;
    if (const json* p = member_of(doc, "parallel_tool_calls"); p && p->is_boolean()) {
        req.parallel_tool_calls = p->get<bool>();
        echo["parallel_tool_calls"] = p->get<bool>();
    }
    return std::nullopt;
}

} // namespace

std::variant<responses_request, api_error> parse_responses_request(std::string_view body) {
    auto parsed = parse_client_json(body);
    if (auto* err = std::get_if<api_error>(&parsed)) return std::move(*err);
    const json& doc = std::get<json>(parsed);
    if (!doc.is_object()) return bad(error_kind::invalid_json, "The request body must be a JSON object.", "body");
    responses_request out;
    chat_request& req = out.turn;
    const std::string* model = string_member_of(doc, "model");
    if (!model) return bad(error_kind::missing_parameter, "Missing required parameter: 'model'.", "model");
    req.model = *model;
    for (const char* stateful : {"previous_response_id", "conversation"})
        if (member_of(doc, stateful))
            return bad(error_kind::unsupported_value,
                       std::string("'") + stateful + "' is not supported yet: responses are not stored. Send the whole input.",
                       stateful);
    out.echo["instructions"] = nullptr;
    if (const json* instructions = member_of(doc, "instructions")) {
        if (!instructions->is_string())
            return bad(error_kind::invalid_value, "Invalid 'instructions': expected a string.", "instructions");
        chat_message system;
        system.role = message_role::system;
        system.text = instructions->get<std::string>();
        out.echo["instructions"] = system.text;
        if (!system.text.empty()) req.messages.push_back(std::move(system));
    }
    const json* input = member_of(doc, "input");
    if (!input) return bad(error_kind::missing_parameter, "Missing required parameter: 'input'.", "input");
    if (input->is_string()) {
        chat_message m;
        m.text = input->get<std::string>();
        req.messages.push_back(std::move(m));
    } else if (input->is_array() && !input->empty()) {
        for (std::size_t i = 0; i < input->size(); ++i)
            if (auto err = read_item((*input)[i], i, req.messages)) return *err;
    } else {
        return bad(error_kind::invalid_value, "Invalid 'input': expected a string or a non-empty array of items.", "input");
    }
    if (auto err = read_sampling(doc, req, out.echo)) return *err;
    if (auto err = read_tools(doc, out)) return *err;
    if (auto err = read_tool_choice(doc, req, out.echo)) return *err;
    out.echo["metadata"] = ordered::object();
    if (const json* m = member_of(doc, "metadata"); m && m->is_object()) out.echo["metadata"] = ordered::parse(m->dump());
    out.echo["store"] = false; // nothing is stored yet, whatever was asked
    // An output format and a reasoning effort are an OpenAI-compatible upstream's to honour; the
    // web chats have no such controls.
    if (const json* text = member_of(doc, "text"); text && text->is_object()) {
        out.echo["text"] = ordered::parse(text->dump());
        if (const json* format = member_of(*text, "format"); format && format->is_object()) {
            const std::string* kind_of = string_member_of(*format, "type");
            const std::string kind = kind_of ? *kind_of : "text";
            if (kind == "json_object") {
                req.passthrough["response_format"] = {{"type", "json_object"}};
            } else if (kind == "json_schema") {
                const std::string* name = string_member_of(*format, "name");
                json schema = {{"name", name ? *name : std::string("output")}};
                if (const json* s = member_of(*format, "schema")) schema["schema"] = *s;
                if (const json* strict = member_of(*format, "strict")) schema["strict"] = *strict;
                req.passthrough["response_format"] = {{"type", "json_schema"}, {"json_schema", std::move(schema)}};
            }
        }
    }
    if (const json* reasoning = member_of(doc, "reasoning"); reasoning && reasoning->is_object()) {
        out.echo["reasoning"] = ordered::parse(reasoning->dump());
        if (const std::string* effort = string_member_of(*reasoning, "effort")) req.passthrough["reasoning_effort"] = *effort;
    }
    return out;
}

} // namespace switchyard::api::responses
