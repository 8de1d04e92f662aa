#include "switchyard/api/responses/responses_request.hpp"

#include "switchyard/api/conversation_items.hpp"

namespace switchyard::api::responses {
namespace {

using nlohmann::json;
using ordered = nlohmann::ordered_json;

api_error bad(error_kind kind, std::string message, std::string param) {
    return api_error{kind, std::move(message), std::move(param), std::nullopt};
}

/// The arguments a freeform tool is offered with: one free-text `input`.
json freeform_parameters() {
    return {{"type", "object"},
            {"properties", {{"input", {{"type", "string"}, {"description", "The tool's input, as free text."}}}}},
            {"required", {"input"}}};
}

/// `store`, and the state a response continues: a previous response or a conversation.
std::optional<api_error> read_state(const json& doc, responses_request& out) {
    if (const json* store = member_of(doc, "store")) {
        if (!store->is_boolean()) return bad(error_kind::invalid_value, "Invalid 'store': expected a boolean.", "store");
        out.store = store->get<bool>();
    }
    out.echo["store"] = out.store;
    const json* previous = member_of(doc, "previous_response_id");
    const json* conversation = member_of(doc, "conversation");
    if (previous && conversation)
        return bad(error_kind::invalid_value,
                   "'previous_response_id' and 'conversation' cannot be used together: give one of them.", "conversation");
    if (previous) {
        if (!previous->is_string() || previous->get_ref<const std::string&>().empty())
            return bad(error_kind::invalid_value, "Invalid 'previous_response_id': expected a response id.",
                       "previous_response_id");
        out.previous_response_id = previous->get<std::string>();
        out.echo["previous_response_id"] = out.previous_response_id;
    }
    if (conversation) {
        const json* id = conversation->is_object() ? member_of(*conversation, "id") : conversation;
        if (!id || !id->is_string() || id->get_ref<const std::string&>().empty())
            return bad(error_kind::invalid_value, "Invalid 'conversation': expected a conversation id or {\"id\": …}.",
                       "conversation");
        out.turn.conversation_id = id->get<std::string>();
        out.echo["conversation"] = {{"id", *out.turn.conversation_id}};
    }
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
    if (auto err = read_state(doc, out)) return *err;
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
    out.input_start = req.messages.size();
    if (input->is_string()) {
        const json item = {{"type", "message"}, {"role", "user"}, {"content", *input}};
        (void)items::read_item(item, "input", req.messages);
        out.input_items.push_back(items::normalized(item));
    } else if (input->is_array() && !input->empty() && input->size() <= max_input_items) {
        for (std::size_t i = 0; i < input->size(); ++i) {
            const json& item = (*input)[i];
            if (auto err = items::read_item(item, "input[" + std::to_string(i) + "]", req.messages)) return *err;
            out.input_items.push_back(items::normalized(item));
        }
    } else if (input->is_array() && input->size() > max_input_items) {
        return bad(error_kind::invalid_value,
                   "Invalid 'input': at most " + std::to_string(max_input_items) + " items are accepted.", "input");
    } else {
        return bad(error_kind::invalid_value, "Invalid 'input': expected a string or a non-empty array of items.", "input");
    }
    const bool stateful = !out.previous_response_id.empty() || req.conversation_id;
    if (req.messages.size() == out.input_start && !stateful)
        return bad(error_kind::invalid_value, "Invalid 'input': it holds nothing to answer (no message or tool output).",
                   "input");
    if (auto err = read_sampling(doc, req, out.echo)) return *err;
    if (auto err = read_tools(doc, out)) return *err;
    if (auto err = read_tool_choice(doc, req, out.echo)) return *err;
    out.echo["metadata"] = ordered::object();
    if (const json* m = member_of(doc, "metadata"); m && m->is_object()) out.echo["metadata"] = ordered::parse(m->dump());
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
