// The FlowGPT text path: providers::flowgpt::prefix_cleaner feeding api::text_shaper, delta by
// delta, as the provider and the chat handler chain them. Both outputs are compared with what
// the whole answer says they must be; when the text is valid UTF-8 no delta may carry a partial
// character; the answer never exceeds max_tokens * 4 code points.
// Input: lookahead (1 byte), max_tokens (1 byte; 128 and up: 8 more bytes), the number of stop
// sequences (1 byte), each as a length byte and its bytes (invalid UTF-8 ones are dropped), then
// a split header (fuzz_input.hpp).
#include <algorithm>
#include <climits>
#include <optional>
#include <string>
#include <vector>

#include "fuzz_input.hpp"
#include "switchyard/api/text_shaper.hpp"
#include "switchyard/providers/flowgpt/prefix_cleaner.hpp"
#include "switchyard/util/utf8.hpp"

using switchyard::api::text_shaper;
using switchyard::providers::flowgpt::prefix_cleaner;
namespace utf8 = switchyard::utf8;
namespace fz = switchyard::fuzz;

namespace {

/// What the cleaner must relay for the whole answer: the text after the first separator, less
/// its leading whitespace, when that separator ends within the look-ahead; otherwise everything.
std::string cleaned(std::string_view all, std::size_t lookahead) {
    const auto pos = all.find(prefix_cleaner::separator);
    if (pos == std::string_view::npos) return std::string(all);
    const auto end = pos + prefix_cleaner::separator.size();
    if (utf8::count_code_points(all.substr(0, end)) > lookahead) return std::string(all);
    const auto first = all.find_first_not_of(" \t\r\n", end);
    return first == std::string_view::npos ? std::string() : std::string(all.substr(first));
}

/// What the shaper must emit for the whole text: cut where a stop is first complete (scanning
/// end positions; the longest stop ending there), then at the limit.
std::string shaped(std::string text, const std::vector<std::string>& stops, std::optional<std::size_t> limit) {
    std::size_t cut = text.size();
    for (std::size_t end = 1; end <= text.size() && cut == text.size(); ++end) {
        std::size_t longest = 0;
        for (const auto& s : stops)
            if (s.size() <= end && s.size() > longest && text.compare(end - s.size(), s.size(), s) == 0) longest = s.size();
        if (longest > 0) cut = end - longest;
    }
    text.resize(cut);
    if (limit) text.resize(utf8::offset_of_code_point(text, *limit));
    return text;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fz::input in(data, size);
    const std::size_t lookahead = in.byte();
    std::optional<long> max_tokens;
    if (const auto m = in.byte(); m >= 128)
        max_tokens = static_cast<long>(std::max<std::uint64_t>(1, in.number(8) & LONG_MAX));
    else if (m > 0)
        max_tokens = m;
    std::vector<std::string> stops(in.byte() % 5);
    for (auto& s : stops)
        s = in.take(1 + in.byte() % 8);
    // parse_chat_request drops empty stops, and its JSON strings are valid UTF-8.
    std::erase_if(stops, [](const std::string& s) { return s.empty() || !fz::valid_utf8(s); });
    const auto pieces = in.pieces();
    std::string answer;
    for (auto p : pieces)
        answer += p;

    // Code points the shaper may emit: max_tokens * 4, saturating.
    std::optional<std::size_t> limit;
    if (max_tokens)
        limit = static_cast<std::size_t>(*max_tokens) > SIZE_MAX / 4 ? SIZE_MAX : static_cast<std::size_t>(*max_tokens) * 4;

    const std::string expect_clean = cleaned(answer, lookahead);
    // The shaper replaces ill-formed bytes with U+FFFD once characters are joined, so its output
    // is the shaped form of the whole answer with its bad bytes replaced, however it was split.
    const std::string whole = utf8::replace_invalid(expect_clean);
    const std::string expect = shaped(whole, stops, limit);

    prefix_cleaner cleaner(lookahead);
    text_shaper shaper(stops, max_tokens);
    std::string got_clean, got;
    const auto relay = [&](const std::string& delta) {
        got_clean += delta;
        if (shaper.finished()) return;
        const std::string out = shaper.push(delta);
        FUZZ_CHECK(fz::valid_utf8(out));
        got += out;
    };
    for (auto p : pieces)
        relay(cleaner.push(p));
    relay(cleaner.flush());
    const std::string tail = shaper.flush();
    FUZZ_CHECK(fz::valid_utf8(tail));
    got += tail;

    FUZZ_CHECK(got_clean == expect_clean);
    FUZZ_CHECK(got == expect);
    FUZZ_CHECK(shaper.emitted() == got);
    FUZZ_CHECK(shaper.emitted_code_points() == utf8::count_code_points(got));
    if (limit) FUZZ_CHECK(shaper.emitted_code_points() <= *limit);
    const bool stopped = got.size() < whole.size();
    if (!stopped) FUZZ_CHECK(shaper.finish_reason() == "stop");
    return 0;
}
