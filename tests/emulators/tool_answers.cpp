#include "tool_answers.hpp"

#include <map>

#include <nlohmann/json.hpp>

#include <vector>

namespace switchyard::emulator {
namespace {

using nlohmann::ordered_json;

bool has(const std::string& s, std::string_view what) { return s.find(what) != std::string::npos; }

/// The value of the last `[key:value]` marker in `text`, or "".
std::string marker(const std::string& text, const std::string& key) {
    const auto at = text.rfind("[" + key + ":");
    if (at == std::string::npos) return {};
    const auto end = text.find(']', at);
    if (end == std::string::npos) return {};
    const auto start = at + key.size() + 2;
    return text.substr(start, end - start);
}

/// The schemas offered in the last <tools> block, by name.
ordered_json offered_tools(const std::string& context) {
    ordered_json tools = ordered_json::object();
    const auto open = context.rfind("<tools>\n");
    if (open == std::string::npos) return tools;
    const auto close = context.find("</tools>", open);
    std::size_t line = open + 8;
    while (line < close) {
        const auto end = context.find('\n', line);
        const ordered_json t = ordered_json::parse(context.substr(line, end - line), nullptr, false);
        if (t.is_object() && t.contains("name"))
            tools[t["name"].get<std::string>()] = t.value("parameters", ordered_json::object());
        line = end + 1;
    }
    return tools;
}

/// The values that [arg:KEY=VALUE] markers in `context` give.
std::map<std::string, std::string> argument_markers(const std::string& context) {
    std::map<std::string, std::string> out;
    for (std::size_t at = context.find("[arg:"); at != std::string::npos; at = context.find("[arg:", at + 1)) {
        const auto end = context.find(']', at);
        const auto eq = context.find('=', at);
        if (end == std::string::npos || eq == std::string::npos || eq > end) continue;
        out[context.substr(at + 5, eq - at - 5)] = context.substr(eq + 1, end - eq - 1);
    }
    return out;
}

/// Arguments for `schema`: every required property gets a plausible value, or the one an
/// [arg:KEY=VALUE] marker gives.
ordered_json arguments_for(const ordered_json& schema, const std::map<std::string, std::string>& given) {
    ordered_json args = ordered_json::object();
    if (!schema.contains("required") || !schema["required"].is_array()) return args;
    for (const auto& key : schema["required"]) {
        if (!key.is_string()) continue;
        if (const auto it = given.find(key.get<std::string>()); it != given.end()) {
            args[it->first] = it->second;
            continue;
        }
        const auto& prop = schema.contains("properties")
                               ? schema["properties"].value(key.get<std::string>(), ordered_json::object())
                               : ordered_json::object();
        const std::string type = prop.contains("type") && prop["type"].is_string() ? prop["type"].get<std::string>() : "string";
        if (prop.contains("enum") && prop["enum"].is_array() && !prop["enum"].empty())
            args[key.get<std::string>()] = prop["enum"][0];
        else if (type == "integer" || type == "number")
            args[key.get<std::string>()] = 3;
        else if (type == "boolean")
            args[key.get<std::string>()] = true;
        else if (type == "array")
            args[key.get<std::string>()] = ordered_json::array();
        else if (type == "object")
            args[key.get<std::string>()] = ordered_json::object();
        else
            args[key.get<std::string>()] = "Paris";
    }
    return args;
}

std::string responses_of(const std::string& latest) {
    std::string out;
    for (std::size_t at = latest.find("<tool_response name="); at != std::string::npos;
         at = latest.find("<tool_response name=", at + 1)) {
        const auto body = latest.find(">\n", at);
        const auto end = latest.find("\n</tool_response>", body);
        if (body == std::string::npos || end == std::string::npos) break;
        if (!out.empty()) out += "; ";
        out += latest.substr(body + 2, end - body - 2);
    }
    return out;
}

} // namespace

std::optional<std::string> tool_answer(const std::string& latest, const std::string& context) {
    if (!has(context, "<tools>")) return std::nullopt;
    // What the newest turn is: whichever of these it says last.
    const auto last = [&](std::string_view s) {
        const auto at = latest.rfind(s);
        return at == std::string::npos ? -1L : static_cast<long>(at);
    };
    const long results = last("<tool_response name="), repair = last("Your last reply had a problem"),
               reminder = last("You did not call a function"), offer = last("# Tools");
    if (results > std::max({repair, reminder, offer})) return "Tool said: " + responses_of(latest);
    const std::string wanted = marker(context, "call");
    if (wanted.empty()) return std::nullopt;
    const bool repairing = repair > std::max(reminder, offer);
    const bool reminded = reminder > std::max(repair, offer);
    if (has(context, "[prose]") && !reminded) return "I would rather just answer: it is sunny.";

    const ordered_json tools = offered_tools(context);
    const bool bad_args = (has(context, "[args:bad]") && !repairing) || has(context, "[args:always-bad]");
    std::vector<ordered_json> calls;
    for (std::size_t start = 0; start <= wanted.size();) {
        const auto comma = std::min(wanted.find(',', start), wanted.size());
        const std::string name = wanted.substr(start, comma - start);
        const ordered_json schema = tools.contains(name) ? tools[name] : ordered_json::object();
        calls.push_back({{"name", name},
                         {"arguments", bad_args ? ordered_json::object() : arguments_for(schema, argument_markers(context))}});
        start = comma + 1;
    }
    std::string out = has(context, "[preamble]") ? "Let me look that up.\n" : "";
    const std::string format = marker(context, "format");
    if (format == "fence") {
        ordered_json all = {{"tool_calls", calls}};
        out += "```json\n" + all.dump(2) + "\n```";
    } else if (format == "bare") {
        out += calls.front().dump();
    } else {
        for (std::size_t i = 0; i < calls.size(); ++i)
            out += (i ? "\n" : "") + std::string("<tool_call>\n") + calls[i].dump() + "\n</tool_call>";
    }
    return out;
}

} // namespace switchyard::emulator
