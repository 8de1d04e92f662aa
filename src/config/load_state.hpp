#pragma once
// Private to src/config: what the option table writes into while settings are resolved.
#include <string>
#include <string_view>

#include "switchyard/config/settings.hpp"

namespace switchyard::config {

struct load_state {
    settings s;
    openai_upstream env_openai; // from OPENAI_*; added when OPENAI_BASE_URL is set
};

/// Trims blanks (spaces, tabs, CR, LF) at both ends.
std::string trim_blanks(std::string_view s);

} // namespace switchyard::config
