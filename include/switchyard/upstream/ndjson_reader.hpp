#pragma once
// Splits a byte stream of newline-delimited JSON into lines, however the bytes are chunked.
// Bounded: a line longer than `max_line_bytes` is an error. One per stream; not thread-safe.
#include <cstddef>
#include <string>
#include <string_view>

namespace switchyard::upstream {

class ndjson_reader {
public:
    explicit ndjson_reader(std::size_t max_line_bytes = 1 << 20) : max_line_(max_line_bytes) {}

    /// Feeds bytes; calls `on_line(std::string_view)` for each complete, non-blank line
    /// (without its `\n` or `\r`). Returns false once a line has exceeded the bound.
    template <class OnLine> bool feed(std::string_view bytes, OnLine&& on_line) {
        while (!bytes.empty()) {
            const auto nl = bytes.find('\n');
            if (nl == std::string_view::npos) {
                partial_.append(bytes);
                return partial_.size() <= max_line_;
            }
            std::string_view line;
            if (partial_.empty()) {
                line = bytes.substr(0, nl);
            } else {
                partial_.append(bytes.substr(0, nl));
                line = partial_;
            }
            if (line.size() > max_line_) return false;
            emit(line, on_line);
            partial_.clear();
            bytes.remove_prefix(nl + 1);
        }
        return true;
    }

    /// End of stream: a last line without a trailing newline still counts.
    template <class OnLine> void finish(OnLine&& on_line) {
        if (!partial_.empty()) emit(partial_, on_line);
        partial_.clear();
    }

private:
    template <class OnLine> static void emit(std::string_view line, OnLine& on_line) {
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
            line.remove_suffix(1);
        while (!line.empty() && (line.front() == ' ' || line.front() == '\t'))
            line.remove_prefix(1);
        if (!line.empty()) on_line(line);
    }

    std::size_t max_line_;
    std::string partial_;
};

} // namespace switchyard::upstream
