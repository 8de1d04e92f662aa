#pragma once
// UTF-8 helpers for untrusted upstream text.
#include <cstddef>
#include <string>
#include <string_view>

namespace switchyard::utf8 {

/// Length of the longest prefix of `s` that does not end inside a multi-byte sequence.
/// Bytes that can never start a valid sequence count as complete (they are replaced later).
std::size_t complete_prefix_length(std::string_view s) noexcept;

/// Number of code points (lead bytes) in `s`.
std::size_t count_code_points(std::string_view s) noexcept;

/// Byte offset of the first `n` code points of `s` (or s.size()).
std::size_t offset_of_code_point(std::string_view s, std::size_t n) noexcept;

/// `s` with every ill-formed sequence (stray continuation bytes, overlong forms, surrogates,
/// values past U+10FFFF, truncated sequences) replaced by U+FFFD, one per maximal ill-formed
/// subpart as Unicode recommends. Valid text is returned unchanged.
std::string replace_invalid(std::string s);

/// Joins byte fragments into text that never ends in the middle of a character:
/// whatever incomplete sequence ends one fragment is carried into the next.
/// One instance per stream; not thread-safe.
class carry {
public:
    /// Returns the complete part of `pending + fragment`; keeps the incomplete tail.
    std::string push(std::string_view fragment);
    /// Returns whatever is left (an incomplete sequence at end of stream).
    std::string flush();

private:
    std::string pending_;
};

} // namespace switchyard::utf8
