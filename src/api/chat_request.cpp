#include "switchyard/api/chat_request.hpp"

#include <nlohmann/json.hpp>

#include <cctype>

namespace switchyard::api {
namespace {

using nlohmann::json;

api_error bad(error_kind kind, std::string message, std::string param) {
    return api_error{kind, std::move(message), std::move(param), std::nullopt};
}

} // namespace

bool json_nests_deeper_than(std::string_view text, std::size_t limit) {
    std::size_t depth = 0;
    bool in_string = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (in_string) {
            if (c == '\\')
                ++i;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > limit) return true;
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
    return false;
}

namespace {

std::optional<message_role> parse_role(std::string_view r) {
    if (r == "system" || r == "developer") return message_role::system;
    if (r == "user") return message_role::user;
    if (r == "assistant") return message_role::assistant;
    if (r == "tool" || r == "function") return message_role::tool;
    return std::nullopt;
}

std::optional<api_error> parse_content(const json& content, chat_message& msg, const std::string& where) {
    if (content.is_string()) {
        msg.text = content.get<std::string>();
        return std::nullopt;
    }
    if (content.is_null()) {
        if (msg.role == message_role::assistant || msg.role == message_role::tool) return std::nullopt;
        return bad(error_kind::invalid_value, "Invalid value for 'content': expected a string or an array of content parts.",
                   where + ".content");
    }
    if (!content.is_array())
        return bad(error_kind::invalid_value, "Invalid value for 'content': expected a string or an array of content parts.",
                   where + ".content");

    bool first_text = true;
    for (std::size_t j = 0; j < content.size(); ++j) {
        const json& part = content[j];
        const std::string part_path = where + ".content[" + std::to_string(j) + "]";
        if (!part.is_object() || !part.contains("type") || !part["type"].is_string())
            return bad(error_kind::invalid_value, "Each content part must be an object with a 'type'.", part_path + ".type");
        const auto type = part["type"].get<std::string>();
        if (type == "text" || type == "input_text" || type == "refusal") {
            const char* key = type == "refusal" ? "refusal" : "text";
            if (!part.contains(key) || !part[key].is_string())
                return bad(error_kind::invalid_value, std::string("Missing string '") + key + "' in content part.",
                           part_path + "." + key);
            if (!first_text) msg.text.push_back('\n');
            msg.text += part[key].get<std::string>();
            first_text = false;
        } else if (type == "image_url") {
            const json* url = nullptr;
            if (auto it = part.find("image_url"); it != part.end()) {
                if (it->is_string())
                    url = &*it;
                else if (it->is_object() && it->contains("url") && (*it)["url"].is_string())
                    url = &(*it)["url"];
            }
            if (!url) return bad(error_kind::invalid_value, "Missing 'image_url.url' in content part.", part_path + ".image_url");
            std::string detail;
            if (const auto& iu = part["image_url"]; iu.is_object())
                if (auto d = iu.find("detail"); d != iu.end() && d->is_string()) detail = d->get<std::string>();
            msg.images.push_back({url->get<std::string>(), part_path, std::move(detail)});
        } else if (type == "input_audio" || type == "file") {
            return bad(error_kind::unsupported_value, "Content parts of type '" + type + "' are not supported by this gateway.",
                       part_path + ".type");
        } else {
            return bad(error_kind::invalid_value, "Invalid content part type '" + type + "'.", part_path + ".type");
        }
    }
    return std::nullopt;
}

/// The arguments of a call as JSON text: clients send a string, a few send the object itself.
std::optional<std::string> arguments_text(const json& fn) {
    const auto a = fn.find("arguments");
    if (a == fn.end() || a->is_null()) return std::string("{}");
    if (a->is_string()) return a->get<std::string>();
    if (a->is_object()) return a->dump(-1, ' ', false, json::error_handler_t::replace);
    return std::nullopt;
}

std::optional<api_error> parse_tool_calls(const json& m, chat_message& msg, const std::string& where) {
    if (auto fc = m.find("function_call"); fc != m.end() && fc->is_object()) { // the legacy single call
        const auto* name = fc->contains("name") && (*fc)["name"].is_string() ? &(*fc)["name"] : nullptr;
        auto args = arguments_text(*fc);
        if (!name || !args)
            return bad(error_kind::invalid_value, "Invalid 'function_call': expected a name and string arguments.",
                       where + ".function_call");
        msg.tool_calls.push_back({"", name->get<std::string>(), std::move(*args)});
    }
    const auto calls = m.find("tool_calls");
    if (calls == m.end() || calls->is_null()) return std::nullopt;
    if (!calls->is_array())
        return bad(error_kind::invalid_value, "Invalid value for 'tool_calls': expected an array.", where + ".tool_calls");
    for (std::size_t k = 0; k < calls->size(); ++k) {
        const json& c = (*calls)[k];
        const std::string at = where + ".tool_calls[" + std::to_string(k) + "]";
        if (!c.is_object() || !c.contains("id") || !c["id"].is_string())
            return bad(error_kind::missing_parameter, "Missing required parameter: '" + at + ".id'.", at + ".id");
        const json* fn = c.contains("function") && c["function"].is_object() ? &c["function"] : nullptr;
        if (!fn || !fn->contains("name") || !(*fn)["name"].is_string())
            return bad(error_kind::missing_parameter, "Missing required parameter: '" + at + ".function.name'.",
                       at + ".function.name");
        auto args = arguments_text(*fn);
        if (!args)
            return bad(error_kind::invalid_value, "Invalid value for 'arguments': expected a JSON string.",
                       at + ".function.arguments");
        msg.tool_calls.push_back({c["id"].get<std::string>(), (*fn)["name"].get<std::string>(), std::move(*args)});
    }
    return std::nullopt;
}

bool valid_function_name(std::string_view n) {
    if (n.empty() || n.size() > 64) return false;
    for (const char c : n)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return false;
    return true;
}

/// One function definition: `{name, description?, parameters?, strict?}`.
std::optional<api_error> parse_function(const json& fn, const std::string& at, std::vector<tool_definition>& out) {
    if (!fn.is_object() || !fn.contains("name") || !fn["name"].is_string())
        return bad(error_kind::missing_parameter, "Missing required parameter: '" + at + ".name'.", at + ".name");
    tool_definition tool;
    tool.name = fn["name"].get<std::string>();
    if (!valid_function_name(tool.name))
        return bad(error_kind::invalid_value,
                   "Invalid '" + at + ".name': a function name is 1 to 64 letters, digits, underscores and dashes.",
                   at + ".name");
    for (const auto& other : out)
        if (other.name == tool.name)
            return bad(error_kind::invalid_value, "Duplicate function name '" + tool.name + "' in tools.", at + ".name");
    if (auto d = fn.find("description"); d != fn.end() && d->is_string()) tool.description = d->get<std::string>();
    if (auto p = fn.find("parameters"); p != fn.end() && !p->is_null()) {
        if (!p->is_object())
            return bad(error_kind::invalid_value, "Invalid '" + at + ".parameters': expected a JSON Schema object.",
                       at + ".parameters");
        tool.parameters = *p;
    }
    if (auto st = fn.find("strict"); st != fn.end() && st->is_boolean()) tool.strict = st->get<bool>();
    out.push_back(std::move(tool));
    return std::nullopt;
}

std::optional<api_error> parse_tools(const json& doc, chat_request& req) {
    if (auto t = doc.find("tools"); t != doc.end() && !t->is_null()) {
        if (!t->is_array()) return bad(error_kind::invalid_value, "Invalid value for 'tools': expected an array.", "tools");
        for (std::size_t i = 0; i < t->size(); ++i) {
            const json& tool = (*t)[i];
            const std::string at = "tools[" + std::to_string(i) + "]";
            if (!tool.is_object() || !tool.contains("type") || !tool["type"].is_string())
                return bad(error_kind::missing_parameter, "Missing required parameter: '" + at + ".type'.", at + ".type");
            if (tool["type"] != "function")
                return bad(error_kind::unsupported_value, "Only tools of type 'function' are supported by this gateway.",
                           at + ".type");
            if (auto err = parse_function(tool.contains("function") ? tool["function"] : json(), at + ".function", req.tools))
                return err;
        }
    }
    if (auto f = doc.find("functions"); f != doc.end() && f->is_array() && req.tools.empty()) { // the legacy form
        for (std::size_t i = 0; i < f->size(); ++i)
            if (auto err = parse_function((*f)[i], "functions[" + std::to_string(i) + "]", req.tools)) return err;
    }
    return std::nullopt;
}

std::optional<api_error> parse_tool_choice(const json& tc, const char* param, chat_request& req) {
    if (tc.is_null()) return std::nullopt;
    auto& choice = req.tool_choice;
    if (tc.is_string()) {
        const auto& v = tc.get_ref<const std::string&>();
        if (v == "none")
            choice.mode = tool_choice_mode::none;
        else if (v == "auto")
            choice.mode = tool_choice_mode::automatic;
        else if (v == "required")
            choice.mode = tool_choice_mode::required;
        else
            return bad(error_kind::invalid_value, std::string("Invalid value for '") + param + "'.", param);
    } else if (tc.is_object()) {
        // {"type":"function","function":{"name":…}}, or the legacy {"name":…}
        const json* fn = tc.contains("function") && tc["function"].is_object() ? &tc["function"] : &tc;
        if (tc.contains("type") && tc["type"] != "function")
            return bad(error_kind::unsupported_value, std::string("Only a function may be forced in '") + param + "'.", param);
        if (!fn->contains("name") || !(*fn)["name"].is_string())
            return bad(error_kind::missing_parameter, std::string("Missing the function name in '") + param + "'.", param);
        choice = {tool_choice_mode::named, (*fn)["name"].get<std::string>()};
    } else {
        return bad(error_kind::invalid_value, std::string("Invalid value for '") + param + "'.", param);
    }
    if (choice.mode == tool_choice_mode::required && req.tools.empty())
        return bad(error_kind::invalid_value, std::string("'") + param + "' is 'required' but no tools were given.", param);
    if (choice.mode == tool_choice_mode::named && !req.find_tool(choice.name))
        return bad(error_kind::invalid_value,
                   std::string("'") + param + "' names the function '" + choice.name + "', which is not among the tools.", param);
    return std::nullopt;
}

/// The request fields the neutral request models; every other field is passed through.
bool modelled_field(std::string_view key) {
    static constexpr std::string_view known[] = {
        "model",          "messages", "stream",      "temperature",         "top_p",     "max_tokens",    "max_completion_tokens",
        "stop",           "tools",    "tool_choice", "parallel_tool_calls", "functions", "function_call", "web_search",
        "conversation_id"};
    for (const auto k : known)
        if (k == key) return true;
    return false;
}

std::optional<api_error> parse_messages(const json& arr, std::vector<chat_message>& out) {
    out.reserve(arr.size());
    for (std::size_t i = 0; i < arr.size(); ++i) {
        const std::string where = "messages[" + std::to_string(i) + "]";
        const json& m = arr[i];
        if (!m.is_object()) return bad(error_kind::invalid_value, "Each message must be an object.", where);
        auto role_it = m.find("role");
        if (role_it == m.end())
            return bad(error_kind::missing_parameter, "Missing required parameter: '" + where + ".role'.", where + ".role");
        std::optional<message_role> role;
        if (role_it->is_string()) role = parse_role(role_it->get_ref<const std::string&>());
        if (!role)
            return bad(error_kind::invalid_value,
                       "Invalid value for '" + where +
                           ".role': supported values are 'system', 'developer', 'user', 'assistant', 'tool' and 'function'.",
                       where + ".role");
        chat_message msg;
        msg.role = *role;
        if (auto c = m.find("content"); c != m.end()) {
            if (auto err = parse_content(*c, msg, where)) return err;
        } else if (msg.role == message_role::user || msg.role == message_role::system) {
            return bad(error_kind::missing_parameter, "Missing required parameter: '" + where + ".content'.", where + ".content");
        }
        if (auto n = m.find("name"); n != m.end() && n->is_string()) msg.name = n->get<std::string>();
        if (msg.role == message_role::assistant) {
            if (auto err = parse_tool_calls(m, msg, where)) return err;
        } else if (msg.role == message_role::tool) {
            // `function` messages (the legacy form) name the function instead of a call id.
            if (auto id = m.find("tool_call_id"); id != m.end() && id->is_string())
                msg.tool_call_id = id->get<std::string>();
            else if (role_it->get_ref<const std::string&>() == "tool")
                return bad(error_kind::missing_parameter, "Missing required parameter: '" + where + ".tool_call_id'.",
                           where + ".tool_call_id");
        }
        out.push_back(std::move(msg));
    }
    return std::nullopt;
}

} // namespace

std::string_view role_name(message_role r) noexcept {
    switch (r) {
    case message_role::system: return "system";
    case message_role::user: return "user";
    case message_role::assistant: return "assistant";
    case message_role::tool: return "tool";
    }
    return "user";
}

const tool_definition* chat_request::find_tool(std::string_view name) const {
    for (const auto& t : tools)
        if (t.name == name) return &t;
    return nullptr;
}

std::string chat_request::last_user_text() const {
    for (auto it = messages.rbegin(); it != messages.rend(); ++it)
        if (it->role == message_role::user) return it->text;
    return {};
}

std::variant<json, api_error> parse_client_json(std::string_view body) {
    if (json_nests_deeper_than(body, max_json_depth))
        return api_error{error_kind::invalid_json,
                         "The request body nests JSON deeper than " + std::to_string(max_json_depth) + " levels.", std::nullopt,
                         std::nullopt};
    json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded())
        return api_error{error_kind::invalid_json,
                         "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP "
                         "library correctly. The OpenAI API expects a JSON payload.)",
                         std::nullopt, std::nullopt};
    return doc;
}

parse_result parse_chat_request(std::string_view body) {
    auto parsed = parse_client_json(body);
    if (auto* err = std::get_if<api_error>(&parsed)) return std::move(*err);
    json doc = std::move(std::get<json>(parsed));
    if (!doc.is_object()) return bad(error_kind::invalid_value, "The request body must be a JSON object.", "body");

    chat_request req;
    auto model = doc.find("model");
    if (model == doc.end() || model->is_null())
        return bad(error_kind::missing_parameter, "Missing required parameter: 'model'.", "model");
    if (!model->is_string() || model->get_ref<const std::string&>().empty())
        return bad(error_kind::invalid_value, "Invalid value for 'model': expected a non-empty string.", "model");
    req.model = model->get<std::string>();

    auto messages = doc.find("messages");
    if (messages == doc.end() || messages->is_null())
        return bad(error_kind::missing_parameter, "Missing required parameter: 'messages'.", "messages");
    if (!messages->is_array())
        return bad(error_kind::invalid_value, "Invalid value for 'messages': expected an array.", "messages");
    if (messages->empty())
        return bad(error_kind::invalid_value, "Invalid 'messages': empty array. Expected an array with minimum length 1.",
                   "messages");
    if (auto err = parse_messages(*messages, req.messages)) return *err;

    if (auto s = doc.find("stream"); s != doc.end() && !s->is_null()) {
        if (!s->is_boolean()) return bad(error_kind::invalid_value, "Invalid value for 'stream': expected a boolean.", "stream");
        req.stream = s->get<bool>();
    }
    if (auto so = doc.find("stream_options"); req.stream && so != doc.end() && so->is_object()) {
        if (auto iu = so->find("include_usage"); iu != so->end() && iu->is_boolean()) req.include_usage = iu->get<bool>();
    }
    if (auto n = doc.find("n"); n != doc.end() && !n->is_null()) {
        if (!n->is_number_integer() || n->get<long>() < 1)
            return bad(error_kind::invalid_value, "Invalid value for 'n': expected an integer >= 1.", "n");
        if (n->get<long>() > 1) return bad(error_kind::unsupported_value, "Only n=1 is supported by this gateway.", "n");
    }
    if (auto t = doc.find("temperature"); t != doc.end() && !t->is_null()) {
        if (!t->is_number() || t->get<double>() < 0 || t->get<double>() > 2)
            return bad(error_kind::invalid_value, "Invalid value for 'temperature': expected a number between 0 and 2.",
                       "temperature");
        req.temperature = t->get<double>();
    }
    for (const char* key : {"max_tokens", "max_completion_tokens"}) {
        if (auto m = doc.find(key); m != doc.end() && !m->is_null()) {
            if (!m->is_number_integer() || m->get<long>() < 1)
                return bad(error_kind::invalid_value, std::string("Invalid value for '") + key + "': expected an integer >= 1.",
                           key);
            req.max_tokens = m->get<long>(); // max_completion_tokens comes second and wins
            req.max_tokens_named_completion = std::string_view(key) == "max_completion_tokens";
        }
    }
    if (auto s = doc.find("stop"); s != doc.end() && !s->is_null()) {
        if (s->is_string()) {
            if (!s->get_ref<const std::string&>().empty()) req.stop.push_back(s->get<std::string>());
        } else if (s->is_array() && s->size() <= 4) {
            for (const auto& item : *s) {
                if (!item.is_string())
                    return bad(error_kind::invalid_value, "Invalid value for 'stop': expected strings.", "stop");
                if (!item.get_ref<const std::string&>().empty()) req.stop.push_back(item.get<std::string>());
            }
        } else {
            return bad(error_kind::invalid_value, "Invalid value for 'stop': expected a string or an array of at most 4 strings.",
                       "stop");
        }
    }
    if (auto p = doc.find("top_p"); p != doc.end() && !p->is_null()) {
        if (!p->is_number() || p->get<double>() < 0 || p->get<double>() > 1)
            return bad(error_kind::invalid_value, "Invalid value for 'top_p': expected a number between 0 and 1.", "top_p");
        req.top_p = p->get<double>();
    }
    if (auto err = parse_tools(doc, req)) return *err;
    if (auto tc = doc.find("tool_choice"); tc != doc.end()) {
        if (auto err = parse_tool_choice(*tc, "tool_choice", req)) return *err;
    } else if (auto fc = doc.find("function_call"); fc != doc.end()) {
        if (auto err = parse_tool_choice(*fc, "function_call", req)) return *err;
    }
    if (auto ptc = doc.find("parallel_tool_calls"); ptc != doc.end() && ptc->is_boolean())
        req.parallel_tool_calls = ptc->get<bool>();
    if (auto mod = doc.find("modalities"); mod != doc.end() && mod->is_array()) {
        for (const auto& m : *mod)
            if (m == "audio")
                return bad(error_kind::unsupported_value, "Audio output is not supported by this gateway.", "modalities");
    }
    if (auto ws = doc.find("web_search"); ws != doc.end() && ws->is_boolean()) req.web_search = ws->get<bool>();
    if (auto c = doc.find("conversation_id"); c != doc.end() && !c->is_null()) {
        if (!c->is_string())
            return bad(error_kind::invalid_value, "Invalid value for 'conversation_id': expected a string.", "conversation_id");
        req.conversation_id = c->get<std::string>();
    }
    for (auto& [key, value] : doc.items())
        if (!modelled_field(key)) req.passthrough[key] = std::move(value);
    return req;
}

const json* member_of(const json& obj, const char* key) {
    const auto it = obj.find(key);
    return it == obj.end() || it->is_null() ? nullptr : &*it;
}

const std::string* string_member_of(const json& obj, const char* key) {
    const json* v = member_of(obj, key);
    return v && v->is_string() ? &v->get_ref<const std::string&>() : nullptr;
}

} // namespace switchyard::api
