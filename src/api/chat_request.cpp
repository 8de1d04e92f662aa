#include "switchyard/api/chat_request.hpp"

#include <nlohmann/json.hpp>

namespace switchyard::api {
namespace {

using nlohmann::json;

api_error bad(error_kind kind, std::string message, std::string param) {
    return api_error{kind, std::move(message), std::move(param), std::nullopt};
}

/// True when `text` nests arrays and objects deeper than `limit` (strings are skipped).
bool nests_deeper_than(std::string_view text, std::size_t limit) {
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
            msg.images.push_back({url->get<std::string>(), part_path});
        } else if (type == "input_audio" || type == "file") {
            return bad(error_kind::unsupported_value, "Content parts of type '" + type + "' are not supported by this gateway.",
                       part_path + ".type");
        } else {
            return bad(error_kind::invalid_value, "Invalid content part type '" + type + "'.", part_path + ".type");
        }
    }
    return std::nullopt;
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
        out.push_back(std::move(msg));
    }
    return std::nullopt;
}

std::optional<api_error> parse_tool_choice(const json& tc) {
    if (tc.is_null()) return std::nullopt;
    if (tc.is_string()) {
        const auto& v = tc.get_ref<const std::string&>();
        if (v == "none" || v == "auto") return std::nullopt;
        if (v == "required")
            return bad(error_kind::unsupported_value, "tool_choice 'required' is not supported: the upstreams cannot call tools.",
                       "tool_choice");
        return bad(error_kind::invalid_value, "Invalid value for 'tool_choice'.", "tool_choice");
    }
    if (tc.is_object())
        return bad(error_kind::unsupported_value, "Forcing a specific tool is not supported: the upstreams cannot call tools.",
                   "tool_choice");
    return bad(error_kind::invalid_value, "Invalid value for 'tool_choice'.", "tool_choice");
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

std::string chat_request::last_user_text() const {
    for (auto it = messages.rbegin(); it != messages.rend(); ++it)
        if (it->role == message_role::user) return it->text;
    return {};
}

std::variant<json, api_error> parse_client_json(std::string_view body) {
    if (nests_deeper_than(body, max_json_depth))
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
    if (auto tc = doc.find("tool_choice"); tc != doc.end()) {
        if (auto err = parse_tool_choice(*tc)) return *err;
    }
    if (auto fc = doc.find("function_call"); fc != doc.end() && fc->is_object())
        return bad(error_kind::unsupported_value,
                   "Forcing a specific function is not supported: the upstreams cannot call tools.", "function_call");
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
    req.original = std::move(doc);
    return req;
}

} // namespace switchyard::api
