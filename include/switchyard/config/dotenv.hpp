#pragma once
// `.env` files as the seed projects wrote them.
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace switchyard::config {

using env_map = std::map<std::string, std::string, std::less<>>;

/// Parses `.env` text: `KEY=VALUE` lines, optional `export `, `#` comments, single or double
/// quotes. `$` is literal (no interpolation); `$$` is read as one `$`, because the seed projects
/// told users to escape it that way. A leading UTF-8 byte order mark is ignored. Malformed lines
/// are skipped.
env_map parse_dotenv(std::string_view text);

/// Reads and parses a file; nullopt when it cannot be read.
std::optional<env_map> load_dotenv_file(const std::string& path);

/// Looks a variable up in the real environment first, then in `.env` values.
class environment {
public:
    explicit environment(env_map dotenv = {}) : dotenv_(std::move(dotenv)) {}
    std::optional<std::string> get(std::string_view name) const;
    std::string get_or(std::string_view name, std::string fallback) const;

private:
    env_map dotenv_;
};

} // namespace switchyard::config
