#include "switchyard/providers/flowgpt/prefix_cleaner.hpp"

#include "switchyard/util/utf8.hpp"

namespace switchyard::providers::flowgpt {

std::string prefix_cleaner::trim_leading(std::string_view text) {
    const auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) return {}; // still only whitespace: keep trimming
    state_ = state::passing;
    return std::string(text.substr(first));
}

std::string prefix_cleaner::push(std::string_view delta) {
    switch (state_) {
    case state::passing: return std::string(delta);
    case state::trimming: return trim_leading(delta);
    case state::deciding: break;
    }
    held_.append(delta);
    // Only a separator that ends within the look-ahead is a header, however the upstream cut its
    // deltas: one large first delta must not strip answer text that merely quotes it.
    const auto pos = held_.find(separator);
    if (pos != std::string::npos &&
        utf8::count_code_points(std::string_view(held_).substr(0, pos + separator.size())) <= lookahead_) {
        const std::string rest = held_.substr(pos + separator.size());
        preamble_ = held_.substr(0, pos);
        held_.clear();
        state_ = state::trimming;
        return trim_leading(rest);
    }
    if (utf8::count_code_points(held_) > lookahead_) {
        state_ = state::passing;
        std::string out;
        out.swap(held_);
        return out;
    }
    return {};
}

std::string prefix_cleaner::flush() {
    state_ = state::passing;
    std::string out;
    out.swap(held_);
    return out;
}

} // namespace switchyard::providers::flowgpt
