#pragma once
// Finds tool calls in a web chat model's streamed answer, for emulated tool calling. Models
// write calls in a few shapes:
//   <tool_call>{"name": "f", "arguments": {...}}</tool_call>      (Hermes and Qwen style)
//   ```json\n{"name": "f", "arguments": {...}}\n```                 (or {"tool_calls": [...]})
//   {"name": "f", "arguments": {...}}                               (the whole answer)
// Text outside calls flows on as soon as it cannot be the start of one: a partial `<tool_c` or
// a fence is held until it is decided, so no opening of a call ever leaks into the content.
// One instance per answer; every buffer it keeps is bounded.
#include <functional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace switchyard::turn {

struct found_call {
    std::string name;
    std::string arguments;   // JSON text: normalised when it parsed, else as the model wrote it
    bool arguments_are_json; // false: the arguments did not parse as a JSON object
};

/// Text that belongs to the content.
struct text_piece {
    std::string text;
};

/// One or more calls from one block. `raw` is the block as the model wrote it.
struct call_block {
    std::vector<found_call> calls;
    std::string raw;
};

/// A `<tool_call>` block that could not be read (not JSON, no name, an unknown tool).
struct broken_call {
    std::string raw;
    std::string problem;
};

using parsed_piece = std::variant<text_piece, call_block, broken_call>;

class tool_call_parser {
public:
    /// `is_tool` tells offered tool names apart: a fence or a bare object naming anything else
    /// is ordinary content (JSON the user asked for), not a call.
    explicit tool_call_parser(std::function<bool(std::string_view)> is_tool);

    /// Feeds a delta; appends what is decided to `out`, in order.
    void push(std::string_view delta, std::vector<parsed_piece>& out);
    /// End of the answer: decides whatever is still held.
    void finish(std::vector<parsed_piece>& out);

    /// The most a held block may grow to; past it, it is released as text.
    static constexpr std::size_t max_block = 64 * 1024;

private:
    enum class state { start, text, tag, fence };
    void scan_text(std::vector<parsed_piece>& out);
    void emit_text(std::string text, std::vector<parsed_piece>& out);
    void close_tag(std::string_view inner, std::vector<parsed_piece>& out);
    void close_fence(std::vector<parsed_piece>& out);

    std::function<bool(std::string_view)> is_tool_;
    state state_ = state::start;
    std::string buffer_;      // undecided text, or the block being read
    bool after_call_ = false; // white space right after a call is dropped
};

/// The calls a JSON document describes: {"name","arguments"} (or "parameters"),
/// {"function":{…}}, {"tool_calls":[…]}, or an array of those. Empty when it describes none.
std::vector<found_call> calls_in_json(std::string_view text);

} // namespace switchyard::turn
