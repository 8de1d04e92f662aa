#include "switchyard/api/anthropic/messages_format.hpp"

#include <nlohmann/json.hpp>

#include "switchyard/api/chat_format.hpp"
#include "switchyard/api/handlers.hpp"
#include "switchyard/util/ids.hpp"

namespace switchyard::api::anthropic {
namespace {

using json = nlohmann::ordered_json;

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

std::string event(std::string_view name, std::string_view data) {
    std::string out;
    out.reserve(name.size() + data.size() + 16);
    out += "event: ";
    out += name;
    out += "\ndata: ";
    out += data;
    out += "\n\n";
    return out;
}

/// A tool call's input as an object: the arguments when they are one, else {}.
json input_of(std::string_view arguments) {
    json input = json::parse(arguments, nullptr, false);
    return input.is_object() ? input : json::object();
}

json usage_json(const usage_counts& usage) {
    return {{"input_tokens", usage.prompt_tokens}, {"output_tokens", usage.completion_tokens}};
}

} // namespace

std::string_view stop_reason_name(finish_kind finish) noexcept {
    switch (finish) {
    case finish_kind::stop_sequence: return "stop_sequence";
    case finish_kind::length: return "max_tokens";
    case finish_kind::tool_calls: return "tool_use";
    case finish_kind::content_filter: return "refusal";
    case finish_kind::stop: break;
    }
    return "end_turn";
}

std::string_view error_type(const api_error& e) noexcept {
    switch (e.kind) { // Anthropic's overloaded_error is its 529; other 503s are plain failures
    case error_kind::server_overloaded: return "overloaded_error";
    case error_kind::provider_unavailable:
    case error_kind::server_shutting_down: return "api_error";
    default: break;
    }
    switch (traits_of(e.kind).status) {
    case 401: return "authentication_error";
    case 403: return "permission_error";
    case 404: return "not_found_error";
    case 413:
    case 431: return "request_too_large";
    case 429: return "rate_limit_error";
    case 504: return "timeout_error";
    case 500:
    case 502: return "api_error";
    default: return "invalid_request_error";
    }
}

std::string anthropic_error_body(const api_error& e) {
    return dump({{"type", "error"}, {"error", {{"type", error_type(e)}, {"message", e.message}}}});
}

http::http_response anthropic_error_response(const api_error& e) {
    auto r = api::error_response(e);                             // status and retry headers
    if (e.kind == error_kind::server_overloaded) r.status = 529; // what Anthropic's clients back off on
    r.body = anthropic_error_body(e);
    return r;
}

messages_encoder::messages_encoder(std::string model) : id_("msg_" + ids::alphanumeric(24)), model_(std::move(model)) {}

std::string messages_encoder::opening(long prompt_tokens) {
    const json start = {{"type", "message_start"},
                        {"message",
                         {{"id", id_},
                          {"type", "message"},
                          {"role", "assistant"},
                          {"model", model_},
                          {"content", json::array()},
                          {"stop_reason", nullptr},
                          {"stop_sequence", nullptr},
                          {"usage", {{"input_tokens", prompt_tokens}, {"output_tokens", 0}}}}}};
    return event("message_start", dump(start));
}

std::string messages_encoder::close_block() {
    if (open_ == block::none) return {};
    open_ = block::none;
    return event("content_block_stop", R"({"type":"content_block_stop","index":)" + std::to_string(open_index_) + "}");
}

std::string messages_encoder::enter(block kind, std::string_view start_json) {
    if (open_ == kind) return {};
    std::string out = close_block();
    open_ = kind;
    open_index_ = next_index_++;
    out += event("content_block_start", R"({"type":"content_block_start","index":)" + std::to_string(open_index_) +
                                            R"(,"content_block":)" + std::string(start_json) + "}");
    return out;
}

std::string messages_encoder::text(std::string_view text) {
    std::string out = enter(block::text, R"({"type":"text","text":""})");
    std::string delta =
        R"({"type":"content_block_delta","index":)" + std::to_string(open_index_) + R"(,"delta":{"type":"text_delta","text":)";
    append_json_string(delta, text);
    delta += "}}";
    return out + event("content_block_delta", delta);
}

std::string messages_encoder::reasoning(std::string_view text) {
    std::string out = enter(block::thinking, R"({"type":"thinking","thinking":"","signature":""})");
    std::string delta = R"({"type":"content_block_delta","index":)" + std::to_string(open_index_) +
                        R"(,"delta":{"type":"thinking_delta","thinking":)";
    append_json_string(delta, text);
    delta += "}}";
    return out + event("content_block_delta", delta);
}

std::string messages_encoder::tool_call_begin(std::size_t index, std::string_view id, std::string_view name) {
    if (calls_.size() <= index) calls_.resize(index + 1);
    calls_[index].id = id;
    calls_[index].name = name;
    return close_block(); // text after a call starts a new block
}

std::string messages_encoder::tool_call_arguments(std::size_t index, std::string_view fragment) {
    if (index < calls_.size()) calls_[index].arguments += fragment;
    return {};
}

std::string messages_encoder::closing(const answer_end& end) {
    std::string out = close_block();
    for (const auto& call : calls_) {
        if (call.name.empty()) continue;
        const std::size_t index = next_index_++;
        const json start = {
            {"type", "content_block_start"},
            {"index", index},
            {"content_block", {{"type", "tool_use"}, {"id", call.id}, {"name", call.name}, {"input", json::object()}}}};
        // One fragment of valid JSON: arguments that are not an object would break a client's parser.
        const json delta = {{"type", "content_block_delta"},
                            {"index", index},
                            {"delta", {{"type", "input_json_delta"}, {"partial_json", dump(input_of(call.arguments))}}}};
        out += event("content_block_start", dump(start));
        out += event("content_block_delta", dump(delta));
        out += event("content_block_stop", R"({"type":"content_block_stop","index":)" + std::to_string(index) + "}");
    }
    json delta = {{"type", "message_delta"},
                  {"delta",
                   {{"stop_reason", stop_reason_name(end.finish)},
                    {"stop_sequence", end.stop_sequence.empty() ? json(nullptr) : json(end.stop_sequence)}}},
                  {"usage", {{"input_tokens", end.usage.prompt_tokens}, {"output_tokens", end.usage.completion_tokens}}}};
    out += event("message_delta", dump(delta));
    out += event("message_stop", R"({"type":"message_stop"})");
    return out;
}

std::string messages_encoder::failure(const api_error& e) { return close_block() + event("error", anthropic_error_body(e)); }

http::http_response messages_encoder::whole(const whole_answer& answer) {
    json content = json::array();
    if (!answer.reasoning.empty()) content.push_back({{"type", "thinking"}, {"thinking", answer.reasoning}, {"signature", ""}});
    if (!answer.content.empty()) content.push_back({{"type", "text"}, {"text", answer.content}});
    for (const auto& call : answer.tool_calls)
        content.push_back({{"type", "tool_use"}, {"id", call.id}, {"name", call.name}, {"input", input_of(call.arguments)}});
    const json message = {{"id", id_},
                          {"type", "message"},
                          {"role", "assistant"},
                          {"model", model_},
                          {"content", std::move(content)},
                          {"stop_reason", stop_reason_name(answer.end.finish)},
                          {"stop_sequence", answer.end.stop_sequence.empty() ? json(nullptr) : json(answer.end.stop_sequence)},
                          {"usage", usage_json(answer.end.usage)}};
    return json_response(dump(message));
}

} // namespace switchyard::api::anthropic
