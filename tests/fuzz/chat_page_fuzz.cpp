// providers::aipkit::read_chat_page over arbitrary bytes: an AIPKit chat page is whatever the
// site (or a proxy, or Cloudflare) serves. Checks: the bounds hold, every bot id is a plain
// number and appears once, and what a bot carries came from the input.
#include <cstdint>
#include <set>
#include <string_view>

#include "fuzz_input.hpp"
#include "switchyard/providers/aipkit/chat_page.hpp"

using namespace switchyard::providers::aipkit;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view page(reinterpret_cast<const char*>(data), size);
    const auto bots = read_chat_page(page);
    FUZZ_CHECK(bots.size() <= max_page_bots);
    std::set<std::string> ids;
    for (const auto& b : bots) {
        FUZZ_CHECK(!b.bot_id.empty() && b.bot_id.size() <= 20);
        FUZZ_CHECK(b.bot_id.find_first_not_of("0123456789") == std::string::npos);
        FUZZ_CHECK(ids.insert(b.bot_id).second);
        // A field is decoded from the attribute, which is no longer than the page.
        FUZZ_CHECK(b.nonce.size() <= size && b.model.size() <= size && b.provider.size() <= size);
    }
    return 0;
}
