// config::load_settings with a fuzzed config file (written to a temporary path) and a fuzzed
// `.env`. Input: the config file, then optionally a NUL byte and the `.env` text. Checks: a bad
// input is reported as config::config_error and nothing else; accepted settings hold the
// rules the loader enforces.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "fuzz_input.hpp"
#include "switchyard/config/dotenv.hpp"
#include "switchyard/config/settings.hpp"

namespace config = switchyard::config;

namespace {

const std::string& config_path() {
    static const std::string path = [] {
        // On tmpfs when there is one: a disk file's truncate and write-back cost more than the parse.
        std::string name =
            access("/dev/shm", W_OK) == 0 ? "/dev/shm/switchyard-fuzz-config-XXXXXX" : "/tmp/switchyard-fuzz-config-XXXXXX";
        const int fd = mkstemp(name.data());
        FUZZ_CHECK(fd >= 0);
        close(fd);
        return std::string(name);
    }();
    return path;
}

struct remove_at_exit {
    ~remove_at_exit() { std::remove(config_path().c_str()); }
} cleanup;

void check(const config::settings& s) {
    FUZZ_CHECK(s.conversations.store == "sqlite" || s.conversations.store == "memory");
    for (const auto& u : s.openai)
        FUZZ_CHECK(!u.base_url.empty() && !u.base_url.ends_with('/'));
    FUZZ_CHECK(!s.listen.host.empty());
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view all(reinterpret_cast<const char*>(data), size);
    const auto nul = all.find('\0');
    const std::string_view file = all.substr(0, nul);
    const std::string_view dotenv = nul == std::string_view::npos ? std::string_view() : all.substr(nul + 1);
    {
        std::ofstream out(config_path(), std::ios::binary | std::ios::trunc);
        out.write(file.data(), static_cast<std::streamsize>(file.size()));
        FUZZ_CHECK(out.good());
    }
    config::cli_options cli;
    cli.config_file = config_path();
    cli.config_file_given = true;
    const config::environment env(config::parse_dotenv(dotenv));
    try {
        check(config::load_settings(cli, env));
    } catch (const config::config_error&) {
        // the operator is told; anything else escaping is a bug
    }
    return 0;
}
