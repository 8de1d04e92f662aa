// upstream::ndjson_reader fed in fuzzer-chosen pieces. Checks: the lines are the same however
// the bytes are cut (compared with one whole feed), each is non-blank, trimmed, one line and
// within the bound, and together they are no longer than the input. Input: one byte choosing
// the bound, then a split header (fuzz_input.hpp).
#include <string>
#include <vector>

#include "fuzz_input.hpp"
#include "switchyard/upstream/ndjson_reader.hpp"

using switchyard::upstream::ndjson_reader;

namespace {

struct run {
    std::vector<std::string> lines;
    bool ok = true;
    bool operator==(const run&) const = default;
};

run parse(const std::vector<std::string_view>& pieces, std::size_t bound) {
    ndjson_reader reader(bound);
    run r;
    const auto keep = [&](std::string_view line) { r.lines.emplace_back(line); };
    for (auto piece : pieces) {
        r.ok = reader.feed(piece, keep);
        if (!r.ok) return r; // a caller stops at the first failure
    }
    reader.finish(keep);
    return r;
}

bool is_blank(char c) { return c == ' ' || c == '\t'; }

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const switchyard::fuzz::bounded_stream in(data, size, 4);
    const run split = switchyard::fuzz::same_however_cut(in, parse);
    const std::string& whole = in.whole;
    const std::size_t bound = in.bound;

    std::size_t bytes = 0;
    for (const auto& line : split.lines) {
        FUZZ_CHECK(!line.empty() && line.size() <= bound);
        FUZZ_CHECK(line.find('\n') == std::string::npos);
        FUZZ_CHECK(!is_blank(line.front()) && !is_blank(line.back()) && line.back() != '\r');
        bytes += line.size() + 1;
    }
    FUZZ_CHECK(bytes <= whole.size() + 1);
    // Without a failure, every non-blank character of the input reaches some line.
    if (split.ok) {
        std::size_t visible = 0, kept = 0;
        for (char c : whole)
            visible += !(is_blank(c) || c == '\r' || c == '\n');
        for (const auto& line : split.lines)
            for (char c : line)
                kept += !(is_blank(c) || c == '\r' || c == '\n');
        FUZZ_CHECK(visible == kept);
    }
    return 0;
}
