#pragma once
// The protocol-neutral turn: a parsed request with its messages, tools and limits. Client JSON
// stops here: providers only ever see these structs. Parsed today from `POST /v1/chat/completions`
// (https://platform.openai.com/docs/api-reference/chat/create).
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "switchyard/api/error.hpp"

namespace switchyard::api {

enum class message_role { system, user, assistant, tool };

std::string_view role_name(message_role r) noexcept;

struct image_part {
    std::string url;    // https:// or data: URL
    std::string param;  // JSON path for error messages, e.g. messages[1].content[0]
    std::string detail; // "auto", "low", "high", or empty when the client gave none
};

/// A function call the assistant made. `arguments` is JSON text, as the model wrote it.
struct tool_call {
    std::string id;
    std::string name;
    std::string arguments;
};

struct chat_message {
    message_role role = message_role::user;
    std::string text;                  // text parts joined with "\n"
    std::vector<image_part> images;    // image_url parts, in order
    std::vector<tool_call> tool_calls; // assistant messages
    std::string tool_call_id;          // tool messages: the call this result answers
    std::string name;                  // the participant's or function's name, when given
};

/// A function the model may call. `parameters` is a JSON Schema (the subset function tools use).
struct tool_definition {
    std::string name;
    std::string description;
    nlohmann::json parameters; // null when the client gave none
    bool strict = false;
};

enum class tool_choice_mode { automatic, none, required, named };

struct tool_choice {
    tool_choice_mode mode = tool_choice_mode::automatic;
    std::string name; // the forced function, with `named`
};

struct chat_request {
    std::string model;
    std::vector<chat_message> messages;
    bool stream = false;
    bool include_usage = false; // stream_options.include_usage, only when streaming
    std::optional<double> temperature;
    std::optional<double> top_p;
    std::optional<long> max_tokens;             // max_completion_tokens wins over max_tokens
    bool max_tokens_named_completion = false;   // the client called it max_completion_tokens
    std::vector<std::string> stop;              // at most 4
    bool web_search = false;                    // extension: the seed's extra_body flag
    std::optional<std::string> conversation_id; // extension: continue a stored conversation
    std::vector<tool_definition> tools;
    api::tool_choice tool_choice;
    std::optional<bool> parallel_tool_calls;
    /// The client's fields that this struct does not model (`seed`, `response_format`,
    /// `top_k`, …), verbatim: an OpenAI-compatible upstream receives them as they came. A JSON
    /// object; never read by any other provider.
    nlohmann::json passthrough = nlohmann::json::object();

    /// The text of the last user message ("" when there is none).
    std::string last_user_text() const;
    /// The tool named `name`, or nullptr.
    const tool_definition* find_tool(std::string_view name) const;
};

using parse_result = std::variant<chat_request, api_error>;

/// Client JSON may nest at most this deep. Code that walks a document recurses, so a body of
/// 100k nested arrays must be refused before it is parsed.
constexpr std::size_t max_json_depth = 64;

/// True when `text` nests arrays and objects deeper than `limit` (strings are skipped): checked
/// before any untrusted JSON is parsed.
bool json_nests_deeper_than(std::string_view text, std::size_t limit);

/// Parses a client body as JSON: an `invalid_json` error when it is not JSON or nests deeper
/// than max_json_depth. Every client JSON body goes through here.
std::variant<nlohmann::json, api_error> parse_client_json(std::string_view body);

/// The member `key` of a client object, or nullptr when it is absent or null.
const nlohmann::json* member_of(const nlohmann::json& obj, const char* key);
/// The member `key` when it is a string, else nullptr.
const std::string* string_member_of(const nlohmann::json& obj, const char* key);

/// Parses and validates a request body. Unknown fields are ignored; fields that would change
/// the shape or correctness of the answer are checked, with `param` naming the culprit.
parse_result parse_chat_request(std::string_view body);

} // namespace switchyard::api
