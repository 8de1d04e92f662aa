#include "switchyard/api/chat_format.hpp"

#include <nlohmann/json.hpp>

#include "switchyard/util/utf8.hpp"

namespace switchyard::api {
namespace {

void append_usage(std::string& out, const usage_counts& u) {
    out += "{\"prompt_tokens\":";
    out += std::to_string(u.prompt_tokens);
    out += ",\"completion_tokens\":";
    out += std::to_string(u.completion_tokens);
    out += ",\"total_tokens\":";
    out += std::to_string(u.prompt_tokens + u.completion_tokens);
    out += ",\"prompt_tokens_details\":{\"cached_tokens\":0},\"completion_tokens_details\":{\"reasoning_tokens\":0}}";
}

} // namespace

long estimate_tokens(std::string_view text) noexcept {
    const auto cps = static_cast<long>(utf8::count_code_points(text));
    return (cps + 3) / 4;
}

long estimate_prompt_tokens(const chat_request& req) noexcept {
    long total = 3;
    for (const auto& m : req.messages)
        total += 4 + estimate_tokens(m.text);
    return total;
}

void append_json_string(std::string& out, std::string_view text) {
    out += nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

sse_writer::sse_writer(std::string id, std::time_t created, std::string model) {
    envelope_ = "data: {\"id\":";
    append_json_string(envelope_, id);
    envelope_ += ",\"object\":\"chat.completion.chunk\",\"created\":";
    envelope_ += std::to_string(static_cast<long long>(created));
    envelope_ += ",\"model\":";
    append_json_string(envelope_, model);
    envelope_ += ',';
}

std::string sse_writer::role_event() const {
    return envelope_ + "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\",\"refusal\":null},"
                       "\"logprobs\":null,\"finish_reason\":null}]}\n\n";
}

std::string sse_writer::content_event(std::string_view text) const {
    std::string out;
    out.reserve(envelope_.size() + text.size() + 96);
    out += envelope_;
    out += "\"choices\":[{\"index\":0,\"delta\":{\"content\":";
    append_json_string(out, text);
    out += "},\"logprobs\":null,\"finish_reason\":null}]}\n\n";
    return out;
}

std::string sse_writer::finish_event(std::string_view finish_reason) const {
    std::string out = envelope_;
    out += "\"choices\":[{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":";
    append_json_string(out, finish_reason);
    out += "}]}\n\n";
    return out;
}

std::string sse_writer::usage_event(const usage_counts& usage) const {
    std::string out = envelope_;
    out += "\"choices\":[],\"usage\":";
    append_usage(out, usage);
    out += "}\n\n";
    return out;
}

std::string sse_writer::error_event(const api_error& e) { return "data: " + error_body(e) + "\n\n"; }

std::string completion_body(std::string_view id, std::time_t created, std::string_view model, std::string_view content,
                            std::string_view finish_reason, const usage_counts& usage) {
    std::string out;
    out.reserve(content.size() + 512);
    out += "{\"id\":";
    append_json_string(out, id);
    out += ",\"object\":\"chat.completion\",\"created\":";
    out += std::to_string(static_cast<long long>(created));
    out += ",\"model\":";
    append_json_string(out, model);
    out += ",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":";
    append_json_string(out, content);
    out += ",\"refusal\":null,\"annotations\":[]},\"logprobs\":null,\"finish_reason\":";
    append_json_string(out, finish_reason);
    out += "}],\"usage\":";
    append_usage(out, usage);
    out += '}';
    return out;
}

} // namespace switchyard::api
