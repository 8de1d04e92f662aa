// config::parse_dotenv on arbitrary text. Checks: every key is a valid name; CRLF line ends
// read the same as LF; a line appended at the end sets its key and changes nothing else.
#include <cctype>
#include <string>

#include "fuzz_input.hpp"
#include "switchyard/config/dotenv.hpp"

using switchyard::config::env_map;
using switchyard::config::parse_dotenv;

namespace {

bool valid_key(const std::string& key) {
    if (key.empty()) return false;
    for (unsigned char c : key)
        if (!(std::isalnum(c) || c == '_' || c == '.')) return false;
    return true;
}

std::string with_crlf(std::string_view text) {
    std::string out;
    for (char c : text) {
        if (c == '\n') out.push_back('\r');
        out.push_back(c);
    }
    return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const env_map parsed = parse_dotenv(text);
    for (const auto& [key, value] : parsed)
        FUZZ_CHECK(valid_key(key));

    FUZZ_CHECK(parse_dotenv(with_crlf(text)) == parsed);

    env_map appended = parse_dotenv(std::string(text) + "\nFUZZ_SENTINEL='a$$b'");
    FUZZ_CHECK(appended["FUZZ_SENTINEL"] == "a$b");
    appended.erase("FUZZ_SENTINEL");
    env_map expected = parsed;
    expected.erase("FUZZ_SENTINEL");
    FUZZ_CHECK(appended == expected);
    return 0;
}
