// The emulated tool-call parser (turn::tool_call_parser) over hostile model output: the answer
// cut into deltas anywhere must give the same pieces as the whole answer; what it releases,
// text and raw blocks together, is the answer itself with only layout white space after calls
// removed; every call names an offered tool. Input: a split header (fuzz_input.hpp), then the answer.
#include <string>
#include <vector>

#include "fuzz_input.hpp"
#include "switchyard/turn/tool_call_parser.hpp"

using namespace switchyard::turn;
namespace fz = switchyard::fuzz;

namespace {

bool offered(std::string_view name) { return name == "f" || name == "get_weather"; }

/// Pieces as a comparable string; adjacent texts joined, since where text splits is free.
std::string render(const std::vector<std::string_view>& deltas, std::string& released) {
    tool_call_parser parser(offered);
    std::vector<parsed_piece> pieces;
    for (const auto d : deltas)
        parser.push(d, pieces);
    parser.finish(pieces);
    std::string out, text;
    for (const auto& p : pieces) {
        if (const auto* t = std::get_if<text_piece>(&p)) {
            FUZZ_CHECK(!t->text.empty());
            text += t->text;
            released += t->text;
            continue;
        }
        out += "T" + std::to_string(text.size()) + ":" + text;
        text.clear();
        if (const auto* b = std::get_if<call_block>(&p)) {
            FUZZ_CHECK(!b->calls.empty());
            for (const auto& c : b->calls) {
                FUZZ_CHECK(offered(c.name));
                out += "C" + c.name + ":" + c.arguments;
            }
            released += b->raw;
        } else {
            out += "B" + std::get<broken_call>(p).problem;
        }
    }
    return out + "T" + text;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fz::input in(data, size);
    const auto deltas = in.pieces();
    std::string whole;
    for (const auto d : deltas)
        whole += d;
    std::string released_split, released_whole;
    FUZZ_CHECK(render(deltas, released_split) == render({whole}, released_whole));
    FUZZ_CHECK(released_split.size() <= whole.size() + 64); // raw blocks are the model's own bytes
    return 0;
}
