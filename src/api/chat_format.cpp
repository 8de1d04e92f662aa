#include "switchyard/api/chat_format.hpp"

#include "switchyard/api/handlers.hpp"
#include "switchyard/util/ids.hpp"

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

long estimate_tokens(std::size_t code_points) noexcept { return static_cast<long>((code_points + 3) / 4); }

long estimate_tokens(std::string_view text) noexcept { return estimate_tokens(utf8::count_code_points(text)); }

long estimate_prompt_tokens(const chat_request& req) {
    long total = 3;
    for (const auto& m : req.messages) {
        total += 4 + estimate_tokens(m.text);
        for (const auto& call : m.tool_calls)
            total += estimate_tokens(call.name) + estimate_tokens(call.arguments);
    }
    // The tools travel with the prompt too (an emulating upstream reads them as text).
    for (const auto& t : req.tools) {
        total += estimate_tokens(t.name) + estimate_tokens(t.description);
        if (!t.parameters.is_null())
            total += estimate_tokens(t.parameters.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    }
    return total;
}

namespace {

/// Length of the well-formed UTF-8 sequence starting at s[i] (RFC 3629: no overlongs, no
/// surrogates, nothing above U+10FFFF), or 0 when there is none.
std::size_t valid_sequence_length(std::string_view s, std::size_t i) noexcept {
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char b0 = byte(i);
    const auto cont = [&](std::size_t k, unsigned char lo = 0x80, unsigned char hi = 0xBF) {
        return i + k < s.size() && byte(i + k) >= lo && byte(i + k) <= hi;
    };
    if (b0 >= 0xC2 && b0 <= 0xDF) return cont(1) ? 2 : 0;
    if (b0 >= 0xE0 && b0 <= 0xEF) {
        const unsigned char lo = b0 == 0xE0 ? 0xA0 : 0x80, hi = b0 == 0xED ? 0x9F : 0xBF;
        return cont(1, lo, hi) && cont(2) ? 3 : 0;
    }
    if (b0 >= 0xF0 && b0 <= 0xF4) {
        const unsigned char lo = b0 == 0xF0 ? 0x90 : 0x80, hi = b0 == 0xF4 ? 0x8F : 0xBF;
        return cont(1, lo, hi) && cont(2) && cont(3) ? 4 : 0;
    }
    return 0;
}

} // namespace

void append_json_string(std::string& out, std::string_view text) {
    // Runs of bytes that need no escaping are copied whole; this runs once per streamed chunk.
    static constexpr char hex[] = "0123456789abcdef";
    out.reserve(out.size() + text.size() + 2);
    out += '"';
    std::size_t run = 0;
    std::size_t i = 0;
    const auto flush = [&] { out.append(text.data() + run, i - run); };
    while (i < text.size()) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
            ++i;
            continue;
        }
        if (c >= 0x80) {
            if (const std::size_t n = valid_sequence_length(text, i)) {
                i += n;
                continue;
            }
            flush();
            out += "\xEF\xBF\xBD"; // U+FFFD for each byte that is not part of a valid sequence
            run = ++i;
            continue;
        }
        flush();
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        default:
            out += "\\u00";
            out += hex[c >> 4];
            out += hex[c & 0xF];
        }
        run = ++i;
    }
    flush();
    out += '"';
}

void append_tool_calls(std::string& out, const std::vector<tool_call>& calls) {
    out += '[';
    for (std::size_t i = 0; i < calls.size(); ++i) {
        if (i) out += ',';
        out += "{\"id\":";
        append_json_string(out, calls[i].id);
        out += ",\"type\":\"function\",\"function\":{\"name\":";
        append_json_string(out, calls[i].name);
        out += ",\"arguments\":";
        append_json_string(out, calls[i].arguments);
        out += "}}";
    }
    out += ']';
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

std::string sse_writer::text_event(std::string_view key, std::string_view text) const {
    std::string out;
    out.reserve(envelope_.size() + text.size() + 96);
    out += envelope_;
    out += "\"choices\":[{\"index\":0,\"delta\":{\"";
    out += key;
    out += "\":";
    append_json_string(out, text);
    out += "},\"logprobs\":null,\"finish_reason\":null}]}\n\n";
    return out;
}

std::string sse_writer::content_event(std::string_view text) const { return text_event("content", text); }

std::string sse_writer::reasoning_event(std::string_view text) const { return text_event("reasoning_content", text); }

std::string sse_writer::tool_call_begin_event(std::size_t index, std::string_view id, std::string_view name) const {
    std::string out = envelope_;
    out += "\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":";
    out += std::to_string(index);
    out += ",\"id\":";
    append_json_string(out, id);
    out += ",\"type\":\"function\",\"function\":{\"name\":";
    append_json_string(out, name);
    out += ",\"arguments\":\"\"}}]},\"logprobs\":null,\"finish_reason\":null}]}\n\n";
    return out;
}

std::string sse_writer::tool_call_arguments_event(std::size_t index, std::string_view fragment) const {
    std::string out;
    out.reserve(envelope_.size() + fragment.size() + 128);
    out += envelope_;
    out += "\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":";
    out += std::to_string(index);
    out += ",\"function\":{\"arguments\":";
    append_json_string(out, fragment);
    out += "}}]},\"logprobs\":null,\"finish_reason\":null}]}\n\n";
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

std::string completion_body(std::string_view id, std::time_t created, std::string_view model, const answer_message& message,
                            std::string_view finish_reason, const usage_counts& usage) {
    const bool has_calls = message.tool_calls && !message.tool_calls->empty();
    std::string out;
    out.reserve(message.content.size() + message.reasoning.size() + 512);
    out += "{\"id\":";
    append_json_string(out, id);
    out += ",\"object\":\"chat.completion\",\"created\":";
    out += std::to_string(static_cast<long long>(created));
    out += ",\"model\":";
    append_json_string(out, model);
    out += ",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":";
    if (has_calls && message.content.empty())
        out += "null";
    else
        append_json_string(out, message.content);
    if (!message.reasoning.empty()) {
        out += ",\"reasoning_content\":";
        append_json_string(out, message.reasoning);
    }
    if (has_calls) {
        out += ",\"tool_calls\":";
        append_tool_calls(out, *message.tool_calls);
    }
    out += ",\"refusal\":null,\"annotations\":[]},\"logprobs\":null,\"finish_reason\":";
    append_json_string(out, finish_reason);
    out += "}],\"usage\":";
    append_usage(out, usage);
    out += '}';
    return out;
}

std::string_view finish_reason_name(finish_kind finish) noexcept {
    switch (finish) {
    case finish_kind::length: return "length";
    case finish_kind::tool_calls: return "tool_calls";
    case finish_kind::content_filter: return "content_filter";
    case finish_kind::stop:
    case finish_kind::stop_sequence: break;
    }
    return "stop";
}

chat_encoder::chat_encoder(std::string model, bool include_usage)
    : id_(ids::completion_id()), created_(std::time(nullptr)), model_(std::move(model)), include_usage_(include_usage),
      writer_(id_, created_, model_) {}

std::string chat_encoder::closing(const answer_end& end) {
    std::string out = writer_.finish_event(finish_reason_name(end.finish));
    if (include_usage_) out += writer_.usage_event(end.usage);
    out += sse_writer::done_event;
    return out;
}

std::string chat_encoder::failure(const api_error& e) {
    std::string out = sse_writer::error_event(e);
    out += sse_writer::done_event;
    return out;
}

http::http_response chat_encoder::error_response(const api_error& e) const { return api::error_response(e); }

http::http_response chat_encoder::whole(const whole_answer& answer) {
    const answer_message message{answer.content, answer.reasoning, &answer.tool_calls};
    return json_response(
        completion_body(id_, created_, model_, message, finish_reason_name(answer.end.finish), answer.end.usage));
}

} // namespace switchyard::api
