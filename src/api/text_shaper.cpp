#include "switchyard/api/text_shaper.hpp"

#include <algorithm>
#include <limits>
#include <utility>

namespace switchyard::api {
namespace {

/// Where to cut `text` for the stop that is complete first (of two ending at the same byte, the
/// longer), as it would stop a model generating token by token. Choosing the one that starts
/// first instead made the cut depend on how the upstream split its deltas.
struct stop_match {
    std::size_t start;
    const std::string* stop;
};

std::optional<stop_match> first_stop_start(std::string_view text, const std::vector<std::string>& stops) {
    std::optional<std::pair<std::size_t, std::size_t>> first; // (end, start)
    const std::string* which = nullptr;
    for (const auto& s : stops)
        if (const auto pos = text.find(s); pos != std::string_view::npos) {
            const std::pair candidate{pos + s.size(), pos};
            if (!first || candidate < *first) {
                first = candidate;
                which = &s;
            }
        }
    if (!first) return std::nullopt;
    return stop_match{first->second, which};
}

} // namespace

text_shaper::text_shaper(std::vector<std::string> stop, std::optional<long> max_tokens, bool keep_text)
    : stop_(std::move(stop)), keep_text_(keep_text) {
    // Same 4-code-points-per-token rule as the usage estimate, so usage and cut agree.
    // Saturating: a huge max_tokens (2^62) means "no practical limit", never a wrap to zero.
    constexpr auto unlimited = std::numeric_limits<std::size_t>::max() / 4;
    if (max_tokens && *max_tokens > 0 && static_cast<unsigned long>(*max_tokens) < unlimited)
        max_code_points_ = static_cast<std::size_t>(*max_tokens) * 4;
    for (const auto& s : stop_)
        longest_stop_ = std::max(longest_stop_, s.size());
}

std::size_t text_shaper::held_suffix_length(std::string_view text) const {
    const std::size_t limit = std::min(text.size(), longest_stop_ == 0 ? 0 : longest_stop_ - 1);
    for (std::size_t k = limit; k > 0; --k) {
        const std::string_view tail = text.substr(text.size() - k);
        for (const auto& s : stop_)
            if (std::string_view(s).starts_with(tail)) return k;
    }
    return 0;
}

std::string text_shaper::release(std::string text) {
    if (max_code_points_) {
        const std::size_t room = *max_code_points_ - emitted_code_points_;
        if (utf8::count_code_points(text) > room) {
            text.resize(utf8::offset_of_code_point(text, room));
            finish_reason_ = "length";
        }
    }
    emitted_code_points_ += utf8::count_code_points(text);
    if (keep_text_) emitted_ += text;
    return text;
}

std::string text_shaper::push(std::string_view delta) {
    if (finished()) return {};
    if (max_code_points_ && emitted_code_points_ >= *max_code_points_ && !delta.empty()) {
        finish_reason_ = "length"; // more text arrived after the limit was reached
        return {};
    }
    // Upstream bytes that are not UTF-8 become U+FFFD here, once whole characters are joined,
    // so every path (stream, JSON answer, stored turn) carries valid text.
    std::string text = held_ + utf8::replace_invalid(carry_.push(delta));
    held_.clear();
    if (const auto stop = first_stop_start(text, stop_)) {
        stop_matched_ = *stop->stop;
        return release_before_stop(std::move(text), stop->start);
    }
    std::size_t hold = held_suffix_length(text);
    // Never hold back part of a character: move the cut to a code point boundary.
    std::size_t cut = text.size() - hold;
    cut = utf8::complete_prefix_length(std::string_view(text).substr(0, cut));
    held_ = text.substr(cut);
    text.resize(cut);
    return release(std::move(text));
}

std::string text_shaper::flush() {
    if (finished()) return {};
    // A stop may end in what the last, incomplete bytes became (U+FFFD).
    std::string text = held_ + utf8::replace_invalid(carry_.flush());
    held_.clear();
    if (const auto stop = first_stop_start(text, stop_)) {
        stop_matched_ = *stop->stop;
        return release_before_stop(std::move(text), stop->start);
    }
    return release(std::move(text));
}

std::string text_shaper::release_before_stop(std::string text, std::size_t stop) {
    text.resize(stop);
    std::string out = release(std::move(text));
    if (!finish_reason_) finish_reason_ = "stop";
    return out;
}

} // namespace switchyard::api
