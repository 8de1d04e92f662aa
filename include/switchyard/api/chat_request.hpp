#pragma once
// A parsed `POST /v1/chat/completions` body. Client JSON stops here: providers only ever see
// these structs. https://platform.openai.com/docs/api-reference/chat/create
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
    std::string url;   // https:// or data: URL
    std::string param; // JSON path for error messages, e.g. messages[1].content[0]
};

struct chat_message {
    message_role role = message_role::user;
    std::string text;               // text parts joined with "\n"
    std::vector<image_part> images; // image_url parts, in order
};

struct chat_request {
    std::string model;
    std::vector<chat_message> messages;
    bool stream = false;
    bool include_usage = false; // stream_options.include_usage, only when streaming
    std::optional<double> temperature;
    std::optional<long> max_tokens;             // max_completion_tokens wins over max_tokens
    std::vector<std::string> stop;              // at most 4
    bool web_search = false;                    // extension: the seed's extra_body flag
    std::optional<std::string> conversation_id; // extension: continue a stored conversation
    /// The request as the client sent it, for providers that forward it (OpenAI-compatible
    /// upstreams take every field the client gave, not just the ones parsed above).
    nlohmann::json original;

    /// The text of the last user message ("" when there is none).
    std::string last_user_text() const;
};

using parse_result = std::variant<chat_request, api_error>;

/// Client JSON may nest at most this deep. Code that walks a document recurses, so a body of
/// 100k nested arrays must be refused before it is parsed.
constexpr std::size_t max_json_depth = 64;

/// Parses a client body as JSON: an `invalid_json` error when it is not JSON or nests deeper
/// than max_json_depth. Every client JSON body goes through here.
std::variant<nlohmann::json, api_error> parse_client_json(std::string_view body);

/// Parses and validates a request body. Unknown fields are ignored; fields that would change
/// the shape or correctness of the answer are checked, with `param` naming the culprit.
parse_result parse_chat_request(std::string_view body);

} // namespace switchyard::api
