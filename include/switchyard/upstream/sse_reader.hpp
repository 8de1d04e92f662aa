#pragma once
// Incremental Server-Sent Events parser (https://html.spec.whatwg.org/multipage/server-sent-events.html),
// for upstreams that stream SSE. Bytes may be split anywhere, including inside a UTF-8 sequence:
// nothing is decoded until a whole line is in. Comments (such as AIPKit's 4096-space preamble)
// are skipped; the event name resets to "message" after every event. Bounded: an event larger
// than `max_event_bytes` is an error. One per stream; not thread-safe.
#include <cstddef>
#include <string>
#include <string_view>

namespace switchyard::upstream {

struct sse_event {
    std::string name; // "message" when the event had no `event:` line
    std::string data; // `data:` lines joined with "\n"
    std::string id;
};

class sse_reader {
public:
    explicit sse_reader(std::size_t max_event_bytes = 1 << 20) : max_(max_event_bytes) {}

    /// Feeds bytes; calls `on_event(const sse_event&)` per complete event. Returns false once
    /// the bound is exceeded.
    template <class OnEvent> bool feed(std::string_view bytes, OnEvent&& on_event) {
        while (!bytes.empty()) {
            const auto nl = bytes.find('\n');
            if (nl == std::string_view::npos) {
                line_.append(bytes);
                return within_bound();
            }
            line_.append(bytes.substr(0, nl));
            bytes.remove_prefix(nl + 1);
            if (!within_bound()) return false;
            take_line(on_event);
            line_.clear();
        }
        return true;
    }

private:
    bool within_bound() const { return line_.size() + pending_.data.size() <= max_; }

    template <class OnEvent> void take_line(OnEvent& on_event) {
        std::string_view line = line_;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty()) {
            if (has_data_) {
                if (pending_.name.empty()) pending_.name = "message";
                on_event(static_cast<const sse_event&>(pending_));
            }
            pending_.name.clear();
            pending_.data.clear();
            has_data_ = false;
            return;
        }
        if (line.front() == ':') return; // comment
        const auto colon = line.find(':');
        const std::string_view field = line.substr(0, colon);
        std::string_view value = colon == std::string_view::npos ? std::string_view() : line.substr(colon + 1);
        if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
        if (field == "event") {
            pending_.name.assign(value);
        } else if (field == "data") {
            if (has_data_) pending_.data.push_back('\n');
            pending_.data.append(value);
            has_data_ = true;
        } else if (field == "id") {
            pending_.id.assign(value);
        } // `retry` and unknown fields are ignored
    }

    std::size_t max_;
    std::string line_;
    sse_event pending_;
    bool has_data_ = false;
};

} // namespace switchyard::upstream
