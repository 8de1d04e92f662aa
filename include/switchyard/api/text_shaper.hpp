#pragma once
// Applies the client's `stop` and `max_tokens` to relayed text, delta by delta, because the web
// upstreams honour neither. Also guarantees no delta ends inside a UTF-8 sequence.
// One instance per completion; not thread-safe.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "switchyard/util/utf8.hpp"

namespace switchyard::api {

class text_shaper {
public:
    /// `keep_text`: remember everything emitted (for a stored turn or a whole response); a plain
    /// stream only needs the count.
    text_shaper(std::vector<std::string> stop, std::optional<long> max_tokens, bool keep_text = true);

    /// Feeds upstream text; returns what may be sent now (possibly empty). Text that could be
    /// the start of a stop sequence is held back until it is decided.
    std::string push(std::string_view delta);
    /// End of the upstream answer: returns the held-back text.
    std::string flush();

    /// True once a stop sequence or the token limit ended the answer; ignore further input.
    bool finished() const noexcept { return finish_reason_ != nullptr; }
    /// "stop" or "length" once finished; "stop" for a natural end.
    std::string_view finish_reason() const noexcept { return finish_reason_ ? finish_reason_ : "stop"; }
    /// The stop sequence that ended the answer ("" when none did).
    std::string_view stop_matched() const noexcept { return stop_matched_; }
    /// Everything emitted so far (empty unless keep_text).
    const std::string& emitted() const noexcept { return emitted_; }
    std::size_t emitted_code_points() const noexcept { return emitted_code_points_; }

private:
    std::string release(std::string text);
    /// Releases `text` up to `stop` and ends the answer with "stop".
    std::string release_before_stop(std::string text, std::size_t stop);
    std::size_t held_suffix_length(std::string_view text) const;

    std::vector<std::string> stop_;
    std::optional<std::size_t> max_code_points_;
    std::size_t longest_stop_ = 0;
    std::string held_;
    std::string emitted_;
    std::size_t emitted_code_points_ = 0;
    bool keep_text_;
    utf8::carry carry_;
    const char* finish_reason_ = nullptr;
    std::string stop_matched_;
};

} // namespace switchyard::api
