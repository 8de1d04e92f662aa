#pragma once
// The option table: every setting is declared once, with where it may come from (a flag, one or
// more environment variables, a config-file key), its validation, its default and its help.
// `usage_text`, the loader and the README check all read this table.
#include <nlohmann/json_fwd.hpp>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace switchyard::config {

/// One value for an option, from exactly one source. `source` names the flag, variable or key,
/// so errors can name it too.
struct option_value {
    std::string_view source;
    const std::string* text = nullptr;    // a flag or an environment variable
    const nlohmann::json* json = nullptr; // a config-file value
};

struct load_state; // the settings being resolved, defined in settings.cpp

struct option {
    std::string_view flag;             // "--threads"; empty when there is none
    std::string_view metavar;          // "N"; empty for a flag without a value
    std::vector<std::string_view> env; // the first one set wins; empty when there is none
    std::string_view key;              // "server.threads"; empty when there is none
    std::string_view help;             // also the "Meaning" column of the README
    std::string default_text;          // derived from `settings{}` unless the option says otherwise
    /// Parses, validates and stores a value; throws config_error naming `value.source`.
    /// Empty for the flags `parse_command_line` handles itself (--config, --help, …).
    std::function<void(load_state&, const option_value&)> apply;
};

/// The table, in the order `usage_text` prints it. Built once; safe to read from any thread.
const std::vector<option>& options();

/// The known name closest to `name` (edit distance) among the options' `field` (&option::key,
/// &option::flag), or empty when none is close: for "did you mean …?".
std::string closest_name(std::string_view name, std::string_view option::*field);

} // namespace switchyard::config
