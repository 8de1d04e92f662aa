// upstream::sse_reader fed in fuzzer-chosen pieces. Checks: the events are the same however the
// bytes are cut (compared with one whole feed), the size bound holds, and names and ids are
// single lines. Input: one byte choosing the bound, then a split header (fuzz_input.hpp).
#include <string>
#include <vector>

#include "fuzz_input.hpp"
#include "switchyard/upstream/sse_reader.hpp"

using switchyard::upstream::sse_event;
using switchyard::upstream::sse_reader;

namespace {

struct event {
    std::string name, data, id;
    bool operator==(const event&) const = default;
};

struct run {
    std::vector<event> events;
    bool ok = true;
    bool operator==(const run&) const = default;
};

run parse(const std::vector<std::string_view>& pieces, std::size_t bound) {
    sse_reader reader(bound);
    run r;
    for (auto piece : pieces) {
        r.ok = reader.feed(piece, [&](const sse_event& e) { r.events.push_back({e.name, e.data, e.id}); });
        if (!r.ok) break; // a caller stops at the first failure
    }
    return r;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const switchyard::fuzz::bounded_stream in(data, size, 8);
    const run split = switchyard::fuzz::same_however_cut(in, parse);
    const auto& whole = in.whole;
    const std::size_t bound = in.bound;

    std::size_t data_bytes = 0;
    for (const auto& e : split.events) {
        FUZZ_CHECK(!e.name.empty());
        FUZZ_CHECK(e.name.find('\n') == std::string::npos && e.id.find('\n') == std::string::npos);
        FUZZ_CHECK(e.data.size() <= bound);
        data_bytes += e.data.size();
    }
    // Every event needs a blank line ("\n\n" at least), and its data came from the input.
    FUZZ_CHECK(split.events.size() <= whole.size() / 2);
    FUZZ_CHECK(data_bytes <= whole.size());
    return 0;
}
