#include "switchyard/turn/tool_call_parser.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

#include "switchyard/api/chat_request.hpp"

namespace switchyard::turn {
namespace {

using nlohmann::json;

constexpr std::string_view open_tag = "<tool_call>";
constexpr std::string_view close_tag_text = "</tool_call>";
constexpr std::string_view fence = "```";

std::string_view trim(std::string_view s) {
    const auto first = s.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) return {};
    return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

/// Length of the longest suffix of `text` that is a proper prefix of `marker`.
std::size_t partial_marker_suffix(std::string_view text, std::string_view marker) {
    for (std::size_t k = std::min(text.size(), marker.size() - 1); k > 0; --k)
        if (marker.starts_with(text.substr(text.size() - k))) return k;
    return 0;
}

bool call_of(const json& j, std::vector<found_call>& out, int depth);

bool calls_of(const json& list, std::vector<found_call>& out, int depth) {
    if (list.empty()) return false;
    for (const auto& item : list)
        if (!call_of(item, out, depth + 1)) return false;
    return true;
}

bool call_of(const json& j, std::vector<found_call>& out, int depth) {
    if (depth > 4) return false;
    if (j.is_array()) return calls_of(j, out, depth);
    if (!j.is_object()) return false;
    if (auto tc = j.find("tool_calls"); tc != j.end() && tc->is_array()) return calls_of(*tc, out, depth);
    if (auto fn = j.find("function"); fn != j.end() && fn->is_object()) return call_of(*fn, out, depth + 1);
    const auto name = j.find("name");
    if (name == j.end() || !name->is_string() || name->get_ref<const std::string&>().empty()) return false;
    auto args = j.find("arguments");
    if (args == j.end()) args = j.find("parameters");
    found_call call{name->get<std::string>(), "{}", true};
    if (args != j.end() && !args->is_null()) {
        if (args->is_object()) {
            call.arguments = dump(*args);
        } else if (args->is_string()) {
            const json inner = json::parse(args->get_ref<const std::string&>(), nullptr, false);
            call.arguments_are_json = inner.is_object();
            call.arguments = call.arguments_are_json ? dump(inner) : args->get<std::string>();
        } else {
            call.arguments = dump(*args);
            call.arguments_are_json = false;
        }
    }
    out.push_back(std::move(call));
    return true;
}

} // namespace

std::vector<found_call> calls_in_json(std::string_view text) {
    text = trim(text);
    if (text.empty() || (text.front() != '{' && text.front() != '[')) return {};
    if (api::json_nests_deeper_than(text, api::max_json_depth)) return {};
    const json doc = json::parse(text, nullptr, false);
    std::vector<found_call> calls;
    if (doc.is_discarded() || !call_of(doc, calls, 0)) return {};
    return calls;
}

tool_call_parser::tool_call_parser(std::function<bool(std::string_view)> is_tool) : is_tool_(std::move(is_tool)) {}

void tool_call_parser::emit_text(std::string text, std::vector<parsed_piece>& out) {
    if (after_call_) { // the line breaks between and after calls are layout, not content
        text.erase(0, std::min(text.find_first_not_of(" \t\r\n"), text.size()));
        if (text.empty()) return;
        after_call_ = false;
    }
    if (text.empty()) return;
    if (!out.empty())
        if (auto* last = std::get_if<text_piece>(&out.back())) {
            last->text += text;
            return;
        }
    out.emplace_back(text_piece{std::move(text)});
}

void tool_call_parser::push(std::string_view delta, std::vector<parsed_piece>& out) {
    buffer_.append(delta);
    if (state_ == state::start) {
        const auto first = buffer_.find_first_not_of(" \t\r\n");
        if (first == std::string::npos) return; // only white space so far: undecided
        if (buffer_[first] == '{') {
            // Perhaps the whole answer is one JSON call: hold it to the end, within a bound.
            if (buffer_.size() <= max_block) return;
        }
        state_ = state::text;
    }
    scan_text(out);
}

void tool_call_parser::scan_text(std::vector<parsed_piece>& out) {
    for (;;) {
        if (state_ == state::text) {
            const auto tag = buffer_.find(open_tag);
            const auto fenced = buffer_.find(fence);
            const auto at = std::min(tag, fenced);
            if (at == std::string::npos) {
                const std::size_t hold =
                    std::max(partial_marker_suffix(buffer_, open_tag), partial_marker_suffix(buffer_, fence));
                emit_text(buffer_.substr(0, buffer_.size() - hold), out);
                buffer_.erase(0, buffer_.size() - hold);
                return;
            }
            emit_text(buffer_.substr(0, at), out);
            if (at == tag) {
                buffer_.erase(0, at + open_tag.size());
                state_ = state::tag;
            } else {
                buffer_.erase(0, at);
                state_ = state::fence;
            }
        } else if (state_ == state::tag) {
            // The bound is decided the same way however the answer was cut: a block must close
            // within max_block bytes; past that, those bytes are dropped and the rest is text.
            const auto end = buffer_.find(close_tag_text);
            const bool closes_in_bound = end != std::string::npos && end + close_tag_text.size() <= max_block;
            if (!closes_in_bound && (end != std::string::npos || buffer_.size() > max_block)) {
                out.emplace_back(
                    broken_call{std::string(open_tag) + buffer_.substr(0, 200), "the call is longer than the gateway accepts"});
                after_call_ = true;
                buffer_.erase(0, max_block);
                state_ = state::text;
                continue;
            }
            if (end == std::string::npos) return;
            const std::string inner = buffer_.substr(0, end);
            buffer_.erase(0, end + close_tag_text.size());
            state_ = state::text;
            close_tag(inner, out);
        } else { // fence: "```info\n … ```"
            const auto line_end = buffer_.find('\n', fence.size());
            const auto end = line_end == std::string::npos ? std::string::npos : buffer_.find(fence, line_end);
            const bool closes_in_bound = end != std::string::npos && end + fence.size() <= max_block;
            if (!closes_in_bound && (end != std::string::npos || buffer_.size() > max_block)) {
                emit_text(buffer_.substr(0, max_block), out); // not a call we would take: it is content
                buffer_.erase(0, max_block);
                state_ = state::text;
                continue;
            }
            if (end == std::string::npos) return;
            close_fence(out);
        }
    }
}

void tool_call_parser::close_tag(std::string_view inner, std::vector<parsed_piece>& out) {
    std::string raw = std::string(open_tag) + std::string(inner) + std::string(close_tag_text);
    auto calls = calls_in_json(inner);
    if (calls.empty()) {
        out.emplace_back(broken_call{std::move(raw), "the call is not a JSON object with a name and arguments"});
        after_call_ = true;
        return;
    }
    for (const auto& c : calls)
        if (!is_tool_(c.name)) {
            out.emplace_back(broken_call{std::move(raw), "there is no tool named '" + c.name + "'"});
            after_call_ = true;
            return;
        }
    out.emplace_back(call_block{std::move(calls), std::move(raw)});
    after_call_ = true;
}

void tool_call_parser::close_fence(std::vector<parsed_piece>& out) {
    const auto line_end = buffer_.find('\n', fence.size());
    const auto end = buffer_.find(fence, line_end);
    std::string raw = buffer_.substr(0, end + fence.size());
    const std::string_view info = trim(std::string_view(buffer_).substr(fence.size(), line_end - fence.size()));
    const std::string_view body = std::string_view(buffer_).substr(line_end + 1, end - line_end - 1);
    auto calls = info.empty() || info == "json" || info == "tool_call" || info == "tool_code" ? calls_in_json(body)
                                                                                              : std::vector<found_call>{};
    const bool all_tools =
        !calls.empty() && std::all_of(calls.begin(), calls.end(), [&](const found_call& c) { return is_tool_(c.name); });
    buffer_.erase(0, raw.size());
    state_ = state::text;
    if (all_tools) {
        out.emplace_back(call_block{std::move(calls), std::move(raw)});
        after_call_ = true;
    } else {
        emit_text(std::move(raw), out);
    }
}

void tool_call_parser::finish(std::vector<parsed_piece>& out) {
    switch (state_) {
    case state::start: {
        auto calls = calls_in_json(buffer_);
        const bool all_tools =
            !calls.empty() && std::all_of(calls.begin(), calls.end(), [&](const found_call& c) { return is_tool_(c.name); });
        if (all_tools)
            out.emplace_back(call_block{std::move(calls), std::move(buffer_)});
        else
            emit_text(std::move(buffer_), out);
        break;
    }
    case state::text:
    case state::fence: emit_text(std::move(buffer_), out); break;
    case state::tag: close_tag(buffer_, out); break; // models often leave the last tag open
    }
    buffer_.clear();
    state_ = state::text;
}

} // namespace switchyard::turn
