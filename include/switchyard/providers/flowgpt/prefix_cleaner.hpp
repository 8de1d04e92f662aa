#pragma once
// Strips the "…Response:**" header some FlowGPT prompts put before the answer (upstreams.md
// A.9), without the seed's bugs: state is per request, look-ahead is bounded, and once decided
// every later delta passes straight through exactly once.
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

namespace switchyard::providers::flowgpt {

class prefix_cleaner {
public:
    static constexpr std::string_view separator = "Response:**";

    explicit prefix_cleaner(std::size_t lookahead_chars = 150) : lookahead_(lookahead_chars) {}

    /// Returns the text to relay now (empty while still deciding).
    std::string push(std::string_view delta);
    /// End of stream: returns whatever is still held.
    std::string flush();
    /// What stood before the separator, once a header was stripped (taken: empty afterwards).
    /// Some prompts think aloud there; the provider decides whether it is reasoning.
    std::string take_preamble() { return std::exchange(preamble_, {}); }

private:
    enum class state { deciding, trimming, passing };
    std::string trim_leading(std::string_view text);

    std::size_t lookahead_;
    state state_ = state::deciding;
    std::string held_;
    std::string preamble_;
};

} // namespace switchyard::providers::flowgpt
